-- Mark a document indexed, and withdraw an earlier rejection of the same input (a retry that
-- went through), in one round trip (workers.stores.store.Store.mark_indexed).
-- KEYS: doc hash, changes zset, change counter, rejection hash, rejections zset, rejected stats,
--       union-find parents, union-find root -> cluster id (layout: cluster_merge.lua; the names
--       their buckets start with: union_find_layout.lua, sent first),
--       the set of documents waiting for their trace
-- ARGV: doc id, cluster id, reuse ratio, source count, input id, and when the trace is deferred:
--       its likely sources (ids, space-separated), kept in `trace_after` until the trace job runs,
--       and the content hash the document must hold (it is sent with its merge: a document
--       forgotten or saved with another text meanwhile is left alone, and the reply is nil)
-- Reply: the cluster id recorded ('' when the document is in no cluster yet)
-- The cluster id recorded is the document's cluster now (a split or a rename by another worker
-- since its merge replied may have moved it); the one given when it is in none.
local function cluster_now(x)
  local p = redis.call('HGET', uf_key(KEYS[7], x), x)
  if not p then return nil end
  while p ~= x do
    x = p
    p = redis.call('HGET', uf_key(KEYS[7], x), x)
  end
  return redis.call('HGET', uf_key(KEYS[8], x), x)
end

if ARGV[7] and redis.call('HGET', KEYS[1], 'content_hash') ~= ARGV[7] then return false end
local cid = cluster_now(ARGV[1]) or ARGV[2]
redis.call('HSET', KEYS[1], 'state', 'indexed', 'cluster_id', cid, 'reuse_ratio', ARGV[3],
           'source_count', ARGV[4])
if ARGV[6] then
  redis.call('HSET', KEYS[1], 'trace_after', ARGV[6])
  redis.call('SADD', KEYS[9], ARGV[1])
end
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
local stage = redis.call('HGET', KEYS[4], 'stage')
if stage then
  local reason = redis.call('HGET', KEYS[4], 'reason')
  redis.call('HINCRBY', KEYS[6], stage .. ':' .. reason, -1)
  redis.call('DEL', KEYS[4])
  redis.call('ZREM', KEYS[5], ARGV[5])
end
return cid
