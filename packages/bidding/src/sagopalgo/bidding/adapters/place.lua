-- The bid gate's acceptance, one atomic step (mirrors sagopalgo.bidding.domain.gate.judge).
-- The payload it logs and replays is the format of sagopalgo.bidding.adapters.codec (a test holds
-- the encoder to these exact bytes).
-- KEYS: 1 lot state hash, 2 idempotency key, 3 bid log stream, 4 lot event stream, 5 alias hash
-- ARGV: 1 now ms, 2 bidder, 3 amount, 4 max amount, 5-6 bid ids, 7 fingerprint ('' = none),
--       8 idempotency ttl s, 9 events retained, 10 lot id, 11 '1' if the bidder named a maximum
-- Numbers go back to Redis through fmt(): Lua would print large ones as 1e+12.
local function fmt(n) return string.format('%d', n) end

local lot = KEYS[1]
local f = redis.call('HMGET', lot, 'seller', 'start', 'inc', 'opens', 'closes', 'cap', 'ext', 'ext_ms',
  'max_krw', 'frozen', 'price', 'count', 'leader', 'leader_max', 'seq')
if not f[1] then return {'missing'} end

local fp = ARGV[7]
if fp ~= '' then
  local prev = redis.call('GET', KEYS[2])
  if prev then
    local cut = string.find(prev, '\n', 1, true)
    if string.sub(prev, 1, cut - 1) == fp then return {'replay', string.sub(prev, cut + 1)} end
    return {'err', 'IDEMPOTENCY_KEY_REUSED'}
  end
end

local now, bidder = tonumber(ARGV[1]), tonumber(ARGV[2])
local amount, maxa = tonumber(ARGV[3]), tonumber(ARGV[4])
local seller, start, inc = tonumber(f[1]), tonumber(f[2]), tonumber(f[3])
local opens, closes, cap = tonumber(f[4]), tonumber(f[5]), tonumber(f[6])
local ext, ext_ms, max_krw, frozen = tonumber(f[7]), tonumber(f[8]), tonumber(f[9]), tonumber(f[10])
local price, count, leader = tonumber(f[11]), tonumber(f[12]), tonumber(f[13])
local leader_max, seq = tonumber(f[14]), tonumber(f[15])

if frozen == 1 or now < opens or now >= closes then return {'err', 'LOT_NOT_OPEN'} end
if bidder == seller then return {'err', 'OWN_LOT'} end
if amount < 1 then return {'err', 'INVALID_AMOUNT'} end
if maxa < amount then return {'err', 'INVALID_MAX'} end
if amount > max_krw or maxa > max_krw then return {'err', 'BID_OVER_LIMIT', fmt(max_krw)} end

local outcome, placed, extended = 'BID', {}, 0
if bidder == leader then
  if ARGV[11] ~= '1' or maxa <= leader_max then return {'err', 'ALREADY_LEADING'} end
  outcome, leader_max, seq = 'MAX_RAISED', maxa, seq + 1
else
  local floor = start
  if count > 0 then floor = price + inc end
  if floor > max_krw then return {'err', 'BID_OVER_LIMIT', fmt(max_krw)} end
  if amount < floor then return {'err', 'BID_TOO_LOW', fmt(floor)} end
  local proxy = 0
  if maxa > amount then proxy = 1 end
  if count == 0 then
    placed[1] = {bidder, amount, 0}
    leader, leader_max, price = bidder, maxa, amount
  elseif maxa > leader_max then
    if leader_max > price then placed[#placed + 1] = {leader, leader_max, 1} end
    price = math.max(amount, math.min(maxa, leader_max + inc))
    placed[#placed + 1] = {bidder, price, proxy}
    leader, leader_max = bidder, maxa
  else
    placed[#placed + 1] = {bidder, maxa, proxy}
    price = maxa
    if leader_max > maxa then
      price = math.min(leader_max, maxa + inc)
      placed[#placed + 1] = {leader, price, 1}
    end
  end
  if ext == 1 and closes - now < ext_ms then
    local moved = math.min(now + ext_ms, cap)
    if moved > closes then closes, extended = moved, 1 end
  end
end

local before, parts = count, {}
for i, p in ipairs(placed) do
  local alias = redis.call('HGET', KEYS[5], fmt(p[1]))
  if not alias then
    alias = redis.call('HINCRBY', KEYS[5], '#', 1)
    redis.call('HSET', KEYS[5], fmt(p[1]), alias)
  end
  seq = seq + 1
  p[4] = tonumber(alias)
  parts[i] = '["' .. ARGV[4 + i] .. '",' .. fmt(p[1]) .. ',' .. fmt(p[2]) .. ',' .. fmt(seq) .. ','
    .. p[3] .. ',' .. fmt(p[4]) .. ']'
end
count = count + #placed
redis.call('HSET', lot, 'price', fmt(price), 'count', fmt(count), 'leader', fmt(leader),
  'leader_max', fmt(leader_max), 'seq', fmt(seq), 'closes', fmt(closes))

local payload = '{"o":"' .. outcome .. '","p":[' .. table.concat(parts, ',') .. '],"s":['
  .. fmt(price) .. ',' .. fmt(count) .. ',' .. fmt(leader) .. ',' .. fmt(leader_max) .. ','
  .. fmt(seq) .. ',' .. fmt(closes) .. '],"x":' .. extended .. ',"f":[' .. ARGV[10] .. ','
  .. fmt(seller) .. ',' .. fmt(start) .. ',' .. fmt(inc) .. ',' .. fmt(opens) .. ',' .. fmt(cap) .. ','
  .. fmt(ext) .. ',' .. fmt(ext_ms) .. ',' .. fmt(max_krw) .. ']}'

redis.call('XADD', KEYS[3], '*', 'lot', ARGV[10], 'b', ARGV[2], 'm', fmt(maxa), 't', ARGV[1], 'j', payload)
for i, p in ipairs(placed) do
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*', 't', 'bid', 'd',
    '{"lotId":' .. ARGV[10] .. ',"amount":' .. fmt(p[2]) .. ',"bidCount":' .. fmt(before + i)
    .. ',"placedAtMs":' .. ARGV[1] .. ',"bidder":"Bidder ' .. fmt(p[4]) .. '"}')
end
if extended == 1 then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*', 't', 'status', 'd',
    '{"lotId":' .. ARGV[10] .. ',"status":"OPEN","closesAtMs":' .. fmt(closes) .. ',"reason":"extended"}')
end
if fp ~= '' then redis.call('SET', KEYS[2], fp .. '\n' .. payload, 'EX', ARGV[8]) end
return {'ok', payload}
