-- The number of an archive file of documents' texts, given it the first time it is asked for
-- (workers.stores.text_files). KEYS[1]: the table, one hash: file name -> number, '#' .. number ->
-- file name, '#' -> the last number given. ARGV[1]: the file name. Reply: its number.
local known = redis.call('HGET', KEYS[1], ARGV[1])
if known then
  return known
end
local number = redis.call('HINCRBY', KEYS[1], '#', 1)
redis.call('HSET', KEYS[1], ARGV[1], number, '#' .. number, ARGV[1])
return tostring(number)
