"""bench_lib: what tools/bench*.py share -- the fake server, measured child processes and
the cached mirrors.

measure() runs one command and reports what it cost: wall time, CPU (user + system, from
wait4's rusage), peak RSS (ru_maxrss) and the bytes it caused to be written to storage.
The write figure is /proc/PID/io's write_bytes, polled while the child runs and read once
more after it has exited but before it is reaped (waitid with WNOWAIT: the zombie's counters
are final and include the children it reaped); rusage's ru_oublock (512-byte blocks) is the
same counter on Linux (ru_oublock = write_bytes / 512) and is kept beside it as a check.

The cached mirrors: `make bench` runs its query benchmarks on mirrors generated once
(tools/fakegong.py --calls N --seed 7 --start 2024-01-01 --days 365, ingested by
bin/callmine-ingest --rate 0) and kept under $CALLMINE_BENCH_CACHE (default
~/.cache/callmine/bench) as mirror-N-KEY.db, where KEY hashes tools/gongdata.py,
tools/fakegong.py and sql/*.sql, so a change of generator or schema builds a new one.
Beside each, mirror-N-KEY.json keeps how long building took and what the ingest cost.
A cached file that an older ingest wrote (schema version below the binaries', or whose
backfill is pending) is upgraded in place with `callmine-ingest --upgrade` when the binary
has it.
"""
import datetime as dt
import hashlib
import json
import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(os.environ.get("CALLMINE_BIN", ROOT / "bin"))
INGEST, QUERY = str(BIN / "callmine-ingest"), str(BIN / "callmine-query")
PY = sys.executable
SEED, START, DAYS = 7, "2024-01-01", 365
WINDOW = ["--from", "2023-01-01", "--to", "2026-01-01"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


# ---- the fake server --------------------------------------------------------------------
class Server:
    """tools/fakegong.py on a free port with the bench's tenant (seed 7, 365 days)."""

    def __init__(self, calls, rate=0, latency_ms=0, prewarm=True):
        args = [PY, str(ROOT / "tools" / "fakegong.py"), "--port", "0", "--calls", str(calls),
                "--seed", str(SEED), "--start", START, "--days", str(DAYS),
                "--rate", str(rate), "--latency-ms", str(latency_ms)]
        if prewarm:  # serve from memory, so the client is what is measured
            args.append("--prewarm")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("URL "):
            raise SystemExit(f"bench: fakegong did not start ({line.strip()!r})")
        self.url = line.split()[1]
        self.start_s = time.monotonic() - t0

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=120) as r:
            return json.loads(r.read())

    def reset(self):
        req = urllib.request.Request(self.url + "/_fake/reset", data=b"{}", method="POST")
        urllib.request.urlopen(req, timeout=60).read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def client_env(srv=None):
    """The environment for a client: demo credentials, no user config, no CALLMINE_*."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GONG_", "CALLMINE_", "XDG_"))}
    env["HOME"] = "/nonexistent"  # no ~/.config/callmine (stages, analyses)
    if srv is not None:
        env.update(GONG_ACCESS_KEY="demo-key", GONG_ACCESS_KEY_SECRET="demo-secret",
                   GONG_BASE_URL=srv.url)
    return env


# ---- measured processes ---------------------------------------------------------------------
def _proc_io(pid):
    try:
        with open(f"/proc/{pid}/io") as f:
            return {k: int(v) for k, v in (ln.split(":") for ln in f)}
    except (OSError, ValueError):
        return None


def measure(cmd, env=None, timeout=None, stdout=None):
    """Run cmd and return its costs: wall_s, cpu_s, rss_kib, write_bytes (/proc, final),
    oublock_bytes (rusage), rc, stderr (its last 2,000 characters), timed_out.
    stdout: None discards it, a path writes it there. The wait blocks until the process
    exits (a timer kills it after timeout s), so wall time is exact at any length; its
    /proc counters are read while it is a zombie, before it is reaped, so they are final.
    rss_kib is the kernel's ru_maxrss, which keeps the peak across exec: it is never below
    the ~22 MB of this Python process the child began as, so small peaks read as that."""
    with tempfile.TemporaryFile("w+") as err, \
            open(stdout or os.devnull, "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        killed = threading.Event()

        def stop():
            killed.set()
            p.kill()
        timer = threading.Timer(timeout, stop) if timeout is not None else None
        if timer:
            timer.start()
        os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
        wall = time.monotonic() - t0
        io = _proc_io(p.pid)
        if timer:
            timer.cancel()
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read()[-2000:]
    return dict(wall_s=wall, cpu_s=ru.ru_utime + ru.ru_stime, rss_kib=ru.ru_maxrss,
                write_bytes=(io or {}).get("write_bytes"),
                cancelled_write_bytes=(io or {}).get("cancelled_write_bytes"),
                oublock_bytes=ru.ru_oublock * 512, rc=p.returncode, stderr=text,
                timed_out=killed.is_set())


def measure_output(cmd, env=None, timeout=300):
    """cmd's standard output (text); exits with its message when it fails."""
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def db_files(db):
    return [pathlib.Path(str(db) + s) for s in ("", "-wal", "-shm", "-journal")]


