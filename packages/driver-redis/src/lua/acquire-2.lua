--[[
  Takes a lock if nobody holds it, with a fencing token that only grows.

  KEYS[1]   the lock key: a string "<token>:<member id>"
  KEYS[2]   its fence key: the last token handed out for this lock
  KEYS[3..] (lockMode 'tooz' only) the keys Python tooz uses for the same
            lock: they must be free too, and are taken with the same value
  ARGV[1]   member id of the new holder
  ARGV[2]   TTL of the hold, ms
  ARGV[3]   TTL of the fence key, ms (the hold's TTL plus the retention)

  Returns  {CODE.OK, token}                 taken; token is a decimal string
           {CODE.LOCK_HELD, pttl, foreign}  someone holds it; pttl = ms before the hold expires,
                                            -1 if it never does; foreign = 1 when a holder's value
                                            is not "<token>:<member id>" (Python tooz's uuid: such a
                                            holder publishes nothing when it lets go)
  Publishes "A<member id>" on KEYS[1] when taken.

  The token is max(last token + 1, server time in microseconds): it keeps
  growing across a restart that lost the fence key, or a failover to a
  replica that never received it, as long as the server clocks do.
]]
local pttl, foreign = -2, 0
for i = 1, #KEYS do
  if i ~= 2 then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl ~= -2 then
      if ttl == -1 or pttl == -1 then
        pttl = -1
      else
        pttl = math.max(pttl, ttl)
      end
      local value = redis.pcall('GET', KEYS[i])
      if type(value) ~= 'string' or not string.find(value, '^%d+:') then
        foreign = 1
      end
    end
  end
end
if pttl ~= -2 then
  return {CODE.LOCK_HELD, pttl, foreign}
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local token = string.format('%.0f', math.max(now, last + 1))
local value = token .. ':' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
for i = 3, #KEYS do
  redis.call('SET', KEYS[i], value, 'PX', ARGV[2])
end
redis.call('SET', KEYS[2], token, 'PX', ARGV[3])
redis.call('PUBLISH', KEYS[1], 'A' .. ARGV[1])
return {CODE.OK, token}
