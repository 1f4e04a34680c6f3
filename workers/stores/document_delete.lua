-- Forget a document and every alignment that mentions it, atomically (workers.stores.store.Store.delete):
-- an alignment another worker saves meanwhile is either dropped here or refused there
-- (alignments_save.lua checks the other side's content hash).
-- KEYS: doc hash, the bucket of its alignment pointers, docs zset, changes zset, change counter,
--       the set of documents waiting for their trace
-- ARGV: doc id, the alignment pointers' base (+ ':' + bucket: union_find_layout.lua's uf_key, and
--       key_buckets.lua, sent first), then the bucket and field of each of its URLs
-- It and the documents it was aligned with (whose sources may change) are marked changed.
local doc, base = ARGV[1], ARGV[2]
local others = pk_ids(redis.call('HGET', KEYS[2], doc))
for _, other in ipairs(others) do
  local theirs = uf_key(base, other)
  pk_store(theirs, other, pk_del(redis.call('HGET', theirs, other), doc))
end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], doc)
redis.call('ZREM', KEYS[3], doc)
redis.call('SREM', KEYS[6], doc)
for i = 3, #ARGV, 2 do redis.call('HDEL', ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[5]), doc)
for _, other in ipairs(others) do redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[5]), other) end
return #others
