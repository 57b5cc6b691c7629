--[[
  Replaces a live membership's capabilities, and announces it. Only the
  membership named by its owner token is touched.

  KEYS[1]  the group hash
  KEYS[2]  the group's deadline set
  KEYS[3]  the group's owners hash
  ARGV[1]  the member's field
  ARGV[2]  its new capabilities (msgpack bytes)
  ARGV[3]  the inbox channel prefix
  ARGV[4]  the owner token of the membership

  Returns  {CODE.OK}
           {CODE.GROUP_NOT_FOUND}
           {CODE.MEMBER_NOT_FOUND}
  Publishes "U...".
]]
--@include members
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {CODE.GROUP_NOT_FOUND}
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 or not owned(KEYS[3], ARGV[1], ARGV[4]) then
  return {CODE.MEMBER_NOT_FOUND}
end
local deadline = redis.call('ZSCORE', KEYS[2], ARGV[1])
if deadline and tonumber(deadline) < now_ms() then
  remove_member(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[3])
  return {CODE.MEMBER_NOT_FOUND}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', KEYS[1], member_event('U', ARGV[1], ARGV[2]))
return {CODE.OK}
