#!/usr/bin/env python3
"""cache_test.py PREFLIGHT — the start-up cache (validator/lib/cache_int.h).

Every case runs the same commands and compares stdout, stderr and exit
status with a run that has the cache turned off (PREFLIGHT_NO_CACHE=1): a
cache may make a start faster, never change an answer. Cases: a cold
cache, a warm one; for each file (ICU's zones, the geocoder's
descriptions, libphonenumber's metadata, the rule packs known to compile,
the snapshot of the country table, the rules' one-pass prefilter, the
counts --version prints, the compiled patterns of calling codes 1 and 61,
the number module's identity, the memo of file hashes, the snapshot of
the loaded rule set)
a corrupted payload, a truncated file, a file of another
format, an empty file, a stale key (as after an ICU or libphonenumber
update); a read-only or impossible directory, no $HOME, a relative
$XDG_CACHE_HOME, the off switch. Control cases prove the files are really
read: a forged file whose key and hash are right but whose payload is
false is believed (a zone left out makes the table fail to load; another
area changes the quiet-hours note; a misspelt name in the table's
snapshot is printed; a file's hash in the memo is the one --version
prints; a rule message changed in the rule set's snapshot is printed),
so the checks are what keeps bad files out. A copy of data/
whose table is edited after a warm run (same size, modification time put
back) is seen as edited.
"""
import hashlib
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1])
MSG = "Acme Dental: your cleaning is tomorrow at 10:30. Reply C to confirm."
COMMANDS = [
    # 06:00Z is 22:00 in San Francisco: the quiet-hours finding names the
    # number's area, which comes from the geocoder (or its cache).
    ["check", "--to", "+14155552671", "--at", "2026-11-26T06:00:00Z", "--not-first",
     "--message", MSG],
    ["check", "--to", "+61491570156", "--at", "2026-11-26T20:00:00Z", "--not-first",
     "--format", "json", "--message", MSG],
    ["countries", "US"],
    # The rule and country counts come from the cache (version-facts).
    ["--version"],
    # Content findings and the rule list come from the rule set (or its
    # snapshot in the cache).
    ["scan", "--country", "GB", "--format", "json", "--message",
     "WIN a FREE prize! Claim now at bit.ly/abc"],
    ["rules"],
]
HEADER = 8 + 32 + 8 + 32
failures = 0


def env_for(**kv):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PREFLIGHT_CACHE_DIR", "XDG_CACHE_HOME", "HOME", "PREFLIGHT_NO_CACHE")}
    env.update({k: v for k, v in kv.items() if v is not None})
    return env


def run_all(env, cwd=None):
    return [subprocess.run([BIN] + c, env=env, cwd=cwd, capture_output=True, timeout=60)
            for c in COMMANDS]


def same(label, got, want):
    global failures
    for c, g, w in zip(COMMANDS, got, want):
        if (g.returncode, g.stdout, g.stderr) != (w.returncode, w.stdout, w.stderr):
            print(f"FAIL: {label}: `{' '.join(c[:2])}` differs from the run without a cache")
            print("  got:", g.returncode, g.stdout[:300], g.stderr[:300])
            print("  want:", w.returncode, w.stdout[:300], w.stderr[:300])
            failures += 1
            return
    print(f"ok: {label}")


def expect(label, cond):
    global failures
    print(("ok: " if cond else "FAIL: ") + label)
    failures += 0 if cond else 1


def valid(path):
    """Whether the file passes the checks the library makes."""
    try:
        b = open(path, "rb").read()
    except OSError:
        return False
    if len(b) < HEADER or b[:8] != b"PFCACHE1":
        return False
    (n,) = struct.unpack("<Q", b[40:48])
    return len(b) == HEADER + n and hashlib.sha256(b[HEADER:]).digest() == b[48:80]


MEMO_FIXED = 96  # an entry of the memo of file hashes before its path (hashmemo.c)


