-- Add to counters in one call (a pipeline of HINCRBYFLOATs cost the client more than the ingest
-- stages it counted). KEYS: stats hashes. ARGV: per key, its number of fields, then that many
-- field, amount pairs.
local at = 1
for i = 1, #KEYS do
  local fields = tonumber(ARGV[at])
  for j = 1, fields do
    redis.call('HINCRBYFLOAT', KEYS[i], ARGV[at + 2 * j - 1], ARGV[at + 2 * j])
  end
  at = at + 1 + 2 * fields
end
return #KEYS
