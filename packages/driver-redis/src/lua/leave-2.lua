--[[
  Leaves a group, and announces it. The beat key is left to expire: it is
  the member's, shared by every group it is in.

  KEYS[1]  the group hash
  KEYS[2]  the group's deadline set
  ARGV[1]  the member's field

  Returns  {CODE.OK}
           {CODE.GROUP_NOT_FOUND}
           {CODE.MEMBER_NOT_FOUND}
  Publishes "L<field>".
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {CODE.GROUP_NOT_FOUND}
end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return {CODE.MEMBER_NOT_FOUND}
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', KEYS[1], 'L' .. ARGV[1])
return {CODE.OK}