def remove_db(db):
    for f in db_files(db):
        f.unlink(missing_ok=True)


def db_bytes(db):
    return sum(f.stat().st_size for f in db_files(db) if f.exists())


# ---- the cached mirrors -------------------------------------------------------------------
def cache_dir():
    d = os.environ.get("CALLMINE_BENCH_CACHE") or \
        os.path.join(os.path.expanduser("~"), ".cache", "callmine", "bench")
    return pathlib.Path(d)


def cache_key():
    """A digest of what decides a mirror's content: the generator and the schema."""
    h = hashlib.sha256()
    files = [ROOT / "tools" / "gongdata.py", ROOT / "tools" / "fakegong.py"] + \
        sorted((ROOT / "sql").glob("*.sql"))
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def mirror_paths(calls):
    base = cache_dir() / f"mirror-{calls}-{cache_key()}"
    return base.with_suffix(".db"), base.with_suffix(".json")


def _mirror_state(db):
    """(calls, user_version, backfill pending) of a mirror file, or None if unreadable."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        n = con.execute("SELECT count(*) FROM calls").fetchone()[0]
        v = con.execute("PRAGMA user_version").fetchone()[0]
        pending = con.execute("SELECT count(*) FROM meta WHERE key = 'backfill'").fetchone()[0]
        con.close()
        return n, v, bool(pending)
    except sqlite3.Error:
        return None


def binary_schema_version():
    import re
    m = re.search(r"#define DB_SCHEMA_VERSION (\d+)", (ROOT / "schema" / "db.h").read_text())
    return int(m.group(1)) if m else None


def binary_version(binary):
    """The binary's --version line, or None where it has none."""
    try:
        p = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    line = (p.stdout or "").strip().splitlines()
    return line[0] if p.returncode == 0 and line else None


def read_meta(calls):
    _, js = mirror_paths(calls)
    try:
        return json.loads(js.read_text())
    except (OSError, ValueError):
        return {}


def _write_meta(calls, meta):
    _, js = mirror_paths(calls)
    tmp = js.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    tmp.replace(js)


