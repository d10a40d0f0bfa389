#!/bin/sh
# version.sh PREFLIGHT SOURCE_DIR — `preflight --version` names the program
# and library versions and the rules and data it would load by the hash
# that coreutils computes (cd DIR && sha256sum *.json | sha256sum), and the
# hash follows the files: a copy with one byte changed hashes differently.
set -u
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
want() { # DIR -> the hash as coreutils has it
  (cd "$1" && LC_ALL=C sha256sum *.json | sha256sum | cut -c1-64)
}
check() { # LABEL GOT-LINE PATTERN
  if printf '%s\n' "$2" | grep -Eq "$3"; then echo "ok: $1"; else echo "FAIL: $1: got '$2', want /$3/"; fail=1; fi
}
cp -r "$src/rules" "$tmp/rules"
cp -r "$src/data" "$tmp/data"
run() { PREFLIGHT_RULES_DIR=$tmp/rules PREFLIGHT_DATA_DIR=$tmp/data "$bin" "$@"; }
out=$(run --version) || { echo "FAIL: --version exit $?"; exit 1; }
packs=$(ls "$tmp"/rules/*.json | wc -l)
check "program line" "$(echo "$out" | sed -n 1p)" '^preflight [0-9]+\.[0-9]+\.[0-9]+$'
check "library line" "$(echo "$out" | sed -n 2p)" '^libpreflight [0-9]+\.[0-9]+\.[0-9]+$'
check "rules hash" "$(echo "$out" | sed -n 3p)" "^rules: sha256:$(want "$tmp/rules"), $packs packs, [0-9]+ rules \($tmp/rules\)$"
check "data hash" "$(echo "$out" | sed -n 4p)" "^data: sha256:$(want "$tmp/data"), [0-9]+ files, [0-9]+ countries, reviewed up to [0-9]{4}-[0-9]{2}-[0-9]{2} \($tmp/data\)$"
# A subcommand's --version says the same.
[ "$(run check --version)" = "$out" ] && echo "ok: check --version" || { echo "FAIL: check --version differs"; fail=1; }
# One more byte in a pack: another hash.
before=$(echo "$out" | sed -n 3p)
f=$(ls "$tmp"/rules/*.json | head -1)
printf ' ' >> "$f"
after=$(run --version | sed -n 3p)
[ "$before" != "$after" ] && echo "ok: the hash follows the content" || { echo "FAIL: hash unchanged after an edit"; fail=1; }
check "rules hash after the edit" "$after" "sha256:$(want "$tmp/rules")"
# Unreadable rules: still exit 0, saying so.
out=$(PREFLIGHT_RULES_DIR=$tmp/none PREFLIGHT_DATA_DIR=$tmp/data "$bin" --version) || { echo "FAIL: exit $?"; fail=1; }
check "missing rules" "$(echo "$out" | sed -n 3p)" "^rules: $tmp/none: cannot read"
exit $fail
