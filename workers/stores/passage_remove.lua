-- Passage index: forget one document. ARGV: base, doc_id, the fingerprints of its text packed
-- as passage_add.lua takes them (recomputed by the caller: no per-document list is stored).
local base, doc, packed = ARGV[1], ARGV[2], ARGV[3]
local entry = redis.call('HGET', base .. ':num', doc)
if not entry then return 0 end
local num = tonumber(string.match(entry, '^(%d+)'))
for i = 1, #packed, 9 do
  local key, field = base .. ':s:' .. string.sub(packed, i, i + 2), string.sub(packed, i + 3, i + 8)
  local held = redis.call('HGET', key, field)
  if held and held ~= '!' then
    local kept = {}
    for j = 1, #held, 4 do
      local other = struct.unpack('<I4', held, j)
      if other ~= num then kept[#kept + 1] = struct.pack('<I4', other) end
    end
    if #kept == 0 then redis.call('HDEL', key, field) else redis.call('HSET', key, field, table.concat(kept)) end
  end
end
redis.call('HDEL', base .. ':num', doc)
redis.call('HDEL', base .. ':name', num)
return 1
