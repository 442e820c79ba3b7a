#!/usr/bin/env python3
"""ingest_cost: what one unthrottled first ingest costs, per call (issue 12 item 5).

Starts tools/fakegong.py --prewarm --rate 0 with N calls, runs callmine-ingest into a fresh
file RUNS times, and prints the median of: wall time, client CPU per call (user + system,
from rusage), bytes written per call (write_bytes of /proc/PID/io, read after the process
has exited but before it is reaped, so nothing it did is missed), write amplification
(bytes written / the file's size), and peak RSS.

    /usr/bin/python3 tools/dev/ingest_cost.py 3000 20000 --runs 3 [--bin DIR] [--keep DIR]
        [--trace FILE] [--init-sql "INSERT INTO search_sentences(search_sentences, rank) VALUES ('automerge', 8)"]
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

ROOT = pathlib.Path(__file__).resolve().parents[2]
PY = "/usr/bin/python3"
WINDOW = ["--from", "2023-01-01", "--to", "2026-01-01"]


def start_server(calls):
    args = [PY, str(ROOT / "tools" / "fakegong.py"), "--port", "0", "--calls", str(calls),
            "--seed", "7", "--start", "2024-01-01", "--days", "365", "--rate", "0", "--prewarm"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return p, p.stdout.readline().split()[1]


def post(url):
    req = urllib.request.Request(url, data=b"{}", method="POST")
    urllib.request.urlopen(req, timeout=60).read()


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


def read_io(pid):
    out = {}
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            k, v = line.split(":")
            out[k.strip()] = int(v)
    return out


def read_cpu(pid):
    """user + system seconds of a running process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sample(pid, url, t0, trace):
    """One line of the trace: seconds, requests served, MB written, CPU s (None once gone)."""
    try:
        io, cpu = read_io(pid), read_cpu(pid)
        req = get(url + "/_fake/stats")["requests"]
    except (OSError, ValueError):
        return
    trace.write(f"{time.monotonic() - t0:.1f}\t{req}\t{io['write_bytes'] / 1e6:.1f}\t{cpu:.2f}\n")
    trace.flush()


