-- Forget a document and every alignment that mentions it, atomically (workers.stores.store.Store.delete):
-- an alignment another worker saves meanwhile is either dropped here or refused there
-- (alignments_save.lua checks the other side's content hash).
-- KEYS: doc hash, its alignment hash, docs zset, changes zset, change counter, the set of
--       documents waiting for their trace
-- ARGV: doc id, alignment key prefix (+ other doc id = its alignment hash), URL keys...
-- It and the documents it was aligned with (whose sources may change) are marked changed.
local doc, prefix = ARGV[1], ARGV[2]
local others = redis.call('HKEYS', KEYS[2])
for _, other in ipairs(others) do redis.call('HDEL', prefix .. other, doc) end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], doc)
redis.call('SREM', KEYS[6], doc)
for i = 3, #ARGV do redis.call('DEL', ARGV[i]) end
redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[5]), doc)
for _, other in ipairs(others) do redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[5]), other) end
return #others
