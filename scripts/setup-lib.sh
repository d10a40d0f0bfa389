# scripts/setup-lib.sh — sourced by scripts/deps and scripts/tools (not run
# on its own): installers write to build/setup.log, the terminal gets one
# line per step, a reminder while a step runs long, and the log's tail
# when it fails.
#
# Run from the repository root (the callers cd there).
setup_log=build/setup.log
mkdir -p build
: >> "$setup_log"

# human BYTES — "45.3 MB" (decimal, as apt and npm count).
human() {
  awk -v b="${1:-0}" 'BEGIN {
    if (b >= 1e9) printf "%.1f GB", b / 1e9
    else if (b >= 1e6) printf "%.1f MB", b / 1e6
    else if (b >= 1e3) printf "%.0f kB", b / 1e3
    else printf "%d B", b }'
}

# step WHO LIMIT TEXT CMD... — run CMD with its output appended to the log.
# Prints "WHO: TEXT ..." now and "done in N s" or the failure after; every
# 30 s while it runs, a line with the log's last line (a download's
# progress, a lock being waited for). LIMIT seconds (0: none) ends it with
# `timeout`, which signals CMD's whole process group. Returns CMD's status
# (124 on timeout) and leaves it in $step_rc; its output is the log from
# line $step_log_start.
step() {
  _who=$1 _limit=$2 _text=$3
  shift 3
  printf '%s: %s ...\n' "$_who" "$_text" >&2
  printf '\n==== %s %s: %s\n==== %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$_who" "$_text" "$*" \
    >> "$setup_log"
  step_log_start=$(($(wc -l < "$setup_log") + 1)) # this step's output starts here
  _t0=$(date +%s)
  if [ "$_limit" -gt 0 ]; then
    timeout -k 10 "$_limit" "$@" >> "$setup_log" 2>&1 < /dev/null &
  else
    "$@" >> "$setup_log" 2>&1 < /dev/null &
  fi
  _pid=$!
  _n=0
  while kill -0 "$_pid" 2>/dev/null; do
    sleep 1
    _n=$((_n + 1))
    if [ $((_n % 30)) -eq 0 ] && kill -0 "$_pid" 2>/dev/null; then
      _last=$(tail -n 1 "$setup_log" | tr -d '\r' | cut -c1-100)
      printf '%s:   still running after %d s%s (%s)\n' "$_who" "$_n" \
        "$([ "$_limit" -gt 0 ] && echo ", gives up at $_limit s")" "${_last:-no output yet}" >&2
    fi
  done
  step_rc=0
  wait "$_pid" || step_rc=$?
  _dt=$(($(date +%s) - _t0))
  if [ "$step_rc" -eq 0 ]; then
    printf '%s:   done in %d s\n' "$_who" "$_dt" >&2
  else
    if [ "$step_rc" -eq 124 ] || [ "$step_rc" -eq 137 ]; then
      printf '%s:   FAILED: no result after %d s (timed out); the end of %s:\n' "$_who" "$_dt" \
        "$setup_log" >&2
    else
      printf '%s:   FAILED (exit %d after %d s); the end of %s:\n' "$_who" "$step_rc" "$_dt" \
        "$setup_log" >&2
    fi
    # The step's own output, less npm's stack frames.
    tail -n "+$step_log_start" "$setup_log" | grep -v '^npm \(error\|ERR!\) *at ' |
      tail -n 15 | sed 's/^/    | /' >&2
  fi
  return "$step_rc"
}
