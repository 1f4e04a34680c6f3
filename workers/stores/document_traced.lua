-- A deferred trace done (workers.stores.store.Store.mark_traced): the document's reuse summary, and
-- it leaves the documents waiting for their trace; it is marked changed (an incremental export
-- writes it again, now traced). Only for the text the trace was queued for, still waiting.
-- KEYS: doc hash, the set of documents waiting for their trace, changes zset, change counter
-- ARGV: doc id, content hash, reuse ratio, source count
-- Reply: 1, or 0 when the document is gone, holds another text or is traced already.
local stored = redis.call('HMGET', KEYS[1], 'content_hash', 'trace_after')
if stored[1] ~= ARGV[2] or not stored[2] then return 0 end
redis.call('HSET', KEYS[1], 'reuse_ratio', ARGV[3], 'source_count', ARGV[4])
redis.call('HDEL', KEYS[1], 'trace_after')
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), ARGV[1])
return 1
