#!/usr/bin/env python3
"""serve_test.py PREFLIGHT FAKE_API_SERVER MODE — `preflight serve` driven by a
real HTTP client (Python's http.client) on 127.0.0.1, against the fake Send
SMS API (tests/fake_api) which records every request it gets.

Modes (each a ctest, each bounded and stopping by itself):
  cases    the table: request -> expected status, body and upstream requests
           for every endpoint, bad input and upstream fault; the check
           answers byte-identical to `preflight check --format json`; the
           secrets appear in no answer, access-log line or stderr line
  reload   SIGHUP with a changed config while requests flow: every answer is
           the old or the new session's, none fails; a broken config keeps
           serving and is counted and logged
  drain    SIGTERM with requests in flight: during the grace /readyz fails
           and answers close their connection, then no connection is
           accepted, the requests in flight finish, the process exits 0
  promtool /metrics after traffic, checked by `promtool check metrics`
           (exit 77, skipped, when promtool is not installed)
  scaleout two instances behind HAProxy (deploy/haproxy.cfg): one gets
           SIGTERM under load and no POST /v1/check fails; a send whose
           upstream is slower than HAProxy's server timeout is not sent twice
           (exit 77 when haproxy is not installed)
  wrk      a 3-second load smoke with wrk on POST /v1/check: 0 errors
           (exit 77 when wrk is not installed)

Under ThreadSanitizer (a build with -fsanitize=thread in C, C++ and link
flags): TSAN_OPTIONS=suppressions=tests/serve/tsan.supp; a report makes the
gateway exit 66, which every mode checks.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

# Absolute paths: some cases run the CLI from a temporary directory.
BIN, FAKE, MODE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG = os.path.join(SRC, "data", "examples", "preflight.json")
TOKEN = "sk-test-SECRET-7f3a9"
TOKEN_ID = "conn-SECRET-42b1"
AT = "2026-11-26T19:00:00Z"
MSG = "Acme Dental: your cleaning is tomorrow at 10:30."
PASS = {"user_number": "+14155552671", "message": MSG}
BLOCK = {"user_number": "+19005550123", "message": MSG}
NOT_FIRST = {"X-Preflight-Send-At": AT, "X-Preflight-First-Message": "false"}
UNKNOWN_FIRST = {"X-Preflight-Send-At": AT}  # warns: content.opt-out-missing
CREDS = {"X-PolyAi-Auth-Token": TOKEN, "X-TOKEN-ID": TOKEN_ID}

for v in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
    os.environ.pop(v, None)
os.environ["NO_COLOR"] = "1"

tmp = tempfile.mkdtemp(prefix="serve-test-")
procs = []
fails = []


def fail(msg):
    print("FAIL:", msg)
    fails.append(msg)


def cleanup():
    # Only the processes this script started, by their handles.
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
    shutil.rmtree(tmp, ignore_errors=True)


def deadline_guard(seconds):
    """Whatever happens, the test ends: kill what it started and fail."""
    def fire():
        print("FAIL: the test ran over %d s" % seconds)
        for p in procs:
            if p.poll() is None:
                p.kill()
        os._exit(1)
    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()


class Gateway:
    def __init__(self, *args, name="gw"):
        self.err_path = os.path.join(tmp, name + ".stderr")
        self.log_path = os.path.join(tmp, name + ".access")
        cmd = [BIN, "serve", "--listen", "127.0.0.1:0", "--access-log", self.log_path] + list(args)
        if "--drain-grace" not in args:
            # No balancer here: stop at once (drain and scaleout set theirs).
            cmd += ["--drain-grace", "0"]
        self.err = open(self.err_path, "w")
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.err)
        procs.append(self.p)
        self.port = None
        for _ in range(200):
            with open(self.err_path) as f:
                for line in f:
                    if '"listening"' in line:
                        addr = json.loads(line)["address"]
                        self.port = int(addr.rsplit(":", 1)[1])
            if self.port or self.p.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            raise SystemExit("gateway did not start: " + open(self.err_path).read())

    def stop(self, sig=signal.SIGTERM, timeout=20):
        self.p.send_signal(sig)
        rc = self.p.wait(timeout=timeout)
        self.err.close()
        return rc

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def access(self):
        with open(self.log_path) as f:
            return f.read()


class Fake:
    def __init__(self, *steps, name="fake"):
        self.dir = os.path.join(tmp, name)
        os.mkdir(self.dir)
        port_file = os.path.join(self.dir, "port")
        self.p = subprocess.Popen([FAKE, "--port-file", port_file, "--log-dir", self.dir,
                                   "--max-requests", "32", "--max-seconds", "60"] + list(steps))
        procs.append(self.p)
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        self.port = int(open(port_file).read().strip())
        self.url = "http://127.0.0.1:%d" % self.port

    def count(self):
        return len([f for f in os.listdir(self.dir) if f.endswith(".body")])

    def request(self, n):
        with open(os.path.join(self.dir, "req-%d.head" % n), "rb") as f:
            head = f.read().decode("utf-8", "replace")
        with open(os.path.join(self.dir, "req-%d.body" % n), "rb") as f:
            body = f.read()
        return head, body

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            self.p.wait(timeout=10)


def call(port, method, path, body=None, headers=None, raw=None, chunked=False, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = dict(headers or {})
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        h.setdefault("Content-Type", "application/json")
    if chunked:
        c.request(method, path, body=iter([data[i:i + 8192] for i in range(0, len(data), 8192)]),
                  headers=h, encode_chunked=True)
    else:
        c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    c.close()
    return out


def cli_check(config, body, first):
    args = [BIN, "check", "--config", config, "--at", AT, "--to", body["user_number"],
            "--message", body["message"], "--format", "json"]
    if first is False:
        args.append("--not-first")
    return subprocess.run(args, capture_output=True).stdout


SEG_MSG = "We\u2019ve moved your visit \u2014 caf\u00e9 \U0001F600 " + "x" * 60


def cli_segments(message):
    return subprocess.run([BIN, "segments", "--message", message, "--format", "json"],
                          capture_output=True).stdout


def read_bytes(*path):
    with open(os.path.join(SRC, *path), "rb") as f:
        return f.read()


CAMPAIGN_BAD = read_bytes("tests", "campaign", "peer", "bad.json")
CAMPAIGN_GOOD = read_bytes("data", "examples", "campaigns", "acme-dental.json")


def cli_campaign(text, kind=None):
    """`preflight campaign --format json campaign.json` on a copy of text
    named as the gateway names the body."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "campaign.json"), "wb") as f:
            f.write(text)
        args = [BIN, "campaign", "--format", "json"] + (["--kind", kind] if kind else [])
        return subprocess.run(args + ["campaign.json"], capture_output=True, cwd=d).stdout


