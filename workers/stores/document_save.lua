-- Save a document record in one round trip (workers.stores.store.Store.save and save_new_call).
-- KEYS: doc hash, seq counter, docs zset, changes zset, change counter, deletions hash
-- ARGV: doc id, seq (0: assign the next), guard, captured (epoch s, or ''), number of URLs n,
--       the bucket and field of each of the n URLs (workers.stores.key_buckets), field, value, ...
-- guard '' saves unconditionally. Otherwise it is the record's content hash, and a record stored
-- under the id with another content hash, or indexed with this one, is left as it is: the reply
-- is then {'other'} or {'indexed', cluster id, '1' while its trace waits (deferred)} instead of
-- the seq. A capture made before the document was deleted is not saved: {'deleted'}.
local seq, guard = tonumber(ARGV[2]), ARGV[3]
if guard ~= '' then
  local deleted = tonumber(redis.call('HGET', KEYS[6], ARGV[1]))
  if deleted and ARGV[4] ~= '' and tonumber(ARGV[4]) <= deleted then return {'deleted'} end
  local stored = redis.call('HMGET', KEYS[1], 'content_hash', 'state', 'seq', 'cluster_id', 'trace_after')
  if stored[1] then
    if stored[1] ~= guard then return {'other'} end
    if stored[2] == 'indexed' then return {'indexed', stored[4], stored[5] and '1' or ''} end
    seq = tonumber(stored[3])  -- a re-run of the same content keeps its ingest sequence number
  end
end
if seq == 0 then seq = redis.call('INCR', KEYS[2]) end
local n = tonumber(ARGV[5])
for i = 6, 5 + 2 * n, 2 do redis.call('HSET', ARGV[i], ARGV[i + 1], ARGV[1]) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'seq', seq, unpack(ARGV, 6 + 2 * n))
redis.call('ZADD', KEYS[3], seq, ARGV[1])
redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[5]), ARGV[1])
return seq
