#!/bin/sh
# bulk_cases.sh PREFLIGHT FAKE_BULK_SERVER CASE — one bulk-send case
# (`preflight send --input LIST.csv --journal RUN.journal`) against the
# fake API for bulk sends (tests/fake_api/fake_bulk_main.c) on 127.0.0.1.
#
# The fake logs every request it received, with a monotonic timestamp,
# BEFORE it answers; the cases check the exact requests, the pacing seen
# by the server, what a resumed run does, and what the journal refuses.
# Credentials must appear nowhere in the output. `bulk_cases.sh - - list`
# prints the case names (tests/CMakeLists.txt registers cli.bulk.<case>).
set -u
bin=$1
fake=$2
case=$3

cases="thousand rate sender-mps storm-429 server-errors resume-unknown dry-run torn-tail
bad-checksum input-changed config-changed journal-unopenable journal-disk-full"
if [ "$case" = list ]; then
  echo $cases
  exit 0
fi

src=$(cd "$(dirname "$0")/../.." && pwd)
config=$src/data/examples/preflight.json
TOKEN=sk-test-SECRET-7f3a9
TOKEN_ID=conn-SECRET-42b1
export POLYAI_AUTH_TOKEN=$TOKEN POLYAI_TOKEN_ID=$TOKEN_ID NO_COLOR=1
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy 2>/dev/null || true

tmp=$(mktemp -d)
pid=""
fails=0
cleanup() {
  # Only the server this script started, by its pid.
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL [$case]: $*"; fails=$((fails + 1)); }

start_api() {
  "$fake" --port-file "$tmp/port" --log "$tmp/api.log" --max-seconds 50 "$@" &
  pid=$!
  i=0
  while [ ! -s "$tmp/port" ]; do
    i=$((i + 1))
    if [ $i -gt 250 ]; then echo "FAIL [$case]: the fake API did not start"; exit 1; fi
    sleep 0.02
  done
  base=http://127.0.0.1:$(cat "$tmp/port")
  : >"$tmp/api.log"
}

msg_ok="Acme Dental: your cleaning is tomorrow at 10:30. Reply STOP to opt out."
msg_block="Acme Dental: details at https://bit.ly/x12 . Reply STOP to opt out."
# gen_list N [AGENT] — N rows, +1415555NNNN; every 10th is blocked (a
# public URL shortener). With AGENT, an agent_number column.
gen_list() {
  awk -v n="$1" -v agent="${2:-}" -v ok="$msg_ok" -v bad="$msg_block" 'BEGIN {
    print "user_number,message" (agent != "" ? ",agent_number" : "")
    for (i = 1; i <= n; i++)
      printf "+1415555%04d,\"%s\"%s\n", i, (i % 10 == 0 ? bad : ok), (agent != "" ? "," agent : "")
  }' >"$tmp/list.csv"
}

# run [FLAGS...] — a bulk send of list.csv; exit code in $rc.
run() {
  "$bin" send --input "$tmp/list.csv" --journal "$tmp/run.journal" --config "$config" \
    --at 2026-12-02T20:00:00Z --base-url "$base" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if grep -q -e "$TOKEN" -e "$TOKEN_ID" "$tmp/out" "$tmp/err"; then
    fail "a credential appears in the output"
  fi
}

expect_rc() { [ "$rc" = "$1" ] || fail "exit $rc, want $1; stderr: $(head -5 "$tmp/err")"; }
count() { grep -c -- "$1" "$2" || true; }
requests() { wc -l <"$tmp/api.log" | tr -d ' '; }

# Each recipient's requests in the log (answers other than 429 count: a
# 429 is the API saying it took nothing), as "NUMBER COUNT" lines.
non429_per_row() {
  awk '$2 != "429" { if (match($0, /"user_number":"\+[0-9]+"/)) print substr($0, RSTART + 15, RLENGTH - 16) }' \
    "$tmp/api.log" | sort | uniq -c | awk '{ print $2, $1 }'
}
at_most_once() {
  twice=$(non429_per_row | awk '$2 > 1' | head -3)
  [ -z "$twice" ] || fail "the API saw these recipients more than once: $twice"
}

