"""Crash consistency of callmine-ingest: kill -9 at random moments and full disks
(test_crash_export.py does the same for callmine-query export).

- callmine-ingest killed with SIGKILL at 20 seeded-random moments spread over the length of
  an uninterrupted run, always into the same file (emptied of its rows between kills, so
  each killed run does a first run's work in a file that has crashed before): after each
  kill the file passes integrity_check and foreign_key_check, and a re-run without --from
  completes the exact mirror (the content digest of an uninterrupted run). A last kill hits
  a run that rewrites the complete mirror.
- A full disk, as a file size limit (RLIMIT_FSIZE; the binaries ignore SIGXFSZ so write()
  fails with EFBIG) and, when this runs as root and may mount, as a real 1 MiB tmpfs
  (ENOSPC): exit 1 with a one-line error, an intact file, and a re-run completes.
"""
import os
import pathlib
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import INGEST, FakeGong, connect, content_digest, ingest_env, run_ingest

WINDOW = ("--from", "2024-01-01", "--to", "2024-05-01")
# 300 calls: 7 requests; with 180 ms latency an uninterrupted run lasts ~2-3 s
DATA = dict(calls=300, seed=5, start="2024-01-01", days=120)
MOMENTS = 20


def integrity(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchall()
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        con.close()
    assert ok == [("ok",)], ok
    assert fk == [], fk[:5]


def moments(seed, total, n=MOMENTS):
    """n moments in (0, total): one uniformly in each of n equal slices, shuffled."""
    rnd = random.Random(seed)
    out = [total * (i + rnd.uniform(0.02, 0.98)) / n for i in range(n)]
    rnd.shuffle(out)
    return out


def kill_at(cmd, delay, env=None):
    """Start cmd, SIGKILL it after delay seconds; True if it was still running."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        return True


def saved_window(db):
    """Does the file hold a window a run without --from can continue?"""
    try:
        con = connect(db)
        keys = {r[0] for r in con.execute(
            "SELECT key FROM sync_state WHERE value IS NOT NULL AND key IN "
            "('window_from', 'last_completed_to')")}
        con.close()
        return bool(keys)
    except sqlite3.Error:
        return False


# ---- ingest: kill -9 ---------------------------------------------------------------------

def empty_mirror(db):
    """Delete every row but the file's identity, so the next run does a first run's work
    again in the same file (its free pages, WAL and -shm reused)."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA foreign_keys = OFF")
    # FTS5 tables (the search index) are emptied through their own command, never through
    # their shadow tables
    fts = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'")]
    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'meta' AND sql NOT LIKE 'CREATE VIRTUAL%'")
        if not any(r[0].startswith(v + "_") for v in fts)]
    con.execute("BEGIN")
    for t in tables:
        con.execute(f'DELETE FROM "{t}"')
    for v in fts:
        con.execute(f'INSERT INTO "{v}"("{v}") VALUES (\'delete-all\')')
    con.execute("COMMIT")
    con.close()


def test_ingest_kill_9_at_20_random_moments(fakegong, tmp_path):
    srv = fakegong(latency_ms=180, prewarm=True, **DATA)
    env = ingest_env(srv)
    # the run's length: the shorter of two whole runs, so the kill moments fall inside the
    # runs that follow (a cold first run, under sanitizers on a loaded machine, can take a
    # third longer than the rest)
    durations = []
    for name in ("ref.db", "ref2.db"):
        start = time.monotonic()
        run_ingest(tmp_path / name, *WINDOW, server=srv, check=0)
        durations.append(time.monotonic() - start)
    total = min(durations)
    reference = content_digest(tmp_path / "ref.db")
    assert content_digest(tmp_path / "ref2.db") == reference
    assert 1.0 < total < 20, total

    db = tmp_path / "k.db"
    cmd = [INGEST, "--db", str(db), "--rate", "0", *WINDOW]
    killed = early = 0
    for i, t in enumerate(moments(20240917, total)):
        if i:
            empty_mirror(db)
        killed += kill_at(cmd, t, env)
        if db.exists():
            integrity(db)
        if not saved_window(db):
            # killed before the run saved its window: the file is still a new mirror, and
            # the first run into a new mirror needs --from (CONTRACT)
            early += 1
            p = run_ingest(db, server=srv)
            assert p.returncode == 2 and "--from" in p.stderr, p.stderr
            p = run_ingest(db, *WINDOW, server=srv)
        else:
            p = run_ingest(db, server=srv)
        assert p.returncode == 0, f"moment {i} ({t:.2f}s of {total:.2f}s): {p.stderr[-2000:]}"
        integrity(db)
        assert content_digest(db) == reference, f"moment {i} ({t:.2f}s of {total:.2f}s)"
    # most kills land inside a run; a run's length varies by a third on a loaded machine
    # under sanitizers, so the last slices' kills may come after it ended
    print(f"ingest: {killed}/{MOMENTS} kills inside a run of {total:.2f}s, {early} before "
          f"the window was saved; every re-run exact")
    assert killed >= MOMENTS * 3 // 5, killed
    assert early <= 2, early
    # then kill a run that rewrites the complete mirror, and finish once more
    kill_at(cmd, total / 3, env)
    integrity(db)
    p = run_ingest(db, server=srv)
    assert p.returncode == 0, p.stderr
    integrity(db)
    assert content_digest(db) == reference


