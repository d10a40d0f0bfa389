#!/usr/bin/env python3
"""cache_test.py PREFLIGHT — the start-up cache (validator/lib/cache_int.h).

Every case runs the same commands and compares stdout, stderr and exit
status with a run that has the cache turned off (PREFLIGHT_NO_CACHE=1): a
cache may make a start faster, never change an answer. Cases: a fresh
cache, a warm one, a corrupted payload, a truncated file, a stale key (as
after an ICU update), a read-only or impossible directory, no $HOME, a
relative $XDG_CACHE_HOME, the off switch. A control case proves the cache
is really read: a forged file with a valid key and hash whose payload
leaves out one of the zones data/timezones.json names makes the table
fail to load, so the checks above are the only thing keeping bad files out.
"""
import hashlib
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1])
MSG = "Acme Dental: your cleaning is tomorrow at 10:30. Reply C to confirm."
COMMANDS = [
    ["check", "--to", "+14155552671", "--at", "2026-11-26T20:00:00Z", "--not-first",
     "--message", MSG],
    ["check", "--to", "+61491570156", "--at", "2026-11-26T20:00:00Z", "--not-first",
     "--format", "json", "--message", MSG],
    ["countries", "US"],
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
    expect("a cold run writes a valid cache file", valid(f))
    good = open(f, "rb").read()
    expect("the cache directory is private (0700)",
           stat.S_IMODE(os.stat(cdir).st_mode) == 0o700)
    same("warm cache", run_all(env), reference)
    expect("a warm run leaves the file as it was", open(f, "rb").read() == good)

    # Corrupted payload: one byte flipped, the header untouched.
    bad = bytearray(good)
    bad[-5] ^= 0x20
    open(f, "wb").write(bad)
    same("corrupted payload", run_all(env), reference)
    expect("a corrupted file is rebuilt", open(f, "rb").read() == good)

    # Truncated file, and a file that is not a cache at all.
    for label, content in (("truncated file", good[:len(good) // 2]),
                           ("file of another format", b"not a cache\n" * 10),
                           ("empty file", b"")):
        open(f, "wb").write(content)
        same(label, run_all(env), reference)
        expect(f"{label}: rebuilt", open(f, "rb").read() == good)

    # Stale: a well-formed file for other inputs (another ICU or tzdata
    # version gives another key), holding a poisoned payload.
    key = good[8:40]
    payload = good[HEADER:]
    us = payload.index(b"US\0")
    poisoned = payload.replace(b"America/Los_Angeles\0", b"", 1)
    expect("the poisoned payload differs", poisoned != payload and us >= 0)
    stale_key = hashlib.sha256(b"icu-zones 1\nicu 0.0\ntzdata 0000a\n").digest()
    forge(f, stale_key, poisoned)
    same("stale cache (other key)", run_all(env), reference)
    expect("a stale file is rebuilt", open(f, "rb").read() == good)

    # Control: the same poisoned payload under the valid key is believed,
    # so the table fails to load. This is what the checks keep out.
    forge(f, key, poisoned)
    got = run_all(env)
    expect("control: a forged file that passes every check is used (load fails)",
           got[0].returncode not in (0, 1) and b"America/Los_Angeles" in got[0].stderr)
    os.remove(f)

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
