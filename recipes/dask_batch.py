#!/usr/bin/python3
"""dask_batch.py — `preflight batch` over a recipient list too large for one
machine, on a Dask distributed cluster (Debian: python3-distributed).

    dask_batch.py [--scheduler ADDR | --local-workers N] [--partitions P]
                  [--preflight PATH] --input LIST.csv --output OUT.jsonl
                  -- [preflight batch options: --config F --region CC --at T ...]

The output is what `preflight batch --input LIST.csv --format jsonl` writes
on one machine, line for line and byte for byte, because:

- Duplicates stay exact. A row is a duplicate when an earlier row has the
  same E.164 recipient, so every row of one recipient must reach the same
  `preflight batch` run, in input order. Rows are keyed by the recipient's
  E.164 form as `preflight number --region R` gives it (R: the batch's
  --region, else the config's default_region — the region batch itself
  uses for numbers written without '+'), partitioned by a stable hash of
  that key (BLAKE2b; Python's hash() differs from process to process), and
  sorted back into input order inside each partition. A recipient that does
  not parse is never a duplicate and may go anywhere.
- Every partition sees the same clock: without --at, one is fixed here (now,
  in UTC) and passed to every run.
- Rows travel as parsed CSV fields (undecodable bytes kept as they were)
  and are written back with the header, so a ragged row stays ragged.
- Each run numbers its own rows from 1; its "row" values, and the row an
  error row's message names, are mapped back to the input's before the
  lines are put back in input order.

Not exact: input that is not RFC 4180 CSV (a stray quote) is read by
Python's csv module here, more leniently than by preflight's libcsv, and
re-quoted before preflight sees it; the error rows for such records may
differ.

Exit status: the highest of the partitions' (1: a row blocked or in error;
2: a usage or input error).
"""
import argparse
import csv
import datetime
import hashlib
import io
import json
import re
import subprocess
import sys

ENC = dict(encoding="utf-8", errors="surrogateescape")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scheduler", help="address of a running Dask scheduler")
    p.add_argument("--local-workers", type=int, default=2,
                   help="without --scheduler: a LocalCluster of N worker processes")
    p.add_argument("--partitions", type=int, default=8, help="hash partitions (preflight runs)")
    p.add_argument("--preflight", default="preflight", help="the preflight program on the workers")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("batch_args", nargs=argparse.REMAINDER,
                   help="after '--': options for preflight batch")
    a = p.parse_args(argv)
    if a.batch_args and a.batch_args[0] == "--":
        a.batch_args = a.batch_args[1:]
    return a


def option(args, name):
    """The value of --name in a preflight argument list, or None."""
    for i, x in enumerate(args):
        if x == name and i + 1 < len(args):
            return args[i + 1]
        if x.startswith(name + "="):
            return x[len(name) + 1:]
    return None


def read_list(path, number_header):
    """The header and [(row, fields)], rows numbered from 1 as batch does."""
    with open(path, newline="", **ENC) as f:
        records = list(csv.reader(f))
    if not records:
        sys.exit(f"{path}: empty")
    header = records[0]
    clean = [h.lstrip("\ufeff") for h in header]
    if number_header not in clean:
        sys.exit(f"{path}: no column '{number_header}'")
    return header, clean.index(number_header), list(enumerate(records[1:], start=1))


def normalise(rows, preflight, region, col, npart):
    """Map partition: (row, fields) -> (partition, row, fields), the
    partition from the E.164 form that `preflight number` gives."""
    rows = list(rows)
    numbers = [f[col] if col < len(f) else "" for _, f in rows]
    # One `preflight number` per partition, one number a line; a value
    # with a line break or nothing in it cannot be a number.
    asked = [n for n in numbers if n.strip() and "\n" not in n and "\r" not in n]
    e164 = {}
    if asked:
        cmd = [preflight, "number", "--format", "json", "--input", "-"]
        if region:
            cmd += ["--region", region]
        out = subprocess.run(cmd, input="\n".join(asked) + "\n", capture_output=True,
                             check=False, **ENC)
        if out.returncode > 1:
            raise RuntimeError(f"preflight number: {out.stderr.strip()}")
        for n, r in zip(asked, json.loads(out.stdout)):
            if r.get("e164"):
                e164[n] = r["e164"]
    keyed = []
    for (row, fields), n in zip(rows, numbers):
        key = e164.get(n, "unparsed:" + n)
        h = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest()
        keyed.append((int.from_bytes(h, "big") % npart, row, fields))
    return keyed


ROW = re.compile(r',"row":(\d+)\}$')
ERROR_ROW = re.compile(r'^\{"verdict":"error","error":"row \d+')


def run_batch(groups, preflight, header, args):
    """Map partition: each (partition, [(p, row, fields)]) through one
    `preflight batch`; -> [(row, line, exit code)] with input row numbers."""
    out = []
    for _, items in groups:
        items = sorted(items, key=lambda t: t[1])
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for _, _, fields in items:
            w.writerow(fields)
        cmd = [preflight, "batch", "--input", "-", "--format", "jsonl", "--quiet",
               "--jobs", "1"] + args
        res = subprocess.run(cmd, input=buf.getvalue(), capture_output=True, check=False, **ENC)
        if res.returncode > 1:
            raise RuntimeError(f"preflight batch: exit {res.returncode}: {res.stderr.strip()}")
        lines = res.stdout.splitlines()
        if len(lines) != len(items):
            raise RuntimeError(f"preflight batch wrote {len(lines)} lines for {len(items)} rows")
        for line in lines:
            m = ROW.search(line)
            local = int(m.group(1))
            row = items[local - 1][1]
            line = ERROR_ROW.sub(f'{{"verdict":"error","error":"row {row}', line[:m.start()])
            out.append((row, line + f',"row":{row}}}', res.returncode))
    return out


def main(argv):
    a = parse_args(argv)
    import dask.bag as db
    from dask.distributed import Client, LocalCluster

    args = list(a.batch_args)
    if option(args, "--at") is None:
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        args += ["--at", now.isoformat()]
    region = option(args, "--region")
    config = option(args, "--config")
    if region is None and config:
        with open(config, encoding="utf-8") as f:
            region = json.load(f).get("default_region")
    number_header = "user_number"
    for i, x in enumerate(args):
        if x == "--column" and i + 1 < len(args) and args[i + 1].startswith("user_number="):
            number_header = args[i + 1].split("=", 1)[1]
    header, col, rows = read_list(a.input, number_header)

    cluster = None
    if a.scheduler:
        client = Client(a.scheduler)
    else:
        cluster = LocalCluster(n_workers=a.local_workers, threads_per_worker=1,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        P = a.partitions
        bag = db.from_sequence(rows, npartitions=max(1, min(P, len(rows))))
        keyed = bag.map_partitions(normalise, a.preflight, region, col, P)
        groups = keyed.groupby(lambda t: t[0], npartitions=P)
        done = groups.map_partitions(run_batch, a.preflight, header, args).compute()
    finally:
        client.close()
        if cluster:
            cluster.close()
    done.sort(key=lambda t: t[0])
    if len(done) != len(rows):
        sys.exit(f"{len(done)} output rows for {len(rows)} input rows")
    with open(a.output, "w", newline="", **ENC) as f:
        for _, line, _ in done:
            f.write(line + "\n")
    return max((rc for _, _, rc in done), default=0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
