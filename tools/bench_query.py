#!/usr/bin/env python3
"""Query bench: callmine-query grep against ripgrep over the same transcripts, in one run.

Uses the cached mirrors of 20,000 and 2,000 fake calls (tools/bench_lib.py: seed 7, 2024,
built once under $CALLMINE_BENCH_CACHE), and a plain-text export of the big one's
transcripts (one sentence per line) for ripgrep. Then, for a selective
literal, a rarer multi-word literal and the non-selective alternation
`\\b(price|pricing|discount)\\b` (-i), it prints the median of 5 runs of
`callmine-query grep --format jsonl` (one JSON object per hit), of the same against a copy
of the mirror without its n-gram index (transcript_grams emptied), and of `rg -o` (one
line per match) over the export, with the ratio grep/rg (and rg -P, PCRE2 like grep, for
the alternation); grep's scan throughput in MB of stored transcript text per second
against this machine's ceiling for inflate + PCRE2 JIT, measured in the same run by
tools/ceiling.c (compiled on the fly) with 1 and 2 threads; the index's size and fill; and
grep's peak RSS at 2,000 and 20,000 calls. Installs nothing: without rg the ratios are
skipped.

  --quick   the 2,000-call mirror only (RSS then has nothing to compare with)
  --runs N  runs per median (default 5)
"""
import argparse
import json
import os
import pathlib
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import zlib

import bench_lib

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(os.environ.get("CALLMINE_BIN", ROOT / "bin"))
CACHE = bench_lib.cache_dir()
PY = sys.executable
SEED, START, DAYS = 7, "2024-01-01", 365
WINDOW = ["--from", "2023-01-01", "--to", "2026-01-01"]
# (label, pattern, grep flags, rg flags): a company name in ~2% of calls, a company's full
# name in ~0.1%, and a pattern most calls match.
QUERIES = [
    ("selective literal", "Northwind", [], []),
    ("rare multi-word literal", "Larkspur Robotics", [], []),
    ("non-selective alternation", r"\b(price|pricing|discount)\b", ["-i"], ["-i"]),
]
ALTERNATION = QUERIES[2]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def build_mirror(calls):
    """The cached mirror of `calls` fake calls (tools/bench_lib.py: built once, seed 7)."""
    db, _ = bench_lib.cached_mirror(calls, build=True)
    return db


def export_text(db):
    """One sentence per line (escaped newlines become spaces), for ripgrep."""
    txt = db.with_suffix(".txt")
    if txt.exists() and txt.stat().st_mtime >= db.stat().st_mtime:
        return txt
    log(f"exporting the transcripts of {db.name} as text")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    part = txt.with_suffix(".part")
    with open(part, "wb") as out:
        for body, size in con.execute("SELECT body, size FROM transcripts ORDER BY call_id"):
            text = zlib.decompress(body) if len(body) != size else body
            for line in text.split(b"\n"):
                f = line.split(b"\t", 3)
                if len(f) == 4:
                    out.write(unescape(f[3]) + b"\n")
    con.close()
    part.rename(txt)
    return txt


def unescape(s):
    if b"\\" not in s:
        return s
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i:i + 1]
        if c == b"\\" and i + 1 < len(s):
            d = s[i + 1:i + 2]
            out += b" " if d in (b"n", b"r") else d
            i += 2
        else:
            out += c
            i += 1
    return bytes(out)


def without_index(db):
    """A copy of the mirror whose transcript_grams is empty: grep then inflates every call."""
    copy = db.with_name(db.stem + "-noindex.db")
    if not copy.exists() or copy.stat().st_mtime < db.stat().st_mtime:  # upgraded since
        part = copy.with_suffix(".part")
        shutil.copyfile(db, part)
        con = sqlite3.connect(part)
        con.execute("DELETE FROM transcript_grams")
        con.commit()
        con.close()
        part.rename(copy)
    return copy