def run_once(binary, url, db, extra, init_sql=None, trace=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONG_", "CALLMINE_"))}
    env.update(GONG_ACCESS_KEY="demo-key", GONG_ACCESS_KEY_SECRET="demo-secret", GONG_BASE_URL=url)
    if init_sql:  # an empty mirror (a window without calls) set up before the measured run
        subprocess.run([str(binary), "--db", str(db), "--rate", "0", "--quiet", "--from",
                        "2020-01-01", "--to", "2020-01-02"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        import sqlite3
        con = sqlite3.connect(db)
        con.executescript(init_sql)
        con.close()
    post(url + "/_fake/reset")
    cmd = [str(binary), "--db", str(db), "--rate", "0", "--quiet", *WINDOW, *extra]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if trace:  # every 2 s until it exits: where in the load the bytes and the CPU go
        trace.write("s\trequests\twritten_MB\tcpu_s\n")
        while os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
            sample(p.pid, url, t0, trace)
            time.sleep(2)
    os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: /proc/PID/io
    wall = time.monotonic() - t0
    io = read_io(p.pid)
    _, status, ru = os.wait4(p.pid, 0)
    err = p.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"ingest_cost: {' '.join(cmd)} failed ({code}): {err[-500:]}")
    stats = get(url + "/_fake/stats")
    size = sum(os.path.getsize(str(db) + s) for s in ("", "-wal") if os.path.exists(str(db) + s))
    return dict(wall=wall, cpu=ru.ru_utime + ru.ru_stime, user=ru.ru_utime, sys=ru.ru_stime,
                rss_kib=ru.ru_maxrss, write_bytes=io["write_bytes"], wchar=io["wchar"],
                oublock=ru.ru_oublock * 512, size=size, requests=stats["requests"])


def count_calls(db):
    import sqlite3
    con = sqlite3.connect(db)
    n = con.execute("select count(*) from calls").fetchone()[0]
    con.close()
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", type=int, nargs="+")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", default=str(ROOT / "bin"))
    ap.add_argument("--tmp", default=None, help="directory for the mirrors (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the last mirror of each size")
    ap.add_argument("--json", help="append the rows to this file (JSON lines)")
    ap.add_argument("--label", default="")
    ap.add_argument("--init-sql", help="SQL run on an empty mirror before each measured run "
                    "(e.g. FTS5 settings of search_sentences)")
    ap.add_argument("--url", help="a fakegong already serving the calls (--rate 0 --prewarm, "
                    "seed 7, 365 days from 2024-01-01), instead of starting one per size")
    ap.add_argument("--trace", help="write a sample every 2 s of each run to this file "
                    "(seconds, requests served, MB written, CPU s)")
    ap.add_argument("extra", nargs="*", default=[], help="after --: more ingest arguments")
    a = ap.parse_args()
    binary = pathlib.Path(a.bin) / "callmine-ingest"
    tmp = a.tmp or tempfile.mkdtemp(prefix="ingest-cost-")
    print(f"{'label':<12} {'calls':>7} {'wall s':>8} {'cpu ms/call':>11} {'user':>7} {'sys':>6} "
          f"{'KB written/call':>15} {'wamp':>6} {'file MB':>8} {'RSS MiB':>8} {'req/1k':>6}",
          flush=True)
    for n in a.sizes:
        srv, url = (None, a.url) if a.url else start_server(n)
        try:
            res = []
            for i in range(a.runs):
                db = pathlib.Path(tmp) / f"cost-{n}-{i}.db"
                for s in ("", "-wal", "-shm", ".lock"):
                    pathlib.Path(str(db) + s).unlink(missing_ok=True)
                trace = open(a.trace, "a") if a.trace else None
                r = run_once(binary, url, db, a.extra, a.init_sql, trace)
                if trace:
                    trace.close()
                r["calls"] = count_calls(db)
                res.append(r)
                print(f"  run {i}: wall {r['wall']:.1f} s cpu {r['cpu']:.1f} s written "
                      f"{r['write_bytes'] / 1e6:.0f} MB (oublock {r['oublock'] / 1e6:.0f} MB, "
                      f"wchar {r['wchar'] / 1e6:.0f} MB) file {r['size'] / 1e6:.0f} MB",
                      flush=True)
                if i < a.runs - 1 or not a.keep:
                    for s in ("", "-wal", "-shm", ".lock"):
                        pathlib.Path(str(db) + s).unlink(missing_ok=True)
        finally:
            if srv:
                srv.send_signal(signal.SIGTERM)
                srv.wait(30)
        med = {k: statistics.median(r[k] for r in res)
               for k in ("wall", "cpu", "user", "sys", "rss_kib", "write_bytes", "size")}
        calls = res[0]["calls"]
        row = dict(label=a.label, calls=calls, wall_s=round(med["wall"], 1),
                   cpu_ms_per_call=round(med["cpu"] * 1000 / calls, 3),
                   user_s=round(med["user"], 1), sys_s=round(med["sys"], 1),
                   kb_written_per_call=round(med["write_bytes"] / 1000 / calls, 1),
                   write_amp=round(med["write_bytes"] / med["size"], 2),
                   file_mb=round(med["size"] / 1e6, 1),
                   rss_mib=round(med["rss_kib"] / 1024, 1),
                   req_per_1000=round(res[0]["requests"] * 1000 / calls, 1),
                   runs=[{k: r[k] for k in ("wall", "cpu", "write_bytes", "size")} for r in res])
        print(f"{a.label:<12} {calls:>7} {row['wall_s']:>8} {row['cpu_ms_per_call']:>11} "
              f"{row['user_s']:>7} {row['sys_s']:>6} {row['kb_written_per_call']:>15} "
              f"{row['write_amp']:>6} {row['file_mb']:>8} {row['rss_mib']:>8} "
              f"{row['req_per_1000']:>6}", flush=True)
        if a.json:
            with open(a.json, "a") as f:
                f.write(json.dumps(row) + "\n")
    if not a.tmp and not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
