-- Passage index on a Redis Cluster, the end of an add (under the state tag), once every group's
-- passage_group_add.lua has run: the pair weights (workers.stores.pair_links) and the reply of
-- passage_add.lua. Finals run one at a time (one slot), and a document's final marks it done
-- (its number's bit in base:done, as removal does: nothing to wait for). Each group counted a shared fingerprint for the later of its two holders,
-- so a pair's count is the sum of both documents' counts: the first of the two finals leaves
-- its count (and any fingerprint that stopped counting meanwhile, as -1) to the other, in
-- base:pend:{other's number} (hash: number -> count); the second adds it to its own and
-- applies the rule of passage_add.lua: at least min_shared -> both sides' weights.
-- ARGV: base, doc id, number, min_shared, pair weights' base, 1 if a re-add (counts are of every
-- holder: replied, weights left as they are),
-- how many counts, then {number, count} pairs, then {packed holders, times} of fingerprints
-- saturated by this add.
-- Reply: {doc id, shared fingerprints, ...} for the others sharing at least min_shared.
local base, doc, num, min_shared, weights = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local again, ncounts = ARGV[6] == '1', tonumber(ARGV[7])
local names, done = base .. ':name', base .. ':done'
local entry = call('HGET', base .. ':num', doc)
if not entry or string.match(entry, '^(%d+)') ~= num then return {} end  -- removed meanwhile

-- whether a number's final has run (or it was removed)
local function finished(number) return call('GETBIT', done, number) == 1 end

-- where what the pair (a, b) counted waits for the second of their finals
local function leave(to, from, n)
  if n ~= 0 then call('HINCRBY', base .. ':pend:' .. to, from, n) end
end

-- `times` fingerprints held by `held` stopped counting: in the weight of a pair both of whose
-- finals ran, else in what waits for the second
local function saturate(held, times)
  local found = {}
  for j = 1, #held, 4 do
    local number = struct.unpack('<I4', held, j)
    found[#found + 1] = {number, finished(number)}
  end
  for i = 1, #found do
    local a = found[i]
    for j = i + 1, #found do
      local b = found[j]
      if a[2] and b[2] then
        local one, other = call('HGET', names, a[1]), call('HGET', names, b[1])
        if one and other then lower(weights, one, other, times, min_shared) end
      elseif b[2] then leave(a[1], b[1], -times)
      else leave(b[1], a[1], -times) end
    end
  end
end

-- the reply: the others finished sharing at least min_shared; `write`: their pairs' weights set
-- (both sides), and the counts of the others still running left to their finals
local function settle(counts, write)
  local out = {}
  for other, n in pairs(counts) do
    if finished(other) then
      local name = n >= min_shared and call('HGET', names, other)
      if name then  -- (none: removed)
        out[#out + 1] = name
        out[#out + 1] = n
        if write then
          set_weight(weights, doc, name, n)
          set_weight(weights, name, doc, n)
        end
      end
    elseif write then
      leave(other, num, n)
    end
  end
  return out
end

local at = 8 + 2 * ncounts
for i = at, #ARGV, 2 do saturate(ARGV[i], tonumber(ARGV[i + 1])) end
local counts, pending = {}, base .. ':pend:' .. num
for i = 8, at - 1, 2 do counts[tonumber(ARGV[i])] = tonumber(ARGV[i + 1]) end
-- a re-add: its counts of every holder replied, as passage_add.lua replies; no weight changes
-- (the pairs' finals set them, and a saturation since may have lowered them)
if again then return settle(counts, false) end
if finished(num) then  -- the same add ran twice at once, the twin's final first:
  for other in pairs(counts) do  -- the weights it set are the pairs'
    local name = call('HGET', names, other)
    counts[other] = name and weight(weights, doc, name) or 0
  end
  return settle(counts, false)
end
local left = call('HGETALL', pending)
for i = 1, #left, 2 do
  local other = tonumber(left[i])
  counts[other] = (counts[other] or 0) + tonumber(left[i + 1])
end
call('DEL', pending)
local out = settle(counts, true)
call('SETBIT', done, num, 1)
return out
