-- Save a document's new alignments, both directions, and read back all of its alignments
-- (workers.stores.store.Store.save_alignments), atomically.
-- KEYS: the bucket of the document's alignment pointers, its record.  ARGV: doc id, the content
-- hash it was aligned as ('': unchecked), then per other document: its id, the bucket of its
-- alignment pointers, its record, the content hash it was aligned as ('' : unchecked), the
-- pointer for the doc on side a, the same swapped.
-- A document's pointers are one field of its bucket, packed (key_buckets.lua, sent first); the
-- document's own is written once (a bucket's encoding rewrites it whole at each write).
-- A pair whose other side no longer holds the text it was aligned with (changed or deleted by
-- another worker meanwhile, its old alignments already dropped) is not saved; nothing is when
-- the document itself no longer does (a deferred trace of a changed page): the reply is then nil.
-- Reply: the document's pointers, packed ('' for none).
local doc = ARGV[1]
if ARGV[2] ~= '' and redis.call('HGET', KEYS[2], 'content_hash') ~= ARGV[2] then return nil end
local mine = redis.call('HGET', KEYS[1], doc)
local before = mine
for i = 3, #ARGV, 6 do
  local other, expected, theirs = ARGV[i], ARGV[i + 3], ARGV[i + 1]
  if expected == '' or redis.call('HGET', ARGV[i + 2], 'content_hash') == expected then
    mine = pk_set(mine, other, ARGV[i + 4])
    if other == doc then  -- (a pair with itself: both directions are the one field)
      mine = pk_set(mine, doc, ARGV[i + 5])
    else
      redis.call('HSET', theirs, other, pk_set(redis.call('HGET', theirs, other), doc, ARGV[i + 5]))
    end
  end
end
if mine ~= before then redis.call('HSET', KEYS[1], doc, mine) end
return mine or ''
