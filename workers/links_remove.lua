-- Pair links (workers.pair_links): forget one document's neighbours and pair weights, both sides.
-- ARGV: links base, doc id, its member in its neighbours' sorted sets (its rank key), count.
-- Reply: {neighbour, promoted, ...}: for each neighbour that had the document among its `count`
-- earliest, the one that takes its place there (a pair the rule links now, maybe never aligned).
local base, doc, me, count = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local own, weights = base .. ':n:' .. doc, base .. ':w:' .. doc
local promoted = {}
for _, rank in ipairs(redis.call('ZRANGE', own, 0, -1)) do
  local other = string.match(rank, '([^|]*)$')
  local theirs = base .. ':n:' .. other
  local at = redis.call('ZRANK', theirs, me)
  redis.call('ZREM', theirs, me)
  if at and at < count then
    local next = redis.call('ZRANGE', theirs, count - 1, count - 1)[1]
    if next then
      promoted[#promoted + 1] = other
      promoted[#promoted + 1] = string.match(next, '([^|]*)$')
    end
  end
end
for _, other in ipairs(redis.call('HKEYS', weights)) do
  redis.call('HDEL', base .. ':w:' .. other, doc)
end
redis.call('DEL', own, weights)
return promoted
