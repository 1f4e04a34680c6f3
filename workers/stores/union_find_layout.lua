-- The union-find's layout (sent before cluster_merge.lua, cluster_remove.lua, document_indexed.lua
-- and links_add.lua; workers.stores.union_find_layout.bucket is the Python copy, and
-- tests/test_cluster_rules.py checks that both agree). Each of its hashes (base:p, base:cid, base:sg,
-- base:dk, base:kh) is 4,096 buckets, `hash:bbb`, bbb a field's first 3 characters when they are
-- lowercase hex (document ids and key hashes are), else a hash of the field: a bucket stays small
-- enough for Redis's compact encoding (hash-max-ziplist-entries) up to millions of documents. The
-- buckets share the base's hash tag: a script still touches one cluster slot.
local function uf_bucket(field)
  local head = string.sub(field, 1, 3)
  if string.find(head, '^[0-9a-f][0-9a-f][0-9a-f]$') then return head end
  local h = 0  -- (exact in a double: below 2^24)
  for i = 1, #field do h = (h * 131 + string.byte(field, i)) % 65521 end
  return string.format('%03x', h % 4096)
end

-- the key of the bucket of `hash` (e.g. base .. ':p') that holds `field`
local function uf_key(hash, field) return hash .. ':' .. uf_bucket(field) end
