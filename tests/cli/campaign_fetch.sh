#!/bin/sh
# campaign_fetch.sh PREFLIGHT FAKE_API_SERVER — `preflight campaign --fetch`
# end to end against the fake server on 127.0.0.1 (plain http is allowed
# only to loopback): live pages pass, a missing page is a finding (exit 1),
# and the campaign's own findings are untouched. Nothing leaves the machine.
set -u
bin=$1
fake=$2
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
export NO_COLOR=1
fails=0

start_api() {
  rm -f "$tmp/port"
  mkdir -p "$tmp/log"
  "$fake" --port-file "$tmp/port" --log-dir "$tmp/log" --max-requests 4 --max-seconds 20 "$@" &
  pid=$!
  i=0
  while [ ! -s "$tmp/port" ]; do
    i=$((i + 1))
    if [ $i -gt 250 ]; then echo "FAIL: the fake server did not start"; exit 1; fi
    sleep 0.02
  done
  port=$(cat "$tmp/port")
  # The example campaign with its policy pages on the fake server.
  sed -e "s|\"privacy_policy_url\": \"[^\"]*\"|\"privacy_policy_url\": \"http://127.0.0.1:$port/privacy\"|" \
      -e "s|\"terms_url\": \"[^\"]*\"|\"terms_url\": \"http://127.0.0.1:$port/terms\"|" \
      "$(dirname "$0")/../../data/examples/campaigns/acme-dental.json" > "$tmp/c.json"
}

run() {
  "$bin" campaign --fetch --format json "$tmp/c.json" > "$tmp/out" 2> "$tmp/err" < /dev/null
  code=$?
  wait "$pid" 2>/dev/null
  pid=
}

# Live pages that say what they must.
start_api "200;body=<p>Mobile numbers will <b>not</b> be shared with third parties.</p>" \
  "200;body=<p>SMS program terms: reply STOP to cancel.</p>"
run
# Exit 0: plain http addresses are only warnings.
[ "$code" = 0 ] || { echo "FAIL live: exit $code"; cat "$tmp/err"; fails=1; }
grep -Eq 'unreachable|no-sharing|no-sms' "$tmp/out" && { echo "FAIL live: page findings"; fails=1; }
grep -q '"id":	"campaign.privacy-url-insecure"' "$tmp/out" || { echo "FAIL live: lost the offline findings"; fails=1; }
[ -s "$tmp/log/req-1.head" ] && grep -q '^GET /privacy' "$tmp/log/req-1.head" ||
  { echo "FAIL live: no GET /privacy reached the server"; fails=1; }

# A missing privacy page.
start_api "404;body=not here"
run
[ "$code" = 1 ] || { echo "FAIL missing: exit $code"; fails=1; }
grep -q '"id":	"campaign.privacy-unreachable"' "$tmp/out" || { echo "FAIL missing: no finding"; cat "$tmp/out" | head -40; fails=1; }
grep -q 'HTTP status 404' "$tmp/out" || { echo "FAIL missing: no status in the message"; fails=1; }

[ $fails = 0 ] && echo "campaign --fetch: ok"
exit $fails
