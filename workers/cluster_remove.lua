-- Take a document out of its cluster and split what no longer connects (layout: cluster_merge.lua).
-- ARGV: base, cluster_prefix, clusters_zset, fingerprint_id, doc.  Returns 1 if it was clustered.
local base, cpre, zkey, fpid, doc = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local P, CID = base .. ':p', base .. ':cid'

local function root_of(x)
  local p = redis.call('HGET', P, x)
  if not p then return nil end
  while p ~= x do
    x = p
    p = redis.call('HGET', P, x)
  end
  return x
end

local root = root_of(doc)
if not root then return 0 end
local cid = redis.call('HGET', CID, root)
local meta, edges = {}, {}
local flat = redis.call('HGETALL', cpre .. cid .. ':m')
for i = 1, #flat, 2 do
  redis.call('HDEL', P, flat[i])
  if flat[i] ~= doc then meta[flat[i]] = flat[i + 1] end
end
redis.call('HDEL', P, doc)
flat = redis.call('HGETALL', cpre .. cid .. ':e')
local parent = {}
local function find(x)
  while parent[x] ~= x do x = parent[x] end
  return x
end
local names = {}
for name in pairs(meta) do
  parent[name] = name
  names[#names + 1] = name
end
table.sort(names)
for i = 1, #flat, 2 do
  local sep = string.find(flat[i], '|', 1, true)
  local a, b = string.sub(flat[i], 1, sep - 1), string.sub(flat[i], sep + 1)
  if a ~= doc and b ~= doc and meta[a] and meta[b] then
    edges[#edges + 1] = {a, b, flat[i], flat[i + 1]}
    local ra, rb = find(a), find(b)
    if ra ~= rb then
      if rb < ra then ra, rb = rb, ra end
      parent[rb] = ra
    end
  end
end
redis.call('DEL', cpre .. cid .. ':m', cpre .. cid .. ':e', cpre .. cid)
redis.call('ZREM', zkey, cid)
redis.call('HDEL', CID, root)
local groups, order = {}, {}
for _, name in ipairs(names) do
  local r = find(name)
  if not groups[r] then
    groups[r] = {}
    order[#order + 1] = r
  end
  table.insert(groups[r], name)
end
table.sort(order, function(x, y)
  if #groups[x] ~= #groups[y] then return #groups[x] > #groups[y] end
  return x < y
end)
for k, r in ipairs(order) do
  local gid = cid
  if k > 1 then
    gid = 'c' .. string.sub(redis.sha1hex(fpid .. '|' .. r), 1, 16)
    redis.call('DEL', cpre .. gid)
  end
  local bp, bl, bd = nil, nil, nil
  for _, name in ipairs(groups[r]) do
    redis.call('HSET', P, name, r)
    local m = meta[name]
    redis.call('HSET', cpre .. gid .. ':m', name, m)
    local sep = string.find(m, '|', 1, true)
    local p, l = tonumber(string.sub(m, 1, sep - 1)), tonumber(string.sub(m, sep + 1))
    if not bd or p < bp or (p == bp and (l > bl or (l == bl and name < bd))) then
      bp, bl, bd = p, l, name
    end
  end
  redis.call('HSET', CID, r, gid)
  redis.call('HSET', cpre .. gid, 'fingerprint_id', fpid, 'size', #groups[r],
    'representative', bd, 'rep_published', bp, 'rep_length', bl)
  redis.call('ZADD', zkey, #groups[r], gid)
end
for _, e in ipairs(edges) do
  local gid = redis.call('HGET', CID, find(e[1]))
  redis.call('HSET', cpre .. gid .. ':e', e[3], e[4])
end
return 1
