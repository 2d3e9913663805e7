-- Load a counter with the usage already recorded in its window, unless it is loaded.
-- KEYS[1]: counter hash {used, reserved}; ARGV[1]: used; ARGV[2]: TTL in ms.
-- Returns 1 when seeded, 0 when the counter already existed (then nothing changes).
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'used', ARGV[1], 'reserved', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