# ---- full disk -----------------------------------------------------------------------------

def fsize_limit(n):
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))


def error_lines(stderr, prog, *paths):
    """stderr's lines from prog that report the failure, with the file names taken out (a
    test's temporary path may contain any word)."""
    lines = []
    for ln in stderr.splitlines():
        if not ln.startswith(prog + ": ") or " mirroring " in ln or " calls, " in ln:
            continue
        for path in paths:
            ln = ln.replace(str(path), "FILE")
        lines.append(ln)
    assert lines, stderr
    return lines


@pytest.fixture(scope="module")
def small_reference(tmp_path_factory):
    """(content digest, file size) of a fault-free mirror of the 250-call tenant."""
    tmp = tmp_path_factory.mktemp("fullref")
    srv = FakeGong(tmp, rate=0, calls=250, seed=3, start="2024-01-01", days=120)
    db = tmp / "ref.db"
    run_ingest(db, *WINDOW, server=srv, check=0)
    srv.stop()
    return content_digest(db), db.stat().st_size


# limits in bytes, or as a share of the complete mirror's size: full while creating the
# schema, after the first call page, after the second, and near the end (where a failed
# checkpoint may leave the last pages in the WAL: exit 0 is then fine, if exact)
@pytest.mark.parametrize("limit,stops", [(150_000, True), (300_000, True), (0.3, True),
                                         (0.6, True), (0.9, False)])
def test_ingest_file_size_limit_stops_cleanly_and_resumes(fakegong, tmp_path, small_reference,
                                                          limit, stops):
    reference, size = small_reference
    limit = int(limit * size) if limit < 1 else limit
    srv = fakegong(calls=250, seed=3, start="2024-01-01", days=120)
    db = tmp_path / "x.db"
    p = subprocess.run([INGEST, "--db", str(db), "--rate", "0", *WINDOW], env=ingest_env(srv),
                       capture_output=True, text=True, timeout=120,
                       preexec_fn=fsize_limit(limit))
    assert p.returncode in ((1,) if stops else (0, 1)), (p.returncode, p.stderr)  # no SIGXFSZ
    for suffix in ("", "-wal"):
        f = pathlib.Path(str(db) + suffix)
        assert not f.exists() or f.stat().st_size <= limit
    integrity(db)
    if p.returncode == 0:
        assert content_digest(db) == reference
        return
    errs = error_lines(p.stderr, "callmine-ingest", db)
    assert all(len(ln) < 400 for ln in errs), p.stderr
    assert any("disk" in ln for ln in errs), p.stderr
    if saved_window(db):
        p = run_ingest(db, server=srv)  # without the limit, without --from
    else:  # full before the first window was saved: still a new mirror, which needs --from
        assert limit < 300_000
        p = run_ingest(db, *WINDOW, server=srv)
    assert p.returncode == 0, p.stderr
    integrity(db)
    assert content_digest(db) == reference


def test_ingest_file_size_limit_error_says_full(fakegong, tmp_path):
    srv = fakegong(calls=250, seed=3, start="2024-01-01", days=120)
    db = tmp_path / "x.db"
    p = subprocess.run([INGEST, "--db", str(db), "--rate", "0", *WINDOW], env=ingest_env(srv),
                       capture_output=True, text=True, timeout=120,
                       preexec_fn=fsize_limit(300_000))
    assert p.returncode == 1
    errs = error_lines(p.stderr, "callmine-ingest", db)
    assert any("full" in ln or "size limit" in ln for ln in errs), p.stderr


@pytest.fixture
def tmpfs(tmp_path):
    """A 1 MiB tmpfs (a real ENOSPC), or skip when this may not mount one."""
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a tmpfs")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + r.stderr.strip())
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def grow(mnt):
    r = subprocess.run(["mount", "-o", "remount,size=256m", str(mnt)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_ingest_disk_full_on_tmpfs(fakegong, tmpfs, small_reference):
    srv = fakegong(calls=250, seed=3, start="2024-01-01", days=120)
    db = tmpfs / "x.db"
    p = run_ingest(db, *WINDOW, server=srv)
    assert p.returncode == 1, p.stderr
    errs = error_lines(p.stderr, "callmine-ingest", db)
    assert any("full" in ln for ln in errs) and all(len(ln) < 400 for ln in errs), p.stderr
    integrity(db)
    grow(tmpfs)  # room again
    p = run_ingest(db, server=srv)
    assert p.returncode == 0, p.stderr
    integrity(db)
    assert content_digest(db) == small_reference[0]
