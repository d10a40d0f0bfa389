#!/bin/sh
# send_cases.sh PREFLIGHT FAKE_API_SERVER CASE — one `preflight send` case
# against the fake Send SMS API (tests/fake_api/) on 127.0.0.1.
#
# Each case starts its own server on an ephemeral port with a script of
# answers, runs `preflight send --base-url http://127.0.0.1:PORT`, and checks
# the exit code, what the server received (method, path, headers, exact JSON
# body, how many requests) and what was printed. In every case the
# credentials must appear nowhere in standard output or standard error.
# `send_cases.sh - - list` prints the case names (tests/CMakeLists.txt
# registers each as cli.send.<case>).
set -u
bin=$1
fake=$2
case=$3

cases="accepted accepted-json explicit-agent no-config-api-chooses dry-run dry-run-json
dry-run-no-credentials blocked blocked-dry-run warn-sends warn-fail-on rejected-400
rejected-401 rejected-403 rejected-404 rate-limited-then-accepted rate-limited-forever
server-error-not-retried server-error-retry-opt-in timeout-after-send dropped-after-send
connection-refused no-credentials credentials-json-file credentials-env-file
credentials-file-bad credentials-on-argv http-not-loopback cluster-and-base-url verbose
error-echoes-secret written-files tls-refused-without-ca tls-cacert tls-capath tls-ca-env
tls-wrong-host tls-ca-bad mcp-send mcp-send-api-fails mcp-no-allow-send mcp-send-no-credentials"
if [ "$case" = list ]; then
  echo $cases
  exit 0
fi

src=$(cd "$(dirname "$0")/../.." && pwd)
config=$src/data/examples/preflight.json
msg="Acme Dental: your cleaning is tomorrow at 10:30."
TOKEN=sk-test-SECRET-7f3a9
TOKEN_ID=conn-SECRET-42b1
export POLYAI_AUTH_TOKEN=$TOKEN POLYAI_TOKEN_ID=$TOKEN_ID NO_COLOR=1
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy 2>/dev/null || true
unset PREFLIGHT_CA_BUNDLE PREFLIGHT_CA_PATH 2>/dev/null || true

