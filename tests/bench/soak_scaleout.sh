#!/bin/sh
# soak_scaleout.sh BUILD_DIR [RUNS [BUSY]] — the HAProxy scale-out test
# (serve_test.py scaleout: two gateways, one drained with SIGTERM under
# load) RUNS times (default 10), each beside BUSY busy loops (default 2,
# each bounded to 30 s) so the drain races a loaded CPU. Prints one line
# per run and the total; exits 1 if any run failed.
set -eu
build=$1
runs=${2:-10}
busy=${3:-2}
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
pids=""
stop_busy() {
  for p in $pids; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=""
}
trap 'stop_busy; rm -f "$out"' EXIT
failed=0 checks=0
i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  j=0
  while [ $j -lt "$busy" ]; do
    j=$((j + 1))
    timeout 30 sh -c 'while :; do :; done' &
    pids="$pids $!"
  done
  rc=0
  python3 "$src/tests/serve/serve_test.py" "$build/validator/cli/preflight" \
    "$build/tests/fake_api/fake_api_server" scaleout >"$out" 2>&1 || rc=$?
  stop_busy
  line=$(sed -n 's/^POST \/v1\/check through HAProxy: //p' "$out")
  n=$(echo "$line" | awk '{ print $1 }')
  checks=$((checks + ${n:-0}))
  echo "run $i: exit $rc, load $(cut -d' ' -f1 /proc/loadavg): $line"
  if [ $rc = 77 ]; then cat "$out"; exit 77; fi
  if [ $rc != 0 ]; then failed=$((failed + 1)); grep -E 'FAIL|failed' "$out" || tail -5 "$out"; fi
done
echo "scale-out soak: $runs runs beside $busy busy loops, $checks checks answered, $failed runs failed"
[ $failed = 0 ]
