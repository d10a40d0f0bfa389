#!/bin/sh
# run_golden.sh PREFLIGHT CASE_DIR — run one renderer golden case and compare
# its output byte for byte.
#
# Every case runs in tests/golden/inputs (templates, a project config, and
# snapshots of the country table and rule packs, so the expected output
# changes only when the renderers do). A case directory holds:
#   args        the arguments, one per line
#   exit        the expected exit code (default 0)
#   expected.*  the expected standard output (one file: .txt, .json, .sarif,
#               .xml, .md, .html)
# The version is normalised to @VERSION@, and the absolute path of the
# golden directory (SARIF's file:// URIs) to @GOLDEN@, before comparing. Set
# PF_GOLDEN_UPDATE=1 to rewrite expected.* from the current output instead.
set -u
bin=$1
dir=$(cd "$2" && pwd)
inputs=$(cd "$dir/../inputs" && pwd -P)
golden=$(dirname "$inputs")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

set --
while IFS= read -r line || [ -n "$line" ]; do
  set -- "$@" "$line"
done < "$dir/args"
want_exit=0
[ -f "$dir/exit" ] && want_exit=$(cat "$dir/exit")
expected=$(ls "$dir"/expected.* 2>/dev/null | head -1)
if [ -z "$expected" ]; then
  echo "no expected.* file in $dir"; exit 1
fi

(
  cd "$inputs" || exit 99
  PREFLIGHT_RULES_DIR="$inputs/rules" PREFLIGHT_DATA_DIR="$inputs/data" NO_COLOR=1 \
    "$bin" "$@" < /dev/null > "$tmp/raw" 2> "$tmp/err"
)
got_exit=$?
version=$("$bin" --version | head -1 | sed 's/^preflight //')
ver_re=$(printf '%s' "$version" | sed 's/[.]/\\./g')
golden_re=$(printf '%s' "$golden" | sed 's/[].[\\*^$|]/\\&/g')
sed -e "s/$ver_re/@VERSION@/g" -e "s|$golden_re|@GOLDEN@|g" "$tmp/raw" > "$tmp/out"

if [ "${PF_GOLDEN_UPDATE:-}" = 1 ]; then
  cp "$tmp/out" "$expected"
  echo "$got_exit" > "$dir/exit"
  echo "updated $expected"
  exit 0
fi
fail=0
if [ "$got_exit" != "$want_exit" ]; then
  echo "exit code: got $got_exit, want $want_exit"; fail=1
fi
if ! cmp -s "$expected" "$tmp/out"; then
  echo "output differs from $expected:"; diff -u "$expected" "$tmp/out" | head -80; fail=1
fi
if [ $fail -ne 0 ]; then
  echo "--- stderr was:"; head -20 "$tmp/err"
  exit 1
fi
exit 0