# Pacing from the server's clock: any W+1 consecutive requests span at
# least W/RATE seconds, less 15% for the jitter between a request's start
# and its arrival (one late arrival shortens the window after it).
paced() {
  awk -v rate="$1" -v w="${2:-10}" '
    { t[NR] = $1 }
    END {
      for (k = 1; k + w <= NR; k++) {
        span = (t[k + w] - t[k]) / 1e6
        if (span < 0.85 * w / rate) { printf "requests %d..%d within %.3f s\n", k, k + w, span; exit 1 }
      }
    }' "$tmp/api.log" || fail "faster than $1/s: $(paced_detail "$1" "${2:-10}")"
}
paced_detail() {
  awk -v rate="$1" -v w="$2" '{ t[NR] = $1 } END { for (k = 1; k + w <= NR; k++) { span = (t[k + w] - t[k]) / 1e6; if (span < 0.85 * w / rate) { printf "requests %d..%d within %.3f s", k, k + w, span; exit } } }' "$tmp/api.log"
}
span_s() { awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.3f\n", (b - a) / 1e6 }' "$tmp/api.log"; }

case $case in
thousand)
  # 1 000 rows, 100 blocked: exactly the 900 allowed requests, each body
  # exactly what was checked, the blocked ones never requested.
  gen_list 1000
  start_api
  run --rate 1000 --senders 4
  expect_rc 1
  [ "$(requests)" = 900 ] || fail "$(requests) requests, want 900"
  [ "$(awk '$3 != "POST" || $4 != "/v1/outbound-sms"' "$tmp/api.log" | wc -l)" = 0 ] ||
    fail "a request that is not POST /v1/outbound-sms"
  awk -v ok="$msg_ok" 'BEGIN { for (i = 1; i <= 1000; i++) if (i % 10)
    printf "{\"user_number\":\"+1415555%04d\",\"message\":\"%s\",\"agent_number\":\"+14155550132\"}\n", i, ok }' |
    sort >"$tmp/want"
  cut -d' ' -f5- "$tmp/api.log" | sort >"$tmp/got"
  cmp -s "$tmp/want" "$tmp/got" || fail "the request bodies differ: $(diff "$tmp/want" "$tmp/got" | head -4)"
  [ "$(wc -l <"$tmp/out" | tr -d ' ')" = 1000 ] || fail "$(wc -l <"$tmp/out") output rows, want 1000"
  [ "$(count '"outcome":"sent"' "$tmp/out")" = 900 ] || fail "not 900 rows sent"
  [ "$(count '"outcome":"blocked","status":"blocked"' "$tmp/out")" = 100 ] || fail "not 100 blocked"
  # In input order.
  awk -F'[:,]' '{ if ($2 != NR) { print "row " $2 " at line " NR; exit 1 } }' "$tmp/out" ||
    fail "output not in input order"
  grep -q "1000 rows: 900 sent, 100 blocked, 0 failed, 0 unknown, 0 skipped" "$tmp/err" ||
    fail "summary: $(head -2 "$tmp/err")"
  ;;
rate)
  # --rate 40 over 108 requests: the server never sees 21 within 0.5 s,
  # and the run keeps up (at least 80% of the rate overall).
  gen_list 120
  start_api
  run --rate 40 --senders 4
  expect_rc 1
  [ "$(requests)" = 108 ] || fail "$(requests) requests, want 108"
  paced 40 20
  awk -v n="$(requests)" 'NR == 1 { a = $1 } { b = $1 } END { r = (n - 1) / ((b - a) / 1e6); if (r < 32) { printf "achieved %.1f/s\n", r; exit 1 } }' \
    "$tmp/api.log" || fail "too slow: $(span_s) s for 108 requests at 40/s"
  ;;
sender-mps)
  # The toll-free number's "mps": 3 in the config wins over --rate 50.
  gen_list 10 +18335550142
  start_api
  run --rate 50 --senders 4
  expect_rc 1
  [ "$(requests)" = 9 ] || fail "$(requests) requests, want 9"
  paced 3 8
  ;;
storm-429)
  # The first 12 answers are 429 with Retry-After: 1. Every row is sent
  # exactly once in the end, the retries never push the rate over 40/s,
  # and the limiter slowed down (AIMD).
  gen_list 44
  start_api --storm 12 --retry-after 1
  run --rate 40 --senders 4 --max-attempts 10 --summary "$tmp/sum.json"
  expect_rc 1
  [ "$(awk '$2 == "429"' "$tmp/api.log" | wc -l)" = 12 ] || fail "not 12 answers 429"
  [ "$(awk '$2 == "202"' "$tmp/api.log" | wc -l)" = 40 ] || fail "not 40 accepted"
  at_most_once
  paced 40 20
  [ "$(count '"outcome":"sent"' "$tmp/out")" = 40 ] || fail "not 40 rows sent"
  grep -q '"rate_limited": 12' "$tmp/sum.json" || fail "summary: $(cat "$tmp/sum.json")"
  # After Retry-After: 1, nothing for a second.
  awk '$2 == "429" { last = $1 } $2 == "202" && !first { first = $1 } END { exit !(first - last >= 900000) }' \
    "$tmp/api.log" || fail "sent again before Retry-After ran out"
  ;;
server-errors)
  # 500s and connections dropped after the body: never retried, each row
  # requested at most once, reported unknown; exit 3.
  gen_list 60
  start_api --p500 0.2 --pdrop 0.15 --seed 7
  run --rate 500 --senders 4
  expect_rc 3
  at_most_once
  [ "$(requests)" = 54 ] || fail "$(requests) requests, want 54"
  bad=$(awk '$2 == "500" || $2 == "drop"' "$tmp/api.log" | wc -l | tr -d ' ')
  [ "$bad" -gt 0 ] || fail "the fake answered no 500 and dropped nothing"
  [ "$(count '"outcome":"unknown"' "$tmp/out")" = "$bad" ] ||
    fail "$(count '"outcome":"unknown"' "$tmp/out") unknown rows, want $bad"
  # Resumed: nothing is sent again, the unknown rows are reported so.
  run --rate 500
  expect_rc 3
  [ "$(requests)" = 54 ] || fail "the resumed run sent again ($(requests) requests)"
  [ "$(count '"previous":"unknown"' "$tmp/out")" = "$bad" ] || fail "resumed: unknown rows lost"
  # --resend-unknown: exactly those rows again.
  run --rate 500 --resend-unknown
  [ "$(requests)" = $((54 + bad)) ] || fail "--resend-unknown: $(requests) requests, want $((54 + bad))"
  ;;