def memo_entries(payload):
    """The memo's entries as (path, signature and hash), hashed-at times left
    out (a rebuilt memo records new ones); None when it does not parse."""
    try:
        (n,) = struct.unpack_from("<I", payload, 0)
        at, out = 4, []
        for _ in range(n):
            dev, ino, size, ms, cs, _hs, mns, cns, _hns, plen = struct.unpack_from(
                "<QQqqqqIIII", payload, at)
            sha = payload[at + 64:at + 96]
            path = payload[at + MEMO_FIXED:at + MEMO_FIXED + plen]
            out.append((path, dev, ino, size, ms, mns, cs, cns, sha))
            at += MEMO_FIXED + plen
        return out if at == len(payload) else None
    except struct.error:
        return None


def same_file(name, got, want):
    """A rebuilt cache file is the one a cold run wrote (for the memo of file
    hashes: the same entries)."""
    if name != "file-hashes":
        return got == want
    return (len(got) >= HEADER and got[:40] == want[:40] and
            memo_entries(got[HEADER:]) is not None and
            memo_entries(got[HEADER:]) == memo_entries(want[HEADER:]))


def memo_poison(payload):
    """Another hash for data/countries.json in the memo."""
    (n,) = struct.unpack_from("<I", payload, 0)
    at = 4
    for _ in range(n):
        (plen,) = struct.unpack_from("<I", payload, at + 60)
        path = payload[at + MEMO_FIXED:at + MEMO_FIXED + plen]
        if path.endswith(b"/data/countries.json"):
            return payload[:at + 64] + bytes(32) + payload[at + 96:]
        at += MEMO_FIXED + plen
    return payload[::-1]


def forge(path, key, payload):
    with open(path, "wb") as f:
        f.write(b"PFCACHE1" + key + struct.pack("<Q", len(payload)) +
                hashlib.sha256(payload).digest() + payload)


