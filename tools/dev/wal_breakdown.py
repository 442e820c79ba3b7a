#!/usr/bin/env python3
"""wal_breakdown: which b-trees an ingest wrote to the WAL, and how often (issue 12 item 5).

Reads a copy of a WAL file that was never checkpointed (an ingest built with
PRAGMA wal_autocheckpoint=0 that copies FILE-wal before closing), counts its frames by page
number and maps each page to its table or index through the dbstat table of the database
(after the close has checkpointed it). Prints, per b-tree: frames written, the distinct
pages among them, and the b-tree's size now.

    /usr/bin/python3 tools/dev/wal_breakdown.py MIRROR.db MIRROR.db.walcopy [CALLS]
"""
import collections
import sqlite3
import struct
import sys


def frames(wal_path):
    with open(wal_path, "rb") as f:
        hdr = f.read(32)
        magic, version, page_size = struct.unpack(">III", hdr[:12])
        if magic not in (0x377F0682, 0x377F0683):
            raise SystemExit("not a WAL file")
        while True:
            fh = f.read(24)
            if len(fh) < 24:
                return page_size
            pgno, commit = struct.unpack(">II", fh[:8])
            f.seek(page_size, 1)
            yield pgno


def main():
    db, wal = sys.argv[1], sys.argv[2]
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else None
    count = collections.Counter(frames(wal))
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    owner = {}
    size = collections.Counter()
    for name, pageno in con.execute("SELECT name, pageno FROM dbstat"):
        owner[pageno] = name
        size[name] += 1
    by = collections.Counter()
    distinct = collections.Counter()
    for pg, n in count.items():
        name = owner.get(pg, "(free or gone)")
        by[name] += n
        distinct[name] += 1
    total = sum(by.values())
    print(f"{'b-tree':<34} {'frames':>9} {'MB':>8} {'distinct':>9} {'pages now':>9}"
          + (f" {'KB/call':>8}" if calls else ""))
    for name, n in by.most_common():
        line = f"{name:<34} {n:>9} {n * 4096 / 1e6:>8.1f} {distinct[name]:>9} {size[name]:>9}"
        if calls:
            line += f" {n * 4.096 / calls:>8.1f}"
        print(line)
    print(f"{'total':<34} {total:>9} {total * 4096 / 1e6:>8.1f}"
          + (f" {'':>9} {'':>9} {total * 4.096 / calls:>8.1f}" if calls else ""))


if __name__ == "__main__":
    main()
