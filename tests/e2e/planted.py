"""planted: a mirror of the fake Gong server's planted data, for the analysis and report tests.

build(tmp_dir, calls) starts tools/fakegong.py (seed 1, 2024-01-01 + 120 days, no rate
limit), mirrors every call with callmine-ingest, stops the server and returns
(db_path, dataset): the gongdata.Dataset that generated the data, whose PLANTED and
measure() say what the analyses must find.

semantic(db) brings a mirror's semantic layer up for the analyses: schema v2 on a file that
has only v1 (minimirror's), then call_metrics computed by tools/dev/fill_metrics.sql through
the extension, until the ingest writes call_metrics itself.
"""
import json
import os
import pathlib
import sqlite3
import subprocess

from conftest import BIN, QUERY, ROOT, FakeGong, run_ingest

import gongdata

SEED, START, DAYS = 1, "2024-01-01", 120


def build(tmp_dir, calls):
    tmp = pathlib.Path(tmp_dir)
    srv = FakeGong(tmp, calls=calls, seed=SEED, start=START, days=DAYS, rate=0)
    db = tmp / "planted.db"
    try:
        run_ingest(db, "--from", "2023-01-01", server=srv, check=0)
    finally:
        srv.stop()
    return db, gongdata.Dataset(seed=SEED, calls=calls, start=START, days=DAYS)


def query_env(**extra):
    """The environment for callmine-query: no CALLMINE_*, HOME and XDG pointing nowhere
    unless given, so no user analyses or stages file leak in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CALLMINE_", "XDG_CONFIG_HOME"))}
    env["HOME"] = extra.pop("HOME", "/nonexistent")
    env.update(extra)
    return env


def q(db, *args, check=0, env=None, timeout=300):
    """Run callmine-query --db DB ARGS; returns the CompletedProcess (text)."""
    p = subprocess.run([QUERY, "--db", str(db), *map(str, args)], capture_output=True,
                       text=True, env=env or query_env(), timeout=timeout)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}\nstdout:{p.stdout[-2000:]}\n" \
                                      f"stderr:{p.stderr[-2000:]}"
    return p


def analyze(db, *args, env=None):
    """analyze ARGS --format jsonl -> list of row dicts."""
    p = q(db, "analyze", *args, "--format", "jsonl", env=env)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def by_group(rows):
    return {r["group"]: r for r in rows}
