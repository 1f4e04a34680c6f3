-- Pair links (workers.stores.pair_links): pending documents done. ARGV: links base, then per document
-- its id and the score it had when it was taken. One pending again since (a newer score: a
-- newcomer among its earliest meanwhile) stays pending, and so does one not done (a worker
-- killed while it aligned): nothing is lost between taking and finishing.
local pending, gone = ARGV[1] .. ':pending', 0
for i = 2, #ARGV, 2 do
  if redis.call('ZSCORE', pending, ARGV[i]) == ARGV[i + 1] then
    gone = gone + redis.call('ZREM', pending, ARGV[i])
  end
end
return gone
