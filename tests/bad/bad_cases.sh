#!/bin/sh
# bad_cases.sh PREFLIGHT CASE — one hostile-input case for the preflight
# program: the input is generated here (nothing large is committed), the
# command runs, and the case checks the exit code and that standard error
# names the file, row or field. ctest's TIMEOUT on each case bounds the time;
# a crash (signal) fails any case. `bad_cases.sh - list` prints the names.
set -u
bin=$1
case=$2

cases="empty-message-file empty-countries empty-rules-pack empty-config empty-csv
ten-mb-message ten-mb-csv-line nul-in-message nul-in-config nul-in-csv
invalid-utf8-message overlong-utf8-message invalid-utf8-rules invalid-utf8-csv
deep-json-config deep-json-rules deep-json-countries number-1000-digits
number-arg-huge catastrophic-regex csv-10000-columns config-100000-numbers
truncated-config rules-dir-missing segments-too-large campaign-empty campaign-deep-json
campaign-nul campaign-two-mb campaign-huge-sample"
if [ "$case" = list ]; then
  echo $cases
  exit 0
fi

src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export NO_COLOR=1

# expect EXIT [STDERR-SUBSTRING] -- ARGS...: run and check.
expect() {
  want=$1
  shift
  grep_for=""
  if [ "$1" != "--" ]; then
    grep_for=$1
    shift
  fi
  shift
  "$bin" "$@" >out.txt 2>err.txt
  got=$?
  if [ "$got" -ge 128 ]; then
    echo "FAIL [$case]: killed by signal $((got - 128))"; tail -5 err.txt; exit 1
  fi
  if [ "$got" != "$want" ]; then
    echo "FAIL [$case]: exit $got, want $want"; head -c 2000 err.txt; exit 1
  fi
  if [ -n "$grep_for" ] && ! grep -qF -- "$grep_for" err.txt; then
    echo "FAIL [$case]: stderr lacks: $grep_for"; head -c 2000 err.txt; exit 1
  fi
}

# Repeat a string n times (no trailing newline).
rep() { awk -v s="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'; }

deep() { rep '[' "$1"; rep ']' "$1"; }

to="--to +14155552671"
case $case in
empty-message-file)
  : > m.txt
  expect 1 -- check $to --message-file m.txt --not-first
  grep -q message.empty out.txt || { echo "FAIL: no message.empty"; exit 1; } ;;
empty-countries)
  mkdir d; : > d/countries.json
  expect 2 "d/countries.json:1:1: JSON syntax error: unexpected end of file" -- countries --data d ;;
empty-rules-pack)
  mkdir r; : > r/x.json
  expect 2 "r/x.json:1:1: JSON syntax error: unexpected end of file" -- rules --rules r ;;
empty-config)
  : > c.json
  expect 2 "c.json:1:1: JSON syntax error: unexpected end of file" -- check $to --message hi --config c.json ;;
empty-csv)
  : > in.csv
  expect 2 "in.csv: empty input: a header row is required" -- batch --input in.csv ;;
ten-mb-message)
  rep 'aaaaaaaaaa' 1048576 > m.txt
  expect 2 "m.txt: the message is larger than the limit of 65536 bytes" -- check $to --message-file m.txt ;;
ten-mb-csv-line)
  { echo "user_number,message"; printf '+14155552671,'; rep 'aaaaaaaaaa' 1048576; echo; } > in.csv
  expect 1 -- batch --input in.csv --quiet
  grep -q '"error":"row 1: field 2 is 10485760 bytes; the limit is 65536"' out.txt || { echo "FAIL: no error row"; cat out.txt | head -c 500; exit 1; } ;;
nul-in-message)
  printf 'Acme: hi\000there' > m.txt
  expect 2 "m.txt: the message has a NUL byte at byte 8" -- check $to --message-file m.txt --not-first ;;
nul-in-config)
  printf '{"environment": "live",\000 "numbers": []}' > c.json
  expect 2 "c.json:1:24: JSON syntax error: control character 0x00" -- check $to --message hi --config c.json ;;
nul-in-csv)
  printf 'user_number,message\n+14155552671,hi\000there\n' > in.csv
  expect 1 -- batch --input in.csv --quiet
  [ "$(wc -l < out.txt)" -eq 1 ] || { echo "FAIL: not one output row"; exit 1; }
  grep -q 'message: the message has a NUL byte at byte 2' out.txt || { echo "FAIL: no error row"; cat out.txt; exit 1; } ;;
invalid-utf8-message)
  printf 'Acme \377 hi' > m.txt
  expect 2 "m.txt: invalid UTF-8 at byte 5" -- check $to --message-file m.txt ;;
overlong-utf8-message)
  printf 'Acme \300\257 hi' > m.txt
  expect 2 "m.txt: invalid UTF-8 at byte 5" -- scan --message-file m.txt ;;
