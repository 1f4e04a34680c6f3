-- Rules the cluster scripts share (prepended to cluster_merge.lua and cluster_remove.lua by
-- workers.stores.cluster_store): the Lua copies of dedup.clusters.rank (which member represents a
-- cluster) and dedup.clusters.cluster_id (a cluster is named after its smallest member id), and
-- of workers.stores.cluster_store.UNKNOWN_DAY; the Python ones are authoritative, and
-- tests/test_cluster_rules.py checks that both languages agree.
local UNKNOWN = '99999999'  -- the day of an unknown publication date: after every real one

-- member 1 (published day, display length, id) represents before member 2
local function better(p1, l1, d1, p2, l2, d2)
  p1, p2, l1, l2 = tonumber(p1), tonumber(p2), tonumber(l1), tonumber(l2)
  if p1 ~= p2 then return p1 < p2 end
  if l1 ~= l2 then return l1 > l2 end
  return d1 < d2
end

local function cluster_id(fpid, first)
  return 'c' .. string.sub(redis.sha1hex(fpid .. '|' .. first), 1, 16)
end

-- a member's "published|length" value as its two parts
local function day_and_length(value)
  local sep = string.find(value, '|', 1, true)
  return string.sub(value, 1, sep - 1), string.sub(value, sep + 1)
end
