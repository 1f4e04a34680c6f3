-- Pair links (workers.stores.pair_links): a document's neighbours (pairs that pass the cluster edge
-- rule) into both sides' sorted sets of neighbours by rank; reply: those among its `count`
-- earliest, to align with now. A neighbour that has it among its own `count` earliest (and is
-- not among its) goes to the pending set instead (scored by a counter: see links_settled.lua) (workers.flow.relink aligns it with its earliest
-- once the queue drains: a speech's copies arriving newest first would each be aligned with
-- every copy before it, though only the `count` earliest stay linked).
-- ARGV: links base, count, the union-find's signature hash (in buckets: union_find_layout.lua,
-- sent first), the document key prefix, the record field that holds a document's rank key, doc
-- id, its signature digest, then per neighbour: its id and the digest it was verified against.
-- A side whose signature is not the one verified (changed or forgotten meanwhile) is left out.
-- Members are the documents' rank keys (dedup.pair_rule.rank_key, kept in their records; a record
-- without the field, written with another encoding, is left out like a changed side).
-- Reply false if the document itself changed meanwhile.
local base, count, sg, docs, field = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local doc, digest = ARGV[6], ARGV[7]
if redis.call('HGET', uf_key(sg, doc), doc) ~= digest then return false end
local me = redis.call('HGET', docs .. doc, field)
if not me then return false end
local own, added = base .. ':n:' .. doc, {}
for i = 8, #ARGV, 2 do
  local other = ARGV[i]
  local rank = redis.call('HGET', uf_key(sg, other), other) == ARGV[i + 1]
    and redis.call('HGET', docs .. other, field)
  if rank then
    redis.call('ZADD', own, 0, rank)
    redis.call('ZADD', base .. ':n:' .. other, 0, me)
    added[#added + 1] = {other, rank}
  end
end
local out = {}
for _, pair in ipairs(added) do
  if redis.call('ZRANK', own, pair[2]) < count then
    out[#out + 1] = pair[1]
  elseif redis.call('ZRANK', base .. ':n:' .. pair[1], me) < count then
    redis.call('ZADD', base .. ':pending', redis.call('INCR', base .. ':pseq'), pair[1])
  end
end
return out
