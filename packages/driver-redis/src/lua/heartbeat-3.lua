--[[
  Moves a live member's deadline to now + TTL. A member whose deadline has
  passed is dead even if nobody noticed yet: it is removed, not revived.

  KEYS[1]  the group hash
  KEYS[2]  the group's deadline set
  KEYS[3]  the member's beat key
  ARGV[1]  the member's field
  ARGV[2]  TTL, ms
  ARGV[3]  the inbox channel prefix

  Returns  {CODE.OK}
           {CODE.MEMBER_NOT_FOUND}  the membership is gone
]]
--@include members
local now = now_ms()
local deadline = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not deadline or redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return {CODE.MEMBER_NOT_FOUND}
end
if tonumber(deadline) < now then
  remove_member(KEYS[1], KEYS[2], ARGV[1], ARGV[3])
  return {CODE.MEMBER_NOT_FOUND}
end
redis.call('ZADD', KEYS[2], 'XX', ms(now + tonumber(ARGV[2])), ARGV[1])
redis.call('SET', KEYS[3], 'Not dead!', 'PX', ARGV[2])
return {CODE.OK}
