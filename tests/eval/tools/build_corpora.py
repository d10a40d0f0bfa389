#!/usr/bin/env python3
"""Build tests/eval/dev.jsonl and tests/eval/test.jsonl from the evaluation sources.

Run once by hand (python3 standard library only); CI never runs it. The bulk
sources are read from local snapshots of their public repositories (git
directories, given with --mirror); the small curated sources come from
tests/eval/sources/*.jsonl. See tests/eval/README.md for every source's origin,
licence and labelling.

    python3 tests/eval/tools/build_corpora.py --mirror /work/.mirror [--check-only]

What it does, in order:
  1. loads every source, labels each message (class, expect, country, first_message);
  2. rejects a whole source that shows the reserved UCI collection's telltales
     (word 4-gram fingerprints in uci_fingerprints.txt, 5 574/5 572 messages
     labelled ham/spam);
  3. samples large sources down with a fixed seed;
  4. drops duplicates by normalised text across all sources (first source wins);
  5. splits every (class, source) stratum in half by a seeded hash of the
     normalised text: rows never move between dev and test, and rows added
     later do not disturb existing ones.
"""
import argparse
import glob
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import unicodedata

SEED = 12
HERE = os.path.dirname(os.path.abspath(__file__))
EVAL = os.path.dirname(HERE)

# Per-source sample sizes (after filtering, before deduplication).
TOPICAL_CHAT_SAMPLE = 1400
SGD_SAMPLE = 900


def norm_words(text):
    text = unicodedata.normalize("NFKC", text).lower()
    return re.findall(r"[a-z0-9\u00a3$]+", text)


def norm_key(text):
    return " ".join(norm_words(text))


def git_show(repo, path):
    return subprocess.run(["git", "-C", repo, "show", "HEAD:" + path], check=True,
                          capture_output=True).stdout


def git_ls(repo):
    out = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "-l", "HEAD"], check=True,
                         capture_output=True, text=True).stdout
    files = []
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        size = meta.split()[3]
        if size.isdigit():  # large files are listed but absent from a snapshot
            files.append(path)
    return files


