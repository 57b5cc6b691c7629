--[[
  Leaves a group, and announces it; only the membership named by its owner
  token leaves (a leave that arrives late, after the member joined again,
  changes nothing). The beat key is left to expire: it is the member's,
  shared by every group it is in.

  KEYS[1]  the group hash
  KEYS[2]  the group's deadline set
  KEYS[3]  the group's owners hash
  ARGV[1]  the member's field
  ARGV[2]  the owner token of the membership leaving

  Returns  {CODE.OK}
           {CODE.GROUP_NOT_FOUND}
           {CODE.MEMBER_NOT_FOUND}  that membership is not in the group (gone, or replaced)
  Publishes "L<field>".
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {CODE.GROUP_NOT_FOUND}
end
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] or redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return {CODE.MEMBER_NOT_FOUND}
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('PUBLISH', KEYS[1], 'L' .. ARGV[1])
return {CODE.OK}
