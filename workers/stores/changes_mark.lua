-- Mark documents changed for the incremental export (workers.stores.store.Store.mark_changed).
-- KEYS: changes zset, change counter. ARGV: doc ids.
for _, doc in ipairs(ARGV) do
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), doc)
end
return #ARGV
