"""gen_list.py N SEED — a recipient list for the distributed batch test on
stdout: N rows, many recipients several times and written in different
ways (E.164, spaced, national), GB and AE numbers, unparseable and empty
numbers, messages with commas, quotes and line breaks, first_message and
send_at values good and bad."""
import csv
import random
import sys

n, seed = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
us = [f"415555{rnd.randrange(10000):04d}" for _ in range(n // 8)]
gb = [f"7400{rnd.randrange(1000000):06d}" for _ in range(n // 20)]


def number():
    k = rnd.random()
    if k < 0.70:
        d = rnd.choice(us)
        return rnd.choice([f"+1{d}", f"+1 {d[:3]} {d[3:6]} {d[6:]}", f"({d[:3]}) {d[3:6]}-{d[6:]}", d])
    if k < 0.85:
        d = rnd.choice(gb)
        return rnd.choice([f"+44{d}", f"+44 {d[:4]} {d[4:]}"])
    if k < 0.90:
        return f"+9715{rnd.randrange(10000000):08d}"
    return rnd.choice(["", "not a number", "12", "+1 555 0100", "  "])


messages = [
    "Acme Dental: your cleaning is tomorrow at 10:30.",
    "Acme Dental: 50% off whitening! bit.ly/acme-smile",
    'Acme: say "yes", reply YES, or call us.',
    "Acme Dental: your results are ready.\nReply STOP to opt out.",
    "WIN big at our casino tonight",
    "Acme: café opens at 9 ☕",
]
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["user_number", "message", "first_message", "send_at"])
for _ in range(n):
    w.writerow([number(), rnd.choice(messages), rnd.choice(["", "true", "false", "false", "maybe"]),
                rnd.choice(["", "", "", "2026-11-27T02:00:00Z", "2026-11-26T15:00:00-05:00", "soon"])])
