#!/usr/bin/env python3
"""fault_matrix.py: how callmine-ingest fares against each kind of API fault.

Runs every fault kind N times (different positions, counts and endpoints drawn from a
seeded RNG) against the same ~250-call fake tenant, and prints a markdown table:

  fault | runs | exit codes | exact directly | exact after re-run | silent mismatch | crashes

- exact directly: the run's mirror has the content digest of a fault-free mirror
  (tests/e2e/conftest.py's content_digest: every public table and every transcript).
- exact after re-run: exact directly, or after one more run without --from once the fault
  has passed (the way a user recovers from exit 1).
- silent mismatch: the run exited 0 but the mirror was not exact (the worst outcome).
- crashes: death by a signal, or an exit status outside 0-3.

For `vanish` (a call that disappears from Gong between two pages) the truth itself changes:
the comparison leaves that one call out, so "exact" means every other call is mirrored
exactly (nothing skipped because the pages shifted) whatever was kept of the vanished one.

    python3 tools/fault_matrix.py [--runs 5] [--seed 1] [--calls 250] [--json]

Not part of `make test` (several minutes: 429 storms wait out Retry-After). Binaries come
from $CALLMINE_BIN (default bin/).
"""
import argparse
import hashlib
import json
import os
import pathlib
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(os.environ.get("CALLMINE_BIN", ROOT / "bin"))
INGEST = str(BIN / "callmine-ingest")
WINDOW = ["--from", "2024-01-01", "--to", "2024-05-01"]
ENDPOINTS = ["/v2/calls/extensive", "/v2/calls/transcript", "/v2/users"]
PAGES = {"/v2/users": 1}  # others: ceil(calls / 100)


