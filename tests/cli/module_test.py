#!/usr/bin/env python3
"""module_test.py PREFLIGHT — the number module (validator/lib/phone_module.h).

libphonenumber, protobuf and abseil live in preflight-phone.so, loaded with
dlopen only when an answer needs them. The dynamic loader's own trace
(LD_DEBUG=files) tells whether a run mapped the module. Cases: commands that
never need it (--version, segments); a check of an E.164 number from a cold
cache (loads it) and a warm one (must not); national input (needs
libphonenumber's parser: loads it); a changed loader environment
(LD_LIBRARY_PATH), which makes the remembered identity untrue, so the module
is loaded again to work it out, and the caches of its answers (the rule-set
snapshot among them) are keyed anew — every answer byte-identical to a run
with the cache off.
"""
import os
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1])
MSG = "Acme Dental: your cleaning is tomorrow at 10:30. Reply C to confirm."
CHECK = ["check", "--to", "+14155552671", "--at", "2026-11-26T06:00:00Z", "--not-first",
         "--message", MSG]
failures = 0


def expect(label, cond):
    global failures
    print(("ok: " if cond else "FAIL: ") + label)
    failures += 0 if cond else 1


def run(args, traced_first=False, **env):
    """The plain run's result, and whether the traced run (the second,
    unless traced_first) mapped the module."""
    e = {k: v for k, v in os.environ.items()
         if k not in ("PREFLIGHT_CACHE_DIR", "PREFLIGHT_NO_CACHE", "LD_DEBUG", "LD_LIBRARY_PATH")}
    e.update(env)
    t = dict(e, LD_DEBUG="files")
    if traced_first:
        traced = subprocess.run([BIN] + args, env=t, capture_output=True, timeout=60)
    plain = subprocess.run([BIN] + args, env=e, capture_output=True, timeout=60)
    if not traced_first:
        traced = subprocess.run([BIN] + args, env=t, capture_output=True, timeout=60)
    return plain, b"preflight-phone.so" in traced.stderr


with tempfile.TemporaryDirectory() as root:
    cdir = os.path.join(root, "cache")
    ref, loaded = run(CHECK, PREFLIGHT_NO_CACHE="1")
    expect("without a cache, check loads the module", loaded)
    expect("the reference check passes or warns", ref.returncode in (0, 1))

    for args in (["--version"], ["segments", "--message", MSG]):
        _, loaded = run(args, PREFLIGHT_CACHE_DIR=cdir)
        expect(f"`{args[0]}` does not load the module", not loaded)

    cold, loaded = run(CHECK, PREFLIGHT_CACHE_DIR=os.path.join(root, "cold"))
    expect("a cold cache: the same answer", (cold.returncode, cold.stdout, cold.stderr) ==
           (ref.returncode, ref.stdout, ref.stderr))
    expect("module-identity is written",
           os.path.exists(os.path.join(root, "cold", "module-identity")))
    warm, loaded = run(CHECK, PREFLIGHT_CACHE_DIR=os.path.join(root, "cold"))
    expect("a warm check of an E.164 number does not load the module", not loaded)
    expect("a warm cache: the same answer", (warm.returncode, warm.stdout, warm.stderr) ==
           (ref.returncode, ref.stdout, ref.stderr))

    national = ["number", "--region", "US", "(415) 555-2671"]
    nref, _ = run(national, PREFLIGHT_NO_CACHE="1")
    nat, loaded = run(national, PREFLIGHT_CACHE_DIR=os.path.join(root, "cold"))
    expect("national input loads the module (libphonenumber's parser)", loaded)
    expect("national input: the same answer", (nat.returncode, nat.stdout) ==
           (nref.returncode, nref.stdout))

    # Another LD_LIBRARY_PATH could make the loader find other libraries:
    # the remembered identity no longer holds, so the module is loaded to
    # work it out again (and the record rewritten for that environment).
    other = os.path.join(root, "nothing-here")
    snap = os.path.join(root, "cold", "rules-snapshot")
    with open(snap, "rb") as f:
        snap_before = f.read()
    moved, loaded = run(CHECK, traced_first=True, PREFLIGHT_CACHE_DIR=os.path.join(root, "cold"),
                        LD_LIBRARY_PATH=other)
    expect("a changed LD_LIBRARY_PATH: the module is loaded again", loaded)
    expect("a changed LD_LIBRARY_PATH: the same answer",
           (moved.returncode, moved.stdout, moved.stderr) ==
           (ref.returncode, ref.stdout, ref.stderr))
    # The rule-set snapshot holds the engine's judgement of every rule's
    # countries, so it is keyed by the engine too: written anew.
    with open(snap, "rb") as f:
        expect("... and the rule-set snapshot is keyed anew", f.read() != snap_before)
    _, loaded = run(CHECK, PREFLIGHT_CACHE_DIR=os.path.join(root, "cold"), LD_LIBRARY_PATH=other)
    expect("... and then remembered for it", not loaded)

    # A loader variable longer than any fixed buffer (as Nix or conda
    # environments make): the identity is remembered for it like any other.
    long = ":".join(os.path.join(root, f"nothing-{i:04d}") for i in range(200))
    lng, loaded = run(CHECK, traced_first=True, PREFLIGHT_CACHE_DIR=os.path.join(root, "cold"),
                      LD_LIBRARY_PATH=long)
    expect(f"a {len(long)}-byte LD_LIBRARY_PATH: the module is loaded again", loaded)
    expect("... the same answer", (lng.returncode, lng.stdout, lng.stderr) ==
           (ref.returncode, ref.stdout, ref.stderr))
    _, loaded = run(CHECK, PREFLIGHT_CACHE_DIR=os.path.join(root, "cold"), LD_LIBRARY_PATH=long)
    expect("... and then remembered for it", not loaded)

print("FAILED" if failures else "all passed")
sys.exit(1 if failures else 0)
