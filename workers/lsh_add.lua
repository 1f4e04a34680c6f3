-- Insert documents into the LSH index (those not present), then query their buckets, in one
-- round trip. Every document of the call is inserted before any is queried.
-- KEYS: the id shard of each document.  ARGV: base, record_len, returned_len, bands, then per
-- document: doc_id, record, bucket names (3 bytes a band: band number, shard as uint16 LE).
-- Reply: per document, a flat list {name, record, ...}.
-- record = compact signature | shingle count (uint32) | one 4-byte hash per band; the first
-- returned_len bytes are what a candidate's verification needs.
-- Layout under base:  n   counter of internal document numbers
--   id:{crc}  hash doc_id -> number          nm:{num//64}  hash number -> doc_id
--   rec:{num//256}  string of fixed-size records
--   b:{band byte}{shard, 2 bytes LE}  hash 4-byte band hash -> packed little-endian uint32 numbers
-- The client computes bucket names (lsh_index.py; lsh_remove.lua computes the same from the
-- stored record): building them here took a fifth of the script's time.
local call, sub, floor = redis.call, string.sub, math.floor
local pack, unpack = struct.pack, struct.unpack
local base = ARGV[1]
local reclen, retlen, bands = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local prefix = base .. ':b:'
local batch = #KEYS > 1

local function bucket(record, names, band)
  local at = retlen + 4 * band - 3
  return prefix .. sub(names, 3 * band - 2, 3 * band), sub(record, at, at + 3)
end

-- batch only: how many documents of this call joined each bucket, so a bucket that only the
-- inserting document filled needs no query
local joined = {}

local function new_number(idkey, doc, record)
  local num = call('INCR', base .. ':n')
  call('HSET', idkey, doc, num)
  call('HSET', base .. ':nm:' .. floor(num / 64), num, doc)
  local chunk = base .. ':rec:' .. floor(num / 256)
  if num % 256 == 0 or num == 1 then
    -- allocated once at full size by the chunk's first number (growing by SETRANGE would
    -- over-allocate); numbers come from INCR, so each is taken exactly once
    call('SET', chunk, string.rep('\0', 256 * reclen))
  end
  call('SETRANGE', chunk, (num % 256) * reclen, record)
  return num
end

-- returns the document's number and, per band, the bucket's members before it joined
-- (nil when the document was already indexed: the query then reads every bucket)
local function insert(idkey, doc, record, names)
  local num = call('HGET', idkey, doc)
  if num then return tonumber(num), nil end
  num = new_number(idkey, doc, record)
  local packed, before = pack('<I4', num), {}
  for band = 1, bands do
    local key, field = bucket(record, names, band)
    if batch then
      local id = key .. field
      joined[id] = (joined[id] or 0) + 1
    end
    if call('HSETNX', key, field, packed) == 1 then
      before[band] = ''
    else
      local cur = call('HGET', key, field)
      call('HSET', key, field, cur .. packed)
      before[band] = cur
    end
  end
  return num, before
end

local function members(record, names, band, before)
  if before and not batch then return before[band] end
  local key, field = bucket(record, names, band)
  if before and before[band] == '' and joined[key .. field] == 1 then return '' end
  return call('HGET', key, field) or ''
end

local function query(num, before, record, names)
  local seen, out = {}, {}
  for band = 1, bands do
    local cur = members(record, names, band, before)
    for pos = 1, #cur, 4 do
      local other = unpack('<I4', cur, pos)
      if other ~= num and not seen[other] then
        seen[other] = true
        local name = call('HGET', base .. ':nm:' .. floor(other / 64), other)
        if name then
          local offset = (other % 256) * reclen
          out[#out + 1] = name
          out[#out + 1] = call('GETRANGE', base .. ':rec:' .. floor(other / 256),
            offset, offset + retlen - 1)
        end
      end
    end
  end
  return out
end

local nums, befores = {}, {}
for i = 1, #KEYS do
  nums[i], befores[i] = insert(KEYS[i], ARGV[2 + 3 * i], ARGV[3 + 3 * i], ARGV[4 + 3 * i])
end
local replies = {}
for i = 1, #KEYS do
  replies[i] = query(nums[i], befores[i], ARGV[3 + 3 * i], ARGV[4 + 3 * i])
end
return replies
