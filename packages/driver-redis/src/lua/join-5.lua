--[[
  Joins a group with a deadline of now + TTL, and announces it.

  KEYS[1]  the group hash
  KEYS[2]  the group's deadline set
  KEYS[3]  the group's owners hash
  KEYS[4]  the member's beat key (for Python tooz readers)
  KEYS[5]  the group's python marker
  ARGV[1]  the member's field
  ARGV[2]  its capabilities (msgpack bytes)
  ARGV[3]  TTL, ms
  ARGV[4]  the inbox channel prefix
  ARGV[5]  the beat key prefix
  ARGV[6]  the owner token of this membership (unique per join)

  Returns  {CODE.OK}
           {CODE.GROUP_NOT_FOUND}
           {CODE.MEMBER_EXISTS}   a live member has this id (tooz overwrote it; we do not)
  Publishes "J..." (and "L<field>" first if a dead member had this id), and
  "P" when it is the first to see a Python tooz member.
]]
--@include members
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {CODE.GROUP_NOT_FOUND}
end
local now = now_ms()
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  if is_alive(KEYS[2], ARGV[1], now, ARGV[5]) then
    return {CODE.MEMBER_EXISTS}
  end
  remove_member(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[4])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ms(now + tonumber(ARGV[3])), ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[6])
redis.call('SET', KEYS[4], 'Not dead!', 'PX', ARGV[3])
redis.call('PUBLISH', KEYS[1], member_event('J', ARGV[1], ARGV[2]))
if has_untimed(KEYS[1], KEYS[2]) then
  mark_python(KEYS[1], KEYS[5])
end
return {CODE.OK}