tmp=$(mktemp -d)
mkdir "$tmp/log"
pid=""
fails=0
cleanup() {
  # Only the server this script started, by its pid.
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL [$case]: $*"; fails=$((fails + 1)); }

# start_api STEP... — the server answers with these steps (the last repeats).
# After start_tls CHAIN KEY: behind TLS with that certificate, base https://.
tls=""
start_api() {
  "$fake" --port-file "$tmp/port" --log-dir "$tmp/log" --max-requests 8 --max-seconds 20 \
    $tls "$@" &
  pid=$!
  i=0
  while [ ! -s "$tmp/port" ]; do
    i=$((i + 1))
    if [ $i -gt 250 ]; then echo "FAIL [$case]: the fake API did not start"; exit 1; fi
    sleep 0.02
  done
  base=http${tls:+s}://127.0.0.1:$(cat "$tmp/port")
}
start_tls() { tls="--tls-cert $1 --tls-key $2"; shift 2; start_api "$@"; }

# make_pki — made at test time, nothing of it committed: in $pki, a private
# CA (ca.pem), the same CA in a directory hashed by `openssl rehash`
# (hashed/), a second CA that signed nothing here (other-ca.pem), and
# certificates signed by the first: server.pem for 127.0.0.1 and localhost,
# elsewhere.pem for another host name.
pki=$tmp/pki
make_pki() {
  mkdir -p "$pki/hashed"
  (
    cd "$pki" || exit 1
    key="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
    for ca in ca other-ca; do
      openssl req -x509 $key -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=preflight test $ca" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    done
    for leaf in server:IP:127.0.0.1,DNS:localhost elsewhere:DNS:elsewhere.example; do
      name=${leaf%%:*}
      printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        "${leaf#*:}" > $name.ext
      openssl req $key -keyout $name.key -out $name.csr -subj "/CN=$name"
      openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile $name.ext -out $name.pem
    done
    cp ca.pem hashed/ && openssl rehash hashed
  ) > "$tmp/pki.log" 2>&1 || { echo "FAIL [$case]: openssl could not make the test CA:"; cat "$tmp/pki.log"; exit 1; }
}
handshakes() { ls "$tmp/log" | grep -c "^tls-.*\.$1\$"; }
expect_handshakes() {
  n=$(handshakes "$1")
  [ "$n" = "$2" ] || fail "$n TLS handshakes ended '$1', want $2"
}

# run ARGS... — preflight send; sets $code, output in $tmp/out and $tmp/err.
run() {
  "$bin" send "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
  code=$?
}

# A send whose verdict passes (SPEC example: approved 10DLC sender).
run_pass() {
  run --config "$config" --to +14155552671 --message "$msg" --not-first \
      --purpose transactional --at 2026-11-26T20:00:00Z "$@"
}

requests() { ls "$tmp/log" | grep -c '\.head$'; }
# cJSON's formatted output without its layout (tabs, newlines), for grep -F.
flat() { tr -d '\t\n' < "$1"; }

expect_exit() { [ "$code" = "$1" ] || fail "exit code $code, want $1"; }
expect_requests() {
  n=$(requests)
  [ "$n" = "$1" ] || fail "the server saw $n requests, want $1"
}
expect_out() { grep -qF -- "$1" "$tmp/out" || fail "stdout lacks: $1"; }
expect_err() { grep -qF -- "$1" "$tmp/err" || fail "stderr lacks: $1"; }
expect_no_err() { ! grep -qF -- "$1" "$tmp/err" || fail "stderr has: $1"; }
expect_json() { flat "$tmp/out" | grep -qF -- "$1" || fail "JSON lacks: $1"; }
# expect_header N "Name: value" — request N carried exactly this header line.
expect_header() { grep -qxF -- "$2" "$tmp/log/req-$1.head" || fail "request $1 lacks header '$2'"; }
expect_no_header() { ! grep -qi -- "^$2:" "$tmp/log/req-$1.head" || fail "request $1 has header $2"; }
# expect_body N JSON — request N's body, byte for byte.
expect_body() {
  printf '%s' "$2" > "$tmp/want"
  cmp -s "$tmp/want" "$tmp/log/req-$1.body" ||
    fail "request $1 body: got '$(cat "$tmp/log/req-$1.body")', want '$2'"
}
# The request every passing send makes: what was checked is what is sent.
expect_request() {
  n=$1
  from=${2-+14155550132}
  head -n 1 "$tmp/log/req-$n.head" | grep -qx 'POST /v1/outbound-sms' ||
    fail "request $n line: $(head -n 1 "$tmp/log/req-$n.head")"
  expect_header "$n" "X-PolyAi-Auth-Token: $TOKEN"
  expect_header "$n" "X-TOKEN-ID: $TOKEN_ID"
  expect_header "$n" "Content-Type: application/json"
  grep -qE '^User-Agent: sms-preflight/[0-9]+\.[0-9]+\.[0-9]+$' "$tmp/log/req-$n.head" ||
    fail "request $n: no sms-preflight User-Agent"
  if [ -n "$from" ]; then
    expect_body "$n" "{\"user_number\":\"+14155552671\",\"message\":\"$msg\",\"agent_number\":\"$from\"}"
  else
    expect_body "$n" "{\"user_number\":\"+14155552671\",\"message\":\"$msg\"}"
  fi
}
# A port where nothing listens: start a server, stop it, keep its port.
refused_base() {
  start_api 202
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=""
}
write_creds() { # write_creds MODE CONTENT
  printf '%s\n' "$2" > "$tmp/creds"
  chmod "$1" "$tmp/creds"
}

case "$case" in
mcp-send)
  # The MCP server's send tool (preflight mcp --allow-send) is the same gate:
  # one request for the allowed send, none for the blocked one.
  start_api 202
  call='{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"%s","arguments":{"to":"+14155552671","message":"%s","first_message":false,"purpose":"transactional","at":"2026-11-26T20:00:00Z"%s}}}\n'
  {
    printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}'
    printf '%s\n' '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
    printf "$call" 3 send "$msg" ''
    printf "$call" 4 send "$msg" ',"agent_number":"+16505550147"'
    printf "$call" 5 check "$msg" ''
  } > "$tmp/in"
  "$bin" mcp --config "$config" --allow-send --base-url "$base" < "$tmp/in" > "$tmp/out" 2> "$tmp/err"
  code=$?
  expect_exit 0; expect_requests 1; expect_request 1
  expect_json '"name":"send"'
  expect_json '"destructiveHint":true'
  expect_json '"id":3,"result":{"content":[{"type":"text","text":"SENT: accepted by the API (HTTP 202).'
  expect_json '"send":{"status":"accepted","http_status":202,"attempts":1'
  expect_json '"id":4,"result":{"content":[{"type":"text","text":"NOT SENT: '
  expect_json '"send":{"status":"not_sent"'
  [ "$(grep -c '"isError":false' "$tmp/out")" = 3 ] || fail "want three results without isError"
  ;;
