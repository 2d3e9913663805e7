-- Reserve `amount` in every counter, or in none (the script runs atomically).
-- KEYS[i], i < #KEYS: counter hash {used, reserved}; KEYS[#KEYS]: this reservation's hold key.
-- ARGV[1]: amount; ARGV[2i]: max of KEYS[i]; ARGV[2i+1]: TTL of KEYS[i] in ms (window end -
-- now + 1 day); ARGV[2 * #KEYS]: TTL of the hold key in ms.
-- Returns {0} when held (and the hold key set to the amount), {1, i, j, ...} when KEYS[i],
-- KEYS[j]... are not seeded, {2, i, remaining} when KEYS[i] has no room (remaining = max -
-- used - reserved, at least 0). Amounts are exact integers below 2^53 (Lua numbers are
-- doubles); the caller clamps them.
local amount = tonumber(ARGV[1])
local n = #KEYS - 1
local missing = {1}
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    missing[#missing + 1] = i
  end
end
if #missing > 1 then
  return missing
end
for i = 1, n do
  local c = redis.call('HMGET', KEYS[i], 'used', 'reserved')
  local held = (tonumber(c[1]) or 0) + (tonumber(c[2]) or 0)
  local max = tonumber(ARGV[2 * i])
  if held + amount > max then
    local remaining = max - held
    if remaining < 0 then
      remaining = 0
    end
    return {2, i, remaining}
  end
end
for i = 1, n do
  redis.call('HINCRBY', KEYS[i], 'reserved', ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[2 * i + 1])
end
redis.call('SET', KEYS[#KEYS], ARGV[1], 'PX', ARGV[2 * #KEYS])
return {0}
