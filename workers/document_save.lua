-- Save a document record in one round trip (workers.store.Store.save).
-- KEYS: doc hash, seq counter, docs zset, changes zset, change counter
-- ARGV: doc id, seq (0: assign the next), number of URL keys n, n URL keys, field, value, ...
local seq = tonumber(ARGV[2])
if seq == 0 then seq = redis.call('INCR', KEYS[2]) end
local n = tonumber(ARGV[3])
for i = 4, 3 + n do redis.call('SET', ARGV[i], ARGV[1]) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'seq', seq, unpack(ARGV, 4 + n))
redis.call('ZADD', KEYS[3], seq, ARGV[1])
redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[5]), ARGV[1])
return seq
