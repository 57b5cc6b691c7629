--[[
  Extends a hold if it is still this one's.

  KEYS[1]  the lock key
  KEYS[2]  its fence key
  ARGV[1]  the hold's value, "<token>:<member id>"
  ARGV[2]  new TTL of the hold, ms
  ARGV[3]  new TTL of the fence key, ms

  Returns  {CODE.OK}        extended
           {CODE.NOT_HELD}  no key, or another holder's: the hold is lost
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {CODE.NOT_HELD}
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {CODE.OK}
