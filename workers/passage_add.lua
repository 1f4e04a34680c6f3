-- Passage index: add one document's fingerprints, then count shared fingerprints per other doc.
-- ARGV: base, doc_id, max_docs, fingerprint...
-- Keys (built here, one Redis, not cluster-safe): base:f:{fp} set of doc ids,
-- base:d:{doc} set of the doc's fingerprints (so re-adding changed text and removal are exact).
-- A fingerprint set that already holds more than max_docs ids is saturated: it is not grown
-- further and never counted (stock phrases, site boilerplate).
local base, doc, max_docs = ARGV[1], ARGV[2], tonumber(ARGV[3])
local doc_key = base .. ':d:' .. doc
local wanted = {}
for i = 4, #ARGV do wanted[ARGV[i]] = true end
for _, old in ipairs(redis.call('SMEMBERS', doc_key)) do
  if not wanted[old] then
    redis.call('SREM', base .. ':f:' .. old, doc)
    redis.call('SREM', doc_key, old)
  end
end
local counts = {}
for i = 4, #ARGV do
  local fp_key = base .. ':f:' .. ARGV[i]
  local size = redis.call('SCARD', fp_key)
  if size <= max_docs then
    size = size + redis.call('SADD', fp_key, doc)
    redis.call('SADD', doc_key, ARGV[i])
  end
  if size > 1 and size <= max_docs then
    for _, other in ipairs(redis.call('SMEMBERS', fp_key)) do
      if other ~= doc then counts[other] = (counts[other] or 0) + 1 end
    end
  end
end
local out = {}
for other, n in pairs(counts) do
  out[#out + 1] = other
  out[#out + 1] = n
end
return out
