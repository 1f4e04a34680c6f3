-- Passage index on a Redis Cluster, one group's part of a removal: the number out of the holders
-- of the document's fingerprints in this group. ARGV: group base, number, fingerprints, CHUNK.
CHUNK = tonumber(ARGV[4])
forget(ARGV[1] .. ':s:', tonumber(ARGV[2]), ARGV[3])
return 1