with open(CONFIG, encoding="utf-8") as _f:
    CONFIG_NUMBERS = [n["number"] for n in json.load(_f)["numbers"]]


def secrets_absent(what, text):
    for s in (TOKEN, TOKEN_ID):
        if s in text:
            fail("%s contains a credential" % what)


# ---------------------------------------------------------------- cases

def startup_errors():
    """Bad flags or files: exit 2 at once with a message, never a listener."""
    broken = os.path.join(tmp, "broken.json")
    with open(broken, "w") as f:
        f.write('{"cluster": "us-1",')
    rows = [
        (["--listen", "nonsense"], "--listen"),
        (["--listen", "127.0.0.1:99999"], "--listen"),
        (["--threads", "0"], "--threads"),
        (["--timeout", "x"], "--timeout"),
        (["--drain-grace", "-1"], "--drain-grace"),
        (["--drain-grace", "601"], "--drain-grace"),
        (["--upstream", "http://example.com"], "upstream"),
        (["--cluster", "mars-1"], "--cluster"),
        (["--cluster", "us-1", "--upstream", "http://127.0.0.1:9"], "exclusive"),
        (["--config", broken], "broken.json"),
        (["--access-log", os.path.join(tmp, "no", "such", "dir.log")], "--access-log"),
    ]
    for args, want in rows:
        r = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0"] + args if args[0] != "--listen"
                           else [BIN, "serve"] + args, capture_output=True, timeout=30)
        err = r.stderr.decode()
        ok = r.returncode == 2 and want in err and "listening" not in err
        print("%s %-45s exit %d: %s" % ("ok  " if ok else "FAIL", "start-up: " + " ".join(args)[:38],
                                        r.returncode, err.strip().splitlines()[0][:70] if err.strip() else ""))
        if not ok:
            fail("start-up with %r: exit %d, %r" % (args, r.returncode, err))


