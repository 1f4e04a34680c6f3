-- Remove a document from the LSH index (layout and addresses: see lsh_add.lua). Returns 1 if it
-- was there.  KEYS[1]: base .. ':n'.  ARGV: base, doc_id, crc32 of doc_id (uint32 LE),
-- returned_len, bands, band_d, id_d
local call, floor, char, sub, byte, find = redis.call, math.floor, string.char, string.sub,
  string.byte, string.find
local tunpack = unpack
local unpack = struct.unpack
local base, doc, crc = ARGV[1], ARGV[2], ARGV[3]
local bands, band_d, id_d = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local retlen = tonumber(ARGV[4])
local reclen = retlen + 4 * bands
local n = tonumber(call('GET', KEYS[1])) or 0

local function name(a)
  return char(a % 256, floor(a / 256) % 256, floor(a / 65536))
end

local function shard(h, d)
  local s = floor(n / d)
  if s < 1 then s = 1 end
  local lo = 1
  while lo * 2 <= s do lo = lo * 2 end
  local a = h % (lo * 2)
  if a >= s then a = h % lo end
  return name(a)
end

local idkey = base .. ':id:' .. shard(unpack('<I4', crc), id_d)
local found = call('HGET', idkey, doc)
if not found then return 0 end
local num, packed = unpack('<I4', found), sub(found, 1, 4)
local chunk, slot = base .. ':rec:' .. name(floor(num / 256)), char(num % 256)
local record = call('HGET', chunk, slot)
-- the name field (length byte 255: the name is in nm) and the band hashes
local long, fields = byte(record, retlen - 23) == 255, sub(record, retlen + 1, reclen)
local keys = {}
for band = 1, bands do
  local b1, b2, b3, b4 = byte(fields, 4 * band - 3, 4 * band)
  keys[band] = base .. ':b:' .. char(band) .. shard(b1 + 256 * (b2 + 256 * (b3 + 256 * b4)), band_d)
end
local current = call('MGET', tunpack(keys))
local writes, gone = {}, {}
for band = 1, bands do
  local cur, entry = current[band], sub(fields, 4 * band - 3, 4 * band) .. packed
  local pos = cur and find(cur, entry, 1, true)
  while pos and pos % 8 ~= 1 do pos = find(cur, entry, pos + 1, true) end
  if pos then
    cur = sub(cur, 1, pos - 1) .. sub(cur, pos + 8)
    if cur == '' then
      gone[#gone + 1] = keys[band]
    else
      writes[#writes + 1], writes[#writes + 2] = keys[band], cur
    end
  end
end
if #writes > 0 then call('MSET', tunpack(writes)) end
if #gone > 0 then call('DEL', tunpack(gone)) end
call('HDEL', chunk, slot)
if long then call('HDEL', base .. ':nm:' .. name(floor(num / 32)), packed) end
call('HDEL', idkey, doc)
return 1