class Server:
    """A running tools/fakegong.py and its control API."""

    def __init__(self, tmp, seed, calls, faults=()):
        args = [sys.executable, str(ROOT / "tools" / "fakegong.py"), "--port", "0",
                "--calls", str(calls), "--seed", str(seed), "--start", "2024-01-01",
                "--days", "120", "--rate", "0", "--prewarm"]
        for f in faults:
            args += ["--fault", json.dumps(f)]
        self.log = open(pathlib.Path(tmp) / f"fakegong-{time.monotonic_ns()}.log", "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("URL "):
            raise RuntimeError("fakegong did not start: " + line)
        self.url = line.split()[1]

    def post(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def set_faults(self, faults):
        self.post("/_fake/faults", list(faults))
        self.post("/_fake/reset", {})

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def ingest_env(url, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONG_", "CALLMINE_"))}
    env.update(GONG_ACCESS_KEY="demo-key", GONG_ACCESS_KEY_SECRET="demo-secret",
               GONG_BASE_URL=url, CALLMINE_BACKOFF_BASE="0.01", CALLMINE_TIMEOUT="10")
    env.update(extra)
    return env


def ingest(db, url, *args, timeout=600, **env):
    p = subprocess.run([INGEST, "--db", str(db), "--rate", "0", *args],
                       env=ingest_env(url, **env), capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stderr


def text_of(body, size):
    raw = body if len(body) == size else zlib.decompress(body)
    return raw


def digest(db, leave_out=()):
    """tests/e2e/conftest.py's content_digest, optionally without some calls' rows."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    h = hashlib.sha256()
    tables = ["users", "calls", "parties", "crm_fields", "deals", "topics", "call_structure",
              "trackers", "tracker_occurrences", "speakers", "interaction_stats", "key_points",
              "action_items"]
    skip = {"first_mirrored", "last_changed"}
    out = set(leave_out)
    for t in tables:
        info = [r[1] for r in con.execute(f"PRAGMA table_info({t})")]
        cols = [c for c in info if c not in skip]
        key = "id" if t == "calls" else "call_id" if "call_id" in info else None
        rows = con.execute(f"SELECT {','.join(cols)}" +
                           (f", {key}" if key else "") + f" FROM {t}").fetchall()
        if key:
            rows = [r[:-1] for r in rows if r[-1] not in out]
        for r in sorted(repr(tuple(r)) for r in rows):
            h.update(r.encode())
    for table in ("transcripts", "calls_raw"):
        for cid, size, body in con.execute(
                f"SELECT call_id, size, body FROM {table} ORDER BY call_id"):
            if cid in out:
                continue
            if table == "transcripts":
                h.update(cid.encode())
            h.update(text_of(body, size))
    con.close()
    return h.hexdigest()


def pick(rnd, kind, calls, call_ids):
    """One fault schedule of this kind, its environment, and the call it hides (vanish)."""
    n_pages = (calls + 99) // 100

    def endpoint(paged_only=False):
        choices = ENDPOINTS[:2] if paged_only else ENDPOINTS
        path = rnd.choice(choices)
        return path, rnd.randrange(PAGES.get(path, n_pages))

    env, hide = {}, None
    if kind in ("500", "502", "503"):
        path, after = endpoint()
        f = {"path": path, "kind": "status", "status": int(kind), "after": after,
             "count": rnd.randint(1, 10)}
    elif kind == "429":
        path, after = endpoint()
        f = {"path": path, "kind": "status", "status": 429, "retry_after": 1, "after": after,
             "count": rnd.randint(2, 6)}
    elif kind in ("drop", "truncate", "malformed", "html"):
        path, after = endpoint()
        f = {"path": path, "kind": kind, "after": after, "count": rnd.randint(1, 3)}
    elif kind == "expire_cursor":  # only requests that carry a cursor: pages 2..
        path = rnd.choice(ENDPOINTS[:2])
        f = {"path": path, "kind": kind, "after": rnd.randrange(n_pages - 1),
             "count": rnd.randint(1, 2)}
    elif kind == "duplicate":
        path = rnd.choice(ENDPOINTS[:2])
        f = {"path": path, "kind": kind, "after": rnd.randrange(n_pages - 1), "count": 1}
    elif kind == "vanish":
        # a call from a page already served, or from one still to come
        path, after = rnd.choice(ENDPOINTS[:2]), rnd.randrange(1, n_pages)
        hide = call_ids[rnd.randrange(min(len(call_ids), (after + 1) * 100))]
        f = {"path": path, "kind": kind, "after": after, "call_id": hide, "count": 1}
    elif kind == "slow":
        path, after = endpoint()
        f = {"path": path, "kind": "slow", "seconds": rnd.choice([2, 3]), "after": after,
             "count": rnd.randint(1, 3)}
        env = {"CALLMINE_TIMEOUT": "1"}
    else:
        raise ValueError(kind)
    return [f], env, hide


KINDS = [
    ("500", "HTTP 500 burst (1-10 in a row)"),
    ("502", "HTTP 502 burst (1-10 in a row)"),
    ("503", "HTTP 503 burst (1-10 in a row)"),
    ("429", "429 storm, Retry-After: 1 (2-6 in a row)"),
    ("drop", "dropped connection (1-3)"),
    ("truncate", "truncated body (1-3)"),
    ("malformed", "malformed JSON (1-3)"),
    ("html", "200 with an HTML page (1-3)"),
    ("expire_cursor", "expired cursor (1-2)"),
    ("vanish", "call vanishes between pages"),
    ("duplicate", "same record on two pages"),
    ("slow", "slower than the timeout (2-3 s vs CALLMINE_TIMEOUT=1, 1-3)"),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per fault kind (default 5)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the positions (default 1)")
    ap.add_argument("--calls", type=int, default=250, help="calls in the tenant (default 250)")
    ap.add_argument("--data-seed", type=int, default=3, help="the tenant's seed (default 3)")
    ap.add_argument("--only", help="comma-separated kinds (default: all)")
    ap.add_argument("--json", action="store_true", help="also print every run as JSON")
    a = ap.parse_args(argv)
    rnd = random.Random(a.seed)
    kinds = [k for k in KINDS if not a.only or k[0] in a.only.split(",")]
    sys.path.insert(0, str(ROOT / "tools"))
    import gongdata
    ds = gongdata.Dataset(seed=a.data_seed, calls=a.calls, start="2024-01-01", days=120)
    call_ids = [str(c) for c in ds.call_ids()]

    results, rows = [], []
    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as tmp:
        tmp = pathlib.Path(tmp)
        srv = Server(tmp, a.data_seed, a.calls)
        try:
            ref_db = tmp / "ref.db"
            rc, err = ingest(ref_db, srv.url, *WINDOW)
            if rc:
                sys.exit(f"fault_matrix: the fault-free reference run failed: {err}")
            reference = digest(ref_db)
            for kind, label in kinds:
                stats = dict(runs=0, exact=0, exact_rerun=0, silent=0, crashes=0, codes={})
                for i in range(a.runs):
                    faults, env, hide = pick(rnd, kind, a.calls, call_ids)
                    if hide:  # vanishing is for good: a server of its own
                        run_srv = Server(tmp, a.data_seed, a.calls)
                        run_srv.set_faults(faults)
                    else:
                        run_srv = srv
                        srv.set_faults(faults)
                    db = tmp / f"{kind}-{i}.db"
                    start = time.monotonic()
                    rc, err = ingest(db, run_srv.url, *WINDOW, **env)
                    wall = time.monotonic() - start
                    want = digest(ref_db, [hide] if hide else [])
                    exact = db.exists() and digest(db, [hide] if hide else []) == want
                    rc2, err2, exact2 = None, "", exact
                    if not exact and rc >= 0:
                        run_srv.set_faults([])  # the fault has passed
                        rc2, err2 = ingest(db, run_srv.url, **env)
                        exact2 = digest(db, [hide] if hide else []) == want
                    if run_srv is not srv:
                        run_srv.stop()
                    crashed = rc < 0 or rc > 3 or (rc2 is not None and (rc2 < 0 or rc2 > 3))
                    stats["runs"] += 1
                    stats["exact"] += exact
                    stats["exact_rerun"] += exact2
                    stats["silent"] += rc == 0 and not exact
                    stats["crashes"] += crashed
                    stats["codes"][rc] = stats["codes"].get(rc, 0) + 1
                    last = (err.strip().splitlines() or [""])[-1]
                    results.append(dict(kind=kind, run=i, faults=faults, env=env, exit=rc,
                                        wall=round(wall, 2), exact=exact, rerun_exit=rc2,
                                        exact_after_rerun=exact2, last_line=last,
                                        rerun_last_line=(err2.strip().splitlines() or [""])[-1]))
                    print(f"{kind:14} run {i}: exit {rc}{'' if rc2 is None else f', re-run {rc2}'}"
                          f", exact {exact}/{exact2} ({wall:.1f}s) {json.dumps(faults)}",
                          file=sys.stderr)
                codes = ", ".join(f"{c}×{n}" for c, n in sorted(stats["codes"].items()))
                rows.append((label, stats["runs"], codes, stats["exact"], stats["exact_rerun"],
                             stats["silent"], stats["crashes"]))
        finally:
            srv.stop()

    print(f"Fault matrix: {a.calls}-call tenant (seed {a.data_seed}), {a.runs} runs per fault, "
          f"positions from seed {a.seed}; 429s carry Retry-After: 1; backoff base 0.01 s "
          f"(CALLMINE_BACKOFF_BASE); the client retries a request 6 times (429s apart), so "
          f"a burst of 7 or more outlasts it.\n")
    print("| fault | runs | exit codes | exact directly | exact after re-run | "
          "silent mismatch | crashes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")
    if a.json:
        print(json.dumps(results, indent=1))
    bad = sum(r[6] for r in rows) + sum(r[5] for r in rows) + \
        sum(r[1] - r[4] for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
