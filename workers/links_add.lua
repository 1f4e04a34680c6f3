-- Pair links (workers.pair_links): a document's neighbours (pairs that pass the cluster edge
-- rule) into both sides' sorted sets of neighbours by rank, then the ones it must be aligned with
-- now: those among its `count` earliest neighbours, and those that have it among theirs.
-- ARGV: links base, count, the union-find's signature hash, the document key prefix, doc id, its
-- signature digest, then per neighbour: its id and the digest it was verified against.
-- A side whose signature is not the one verified (changed or forgotten meanwhile) is left out.
-- Members are the documents' rank keys (dedup.pair_rule.rank_key, kept in their records).
-- Reply: false if the document itself changed meanwhile, else the neighbours to align with.
local base, count, sg, docs = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local doc, digest = ARGV[5], ARGV[6]
if redis.call('HGET', sg, doc) ~= digest then return false end
local me = redis.call('HGET', docs .. doc, 'rank')
if not me then return false end
local own, added = base .. ':n:' .. doc, {}
for i = 7, #ARGV, 2 do
  local other = ARGV[i]
  local rank = redis.call('HGET', sg, other) == ARGV[i + 1] and redis.call('HGET', docs .. other, 'rank')
  if rank then
    redis.call('ZADD', own, 0, rank)
    redis.call('ZADD', base .. ':n:' .. other, 0, me)
    added[#added + 1] = {other, rank}
  end
end
local out = {}
for _, pair in ipairs(added) do
  local mine = redis.call('ZRANK', own, pair[2])
  local theirs = redis.call('ZRANK', base .. ':n:' .. pair[1], me)
  if mine < count or theirs < count then out[#out + 1] = pair[1] end
end
return out
