--[[
  Reads a group's live members, removing the dead ones first (announced).

  KEYS[1]  the group hash
  KEYS[2]  the group's deadline set
  KEYS[3]  the group's owners hash
  KEYS[4]  the group's python marker
  ARGV[1]  the inbox channel prefix
  ARGV[2]  the beat key prefix

  Returns  {CODE.OK, field1, capabilities1, field2, capabilities2, ...}
           {CODE.GROUP_NOT_FOUND}
  Publishes "L<field>" for each dead member removed, and "P" when it is the
  first to see a Python tooz member.
]]
--@include members
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {CODE.GROUP_NOT_FOUND}
end
if prune_all(KEYS[1], KEYS[2], KEYS[3], now_ms(), ARGV[1], ARGV[2]) > 0 then
  mark_python(KEYS[1], KEYS[4])
end
local all = redis.call('HGETALL', KEYS[1])
local out = {CODE.OK}
for i = 1, #all, 2 do
  if all[i] ~= '__created__' then
    out[#out + 1] = all[i]
    out[#out + 1] = all[i + 1]
  end
end
return out
