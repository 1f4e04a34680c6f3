-- Pair links (workers.stores.pair_links): forget one document's neighbours and pair weights, both sides.
-- ARGV: links base, doc id, its member in its neighbours' sorted sets (its rank key), count, the
-- pair weights' base (a document's: a field of its bucket, packed; union_find_layout.lua and
-- key_buckets.lua, sent first).
-- A neighbour that had it among its `count` earliest has another one there now, maybe never
-- aligned with it: it goes to the pending set (workers.flow.relink). Reply: how many went.
local base, doc, me, count, weights = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local own, mine = base .. ':n:' .. doc, uf_key(weights, doc)
local pending = 0
for _, rank in ipairs(redis.call('ZRANGE', own, 0, -1)) do
  local other = string.match(rank, '|(.*)$')  -- the id: dedup.pair_rule.ranked_id
  local theirs = base .. ':n:' .. other
  local at = redis.call('ZRANK', theirs, me)
  redis.call('ZREM', theirs, me)
  if at and at < count and redis.call('ZCARD', theirs) >= count then
    pending = pending + redis.call('ZADD', base .. ':pending', redis.call('INCR', base .. ':pseq'), other)
  end
end
for _, other in ipairs(pk_ids(redis.call('HGET', mine, doc))) do
  local theirs = uf_key(weights, other)
  pk_store(theirs, other, pk_del(redis.call('HGET', theirs, other), doc))
end
redis.call('ZREM', base .. ':pending', doc)
redis.call('DEL', own)
redis.call('HDEL', mine, doc)
return pending
