-- Passage index: forget one document. ARGV: base, doc_id.
local base, doc = ARGV[1], ARGV[2]
local doc_key = base .. ':d:' .. doc
for _, fp in ipairs(redis.call('SMEMBERS', doc_key)) do
  redis.call('SREM', base .. ':f:' .. fp, doc)
end
return redis.call('DEL', doc_key)