def load_fingerprints():
    fp = set()
    with open(os.path.join(HERE, "uci_fingerprints.txt")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                fp.add(line)
    return fp


def uci_hits(rows, fp):
    """Messages sharing 3+ fingerprinted 4-grams with the reserved collection."""
    hits = 0
    for r in rows:
        w = norm_words(r["text"])
        n = 0
        for i in range(len(w) - 3):
            h = hashlib.sha256(" ".join(w[i:i + 4]).encode()).hexdigest()[:16]
            if h in fp:
                n += 1
        if n >= 3:
            hits += 1
    return hits


def row(text, cls, source, expect=(), country="US", first=False):
    return {"text": text, "class": cls, "expect": list(expect), "country": country,
            "first_message": first, "source": source}


def sms_like(text):
    return 12 <= len(text) <= 320 and "\n" not in text


# --- bulk sources ----------------------------------------------------------

def topical_chat(mirror):
    """alexa/Topical-Chat: turns of casual chat between two people (CDLA-Sharing-1.0)."""
    repo = os.path.join(mirror, "alexa+Topical-Chat", "repo")
    out = []
    for path in sorted(git_ls(repo)):
        if not (path.startswith("conversations/") and path.endswith(".json")):
            continue
        data = json.loads(git_show(repo, path))
        for conv_id in sorted(data):
            for turn in data[conv_id]["content"]:
                text = " ".join(turn["message"].split())
                if sms_like(text):
                    out.append(row(text, "ham_personal", "topical-chat"))
    rnd = random.Random(SEED)
    rnd.shuffle(out)
    return out[:TOPICAL_CHAT_SAMPLE], len(out)


SGD_ACTS = {"NOTIFY_SUCCESS", "CONFIRM"}
# Services whose confirmations a business would also send as a text; media,
# music, weather and the like are assistant chatter, not transactional SMS.
SGD_SERVICES = ("Banks", "Buses", "Events", "Flights", "Homes", "Hotels", "Movies",
                "RentalCars", "Restaurants", "RideSharing", "Services", "Trains", "Payment")


def sgd(mirror):
    """google-research-datasets/dstc8-schema-guided-dialogue: the system's booking
    confirmations and notifications (CC BY-SA 4.0)."""
    repo = os.path.join(mirror, "google-research-datasets+dstc8-schema-guided-dialogue", "repo")
    out = []
    for path in sorted(git_ls(repo)):
        if not re.match(r"(train|dev|test)/dialogues_\d+\.json$", path):
            continue
        for dlg in json.loads(git_show(repo, path)):
            for turn in dlg["turns"]:
                if turn["speaker"] != "SYSTEM":
                    continue
                acts = {a["act"] for fr in turn["frames"] for a in fr["actions"]
                        if fr["service"].split("_")[0] in SGD_SERVICES}
                text = " ".join(turn["utterance"].split())
                if acts & SGD_ACTS and sms_like(text):
                    out.append(row(text, "ham_transactional", "sgd"))
    rnd = random.Random(SEED)
    rnd.shuffle(out)
    return out[:SGD_SAMPLE], len(out)


# --- sources added after the first split ----------------------------------
# They come after every original source in the deduplication order and form
# strata of their own, so no original row changes or moves (see README).
NEW_SOURCES = ("imc25", "azure-docs", "aws-docs", "notify-gov", "imc25-b", "ory-kratos", "imc25-c", "courtbot", "courtbot-b", "ebt-balance", "vita-min",
               # held back for a while, taken in after three rule fixes
               # (README, "Taken in late"):
               "twilio-functions", "login-gov")

# IMC 2025 smishing dataset: scam types that are credential or fee phishing
# expect content.phishing (the same mapping as tools/import_local.py); the
# others (wrong number, hey mum/dad, spam, others) only have to be flagged.
IMC25_EXPECT = {t: ["content.phishing"] for t in
                ("banking", "delivery", "government", "telecom")}


def imc25_text(raw):
    """The sample's text as a message: a few rows hold a Python list of
    repeated reports ("['a', 'a']"), of which the first is the message; "\\n"
    escapes stand for line breaks and become spaces, as in the other sources."""
    m = re.match(r"""^\[(['"])(.*?)\1(?:,?\s*['"]|\]$)""", raw)
    if m:
        raw = m.group(2)
    return " ".join(raw.replace("\\n", " ").split())


def imc25(filename="imc25_sample.tsv", source="imc25"):
    """Agarwal et al., IMC 2025 (CC BY 4.0): English rows read from a public
    5 000-row sample of the dataset, committed in sources/imc25_sample.tsv
    (source imc25), sources/imc25_sample_b.tsv and imc25_sample_c.tsv (sources
    imc25-b and imc25-c: the file's other windows, added after the first split)."""
    path = os.path.join(EVAL, "sources", filename)
    out = []
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if not l.startswith("#")]
    if lines[0].split("\t") != ["row", "scam_type", "text"]:
        sys.exit("%s: header must be row, scam_type, text" % path)
    for n, line in enumerate(lines[1:], 2):
        cols = line.split("\t")
        if len(cols) != 3 or not cols[0].isdigit():
            sys.exit("%s: data line %d: expected row<TAB>scam_type<TAB>text" % (path, n))
        text = imc25_text(cols[2])
        if len(text) < 12:
            continue
        r = row(text, "spam", source, expect=IMC25_EXPECT.get(cols[1], []))
        r["source_category"] = cols[1]
        out.append(r)
    return out, len(lines) - 1


