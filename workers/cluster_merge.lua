-- Record a document and its verified edges; union the clusters they touch, atomically.
-- ARGV: base, cluster_prefix, clusters_zset, fingerprint_id, doc, published, length,
--       then per edge: peer, jaccard, containment, kind
-- base:p  hash node -> parent (union-find)     base:cid  hash root -> cluster id
-- {cluster_prefix}{cid}     hash size, representative, rep_published, rep_length, fingerprint_id
--                           (an absorbed cluster keeps only merged_into)
-- {cluster_prefix}{cid}:m   hash member -> "published|length"
-- {cluster_prefix}{cid}:e   hash "a|b" -> "jaccard|containment|kind"
local base, cpre, zkey, fpid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local P, CID = base .. ':p', base .. ':cid'
local UNKNOWN = '99999999'

local function find(x)
  local path = {}
  local p = redis.call('HGET', P, x)
  if not p then return nil end
  while p ~= x do
    path[#path + 1] = x
    x = p
    p = redis.call('HGET', P, x)
  end
  for _, y in ipairs(path) do redis.call('HSET', P, y, x) end
  return x
end

local function better(p1, l1, d1, p2, l2, d2)
  p1, p2, l1, l2 = tonumber(p1), tonumber(p2), tonumber(l1), tonumber(l2)
  if p1 ~= p2 then return p1 < p2 end
  if l1 ~= l2 then return l1 > l2 end
  return d1 < d2
end

local function make(x, pub, len)
  local cid = 'c' .. string.sub(redis.sha1hex(fpid .. '|' .. x), 1, 16)
  redis.call('HSET', P, x, x)
  redis.call('HSET', CID, x, cid)
  redis.call('DEL', cpre .. cid)
  redis.call('HSET', cpre .. cid, 'fingerprint_id', fpid, 'size', 1, 'representative', x,
    'rep_published', pub, 'rep_length', len)
  redis.call('HSET', cpre .. cid .. ':m', x, pub .. '|' .. len)
  redis.call('ZADD', zkey, 1, cid)
  return x
end

local function rep_of(cid)
  return redis.call('HMGET', cpre .. cid, 'rep_published', 'rep_length', 'representative')
end

local function copy_hash(from, to)
  local flat = redis.call('HGETALL', from)
  for i = 1, #flat, 2 do redis.call('HSET', to, flat[i], flat[i + 1]) end
  redis.call('DEL', from)
end

local function union(ra, rb)
  if ra == rb then return ra end
  local ca, cb = redis.call('HGET', CID, ra), redis.call('HGET', CID, rb)
  local sa = tonumber(redis.call('HGET', cpre .. ca, 'size'))
  local sb = tonumber(redis.call('HGET', cpre .. cb, 'size'))
  if sa < sb or (sa == sb and cb < ca) then
    ra, rb, ca, cb, sa, sb = rb, ra, cb, ca, sb, sa
  end
  copy_hash(cpre .. cb .. ':m', cpre .. ca .. ':m')
  copy_hash(cpre .. cb .. ':e', cpre .. ca .. ':e')
  local a, b = rep_of(ca), rep_of(cb)
  if better(b[1], b[2], b[3], a[1], a[2], a[3]) then
    redis.call('HSET', cpre .. ca, 'rep_published', b[1], 'rep_length', b[2], 'representative', b[3])
  end
  redis.call('HSET', cpre .. ca, 'size', sa + sb)
  redis.call('ZADD', zkey, sa + sb, ca)
  redis.call('ZREM', zkey, cb)
  redis.call('DEL', cpre .. cb)
  redis.call('HSET', cpre .. cb, 'merged_into', ca)
  redis.call('HSET', P, rb, ra)
  redis.call('HDEL', CID, rb)
  return ra
end

local function rescan_rep(cid)
  local flat = redis.call('HGETALL', cpre .. cid .. ':m')
  local bp, bl, bd = nil, nil, nil
  for i = 1, #flat, 2 do
    local sep = string.find(flat[i + 1], '|', 1, true)
    local p, l = string.sub(flat[i + 1], 1, sep - 1), string.sub(flat[i + 1], sep + 1)
    if not bd or better(p, l, flat[i], bp, bl, bd) then bp, bl, bd = p, l, flat[i] end
  end
  redis.call('HSET', cpre .. cid, 'rep_published', bp, 'rep_length', bl, 'representative', bd)
end

local doc, pub, len = ARGV[5], ARGV[6], ARGV[7]
if pub == '' then pub = UNKNOWN end
local root = find(doc) or make(doc, pub, len)
for i = 8, #ARGV, 4 do
  local peer = ARGV[i]
  local proot = find(peer) or make(peer, UNKNOWN, '0')
  root = union(find(doc), proot)
  local cid = redis.call('HGET', CID, root)
  local a, b = doc, peer
  if b < a then a, b = b, a end
  redis.call('HSET', cpre .. cid .. ':e', a .. '|' .. b,
    ARGV[i + 1] .. '|' .. ARGV[i + 2] .. '|' .. ARGV[i + 3])
end
root = find(doc)
local cid = redis.call('HGET', CID, root)
redis.call('HSET', cpre .. cid .. ':m', doc, pub .. '|' .. len)
local rep = rep_of(cid)
if rep[3] == doc then
  rescan_rep(cid)
elseif better(pub, len, doc, rep[1], rep[2], rep[3]) then
  redis.call('HSET', cpre .. cid, 'rep_published', pub, 'rep_length', len, 'representative', doc)
end
return cid
