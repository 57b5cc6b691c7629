--[[
  What a watcher runs when the earliest deadline of a group comes: removes
  the members whose deadline has passed (announced), and says when the next
  deadline is, so the watcher sleeps until then.

  KEYS[1]  the group hash
  KEYS[2]  the group's deadline set
  KEYS[3]  the group's owners hash
  ARGV[1]  the inbox channel prefix

  Returns  {CODE.OK, ms}  ms until the next deadline, -1 when no member has one
]]
--@include members
local now = now_ms()
prune_expired(KEYS[1], KEYS[2], KEYS[3], now, ARGV[1])
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #first == 0 then
  return {CODE.OK, -1}
end
return {CODE.OK, math.max(0, tonumber(first[2]) - now)}
