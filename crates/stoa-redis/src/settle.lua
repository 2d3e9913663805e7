-- Settle (or release, with actual = 0) a reservation on every counter that still exists.
-- KEYS: counter hashes {used, reserved}, then, unless ARGV[3] is '0', the reservation's hold
-- key. ARGV[1]: amount held; ARGV[2]: actual usage; ARGV[3]: '0' no hold key, '1' delete the
-- hold key and settle, '2' settle only if the hold key is still there (undoing a reserve whose
-- answer was lost: at most once, and never a reserve that did not happen).
-- reserved -= amount (saturating at 0); used += actual. A counter that is gone (expired,
-- flushed) is left alone: the next reserve asks for a baseline from the usage records.
-- Returns 1 when the counters were updated, 0 when there was nothing held.
local n = #KEYS
if ARGV[3] ~= '0' then
  local held = redis.call('DEL', KEYS[n])
  n = n - 1
  if ARGV[3] == '2' and held == 0 then
    return 0
  end
end
local amount = tonumber(ARGV[1])
for i = 1, n do
  local key = KEYS[i]
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
