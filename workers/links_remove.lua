-- Pair links (workers.pair_links): forget one document's neighbours and pair weights, both sides.
-- ARGV: links base, doc id, its member in its neighbours' sorted sets (its rank key).
local base, doc, me = ARGV[1], ARGV[2], ARGV[3]
local own, weights = base .. ':n:' .. doc, base .. ':w:' .. doc
for _, rank in ipairs(redis.call('ZRANGE', own, 0, -1)) do
  redis.call('ZREM', base .. ':n:' .. string.match(rank, '([^|]*)$'), me)
end
for _, other in ipairs(redis.call('HKEYS', weights)) do
  redis.call('HDEL', base .. ':w:' .. other, doc)
end
redis.call('DEL', own, weights)
return 1