def curated():
    rows = []
    for path in sorted(glob.glob(os.path.join(EVAL, "sources", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    r = json.loads(line)
                except ValueError as e:
                    sys.exit("%s:%d: %s" % (path, n, e))
                rows.append(r)
    by = {}
    for r in rows:
        by.setdefault(r["source"], []).append(r)
    return by


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default="/work/.mirror")
    ap.add_argument("--check-only", action="store_true",
                    help="only run the reserved-collection check on every source")
    args = ap.parse_args()

    fp = load_fingerprints()
    sources = {}
    tc, tc_total = topical_chat(args.mirror)
    sources["topical-chat"] = tc
    sg, sg_total = sgd(args.mirror)
    sources["sgd"] = sg
    for name, rows in curated().items():
        sources[name] = rows
    im, im_total = imc25()
    sources["imc25"] = im
    imb, imb_total = imc25("imc25_sample_b.tsv", "imc25-b")
    sources["imc25-b"] = imb
    imc, imc_total = imc25("imc25_sample_c.tsv", "imc25-c")
    sources["imc25-c"] = imc

    ok = True
    for name, rows in sorted(sources.items()):
        hits = uci_hits(rows, fp)
        labels = {r["class"] for r in rows}
        big = len(rows) in (5574, 5572) and labels <= {"ham", "spam"}
        print("check %-14s %5d messages, %d share reserved-collection 4-grams%s" %
              (name, len(rows), hits, ", size/labels match it" if big else ""))
        if hits or big:
            ok = False
    if not ok:
        sys.exit("a source shows the reserved collection's telltales: not built")
    if args.check_only:
        return
    print("topical-chat: %d SMS-like turns, sampled %d" % (tc_total, len(tc)))
    print("sgd: %d confirmation/notification turns, sampled %d" % (sg_total, len(sg)))
    print("imc25: %d English rows, %d of 12 characters or more" % (im_total, len(im)))
    print("imc25-b: %d English rows, %d of 12 characters or more" % (imb_total, len(imb)))
    print("imc25-c: %d English rows, %d of 12 characters or more" % (imc_total, len(imc)))

    # Deduplicate across sources; the curated sources go first so their labels win.
    # Sources added later go last, so they never take a text from an original one.
    order = sorted((s for s in sources if s not in NEW_SOURCES),
                   key=lambda s: (s in ("topical-chat", "sgd"), s))
    order += [s for s in NEW_SOURCES if s in sources]
    seen = set()
    kept = []
    dropped = 0
    for name in order:
        for r in sources[name]:
            key = norm_key(r["text"])
            if not key or key in seen:
                dropped += 1
                continue
            seen.add(key)
            kept.append(r)
    print("deduplicated: %d kept, %d dropped" % (len(kept), dropped))

    # Ids: source + short hash of the normalised text (stable across rebuilds).
    for r in kept:
        r["id"] = "%s-%s" % (r["source"], hashlib.sha256(norm_key(r["text"]).encode())
                             .hexdigest()[:10])

    strata = {}
    for r in kept:
        strata.setdefault((r["class"], r["source"]), []).append(r)
    dev, test = [], []
    for key in sorted(strata):
        rows = sorted(strata[key], key=lambda r: hashlib.sha256(
            ("%d:%s" % (SEED, r["id"])).encode()).hexdigest())
        half = len(rows) // 2
        test.extend(rows[:half])
        dev.extend(rows[half:])
    fields = ["id", "text", "class", "expect", "country", "first_message", "source"]
    for name, rows in (("dev", dev), ("test", test)):
        rows.sort(key=lambda r: r["id"])
        with open(os.path.join(EVAL, name + ".jsonl"), "w", encoding="utf-8") as f:
            for r in rows:
                out = {k: r[k] for k in fields}
                if r.get("source_category"):  # only the sources that have one
                    out["source_category"] = r["source_category"]
                f.write(json.dumps(out, ensure_ascii=False) + "\n")
        counts = {}
        for r in rows:
            counts[r["class"]] = counts.get(r["class"], 0) + 1
        print("%s: %d rows %s" % (name, len(rows), json.dumps(counts, sort_keys=True)))


if __name__ == "__main__":
    main()
