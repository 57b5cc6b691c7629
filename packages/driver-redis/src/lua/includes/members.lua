--[[
  Shared by the group scripts. A member is alive while its deadline in the
  group's deadline set is in the future; a member with no deadline was
  written by Python tooz and is alive while its beat key exists.
  The owners hash names each member's current membership (the owner token
  its join wrote): refresh, update and leave act only on the membership
  they name, never on a newer one of the same member.
  Group events, published on the group's key:
    "J<n>:<field><capabilities>"  joined (n = byte length of the field)
    "U<n>:<field><capabilities>"  updated
    "L<field>"                    left (or found dead)
    "D"                           group deleted
  On the member's inbox: "M<owner> <group key>", that membership was removed.
]]
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function ms(value)
  return string.format('%.0f', value)
end

-- The member id behind a hash field (see memberField in keys.ts).
local function member_of(field)
  if string.sub(field, 1, 1) == '%' then
    return string.sub(field, 2)
  end
  return field
end

-- Whether the membership of `field` in the group now is the one `owner` joined.
local function owned(owners_key, field, owner)
  return redis.call('HGET', owners_key, field) == owner
end

-- Removes a member and tells everyone: watchers on the group's channel,
-- the member itself on its inbox (naming the membership removed).
local function remove_member(group_key, deadlines_key, owners_key, field, inbox_prefix)
  local owner = redis.call('HGET', owners_key, field) or ''
  redis.call('HDEL', group_key, field)
  redis.call('ZREM', deadlines_key, field)
  redis.call('HDEL', owners_key, field)
  redis.call('PUBLISH', group_key, 'L' .. field)
  redis.call('PUBLISH', inbox_prefix .. member_of(field), 'M' .. owner .. ' ' .. group_key)
end

local function prune_expired(group_key, deadlines_key, owners_key, now, inbox_prefix)
  local dead = redis.call('ZRANGEBYSCORE', deadlines_key, '-inf', '(' .. ms(now))
  for _, field in ipairs(dead) do
    remove_member(group_key, deadlines_key, owners_key, field, inbox_prefix)
  end
end

local function is_alive(deadlines_key, field, now, beats_prefix)
  local deadline = redis.call('ZSCORE', deadlines_key, field)
  if deadline then
    return tonumber(deadline) >= now
  end
  return redis.call('EXISTS', beats_prefix .. member_of(field)) == 1
end

-- Drops every dead member, Python tooz's included (tooz prunes on read too).
local function prune_all(group_key, deadlines_key, owners_key, now, inbox_prefix, beats_prefix)
  prune_expired(group_key, deadlines_key, owners_key, now, inbox_prefix)
  for _, field in ipairs(redis.call('HKEYS', group_key)) do
    if field ~= '__created__' and not is_alive(deadlines_key, field, now, beats_prefix) then
      remove_member(group_key, deadlines_key, owners_key, field, inbox_prefix)
    end
  end
end

local function member_event(kind, field, capabilities)
  return kind .. string.len(field) .. ':' .. field .. capabilities
end
