--[[
  Creates a group, as tooz does.

  KEYS[1]  the group hash
  KEYS[2]  the set of group ids
  ARGV[1]  the group id

  Returns  {CODE.OK}
           {CODE.GROUP_EXISTS}
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {CODE.GROUP_EXISTS}
end
redis.call('HSET', KEYS[1], '__created__', '1')
redis.call('SADD', KEYS[2], ARGV[1])
return {CODE.OK}
