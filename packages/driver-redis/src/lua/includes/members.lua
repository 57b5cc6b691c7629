--[[
  Shared by the group scripts. A member is alive while its deadline in the
  group's deadline set is in the future; a member with no deadline was
  written by Python tooz and is alive while its beat key exists.
  The owners hash names each member's current membership (the owner token
  its join wrote): refresh, update and leave act only on the membership
  they name, never on a newer one of the same member.
  Python tooz publishes nothing: the first script to see a member without
  a deadline sets the group's python marker and says so ("P"); from then
  on watchers re-check the group every interval (untimed_fingerprint).
  Group events, published on the group's key:
    "J<n>:<field><capabilities>"  joined (n = byte length of the field)
    "U<n>:<field><capabilities>"  updated
    "L<field>"                    left (or found dead)
    "D"                           group deleted
    "P"                           a Python tooz member was seen for the first time
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

-- Drops every dead member, Python tooz's included (tooz prunes on read too);
-- returns how many live members have no deadline (Python tooz's).
local function prune_all(group_key, deadlines_key, owners_key, now, inbox_prefix, beats_prefix)
  prune_expired(group_key, deadlines_key, owners_key, now, inbox_prefix)
  local untimed = 0
  for _, field in ipairs(redis.call('HKEYS', group_key)) do
    if field ~= '__created__' then
      if not is_alive(deadlines_key, field, now, beats_prefix) then
        remove_member(group_key, deadlines_key, owners_key, field, inbox_prefix)
      elseif not redis.call('ZSCORE', deadlines_key, field) then
        untimed = untimed + 1
      end
    end
  end
  return untimed
end

-- O(1): whether the group may hold a member without a deadline (every
-- member this driver writes has one; an operator's HDEL can leave a
-- deadline without a field, which hides an untimed member until it lapses).
local function has_untimed(group_key, deadlines_key)
  return redis.call('HLEN', group_key) - 1 > redis.call('ZCARD', deadlines_key)
end

-- Marks the group as having had a Python tooz member; tells watchers the first time.
local function mark_python(group_key, python_key)
  if redis.call('EXISTS', python_key) == 0 then
    redis.call('SET', python_key, '1')
    redis.call('PUBLISH', group_key, 'P')
  end
end

-- What the live members without a deadline (Python tooz's) are, as one
-- digest of their fields and capabilities ('' for none, '-' for no group),
-- after removing those whose beat key is gone, as tooz's reads do.
local function untimed_fingerprint(group_key, deadlines_key, owners_key, inbox_prefix, beats_prefix)
  if redis.call('EXISTS', group_key) == 0 then
    return '-'
  end
  local all = redis.call('HGETALL', group_key)
  local parts = {}
  for i = 1, #all, 2 do
    local field = all[i]
    if field ~= '__created__' and not redis.call('ZSCORE', deadlines_key, field) then
      if redis.call('EXISTS', beats_prefix .. member_of(field)) == 1 then
        parts[#parts + 1] = string.len(field) .. ':' .. field .. string.len(all[i + 1]) .. ':' .. all[i + 1]
      else
        remove_member(group_key, deadlines_key, owners_key, field, inbox_prefix)
      end
    end
  end
  if #parts == 0 then
    return ''
  end
  table.sort(parts)
  return redis.sha1hex(table.concat(parts, '\n'))
end

local function member_event(kind, field, capabilities)
  return kind .. string.len(field) .. ':' .. field .. capabilities
end
