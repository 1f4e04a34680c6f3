-- Record a document and its verified edges; union the clusters they touch, atomically.
-- (cluster_rules.lua comes first: better, cluster_id, day_and_length, UNKNOWN; then
-- union_find_layout.lua: uf_key, the bucket of a union-find hash that holds a field.)
-- With cluster_claim.lua, the Redis copy of dedup.clusters.MemoryClusterer (authoritative: exact
-- copies join the first document with their match key, verified edges union clusters);
-- tests/test_clusters.py checks ClusterStore.assign against it.
-- ARGV: base, cluster_prefix, clusters_zset, fingerprint_id, doc, published, length, digest,
--       then per edge: peer, jaccard, containment, kind, digest
-- A digest names the signature a document was verified with (base:sg holds the claimed ones):
-- an edge to a peer whose text changed since it was verified is left out (no ghost member, no
-- stale edge). Reply: {the document's cluster id, 1 when its exact edge was refused so (the
-- first document with its match key was forgotten meanwhile: it must claim the key and enter
-- the LSH index itself, ClusterStore.settle) else 0}; false when the document no longer holds
-- the text it was verified with (forgotten meanwhile: workers.errors.ConcurrentChange).
-- base:p  hash node -> parent (union-find)     base:cid  hash root -> cluster id
-- base:sg hash document -> digest of its claimed signature (a document that has none is not indexed)
-- (each of them in buckets: uf_key(base .. ':p', node) is the key that holds node's parent)
-- {cluster_prefix}{cid}     hash size, representative, rep_published, rep_length, first,
--                           fingerprint_id (an absorbed or renamed cluster keeps only merged_into)
-- {cluster_prefix}{cid}:m   hash member -> "published|length"
-- {cluster_prefix}{cid}:e   hash "a|b" -> "jaccard|containment|kind"
-- A cluster's id follows its smallest member (`first`); its size is its member count.
local base, cpre, zkey, fpid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local P, CID, SG = base .. ':p', base .. ':cid', base .. ':sg'

local function find(x)
  local path = {}
  local p = redis.call('HGET', uf_key(P, x), x)
  if not p then return nil end
  while p ~= x do
    path[#path + 1] = x
    x = p
    p = redis.call('HGET', uf_key(P, x), x)
  end
  for _, y in ipairs(path) do redis.call('HSET', uf_key(P, y), y, x) end
  return x
end

local function make(x, pub, len)
  local cid = cluster_id(fpid, x)
  redis.call('HSET', uf_key(P, x), x, x)
  redis.call('HSET', uf_key(CID, x), x, cid)
  redis.call('DEL', cpre .. cid, cpre .. cid .. ':m', cpre .. cid .. ':e')
  redis.call('HSET', cpre .. cid, 'fingerprint_id', fpid, 'size', 1, 'representative', x,
    'rep_published', pub, 'rep_length', len, 'first', x)
  redis.call('HSET', cpre .. cid .. ':m', x, pub .. '|' .. len)
  redis.call('ZADD', zkey, 1, cid)
  return x
end

local function rep_of(cid)
  return redis.call('HMGET', cpre .. cid, 'rep_published', 'rep_length', 'representative')
end

local function first_of(cid)  -- records written before `first` was kept: from the members
  local first = redis.call('HGET', cpre .. cid, 'first')
  if first then return first end
  for _, name in ipairs(redis.call('HKEYS', cpre .. cid .. ':m')) do
    if not first or name < first then first = name end
  end
  return first
end

local function copy_hash(from, to)
  local flat = redis.call('HGETALL', from)
  for i = 1, #flat, 2 do redis.call('HSET', to, flat[i], flat[i + 1]) end
  redis.call('DEL', from)
end

local function absorb(from, into)  -- the record `from` is gone: it points the way
  redis.call('ZREM', zkey, from)
  redis.call('DEL', cpre .. from, cpre .. from .. ':m', cpre .. from .. ':e')
  redis.call('HSET', cpre .. from, 'merged_into', into)
end

local function rename(from, to)  -- the cluster's keys under the id its smallest member gives it
  for _, suffix in ipairs({'', ':m', ':e'}) do
    redis.call('DEL', cpre .. to .. suffix)
    if redis.call('EXISTS', cpre .. from .. suffix) == 1 then
      redis.call('RENAME', cpre .. from .. suffix, cpre .. to .. suffix)
    end
  end
  absorb(from, to)
end

local function union(ra, rb)
  if ra == rb then return ra end
  local ca, cb = redis.call('HGET', uf_key(CID, ra), ra), redis.call('HGET', uf_key(CID, rb), rb)
  local sa = redis.call('HLEN', cpre .. ca .. ':m')
  local sb = redis.call('HLEN', cpre .. cb .. ':m')
  if sa < sb or (sa == sb and cb < ca) then  -- the smaller one's members are copied
    ra, rb, ca, cb = rb, ra, cb, ca
  end
  local fa, fb = first_of(ca), first_of(cb)
  copy_hash(cpre .. cb .. ':m', cpre .. ca .. ':m')
  copy_hash(cpre .. cb .. ':e', cpre .. ca .. ':e')
  local a, b = rep_of(ca), rep_of(cb)
  if better(b[1], b[2], b[3], a[1], a[2], a[3]) then
    redis.call('HSET', cpre .. ca, 'rep_published', b[1], 'rep_length', b[2], 'representative', b[3])
  end
  absorb(cb, ca)
  redis.call('HSET', uf_key(P, rb), rb, ra)
  redis.call('HDEL', uf_key(CID, rb), rb)
  if fb < fa then
    redis.call('HSET', cpre .. ca, 'first', fb)
    rename(ca, cb)
    redis.call('HSET', uf_key(CID, ra), ra, cb)
  else
    redis.call('HSET', cpre .. ca, 'first', fa)
  end
  return ra
end

-- A newcomer with an edge to a live cluster joins it without a cluster of its own first (one
-- made and absorbed would leave a `merged_into` record for an id never given: ~120 bytes, for
-- most documents; issue 21). Its id, if given in a stay before, points here as a merge would.
local function join(x, root)
  redis.call('HSET', uf_key(P, x), x, root)
  local cid, own = redis.call('HGET', uf_key(CID, root), root), cluster_id(fpid, x)
  if x < first_of(cid) then
    redis.call('HSET', cpre .. cid, 'first', x)
    rename(cid, own)
    redis.call('HSET', uf_key(CID, root), root, own)
  elseif redis.call('EXISTS', cpre .. own) == 1 then
    redis.call('HSET', cpre .. own, 'merged_into', cid)
  end
  return root
end

local function rescan_rep(cid)
  local flat = redis.call('HGETALL', cpre .. cid .. ':m')
  local bp, bl, bd = nil, nil, nil
  for i = 1, #flat, 2 do
    local p, l = day_and_length(flat[i + 1])
    if not bd or better(p, l, flat[i], bp, bl, bd) then bp, bl, bd = p, l, flat[i] end
  end
  redis.call('HSET', cpre .. cid, 'rep_published', bp, 'rep_length', bl, 'representative', bd)
end

local doc, pub, len = ARGV[5], ARGV[6], ARGV[7]
if redis.call('HGET', uf_key(SG, doc), doc) ~= ARGV[8] then return false end
if pub == '' then pub = UNKNOWN end
local root
local orphaned = 0
for i = 9, #ARGV, 5 do
  local peer = ARGV[i]
  if redis.call('HGET', uf_key(SG, peer), peer) ~= ARGV[i + 4] then
    if ARGV[i + 3] == 'exact' then orphaned = 1 end
  else
    local proot = find(peer) or make(peer, UNKNOWN, '0')
    local mine = find(doc)
    root = mine and union(mine, proot) or join(doc, proot)
    local cid = redis.call('HGET', uf_key(CID, root), root)
    local a, b = doc, peer
    if b < a then a, b = b, a end
    redis.call('HSET', cpre .. cid .. ':e', a .. '|' .. b,
      ARGV[i + 1] .. '|' .. ARGV[i + 2] .. '|' .. ARGV[i + 3])
  end
end
root = find(doc) or make(doc, pub, len)
local cid = redis.call('HGET', uf_key(CID, root), root)
redis.call('HSET', cpre .. cid .. ':m', doc, pub .. '|' .. len)
local size = redis.call('HLEN', cpre .. cid .. ':m')
redis.call('HSET', cpre .. cid, 'size', size)
redis.call('ZADD', zkey, size, cid)
local rep = rep_of(cid)
if rep[3] == doc then
  rescan_rep(cid)
elseif better(pub, len, doc, rep[1], rep[2], rep[3]) then
  redis.call('HSET', cpre .. cid, 'rep_published', pub, 'rep_length', len, 'representative', doc)
end
return {cid, orphaned}
