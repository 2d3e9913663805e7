-- Reserve `amount` in every counter, or in none (the script runs atomically).
-- KEYS[i]: counter hash {used, reserved}; ARGV[1]: amount;
-- ARGV[2i]: max of KEYS[i]; ARGV[2i+1]: TTL of KEYS[i] in ms (window end - now + 1 day).
-- Returns {0} when held, {1, i, j, ...} when KEYS[i], KEYS[j]... are not seeded,
-- {2, i, remaining} when KEYS[i] has no room (remaining = max - used - reserved, at least 0).
-- Amounts are exact integers below 2^53 (Lua numbers are doubles); the caller clamps them.
local amount = tonumber(ARGV[1])
local missing = {1}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 0 then
    missing[#missing + 1] = i
  end
end
if #missing > 1 then
  return missing
end
for i, key in ipairs(KEYS) do
  local c = redis.call('HMGET', key, 'used', 'reserved')
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
for i, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'reserved', ARGV[1])
  redis.call('PEXPIRE', key, ARGV[2 * i + 1])
end
return {0}
