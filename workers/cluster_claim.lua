-- Claim a match key for a document (workers.cluster_store.ClusterStore.claim_call): the first
-- document with a match key holds it, the others are its exact duplicates.
-- KEYS: key hash -> first document, document -> its key hash.  ARGV: key hash, doc id
-- Reply: the first document with the key; nil while the document holds another key (its old
-- text, which ClusterStore.remove forgets first).
local held = redis.call('HGET', KEYS[2], ARGV[2])
if held and held ~= ARGV[1] then return false end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return redis.call('HGET', KEYS[1], ARGV[1])
