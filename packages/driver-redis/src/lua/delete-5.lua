--[[
  Deletes a group that has no live member.

  KEYS[1]  the group hash
  KEYS[2]  the set of group ids
  KEYS[3]  the group's deadline set
  KEYS[4]  the group's owners hash
  KEYS[5]  the group's python marker
  ARGV[1]  the group id
  ARGV[2]  the inbox channel prefix
  ARGV[3]  the beat key prefix

  Returns  {CODE.OK}
           {CODE.GROUP_NOT_FOUND}
           {CODE.GROUP_NOT_EMPTY}
  Publishes "L<field>" for each dead member removed first, then "D".
]]
--@include members
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {CODE.GROUP_NOT_FOUND}
end
prune_all(KEYS[1], KEYS[3], KEYS[4], now_ms(), ARGV[2], ARGV[3])
if redis.call('HLEN', KEYS[1]) > 1 then
  return {CODE.GROUP_NOT_EMPTY}
end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', KEYS[1], 'D')
return {CODE.OK}
