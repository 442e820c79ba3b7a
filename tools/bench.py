#!/usr/bin/env python3
"""make bench: callmine's throughput, memory and size figures, measured in one run.

Every figure is a median of several runs or a ratio against a baseline measured in the
same run, since machines here are shared and noisy. Nothing here asserts a limit; it
prints a table to read (and --json for machines).

Ingest:  calls mirrored per second unthrottled (wall and per client CPU second), MB of API
         JSON processed per second, peak RSS at 2,000 and 20,000 calls (must not grow with
         the mirror), requests per 1,000 calls, wall time at --rate 3 with 50 ms latency
         against the floor (requests / 3 per second), database bytes per call and as a
         share of the API JSON.
Query:   tools/bench_query.py (grep vs ripgrep, scan MB/s against inflate + PCRE2's
         ceiling, RSS) and tools/bench_analyses.py (every analysis and the report).
"""
import argparse
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(os.environ.get("CALLMINE_BIN", ROOT / "bin"))
PY = sys.executable
WINDOW = ["--from", "2023-01-01", "--to", "2026-01-01"]


class Server:
    def __init__(self, calls, rate=0, latency_ms=0, seed=7, prewarm=True):
        args = [PY, str(ROOT / "tools" / "fakegong.py"), "--port", "0", "--calls", str(calls),
                "--seed", str(seed), "--start", "2024-01-01", "--days", "365",
                "--rate", str(rate), "--latency-ms", str(latency_ms)]
        if prewarm:  # serve from memory, so the client is what is measured
            args.append("--prewarm")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        self.url = self.proc.stdout.readline().split()[1]

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=60) as r:
            return json.loads(r.read())

    def reset(self):
        req = urllib.request.Request(self.url + "/_fake/reset", data=b"{}", method="POST")
        urllib.request.urlopen(req, timeout=60).read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


def env_for(srv):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONG_", "CALLMINE_"))}
    env.update(GONG_ACCESS_KEY="demo-key", GONG_ACCESS_KEY_SECRET="demo-secret",
               GONG_BASE_URL=srv.url)
    return env


def run_measured(cmd, env):
    """Run cmd; return (wall s, cpu s, peak RSS KiB, CompletedProcess-like)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    err_chunks = []
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed ({p.returncode}): {err[-500:]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, err


def ingest_once(srv, tmp, rate=0):
    db = pathlib.Path(tmp) / f"bench-{time.monotonic_ns()}.db"
    srv.reset()
    wall, cpu, rss, _ = run_measured(
        [str(BIN / "callmine-ingest"), "--db", str(db), "--rate", str(rate), "--quiet", *WINDOW],
        env_for(srv))
    stats = srv.get("/_fake/stats")
    log = srv.get("/_fake/log")
    return dict(db=db, wall=wall, cpu=cpu, rss_kib=rss, requests=stats["requests"],
                api_bytes=sum(r.get("bytes") or 0 for r in log), http_429=stats["429"])


def count_calls(db):
    import sqlite3
    con = sqlite3.connect(db)
    n = con.execute("select count(*) from calls").fetchone()[0]
    con.close()
    return n


def ingest_bench(sizes, runs, out):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            srv = Server(n)
            try:
                res = [ingest_once(srv, tmp) for _ in range(runs)]
            finally:
                srv.stop()
            calls = count_calls(res[0]["db"])
            size = os.path.getsize(res[0]["db"])
            wall = statistics.median(r["wall"] for r in res)
            cpu = statistics.median(r["cpu"] for r in res)
            rss = statistics.median(r["rss_kib"] for r in res)
            api = res[0]["api_bytes"]
            rows.append(dict(calls=calls, wall_s=round(wall, 2), cpu_s=round(cpu, 2),
                             calls_per_s=round(calls / wall), calls_per_cpu_s=round(calls / cpu),
                             api_mb_per_cpu_s=round(api / 1e6 / cpu, 1),
                             api_mb=round(api / 1e6, 1), peak_rss_mib=round(rss / 1024, 1),
                             requests_per_1000=round(res[0]["requests"] * 1000 / calls, 1),
                             db_bytes_per_call=round(size / calls),
                             db_share_of_api=round(size / api, 3)))
            for r in res:
                for suffix in ("", "-wal", "-shm"):
                    pathlib.Path(str(r["db"]) + suffix).unlink(missing_ok=True)
    out["ingest"] = rows
    print("\ningest, unthrottled (median of %d runs; the fake server runs on the other core)" % runs)
    print(f"{'calls':>7} {'wall s':>7} {'cpu s':>6} {'calls/s':>8} {'calls/cpu s':>11} "
          f"{'API MB':>7} {'MB/cpu s':>8} {'RSS MiB':>8} {'req/1k':>6} {'B/call':>7} {'db/API':>6}")
    for r in rows:
        print(f"{r['calls']:>7} {r['wall_s']:>7} {r['cpu_s']:>6} {r['calls_per_s']:>8} "
              f"{r['calls_per_cpu_s']:>11} {r['api_mb']:>7} {r['api_mb_per_cpu_s']:>8} "
              f"{r['peak_rss_mib']:>8} {r['requests_per_1000']:>6} {r['db_bytes_per_call']:>7} "
              f"{r['db_share_of_api']:>6}")


def paced_bench(calls, out):
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server(calls, rate=3, latency_ms=50)
        try:
            r = ingest_once(srv, tmp, rate=3)
        finally:
            srv.stop()
    floor = r["requests"] / 3.0
    out["paced"] = dict(calls=calls, requests=r["requests"], wall_s=round(r["wall"], 2),
                        floor_s=round(floor, 2), over_floor=round(r["wall"] / floor - 1, 3),
                        http_429=r["http_429"])
    p = out["paced"]
    print(f"\npaced: --rate 3 against a server limiting at 3/s with 50 ms latency, {calls} calls")
    print(f"  {p['requests']} requests, wall {p['wall_s']} s, floor {p['floor_s']} s "
          f"(+{100 * p['over_floor']:.1f}%), 429s received: {p['http_429']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, one run each")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--only", choices=["ingest", "paced", "query"], action="append")
    a = ap.parse_args()
    out = {}
    only = set(a.only or ["ingest", "paced", "query"])
    if "ingest" in only:
        ingest_bench([2000] if a.quick else [2000, 20000], 1 if a.quick else 3, out)
    if "paced" in only:
        paced_bench(300 if a.quick else 1000, out)
    if "query" in only:  # grep vs ripgrep, then every analysis and the report
        for script in ("bench_query.py", "bench_analyses.py"):
            qb = ROOT / "tools" / script
            if qb.exists():
                subprocess.run([PY, str(qb)] + (["--quick"] if a.quick else []), check=True)
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
