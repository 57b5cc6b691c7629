--[[
  Releases a lock if this hold still owns it, and wakes the waiters.

  KEYS[1]   the lock key
  KEYS[2..] (lockMode 'tooz' only) Python tooz's keys for the same lock
  ARGV[1]   the hold's value, "<token>:<member id>"

  Returns  {CODE.OK}        released
           {CODE.NOT_HELD}  not ours (expired, broken, or taken since)
  Deletes only the keys that still hold this hold's value.
  Publishes "R" on KEYS[1] when released.
]]
local ours = redis.call('GET', KEYS[1]) == ARGV[1]
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('DEL', KEYS[i])
  end
end
if not ours then
  return {CODE.NOT_HELD}
end
redis.call('PUBLISH', KEYS[1], 'R')
return {CODE.OK}
