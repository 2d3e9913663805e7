-- wrk script: POST a JSON body with headers taken from the environment, and print a
-- machine-readable summary (latency percentiles in microseconds) for bench/run.
--
--   BENCH_PATH     request path (default /v1/chat/completions)
--   BENCH_AUTH     value of the Authorization header (optional)
--   BENCH_BODY     JSON body
--   BENCH_HEADERS  extra headers, "name: value" pairs separated by "|" (optional)
--   BENCH_LABEL    label echoed in the summary

local path = os.getenv("BENCH_PATH") or "/v1/chat/completions"
local label = os.getenv("BENCH_LABEL") or "run"
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or "{}"
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
local extra = os.getenv("BENCH_HEADERS")
if extra and extra ~= "" then
  for pair in string.gmatch(extra, "[^|]+") do
    local name, value = string.match(pair, "^%s*([^:]+):%s*(.-)%s*$")
    if name then
      wrk.headers[name] = value
    end
  end
end

request = function()
  return wrk.format(nil, path)
end

done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCHJSON {"label":"%s","requests":%d,"duration_s":%.3f,"rps":%.1f,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"mean_us":%.1f,"max_us":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    label, summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
