--[[
  Moves a live membership's deadline to now + TTL. A member whose deadline
  has passed is dead even if nobody noticed yet: it is removed, not revived.
  Only the membership named by its owner token is touched.

  KEYS[1]  the group hash
  KEYS[2]  the group's deadline set
  KEYS[3]  the group's owners hash
  KEYS[4]  the member's beat key
  KEYS[5]  the group's python marker
  ARGV[1]  the member's field
  ARGV[2]  TTL, ms
  ARGV[3]  the inbox channel prefix
  ARGV[4]  the owner token of the membership

  Returns  {CODE.OK}
           {CODE.MEMBER_NOT_FOUND}  the membership is gone (or replaced by a newer one)
  Publishes "P" when it is the first to see a Python tooz member (O(1) check:
  a refresh is how a group with members of this driver notices one).
]]
--@include members
local now = now_ms()
local deadline = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not deadline or not owned(KEYS[3], ARGV[1], ARGV[4]) or redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return {CODE.MEMBER_NOT_FOUND}
end
if tonumber(deadline) < now then
  remove_member(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[3])
  return {CODE.MEMBER_NOT_FOUND}
end
redis.call('ZADD', KEYS[2], 'XX', ms(now + tonumber(ARGV[2])), ARGV[1])
redis.call('SET', KEYS[4], 'Not dead!', 'PX', ARGV[2])
if has_untimed(KEYS[1], KEYS[2]) then
  mark_python(KEYS[1], KEYS[5])
end
return {CODE.OK}