root = tempfile.mkdtemp()
try:
    reference = run_all(env_for(PREFLIGHT_NO_CACHE="1", HOME=root))
    expect("the reference runs pass or warn (exit 0 or 1)",
           all(r.returncode in (0, 1) for r in reference))
    cdir = os.path.join(root, "c")
    f = os.path.join(cdir, "icu-zones")
    env = env_for(PREFLIGHT_CACHE_DIR=cdir)

    same("cold cache", run_all(env), reference)
    files = {name: os.path.join(cdir, name)
             for name in ("icu-zones", "geo-descriptions", "phone-metadata", "rules-valid",
                          "countries", "rules-onepass", "version-facts",
                          "phone-patterns-1", "phone-patterns-61", "module-identity",
                          "file-hashes", "rules-snapshot")}
    good = {}
    for name, f in files.items():
        expect(f"{name}: a cold run writes a valid cache file", valid(f))
        good[name] = open(f, "rb").read()
    expect("the cache directory is private (0700)",
           stat.S_IMODE(os.stat(cdir).st_mode) == 0o700)
    same("warm cache", run_all(env), reference)
    for name, f in files.items():
        expect(f"{name}: a warm run leaves the file as it was", open(f, "rb").read() == good[name])

    # Payloads that pass every check but say something false: with the
    # right key they are believed (the control cases), with any other
    # defect they must be thrown away.
    def poison(name, payload):
        if name == "icu-zones":  # a zone timezones.json names, left out
            return payload.replace(b"America/Los_Angeles\0", b"", 1)
        if name == "geo-descriptions":
            return payload.replace(b"San Francisco, CA", b"Boston, MA", 1)
        if name == "version-facts":  # another rule count (u64 after a flag byte)
            return payload[:1] + struct.pack("<Q", 7) + payload[9:]
        if name == "countries":  # the snapshot of the table: a name misspelt
            return payload.replace(b"United States\0", b"Untied States\0", 1)
        if name == "file-hashes":  # another hash for the table
            return memo_poison(payload)
        if name == "rules-snapshot":  # a rule's message, same length
            return payload.replace(b"announces a prize", b"announces a PRIZE", 1)
        return payload[::-1]  # no control case: any other bytes

    for name, f in files.items():
        g = good[name]
        key, payload = g[8:40], g[HEADER:]
        poisoned = poison(name, payload)
        expect(f"{name}: the poisoned payload differs", poisoned != payload)
        cases = [("corrupted payload", bytes(g[:-5]) + bytes([g[-5] ^ 0x20]) + bytes(g[-4:])),
                 ("truncated file", g[:len(g) // 2]),
                 ("file of another format", b"not a cache\n" * 10),
                 ("empty file", b"")]
        for label, content in cases:
            open(f, "wb").write(content)
            same(f"{name}: {label}", run_all(env), reference)
            expect(f"{name}: {label}: rebuilt", same_file(name, open(f, "rb").read(), g))
        # Stale: well formed, for other inputs (another ICU, tzdata or
        # libphonenumber gives another key).
        forge(f, hashlib.sha256(b"other versions").digest(), poisoned)
        same(f"{name}: stale cache (other key)", run_all(env), reference)
        expect(f"{name}: a stale file is rebuilt", same_file(name, open(f, "rb").read(), g))
        # Control: the poisoned payload under the right key is used.
        if name not in ("icu-zones", "geo-descriptions", "countries", "version-facts",
                        "file-hashes", "rules-snapshot"):
            continue
        forge(f, key, poisoned)
        got = run_all(env)
        if name == "icu-zones":
            used = got[0].returncode not in (0, 1) and b"America/Los_Angeles" in got[0].stderr
        elif name == "countries":
            used = b"Untied States" in got[2].stdout
        elif name == "rules-snapshot":
            used = b"announces a PRIZE" in got[4].stdout
        elif name == "version-facts":
            used = b", 7 rules (" in got[3].stdout
        elif name == "file-hashes":  # the data directory's hash is printed
            used = (got[3].stdout.split(b"\ndata: ")[1][:72] !=
                    reference[3].stdout.split(b"\ndata: ")[1][:72])
        else:
            used = b"Boston" in got[0].stdout + got[1].stdout
        expect(f"{name}: control: a forged file that passes every check is used", used)
        open(f, "wb").write(g)
        if name == "rules-snapshot":
            # Right key and hash, but not a snapshot: the reader's own
            # checks refuse it and the packs' JSON is loaded.
            for label, bad in (("reversed", payload[::-1]), ("cut", payload[:len(payload) // 3]),
                               ("a count changed", payload[:12] + b"\xff" + payload[13:])):
                forge(f, key, bad)
                same(f"{name}: a forged payload ({label}) is refused", run_all(env), reference)
                expect(f"{name}: a forged payload ({label}) is rebuilt",
                       open(f, "rb").read() == g)

    # A pack edited after the cache knew the packs as compiling: its bad
    # pattern is reported at load exactly as without a cache (the edit
    # changes the key, so nothing is left to first use).
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "rules")
    edited = os.path.join(root, "rules")
    shutil.copytree(src, edited)
    pack = sorted(p for p in os.listdir(edited) if p.endswith(".json")
                  and b'"pattern": "' in open(os.path.join(edited, p), "rb").read())[0]
    text = open(os.path.join(edited, pack), "rb").read()
    open(os.path.join(edited, pack), "wb").write(text.replace(b'"pattern": "', b'"pattern": "(', 1))
    run_all(env_for(PREFLIGHT_CACHE_DIR=cdir, PREFLIGHT_RULES_DIR=src))  # warm for the originals
    bad_ref = run_all(env_for(PREFLIGHT_NO_CACHE="1", HOME=root, PREFLIGHT_RULES_DIR=edited))
    expect("edited pack: the reference run reports the pattern",
           bad_ref[0].returncode not in (0, 1) and b"does not compile" in bad_ref[0].stderr)
    same("edited pack after a warm cache",
         run_all(env_for(PREFLIGHT_CACHE_DIR=cdir, PREFLIGHT_RULES_DIR=edited)), bad_ref)

    # A copy of data/ whose table is edited after a warm run, in place,
    # same size, modification time put back (only the change time tells):
    # the edit is reported, not the old snapshot. The copy is left alone
    # for the racy window first, so the warm run records its hashes.
    data_src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data")
    data = os.path.join(root, "data")
    shutil.copytree(data_src, data)
    table = os.path.join(data, "countries.json")
    time.sleep(2.2)
    denv = env_for(PREFLIGHT_CACHE_DIR=cdir, PREFLIGHT_DATA_DIR=data)
    before = run_all(denv)
    same("data copy: warm run", run_all(denv), before)
    entries = memo_entries(open(files["file-hashes"], "rb").read()[HEADER:]) or []
    expect("data copy: its table's hash is in the memo",
           any(e[0] == os.path.realpath(table).encode() for e in entries))
    st = os.stat(table)
    text = open(table, "rb").read()
    edited = text.replace(b'"United States"', b'"United Statez"', 1)
    expect("data copy: edited, same size", edited != text and len(edited) == len(text))
    open(table, "r+b").write(edited)
    os.utime(table, ns=(st.st_atime_ns, st.st_mtime_ns))
    expect("data copy: same size and modification time after the edit",
           (os.stat(table).st_size, os.stat(table).st_mtime_ns) == (st.st_size, st.st_mtime_ns))
    edited_ref = run_all(env_for(PREFLIGHT_NO_CACHE="1", HOME=root, PREFLIGHT_DATA_DIR=data))
    expect("data copy: the reference run shows the edit", b"United Statez" in edited_ref[2].stdout)
    same("data copy: edited table after a warm cache", run_all(denv), edited_ref)

    # A directory nobody can write: a path below a regular file (fails even
    # for root), and a read-only directory (fails for other users).
    blocker = os.path.join(root, "file")
    open(blocker, "w").write("x")
    same("cache directory cannot be created",
         run_all(env_for(PREFLIGHT_CACHE_DIR=os.path.join(blocker, "c"))), reference)
    ro = os.path.join(root, "ro")
    os.mkdir(ro, 0o555)
    same("read-only cache directory", run_all(env_for(PREFLIGHT_CACHE_DIR=ro)), reference)
    if os.geteuid() != 0:
        expect("nothing written to the read-only directory", os.listdir(ro) == [])
    os.chmod(ro, 0o755)

    # No $HOME and no $XDG_CACHE_HOME: no cache, and nothing written in the
    # working directory.
    wd = os.path.join(root, "wd")
    os.mkdir(wd)
    same("no $HOME", run_all(env_for(), cwd=wd), reference)
    expect("no $HOME: nothing written", os.listdir(wd) == [])
    # A relative $XDG_CACHE_HOME is ignored (XDG): $HOME's .cache is used.
    home = os.path.join(root, "home")
    os.mkdir(home)
    same("relative $XDG_CACHE_HOME",
         run_all(env_for(XDG_CACHE_HOME="rel", HOME=home), cwd=wd), reference)
    expect("relative $XDG_CACHE_HOME: $HOME/.cache/sms-preflight used",
           valid(os.path.join(home, ".cache", "sms-preflight", "icu-zones")) and
           os.listdir(wd) == [])
    xdg = os.path.join(root, "xdg")
    same("$XDG_CACHE_HOME", run_all(env_for(XDG_CACHE_HOME=xdg, HOME=home)), reference)
    expect("$XDG_CACHE_HOME/sms-preflight used",
           valid(os.path.join(xdg, "sms-preflight", "icu-zones")))

    # The off switch.
    off = os.path.join(root, "off")
    same("PREFLIGHT_NO_CACHE=1",
         run_all(env_for(PREFLIGHT_CACHE_DIR=off, PREFLIGHT_NO_CACHE="1")), reference)
    expect("PREFLIGHT_NO_CACHE=1: nothing written", not os.path.exists(off))
finally:
    shutil.rmtree(root, ignore_errors=True)

print("cache cases:", "FAILED" if failures else "all passed")
sys.exit(1 if failures else 0)
