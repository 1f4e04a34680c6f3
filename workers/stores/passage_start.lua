-- Passage index on a Redis Cluster, the start of an add (under the state tag): the document's
-- number, kept or given (base:num doc -> "number:fingerprint count", then ":f" once its
-- passage_final.lua ran; base:name number -> doc). ARGV: base, doc id, fingerprint count.
-- Reply: {number, 1 if the document's first add has finished (this is a re-add), else 0}.
local base, doc, count = ARGV[1], ARGV[2], ARGV[3]
local entry = redis.call('HGET', base .. ':num', doc)
local num, done
if entry then
  num, done = string.match(entry, '^(%d+):%d+(:?f?)$')
  done = done == ':f'
else
  num, done = redis.call('INCR', base .. ':seq'), false
  redis.call('HSET', base .. ':name', num, doc)
end
redis.call('HSET', base .. ':num', doc, num .. ':' .. count .. (done and ':f' or ''))
return {tonumber(num), done and 1 or 0}
