#!/bin/sh
# bench_serve.sh PREFLIGHT [SECONDS [CONNECTIONS]] — load on `preflight
# serve` with wrk (Debian wrk), gateway and wrk on the same machine:
# gateway --threads 2 (one per core), wrk with 1 thread and CONNECTIONS
# (default 8) keep-alive connections, SECONDS (default 30) per run.
#
# Four runs, each printing requests/s, p50/p99 latency, errors, and the CPU
# each side used per request (utime + stime over the run: on a shared
# machine the rate says how much CPU there was, the CPU per request what
# each side costs):
#   same     POST /v1/check, the same passing body every time
#   distinct POST /v1/check, a different message and number every request
#            (nothing the check may remember helps)
#   healthz  GET /healthz: the HTTP floor, no body, no check, no JSON
#   logged   as distinct, with --access-log to a file
# The gateway's part besides the check is what distinct costs minus what
# the check alone costs (bench_batch / perf; README "Running the gateway").
set -eu
bin=$1
secs=${2:-30}
conns=${3:-8}
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "bench_serve: wrk is not installed (scripts/deps wrk)"; exit 1; }

cat >"$tmp/same.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"user_number":"+14155552671","message":"Acme Dental: your cleaning is tomorrow at 10:30."}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Preflight-Send-At"] = "2026-11-26T19:00:00Z"
wrk.headers["X-Preflight-First-Message"] = "false"
LUA
cat >"$tmp/distinct.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Preflight-Send-At"] = "2026-11-26T19:00:00Z"
wrk.headers["X-Preflight-First-Message"] = "false"
local texts = {
  "Acme Dental: your cleaning is tomorrow at %d:30. Reply STOP to opt out.",
  "Your order #%d has shipped and will arrive on Thursday.",
  "Reminder: your table for %d is booked for 7pm tonight.",
  "Hi, this is Sam from Northside Plumbing, we will be there around %d.",
}
local n = 0
request = function()
  n = n + 1
  local msg = string.format(texts[n % #texts + 1], n)
  local body = string.format('{"user_number":"+1415555%04d","message":"%s"}', n % 10000, msg)
  return wrk.format(nil, nil, nil, body)
end
LUA

# utime + stime of a process, in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
hz=$(getconf CLK_TCK)

run() { # NAME PATH LUA [gateway options]
  name=$1 path=$2 lua=$3
  shift 3
  : >"$tmp/err"
  "$bin" serve --listen 127.0.0.1:0 --threads 2 --drain-grace 0 \
    --config "$src/data/examples/preflight.json" "$@" 2>"$tmp/err" &
  pid=$!
  i=0
  while ! grep -q '"listening"' "$tmp/err" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || { cat "$tmp/err"; exit 1; }; sleep 0.05
  done
  port=$(sed -n 's/.*"address":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$tmp/err")
  load=$(cut -d' ' -f1 /proc/loadavg)
  g0=$(cpu $pid)
  if [ -n "$lua" ]; then
    wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$lua" "http://127.0.0.1:$port$path" >"$tmp/wrk" &
  else
    wrk -t1 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port$path" >"$tmp/wrk" &
  fi
  wpid=$!
  # wrk's own CPU: its last reading before it exits (sampled every 0.1 s).
  w=0
  while kill -0 $wpid 2>/dev/null; do
    x=$(cpu $wpid) && [ -n "$x" ] && w=$x
    sleep 0.1
  done
  wait $wpid
  g1=$(cpu $pid)
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  rps=$(sed -n 's/^Requests\/sec: *//p' "$tmp/wrk")
  p50=$(awk '$1 == "50%" { print $2 }' "$tmp/wrk")
  p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk")
  reqs=$(awk '/requests in/ { print $1 }' "$tmp/wrk")
  errors=$(sed -n 's/^ *Socket errors: *//p; s/^ *Non-2xx or 3xx responses: *\(.*\)/non-2xx \1/p' "$tmp/wrk" |
    tr '\n' ' ')
  awk -v name="$name" -v g=$((g1 - g0)) -v w="$w" -v hz="$hz" -v n="$reqs" -v s="$secs" -v rps="$rps" \
    -v p50="$p50" -v p99="$p99" -v err="${errors:-none}" -v load="$load" 'BEGIN {
    printf "%-9s %8.0f req/s  p50 %-8s p99 %-8s errors: %s\n", name, rps, p50, p99, err
    printf "          gateway %.1f us CPU per request (%.0f%% of the 2 cores), wrk %.1f us (%.0f%%); load average %s before\n",
      g / hz * 1e6 / n, g / hz / s / 2 * 100, w / hz * 1e6 / n, w / hz / s / 2 * 100, load
  }'
}

echo "== preflight serve --threads 2; wrk -t1 -c$conns, ${secs} s per run; $(nproc) cores"
run same /v1/check "$tmp/same.lua"
run distinct /v1/check "$tmp/distinct.lua"
run healthz /healthz ""
run logged /v1/check "$tmp/distinct.lua" --access-log "$tmp/access.jsonl"
