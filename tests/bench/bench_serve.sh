#!/bin/sh
# bench_serve.sh PREFLIGHT [SECONDS] — load on `preflight serve`'s POST
# /v1/check with wrk (Debian wrk): 2 worker threads, wrk with 2 threads and
# 32 connections on the same machine, SECONDS (default 30) of a passing
# check. Prints requests/s, p50/p99 latency and errors. The gateway and wrk
# share the cores, so the figure is for the pair.
set -eu
bin=$1
secs=${2:-30}
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "bench_serve: wrk is not installed (scripts/deps wrk)"; exit 1; }
"$bin" serve --listen 127.0.0.1:0 --threads 2 --config "$src/data/examples/preflight.json" \
  2>"$tmp/err" &
pid=$!
i=0
while ! grep -q '"listening"' "$tmp/err" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 200 ] || { cat "$tmp/err"; exit 1; }; sleep 0.05
done
port=$(sed -n 's/.*"address":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$tmp/err")
cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"user_number":"+14155552671","message":"Acme Dental: your cleaning is tomorrow at 10:30."}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Preflight-Send-At"] = "2026-11-26T19:00:00Z"
wrk.headers["X-Preflight-First-Message"] = "false"
LUA
# The gateway's own CPU time (utime + stime, clock ticks) over the run: on
# a shared machine the rate says how much CPU there was, the CPU time per
# request what the gateway costs.
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
c0=$(cpu)
wrk -t2 -c32 -d"${secs}s" --latency -s "$tmp/post.lua" "http://127.0.0.1:$port/v1/check" >"$tmp/wrk"
c1=$(cpu)
cat "$tmp/wrk"
rps=$(sed -n 's/^Requests\/sec: *//p' "$tmp/wrk")
p50=$(awk '$1 == "50%" { print $2 }' "$tmp/wrk")
p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk")
errors=$(sed -n 's/^ *Socket errors: *//p; s/^ *Non-2xx or 3xx responses: *\(.*\)/non-2xx \1/p' "$tmp/wrk")
reqs=$(awk '/requests in/ { print $1 }' "$tmp/wrk")
hz=$(getconf CLK_TCK)
echo "POST /v1/check, ${secs} s: ${rps} requests/s, p50 ${p50}, p99 ${p99}, errors: ${errors:-none}"
awk -v t=$((c1 - c0)) -v hz="$hz" -v n="$reqs" 'BEGIN {
  us = t / hz * 1e6 / n
  printf "gateway CPU: %.1f s for %d requests = %.0f us per request (%.0f requests/s per core)\n", t / hz, n, us, 1e6 / us
}'
