--[[
  Deletes whatever hold a lock has (tooz's break_), and tells its holder.

  KEYS[1]   the lock key
  KEYS[2..] (lockMode 'tooz' only) Python tooz's keys for the same lock
  ARGV[1]   the inbox channel prefix, "<namespace>_inbox:"

  Returns  {CODE.OK}        a hold was deleted
           {CODE.NOT_HELD}  nobody held it
  Publishes "R" on KEYS[1], and "L<token> <KEYS[1]>" on each holder's inbox
  (values Python tooz wrote carry no member id: nobody to tell).
]]
local told = {}
local deleted = false
for i = 1, #KEYS do
  local value = redis.pcall('GET', KEYS[i])
  if redis.call('DEL', KEYS[i]) == 1 then
    deleted = true
    local colon = type(value) == 'string' and string.find(value, ':', 1, true)
    if colon and not told[value] then
      told[value] = true
      redis.call('PUBLISH', ARGV[1] .. string.sub(value, colon + 1), 'L' .. string.sub(value, 1, colon - 1) .. ' ' .. KEYS[1])
    end
  end
end
if not deleted then
  return {CODE.NOT_HELD}
end
redis.call('PUBLISH', KEYS[1], 'R')
return {CODE.OK}
