#!/bin/sh
# bulk_kill.sh PREFLIGHT FAKE_BULK_SERVER KILLS ROWS RATE PDROP SEED
#
# The crash test of bulk send: runs of `preflight send --input --journal`
# killed with SIGKILL at random moments (KILLS of them), each followed by
# the same command, until one run finishes; then once more. The fake API
# logs every request before answering (and, with PDROP > 0, drops that
# share of connections after reading the body), so afterwards:
#
#   - the API saw each row at most once (429 answers aside: none here);
#   - every row ends sent, blocked, failed or unknown, the allowed ones
#     sent or unknown, every accepted row reported sent and only those;
#   - unknown only for rows in flight at a kill (at most 4 per kill, the
#     requests in flight) or whose connection the API dropped.
#
# Prints one line of figures. ctest runs a short version (10 kills); the
# long one is scripts/bulk-kill.
set -u
bin=$1
fake=$2
kills_wanted=$3
rows=$4
rate=$5
pdrop=$6
seed=$7

src=$(cd "$(dirname "$0")/../.." && pwd)
config=$src/data/examples/preflight.json
export POLYAI_AUTH_TOKEN=sk-test-SECRET-7f3a9 POLYAI_TOKEN_ID=conn-SECRET-42b1 NO_COLOR=1
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy 2>/dev/null || true

tmp=$(mktemp -d)
pid=""
run_pid=""
cleanup() {
  # Only the processes this script started, by their pids.
  if [ -n "$run_pid" ]; then kill -9 "$run_pid" 2>/dev/null; wait "$run_pid" 2>/dev/null; fi
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL [kill]: $*"; fails=$((fails + 1)); }

"$fake" --port-file "$tmp/port" --log "$tmp/api.log" --max-seconds 3000 --pdrop "$pdrop" \
  --seed "$seed" &
pid=$!
i=0
while [ ! -s "$tmp/port" ]; do
  i=$((i + 1))
  [ $i -le 250 ] || { echo "FAIL [kill]: the fake API did not start"; exit 1; }
  sleep 0.02
done
base=http://127.0.0.1:$(cat "$tmp/port")

awk -v n="$rows" 'BEGIN {
  print "user_number,message"
  for (i = 1; i <= n; i++)
    printf "+1415555%04d,\"Acme Dental: %s Reply STOP to opt out.\"\n", i,
      (i % 10 == 0 ? "details at https://bit.ly/x12 ." : "your cleaning is tomorrow at 10:30.")
}' >"$tmp/list.csv"

send() {
  "$bin" send --input "$tmp/list.csv" --journal "$tmp/run.journal" --config "$config" \
    --at 2026-12-02T20:00:00Z --base-url "$base" --rate "$rate" --senders 4 --quiet "$@"
}

start=$(date +%s)
runs=0
kills=0
n=0
while [ $kills -lt "$kills_wanted" ]; do
  n=$((n + 1))
  # 0.15 to 0.9 s: start-up takes about 0.1 to 0.3 s, so some kills land
  # before any request and most in the middle of sending.
  delay=$(awk -v s="$seed" -v n="$n" 'BEGIN { srand(s * 1000 + n); printf "%.3f", 0.15 + rand() * 0.75 }')
  # The program itself in the background (not a function: that would be
  # a subshell, and the kill would miss the program).
  "$bin" send --input "$tmp/list.csv" --journal "$tmp/run.journal" --config "$config" \
    --at 2026-12-02T20:00:00Z --base-url "$base" --rate "$rate" --senders 4 --quiet \
    >"$tmp/out.$n" 2>"$tmp/err.$n" &
  run_pid=$!
  runs=$((runs + 1))
  sleep "$delay"
  if kill -0 "$run_pid" 2>/dev/null && kill -9 "$run_pid" 2>/dev/null; then
    kills=$((kills + 1))
    wait "$run_pid" 2>/dev/null
    run_pid=""
  else
    # It finished before its kill: the list is done.
    wait "$run_pid" 2>/dev/null
    run_pid=""
    break
  fi
