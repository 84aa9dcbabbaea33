-- Install a lot's gate state unless one taking bids is there (a frozen one, left by the lot's last
-- close, gives way: the lot was relisted). KEYS: 1 lot hash, 2 alias hash.
-- ARGV: field/value pairs of the lot, then '|', then bidder/alias pairs.
local frozen = redis.call('HGET', KEYS[1], 'frozen')
if frozen and frozen ~= '1' then return 0 end
local i, n = 1, #ARGV
while i <= n and ARGV[i] ~= '|' do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
i = i + 1
redis.call('DEL', KEYS[2])
local top = 0
while i <= n do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  if tonumber(ARGV[i + 1]) > top then top = tonumber(ARGV[i + 1]) end
  i = i + 2
end
redis.call('HSET', KEYS[2], '#', top)
return 1
