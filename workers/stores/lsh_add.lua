-- Insert documents into the LSH index (those not present), then query their buckets, in one
-- round trip. Every document of the call is inserted before any is queried. The rule (buckets,
-- insert-then-query, candidates in id order) is dedup.lsh.MemoryLSHIndex's (authoritative);
-- tests/test_redis_index.py checks that both agree.
-- KEYS[1]: base .. ':n'.  ARGV: base, returned_len, bands, band_d, id_d, then per document:
-- doc_id, crc32 of doc_id (uint32 LE), record.
-- Reply: per document, a list of its candidates' whole records (a long name appended).
-- record = compact signature | shingle count (uint32) | name field | one 4-byte hash per band
-- (uint32 LE); the first returned_len bytes (up to the band hashes) are what a candidate's
-- verification needs. Name field: 24 bytes, the doc_id's length and the doc_id zero-padded
-- when it fits in 23 bytes (service ids are 20), else 255 and zeros: the name is then in the
-- nm hash, and the script appends it to the returned record. So a candidate costs one HGET
-- (k4 read an nm hash and a record range: ~28k server instructions a candidate).
-- A single add passes no number to redis.call: Redis formats each with snprintf("%.17g"),
-- ~2,500 instructions (records were ranges of a string, read by GETRANGE: two numbers a
-- candidate).
-- Layout "k7" under base (k6's keys with dedup.lsh's CRC-32 band hashes; numbers are uint32
-- LE; shard and chunk names 3 bytes LE):
--   n               number of documents ever indexed (internal numbers are 1..n)
--   nm:{num//32}    hash number -> doc_id, only of doc_ids too long for the name field
--   rec:{num//256}  hash slot (num % 256, one byte) -> record
--   id:{shard}      hash doc_id -> number .. crc32 of doc_id
--   b:{band byte}{shard}  string of 8-byte entries, band hash .. number; a bucket is every
--                   entry with that band hash
-- Bucket shards are strings: one MGET reads a document's shards of all bands, a bucket is found
-- by a C string search, and the document's entry is APPENDed (an MSET of the whole shards cost
-- as many instructions, but wrote twice the AOF: 2,380 against 2,520 docs/s building 100k
-- documents; APPEND's spare capacity: 1,240 against 1,070 bytes/doc; 16-entry shards. k7,
-- 32-entry shards: MSET 1,119k against APPEND 1,128k server instructions an add). Shards
-- grow with the index by linear hashing, so each keeps about band_d (id_d) entries at any
-- index size: with n documents there are S = max(1, n // d) shards; hash h lives in shard
-- h mod 2^(L+1), or h mod 2^L when that is >= S (2^L <= S < 2^(L+1)). When n reaches a
-- multiple of d, S grows by one: shard S - 2^L hands its entries with bit L of h set to the
-- new shard S (both rewritten at their exact size). lsh_remove.lua uses the same addresses.
-- Shard names hold 24 bits: n < d * 2^24.
-- Where an add's ~1.12M server instructions go (10k documents, Redis 6.2, AOF on; ablations
-- under callgrind): the 42 APPENDs with their AOF propagation 22%, the MGET and bucket searches
-- 21%, band shard splits 14% (~1,800 instructions an entry, 84 entries an add at any shard
-- size; a table of string.byte, struct unpack/pack and gsub with tables all measured slower),
-- id shard splits 1.5%, calling the script 3%.
local call, sub, floor, char, byte, find = redis.call, string.sub, math.floor,
  string.char, string.byte, string.find
local tunpack, concat = unpack, table.concat
local pack, unpack = struct.pack, struct.unpack
local base = ARGV[1]
local retlen, bands = tonumber(ARGV[2]), tonumber(ARGV[3])
local band_d, id_d = tonumber(ARGV[4]), tonumber(ARGV[5])
local reclen = retlen + 4 * bands
local long_name = retlen - 23  -- the name field's length byte: 255 when the name is in nm
local count = (#ARGV - 5) / 3
local bprefix, iprefix, rprefix = base .. ':b:', base .. ':id:', base .. ':rec:'
local batch = count > 1
local n = tonumber(call('GET', KEYS[1])) or 0
local first_n = n

-- shard count for n documents; lo = 2^L, bits = L
local function geometry(d)
  local s = floor(n / d)
  if s < 1 then s = 1 end
  local lo, bits = 1, 0
  while lo * 2 <= s do lo, bits = lo * 2, bits + 1 end
  return s, lo, bits
end
local bs, blo, bbits = geometry(band_d)
local is, ilo = geometry(id_d)

-- (math.floor is a C call: the hot paths divide exact multiples instead)
local function name(a)
  local a1 = a % 256
  local a2 = (a - a1) / 256 % 256
  return char(a1, a2, (a - a1 - 256 * a2) / 65536)
end

-- the document's bucket shard keys (current geometry) and band hashes. A call from Lua to C
-- costs ~900 instructions and a new string ~1,000: all bytes come from one string.byte, and a
-- key is one struct.pack (char and a concatenation cost twice as much)
local function buckets(record)
  local keys, fields, s, lo, lo2 = {}, {}, bs, blo, 2 * blo
  local b = {byte(record, retlen + 1, reclen)}
  local at = retlen - 3
  for band = 1, bands do
    at = at + 4
    local i = 4 * band
    local h = b[i - 3] + 256 * (b[i - 2] + 256 * (b[i - 1] + 256 * b[i]))
    local a = h % lo2
    if a >= s then a = h % lo end
    keys[band] = pack('<c0BI3', bprefix, band, a)
    fields[band] = sub(record, at, at + 3)
  end
  return keys, fields
end

-- numbers in the bucket `field` of shard string `cur` from its match at pos (entries start at
-- 8k + 1), into seen/out
local function members(cur, field, pos, seen, out)
  while pos do
    if pos % 8 == 1 then
      local other = unpack('<I4', cur, pos + 4)
      if not seen[other] then
        seen[other] = true
        out[#out + 1] = other
      end
      pos = find(cur, field, pos + 8, true)
    else
      pos = find(cur, field, pos + 1, true)
    end
  end
end

-- the entries of shard string `cur` whose byte k (0-based) has `bit` clear, and those where it
-- is set: one pass, one sub per run of entries going the same way, ~1,800 instructions an
-- entry (a gsub per side with an 8-item pattern: ~2 x 1,000; struct.unpack and pack of the
-- entries as numbers: ~2,800)
local function split(cur, k, bit)
  local sides, counts, bit2 = {{}, {}}, {0, 0}, 2 * bit
  local start, side = 1, nil
  for pos = 1 + k, #cur, 8 do
    local s = byte(cur, pos) % bit2 >= bit and 2 or 1
    if s ~= side then
      if side then
        local c = counts[side] + 1
        counts[side], sides[side][c] = c, sub(cur, start, pos - k - 1)
      end
      start, side = pos - k, s
    end
  end
  sides[side][counts[side] + 1] = sub(cur, start)
  return concat(sides[1]), concat(sides[2])
end

-- split shard S - 2^L of every band: entries with bit L of their hash set move to shard S
local function split_bands()
  local olds = {}
  for band = 1, bands do olds[band] = bprefix .. char(band) .. name(bs - blo) end
  local values = call('MGET', tunpack(olds))
  local k, bit = floor(bbits / 8), 2 ^ (bbits % 8)
  local writes, gone = {}, {}
  for band = 1, bands do
    local cur = values[band]
    if cur then
      local stay, go = split(cur, k, bit)
      if go ~= '' then
        writes[#writes + 1], writes[#writes + 2] = bprefix .. char(band) .. name(bs), go
        if stay ~= '' then
          writes[#writes + 1], writes[#writes + 2] = olds[band], stay
        else
          gone[#gone + 1] = olds[band]
        end
      end
    end
  end
  if #writes > 0 then call('MSET', tunpack(writes)) end
  if #gone > 0 then call('DEL', tunpack(gone)) end
end

-- the same for the doc id shard: entries with bit L of their crc set move
local function split_ids()
  local old, new = iprefix .. name(is - ilo), iprefix .. name(is)
  local all = call('HGETALL', old)
  local moved, fields = {}, {}
  for i = 1, #all, 2 do
    if unpack('<I4', all[i + 1], 5) % (2 * ilo) >= ilo then
      moved[#moved + 1], moved[#moved + 2] = all[i], all[i + 1]
      fields[#fields + 1] = all[i]
    end
  end
  if #fields > 0 then
    call('HSET', new, tunpack(moved))
    call('HDEL', old, tunpack(fields))
  end
end

-- n has just grown by one: split when a shard count grows
local function grow()
  if n % band_d == 0 and n >= 2 * band_d then
    split_bands()
    bs, blo, bbits = geometry(band_d)
  end
  if n % id_d == 0 and n >= 2 * id_d then
    split_ids()
    is, ilo = geometry(id_d)
  end
end

local function id_key(crc)
  local h = unpack('<I4', crc)
  local a = h % (2 * ilo)
  if a >= is then a = h % ilo end
  return pack('<c0I3', iprefix, a)
end

-- the nm hash of a number, and its field: binary, as Lua formats numbers with sprintf (1.5%
-- of the instructions per add at 100k documents, most of it per candidate)
local function name_key(num)
  return base .. ':nm:' .. name((num - num % 32) / 32), pack('<I4', num)
end

local function new_number(doc, crc, record)
  n = n + 1
  grow()
  local packed = pack('<I4', n)
  call('HSET', id_key(crc), doc, packed .. crc)
  if byte(record, long_name) == 255 then  -- (the nm key only then: a string costs ~1,000+)
    local key, field = name_key(n)
    call('HSET', key, field, doc)
  end
  local slot = n % 256
  call('HSET', pack('<c0I3', rprefix, (n - slot) / 256), char(slot), record)
  return n, packed
end

-- batch only: per bucket, the documents of this call that joined it, in order
local joined = {}

-- returns the document's number and, when it was new, the numbers it found in its buckets on
-- joining (with the set of them and, batch only, its bucket ids for later_joiners); nil when
-- it was already indexed: then the query reads its buckets
local function insert(doc, crc, record)
  local found = call('HGET', id_key(crc), doc)
  if found then return unpack('<I4', found), nil end
  local num, packed = new_number(doc, crc, record)
  local keys, fields = buckets(record)
  local current = call('MGET', tunpack(keys))
  local seen, out = {[num] = true}, {}
  for band = 1, bands do
    local cur, field = current[band], fields[band]
    local pos = cur and find(cur, field, 1, true)
    if pos then members(cur, field, pos, seen, out) end
    if batch then
      local id = band .. field
      local list = joined[id]
      if list then list[#list + 1] = num else joined[id] = {num} end
      fields[band] = id
    end
    call('APPEND', keys[band], field .. packed)
  end
  return num, out, seen, fields
end

-- batch: the call's documents that joined the buckets after this one (it found the earlier)
local function later_joiners(ids, seen, out)
  for band = 1, bands do
    for _, other in ipairs(joined[ids[band]]) do
      if not seen[other] then
        seen[other] = true
        out[#out + 1] = other
      end
    end
  end
end

-- the numbers sharing a bucket with an already indexed document
local function query(num, record)
  local keys, fields = buckets(record)
  local current, out, seen = call('MGET', tunpack(keys)), {}, {[num] = true}
  for band = 1, bands do
    local cur, field = current[band], fields[band]
    local pos = cur and find(cur, field, 1, true)
    if pos then members(cur, field, pos, seen, out) end
  end
  return out
end

-- the records of the numbers (a long name appended); a removed number is in no bucket
local function named(nums)
  local out = {}
  for i, other in ipairs(nums) do
    local slot = other % 256
    local rec = call('HGET', pack('<c0I3', rprefix, (other - slot) / 256), char(slot))
    if byte(rec, long_name) == 255 then rec = rec .. call('HGET', name_key(other)) end
    out[i] = rec
  end
  return out
end

local nums, outs, seens, ids = {}, {}, {}, {}
for i = 1, count do
  local at = 3 + 3 * i
  nums[i], outs[i], seens[i], ids[i] = insert(ARGV[at], ARGV[at + 1], ARGV[at + 2])
end
if n == first_n + 1 then
  call('INCR', KEYS[1])
elseif n ~= first_n then
  call('INCRBY', KEYS[1], n - first_n)
end
local replies = {}
for i = 1, count do
  local found = outs[i]
  if not found then
    found = query(nums[i], ARGV[5 + 3 * i])
  elseif batch then
    later_joiners(ids[i], seens[i], found)
  end
  replies[i] = named(found)
end
return replies
