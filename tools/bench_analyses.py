#!/usr/bin/env python3
"""bench_analyses: seconds and peak RSS per analysis and for `report` on a 20,000-call mirror.

Builds the mirror once and caches it under /tmp/callmine-bench (tools/fakegong.py --calls N
--rate 0 --prewarm, seed 1, 365 days from 2024-01-01, then bin/callmine-ingest --rate 0; a
few minutes), or reuses the cached file built from the same sql/ migrations. Then runs
every analysis of `callmine-query analyze --list` (mentions and won-vs-lost with the pattern
Clarivox) and `report --mention Clarivox`, each REPEAT times, and prints the median, the
fastest and the slowest wall time, the median CPU time (user + system) and peak resident
set (the child's ru_maxrss), and the rows each printed (the page's size for the report).
Nothing is asserted: it prints a table to read (--json for machines).

    python3 tools/bench_analyses.py [--calls 20000] [--repeat 3] [--db FILE] [--json]
"""
import argparse
import hashlib
import json
import os
import pathlib
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(os.environ.get("CALLMINE_BIN", ROOT / "bin"))
QUERY, INGEST = str(BIN / "callmine-query"), str(BIN / "callmine-ingest")
CACHE = pathlib.Path(os.environ.get("CALLMINE_BENCH_CACHE", "/tmp/callmine-bench"))
SEED, START, DAYS = 1, "2024-01-01", 365
PATTERN = "Clarivox"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def schema_version():
    """The schema version the binaries write (DB_SCHEMA_VERSION in schema/db.h)."""
    m = re.search(r"#define DB_SCHEMA_VERSION (\d+)", (ROOT / "schema" / "db.h").read_text())
    return int(m.group(1)) if m else None


def schema_digest():
    """A digest of the migrations, so a changed schema gets a fresh mirror."""
    h = hashlib.sha256()
    for f in sorted((ROOT / "sql").glob("[0-9][0-9][0-9]-*.sql")):
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


def cached_ok(db, calls):
    if not db.exists():
        return False
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        n = con.execute("SELECT count(*) FROM calls").fetchone()[0]
        v = con.execute("PRAGMA user_version").fetchone()[0]
        con.close()
    except sqlite3.Error:
        return False
    want = schema_version()
    return n == calls and (want is None or v == want)


def build(db, calls):
    """Serve the fake tenant and mirror it into db (through a temporary file)."""
    log(f"building a {calls}-call mirror in {db} (once; cached for later runs) ...")
    t0 = time.monotonic()
    srv = subprocess.Popen([sys.executable, str(ROOT / "tools" / "fakegong.py"), "--port", "0",
                            "--calls", str(calls), "--seed", str(SEED), "--start", START,
                            "--days", str(DAYS), "--rate", "0", "--prewarm"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = srv.stdout.readline().split()[1]
        tmp = db.with_suffix(".tmp")
        for p in (tmp, pathlib.Path(str(tmp) + "-wal"), pathlib.Path(str(tmp) + "-shm")):
            if p.exists():
                p.unlink()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GONG_", "CALLMINE_"))}
        env.update(GONG_ACCESS_KEY="demo-key", GONG_ACCESS_KEY_SECRET="demo-secret",
                   GONG_BASE_URL=url)
        subprocess.run([INGEST, "--db", str(tmp), "--rate", "0", "--from", "2023-01-01",
                        "--quiet"], env=env, check=True)
        with sqlite3.connect(tmp) as con:  # fold the WAL in, so one file is the mirror
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("PRAGMA journal_mode=DELETE")
        tmp.rename(db)
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(30)
    log(f"built in {time.monotonic() - t0:.0f} s")


def timed(args):
    """Run args; (wall seconds, stdout, CPU seconds, peak RSS in MB) of that one child."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALLMINE_", "XDG_"))}
    env["HOME"] = "/nonexistent"  # no user analyses or stages file
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(args, stdout=out, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: exit {p.returncode}: {stderr.strip()}")
    return dt, stdout, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", help="use this mirror instead of the cached one")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", help="comma-separated analyses (and 'report') to run")
    ap.add_argument("--quick", action="store_true", help="2,000 calls, one run each")
    a = ap.parse_args(argv)
    if a.quick:
        a.calls, a.repeat = 2000, 1
    if a.db:
        db = pathlib.Path(a.db)
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        db = CACHE / f"analyses-{a.calls}-s{SEED}-d{DAYS}-{schema_digest()}.db"
        if not cached_ok(db, a.calls):
            build(db, a.calls)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    calls, = con.execute("SELECT count(*) FROM calls").fetchone()
    tr, sent, mb = con.execute("SELECT count(*), total(sentences), total(size) / 1e6 "
                               "FROM transcripts").fetchone()
    con.close()
    names = [ln.split("\t")[0] for ln in
             timed([QUERY, "--db", str(db), "analyze", "--list"])[1].splitlines()]
    if a.only:
        names = [n for n in names if n in a.only.split(",")]
    jobs = []
    for n in names:
        extra = [PATTERN] if n in ("mentions", "won-vs-lost") else []
        jobs.append((f"analyze {n}" + (f" {PATTERN}" if extra else ""),
                     [QUERY, "--db", str(db), "--format", "tsv", "analyze", n, *extra]))
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "report.html")
        if not a.only or "report" in a.only.split(","):
            jobs.append((f"report --mention {PATTERN}",
                         [QUERY, "--db", str(db), "report", "--mention", PATTERN, "-o", out]))
        results = []
        for label, args in jobs:
            times, cpus, rsss, rows = [], [], [], 0
            for _ in range(a.repeat):
                dt, stdout, cpu, rss = timed(args)
                times.append(dt)
                cpus.append(cpu)
                rsss.append(rss)
                rows = max(0, len(stdout.splitlines()) - 1)
            if label.startswith("report"):
                rows = os.path.getsize(out)
            results.append({"what": label, "median_s": round(statistics.median(times), 2),
                            "min_s": round(min(times), 2), "max_s": round(max(times), 2),
                            "cpu_s": round(statistics.median(cpus), 2),
                            "rss_mb": round(statistics.median(rsss), 1), "rows": rows})
            log(f"  {label}: {results[-1]['median_s']} s, {results[-1]['rss_mb']} MB")
    head = {"mirror": str(db), "calls": calls, "transcripts": tr, "sentences": int(sent),
            "transcript_mb": round(mb, 1), "repeat": a.repeat, "results": results}
    if a.json:
        print(json.dumps(head, indent=2))
        return 0
    print(f"analyses on {calls} calls ({tr} transcripts, {int(sent):,} sentences, "
          f"{mb:.0f} MB of transcript text); median of {a.repeat} runs, wall seconds")
    print(f"{'what':<34} {'median':>7} {'min':>6} {'max':>6} {'cpu':>6} {'rss MB':>7}  rows")
    for r in results:
        rows = f"{r['rows'] / 1e6:.2f} MB" if r["what"].startswith("report") else r["rows"]
        print(f"{r['what']:<34} {r['median_s']:>7.2f} {r['min_s']:>6.2f} {r['max_s']:>6.2f} "
              f"{r['cpu_s']:>6.2f} {r['rss_mb']:>7.1f}  {rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
