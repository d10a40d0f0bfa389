#!/usr/bin/env python3
"""Turn a local copy of a corpus we may not redistribute into evaluation rows.

    python3 tests/eval/tools/import_local.py smishtank PATH/TO/analysisdataset.csv
    python3 tests/eval/tools/import_local.py imc25 PATH/TO/final_dataset_output.csv

writes tests/eval/local/dev-smishtank.jsonl and test-smishtank.jsonl (the
directory is git-ignored: the text never enters the repository). scripts/eval
reports every file there as a split of its own, next to the committed ones.

The SmishTank dataset (Timko & Rahman, "Smishing Dataset I: Phishing SMS
Dataset from Smishtank.com", CODASPY 2024) is published as open access but
without a licence that allows redistribution, so only this converter is
committed. Its CSV has one row per reported message: `messageid`, `MainText`
(the message body), `Message Categories`, sender fields and URL analysis.
Every row is smishing: class `spam`, US recipient, not a first message.

Rows are split by a seeded hash of their message id (seed 12, the same rule as
build_corpora.py), so a row always lands in the same half; texts that repeat
(normalised) or that already occur in the committed splits are dropped, and
the reserved-collection check of build_corpora.py runs first.
"""
import csv
import hashlib
import io
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_corpora as bc  # noqa: E402


def read_text(path):
    raw = open(path, "rb").read()
    for enc in ("utf-8", "cp1252", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise SystemExit("%s: cannot decode" % path)


def smishtank(path):
    rows = []
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    need = {"messageid", "MainText"}
    if not need <= set(reader.fieldnames or ()):
        raise SystemExit("%s: not the SmishTank CSV (needs columns %s)" % (path, sorted(need)))
    for n, r in enumerate(reader, 2):
        text = " ".join((r["MainText"] or "").split())
        if not text:
            continue
        row = bc.row(text, "spam", "smishtank")
        row["id"] = "smishtank-%s" % r["messageid"].strip()
        row["source_category"] = (r.get("Message Categories") or "").strip() or None
        row["expect"] = list(SMISHTANK_EXPECT.get(row["source_category"], []))
        rows.append(row)
    return rows


# The dataset's own category, where it names one of ours. Delivery and
# account alerts are credential or fee phishing; the rest (advertisements,
# wrong-number openers, jobs, settlements, other) name no single category and
# stay unlabelled: such spam only has to be flagged.
SMISHTANK_EXPECT = {
    "Account Alert": ["content.phishing"],
    "Delivery": ["content.phishing"],
    "Prize/Contest": ["content.prize"],
    "Loans/Credit": ["content.high-risk-financial"],
}

# Agarwal et al., "Fishing for Smishing" (IMC 2025), CC BY 4.0: its CSV
# (dataset/final_dataset_output.csv, over the snapshot size limit here) has
# `text`, `translation`, `language` and `scam_type`. English rows only, 2 000
# sampled with the seed; scam types that are credential or fee phishing
# expect content.phishing, the others only have to be flagged. The licence
# allows committing these rows as a source of their own.
IMC25_EXPECT = bc.IMC25_EXPECT  # the same mapping as the committed imc25 rows
IMC25_SAMPLE = 2000


def imc25(path):
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    cols = {c.strip().lower(): c for c in reader.fieldnames or ()}
    need = {"text", "language", "scam_type"}
    if not need <= set(cols):
        raise SystemExit("%s: not the IMC25 CSV (needs columns %s)" % (path, sorted(need)))
    rows = []
    for n, r in enumerate(reader, 2):
        if (r[cols["language"]] or "").strip().lower() != "english":
            continue
        text = " ".join((r[cols["text"]] or "").split())
        if not text:
            continue
        kind = (r[cols["scam_type"]] or "").strip().lower() or None
        row = bc.row(text, "spam", "imc25", expect=IMC25_EXPECT.get(kind, []))
        row["id"] = "imc25-line%d" % n
        row["source_category"] = kind
        rows.append(row)
    rnd = random.Random(bc.SEED)
    rnd.shuffle(rows)
    return rows[:IMC25_SAMPLE]


IMPORTERS = {"smishtank": smishtank, "imc25": imc25}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in IMPORTERS:
        raise SystemExit("usage: import_local.py {%s} FILE" % ",".join(sorted(IMPORTERS)))
    name, path = sys.argv[1], sys.argv[2]
    rows = IMPORTERS[name](path)
    fp = bc.load_fingerprints()
    hits = bc.uci_hits(rows, fp)
    print("check %s: %d messages, %d share reserved-collection 4-grams" % (name, len(rows), hits))
    if hits or len(rows) in (5574, 5572):
        raise SystemExit("the source shows the reserved collection's telltales: not imported")

    seen = set()
    for split in ("dev", "test"):
        with open(os.path.join(bc.EVAL, split + ".jsonl"), encoding="utf-8") as f:
            for line in f:
                seen.add(bc.norm_key(json.loads(line)["text"]))
    kept, dropped = [], 0
    for r in rows:
        key = bc.norm_key(r["text"])
        if not key or key in seen:
            dropped += 1
            continue
        seen.add(key)
        kept.append(r)
    kept.sort(key=lambda r: hashlib.sha256(("%d:%s" % (bc.SEED, r["id"])).encode()).hexdigest())
    half = len(kept) // 2
    out_dir = os.path.join(bc.EVAL, "local")
    os.makedirs(out_dir, exist_ok=True)
    fields = ["id", "text", "class", "expect", "country", "first_message", "source",
              "source_category"]
    for split, part in (("test", kept[:half]), ("dev", kept[half:])):
        part = sorted(part, key=lambda r: r["id"])
        out = os.path.join(out_dir, "%s-%s.jsonl" % (split, name))
        with open(out, "w", encoding="utf-8") as f:
            for r in part:
                f.write(json.dumps({k: r[k] for k in fields}, ensure_ascii=False) + "\n")
        print("%s: %d rows" % (out, len(part)))
    print("duplicates dropped: %d" % dropped)


if __name__ == "__main__":
    main()
