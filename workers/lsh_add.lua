-- Insert a document into the LSH index (unless present), then query its buckets: one round trip.
-- ARGV: base, doc_id, record, shard_mask, record_len, returned_len, bands
-- record = compact signature | shingle count (uint32) | one 4-byte hash per band; the first
-- returned_len bytes are what a candidate's verification needs.
-- Layout under base:  n   counter of internal document numbers
--   id:{crc}  hash doc_id -> number          nm:{num//64}  hash number -> doc_id
--   rec:{num//256}  string of fixed-size records
--   b:{band}:{h & mask}  hash 4-byte band hash -> packed little-endian uint32 numbers
local base, doc, record = ARGV[1], ARGV[2], ARGV[3]
local mask, reclen, retlen = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local bands = tonumber(ARGV[7])
local idkey = KEYS[1]
local num = redis.call('HGET', idkey, doc)
local fresh = false
if num then
  num = tonumber(num)
else
  num = redis.call('INCR', base .. ':n')
  fresh = true
  redis.call('HSET', idkey, doc, num)
  redis.call('HSET', base .. ':nm:' .. math.floor(num / 64), num, doc)
  local chunk = base .. ':rec:' .. math.floor(num / 256)
  if redis.call('EXISTS', chunk) == 0 then
    -- allocated once at full size: growing by SETRANGE would over-allocate
    redis.call('SET', chunk, string.rep('\0', 256 * reclen))
  end
  redis.call('SETRANGE', chunk, (num % 256) * reclen, record)
end
local packed = struct.pack('<I4', num)
local seen, found = {}, {}
for band = 1, bands do
  local at = retlen + 4 * band - 3
  local field = string.sub(record, at, at + 3)
  local key = base .. ':b:' .. band .. ':' .. (struct.unpack('<I4', field) % (mask + 1))
  local cur = nil
  -- most buckets hold one document: a fresh insert then costs one call per band
  if not fresh or redis.call('HSETNX', key, field, packed) == 0 then
    cur = redis.call('HGET', key, field)
    if fresh then redis.call('HSET', key, field, cur .. packed) end
  end
  if cur then
    for pos = 1, #cur, 4 do
      local other = struct.unpack('<I4', cur, pos)
      if other ~= num and not seen[other] then
        seen[other] = true
        found[#found + 1] = other
      end
    end
  end
end
local out = {}
for _, other in ipairs(found) do
  local name = redis.call('HGET', base .. ':nm:' .. math.floor(other / 64), other)
  if name then
    local offset = (other % 256) * reclen
    out[#out + 1] = name
    out[#out + 1] = redis.call('GETRANGE', base .. ':rec:' .. math.floor(other / 256),
      offset, offset + retlen - 1)
  end
end
return out
