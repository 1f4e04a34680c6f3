-- Save a document's new alignments, both directions, and read back all of its alignments
-- (workers.stores.store.Store.save_alignments), atomically.
-- KEYS: the document's alignment hash, its record.  ARGV: doc id, the content hash it was
-- aligned as ('': unchecked), then per other document: its id, its alignment hash, its record,
-- the content hash it was aligned as ('' : unchecked), the alignments (doc on side a), the same
-- swapped.
-- A pair whose other side no longer holds the text it was aligned with (changed or deleted by
-- another worker meanwhile, its old alignments already dropped) is not saved; nothing is when
-- the document itself no longer does (a deferred trace of a changed page): the reply is then nil.
local doc = ARGV[1]
if ARGV[2] ~= '' and redis.call('HGET', KEYS[2], 'content_hash') ~= ARGV[2] then return nil end
for i = 3, #ARGV, 6 do
  local other, expected = ARGV[i], ARGV[i + 3]
  if expected == '' or redis.call('HGET', ARGV[i + 2], 'content_hash') == expected then
    redis.call('HSET', KEYS[1], other, ARGV[i + 4])
    redis.call('HSET', ARGV[i + 1], doc, ARGV[i + 5])
  end
end
return redis.call('HGETALL', KEYS[1])
