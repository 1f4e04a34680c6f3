-- Passage index on a Redis Cluster, one group's part of an add (workers.stores.passage_index):
-- the document's fingerprints of the shards in this group (shard -> group by its low bits), the
-- shards' work of passage_add.lua (passage_layout.lua's add_fingerprints). Numbers and pair
-- weights are not here but under the state tag: passage_start.lua gave the number, and
-- passage_final.lua gets this reply.
-- ARGV: group base, the document's packed number, max_docs, fingerprints (as passage_add.lua's),
-- CHUNK, 1 to count every holder (a re-add: the document's first add has finished) or 0 to count
-- only those ahead of it (of two documents sharing a fingerprint the later one counts it, so
-- the two documents' counts add up to the pair's, whatever ran first, and a retry counts the same).
-- Reply: {{number, shared fingerprints, ...}, {packed holders, fingerprints saturated, ...}}.
me, CHUNK = ARGV[2], tonumber(ARGV[5])
local counts, saturated = add_fingerprints(ARGV[1] .. ':s:', ARGV[4], tonumber(ARGV[3]), ARGV[6] == '0')
local shared, passed = {}, {}
for other, n in pairs(counts) do
  shared[#shared + 1] = struct.unpack('<I4', other)
  shared[#shared + 1] = n
end
for held, times in pairs(saturated) do
  passed[#passed + 1] = held
  passed[#passed + 1] = times
end
return {shared, passed}