def timed(cmd):
    """Run cmd reading its stdout; (wall s, cpu s, peak RSS KiB, stdout lines). The RSS
    includes this process's own at the fork (exec folds the old image's high-water mark into
    the child's): use peak_rss for the command's own."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    n = 0
    while True:
        chunk = p.stdout.read(1 << 16)
        if not chunk:
            break
        n += chunk.count(b"\n")
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench_query: {' '.join(map(str, cmd))} failed: {err[-300:]!r}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, n


def median_run(cmd, runs):
    res = [timed(cmd) for _ in range(runs)]
    return dict(wall=statistics.median(r[0] for r in res), cpu=statistics.median(r[1] for r in res),
                rss_kib=max(r[2] for r in res), lines=res[0][3])


def grep_cmd(db, pattern, flags):
    return [str(BIN / "callmine-query"), "--db", str(db), "grep", "--format", "jsonl", *flags,
            "-e", pattern]


def ceiling_exe():
    """tools/ceiling.c, compiled when missing or older than its source."""
    exe = CACHE / "ceiling"
    src = ROOT / "tools" / "ceiling.c"
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        cflags = subprocess.run(["pkg-config", "--cflags", "--libs", "libdeflate", "libpcre2-8",
                                 "sqlite3"], capture_output=True, text=True, check=True).stdout
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-std=c11", "-D_DEFAULT_SOURCE",
                        str(src), "-o", str(exe), *cflags.split(), "-lpthread"], check=True)
    return exe


def ceiling(db, pattern, flags):
    out = subprocess.run([str(ceiling_exe()), str(db), pattern, *flags], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


def peak_rss(cmd):
    """Peak RSS (KiB) of cmd, run by ceiling --rss: see timed for why not from here."""
    return int(subprocess.run([str(ceiling_exe()), "--rss", *cmd], capture_output=True,
                              text=True, check=True).stdout)


def index_stats(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n, total, ones = 0, 0, 0
    for (bits,) in con.execute("SELECT bits FROM transcript_grams"):
        n += 1
        total += len(bits)
        ones += bin(int.from_bytes(bits, "little")).count("1")
    try:
        pages = con.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'transcript_grams'"
                            ).fetchone()[0]
    except sqlite3.Error:
        pages = None
    calls, text = con.execute("SELECT count(*), sum(size) FROM transcripts").fetchone()
    con.close()
    return dict(rows=n, bytes_per_call=total / max(n, 1),
                disk_per_call=(pages / max(n, 1)) if pages else None,
                fill=ones / max(total * 8, 1), transcripts=calls, text_bytes=text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="2,000 calls only")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    t_start = time.monotonic()
    for b in ("callmine-query", "callmine-ingest"):
        if not (BIN / b).exists():
            raise SystemExit(f"bench_query: {BIN / b} missing: run make first")
    rg = shutil.which("rg")
    if not rg:
        print("ripgrep missing: apt-get install ripgrep (the ratios against it are skipped)")
    sizes = [2000] if a.quick else [2000, 20000]
    dbs = {n: build_mirror(n) for n in sizes}
    big = dbs[sizes[-1]]
    label, pattern, gflags, rflags = ALTERNATION
    rss = {n: max(peak_rss(grep_cmd(db, pattern, gflags)) for _ in range(3))
           for n, db in dbs.items()}
    st = index_stats(big)
    txt = export_text(big) if rg else None
    noidx = without_index(big)
    mb = st["text_bytes"] / 1e6
    print(f"\ngrep over {st['transcripts']} transcripts: {mb:.0f} MB of stored transcript text "
          f"(inflated){f', {txt.stat().st_size / 1e6:.0f} MB of sentences for rg' if txt else ''}")
    disk = f" ({st['disk_per_call']:.0f} on disk)" if st["disk_per_call"] else ""
    print(f"n-gram index: {st['rows']} rows, {st['bytes_per_call']:.0f} bytes of bits a call{disk}, "
          f"{100 * st['fill']:.1f}% of bits set")
    print(f"median of {a.runs} runs, wall s (cpu s); grep --format jsonl (2 threads), the same "
          f"without the index, rg -o over the text (one thread for one file)")
    print(f"{'query':<28} {'grep':>13} {'no index':>13} {'rg -o':>13} {'grep/rg':>8} {'hits':>7}")
    results = {}
    for label_q, pat, gfl, rfl in QUERIES:
        g = median_run(grep_cmd(big, pat, gfl), a.runs)
        gn = median_run(grep_cmd(noidx, pat, gfl), a.runs)
        r = median_run([rg, "-o", "--no-filename", *rfl, "-e", pat, str(txt)], a.runs) \
            if rg else None
        results[label_q] = (g, gn, r)
        ratio = f"{g['wall'] / r['wall']:.2f}" if r else "-"
        rgs = f"{r['wall']:.3f} ({r['cpu']:.2f})" if r else "-"
        print(f"{label_q:<28} {g['wall']:.3f} ({g['cpu']:.2f}) {gn['wall']:.3f} ({gn['cpu']:.2f}) "
              f"{rgs:>13} {ratio:>8} {g['lines']:>7}")
        print(f"  {' '.join(gfl + [repr(pat)])}")
    g, gn, _ = results[label]
    if rg:  # the same engine and semantics as grep's (PCRE2, Unicode \b), for reference
        rp = median_run([rg, "-o", "--no-filename", "-P", *rflags, "-e", pattern, str(txt)],
                        a.runs)
        print(f"{'  ... rg -P (PCRE2)':<28} {'':>13} {'':>13} {rp['wall']:.3f} ({rp['cpu']:.2f}) "
              f"{g['wall'] / rp['wall']:>8.2f}")

    c = ceiling(big, pattern, gflags)
    two = next(r for r in c["runs"] if r["threads"] == 2)
    top = c["bytes"] / 1e6 / two["scan_s"]
    print(f"\nscan throughput, {label} (MB of stored transcript text per second):")
    for run in c["runs"]:
        print(f"  ceiling, {run['threads']} thread{'s' if run['threads'] > 1 else ''}: inflate "
              f"{c['bytes'] / 1e6 / run['inflate_s']:.0f}, inflate + PCRE2 JIT "
              f"{c['bytes'] / 1e6 / run['scan_s']:.0f}")
    print(f"  grep: {mb / g['wall']:.0f} ({100 * mb / g['wall'] / top:.0f}% of the 2-thread "
          f"ceiling); without the index: {mb / gn['wall']:.0f} ({100 * mb / gn['wall'] / top:.0f}%)")
    print(f"  grep per CPU second: {mb / g['cpu']:.0f} (ceiling, 1 thread: "
          f"{c['bytes'] / 1e6 / c['runs'][0]['scan_s']:.0f})")

    print(f"\npeak RSS of grep --format jsonl {' '.join(gflags)} {pattern!r} (KiB, wait4 "
          f"ru_maxrss):")
    for n in sizes:
        print(f"  {n:>6} calls: {rss[n]:>8}")
    print(f"\n(bench_query: {time.monotonic() - t_start:.0f} s)")


if __name__ == "__main__":
    main()