def mode_cases():
    startup_errors()
    fake = Fake("202", '400;body={"detail":"agent_number not provisioned"}', "429;ra=7",
                "500;ctype=text/plain;body=upstream broke", "drop", "202;delay=4000")
    gw = Gateway("--config", CONFIG, "--upstream", fake.url, "--timeout", "2", "--threads", "2")
    port = gw.port
    answers = []
    # (name, method, path, body | raw bytes, headers, status, body check, upstream delta)
    big = {"user_number": "+14155552671", "message": "x" * (64 * 1024)}
    table = [
        ("check pass = CLI bytes", "POST", "/v1/check", PASS, NOT_FIRST, 200,
         lambda b, h: b == cli_check(CONFIG, PASS, False) and h["x-preflight-verdict"] == "pass", 0),
        ("check warn = CLI bytes", "POST", "/v1/check", PASS, UNKNOWN_FIRST, 200,
         lambda b, h: b == cli_check(CONFIG, PASS, None) and h["x-preflight-verdict"] == "warn", 0),
        ("check block = CLI bytes", "POST", "/v1/check", BLOCK, NOT_FIRST, 200,
         lambda b, h: b == cli_check(CONFIG, BLOCK, False) and h["x-preflight-verdict"] == "block", 0),
        ("invalid JSON", "POST", "/v1/check", b'{"user_number": "+1415', NOT_FIRST, 400,
         lambda b, h: "not valid JSON" in json.loads(b)["detail"], 0),
        ("not an object", "POST", "/v1/check", b'[1, 2]', NOT_FIRST, 400,
         lambda b, h: "JSON object" in json.loads(b)["detail"], 0),
        ("missing user_number", "POST", "/v1/check", {"message": MSG}, NOT_FIRST, 400,
         lambda b, h: json.loads(b)["detail"] == "missing field 'user_number'", 0),
        ("missing message", "POST", "/v1/outbound-sms", {"user_number": "+14155552671"},
         dict(NOT_FIRST, **CREDS), 400,
         lambda b, h: json.loads(b)["detail"] == "missing field 'message'", 0),
        ("user_number not a string", "POST", "/v1/check", {"user_number": 14155552671, "message": MSG},
         NOT_FIRST, 400, lambda b, h: json.loads(b)["detail"] == "field 'user_number' must be a string", 0),
        ("message not a string", "POST", "/v1/outbound-sms", {"user_number": "+14155552671", "message": ["a"]},
         dict(NOT_FIRST, **CREDS), 400,
         lambda b, h: json.loads(b)["detail"] == "field 'message' must be a string", 0),
        ("unknown field", "POST", "/v1/check", dict(PASS, priority="high"), NOT_FIRST, 400,
         lambda b, h: "unknown field 'priority'" in json.loads(b)["detail"], 0),
        ("invalid UTF-8", "POST", "/v1/check",
         b'{"user_number": "+14155552671", "message": "caf\xc3\x28"}', NOT_FIRST, 400,
         lambda b, h: "UTF-8" in json.loads(b)["detail"], 0),
        ("bad X-Preflight-Send-At", "POST", "/v1/check", PASS, {"X-Preflight-Send-At": "tomorrow"}, 400,
         lambda b, h: "X-Preflight-Send-At" in json.loads(b)["detail"], 0),
        ("body over 64 KiB (Content-Length)", "POST", "/v1/check", big, NOT_FIRST, 413,
         lambda b, h: "65536" in json.loads(b)["detail"], 0),
        ("body over 64 KiB (chunked)", "POST", "/v1/outbound-sms", big, dict(NOT_FIRST, **CREDS), 413,
         lambda b, h: "65536" in json.loads(b)["detail"], 0, True),
        ("GET /v1/check", "GET", "/v1/check", None, {}, 405,
         lambda b, h: h.get("allow") == "POST", 0),
        ("DELETE /v1/outbound-sms", "DELETE", "/v1/outbound-sms", None, {}, 405,
         lambda b, h: h.get("allow") == "POST", 0),
        ("POST /healthz", "POST", "/healthz", PASS, {}, 405,
         lambda b, h: h.get("allow") == "GET, HEAD", 0),
        # The playground (issue 23): its page, files and helper endpoints.
        ("GET / = the playground page", "GET", "/", None, {}, 200,
         lambda b, h: (b.startswith(b"<!DOCTYPE html>") and h["content-type"].startswith("text/html")
                       and "script-src 'self'" in h["content-security-policy"]
                       and b"outbound-sms" not in b and h["x-preflight-verdict"] == "none"), 0),
        ("GET /playground.js", "GET", "/playground.js", None, {}, 200,
         lambda b, h: (h["content-type"].startswith("text/javascript") and b"/v1/check" in b
                       and b"'/v1/outbound-sms'" not in b
                       and "default-src 'self'" in h["content-security-policy"]), 0),
        ("GET /playground.css", "GET", "/playground.css", None, {}, 200,
         lambda b, h: h["content-type"].startswith("text/css") and b"banner-block" in b, 0),
        ("POST / -> 405", "POST", "/", PASS, {}, 405, lambda b, h: h.get("allow") == "GET, HEAD", 0),
        ("segments = CLI bytes", "POST", "/v1/segments", {"message": SEG_MSG}, {}, 200,
         lambda b, h: b == cli_segments(SEG_MSG), 0),
        ("segments: missing message", "POST", "/v1/segments", {}, {}, 400,
         lambda b, h: json.loads(b)["detail"] == "missing field 'message'", 0),
        ("segments: unknown field", "POST", "/v1/segments", {"message": "a", "to": "b"}, {}, 400,
         lambda b, h: "unknown field 'to'" in json.loads(b)["detail"], 0),
        ("segments: invalid UTF-8", "POST", "/v1/segments", b'{"message": "caf\xc3\x28"}', {}, 400,
         lambda b, h: "UTF-8" in json.loads(b)["detail"], 0),
        ("segments: over 64 KiB", "POST", "/v1/segments", {"message": "x" * (64 * 1024)}, {}, 413,
         lambda b, h: "65536" in json.loads(b)["detail"], 0),
        ("campaign = CLI bytes", "POST", "/v1/campaign", CAMPAIGN_BAD, {}, 200,
         lambda b, h: b == cli_campaign(CAMPAIGN_BAD) and json.loads(b)["verdict"] == "block", 0),
        ("campaign ?kind=toll-free = CLI bytes", "POST", "/v1/campaign?kind=toll-free", CAMPAIGN_GOOD,
         {}, 200, lambda b, h: b == cli_campaign(CAMPAIGN_GOOD, "toll-free"), 0),
        ("campaign: bad kind", "POST", "/v1/campaign?kind=rcs", CAMPAIGN_GOOD, {}, 400,
         lambda b, h: "kind" in json.loads(b)["detail"], 0),
        ("campaign: unknown key, with line and column", "POST", "/v1/campaign",
         b'{\n  "brand": "Acme",\n  "colour": "blue"\n}', {}, 400,
         lambda b, h: json.loads(b)["detail"].startswith("campaign.json:3:") and
         "colour" in json.loads(b)["detail"], 0),
        ("campaign: never fetched, never sent", "GET", "/v1/campaign", None, {}, 405,
         lambda b, h: h.get("allow") == "POST", 0),
        ("senders: numbers, no registration ids", "GET", "/v1/senders", None, {}, 200,
         lambda b, h: ([x["number"] for x in json.loads(b)["senders"]] == CONFIG_NUMBERS
                       and b"C7Q2XKD" not in b and b"UK-SR" not in b and b"B4MN8RT" not in b), 0),
        ("unknown path", "GET", "/v1/nope", None, {}, 404, lambda b, h: json.loads(b)["detail"], 0),
        ("healthz", "GET", "/healthz", None, {}, 200, lambda b, h: json.loads(b)["status"] == "ok", 0),
        ("readyz", "GET", "/readyz", None, {}, 200, lambda b, h: json.loads(b)["status"] == "ready", 0),
        ("outbound block -> 422, nothing sent", "POST", "/v1/outbound-sms", BLOCK,
         dict(NOT_FIRST, **CREDS), 422,
         lambda b, h: (json.loads(b)["preflight"]["verdict"] == "block" and
                       "number.non-sms-type" in json.loads(b)["detail"] and
                       "\n" not in json.loads(b)["detail"] and h["x-preflight-verdict"] == "block"), 0),
        ("outbound without credentials", "POST", "/v1/outbound-sms", PASS, NOT_FIRST, 401,
         lambda b, h: "X-PolyAi-Auth-Token" in json.loads(b)["detail"], 0),
        ("outbound pass -> 202 relayed", "POST", "/v1/outbound-sms", PASS, dict(NOT_FIRST, **CREDS), 202,
         lambda b, h: h["x-preflight-verdict"] == "pass", 1),
        ("outbound warn -> upstream 400 relayed", "POST", "/v1/outbound-sms", PASS,
         dict(UNKNOWN_FIRST, **CREDS), 400,
         lambda b, h: (b == b'{"detail":"agent_number not provisioned"}' and
                       h["x-preflight-verdict"] == "warn"), 1),
        ("upstream 429 passed back with Retry-After", "POST", "/v1/outbound-sms", PASS,
         dict(NOT_FIRST, **CREDS), 429, lambda b, h: h.get("retry-after") == "7", 1),
        ("upstream 500 relayed", "POST", "/v1/outbound-sms", PASS, dict(NOT_FIRST, **CREDS), 500,
         lambda b, h: b == b"upstream broke" and h["content-type"] == "text/plain", 1),
        ("drop after send -> 504, never retried", "POST", "/v1/outbound-sms", PASS,
         dict(NOT_FIRST, **CREDS), 504,
         lambda b, h: "outcome is unknown" in json.loads(b)["detail"] and
         json.loads(b)["preflight"]["verdict"] == "pass", 1),
        ("timeout after send -> 504, never retried", "POST", "/v1/outbound-sms", PASS,
         dict(NOT_FIRST, **CREDS), 504,
         lambda b, h: "outcome is unknown" in json.loads(b)["detail"], 1),
    ]
    for row in table:
        name, method, path, body, headers, want, check, dup = row[:8]
        chunked = len(row) > 8 and row[8]
        before = fake.count()
        raw = body if isinstance(body, bytes) else None
        try:
            st, h, b = call(port, method, path, None if raw is not None else body, headers, raw=raw,
                            chunked=chunked)
        except Exception as e:  # a connection error is a failed row, not a crash
            fail("%s: %s" % (name, e))
            continue
        answers.append(b.decode("utf-8", "replace"))
        # The fake writes its files before answering; the drop and the
        # timeout are recorded before the gateway gives up.
        time.sleep(0.05)
        got = fake.count() - before
        ok = st == want and got == dup
        try:
            ok = ok and bool(check(b, h))
        except Exception as e:
            ok = False
            print("   check raised", repr(e))
        if "x-preflight-verdict" not in h:
            ok = False
            print("   no X-Preflight-Verdict header")
        print("%s %-45s %d (want %d), upstream +%d (want +%d)" % ("ok  " if ok else "FAIL", name, st,
                                                                    want, got, dup))
        if not ok:
            fail("%s: %d %r" % (name, st, b[:300]))

    # What the upstream got: the caller's credentials unchanged, the checked fields.
    head, body = fake.request(1)
    hl = head.splitlines()
    if "X-PolyAi-Auth-Token: %s" % TOKEN not in hl or "X-TOKEN-ID: %s" % TOKEN_ID not in hl:
        fail("the caller's credentials were not forwarded unchanged: " + head)
    if json.loads(body) != {"user_number": "+14155552671", "message": MSG, "agent_number": "+14155550132"}:
        fail("forwarded body: %r" % body)
    if hl[0].split()[:2] != ["POST", "/v1/outbound-sms"]:
        fail("forwarded request line: " + head.splitlines()[0])

    # /metrics reflects the table.
    st, h, b = call(port, "GET", "/metrics")
    m = b.decode()
    for line in ('preflight_http_requests_total{endpoint="/v1/outbound-sms",status="422"} 1',
                 'preflight_http_requests_total{endpoint="/v1/check",status="413"} 1',
                 'preflight_upstream_responses_total{status="429"} 1',
                 'preflight_upstream_failures_total{outcome="unknown"} 2',
                 'preflight_findings_total{id="number.non-sms-type"} 2'):
        if line not in m:
            fail("metrics lack: " + line)
    fake.stop()
    rc = gw.stop()
    if rc != 0:
        fail("gateway exit %d after SIGTERM" % rc)
    log = gw.access()
    lines = [json.loads(l) for l in log.splitlines()]
    if len(lines) != len(table) + 1:
        fail("access log: %d lines for %d requests" % (len(lines), len(table) + 1))
    for l in lines:
        for k in ("method", "path", "status", "verdict", "findings", "latency_ms", "upstream_status"):
            if k not in l:
                fail("access log line without %s: %r" % (k, l))
    if not any(l["status"] == 429 and l["upstream_status"] == 429 for l in lines):
        fail("access log: no upstream_status 429")
    if MSG in log:
        fail("the access log holds a message text without --log-messages")
    secrets_absent("the access log", log)
    secrets_absent("stderr", gw.stderr())
    secrets_absent("an answer", "\n".join(answers))

    # --fail-on warn: warn answers 422 and nothing goes upstream.
    fake2 = Fake("202", name="fake2")
    gw2 = Gateway("--config", CONFIG, "--upstream", fake2.url, "--fail-on", "warn", "--log-messages",
                  name="gw2")
    st, h, b = call(gw2.port, "POST", "/v1/outbound-sms", PASS, dict(UNKNOWN_FIRST, **CREDS))
    ok = st == 422 and "stopped" in json.loads(b)["detail"] and fake2.count() == 0
    print("%s %-45s %d" % ("ok  " if ok else "FAIL", "--fail-on warn: warn -> 422", st))
    if not ok:
        fail("--fail-on warn: %d %r" % (st, b))
    st, h, b = call(gw2.port, "POST", "/v1/outbound-sms", PASS, dict(NOT_FIRST, **CREDS))
    if st != 202 or fake2.count() != 1:
        fail("--fail-on warn: pass should be sent: %d" % st)
    gw2.stop()
    fake2.stop()
    log2 = [json.loads(l) for l in gw2.access().splitlines()]
    if [l.get("message") for l in log2] != [MSG, MSG]:
        fail("--log-messages: the access log should hold the message texts")
    secrets_absent("the access log with --log-messages", gw2.access())

    # --retry-429: the gateway retries within its budget (2 requests, 202).
    fake3 = Fake("429;ra=1", "202", name="fake3")
    gw3 = Gateway("--config", CONFIG, "--upstream", fake3.url, "--retry-429", name="gw3")
    st, h, b = call(gw3.port, "POST", "/v1/outbound-sms", PASS, dict(NOT_FIRST, **CREDS))
    ok = st == 202 and fake3.count() == 2
    print("%s %-45s %d, upstream %d" % ("ok  " if ok else "FAIL", "--retry-429: 429 then 202", st,
                                        fake3.count()))
    if not ok:
        fail("--retry-429")
    gw3.stop()
    fake3.stop()

    # Connect failure: nothing sent -> 502; slow client and connection limit.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    gw4 = Gateway("--config", CONFIG, "--upstream", "http://127.0.0.1:%d" % dead, "--timeout", "1",
                  "--max-connections", "3", "--threads", "1", name="gw4")
    st, h, b = call(gw4.port, "POST", "/v1/outbound-sms", PASS, dict(NOT_FIRST, **CREDS))
    ok = st == 502 and "nothing was sent" in json.loads(b)["detail"]
    print("%s %-45s %d" % ("ok  " if ok else "FAIL", "connect failure -> 502", st))
    if not ok:
        fail("connect failure: %d %r" % (st, b))
    # A client that sends half a request and stalls is cut off by --timeout.
    slow = socket.create_connection(("127.0.0.1", gw4.port), timeout=5)
    slow.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    t0 = time.time()
    try:
        got = slow.recv(100)
    except OSError:
        got = b""
    dt = time.time() - t0
    ok = dt < 4 and not got.startswith(b"HTTP/1.1 200")
    print("%s %-45s closed after %.1f s" % ("ok  " if ok else "FAIL", "slow client timed out", dt))
    if not ok:
        fail("slow client not timed out (%.1f s, %r)" % (dt, got[:40]))
    slow.close()
    # --max-connections 3: with three connections held open, a fourth is not
    # served (libmicrohttpd stops accepting; it waits in the backlog) until one
    # goes; the held ones are idle, so --timeout 1 frees them within a second.
    held = [socket.create_connection(("127.0.0.1", gw4.port), timeout=5) for _ in range(3)]
    time.sleep(0.2)
    try:
        st, h, b = call(gw4.port, "GET", "/healthz", timeout=0.5)
        over = "answered %d" % st
    except Exception as e:
        over = None
    for c in held:
        c.close()
    time.sleep(0.3)
    st, h, b = call(gw4.port, "GET", "/healthz")
    ok = over is None and st == 200
    print("%s %-45s %s; after: %d" % ("ok  " if ok else "FAIL", "connection limit", over or "refused", st))
    if not ok:
        fail("connection limit: %s, then %d" % (over, st))
    gw4.stop()


