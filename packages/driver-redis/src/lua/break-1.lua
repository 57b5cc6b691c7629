--[[
  Deletes whatever hold a lock has (tooz's break_), and tells its holder.

  KEYS[1]  the lock key
  ARGV[1]  the inbox channel prefix, "<namespace>_inbox:"

  Returns  {CODE.OK}        a hold was deleted
           {CODE.NOT_HELD}  nobody held it
  Publishes "R" on KEYS[1], and "L<token> <lock key>" on the holder's inbox
  (values Python tooz wrote carry no member id: nobody to tell).
]]
local value = redis.call('GET', KEYS[1])
if not value then
  return {CODE.NOT_HELD}
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', KEYS[1], 'R')
local colon = string.find(value, ':', 1, true)
if colon then
  redis.call('PUBLISH', ARGV[1] .. string.sub(value, colon + 1), 'L' .. string.sub(value, 1, colon - 1) .. ' ' .. KEYS[1])
end
return {CODE.OK}