done
send >"$tmp/final" 2>"$tmp/final.err"
rc=$?
runs=$((runs + 1))
case $rc in 0|1|3) ;; *) fail "the finishing run exited $rc: $(cat "$tmp/final.err")" ;; esac
before=$(wc -l <"$tmp/api.log")
send >"$tmp/again" 2>"$tmp/again.err"
runs=$((runs + 1))
[ "$(wc -l <"$tmp/api.log")" = "$before" ] || fail "a run after the finishing one sent again"
elapsed=$(($(date +%s) - start))

# Per recipient: requests seen (429s aside), accepted ones, dropped ones.
awk '{ if (match($0, /"user_number":"\+[0-9]+"/)) print substr($0, RSTART + 15, RLENGTH - 16), $2 }' \
  "$tmp/api.log" >"$tmp/seen"
dups=$(awk '$2 != "429" { c[$1]++ } END { n = 0; for (k in c) if (c[k] > 1) n++; print n }' "$tmp/seen")
drops=$(awk '$2 == "drop"' "$tmp/seen" | wc -l | tr -d ' ')
requests=$(wc -l <"$tmp/api.log" | tr -d ' ')
[ "$dups" = 0 ] || fail "$dups rows were seen more than once by the API: $(awk '$2 != "429" { c[$1]++ } END { for (k in c) if (c[k] > 1) print k }' "$tmp/seen" | head -3)"

# Final state per row from the finishing run's output: an outcome, or
# for a row done before, what the earlier run recorded.
awk '{
  match($0, /"user_number":"[^"]*"/); u = substr($0, RSTART + 15, RLENGTH - 16)
  match($0, /"outcome":"[a-z_]*"/); o = substr($0, RSTART + 11, RLENGTH - 12)
  if (o == "skipped") { match($0, /"previous":"[a-z]*"/); o = substr($0, RSTART + 12, RLENGTH - 13) }
  print u, o
}' "$tmp/final" | sort >"$tmp/state"
[ "$(wc -l <"$tmp/state" | tr -d ' ')" = "$rows" ] || fail "$(wc -l <"$tmp/state") rows in the final output, want $rows"
bad=$(awk '$2 != "sent" && $2 != "blocked" && $2 != "failed" && $2 != "unknown"' "$tmp/state" | head -3)
[ -z "$bad" ] || fail "rows in another state: $bad"
sent=$(awk '$2 == "sent"' "$tmp/state" | wc -l | tr -d ' ')
blocked=$(awk '$2 == "blocked"' "$tmp/state" | wc -l | tr -d ' ')
failed=$(awk '$2 == "failed"' "$tmp/state" | wc -l | tr -d ' ')
unknown=$(awk '$2 == "unknown"' "$tmp/state" | wc -l | tr -d ' ')
[ "$blocked" = $((rows / 10)) ] || fail "$blocked blocked, want $((rows / 10))"
[ "$failed" = 0 ] || fail "$failed rows failed"
# Sent exactly when the API accepted it.
awk '$2 == "202" { print $1 }' "$tmp/seen" | sort >"$tmp/accepted"
awk '$2 == "sent" { print $1 }' "$tmp/state" >"$tmp/sent"
[ -z "$(comm -13 "$tmp/accepted" "$tmp/sent" | head -1)" ] || fail "reported sent but never accepted: $(comm -13 "$tmp/accepted" "$tmp/sent" | head -3)"
# Accepted but not reported sent: only a row killed between the answer
# and its outcome record, which is unknown.
awk '$2 == "unknown" { print $1 }' "$tmp/state" >"$tmp/unknown"
[ -z "$(comm -23 "$tmp/accepted" "$tmp/sent" | comm -23 - "$tmp/unknown" | head -1)" ] ||
  fail "accepted but reported neither sent nor unknown"
[ "$unknown" -le $((kills * 4 + drops)) ] || fail "$unknown unknown rows for $kills kills and $drops drops"

echo "kill test: runs=$runs kills=$kills rows=$rows requests=$requests duplicates=$dups sent=$sent blocked=$blocked failed=$failed unknown=$unknown drops=$drops elapsed=${elapsed}s (rate $rate/s, pdrop $pdrop, seed $seed)"
[ $fails = 0 ] || exit 1