# ---------------------------------------------------------------- reload

def write_config(path, disabled, broken=False):
    with open(CONFIG) as f:
        cfg = json.load(f)
    cfg["disabled_rules"] = disabled
    text = json.dumps(cfg, indent=2)
    if broken:
        text = text[: len(text) // 2]
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def mode_reload():
    cfg = os.path.join(tmp, "preflight.json")
    write_config(cfg, ["content.help"])
    old = cli_check(cfg, PASS, None)
    write_config(cfg, ["content.help", "content.opt-out-missing"])
    new = cli_check(cfg, PASS, None)
    if old == new or json.loads(old)["verdict"] != "warn" or json.loads(new)["verdict"] != "pass":
        fail("the two configs should give warn and pass")
        return
    write_config(cfg, ["content.help"])
    gw = Gateway("--config", cfg, "--threads", "2")
    stop = threading.Event()
    counts = {"old": 0, "new": 0, "bad": 0}
    lock = threading.Lock()

    def client():
        c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
        body = json.dumps(PASS)
        while not stop.is_set():
            try:
                c.request("POST", "/v1/check", body=body, headers=UNKNOWN_FIRST)
                r = c.getresponse()
                b = r.read()
                kind = "old" if r.status == 200 and b == old else "new" if r.status == 200 and b == new else "bad"
            except Exception as e:
                kind = "bad"
                print("   request failed at %.3f:" % time.time(), e)
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
            with lock:
                counts[kind] += 1
        c.close()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    reloads = 0

    def events(kind):
        return sum(1 for l in gw.stderr().splitlines() if '"event":"%s"' % kind in l)

    def wait_event(kind, n):
        # Signals of one kind coalesce: the next SIGHUP waits for this reload.
        for _ in range(400):
            if events(kind) >= n:
                return True
            time.sleep(0.025)
        fail("no %s event %d" % (kind, n))
        return False

    for i in range(8):
        time.sleep(0.2)
        write_config(cfg, ["content.help", "content.opt-out-missing"] if i % 2 == 0 else ["content.help"])
        gw.p.send_signal(signal.SIGHUP)
        reloads += 1
        wait_event("reloaded", reloads)
    time.sleep(0.3)
    # A broken config: the last good session (the old one, i = 7) keeps serving.
    write_config(cfg, ["content.help"], broken=True)
    gw.p.send_signal(signal.SIGHUP)
    wait_event("reload_failed", 1)
    time.sleep(0.3)
    with lock:
        before_broken = dict(counts)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=15)
    st, h, b = call(gw.port, "POST", "/v1/check", PASS, UNKNOWN_FIRST)
    if st != 200 or b != old:
        fail("after the broken reload the last good session should answer (%d)" % st)
    st, h, m = call(gw.port, "GET", "/metrics")
    m = m.decode()
    print("answers: %(old)d old, %(new)d new, %(bad)d failed or other" % counts)
    if counts["bad"] or counts["old"] == 0 or counts["new"] == 0:
        fail("reload under load: %r" % counts)
    if before_broken["bad"]:
        fail("answers failed before the broken config")
    if "preflight_reloads_total %d\n" % reloads not in m:
        fail("metrics: reloads_total should be %d" % reloads)
    if "preflight_reload_failures_total 1\n" not in m:
        fail("metrics: reload_failures_total should be 1")
    if gw.stop() != 0:
        fail("exit status after SIGTERM")
    err = gw.stderr()
    events = [json.loads(l) for l in err.splitlines() if l.startswith("{")]
    bad = [e for e in events if e["event"] == "reload_failed"]
    if len(bad) != 1 or not bad[0]["file"].endswith("preflight.json") or not bad[0]["error"]:
        fail("reload failure not logged as a JSON line naming the file: %r" % bad)
    if sum(1 for e in events if e["event"] == "reloaded") != reloads:
        fail("reloaded events")


