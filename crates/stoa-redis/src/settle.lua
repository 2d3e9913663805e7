-- Settle (or release, with actual = 0) a reservation on every counter that still exists.
-- KEYS: counter hashes {used, reserved}; ARGV[1]: amount held; ARGV[2]: actual usage.
-- reserved -= amount (saturating at 0); used += actual. A counter that is gone (expired,
-- flushed) is left alone: the next reserve asks for a baseline from the usage records.
local amount = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    local reserved = tonumber(redis.call('HGET', key, 'reserved')) or 0
    local give_back = math.min(reserved, amount)
    if give_back > 0 then
      redis.call('HINCRBY', key, 'reserved', string.format('%d', -give_back))
    end
    if ARGV[2] ~= '0' then
      redis.call('HINCRBY', key, 'used', ARGV[2])
    end
  end
end
return 1
