--[[
  Extends a hold if it is still this one's.

  KEYS[1]   the lock key
  KEYS[2]   its fence key
  KEYS[3..] (lockMode 'tooz' only) Python tooz's keys for the same lock
  ARGV[1]   the hold's value, "<token>:<member id>"
  ARGV[2]   new TTL of the hold, ms
  ARGV[3]   new TTL of the fence key, ms

  Returns  {CODE.OK}        extended
           {CODE.NOT_HELD}  a key is gone or another holder's (Python tooz's
                            break_ deletes only its own key): the hold is lost
]]
for i = 1, #KEYS do
  if i ~= 2 and redis.call('GET', KEYS[i]) ~= ARGV[1] then
    return {CODE.NOT_HELD}
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
for i = 3, #KEYS do
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {CODE.OK}
