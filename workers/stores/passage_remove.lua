-- Passage index: forget one document. ARGV: base, doc_id, the fingerprints of its text packed
-- as passage_add.lua takes them (recomputed by the caller: no per-document list is stored), the
-- bytes of document numbers one hash value lists.
-- A fingerprint's holders span its field and continuation fields (passage_add.lua's Layout):
-- they are written back without the document, CHUNK bytes to a field, and emptied fields go.
local call, sub = redis.call, string.sub
local CHUNK = tonumber(ARGV[4])
local function chunk_field(field, k) return k == 0 and field or field .. string.char(k) end
local base, doc, packed = ARGV[1], ARGV[2], ARGV[3]
local entry = call('HGET', base .. ':num', doc)
if not entry then return 0 end
local num = tonumber(string.match(entry, '^(%d+)'))

-- the holders' fields of one fingerprint, read while full: their values
local function chunks(key, field, first)
  local parts = {first}
  while #parts[#parts] == CHUNK do
    local more = call('HGET', key, chunk_field(field, #parts))
    if not more then break end
    parts[#parts + 1] = more
  end
  return parts
end

for i = 1, #packed, 9 do
  local key, field = base .. ':s:' .. sub(packed, i, i + 2), sub(packed, i + 3, i + 8)
  local held = call('HGET', key, field)
  if held and held ~= '!' then
    local parts = chunks(key, field, held)
    local kept = {}
    for _, part in ipairs(parts) do
      for j = 1, #part, 4 do
        if struct.unpack('<I4', part, j) ~= num then kept[#kept + 1] = sub(part, j, j + 3) end
      end
    end
    local rest = table.concat(kept)
    for k = 0, #parts - 1 do
      local value = sub(rest, k * CHUNK + 1, (k + 1) * CHUNK)
      if value == '' then call('HDEL', key, chunk_field(field, k)) else call('HSET', key, chunk_field(field, k), value) end
    end
  end
end
call('HDEL', base .. ':num', doc)
call('HDEL', base .. ':name', num)
return 1
