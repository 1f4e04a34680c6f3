-- Insert documents into the LSH index (those not present), then query their buckets, in one
-- round trip. Every document of the call is inserted before any is queried.
-- KEYS: the id shard of each document.  ARGV: base, shard_mask, record_len, returned_len, bands,
-- then per document: doc_id, record.  Reply: per document, a flat list {name, record, ...}.
-- record = compact signature | shingle count (uint32) | one 4-byte hash per band; the first
-- returned_len bytes are what a candidate's verification needs.
-- Layout under base:  n   counter of internal document numbers
--   id:{crc}  hash doc_id -> number          nm:{num//64}  hash number -> doc_id
--   rec:{num//256}  string of fixed-size records
--   b:{band}:{h & mask}  hash 4-byte band hash -> packed little-endian uint32 numbers
local base = ARGV[1]
local mask, reclen, retlen, bands = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]),
  tonumber(ARGV[5])
local prefix = base .. ':b:'

local function bucket(record, band)
  local at = retlen + 4 * band - 3
  local field = string.sub(record, at, at + 3)
  return prefix .. band .. ':' .. (struct.unpack('<I4', field) % (mask + 1)), field
end

-- buckets this call filled: a bucket that held only the inserting document needs no query
-- unless another document of the same call joined it
local joined = {}

local function insert(idkey, doc, record)
  local lone = {}
  local num = redis.call('HGET', idkey, doc)
  if num then return tonumber(num), lone end
  num = redis.call('INCR', base .. ':n')
  redis.call('HSET', idkey, doc, num)
  redis.call('HSET', base .. ':nm:' .. math.floor(num / 64), num, doc)
  local chunk = base .. ':rec:' .. math.floor(num / 256)
  if redis.call('EXISTS', chunk) == 0 then
    -- allocated once at full size: growing by SETRANGE would over-allocate
    redis.call('SET', chunk, string.rep('\0', 256 * reclen))
  end
  redis.call('SETRANGE', chunk, (num % 256) * reclen, record)
  local packed = struct.pack('<I4', num)
  for band = 1, bands do
    local key, field = bucket(record, band)
    local id = key .. '/' .. field
    joined[id] = (joined[id] or 0) + 1
    if redis.call('HSETNX', key, field, packed) == 1 then
      lone[band] = id
    else
      redis.call('HSET', key, field, redis.call('HGET', key, field) .. packed)
    end
  end
  return num, lone
end

local function query(num, lone, record)
  local seen, out = {}, {}
  for band = 1, bands do
    local id = lone[band]
    if not (id and joined[id] == 1) then
      local key, field = bucket(record, band)
      local cur = redis.call('HGET', key, field) or ''
      for pos = 1, #cur, 4 do
        local other = struct.unpack('<I4', cur, pos)
        if other ~= num and not seen[other] then
          seen[other] = true
          local name = redis.call('HGET', base .. ':nm:' .. math.floor(other / 64), other)
          if name then
            local offset = (other % 256) * reclen
            out[#out + 1] = name
            out[#out + 1] = redis.call('GETRANGE', base .. ':rec:' .. math.floor(other / 256),
              offset, offset + retlen - 1)
          end
        end
      end
    end
  end
  return out
end

local nums, lones = {}, {}
for i = 1, #KEYS do
  nums[i], lones[i] = insert(KEYS[i], ARGV[4 + 2 * i], ARGV[5 + 2 * i])
end
local replies = {}
for i = 1, #KEYS do
  replies[i] = query(nums[i], lones[i], ARGV[5 + 2 * i])
end
return replies
