#!/bin/sh
# check_dask.sh PREFLIGHT SOURCE_DIR OUT_DIR — recipes/dask_batch.py on a
# LocalCluster of 2 worker processes writes exactly what one
# `preflight batch` writes, row for row and byte for byte, for a generated
# list whose recipients repeat in different spellings across the list (so
# duplicates must meet in one partition to be found). Exit 77 (skipped)
# when Debian's python3-distributed is missing (scripts/tools installs it).
set -u
bin=$1
src=$2
out=$3
py=/usr/bin/python3
if ! "$py" -c 'import distributed, dask.bag' 2>/dev/null; then
  echo "skipped: python3-distributed (Dask) is not installed for $py; scripts/tools installs it"
  exit 77
fi
rm -rf "$out"; mkdir -p "$out"; cd "$out" || exit 1
"$py" "$src/tests/distributed/gen_list.py" 3000 19 > list.csv
args="--config $src/data/examples/preflight.json --at 2026-11-26T20:00:00Z --purpose transactional"
"$bin" batch --input list.csv --format jsonl --quiet $args > single.jsonl
single_rc=$?
start=$(date +%s)
"$py" "$src/recipes/dask_batch.py" --local-workers 2 --partitions 6 --preflight "$bin" \
  --input list.csv --output dask.jsonl -- $args 2> dask.log
dask_rc=$?
echo "dask_batch.py: exit $dask_rc in $(( $(date +%s) - start )) s (single: exit $single_rc)"
fail=0
rows=$(($(wc -l < single.jsonl)))
dups=$(grep -c 'batch.duplicate-recipient' single.jsonl)
errs=$(grep -c '"verdict":"error"' single.jsonl)
echo "single run: $rows rows, $dups duplicates, $errs error rows"
[ "$rows" = 3000 ] || { echo "FAIL: $rows rows, want 3000"; fail=1; }
[ "$dups" -gt 500 ] || { echo "FAIL: only $dups duplicates: the list does not test them"; fail=1; }
[ "$errs" -gt 0 ] || { echo "FAIL: no error rows"; fail=1; }
if cmp -s single.jsonl dask.jsonl; then
  echo "ok: the Dask run equals the single run, byte for byte"
else
  echo "FAIL: the outputs differ:"; diff single.jsonl dask.jsonl | head -10; tail -20 dask.log; fail=1
fi
[ "$dask_rc" = "$single_rc" ] || { echo "FAIL: exit $dask_rc, want $single_rc"; fail=1; }
exit $fail
