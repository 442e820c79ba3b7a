"""Readers and the writer share one WAL file.

callmine-query runs in a loop (sql counts, calls, grep) while callmine-ingest writes into
the same file, first a new mirror, then a re-run that rewrites every call. Every query
exits 0, never says "database is locked", and sees a committed state: each statement's
counts are consistent (every call counted has its calls_raw row, every party and transcript
its call) and counts never decrease from one query to the next. The ingest is not disturbed:
it exits 0 and the mirror equals one written without readers.
"""
import json
import os
import subprocess
import threading
import time

import pytest

from conftest import INGEST, QUERY, connect, content_digest, ingest_env, run_ingest

WINDOW = ("--from", "2024-01-01", "--to", "2024-05-01")
DATA = dict(calls=500, seed=11, start="2024-01-01", days=120)

SNAPSHOT_SQL = (
    "SELECT (SELECT count(*) FROM calls) AS calls, "
    "(SELECT count(*) FROM calls_raw) AS raw, "
    "(SELECT count(*) FROM calls WHERE id NOT IN (SELECT call_id FROM calls_raw)) AS no_raw, "
    "(SELECT count(*) FROM parties) AS parties, "
    "(SELECT count(*) FROM parties WHERE call_id NOT IN (SELECT id FROM calls)) AS orphans, "
    "(SELECT count(*) FROM transcripts) AS transcripts, "
    "(SELECT count(*) FROM transcripts WHERE call_id NOT IN (SELECT id FROM calls)) "
    "AS orphan_transcripts, "
    "(SELECT count(*) FROM users) AS users")


def query_env():
    return {k: v for k, v in os.environ.items() if not k.startswith(("CALLMINE_", "NO_COLOR"))}


def is_mirror(db):
    try:
        con = connect(db)
        ok = con.execute("SELECT value FROM meta WHERE key = 'application'").fetchone()
        con.close()
        return bool(ok)
    except Exception:
        return False


class Readers:
    """Query the file in a loop on a thread until stop(); collects what it saw."""

    def __init__(self, db):
        self.db = db
        self.snapshots = []
        self.failures = []
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(120)

    def _q(self, *args):
        p = subprocess.run([QUERY, "--db", str(self.db), *args], capture_output=True,
                           text=True, env=query_env(), timeout=60)
        self.runs += 1
        if p.returncode != 0 or "locked" in p.stderr or "busy" in p.stderr:
            self.failures.append((args, p.returncode, p.stderr[-500:]))
        return p

    def _loop(self):
        k = 0
        while not self._stop.is_set():
            which = k % 3
            k += 1
            if which == 0:
                p = self._q("--format", "jsonl", "sql", SNAPSHOT_SQL)
                if p.returncode == 0:
                    self.snapshots.append(json.loads(p.stdout))
            elif which == 1:
                # (that its count line describes the rows' snapshot is checked apart, below)
                self._q("--format", "jsonl", "calls")
            else:
                self._q("grep", "-c", "-i", "pricing|budget")


def check_snapshots(snaps, final=None):
    assert snaps, "no snapshot was taken"
    for s in snaps:
        assert s["no_raw"] == 0 and s["orphans"] == 0 and s["orphan_transcripts"] == 0, s
        assert s["raw"] == s["calls"], s
    for a, b in zip(snaps, snaps[1:]):
        for key in ("calls", "raw", "parties", "transcripts", "users"):
            assert b[key] >= a[key], (key, a, b)
    if final is not None:
        for s in snaps:
            for key in ("calls", "raw", "parties", "transcripts", "users"):
                assert s[key] == final[key], (key, s, final)


