--[[
  Releases a lock if this hold still owns it, and wakes the waiters.

  KEYS[1]  the lock key
  ARGV[1]  the hold's value, "<token>:<member id>"

  Returns  {CODE.OK}        released
           {CODE.NOT_HELD}  not ours (expired, broken, or taken since): nothing touched
  Publishes "R" on KEYS[1] when released.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {CODE.NOT_HELD}
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', KEYS[1], 'R')
return {CODE.OK}