mcp-send-api-fails)
  # A send the API does not accept is a result with isError.
  start_api 400
  printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"send","arguments":{"to":"+14155552671","message":"'"$msg"'","first_message":false,"purpose":"transactional","at":"2026-11-26T20:00:00Z"}}}' > "$tmp/in"
  "$bin" mcp --config "$config" --allow-send --base-url "$base" < "$tmp/in" > "$tmp/out" 2> "$tmp/err"
  code=$?
  expect_exit 0; expect_requests 1
  expect_json '"text":"FAILED: the API did not accept it (rejected, HTTP 400'
  expect_json '"isError":true'
  ;;
mcp-no-allow-send)
  # Without --allow-send there is no send tool to list or call.
  start_api 202
  printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' \
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"send","arguments":{"to":"+14155552671","message":"hi"}}}' > "$tmp/in"
  "$bin" mcp --config "$config" < "$tmp/in" > "$tmp/out" 2> "$tmp/err"
  code=$?
  expect_exit 0; expect_requests 0
  ! grep -qF '"name":"send"' "$tmp/out" || fail "the send tool is listed without --allow-send"
  expect_json '"id":2,"error":{"code":-32602,"message":"params.name: no tool is called '"'send'"
  "$bin" mcp --config "$config" --base-url "$base" < /dev/null > "$tmp/out" 2> "$tmp/err"
  code=$?
  expect_exit 2; expect_err "add --allow-send"
  ;;
mcp-send-no-credentials)
  start_api 202
  POLYAI_AUTH_TOKEN= "$bin" mcp --config "$config" --allow-send --base-url "$base" < /dev/null \
    > "$tmp/out" 2> "$tmp/err"
  code=$?
  expect_exit 2; expect_requests 0
  expect_err "POLYAI_AUTH_TOKEN and POLYAI_TOKEN_ID must both be set"
  ;;
accepted)
  start_api 202
  run_pass --base-url "$base"
  expect_exit 0; expect_requests 1; expect_request 1
  expect_out "PASS"; expect_out "sent: accepted (HTTP 202, 1 attempt)"
  ;;
accepted-json)
  start_api 202
  run_pass --base-url "$base" --format json
  expect_exit 0; expect_requests 1; expect_request 1
  expect_json '"verdict":"pass"'
  expect_json '"send":{"status":"accepted","http_status":202,"attempts":1,"waited_ms":0,"detail":null,"hint":null}'
  ;;
explicit-agent)
  start_api 202
  run_pass --base-url "$base" --agent-number +18335550142
  expect_exit 0; expect_requests 1; expect_request 1 +18335550142
  ;;
no-config-api-chooses)
  # No config and no --agent-number: no sender is known, the API picks one.
  start_api 202
  run --to +14155552671 --message "$msg" --not-first --purpose transactional \
      --at 2026-11-26T20:00:00Z --base-url "$base"
  expect_exit 0; expect_requests 1; expect_request 1 ""
  ;;
dry-run)
  start_api 202
  run_pass --base-url "$base" --dry-run
  expect_exit 0; expect_requests 0
  expect_out "dry run: nothing sent"
  expect_out "POST $base/v1/outbound-sms"
  expect_out "X-PolyAi-Auth-Token: ***"
  expect_out "X-TOKEN-ID: ***"
  expect_out "Content-Type: application/json"
  expect_out "{\"user_number\":\"+14155552671\",\"message\":\"$msg\",\"agent_number\":\"+14155550132\"}"
  ;;
dry-run-json)
  start_api 202
  run_pass --cluster euw-1 --dry-run --format json
  expect_exit 0; expect_requests 0
  expect_json '"send":{"status":"dry_run","attempts":0,"request":{"method":"POST","url":"https://api.euw-1.platform.polyai.app/v1/outbound-sms","headers":{"X-PolyAi-Auth-Token":"***","X-TOKEN-ID":"***","Content-Type":"application/json"'
  ;;
dry-run-no-credentials)
  unset POLYAI_AUTH_TOKEN POLYAI_TOKEN_ID
  run_pass --dry-run
  expect_exit 0
  expect_out "POST https://api.us-1.platform.polyai.app/v1/outbound-sms" # the config's cluster
  expect_out "X-PolyAi-Auth-Token: ***"
  expect_out "X-TOKEN-ID: ***"
  ;;
