-- Passage index: the shards' layout, shared by passage_add.lua, passage_remove.lua and their
-- per-group counterparts (passage_group_add.lua, passage_group_remove.lua). See passage_add.lua's
-- Layout. A script sets CHUNK (the bytes of document numbers one hash value lists) and `me` (the
-- document's packed number) from its ARGV before using these.
local call, sub = redis.call, string.sub
local CHUNK, me
-- a document's number, kept or given (base:seq), named (base:name number -> doc), with its
-- fingerprint count (base:num doc -> "number:count")
local function numbered(base, doc, count)
  local entry = call('HGET', base .. ':num', doc)
  local num
  if entry then
    num = tonumber(string.match(entry, '^(%d+)'))
  else
    num = call('INCR', base .. ':seq')
    call('HSET', base .. ':name', num, doc)
  end
  call('HSET', base .. ':num', doc, num .. ':' .. count)
  return num
end

local function chunk_field(field, k) return k == 0 and field or field .. string.char(k) end

-- where `held` (packed numbers) holds `me` at a number boundary (nil: it does not)
local function holds(held)
  local at = string.find(held, me, 1, true)
  while at and at % 4 ~= 1 do at = string.find(held, me, at + 1, true) end
  return at
end

-- a fingerprint's holders: its field's value and, when that is full, its continuation fields'
local function all_holders(key, field, held)
  if #held < CHUNK then return held end
  local parts, k = {held}, 1
  repeat
    local more = call('HGET', key, chunk_field(field, k))
    if more then parts[#parts + 1] = more end
    k = k + 1
  until not more or #more < CHUNK
  return table.concat(parts)
end

-- `me` after the holders `held`: in their last field, or a new one when that is full
local function append(key, field, held)
  local last = math.floor(#held / CHUNK)
  call('HSET', key, chunk_field(field, last), sub(held, last * CHUNK + 1) .. me)
end

-- the fingerprint saturates: '!' in its field, its continuation fields gone
local function saturate_field(key, field, bytes)
  call('HSET', key, field, '!')
  for k = 1, math.ceil(bytes / CHUNK) - 1 do call('HDEL', key, chunk_field(field, k)) end
end

-- Add `me` to the holders of the fingerprints `packed` (9 bytes each: shard suffix 3, field 6)
-- under `prefix`. Returns the fingerprints shared, per other packed number (every holder; with
-- `before_me`, only those ahead of `me` in the holders' order: of two documents the later one
-- counts a fingerprint they share, whichever ran first), and the holders of fingerprints that
-- passed `max_docs` here -> how many (a template's copies: one set of holders).
-- Counted by packed number: unpacking every holder of every fingerprint was most of the time.
local function add_fingerprints(prefix, packed, max_docs, before_me)
  local counts, saturated = {}, {}
  for i = 1, #packed, 9 do
    local key, field = prefix .. sub(packed, i, i + 2), sub(packed, i + 3, i + 8)
    local held = call('HGET', key, field)
    if not held then
      call('HSET', key, field, me)
    elseif held ~= '!' then
      held = all_holders(key, field, held)
      local present = holds(held)
      if not present and #held / 4 + 1 > max_docs then
        saturate_field(key, field, #held)
        saturated[held] = (saturated[held] or 0) + 1
      else
        if not present then append(key, field, held) end
        local last = (present and before_me) and present - 1 or #held
        for j = 1, last, 4 do
          local other = sub(held, j, j + 3)
          if other ~= me then counts[other] = (counts[other] or 0) + 1 end
        end
      end
    end
  end
  return counts, saturated
end

-- Take `num` (a number) out of the holders of the fingerprints `packed` under `prefix`: they are
-- written back without it, CHUNK bytes to a field, and emptied fields go.
local function forget(prefix, num, packed)
  for i = 1, #packed, 9 do
    local key, field = prefix .. sub(packed, i, i + 2), sub(packed, i + 3, i + 8)
    local held = call('HGET', key, field)
    if held and held ~= '!' then
      local parts = {held}
      while #parts[#parts] == CHUNK do
        local more = call('HGET', key, chunk_field(field, #parts))
        if not more then break end
        parts[#parts + 1] = more
      end
      local kept = {}
      for _, part in ipairs(parts) do
        for j = 1, #part, 4 do
          if struct.unpack('<I4', part, j) ~= num then kept[#kept + 1] = sub(part, j, j + 3) end
        end
      end
      local rest = table.concat(kept)
      for k = 0, #parts - 1 do
        local value = sub(rest, k * CHUNK + 1, (k + 1) * CHUNK)
        if value == '' then call('HDEL', key, chunk_field(field, k)) else call('HSET', key, chunk_field(field, k), value) end
      end
    end
  end
end

-- Pair weights (workers.stores.pair_links): a document's are one field of its bucket of `weights`
-- (union_find_layout.lua's uf_key), other id -> count packed (key_buckets.lua; both sent first).
local function weight(weights, a, b)
  local n = pk_get(call('HGET', uf_key(weights, a), a), b)
  return n and tonumber(n)
end

local function set_weight(weights, a, b, n)
  local key = uf_key(weights, a)
  call('HSET', key, a, pk_set(call('HGET', key, a), b, n))
end

local function drop_weight(weights, a, b)
  local key = uf_key(weights, a)
  pk_store(key, a, pk_del(call('HGET', key, a), b))
end

-- A pair's weight counts `times` fingerprints fewer; below `min_shared` it goes, on both sides.
local function lower(weights, a, b, times, min_shared)
  local n = weight(weights, a, b)
  if not n then return end
  if n - times < min_shared then
    drop_weight(weights, a, b)
    drop_weight(weights, b, a)
  else
    set_weight(weights, a, b, n - times)
    set_weight(weights, b, a, (weight(weights, b, a) or 0) - times)
  end
end

-- `lower` for every pair of `names` that has a weight, each document's weights read once: a
-- fingerprint passing the cap has up to max_docs holders (~1,200 pairs), most without a weight,
-- and a read a pair of a packed value cost passage_add.lua ~20% more server time
local function lower_among(weights, names, times, min_shared)
  for i = 1, #names do
    local held = call('HGET', uf_key(weights, names[i]), names[i])
    if held then  -- (lowering names[i]'s pair with names[j] leaves its other entries as they are)
      for j = i + 1, #names do
        if pk_find(held, names[j]) then lower(weights, names[i], names[j], times, min_shared) end
      end
    end
  end
end
