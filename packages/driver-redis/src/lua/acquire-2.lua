--[[
  Takes a lock if nobody holds it, with a fencing token that only grows.

  KEYS[1]  the lock key: a string "<token>:<member id>"
  KEYS[2]  its fence key: the last token handed out for this lock
  ARGV[1]  member id of the new holder
  ARGV[2]  TTL of the hold, ms
  ARGV[3]  TTL of the fence key, ms (the hold's TTL plus the retention)

  Returns  {CODE.OK, token}        taken; token is a decimal string
           {CODE.LOCK_HELD, pttl}  someone holds it; pttl = ms before it expires, -1 if it never does
  Publishes "A<member id>" on KEYS[1] when taken.

  The token is max(last token + 1, server time in microseconds): it keeps
  growing across a restart that lost the fence key, or a failover to a
  replica that never received it, as long as the server clocks do.
]]
local pttl = redis.call('PTTL', KEYS[1])
if pttl ~= -2 then
  return {CODE.LOCK_HELD, pttl}
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local token = string.format('%.0f', math.max(now, last + 1))
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], token, 'PX', ARGV[3])
redis.call('PUBLISH', KEYS[1], 'A' .. ARGV[1])
return {CODE.OK, token}
