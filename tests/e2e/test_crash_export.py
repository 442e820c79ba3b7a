"""Crash consistency of callmine-query export: kill -9 at random moments and full disks.

- export killed with SIGKILL at 20 seeded-random moments (10 plain, 10 --redact) spread over
  the length of an uninterrupted export of a 4,000-call mirror: OUT.db is either absent or
  complete (integrity_check, the same rows as an uninterrupted export), and the same command
  run again succeeds (a kill -9 may leave a hidden temp file beside OUT.db, never a file
  under OUT's name, and never one that stops a re-run).
- A full disk, as a file size limit (RLIMIT_FSIZE; callmine-query ignores SIGXFSZ) and, as
  root where a tmpfs may be mounted, a real 1 MiB tmpfs: exit 1 with a one-line error, no
  OUT.db and no temp file left, and the export succeeds once there is room.
"""
import os
import pathlib
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import QUERY
from test_crash import (MOMENTS, error_lines, fsize_limit, grow, kill_at,  # noqa: F401
                        moments, tmpfs)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import minimirror  # noqa: E402


def rows_digest(db, like=None):
    """Every row of every table of an exported file, in a stable order. With like (another
    file), only like's tables and columns: a version 1 mirror exported into the version 2
    schema gains tables and columns (deals.ord, call_metrics, the search index, ...)."""
    import hashlib
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    ref = sqlite3.connect(f"file:{like or db}?mode=ro", uri=True)
    h = hashlib.sha256()
    # the search index (a contentless FTS5 table and its shadow tables) is derived, and
    # export rebuilds it: its segments' layout depends on the order of the inserts, not on
    # what it indexes (search_calls, compared here, says which calls it holds)
    tables = [r[0] for r in ref.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT LIKE 'search\\_sentences\\_%' "
        "ESCAPE '\\' ORDER BY name")]
    for t in tables:
        h.update(t.encode())
        cols = ", ".join(f'"{r[1]}"' for r in ref.execute(f'PRAGMA table_info("{t}")'))
        n = len(cols.split(", "))
        order = ", ".join(str(i + 1) for i in range(n))
        for row in con.execute(f'SELECT {cols} FROM "{t}" ORDER BY {order}'):
            for v in row:
                h.update(v if isinstance(v, bytes) else repr(v).encode())
                h.update(b"\x00")
    con.close()
    ref.close()
    return h.hexdigest()


@pytest.fixture(scope="module")
def big_mirror(tmp_path_factory):
    db = tmp_path_factory.mktemp("big") / "big.db"
    minimirror.synth(db, calls=4000, kb=8, seed=2)
    return db


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("CALLMINE_")}


@pytest.mark.parametrize("redact", [False, True], ids=["plain", "redact"])
def test_export_kill_9_leaves_nothing_half_written(big_mirror, tmp_path, redact):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "share.db"
    cmd = [QUERY, "--db", str(big_mirror), "export", str(out)] + (["--redact"] if redact else [])
    walls = []
    for _ in range(3):  # the shortest of three uninterrupted runs
        start = time.monotonic()
        p = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=120)
        walls.append(time.monotonic() - start)
        assert p.returncode == 0, p.stderr
        reference = rows_digest(out)
        out.unlink()
        assert os.listdir(out_dir) == []
    total = min(walls)

    killed = complete = 0
    for i, t in enumerate(moments(7 + redact, total, MOMENTS // 2)):
        killed += kill_at(cmd, t, clean_env())
        if out.exists():
            # moved into place only when finished: then it is whole
            complete += 1
            con = sqlite3.connect(f"file:{out}?mode=ro", uri=True)
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            con.close()
            assert rows_digest(out) == reference, f"moment {i} ({t:.2f}s of {total:.2f}s)"
        # whatever the kill left behind, the same command (with --force once OUT exists)
        # succeeds and writes the complete copy
        again = cmd + (["--force"] if out.exists() else [])
        p = subprocess.run(again, env=clean_env(), capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"moment {i}: {p.stderr}"
        assert rows_digest(out) == reference
        out.unlink()
        # a kill -9 cannot run the clean-up, but the next export of OUT removes what the
        # killed one left (its owner pid is gone): nothing accumulates
        assert os.listdir(out_dir) == [], f"moment {i}: {os.listdir(out_dir)}"
    print(f"export{' --redact' if redact else ''}: {killed}/{MOMENTS // 2} kills inside a "
          f"run of {total:.2f}s, {complete} left a complete OUT.db, none a partial one; "
          f"no temp file left after the next export")
    assert killed >= MOMENTS // 2 - 4, killed
    # the source is never touched
    con = sqlite3.connect(f"file:{big_mirror}?mode=ro", uri=True)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


# ---- full disk -----------------------------------------------------------------------------

def test_export_file_size_limit_leaves_no_file(big_mirror, tmp_path):
    out = tmp_path / "share.db"
    for extra in ([], ["--redact"]):
        p = subprocess.run([QUERY, "--db", str(big_mirror), "export", str(out), *extra],
                           env=clean_env(), capture_output=True, text=True, timeout=120,
                           preexec_fn=fsize_limit(400_000))
        assert p.returncode == 1, (p.returncode, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("callmine-query: "), p.stderr
        assert "error" in lines[0] or "full" in lines[0], p.stderr
        assert os.listdir(tmp_path) == []  # no OUT.db, no temp file
    p = subprocess.run([QUERY, "--db", str(big_mirror), "export", str(out)], env=clean_env(),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert rows_digest(out, like=big_mirror) == rows_digest(big_mirror)


def test_export_file_size_limit_error_says_full(big_mirror, tmp_path):
    out = tmp_path / "s.db"
    p = subprocess.run([QUERY, "--db", str(big_mirror), "export", str(out)],
                       env=clean_env(), capture_output=True, text=True, timeout=120,
                       preexec_fn=fsize_limit(400_000))
    assert p.returncode == 1
    errs = error_lines(p.stderr, "callmine-query", out, big_mirror)
    assert any("full" in ln or "size limit" in ln for ln in errs), p.stderr


def test_export_disk_full_on_tmpfs(big_mirror, tmpfs):
    out = tmpfs / "share.db"
    for extra in ([], ["--redact"]):
        p = subprocess.run([QUERY, "--db", str(big_mirror), "export", str(out), *extra],
                           env=clean_env(), capture_output=True, text=True, timeout=120)
        assert p.returncode == 1, p.stderr
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("callmine-query: "), p.stderr
        assert "full" in error_lines(p.stderr, "callmine-query", out, big_mirror)[0], p.stderr
        assert os.listdir(tmpfs) == []
    grow(tmpfs)
    p = subprocess.run([QUERY, "--db", str(big_mirror), "export", str(out)], env=clean_env(),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert rows_digest(out, like=big_mirror) == rows_digest(big_mirror)