def _fold_wal(db):
    """Checkpoint the WAL into the file so one file is the mirror, then read-only use."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()


def ingest_cost(m, calls, db=None):
    """Per-call figures of one measured ingest (a dict for tables and the JSON)."""
    wb = m["write_bytes"] if m["write_bytes"] is not None else m["oublock_bytes"]
    out = dict(calls=calls, wall_s=round(m["wall_s"], 2), cpu_s=round(m["cpu_s"], 2),
               cpu_ms_per_call=round(1000 * m["cpu_s"] / calls, 3),
               write_bytes=wb, write_kb_per_call=round(wb / 1000 / calls, 1),
               oublock_bytes=m["oublock_bytes"], rss_mib=round(m["rss_kib"] / 1024, 1))
    if db is not None:
        out["db_bytes"] = db_bytes(db)
        out["write_amplification"] = round(wb / out["db_bytes"], 2) if out["db_bytes"] else None
    return out


def build_mirror(calls, dest=None):
    """Generate the fake tenant, mirror it with bin/callmine-ingest --rate 0 (measured), and
    keep it in the cache (or at dest). Returns the JSON kept beside it."""
    db, _ = mirror_paths(calls)
    db = pathlib.Path(dest) if dest else db
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(db.name + ".building")
    remove_db(tmp)
    log(f"bench: generating the {calls:,}-call mirror {db} (once; cached) ...")
    t0 = time.monotonic()
    srv = Server(calls, prewarm=False)
    try:
        m = measure([INGEST, "--db", str(tmp), "--rate", "0", "--quiet", *WINDOW],
                    env=client_env(srv))
    finally:
        srv.stop()
    if m["rc"] != 0:
        raise SystemExit(f"bench: callmine-ingest failed ({m['rc']}): {m['stderr'][-500:]}")
    cost = ingest_cost(m, calls, tmp)
    _fold_wal(tmp)
    os.replace(tmp, db)
    total = time.monotonic() - t0
    meta = dict(calls=calls, seed=SEED, start=START, days=DAYS, key=cache_key(),
                built=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                generated_s=round(total, 1), server_start_s=round(srv.start_s, 1),
                ingest=cost, server_prewarmed=False, file_bytes=db.stat().st_size,
                ingest_version=binary_version(INGEST))
    if dest is None:
        _write_meta(calls, meta)
        for old in cache_dir().glob(f"mirror-{calls}-*"):  # those of older generators
            if not old.name.startswith(db.stem):
                old.unlink()
    log(f"bench: generated in {total / 60:.1f} min ({cost['wall_s']:.0f} s of ingest, "
        f"{cost['cpu_ms_per_call']} ms CPU a call, {cost['write_kb_per_call']} kB written "
        f"a call, {cost['rss_mib']} MiB peak RSS)")
    return meta


def upgrade_if_needed(db, calls):
    """A mirror an older ingest wrote is migrated in place by callmine-ingest --upgrade (the
    binaries refuse files whose backfill is pending). Returns seconds spent, or None."""
    st = _mirror_state(db)
    want = binary_schema_version()
    if st is None or (st[1] >= (want or 0) and not st[2]):
        return None
    log(f"bench: {db.name} is schema {st[1]}{' with its backfill pending' if st[2] else ''}: "
        f"upgrading it with callmine-ingest --upgrade ...")
    m = measure([INGEST, "--db", str(db), "--upgrade"], env=client_env())
    if m["rc"] != 0:
        log(f"bench: upgrade skipped: {m['stderr'].strip().splitlines()[-1:] or m['rc']}")
        return None
    _fold_wal(db)
    meta = read_meta(calls)
    meta["upgraded"] = dict(at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                            wall_s=round(m["wall_s"], 1), from_version=st[1])
    _write_meta(calls, meta)
    log(f"bench: upgraded in {m['wall_s']:.0f} s")
    return m["wall_s"]


def cached_mirror(calls, build=True):
    """The cached mirror of this many calls: built when missing (if build), upgraded when an
    older ingest wrote it. Returns (path, meta) or (None, {}) when missing and not built."""
    db, _ = mirror_paths(calls)
    st = _mirror_state(db) if db.exists() else None
    if st is None or st[0] != calls:
        if not build:
            return None, {}
        build_mirror(calls)
    upgrade_if_needed(db, calls)
    return db, read_meta(calls)


def adopt_mirror(calls, src, generated_s=None):
    """Put an existing mirror file (built elsewhere from the same generator and seed) into the
    cache under the current key; copies it (the source stays as it is)."""
    db, _ = mirror_paths(calls)
    db.parent.mkdir(parents=True, exist_ok=True)
    st = _mirror_state(src)
    if st is None or st[0] != calls:
        raise SystemExit(f"bench: {src} is not a mirror of {calls} calls ({st})")
    tmp = db.with_name(db.name + ".adopting")
    shutil.copyfile(src, tmp)
    wal = pathlib.Path(str(src) + "-wal")
    if wal.exists():
        shutil.copyfile(wal, str(tmp) + "-wal")
    _fold_wal(tmp)
    os.replace(tmp, db)
    _write_meta(calls, dict(calls=calls, seed=SEED, start=START, days=DAYS, key=cache_key(),
                            adopted_from=str(src), generated_s=generated_s,
                            built=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                            file_bytes=db.stat().st_size))
    return db


def main(argv=None):
    """`bench_lib.py status`: the cache's mirrors; `bench_lib.py adopt CALLS FILE`: put a
    mirror built elsewhere (same generator, seed 7, 365 days) into the cache; `bench_lib.py
    build CALLS`: build one now."""
    import argparse
    ap = argparse.ArgumentParser(description=main.__doc__.split(";")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("status")
    ad = sub.add_parser("adopt")
    ad.add_argument("calls", type=int)
    ad.add_argument("file")
    ad.add_argument("--generated-s", type=float, help="how long building it took, seconds")
    bd = sub.add_parser("build")
    bd.add_argument("calls", type=int)
    a = ap.parse_args(argv)
    if a.cmd == "adopt":
        print(adopt_mirror(a.calls, pathlib.Path(a.file), a.generated_s))
    elif a.cmd == "build":
        print(cached_mirror(a.calls, build=True)[0])
    print(f"cache {cache_dir()} (key {cache_key()} for this tree's generator and schema):")
    for js in sorted(cache_dir().glob("mirror-*.json")):
        meta = json.loads(js.read_text())
        cur = "current" if meta.get("key") == cache_key() else "stale key"
        ing = meta.get("ingest") or {}
        print(f"  {js.with_suffix('.db').name}: {meta.get('calls'):,} calls, {cur}, "
              f"generated in {(meta.get('generated_s') or 0) / 60:.1f} min on "
              f"{meta.get('built')}" +
              (f"; ingest {ing['cpu_ms_per_call']} ms CPU and {ing['write_kb_per_call']} kB "
               f"written a call, {ing['rss_mib']} MiB RSS" if ing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
