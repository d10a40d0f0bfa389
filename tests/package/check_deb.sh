#!/bin/sh
# check_deb.sh DEB SOURCE_DIR — install the Debian package for real and run
# the demo's commands from /usr/bin against /usr/share/sms-preflight with no
# source tree anywhere, then remove it.
#
# Why a real install: `apt-get install ./DEB` resolves the package's
# Depends from Debian (computed by dpkg-shlibdeps), runs its ldconfig
# trigger and puts every file where the program will look, which is what a
# user gets; extracting with dpkg-deb -x would prove none of that. Why a
# mount namespace: the binary was configured from SOURCE_DIR and could fall
# back to it, so the commands run under `unshare --mount` with SOURCE_DIR
# covered by an empty tmpfs, from a scratch directory, with PREFLIGHT_*
# unset — a lookup into the source tree finds nothing there.
#
# Needs root (apt-get, unshare); exit 77 (skipped) without it, or when an
# sms-preflight package is already installed (it is not touched).
set -u
deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd -P)
if [ "$(id -u)" != 0 ]; then echo "skipped: installing the package needs root"; exit 77; fi
if dpkg-query -W -f='${Status}' sms-preflight 2>/dev/null | grep -q "install ok installed"; then
  echo "skipped: an sms-preflight package is already installed; not replacing it"; exit 77
fi
[ -f "$deb" ] || { echo "FAIL: no package at $1 (scripts/package)"; exit 1; }

lock="-o DPkg::Lock::Timeout=600"
cleanup() { DEBIAN_FRONTEND=noninteractive apt-get $lock purge -y -qq sms-preflight >/dev/null 2>&1; }
trap cleanup EXIT
echo "== apt-get install $deb"
DEBIAN_FRONTEND=noninteractive apt-get $lock install -y -qq "$deb" >/tmp/check_deb.$$.log 2>&1 ||
  { echo "FAIL: apt-get install"; cat /tmp/check_deb.$$.log; rm -f /tmp/check_deb.$$.log; exit 1; }
rm -f /tmp/check_deb.$$.log

inner=$(mktemp)
cat > "$inner" <<'INNER'
set -u
src=$1
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
# The source tree is gone (an empty tmpfs) and nothing points at it.
[ -z "$(ls -A "$src")" ] && ok "the source tree $src is hidden" || bad "$src is still visible"
unset PREFLIGHT_RULES_DIR PREFLIGHT_DATA_DIR
work=$(mktemp -d); cd "$work" || exit 1
pf=$(command -v preflight)
[ "$pf" = /usr/bin/preflight ] && ok "preflight is $pf" || bad "preflight is '$pf'"
ex=/usr/share/sms-preflight/data/examples
cfg=$ex/preflight.json
at=2026-11-26T20:00:00Z
msg="Acme Dental: your cleaning is tomorrow at 10:30."
# run EXIT ARGS... — a demo command and the exit code it must give.
run() {
  want=$1; shift
  preflight "$@" > out.txt 2> err.txt
  got=$?
  if [ "$got" = "$want" ]; then ok "preflight $* (exit $got)"; else
    bad "preflight $*: exit $got, want $want"; head -5 err.txt; fi
}
run 0 --version
grep -Eq '^rules: sha256:[0-9a-f]{64}, [0-9]+ packs, [0-9]+ rules \(/usr/(bin/\.\./)?share/sms-preflight/rules\)$' out.txt \
  && ok "rules from /usr/share/sms-preflight" || { bad "--version names other rules"; cat out.txt; }
grep -Eq '^data: .* countries, .*\(/usr/(bin/\.\./)?share/sms-preflight/data\)$' out.txt \
  && ok "data from /usr/share/sms-preflight" || { bad "--version names other data"; cat out.txt; }
run 0 number +14155552671 +447400123456
run 0 number --region GB "07400 123456"
run 0 countries US AE JP --format json
grep -q '"code":[[:space:]]*"AE"' out.txt || bad "countries: no AE entry"
run 0 segments --message "Hi Sam — your order’s ready… pick it up at 5!"
run 1 scan --country US --first-message --brand "Acme Dental" \
  --message "Acme Dental: 50% off teeth whitening! Book at bit.ly/acme-smile. Reply STOP to opt out."
run 0 check --config "$cfg" --at "$at" --to +14155552671 --message "$msg" --not-first \
  --purpose transactional --format json
grep -q '"verdict":[[:space:]]*"pass"' out.txt || bad "check: not a pass"
run 1 check --config "$cfg" --at "$at" --to +14155552671 --message "$msg" \
  --agent-number +16505550147 --not-first --purpose transactional --format json
grep -q 'a2p.10dlc-unregistered' out.txt || bad "check: the pending campaign was not flagged"
run 1 batch --config "$cfg" --at "$at" --input "$ex/recipients.csv" --format csv --output v.csv --quiet
[ "$(($(wc -l < v.csv) - 1))" = "$(($(wc -l < "$ex/recipients.csv") - 1))" ] \
  && ok "batch: one verdict per row" || bad "batch: row count differs"
POLYAI_AUTH_TOKEN=demo-token POLYAI_TOKEN_ID=demo-connector \
  run 0 send --config "$cfg" --at "$at" --to +14155552671 --message "$msg" --not-first \
  --purpose transactional --dry-run
grep -q demo-token out.txt err.txt && bad "send --dry-run shows the token"
run 1 lint --config "$cfg" --country US --country GB --format sarif --output l.sarif "$ex/templates"
run 1 audit --country GB --config "$cfg" --templates "$ex/templates" --format html --output a.html
grep -q '<html' a.html || bad "audit: no page"
# Man pages, completions, schemas, and the library for C programs.
[ "$(man -w preflight-check 2>/dev/null)" = /usr/share/man/man1/preflight-check.1 ] \
  && ok "man preflight-check" || bad "man -w preflight-check: $(man -w preflight-check 2>&1)"
[ -f /usr/share/bash-completion/completions/preflight ] && [ -f /usr/share/zsh/vendor-completions/_preflight ] \
  && ok "completions installed" || bad "completions missing"
[ -f /usr/share/sms-preflight/schemas/verdict.schema.json ] && ok "schemas installed" || bad "schemas missing"
printf '#include <stdio.h>\n#include <preflight/preflight.h>\nint main(void) { puts(pf_version()); return 0; }\n' > v.c
if cc v.c $(pkg-config --cflags --libs preflight) -o v 2> cc.txt && [ "$(./v)" = "$(preflight --version | sed -n 's/^libpreflight //p')" ]; then
  ok "a C program links the installed libpreflight (pkg-config) and runs"
else
  bad "C program against the installed library"; cat cc.txt
fi
cd / && rm -rf "$work"
exit $fail
INNER
echo "== the demo from /usr/bin, source tree hidden"
unshare --mount --propagation private sh -c 'mount -t tmpfs -o ro,size=1m tmpfs "$1" && sh "$2" "$1"' \
  sh "$src" "$inner"
rc=$?
rm -f "$inner"
[ $rc = 0 ] && echo "== package: all checks passed" || echo "== package: FAILED"
exit $rc
