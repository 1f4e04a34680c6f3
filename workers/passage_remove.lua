-- Passage index: forget one document. ARGV: base, doc_id, then (shard, field) per fingerprint
-- of its text (recomputed by the caller, so no per-document fingerprint list is stored).
local base, doc = ARGV[1], ARGV[2]
local entry = redis.call('HGET', base .. ':num', doc)
if not entry then return 0 end
local num = tonumber(string.match(entry, '^(%d+)'))
for i = 3, #ARGV, 2 do
  local key, field = base .. ':s:' .. ARGV[i], ARGV[i + 1]
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
