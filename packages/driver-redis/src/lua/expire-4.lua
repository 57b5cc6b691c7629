--[[
  What a watcher runs when the earliest deadline of a group comes, and
  every check interval while the group has had a Python tooz member:
  removes the members that are dead (announced), and says when the next
  deadline is and what the group's Python members are now.

  KEYS[1]  the group hash
  KEYS[2]  the group's deadline set
  KEYS[3]  the group's owners hash
  KEYS[4]  the group's python marker
  ARGV[1]  the inbox channel prefix
  ARGV[2]  the beat key prefix

  Returns  {CODE.OK, ms, python, fingerprint}
           ms           until the next deadline, -1 when no member has one
           python       1 when the group has had a member without a deadline
           fingerprint  of its live Python members (untimed_fingerprint), '' unless python
  Publishes "P" when it is the first to see a Python member.
]]
--@include members
local now = now_ms()
prune_expired(KEYS[1], KEYS[2], KEYS[3], now, ARGV[1])
if has_untimed(KEYS[1], KEYS[2]) then
  mark_python(KEYS[1], KEYS[4])
end
local python = redis.call('EXISTS', KEYS[4])
local fingerprint = ''
if python == 1 then
  fingerprint = untimed_fingerprint(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2])
end
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local ms = -1
if #first > 0 then
  ms = math.max(0, tonumber(first[2]) - now)
end
return {CODE.OK, ms, python, fingerprint}
