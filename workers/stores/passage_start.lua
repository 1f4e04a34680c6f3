-- Passage index on a Redis Cluster, the start of an add (under the state tag): the document's
-- number, kept or given (base:num doc -> "number:fingerprint count", base:name number -> doc, as
-- passage_add.lua keeps them). ARGV: base, doc id, fingerprint count.
-- Reply: {number, 1 if its first add has finished (bit `number` of base:done: this is a re-add)}.
local base, doc, count = ARGV[1], ARGV[2], ARGV[3]
local entry = redis.call('HGET', base .. ':num', doc)
local num
if entry then
  num = tonumber(string.match(entry, '^(%d+)'))
else
  num = redis.call('INCR', base .. ':seq')
  redis.call('HSET', base .. ':name', num, doc)
end
redis.call('HSET', base .. ':num', doc, num .. ':' .. count)
return {num, redis.call('GETBIT', base .. ':done', num)}