blocked)
  # +16505550147's 10DLC campaign is pending: carriers would block it.
  start_api 202
  run_pass --base-url "$base" --agent-number +16505550147
  expect_exit 1; expect_requests 0
  expect_out "BLOCK"; expect_out "not sent: blocked by the verdict"
  ;;
blocked-dry-run)
  start_api 202
  run_pass --base-url "$base" --agent-number +16505550147 --dry-run --format json
  expect_exit 1; expect_requests 0
  expect_json '"send":{"status":"not_sent","attempts":0,"reason":"blocked by the verdict"}'
  ;;
warn-sends)
  # First message unknown: the opt-out rule warns; warnings send by default.
  start_api 202
  run --config "$config" --to +14155552671 --message "$msg" --purpose transactional \
      --at 2026-11-26T20:00:00Z --base-url "$base"
  expect_exit 0; expect_requests 1; expect_request 1
  expect_out "WARN"
  ;;
warn-fail-on)
  start_api 202
  run --config "$config" --to +14155552671 --message "$msg" --purpose transactional \
      --at 2026-11-26T20:00:00Z --base-url "$base" --fail-on warn
  expect_exit 1; expect_requests 0
  expect_out "not sent: stopped by --fail-on warn"
  ;;
rejected-400)
  start_api 400
  run_pass --base-url "$base"
  expect_exit 3; expect_requests 1
  expect_out "not sent: rejected (HTTP 400, 1 attempt)"
  expect_err "the API rejected the message"
  expect_err "agent_number is not provisioned for this project"
  expect_err "hint: The agent number is likely not provisioned for this project"
  ;;
rejected-401)
  start_api 401
  run_pass --base-url "$base" --format json
  expect_exit 3; expect_requests 1
  expect_json '"send":{"status":"rejected","http_status":401,"attempts":1'
  expect_json '"detail":"Invalid or missing API key"'
  expect_err "missing or invalid"
  ;;
rejected-403)
  start_api 403
  run_pass --base-url "$base"
  expect_exit 3; expect_requests 1
  expect_err "HTTP 403"; expect_err "belong to different accounts"
  ;;
rejected-404)
  start_api 404
  run_pass --base-url "$base"
  expect_exit 3; expect_requests 1
  expect_err "Connector not found"; expect_err "no numbers provisioned"
  ;;
rate-limited-then-accepted)
  start_api "429;ra=1" 202
  run_pass --base-url "$base" --format json
  expect_exit 0; expect_requests 2; expect_request 1; expect_request 2
  expect_json '"send":{"status":"accepted","http_status":202,"attempts":2,"waited_ms":1000,'
  ;;
rate-limited-forever)
  start_api "429;ra=0"
  run_pass --base-url "$base" --max-attempts 3 --format json
  expect_exit 3; expect_requests 3
  expect_json '"send":{"status":"rate_limited","http_status":429,"attempts":3,'
  expect_err "rate limited on every attempt"
  ;;
server-error-not-retried)
  start_api 500 202
  run_pass --base-url "$base"
  expect_exit 3; expect_requests 1
  expect_out "outcome unknown: unknown (HTTP 500, 1 attempt)"
  expect_err "outcome unknown: the message may or may not have been sent"
  ;;
server-error-retry-opt-in)
  start_api "500;ra=0" 202
  run_pass --base-url "$base" --retry-server-errors
  expect_exit 0; expect_requests 2
  expect_out "sent: accepted (HTTP 202, 2 attempts)"
  ;;
timeout-after-send)
  start_api "202;delay=3000"
  run_pass --base-url "$base" --timeout 1
  expect_exit 3; expect_requests 1
  expect_err "outcome unknown"; expect_err "after the request was sent"
  ;;
dropped-after-send)
  start_api drop
  run_pass --base-url "$base" --format json
  expect_exit 3; expect_requests 1
  expect_json '"send":{"status":"unknown","http_status":null,"attempts":1'
  ;;
connection-refused)
  refused_base
  run_pass --base-url "$base" --max-attempts 2 --format json
  expect_exit 3
  expect_json '"send":{"status":"transport_error","http_status":null,"attempts":2'
  expect_err "could not be reached; nothing was sent"
  ;;
