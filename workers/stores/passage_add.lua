-- Passage index: add one document's fingerprints, then count shared fingerprints per other doc.
-- The sharing rule is stated by dedup.sharing.MemorySharing (authoritative); this is its Redis
-- copy, and tests/test_passage_index.py checks that both agree.
-- ARGV: base, doc_id, max_docs, min_shared, fingerprints (9 bytes each: shard suffix 3, field 6),
-- the pair weights' base (workers.stores.pair_links: a document's are a field of a bucket), the
-- bytes of document numbers one hash value lists (workers.stores.passage_index.CHUNK; see Layout).
-- Reply: {doc id, shared fingerprints, ...} for the others sharing at least min_shared.
-- Pair weights: for such a pair, both sides' hashes keep the count of shared fingerprints held
-- by at most max_docs documents. A fingerprint that passes max_docs here stops counting for the
-- pairs of its holders: their weights go down by one, and a weight below min_shared goes.
-- Layout (key names built here: on a Redis Cluster, passage_group_add.lua and passage_final.lua):
--   base:s:{shard}  hash   field (the fingerprint but its low 17 bits, the shard's) -> packed numbers of the documents
--                          holding it, or '!' once more than max_docs hold it (stock phrases,
--                          site boilerplate: never grown again, never counted). A value lists at
--                          most CHUNK / 4 numbers (16 in 64 bytes: hash-max-ziplist-value's default),
--                          the next ones go to field .. '\1', then field .. '\2', ... in the same hash, so
--                          that a popular fingerprint never turns its shard into a hash table
--                          (~95 B an entry against 20-30 B compact).
--   base:num        hash   doc id -> "number:fingerprint count";  base:name  hash  number -> doc id
-- Adding is idempotent: a number already in an entry is not appended twice.
-- The shards' functions (add_fingerprints, ...) are passage_layout.lua's, sent before this script.
CHUNK = tonumber(ARGV[7])
local base, doc, max_docs, min_shared = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local packed, weights = ARGV[5], ARGV[6]
if #packed == 0 then return {} end  -- no fingerprint: nothing to index, nothing to find
local num = numbered(base, doc, #packed / 9)
me = struct.pack('<I4', num)

-- `times` fingerprints held by `held` (packed numbers) no longer count for their pairs
local function saturate(held, times)
  local names = {}
  for j = 1, #held, 4 do
    local name = call('HGET', base .. ':name', (struct.unpack('<I4', held, j)))
    if name then names[#names + 1] = name end
  end
  lower_among(weights, names, times, min_shared)
end

local counts, saturated = add_fingerprints(base .. ':s:', packed, max_docs, false)
for held, times in pairs(saturated) do saturate(held, times) end
local out, names = {}, base .. ':name'
local own = uf_key(weights, doc)
local mine = call('HGET', own, doc)
local before = mine
for other, n in pairs(counts) do
  local name = n >= min_shared and call('HGET', names, (struct.unpack('<I4', other)))
  if name then  -- a number without a name was removed meanwhile
    out[#out + 1] = name
    out[#out + 1] = n
    mine = pk_set(mine, name, n)  -- (written once: a bucket's encoding rewrites it whole a write)
    set_weight(weights, name, doc, n)
  end
end
if mine ~= before then call('HSET', own, doc, mine) end
return out
