-- Passage index on a Redis Cluster, the start of an add (under the state tag): the document's
-- number, kept or given (passage_layout.lua's `numbered`, as passage_add.lua keeps it).
-- ARGV: base, doc id, fingerprint count.
-- Reply: {number, 1 if its first add has finished (bit `number` of base:done: this is a re-add)}.
local num = numbered(ARGV[1], ARGV[2], ARGV[3])
return {num, redis.call('GETBIT', ARGV[1] .. ':done', num)}
