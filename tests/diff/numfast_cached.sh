#!/bin/sh
# numfast_cached.sh DIFF_NUMFAST [ARGS] — the number engine against
# libphonenumber with every calling code's patterns decoded from the
# start-up cache (numfast.c, phone-patterns-CC) instead of compiled: a
# first run fills a private cache, a second checks every answer again
# reading it, and the files must be there (else nothing was tested).
set -u
bin=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
PREFLIGHT_CACHE_DIR=$dir "$bin" --quick >/dev/null || { echo "FAIL: the warm-up run"; exit 1; }
n=$(ls "$dir" | grep -c '^phone-patterns-')
[ "$n" -ge 200 ] || { echo "FAIL: only $n calling codes' patterns cached"; exit 1; }
echo "ok: $n calling codes' patterns cached"
before=$(cat "$dir"/phone-patterns-* | cksum)
PREFLIGHT_CACHE_DIR=$dir "$bin" "$@" || exit 1
# A run that read them leaves them as they were (a rejected file is rewritten).
[ "$(cat "$dir"/phone-patterns-* | cksum)" = "$before" ] || { echo "FAIL: cache files rewritten"; exit 1; }
echo "ok: answers from the cached patterns match libphonenumber"
