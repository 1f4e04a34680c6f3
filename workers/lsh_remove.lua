-- Remove a document from the LSH index (see lsh_add.lua for the layout). Returns 1 if it was there.
-- ARGV: base, doc_id, shard_mask, record_len, returned_len, bands
local base, doc = ARGV[1], ARGV[2]
local mask, reclen, retlen, bands = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]),
  tonumber(ARGV[6])
local idkey = KEYS[1]
local num = redis.call('HGET', idkey, doc)
if not num then return 0 end
num = tonumber(num)
local chunk = base .. ':rec:' .. math.floor(num / 256)
local offset = (num % 256) * reclen
local fields = redis.call('GETRANGE', chunk, offset + retlen, offset + retlen + 4 * bands - 1)
local packed = struct.pack('<I4', num)
for band = 1, bands do
  local field = string.sub(fields, 4 * band - 3, 4 * band)
  local b1, b2 = string.byte(field, 1, 2)
  local shard = (b1 + 256 * b2) % (mask + 1)
  local key = base .. ':b:' .. string.char(band, shard % 256, math.floor(shard / 256))
  local cur = redis.call('HGET', key, field)
  if cur then
    local kept = {}
    for pos = 1, #cur, 4 do
      local part = string.sub(cur, pos, pos + 3)
      if part ~= packed then kept[#kept + 1] = part end
    end
    if #kept == 0 then
      redis.call('HDEL', key, field)
    else
      redis.call('HSET', key, field, table.concat(kept))
    end
  end
end
redis.call('SETRANGE', chunk, offset, string.rep('\0', reclen))
redis.call('HDEL', base .. ':nm:' .. math.floor(num / 64), num)
redis.call('HDEL', idkey, doc)
return 1