invalid-utf8-rules)
  mkdir r; printf '{"pack": "\377"}' > r/x.json
  expect 2 "r/x.json:1:11: invalid UTF-8" -- rules --rules r ;;
invalid-utf8-csv)
  printf 'user_number,message\n+14155552671,caf\351\n' > in.csv
  expect 1 -- batch --input in.csv --quiet
  grep -q 'column message: invalid UTF-8 at byte 3' out.txt || { echo "FAIL: no error row"; cat out.txt; exit 1; } ;;
deep-json-config)
  deep 100000 > c.json
  expect 2 "c.json:1:" -- check $to --message hi --config c.json ;;
deep-json-rules)
  mkdir r; deep 100000 > r/x.json
  expect 2 "r/x.json:1:" -- rules --rules r ;;
deep-json-countries)
  mkdir d; deep 100000 > d/countries.json
  expect 2 "d/countries.json:1:" -- countries --data d ;;
number-1000-digits)
  { printf '+'; rep 7 1000; echo; } > n.txt
  expect 1 -- number --input n.txt
  grep -q 'too long (1001 bytes; at most 250)' out.txt || { echo "FAIL: no per-number error"; cat out.txt; exit 1; } ;;
number-arg-huge)
  expect 1 -- check --to "+$(rep 1 1000)" --message hi --not-first --format json
  grep -q number.unparseable out.txt || { echo "FAIL: no number.unparseable"; exit 1; } ;;
catastrophic-regex)
  mkdir r
  printf '{"pack": "evil", "description": "d", "rules": [{"id": "content.evil", "category": "x", "severity": "warn", "message": "m", "fix": "f", "source": "heuristic", "pattern": "(a+)+$"}]}' > r/evil.json
  expect 0 -- scan --rules r --message "$(rep a 40)b" --format json
  grep -q '"rules.match-limit"' out.txt && grep -q 'Rule content.evil was stopped' out.txt ||
    { echo "FAIL: the limit finding does not name the rule"; cat out.txt; exit 1; } ;;
csv-10000-columns)
  { printf 'user_number,message'; rep ',x' 9998; echo; printf '+14155552671,hi'; rep ',v' 9998; echo;
    printf '+14155552672,hi,short\n'; } > in.csv
  expect 1 -- batch --input in.csv --quiet
  [ "$(wc -l < out.txt)" -eq 2 ] || { echo "FAIL: not two output rows"; exit 1; }
  grep -q '"error":"row 2 has 3 fields; the header has 10000"' out.txt || { echo "FAIL: no ragged error"; exit 1; } ;;
config-100000-numbers)
  awk 'BEGIN { printf "{\"environment\": \"live\", \"numbers\": [\n";
               for (i = 0; i < 100000; i++) printf "%s{\"number\": \"%d\", \"kind\": \"short_code\", \"environment\": \"live\"}\n", (i ? "," : ""), 100000 + i;
               printf ",{\"number\": \"100005\", \"kind\": \"short_code\", \"environment\": \"live\"}]}\n" }' > c.json
  expect 2 "c.json:100002:" -- check $to --message hi --config c.json
  grep -q "duplicate number '100005'" err.txt || { echo "FAIL: duplicate not named"; cat err.txt; exit 1; } ;;
truncated-config)
  printf '{"environment": "live", "numbers": [{"number": "+1415' > c.json
  expect 2 "c.json:1:54: JSON syntax error: unexpected end of file" -- check $to --message hi --config c.json ;;
rules-dir-missing)
  expect 2 "no-such-dir: cannot open rules directory" -- rules --rules no-such-dir ;;
segments-too-large)
  rep 'a' 1048576 > big.txt
  expect 2 "big.txt: the message is larger than the limit of 65536 bytes" -- segments --message-file big.txt ;;
campaign-empty)
  : > c.json
  expect 2 "c.json:1:1" -- campaign c.json ;;
campaign-deep-json)
  deep 100000 > c.json
  expect 2 "c.json:1:" -- campaign c.json ;;
campaign-nul)
  printf '{"brand": {"name": "A"},\000 "use_case": "2FA"}' > c.json
  expect 2 "c.json:1:25" -- campaign c.json ;;
campaign-two-mb)
  { printf '{"brand": {"name": "A"}, "use_case": "2FA", "description": "'; rep 'x' 2100000; printf '"}'; } > c.json
  expect 2 "c.json" -- campaign c.json ;;
campaign-huge-sample)
  # One sample near the file limit: checked, not refused, in bounded time.
  { printf '{"brand": {"name": "A"}, "use_case": "2FA", "sample_messages": ["A: code '; rep 'bit.ly/x STOP ' 60000; printf '", "A: code [code]"]}'; } > c.json
  expect 1 -- campaign c.json ;;
*)
  echo "unknown case $case"; exit 2 ;;
esac
echo "ok [$case]"
exit 0
