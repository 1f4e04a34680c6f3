-- Passage index: forget one document. ARGV: base, doc_id, the fingerprints of its text packed
-- as passage_add.lua takes them (recomputed by the caller: no per-document list is stored), the
-- bytes of document numbers one hash value lists.
-- A fingerprint's holders span its field and continuation fields (passage_add.lua's Layout):
-- passage_layout.lua's `forget` writes them back without the document.
CHUNK = tonumber(ARGV[4])
local base, doc, packed = ARGV[1], ARGV[2], ARGV[3]
local entry = call('HGET', base .. ':num', doc)
if not entry then return 0 end
local num = tonumber(string.match(entry, '^(%d+)'))
forget(base .. ':s:', num, packed)
call('HDEL', base .. ':num', doc)
call('HDEL', base .. ':name', num)
return 1
