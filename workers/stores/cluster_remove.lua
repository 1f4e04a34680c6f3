-- Forget a document: its match key claim, its place in its cluster, and its edges; the rest of
-- the cluster splits into the connected components of the remaining verified edges (weights
-- kept). Layout: cluster_merge.lua (cluster_rules.lua and union_find_layout.lua come first).
-- ARGV: base, cluster_prefix, clusters_zset, fingerprint_id, doc, doc key prefix, changes zset,
--       change counter
-- When the document held the match key of exact copies (whose one edge is to it), the smallest
-- copy takes the key over with the document's edges (it has the same signature, so the same
-- edges; it is in the LSH index like every document).
-- Every member left gets its new cluster id in its record and is marked changed (export).
-- Reply: {1 if it was clustered else 0, the successor or false}
local base, cpre, zkey, fpid, doc = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local dpre, changes, change_seq = ARGV[6], ARGV[7], ARGV[8]
local P, CID, DK, KH, SG = base .. ':p', base .. ':cid', base .. ':dk', base .. ':kh', base .. ':sg'

local function root_of(x)
  local p = redis.call('HGET', uf_key(P, x), x)
  if not p then return nil end
  while p ~= x do
    x = p
    p = redis.call('HGET', uf_key(P, x), x)
  end
  return x
end

local function ends(pair)
  local sep = string.find(pair, '|', 1, true)
  return string.sub(pair, 1, sep - 1), string.sub(pair, sep + 1)
end

local function pair(a, b)
  if b < a then a, b = b, a end
  return a .. '|' .. b
end

local key = redis.call('HGET', uf_key(DK, doc), doc)
redis.call('HDEL', uf_key(DK, doc), doc)
redis.call('HDEL', uf_key(SG, doc), doc)
local holder = key and redis.call('HGET', uf_key(KH, key), key) == doc
if holder then redis.call('HDEL', uf_key(KH, key), key) end
local root = root_of(doc)
if not root then return {0, false} end
local cid = redis.call('HGET', uf_key(CID, root), root)

-- members left, and the edges of the document
local meta, names = {}, {}
local flat = redis.call('HGETALL', cpre .. cid .. ':m')
for i = 1, #flat, 2 do
  redis.call('HDEL', uf_key(P, flat[i]), flat[i])
  if flat[i] ~= doc then
    meta[flat[i]] = flat[i + 1]
    names[#names + 1] = flat[i]
  end
end
redis.call('HDEL', uf_key(P, doc), doc)
table.sort(names)
local kept, mine, successor = {}, {}, nil
flat = redis.call('HGETALL', cpre .. cid .. ':e')
for i = 1, #flat, 2 do
  local a, b = ends(flat[i])
  if a == doc or b == doc then
    local other = a == doc and b or a
    mine[other] = flat[i + 1]
    local copy = string.sub(flat[i + 1], -6) == '|exact'
      and redis.call('HGET', uf_key(DK, other), other) == key
    if holder and copy and meta[other] and (not successor or other < successor) then successor = other end
  elseif meta[a] and meta[b] then
    kept[flat[i]] = flat[i + 1]
  end
end
if successor then  -- the copy stands where the document stood
  redis.call('HSET', uf_key(KH, key), key, successor)
  for other, value in pairs(mine) do
    if other ~= successor and meta[other] and not kept[pair(successor, other)] then
      kept[pair(successor, other)] = value
    end
  end
end

-- the components of the edges left
local parent = {}
local function find(x)
  while parent[x] ~= x do x = parent[x] end
  return x
end
for _, name in ipairs(names) do parent[name] = name end
for p in pairs(kept) do
  local ra, rb = find(ends(p)), find(select(2, ends(p)))
  if ra ~= rb then
    if rb < ra then ra, rb = rb, ra end
    parent[rb] = ra
  end
end
redis.call('DEL', cpre .. cid .. ':m', cpre .. cid .. ':e', cpre .. cid)
redis.call('ZREM', zkey, cid)
redis.call('HDEL', uf_key(CID, root), root)

-- each component as a cluster named after its smallest member (its root: names are sorted)
local groups, order = {}, {}
for _, name in ipairs(names) do
  local r = find(name)
  if not groups[r] then
    groups[r] = {}
    order[#order + 1] = r
  end
  table.insert(groups[r], name)
end
local largest = nil
for _, r in ipairs(order) do
  local gid = cluster_id(fpid, r)
  redis.call('DEL', cpre .. gid, cpre .. gid .. ':m', cpre .. gid .. ':e')
  local bp, bl, bd = nil, nil, nil
  for _, name in ipairs(groups[r]) do
    redis.call('HSET', uf_key(P, name), name, r)
    redis.call('HSET', cpre .. gid .. ':m', name, meta[name])
    local p, l = day_and_length(meta[name])
    if not bd or better(p, l, name, bp, bl, bd) then bp, bl, bd = p, l, name end
    if redis.call('EXISTS', dpre .. name) == 1 then
      redis.call('HSET', dpre .. name, 'cluster_id', gid)
      redis.call('ZADD', changes, redis.call('INCR', change_seq), name)
    end
  end
  redis.call('HSET', uf_key(CID, r), r, gid)
  redis.call('HSET', cpre .. gid, 'fingerprint_id', fpid, 'size', #groups[r], 'first', r,
    'representative', bd, 'rep_published', bp, 'rep_length', bl)
  redis.call('ZADD', zkey, #groups[r], gid)
  if not largest or #groups[r] > #groups[largest] then largest = r end
end
for p, value in pairs(kept) do
  local root_p = find(ends(p))
  local gid = redis.call('HGET', uf_key(CID, root_p), root_p)
  redis.call('HSET', cpre .. gid .. ':e', p, value)
end
if largest and redis.call('EXISTS', cpre .. cid) == 0 then  -- the old id points the way
  redis.call('HSET', cpre .. cid, 'merged_into', cluster_id(fpid, largest))
end
return {1, successor or false}
