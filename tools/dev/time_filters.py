#!/usr/bin/env python3
"""time_filters: wall and CPU time of `callmine-query calls` for every FILTER shape, in both
deal timings, on a mirror (best of N runs; rows printed to /dev/null, the count line kept).

    python3 tools/dev/time_filters.py MIRROR.db [--bin bin] [--runs 3]
"""
import argparse
import os
import resource
import sqlite3
import subprocess
import time

def shapes(db):
    """The shapes, with an owner and a rep's first name that the mirror holds."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    owner = con.execute("SELECT owner FROM deals WHERE timing = 'Now' AND owner IS NOT NULL "
                        "GROUP BY owner ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    first = con.execute("SELECT u.first_name FROM call_metrics m JOIN users u "
                        "ON u.id = m.rep_user_id GROUP BY u.id ORDER BY count(*) DESC "
                        "LIMIT 1").fetchone()[0]
    con.close()
    return [(name, [owner if a == "OWNER" else first if a == "FIRST" else a for a in args])
            for name, args in SHAPES]


SHAPES = [
    ("none", []),
    ("stage", ["--stage", "closedlost,Closed Lost"]),
    ("amount", ["--min-amount", "50k"]),
    ("stage+amount", ["--stage", "closedlost", "--min-amount", "50000"]),
    ("owner", ["--owner", "OWNER"]),
    ("outcome", ["--outcome", "lost"]),
    ("rep", ["--rep", "FIRST"]),
    ("participant", ["--participant", "FIRST"]),
    ("company size", ["--company-size", "1000+"]),
    ("dates", ["--from", "2024-03-01", "--to", "2024-04-01"]),
    ("combined", ["--stage", "closedlost,closedwon", "--min-amount", "10k", "--rep", "a",
                  "--outcome", "won,lost", "--from", "2024-02-01", "--company-size", "50+"]),
]


def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode:  # an option this binary does not know
        return wall, cpu, after.ru_maxrss, "n/a"
    return wall, cpu, after.ru_maxrss, p.stderr.split(",")[0].replace(" calls", "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "..", "bin"))
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    q = os.path.join(a.bin, "callmine-query")
    print(f"{'shape':<14} {'timing':<6} {'calls':>7} {'wall s':>7} {'cpu s':>6}")
    for name, args in shapes(a.db):
        for timing in ("now", "call"):
            cmd = [q, "--db", a.db, "--format", "jsonl", "calls", *args, "--deal-timing", timing]
            best = min((run(cmd) for _ in range(a.runs)), key=lambda r: r[0])
            if best[3] == "n/a":
                print(f"{name:<14} {timing:<6} {'n/a':>7}")
            else:
                print(f"{name:<14} {timing:<6} {best[3]:>7} {best[0]:7.3f} {best[1]:6.3f}")


if __name__ == "__main__":
    main()
