-- Packed values of a family in buckets (workers.stores.key_buckets, whose `pack` and `unpack` are
-- the Python copies): `\n{other} {value}` per entry, other an id without space or newline, value
-- without newline. A missing field (HGET's false) reads as no entries. Sent after
-- union_find_layout.lua (the buckets' rule, `uf_key`) before the scripts that use them
-- (key_buckets.PRELUDES).

-- the first and last positions of the entry of `other`, or nil
local function pk_find(packed, other)
  local s = string.find(packed, '\n' .. other .. ' ', 1, true)
  if not s then return nil end
  local e = string.find(packed, '\n', s + 1, true)
  return s, (e or #packed + 1) - 1
end

-- `other`'s value in `packed` (nil: none)
local function pk_get(packed, other)
  local s, e = pk_find(packed or '', other)
  if s then return string.sub(packed, s + #other + 2, e) end
end

-- `packed` with `other`'s value set (in its place, or last when new)
local function pk_set(packed, other, value)
  packed = packed or ''
  local entry = '\n' .. other .. ' ' .. value
  local s, e = pk_find(packed, other)
  if not s then return packed .. entry end
  return string.sub(packed, 1, s - 1) .. entry .. string.sub(packed, e + 1)
end

-- `packed` without `other`'s entry ('' when none is left)
local function pk_del(packed, other)
  packed = packed or ''
  local s, e = pk_find(packed, other)
  if not s then return packed end
  return string.sub(packed, 1, s - 1) .. string.sub(packed, e + 1)
end

-- the ids of a packed value's entries, in order
local function pk_ids(packed)
  local ids = {}
  for id in string.gmatch(packed or '', '\n([^ ]*) ') do ids[#ids + 1] = id end
  return ids
end

-- write a field's packed value, or delete the field when it holds no entry
local function pk_store(key, field, packed)
  if packed == '' then return redis.call('HDEL', key, field) end
  return redis.call('HSET', key, field, packed)
end