# ---------------------------------------------------------------- drain

def mode_drain():
    fake = Fake("202;delay=1500", name="fake")
    gw = Gateway("--config", CONFIG, "--upstream", fake.url, "--timeout", "5", "--drain-grace", "1")
    result = {}

    def slow_send():
        try:
            result["send"] = call(gw.port, "POST", "/v1/outbound-sms", PASS, dict(NOT_FIRST, **CREDS))[0]
        except Exception as e:
            result["send"] = repr(e)

    t = threading.Thread(target=slow_send)
    t.start()
    time.sleep(0.5)  # the send is in flight, waiting on the upstream
    gw.p.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    # The grace (1 s): still serving, /readyz fails, answers close their
    # connection so a balancer does not reuse it.
    try:
        st, h, _ = call(gw.port, "GET", "/readyz", timeout=2)
        result["readyz"] = (st, h.get("connection"))
        st, h, _ = call(gw.port, "POST", "/v1/check", PASS, NOT_FIRST, timeout=2)
        result["check"] = (st, h.get("connection"))
    except Exception as e:
        result["readyz"] = repr(e)
    time.sleep(1.2)
    # After the grace: no new connection is accepted.
    try:
        result["after"] = call(gw.port, "GET", "/readyz", timeout=2)[0]
    except Exception:
        result["after"] = "refused"
    t.join(timeout=10)
    rc = gw.p.wait(timeout=15)
    print("in-flight send: %r, during the grace: readyz %r, check %r; after it: %r; exit %d" % (
        result.get("send"), result.get("readyz"), result.get("check"), result["after"], rc))
    if result.get("send") != 202:
        fail("the in-flight request did not finish: %r" % result.get("send"))
    if result.get("readyz") != (503, "close"):
        fail("/readyz during the grace: %r (expected 503, Connection: close)" % (result.get("readyz"),))
    if result.get("check") != (200, "close"):
        fail("a check during the grace: %r (expected 200, Connection: close)" % (result.get("check"),))
    if result["after"] != "refused":
        fail("a connection was accepted after the grace: %r" % result["after"])
    if rc != 0:
        fail("exit %d" % rc)
    if fake.count() != 1:
        fail("upstream requests: %d" % fake.count())
    ev = [json.loads(l)["event"] for l in gw.stderr().splitlines() if l.startswith("{")]
    if ev[-2:] != ["draining", "stopped"]:
        fail("events: %r" % ev)
    # A second SIGTERM cuts the grace short.
    gw2 = Gateway("--config", CONFIG, "--drain-grace", "30", name="gw2")
    t0 = time.time()
    gw2.p.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    rc = gw2.stop()
    print("second SIGTERM during a 30 s grace: exit %d after %.1f s" % (rc, time.time() - t0))
    if rc != 0 or time.time() - t0 > 10:
        fail("a second SIGTERM did not end the grace")
    fake.stop()