no-credentials)
  start_api 202
  unset POLYAI_TOKEN_ID
  run_pass --base-url "$base"
  expect_exit 2; expect_requests 0
  expect_err "no credentials: POLYAI_TOKEN_ID not set"
  ;;
credentials-json-file)
  start_api 202
  unset POLYAI_AUTH_TOKEN POLYAI_TOKEN_ID
  write_creds 600 "{\"auth_token\": \"$TOKEN\", \"token_id\": \"$TOKEN_ID\"}"
  run_pass --base-url "$base" --credentials "$tmp/creds"
  expect_exit 0; expect_requests 1; expect_request 1
  expect_no_err "readable by group or others"
  ;;
credentials-env-file)
  start_api 202
  unset POLYAI_AUTH_TOKEN POLYAI_TOKEN_ID
  write_creds 644 "# PolyAI send credentials
export POLYAI_AUTH_TOKEN=\"$TOKEN\"
POLYAI_TOKEN_ID = '$TOKEN_ID'"
  run_pass --base-url "$base" --credentials "$tmp/creds"
  expect_exit 0; expect_requests 1; expect_request 1
  expect_err "is readable by group or others; chmod 600"
  ;;
credentials-file-bad)
  start_api 202
  write_creds 600 "POLYAI_AUTH_TOKEN=$TOKEN
POLYAI_TOKEN=$TOKEN_ID"
  run_pass --base-url "$base" --credentials "$tmp/creds"
  expect_exit 2; expect_requests 0
  expect_err ":2: unknown key 'POLYAI_TOKEN'"
  ;;
credentials-on-argv)
  start_api 202
  run_pass --base-url "$base" --auth-token "$TOKEN"
  expect_exit 2; expect_requests 0
  expect_err "credentials are never taken on the command line"
  run_pass --base-url "$base" "--token-id=$TOKEN_ID"
  expect_exit 2; expect_requests 0
  ;;
http-not-loopback)
  run_pass --base-url http://api.us-1.platform.polyai.app
  expect_exit 2
  expect_err "must be https://"
  ;;
cluster-and-base-url)
  run_pass --base-url https://api.us-1.platform.polyai.app --cluster us-1
  expect_exit 2
  expect_err "not both"
  ;;
verbose)
  start_api "429;ra=0" 202
  run_pass --base-url "$base" --verbose
  expect_exit 0; expect_requests 2
  expect_err "credentials from the environment"
  expect_err "attempt 1 of at most 5: POST $base/v1/outbound-sms"
  expect_err "attempt 1: HTTP 429"
  expect_err "waiting 0 ms before attempt 2 (Retry-After)"
  expect_err "attempt 2: HTTP 202"
  ;;
error-echoes-secret)
  start_api "400;body={\"detail\":\"token $TOKEN is not valid for connector $TOKEN_ID\"}"
  run_pass --base-url "$base" --verbose
  expect_exit 3; expect_requests 1
  expect_err "token *** is not valid for connector ***"
  ;;
written-files)
  # Reports written with --output, a verbose trace and a dry run: every file
  # the command writes is checked for the credentials below, not only std*.
  start_api 202
  run_pass --base-url "$base" --format json --verbose --output "$tmp/written-send.json"
  expect_exit 0; expect_requests 1
  run_pass --base-url "$base" --dry-run --output "$tmp/written-dry.txt"
  expect_exit 0
  grep -qF "X-PolyAi-Auth-Token: ***" "$tmp/written-dry.txt" || fail "the dry run file lacks the redacted header"
  ;;
tls-refused-without-ca)
  # A certificate from a CA the system does not know (a proxy inspecting
  # TLS looks the same): refused at the handshake, never retried, nothing
  # recorded; and there is no switch that turns verification off.
  make_pki
  start_tls "$pki/server.pem" "$pki/server.key" 202
  run_pass --base-url "$base"
  expect_exit 3; expect_requests 0; expect_handshakes fail 1; expect_handshakes ok 0
  expect_err "the API could not be reached; nothing was sent"
  expect_err "SSL certificate problem"
  expect_err "trust that CA with --cacert FILE or --capath DIR"
  for off in --insecure -k --no-verify --ssl-no-revoke; do
    run_pass --base-url "$base" $off
    expect_exit 2; expect_err "$off"
  done
  expect_requests 0; expect_handshakes ok 0; expect_handshakes fail 1
  ;;
