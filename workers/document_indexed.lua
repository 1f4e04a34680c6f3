-- Mark a document indexed, and withdraw an earlier rejection of the same input (a retry that
-- went through), in one round trip (workers.store.Store.mark_indexed).
-- KEYS: doc hash, changes zset, change counter, rejection hash, rejections zset, rejected stats
-- ARGV: doc id, cluster id, reuse ratio, source count, input id
redis.call('HSET', KEYS[1], 'state', 'indexed', 'cluster_id', ARGV[2], 'reuse_ratio', ARGV[3],
           'source_count', ARGV[4])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
local stage = redis.call('HGET', KEYS[4], 'stage')
if stage then
  local reason = redis.call('HGET', KEYS[4], 'reason')
  redis.call('HINCRBY', KEYS[6], stage .. ':' .. reason, -1)
  redis.call('DEL', KEYS[4])
  redis.call('ZREM', KEYS[5], ARGV[5])
end
return 1
