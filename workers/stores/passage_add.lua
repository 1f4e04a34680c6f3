-- Passage index: add one document's fingerprints, then count shared fingerprints per other doc.
-- The sharing rule is stated by dedup.sharing.MemorySharing (authoritative); this is its Redis
-- copy, and tests/test_passage_index.py checks that both agree.
-- ARGV: base, doc_id, max_docs, min_shared, fingerprints (9 bytes each: shard suffix 3, field 6),
-- the pair weights' key prefix (workers.stores.pair_links: weights .. doc id is a hash), the
-- bytes of document numbers one hash value lists (workers.stores.passage_index.CHUNK; see Layout).
-- Reply: {doc id, shared fingerprints, ...} for the others sharing at least min_shared.
-- Pair weights: for such a pair, both sides' hashes keep the count of shared fingerprints held
-- by at most max_docs documents. A fingerprint that passes max_docs here stops counting for the
-- pairs of its holders: their weights go down by one, and a weight below min_shared goes.
-- Layout (one Redis; key names built here, so not cluster-safe):
--   base:s:{shard}  hash   field (the fingerprint but its low 17 bits, the shard's) -> packed numbers of the documents
--                          holding it, or '!' once more than max_docs hold it (stock phrases,
--                          site boilerplate: never grown again, never counted). A value lists at
--                          most CHUNK / 4 numbers (16 in 64 bytes: hash-max-ziplist-value's default),
--                          the next ones go to field .. '\1', then field .. '\2', ... in the same hash, so
--                          that a popular fingerprint never turns its shard into a hash table
--                          (~95 B an entry against 20-30 B compact).
--   base:num        hash   doc id -> "number:fingerprint count";  base:name  hash  number -> doc id
-- Adding is idempotent: a number already in an entry is not appended twice.
local call, sub = redis.call, string.sub
local CHUNK = tonumber(ARGV[7])
local function chunk_field(field, k) return k == 0 and field or field .. string.char(k) end
local base, doc, max_docs, min_shared = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local packed, weights = ARGV[5], ARGV[6]
if #packed == 0 then return {} end  -- no fingerprint: nothing to index, nothing to find
local entry = redis.call('HGET', base .. ':num', doc)
local num
if entry then
  num = tonumber(string.match(entry, '^(%d+)'))
else
  num = redis.call('INCR', base .. ':seq')
  redis.call('HSET', base .. ':name', num, doc)
end
redis.call('HSET', base .. ':num', doc, num .. ':' .. (#packed / 9))
local me, prefix = struct.pack('<I4', num), base .. ':s:'

-- whether `held` (packed numbers) holds `me` at a number boundary
local function holds(held)
  local at = string.find(held, me, 1, true)
  while at and at % 4 ~= 1 do at = string.find(held, me, at + 1, true) end
  return at ~= nil
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

-- `times` fingerprints held by `held` (packed numbers) no longer count for their pairs
local function saturate(held, times)
  local names = {}
  for j = 1, #held, 4 do
    local name = call('HGET', base .. ':name', (struct.unpack('<I4', held, j)))
    if name then names[#names + 1] = name end
  end
  for i = 1, #names do
    local own = weights .. names[i]
    for j = i + 1, #names do
      local weight = call('HGET', own, names[j])
      if weight then
        local other = weights .. names[j]
        if tonumber(weight) - times < min_shared then
          call('HDEL', own, names[j])
          call('HDEL', other, names[i])
        else
          call('HINCRBY', own, names[j], -times)
          call('HINCRBY', other, names[i], -times)
        end
      end
    end
  end
end

-- counted by packed number: unpacking every holder of every fingerprint was most of the time
local counts, saturated = {}, {}  -- saturated: holders -> fingerprints they stop sharing here
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
      saturated[held] = (saturated[held] or 0) + 1  -- a template's copies: one set of holders
    else
      if not present then append(key, field, held) end
      for j = 1, #held, 4 do
        local other = sub(held, j, j + 3)
        if other ~= me then counts[other] = (counts[other] or 0) + 1 end
      end
    end
  end
end
for held, times in pairs(saturated) do saturate(held, times) end
local out, names = {}, base .. ':name'
for other, n in pairs(counts) do
  local name = n >= min_shared and call('HGET', names, (struct.unpack('<I4', other)))
  if name then  -- a number without a name was removed meanwhile
    out[#out + 1] = name
    out[#out + 1] = n
    call('HSET', weights .. doc, name, n)
    call('HSET', weights .. name, doc, n)
  end
end
return out