resume-unknown)
  # A journal with intents and no outcomes (a run killed mid-flight) is
  # simulated by a run whose answers never come: --timeout cuts them.
  gen_list 5
  start_api --delay-ms 3000
  run --rate 100 --timeout 0.3
  expect_rc 3
  [ "$(requests)" = 5 ] || fail "$(requests) requests, want 5"
  run --rate 100
  expect_rc 3
  [ "$(requests)" = 5 ] || fail "a timed-out row was sent again"
  ;;
dry-run)
  gen_list 20
  start_api
  run --dry-run
  expect_rc 1
  [ "$(requests)" = 0 ] || fail "a dry run sent $(requests) requests"
  [ "$(count '"outcome":"dry_run"' "$tmp/out")" = 18 ] || fail "not 18 dry_run rows"
  [ ! -e "$tmp/run.journal" ] || fail "a dry run wrote the journal"
  # Without credentials too.
  POLYAI_AUTH_TOKEN= run --dry-run
  expect_rc 1
  ;;
torn-tail)
  gen_list 20
  start_api
  run --rate 500
  expect_rc 1
  size=$(wc -c <"$tmp/run.journal")
  # Half an intent record, as a kill in the middle of write(2) leaves it.
  printf '\051\000\000\000I\001\000\000' >>"$tmp/run.journal"
  run --rate 500
  expect_rc 1
  grep -q "ignored a torn last record (8 bytes" "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
  [ "$(wc -c <"$tmp/run.journal")" = "$size" ] || fail "the torn tail was not cut"
  [ "$(requests)" = 18 ] || fail "resumed after a torn tail: $(requests) requests"
  [ "$(count '"previous":"sent"' "$tmp/out")" = 18 ] || fail "not 18 skipped as sent"
  ;;
bad-checksum)
  gen_list 20
  start_api
  run --rate 500 --senders 1
  expect_rc 1
  # Byte 100 is inside the first record after the header (at byte 93).
  printf '\377' | dd of="$tmp/run.journal" bs=1 seek=100 conv=notrunc 2>/dev/null
  run --rate 500
  expect_rc 2
  grep -q "run.journal: corrupt journal at byte 93: bad checksum in the record at byte 93" \
    "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
  [ "$(requests)" = 18 ] || fail "sent after finding corruption"
  ;;
input-changed)
  gen_list 20
  start_api
  run --rate 500
  echo "+14155559999,\"$msg_ok\"" >>"$tmp/list.csv"
  run --rate 500
  expect_rc 2
  grep -q "belongs to a run over a different input file" "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
  [ "$(requests)" = 18 ] || fail "sent with a different input"
  ;;
config-changed)
  gen_list 20
  start_api
  run --rate 500
  printf 'Acme Dental: see you {{user_number}}. Reply STOP to opt out.' >"$tmp/t.txt"
  run --rate 500 --template "$tmp/t.txt"
  expect_rc 2
  grep -q "different config and template" "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
  [ "$(requests)" = 18 ] || fail "sent with a different template"
  ;;
journal-unopenable)
  gen_list 20
  start_api
  "$bin" send --input "$tmp/list.csv" --journal "$tmp/no/such/dir/run.journal" \
    --config "$config" --base-url "$base" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  expect_rc 2
  grep -q "cannot open the journal" "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
  [ "$(requests)" = 0 ] || fail "sent without a journal"
  "$bin" send --input "$tmp/list.csv" --config "$config" --base-url "$base" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  expect_rc 2
  grep -q -- "--journal FILE is required" "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
  ;;
journal-disk-full)
  # The journal may not grow past 1 KiB (as a full disk would refuse):
  # the run stops before the next request, exit 2; every request the API
  # saw had its intent on disk, so the resumed run sends each row once.
  gen_list 100
  start_api
  (trap '' XFSZ; ulimit -f 2; run --rate 1000 --senders 2; exit $rc)
  rc=$?
  expect_rc 2
  n=$(requests)
  [ "$n" -gt 0 ] && [ "$n" -lt 90 ] || fail "$n requests before the journal filled"
  run --rate 1000
  at_most_once
  [ "$(requests)" -le 90 ] || fail "$(requests) requests in all"
  [ "$(non429_per_row | wc -l)" -ge $((90 - 2)) ] || fail "rows left unsent after the resume"
  ;;
*)
  echo "unknown case $case"
  exit 2
  ;;
esac
[ $fails = 0 ] || exit 1
echo "ok [$case]"