# ---------------------------------------------------------------- promtool, wrk

def traffic(port):
    call(port, "POST", "/v1/check", PASS, NOT_FIRST)
    call(port, "POST", "/v1/check", PASS, UNKNOWN_FIRST)
    call(port, "POST", "/v1/check", BLOCK, NOT_FIRST)
    call(port, "POST", "/v1/check", raw=b"{")
    call(port, "GET", "/nope")
    call(port, "POST", "/v1/outbound-sms", BLOCK, dict(NOT_FIRST, **CREDS))


def mode_promtool():
    tool = shutil.which("promtool")
    if not tool:
        print("SKIP: promtool not installed (Debian package prometheus; scripts/deps prometheus)")
        return 77
    gw = Gateway("--config", CONFIG)
    traffic(gw.port)
    st, h, b = call(gw.port, "GET", "/metrics")
    gw.stop()
    if st != 200 or not h["content-type"].startswith("text/plain; version=0.0.4"):
        fail("metrics answer %d %s" % (st, h.get("content-type")))
    r = subprocess.run([tool, "check", "metrics"], input=b, capture_output=True, timeout=30)
    print(r.stdout.decode() + r.stderr.decode())
    if r.returncode != 0:
        fail("promtool check metrics failed")
    return 0


def mode_wrk():
    tool = shutil.which("wrk")
    if not tool:
        print("SKIP: wrk not installed (Debian package wrk)")
        return 77
    gw = Gateway("--config", CONFIG, "--threads", "2")
    lua = os.path.join(tmp, "post.lua")
    with open(lua, "w") as f:
        f.write('wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n'
                'wrk.headers["X-Preflight-Send-At"] = "%s"\n' % (json.dumps(json.dumps(PASS)), AT))
    r = subprocess.run([tool, "-t2", "-c16", "-d3s", "-s", lua, "http://127.0.0.1:%d/v1/check" % gw.port],
                       capture_output=True, timeout=30)
    out = r.stdout.decode()
    print(out)
    if r.returncode != 0 or "Requests/sec" not in out:
        fail("wrk did not run")
    if "Socket errors" in out or "Non-2xx" in out:
        fail("errors under load")
    if gw.stop() != 0:
        fail("exit status")
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def mode_scaleout():
    tool = shutil.which("haproxy")
    if not tool:
        print("SKIP: haproxy not installed (Debian package haproxy)")
        return 77
    fake = Fake("202;delay=2500", name="fake")
    # The grace must outlast HAProxy's health checks (inter 500ms, fall 1):
    # 2 s, the default. PF_SCALEOUT_GRACE=0 shows the defect it fixes.
    grace = os.environ.get("PF_SCALEOUT_GRACE", "2")
    gw1 = Gateway("--config", CONFIG, "--threads", "1", "--upstream", fake.url, "--drain-grace", grace,
                  name="gw1")
    gw2 = Gateway("--config", CONFIG, "--threads", "1", "--upstream", fake.url, "--drain-grace", grace,
                  name="gw2")
    front = free_port()
    env = dict(os.environ, PF_LISTEN="127.0.0.1:%d" % front, PF_GW1="127.0.0.1:%d" % gw1.port,
               PF_GW2="127.0.0.1:%d" % gw2.port, PF_SEND_TIMEOUT_SERVER="1s")
    hap = subprocess.Popen([tool, "-db", "-f", os.path.join(SRC, "deploy", "haproxy.cfg")], env=env,
                           stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "haproxy.err"), "w"))
    procs.append(hap)
    # Both instances up: rise 2 at 500 ms.
    up = False
    for _ in range(60):
        try:
            if call(front, "GET", "/readyz", timeout=2)[0] == 200:
                up = True
                break
        except Exception:
            pass
        time.sleep(0.1)
    if not up:
        fail("HAProxy did not come up: " + open(os.path.join(tmp, "haproxy.err")).read())
        return 0
    time.sleep(1.2)
    stop = threading.Event()
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def client():
        body = json.dumps(PASS)
        c = http.client.HTTPConnection("127.0.0.1", front, timeout=10)
        while not stop.is_set():
            try:
                c.request("POST", "/v1/check", body=body, headers=NOT_FIRST)
                r = c.getresponse()
                r.read()
                good = r.status == 200
                if not good:
                    print("   answer", r.status)
            except Exception as e:
                good = False
                print("   request failed at %.3f:" % time.time(), e)
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", front, timeout=10)
            with lock:
                counts["ok" if good else "failed"] += 1
        c.close()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    t_term = time.time()
    gw1.p.send_signal(signal.SIGTERM)
    rc1 = gw1.p.wait(timeout=20)
    print("gw1: SIGTERM at %.3f, exited %.3f s later" % (t_term, time.time() - t_term))
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join(timeout=15)
    print("POST /v1/check through HAProxy: %(ok)d answered 200, %(failed)d failed" % counts)
    if counts["failed"] or counts["ok"] < 20:
        fail("scale-out: %r" % counts)
    if rc1 != 0:
        fail("the drained instance exited %d" % rc1)
    # The send path: the upstream takes 2.5 s, HAProxy's server timeout is
    # 1 s. HAProxy answers 504 and must not try the other instance.
    try:
        st = call(front, "POST", "/v1/outbound-sms", PASS, dict(NOT_FIRST, **CREDS), timeout=10)[0]
    except Exception as e:
        st = repr(e)
    time.sleep(3.0)
    print("slow send through HAProxy: %r, upstream requests %d" % (st, fake.count()))
    if st != 504 or fake.count() != 1:
        fail("the send was retried or not answered 504: %r, %d upstream requests" % (st, fake.count()))
    hap.terminate()
    hap.wait(timeout=10)
    gw2.stop()
    fake.stop()
    return 0


if __name__ == "__main__":
    deadline_guard(100)
    try:
        rc = {"cases": mode_cases, "reload": mode_reload, "drain": mode_drain,
              "promtool": mode_promtool, "wrk": mode_wrk,
              "scaleout": mode_scaleout}[MODE]()
    finally:
        cleanup()
    if rc == 77:
        sys.exit(77)
    if fails:
        print("%d failure(s)" % len(fails))
        sys.exit(1)
    print("all passed")
