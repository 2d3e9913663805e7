-- One request against a token bucket, the same arithmetic as LocalCounters::hit_rate.
-- KEYS[1]: bucket hash {tokens, at}; ARGV[1]: capacity (requests per minute, > 0);
-- ARGV[2]: now in ms, the caller's clock; ARGV[3]: TTL in ms (an idle bucket refills fully).
-- Refill capacity/60000 tokens per ms since `at` (never negative), capped at capacity;
-- take one token and return 0, or return the ms until one token is there (at least 1).
local capacity = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local per_ms = capacity / 60000.0
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
local elapsed = now - at
if elapsed < 0 then
  elapsed = 0
end
tokens = math.min(tokens + elapsed * per_ms, capacity)
local wait = 0
if tokens >= 1.0 then
  tokens = tokens - 1.0
else
  wait = math.ceil((1.0 - tokens) / per_ms)
  if wait < 1 then
    wait = 1
  end
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return wait