tls-cacert)
  make_pki
  start_tls "$pki/server.pem" "$pki/server.key" 202
  run_pass --base-url "$base" --cacert "$pki/ca.pem" --verbose
  expect_exit 0; expect_requests 1; expect_request 1; expect_handshakes ok 1
  expect_out "sent: accepted (HTTP 202, 1 attempt)"
  expect_err "trusting the CA certificates in $pki/ca.pem (--cacert)"
  ;;
tls-capath)
  make_pki
  start_tls "$pki/server.pem" "$pki/server.key" 202
  run_pass --base-url "$base" --capath "$pki/hashed"
  expect_exit 0; expect_requests 1; expect_request 1; expect_handshakes ok 1
  # The directory is really what was trusted: without the right hashed
  # name, refused.
  rm "$pki"/hashed/*.0
  cp "$pki/ca.pem" "$pki/hashed/00000000.0" # a hashed name, the wrong hash
  run_pass --base-url "$base" --capath "$pki/hashed"
  expect_exit 3; expect_requests 1; expect_handshakes fail 1
  ;;
tls-ca-env)
  # The variables, and each option winning over its variable.
  make_pki
  start_tls "$pki/server.pem" "$pki/server.key" 202
  PREFLIGHT_CA_BUNDLE=$pki/ca.pem run_pass --base-url "$base"
  expect_exit 0; expect_requests 1
  PREFLIGHT_CA_PATH=$pki/hashed run_pass --base-url "$base"
  expect_exit 0; expect_requests 2
  PREFLIGHT_CA_BUNDLE=$pki/other-ca.pem run_pass --base-url "$base" --cacert "$pki/ca.pem"
  expect_exit 0; expect_requests 3
  PREFLIGHT_CA_BUNDLE=$pki/ca.pem run_pass --base-url "$base" --cacert "$pki/other-ca.pem"
  expect_exit 3; expect_requests 3
  expect_handshakes ok 3; expect_handshakes fail 1
  ;;
tls-wrong-host)
  # The right CA, a certificate for another name: the host is checked too.
  make_pki
  start_tls "$pki/elsewhere.pem" "$pki/elsewhere.key" 202
  # (The server may see its side of the handshake complete: the client
  # checks the name after it and hangs up before sending a byte.)
  run_pass --base-url "$base" --cacert "$pki/ca.pem"
  expect_exit 3; expect_requests 0
  expect_err "the API could not be reached; nothing was sent"
  expect_err "no alternative certificate subject name matches target host name '127.0.0.1'"
  expect_no_err "trust that CA"
  ;;
tls-ca-bad)
  # Unusable CA files and directories: exit 2 before anything is sent,
  # naming the option or variable and the path.
  make_pki
  start_tls "$pki/server.pem" "$pki/server.key" 202
  run_pass --base-url "$base" --cacert "$tmp/missing.pem"
  expect_exit 2; expect_err "--cacert $tmp/missing.pem: cannot read the CA file"
  run_pass --base-url "$base" --cacert "$config"
  expect_exit 2; expect_err "--cacert $config: no PEM certificate"
  run_pass --base-url "$base" --cacert "$pki"
  expect_exit 2; expect_err "--cacert $pki: the CA file is not a regular file"
  run_pass --base-url "$base" --capath "$pki"
  expect_exit 2; expect_err "--capath $pki: no hashed certificate names"
  PREFLIGHT_CA_PATH=$tmp/missing run_pass --base-url "$base"
  expect_exit 2; expect_err "PREFLIGHT_CA_PATH $tmp/missing: cannot read the CA directory"
  PREFLIGHT_CA_BUNDLE=$pki/ca.key run_pass --base-url "$base" --dry-run
  expect_exit 2; expect_err "PREFLIGHT_CA_BUNDLE $pki/ca.key: no PEM certificate"
  expect_requests 0; expect_handshakes ok 0
  ;;
*)
  echo "unknown case '$case' (known: $cases)"
  exit 2
  ;;
esac

# Whatever happened, the credentials were never printed, nor written to any
# file the command wrote (the server's own request log holds them, rightly).
for f in "$tmp/out" "$tmp/err" "$tmp"/written*; do
  [ -f "$f" ] || continue
  for secret in "$TOKEN" "$TOKEN_ID"; do
    if grep -qF -- "$secret" "$f"; then fail "a credential appears in $(basename "$f")"; fi
  done
done

if [ $fails -ne 0 ]; then
  echo "--- stdout:"; head -60 "$tmp/out"
  echo "--- stderr:"; head -40 "$tmp/err"
  exit 1
fi
exit 0