def test_queries_during_ingest_see_consistent_snapshots(fakegong, tmp_path):
    srv = fakegong(latency_ms=150, prewarm=True, **DATA)
    ref = tmp_path / "ref.db"
    run_ingest(ref, *WINDOW, server=srv, check=0)
    reference = content_digest(ref)

    db = tmp_path / "live.db"
    ingest = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *WINDOW],
                              env=ingest_env(srv), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not is_mirror(db):  # the schema is in place: from here on it is a mirror
        assert ingest.poll() is None and time.monotonic() < deadline, "ingest ended early"
        time.sleep(0.01)
    readers = Readers(db).start()
    try:
        _, err = ingest.communicate(timeout=120)
    finally:
        readers.stop()
    assert ingest.returncode == 0, err
    assert readers.failures == [], readers.failures[:5]
    assert readers.runs >= 9, readers.runs  # the ingest lasted long enough to be read
    check_snapshots(readers.snapshots)
    print(f"during the first ingest: {readers.runs} queries, "
          f"{len(readers.snapshots)} snapshots, calls seen: "
          f"{sorted({s['calls'] for s in readers.snapshots})}")
    # the readers saw the mirror grow, not just its two ends
    assert len({s["calls"] for s in readers.snapshots}) >= 2, readers.snapshots
    assert content_digest(db) == reference

    # a re-run rewrites every call of the window: readers see it whole, before or after
    final = json.loads(subprocess.run([QUERY, "--db", str(db), "--format", "jsonl", "sql",
                                       SNAPSHOT_SQL], capture_output=True, text=True,
                                      env=query_env(), check=True).stdout)
    ingest = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *WINDOW],
                              env=ingest_env(srv), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    readers = Readers(db).start()
    try:
        _, err = ingest.communicate(timeout=120)
    finally:
        readers.stop()
    assert ingest.returncode == 0, err
    assert readers.failures == [], readers.failures[:5]
    check_snapshots(readers.snapshots, final)
    print(f"during the re-run: {readers.runs} queries, all saw {final['calls']} calls")
    assert content_digest(db) == reference


def test_two_writers_one_waits_or_fails_cleanly(fakegong, tmp_path):
    """A second ingest into the file being written: it waits for the lock or stops with a
    clear error; either way the file ends up as the exact mirror."""
    srv = fakegong(latency_ms=100, **DATA)
    db = tmp_path / "two.db"
    first = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *WINDOW],
                             env=ingest_env(srv), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not is_mirror(db):
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    second = run_ingest(db, *WINDOW, server=srv, timeout=120)
    _, err = first.communicate(timeout=120)
    assert first.returncode in (0, 1), err
    assert second.returncode in (0, 1), second.stderr
    print(f"two writers: first exit {first.returncode}, second exit {second.returncode}: "
          f"{(err + second.stderr).strip().splitlines()[-1:]}")
    for rc, text in ((first.returncode, err), (second.returncode, second.stderr)):
        if rc:
            assert "locked" in text or "busy" in text or "another" in text, text
    p = run_ingest(db, server=srv)
    assert p.returncode == 0, p.stderr
    ref = tmp_path / "ref.db"
    run_ingest(ref, *WINDOW, server=srv, check=0)
    assert content_digest(db) == content_digest(ref)


def test_calls_count_line_describes_the_rows_it_printed(fakegong, tmp_path):
    srv = fakegong(**DATA)
    db = tmp_path / "c.db"
    run_ingest(db, "--from", "2024-01-01", "--to", "2024-03-01", server=srv, check=0)
    before = connect(db).execute("SELECT count(*) FROM calls").fetchone()[0]
    # stdout is a pipe nobody reads yet: `calls` blocks while printing its rows (more than a
    # pipe holds), inside the statement's snapshot
    p = subprocess.Popen([QUERY, "--db", str(db), "--format", "jsonl", "calls"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=query_env())
    time.sleep(0.5)
    assert p.poll() is None
    run_ingest(db, "--from", "2024-03-01", "--to", "2024-05-01", server=srv, check=0)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    n = len(out.splitlines())
    assert n == before
    assert err.decode().startswith(f"{n} calls,"), err
