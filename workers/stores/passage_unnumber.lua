-- Passage index on a Redis Cluster, the start of a removal (under the state tag): the document's
-- number goes (so no final counts it from now on: a number without a name is skipped), with
-- what others' finals left for it. ARGV: base, doc id. Reply: the number, or false.
local base, doc = ARGV[1], ARGV[2]
local entry = redis.call('HGET', base .. ':num', doc)
if not entry then return false end
local num = string.match(entry, '^(%d+)')
redis.call('HDEL', base .. ':num', doc)
redis.call('HDEL', base .. ':name', num)
redis.call('DEL', base .. ':pend:' .. num)
return tonumber(num)
