-- wrk script for P8: each wrk thread creates BENCH_TENANTS tenants (p8-<thread>-<n>), then
-- BENCH_KEYS API keys spread over them, then idles (one GET /healthz a second) until bench/run
-- stops it. When a thread has all its answers it writes BENCH_DONE_DIR/<thread>; the first
-- failed answers are written to BENCH_DONE_DIR/errors-<thread>.
--   BENCH_AUTH  "Bearer <cpi-admin token>"

local admin = os.getenv("BENCH_AUTH")
local tenants = tonumber(os.getenv("BENCH_TENANTS") or "5000")
local keys = tonumber(os.getenv("BENCH_KEYS") or "50000")
local dir = os.getenv("BENCH_DONE_DIR") or "/tmp"
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

local sent, answered, failed, primer_seen = -1, 0, 0, false

-- wrk calls request() once on the first thread before any connection (to check pipelining), so
-- every thread's first request is a primer GET /healthz, sent or not; its answer is not counted.
request = function()
  sent = sent + 1
  local n = sent
  if n == 0 then
    return wrk.format("GET", "/healthz")
  elseif n <= tenants then
    return wrk.format("POST", "/v1/tenants",
      { ["Authorization"] = admin, ["Content-Type"] = "application/json" },
      string.format('{"id":"p8-%d-%d","name":"P8 %d %d"}', tid, n, tid, n))
  elseif n <= tenants + keys then
    local t = ((n - tenants - 1) % tenants) + 1
    return wrk.format("POST", "/v1/api-keys",
      { ["Authorization"] = admin, ["Content-Type"] = "application/json",
        ["x-stoa-tenant"] = string.format("p8-%d-%d", tid, t) },
      string.format('{"name":"k%d","role":"devops"}', n))
  end
  return wrk.format("GET", "/healthz")
end

delay = function()
  if sent >= tenants + keys then
    return 1000
  end
  return 0
end

response = function(status, headers, body)
  if not primer_seen and string.find(body or "", '"checks"', 1, true) then
    primer_seen = true
    return -- the primer's answer (a health check)
  end
  answered = answered + 1
  if answered > tenants + keys then
    return
  end
  if status >= 300 then
    failed = failed + 1
    if failed <= 20 then
      local f = io.open(string.format("%s/errors-%d", dir, tid), "a")
      f:write(string.format("%d %s\n", status, string.sub(body or "", 1, 200)))
      f:close()
    end
  end
  if answered == tenants + keys then
    local f = io.open(string.format("%s/done-%d", dir, tid), "w")
    f:write(string.format("%d %d\n", answered, failed))
    f:close()
  end
end

done = function(summary, latency, requests)
  io.write(string.format('BENCHJSON {"requests":%d,"duration_s":%.3f,"err_status":%d}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status))
end
