-- Passage index on a Redis Cluster, the start of a removal (under the state tag): the document's
-- number goes (a final skips a number without a name) and counts as finished (bit set in
-- base:done: no final leaves it a count from now on), with what others' finals left it.
-- ARGV: base, doc id. Reply: the number, or false.
local base, doc = ARGV[1], ARGV[2]
local entry = redis.call('HGET', base .. ':num', doc)
if not entry then return false end
local num = tonumber(string.match(entry, '^(%d+)'))
redis.call('HDEL', base .. ':num', doc)
redis.call('HDEL', base .. ':name', num)
redis.call('DEL', base .. ':pend:' .. num)
redis.call('SETBIT', base .. ':done', num, 1)
return num
