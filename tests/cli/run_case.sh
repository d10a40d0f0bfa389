#!/bin/sh
# run_case.sh PREFLIGHT CASE_DIR — run one CLI case and compare it.
#
# A case directory holds:
#   args          the arguments, one per line (no shell quoting needed)
#   stdin         optional: fed to standard input (else /dev/null)
#   env           optional: VAR=value lines exported before the run
#   exit          the expected exit code (default 0)
#   stdout        optional: expected standard output, byte for byte
#   stderr        optional: expected standard error, byte for byte
#   stderr.grep   optional: lines that must each appear in standard error
#   stdout.grep   optional: lines that must each appear in standard output
# The program runs in the case directory, so relative paths in args work.
set -u
bin=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

set --
while IFS= read -r line || [ -n "$line" ]; do
  set -- "$@" "$line"
done < "$dir/args"

in=/dev/null
[ -f "$dir/stdin" ] && in="$dir/stdin"
want_exit=0
[ -f "$dir/exit" ] && want_exit=$(cat "$dir/exit")

(
  cd "$dir" || exit 99
  if [ -f env ]; then
    while IFS= read -r kv || [ -n "$kv" ]; do export "$kv"; done < env
  fi
  NO_COLOR=1 "$bin" "$@" < "$in" > "$tmp/out" 2> "$tmp/err"
)
got_exit=$?
fail=0
if [ "$got_exit" != "$want_exit" ]; then
  echo "exit code: got $got_exit, want $want_exit"; fail=1
fi
if [ -f "$dir/stdout" ] && ! cmp -s "$dir/stdout" "$tmp/out"; then
  echo "stdout differs:"; diff -u "$dir/stdout" "$tmp/out" | head -60; fail=1
fi
if [ -f "$dir/stderr" ] && ! cmp -s "$dir/stderr" "$tmp/err"; then
  echo "stderr differs:"; diff -u "$dir/stderr" "$tmp/err" | head -60; fail=1
fi
if [ -f "$dir/stderr.grep" ]; then
  while IFS= read -r pat || [ -n "$pat" ]; do
    if ! grep -qF -- "$pat" "$tmp/err"; then
      echo "stderr lacks: $pat"; fail=1
    fi
  done < "$dir/stderr.grep"
fi
if [ -f "$dir/stdout.grep" ]; then
  while IFS= read -r pat || [ -n "$pat" ]; do
    if ! grep -qF -- "$pat" "$tmp/out"; then
      echo "stdout lacks: $pat"; fail=1
    fi
  done < "$dir/stdout.grep"
fi
if [ $fail -ne 0 ]; then
  echo "--- stderr was:"; head -40 "$tmp/err"
  exit 1
fi
exit 0
