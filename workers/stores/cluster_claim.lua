-- Claim a match key for a document (workers.stores.cluster_store.ClusterStore.claim_call): the first
-- document with a match key holds it, the others are its exact duplicates.
-- KEYS: key hash -> first document, document -> its key hash, document -> signature digest (each
--       the bucket that holds this key hash or document: workers.stores.union_find_layout),
--       and optionally the document's record (sent with its save: no claim when the save was
--       refused, e.g. for a capture of a deleted document)
-- ARGV: key hash, doc id, digest of its compact signature (what a merge checks an edge against)
-- Reply: the first document with the key; nil while the document holds another key (its old
-- text, which ClusterStore.remove forgets first) or its record does not hold this key (the
-- record keeps the key hash's first characters: workers.stores.store; records before, all 40).
if KEYS[4] then
  local kept = redis.call('HGET', KEYS[4], 'key_hash')
  if not kept or kept == '' or kept ~= string.sub(ARGV[1], 1, #kept) then return false end
end
local held = redis.call('HGET', KEYS[2], ARGV[2])
if held and held ~= ARGV[1] then return false end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
return redis.call('HGET', KEYS[1], ARGV[1])
