#!/usr/bin/env python3
"""make bench: callmine-ingest beside a reference client, and the query benchmarks.

Every figure is a median of several runs or a ratio against a baseline measured in the same
run, since machines here are shared and noisy. Nothing here asserts a limit; it prints
tables to read (and --json FILE for machines).

Ingest (issue 12): bin/callmine-ingest and tools/reference_ingest.py (Python's standard
library, the same tables) mirror the same fake tenant from the same prewarmed server,
unthrottled, alternately, 3 times each at 3,000 and 20,000 calls: wall time and the ratio
callmine / reference, client CPU per call, bytes the client wrote per call (write_bytes of
/proc/PID/io, read when it exits; rusage's ru_oublock agrees), peak RSS and the file's size.
At 100,000 calls callmine-ingest alone, once: the run that generated the cached mirror
(tools/bench_lib.py; ~20 min, server not prewarmed), or a fresh run with --big.
Paced: --rate 3 against a server limiting at 3/s with 50 ms latency, against the floor.
Query: tools/bench_query.py (grep vs ripgrep) and tools/bench_semantic.py (every FILTER,
analysis and the report on the cached 20,000- and 100,000-call mirrors).
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import bench_lib as bl
from bench_lib import INGEST, PY, ROOT, WINDOW, log, median

REFERENCE = [PY, str(ROOT / "tools" / "reference_ingest.py")]


def one_run(srv, client, db):
    bl.remove_db(db)
    srv.reset()
    cmd = ([INGEST, "--rate", "0"] if client == "callmine" else REFERENCE) + \
        ["--db", str(db), "--quiet", *WINDOW]
    m = bl.measure(cmd, env=bl.client_env(srv))
    if m["rc"] != 0:
        raise SystemExit(f"bench: {client} failed ({m['rc']}): {m['stderr'][-500:]}")
    m["db_bytes"] = bl.db_bytes(db)
    stats = srv.get("/_fake/stats")
    m["requests"] = stats["requests"]
    m["api_bytes"] = sum(r.get("bytes") or 0 for r in srv.get("/_fake/log"))
    return m


def summary(runs, calls):
    wb = [r["write_bytes"] if r["write_bytes"] is not None else r["oublock_bytes"] for r in runs]
    return dict(calls=calls, runs=len(runs),
                wall_s=round(median(r["wall_s"] for r in runs), 2),
                cpu_ms_per_call=round(1000 * median(r["cpu_s"] for r in runs) / calls, 3),
                write_kb_per_call=round(median(wb) / 1000 / calls, 1),
                rss_mib=round(median(r["rss_kib"] for r in runs) / 1024, 1),
                db_mb=round(median(r["db_bytes"] for r in runs) / 1e6, 1),
                requests=runs[0]["requests"], api_mb=round(runs[0]["api_bytes"] / 1e6, 1),
                write_bytes_proc=[r["write_bytes"] for r in runs],
                write_bytes_rusage=[r["oublock_bytes"] for r in runs],
                wall_s_each=[round(r["wall_s"], 2) for r in runs])


def ingest_bench(sizes, runs, out):
    rows = []
    with tempfile.TemporaryDirectory(prefix="callmine-bench-") as tmp:
        for n in sizes:
            log(f"bench: ingest at {n:,} calls: starting a prewarmed server ...")
            srv = bl.Server(n, prewarm=True)
            res = {"callmine": [], "reference": []}
            try:
                for i in range(runs):  # alternate, so drifts in load hit both alike
                    order = ("callmine", "reference") if i % 2 == 0 else ("reference", "callmine")
                    for client in order:
                        m = one_run(srv, client, pathlib.Path(tmp) / f"{client}.db")
                        res[client].append(m)
                        log(f"  {client:<9} run {i + 1}: {m['wall_s']:.1f} s wall, "
                            f"{m['cpu_s']:.1f} s CPU")
                    bl.remove_db(pathlib.Path(tmp) / "callmine.db")
                    bl.remove_db(pathlib.Path(tmp) / "reference.db")
            finally:
                srv.stop()
            c, r = summary(res["callmine"], n), summary(res["reference"], n)
            ratios = [a["wall_s"] / b["wall_s"] for a, b in zip(res["callmine"], res["reference"])]
            rows.append(dict(calls=n, callmine=c, reference=r,
                             wall_ratio=round(c["wall_s"] / r["wall_s"], 2),
                             wall_ratio_per_pair=[round(x, 2) for x in ratios],
                             cpu_ratio=round(c["cpu_ms_per_call"] / r["cpu_ms_per_call"], 2)))
    out["ingest"] = rows


def big_row(run_big, out):
    """callmine-ingest alone at 100,000 calls: the cached mirror's build, or a fresh run."""
    db, _ = bl.mirror_paths(100000)
    meta = bl.read_meta(100000)
    if run_big and db.exists() and meta.get("ingest"):
        with tempfile.TemporaryDirectory(prefix="callmine-bench-", dir=db.parent) as tmp:
            meta = bl.build_mirror(100000, dest=pathlib.Path(tmp) / "big.db")
        source = "a fresh run (--big)"
    elif run_big:
        bl.cached_mirror(100000, build=True)
        meta = bl.read_meta(100000)
        source = "this run, which built the cached mirror"
    elif meta.get("ingest"):
        source = f"the cached mirror's build, {meta.get('built', '?')}"
    else:
        out["ingest_100k"] = None
        return
    out["ingest_100k"] = dict(meta["ingest"], source=source,
                              ingest_version=meta.get("ingest_version"))


