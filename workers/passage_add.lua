-- Passage index: add one document's fingerprints, then count shared fingerprints per other doc.
-- ARGV: base, doc_id, max_docs, fingerprints (9 bytes each: shard suffix 3, field 6).
-- Layout (one Redis; key names built here, so not cluster-safe):
--   base:s:{shard}  hash   field (low fingerprint bits) -> packed 4-byte numbers of the documents
--                          holding it, or '!' once more than max_docs hold it (stock phrases,
--                          site boilerplate: never grown again, never counted)
--   base:num        hash   doc id -> "number:fingerprint count";  base:name  hash  number -> doc id
-- Adding is idempotent: a number already in an entry is not appended twice.
local call, sub = redis.call, string.sub
local base, doc, max_docs, packed = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
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
local counts = {}
for i = 1, #packed, 9 do
  local key, field = prefix .. sub(packed, i, i + 2), sub(packed, i + 3, i + 8)
  local held = call('HGET', key, field)
  if not held then
    call('HSET', key, field, me)
  elseif held ~= '!' then
    local others, present = {}, false
    for j = 1, #held, 4 do
      local other = struct.unpack('<I4', held, j)
      if other == num then present = true else others[#others + 1] = other end
    end
    if not present and #others + 1 > max_docs then
      call('HSET', key, field, '!')
    else
      if not present then call('HSET', key, field, held .. me) end
      for _, other in ipairs(others) do counts[other] = (counts[other] or 0) + 1 end
    end
  end
end
local out = {}
for other, n in pairs(counts) do
  out[#out + 1] = redis.call('HGET', base .. ':name', other)
  out[#out + 1] = n
end
return out
