# bench/lib/common.sh — helpers shared by bench/run and bench/profile (sourced, not executed).
# Expects ROOT, TMP, LOGS and an array PIDS (processes to stop on exit) to be set by the caller.

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n ${KEEP_TMP:-} ]]; then
    say "kept $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
# As many descriptors as the hard limit allows (P4 and P6 hold thousands of sockets).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_line FILE REGEX SECONDS PID — wait until FILE has a line matching REGEX.
wait_line() {
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || { say "process $4 died; log:"; tail -20 "$1" >&2; return 1; }
    sleep 0.05
  done
  say "timed out waiting for /$2/ in $1"
  return 1
}

# wait_http URL SECONDS — until URL answers 2xx.
wait_http() {
  local i
  for ((i = 0; i < $2 * 4; i++)); do
    curl -fs -m 2 -o /dev/null "$1" && return 0
    sleep 0.25
  done
  return 1
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU time (user+system) of a process in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TICKS=$(getconf CLK_TCK)

sqlcount() { # sqlcount DB SQL — one integer
  python3 - "$1" "$2" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
print(c.execute(sys.argv[2]).fetchone()[0])
EOF
}


# Builds the release binaries (a no-op when they are up to date, so the figures match the work
# tree); when the build fails (say, the tree is mid-edit) the existing binaries are used, if any.
# BENCH_BUILD=0 skips the build when both binaries exist.
ensure_binaries() {
  STOA=${BENCH_STOA:-$ROOT/target/release/stoa}
  FAKE=$ROOT/target/release/stoa-fake
  if [[ -x $STOA && -x $FAKE && ${BENCH_BUILD:-1} == 0 ]]; then
    return 0
  fi
  say "cargo build --release -p stoa -p stoa-fake (several minutes on 2 cores when stale)"
  if ! (cd "$ROOT" && cargo build --release -p stoa -p stoa-fake) >"$LOGS/build.log" 2>&1; then
    if [[ -x $STOA && -x $FAKE ]]; then
      say "build failed; using the existing binaries (see $LOGS/build.log)"
      BUILD_FAILED=1
    else
      tail -30 "$LOGS/build.log" >&2
      exit 1
    fi
  fi
}

# Starts the fake provider on a free loopback port: FAKE_URL, FAKE_PID.
start_fake() {
  local port
  port=$(free_port)
  FAKE_URL=http://127.0.0.1:$port
  "$FAKE" --listen "127.0.0.1:$port" >"$LOGS/fake.log" 2>&1 &
  FAKE_PID=$!
  PIDS+=("$FAKE_PID")
  wait_line "$LOGS/fake.log" 'listening on' 10 "$FAKE_PID"
}

# stoa_env DATA_DIR — the gateway's environment (a free port, providers pointed at the fake).
stoa_env() {
  local port
  port=$(free_port)
  GW_URL=http://127.0.0.1:$port
  mkdir -p "$1"
  export STOA_DATA_DIR=$1 STOA_LISTEN=127.0.0.1:$port STOA_LOG=warn
  export STOA_OPENAI_BASE_URL=$FAKE_URL STOA_ANTHROPIC_BASE_URL=$FAKE_URL STOA_GEMINI_BASE_URL=$FAKE_URL
  export OPENAI_API_KEY=sk-bench-openai-0000 ANTHROPIC_API_KEY=sk-ant-bench-0000
  export GEMINI_API_KEY=bench-gemini-0000
  DB=$1/stoa.db
}

# Starts `stoa serve` (prefixed by the array GW_WRAP, e.g. valgrind): GW_PID.
start_gateway() {
  : >"$LOGS/stoa.log"
  ${GW_WRAP[@]+"${GW_WRAP[@]}"} "$STOA" serve >>"$LOGS/stoa.log" 2>&1 &
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_line "$LOGS/stoa.log" 'Stoa listening on' "${GW_START_S:-60}" "$GW_PID"
  wait_http "$GW_URL/readyz" "${GW_START_S:-20}"
}
stop_gateway() {
  kill "$GW_PID" 2>/dev/null || true
  wait "$GW_PID" 2>/dev/null || true
}

# prepare_tenant [ID] — tenant ID (default `bench`) with quotas that never refuse during a run,
# and an API key of it: ADMIN, KEY.
prepare_tenant() {
  local id=${1:-bench}
  ADMIN=$("$STOA" token issue --role cpi-admin --sub admin --ttl 2h)
  api POST /v1/tenants "{\"id\":\"$id\",\"name\":\"$id\"}" >/dev/null
  api PATCH "/v1/tenants/$id" \
    '{"settings":{"quotas":{"max_rate_limit":100000000,"daily_token_budget":100000000000,"monthly_token_budget":100000000000}}}' \
    >/dev/null
  KEY=$(api POST /v1/api-keys '{"name":"bench","role":"devops"}' -H "x-stoa-tenant: $id" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
}
api() { # api METHOD PATH [BODY] [extra curl args...] — as the platform admin
  local m=$1 p=$2 b=${3:-}
  shift 3 || shift $#
  curl -fsS -m 60 -X "$m" "$GW_URL$p" -H "Authorization: Bearer $ADMIN" \
    -H 'content-type: application/json' ${b:+-d "$b"} "$@"
}