def print_ingest(out):
    rows = out.get("ingest") or []
    if rows:
        print(f"\ningest, unthrottled, callmine-ingest beside tools/reference_ingest.py "
              f"(median of {rows[0]['callmine']['runs']}, same prewarmed server, alternating)")
        print(f"{'calls':>7} {'client':<10} {'wall s':>7} {'x ref':>6} {'CPU ms/call':>11} "
              f"{'kB written/call':>15} {'RSS MiB':>8} {'file MB':>8} {'requests':>8}")
        for r in rows:
            for who in ("callmine", "reference"):
                x = r[who]
                ratio = f"{r['wall_ratio']:.2f}" if who == "callmine" else ""
                print(f"{r['calls']:>7} {who:<10} {x['wall_s']:>7.2f} {ratio:>6} "
                      f"{x['cpu_ms_per_call']:>11.3f} {x['write_kb_per_call']:>15.1f} "
                      f"{x['rss_mib']:>8.1f} {x['db_mb']:>8.1f} {x['requests']:>8}")
        print("  x ref: callmine's median wall time over the reference's (issue 12 asks <= 0.5); "
              "per pair: " + "; ".join(f"{r['calls']}: {r['wall_ratio_per_pair']}" for r in rows))
        print("  CPU per call, callmine over the reference: " +
              "; ".join(f"{r['calls']}: {r['cpu_ratio']}" for r in rows))
    big = out.get("ingest_100k")
    if big:
        print(f"{big['calls']:>7} {'callmine':<10} {big['wall_s']:>7.1f} {'':>6} "
              f"{big['cpu_ms_per_call']:>11.3f} {big['write_kb_per_call']:>15.1f} "
              f"{big['rss_mib']:>8.1f} {big.get('db_bytes', 0) / 1e6:>8.1f}   (once: "
              f"{big['source']}, {big.get('ingest_version') or 'version unknown'}; "
              "server not prewarmed)")
    elif rows:
        print("    (100,000 calls: no cached mirror yet; `make bench BIG=1` builds it, ~20 min)")


def paced_bench(calls, out):
    with tempfile.TemporaryDirectory(prefix="callmine-bench-") as tmp:
        srv = bl.Server(calls, rate=3, latency_ms=50, prewarm=False)
        try:
            m = one_run(srv, "callmine", pathlib.Path(tmp) / "paced.db")
            http_429 = srv.get("/_fake/stats")["429"]
        finally:
            srv.stop()
    floor = m["requests"] / 3.0
    out["paced"] = dict(calls=calls, requests=m["requests"], wall_s=round(m["wall_s"], 2),
                        floor_s=round(floor, 2), over_floor=round(m["wall_s"] / floor - 1, 3),
                        http_429=http_429)
    p = out["paced"]
    print(f"\npaced: --rate 3 against a server limiting at 3/s with 50 ms latency, {calls} calls: "
          f"{p['requests']} requests, wall {p['wall_s']} s, floor {p['floor_s']} s "
          f"(+{100 * p['over_floor']:.1f}%), 429s received: {p['http_429']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="300 and 1,000 calls, one run each")
    ap.add_argument("--big", action="store_true",
                    help="also run callmine-ingest at 100,000 calls (~20 min; builds the "
                         "cached mirror when it is missing) and the 100,000-call query parts")
    ap.add_argument("--sizes", help="comma-separated ingest sizes (default 3000,20000)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--only", choices=["ingest", "paced", "query"], action="append")
    a = ap.parse_args()
    out = {}
    only = set(a.only or ["ingest", "paced", "query"])
    sizes = [int(s) for s in a.sizes.split(",")] if a.sizes else \
        ([300, 1000] if a.quick else [3000, 20000])
    if "ingest" in only:
        ingest_bench(sizes, 1 if a.quick else a.runs, out)
        if not a.quick:
            big_row(a.big, out)
        print_ingest(out)
    if "paced" in only:
        paced_bench(300 if a.quick else 1000, out)
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(out, indent=2))
    sys.stdout.flush()
    if "query" in only:
        subprocess.run([PY, str(ROOT / "tools" / "bench_query.py")] +
                       (["--quick"] if a.quick else []), check=True)
        subprocess.run([PY, str(ROOT / "tools" / "bench_semantic.py")] +
                       (["--quick"] if a.quick else []) + (["--big"] if a.big else []),
                       check=True)


if __name__ == "__main__":
    main()
