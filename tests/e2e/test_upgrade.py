"""Upgrading a version 1 mirror to the current schema (4): `callmine-ingest --db FILE --upgrade`.

The fixture tests/e2e/fixtures/v1-mirror.db was written by the version-1 binaries (built
from main before schema 2, kept in /work/cache/v1bin) against tools/fakegong.py with the
gongdata of schema 2 (Salesforce party-level User objects):

    python3 tools/fakegong.py --port 0 --seed 5 --calls 60 --start 2024-01-01 --days 30 --rate 0
    GONG_ACCESS_KEY=demo-key GONG_ACCESS_KEY_SECRET=demo-secret \\
        /work/cache/v1bin/callmine-ingest --db v1-mirror.db --from 2023-12-01 --to 2024-03-01 \\
        --rate 0 --base-url URL
    sqlite3 v1-mirror.db 'PRAGMA journal_mode = DELETE'

(`python3 tests/e2e/test_upgrade.py --make-fixture OUT V1BIN` does exactly that.) It holds
60 calls, 54 transcripts, 25 users and 5 Salesforce deal calls; user_version 1, no
call_metrics, times as version 1 wrote them (milliseconds only when not zero).

What must hold:
- --upgrade sends no request and needs no credentials (a listener on the base URL counts
  the connections: none), then the file equals a fresh ingest (schema 3) of the same fake
  data, table by table (calls, users, parties, crm_fields, deals, transcripts as text,
  call_metrics, crm_users, call_facts), bookkeeping aside (runs, sync_state,
  request_budget, first_mirrored, last_changed, fetched, transcript_status times);
- callmine-query on the version 1 file says in one line what to run, and exits 1; on a
  file whose backfill is unfinished, likewise; a kill -9 during the backfill loses nothing;
- call_metrics computed in C (schema/metrics.c) equal tools/dev/fill_metrics.sql's rows,
  computed in SQL through the extension (a differential test).
"""
import os
import pathlib
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zlib

import pytest

from conftest import INGEST, QUERY, ROOT, connect, ingest_env, run_ingest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import minimirror  # noqa: E402

FIXTURE = ROOT / "tests" / "e2e" / "fixtures" / "v1-mirror.db"
SEED, CALLS, START, DAYS = 5, 60, "2024-01-01", 30
FROM, TO = "2023-12-01", "2024-03-01"
EXT = ROOT / "bin" / "callmine"  # the extension, for fill_metrics.sql

# Compared table by table; bookkeeping columns left out.
SKIP = {"calls": {"first_mirrored", "last_changed"}, "transcripts": {"body", "fetched"}}
TABLES = ["calls", "users", "parties", "crm_fields", "deals", "transcripts", "call_metrics",
          "crm_users", "call_facts"]


def table_rows(db):
    """{table: sorted rows} over TABLES, transcripts with their inflated text."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out = {}
    for t in TABLES:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({t})")
                if r[1] not in SKIP.get(t, ())]
        sel = ", ".join(cols)
        if t == "transcripts":
            sel += ", body"
        rows = []
        for r in con.execute(f"SELECT {sel} FROM {t}"):
            r = list(r)
            if t == "transcripts":
                body, size = r.pop(), r[cols.index("size")]
                raw = body if len(body) == size else zlib.decompress(body)
                r.append(raw.decode("utf-8"))
            rows.append(tuple(r))
        out[t] = sorted(rows, key=repr)
    con.close()
    return out


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.count = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.count += 1
            c.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def upgrade(db, url):
    """--upgrade with no credentials at all, the base URL pointing at url."""
    env = ingest_env(GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None, GONG_BASE_URL=url)
    return subprocess.run([INGEST, "--db", str(db), "--upgrade", "--base-url", url],
                          env=env, capture_output=True, text=True, timeout=300)


def query(db, *args):
    return subprocess.run([QUERY, "--db", str(db), *args], capture_output=True, text=True,
                          timeout=60)


def one_line(p, code, text):
    assert p.returncode == code, p.stderr
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0] == text, p.stderr


def test_fixture_is_version_1():
    con = sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == CALLS
    assert not con.execute("SELECT 1 FROM sqlite_schema WHERE name = 'call_metrics'").fetchone()
    # version 1 times: the milliseconds only when not zero
    assert con.execute("SELECT count(*) FROM calls WHERE length(started) = 20").fetchone()[0] > 0
    con.close()


def test_query_on_a_version_1_file_says_what_to_run(tmp_path):
    db = tmp_path / "v1.db"
    shutil.copy(FIXTURE, db)
    before = db.read_bytes()
    for args in (["calls"], ["sql", "SELECT 1"], ["grep", "price"]):
        one_line(query(db, *args), 1, f"callmine-query: {db} is a version 1 mirror: run "
                 f"callmine-ingest --db {db} --upgrade")
    assert db.read_bytes() == before


def test_migrations_are_one_transaction(tmp_path):
    # A version 1 file whose last migration cannot apply (a table already holds the name it
    # builds in) stays a whole version 1 file: version 2's changes are rolled back with it,
    # so a reader never meets a file between versions.
    db = tmp_path / "v1.db"
    shutil.copy(FIXTURE, db)
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE tracker_occurrences_v3(x)")
    con.commit()
    con.close()
    p = upgrade(db, "http://127.0.0.1:9")
    assert p.returncode != 0 and "migrate to schema 003" in p.stderr, p.stderr
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert not con.execute("SELECT 1 FROM sqlite_schema WHERE name = 'call_metrics'").fetchone()
    assert not con.execute("SELECT 1 FROM meta WHERE key = 'backfill'").fetchone()
    con.close()


def test_upgrade_sends_nothing_and_equals_a_fresh_v2_ingest(tmp_path, fakegong):
    db = tmp_path / "up.db"
    shutil.copy(FIXTURE, db)
    lis = Listener()
    try:
        p = upgrade(db, lis.url)
        time.sleep(0.3)
    finally:
        lis.close()
    assert p.returncode == 0, p.stderr
    assert lis.count == 0, "--upgrade connected to the base URL"
    assert f"migrated '{db}' from schema version 1 to 4" in p.stderr
    assert "computed the derived rows of 54 transcripts (0 skipped)" in p.stderr
    assert "no request was sent" in p.stderr
    con = connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 4
    assert not con.execute("SELECT 1 FROM meta WHERE key = 'backfill'").fetchone()
    assert con.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'"
                       ).fetchone()[0] == 1  # the planner has statistics
    # every stored time now has the fixed width
    for t, c in (("calls", "started"), ("calls", "scheduled"), ("users", "created")):
        bad = con.execute(f"SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND "
                          f"{c} NOT GLOB '????-??-??T??:??:??.???Z'").fetchone()[0]
        assert bad == 0, (t, c)
    con.close()
    # a second --upgrade has nothing to do
    p = upgrade(db, "http://127.0.0.1:9")
    assert p.returncode == 0 and "nothing to backfill" in p.stderr, p.stderr

    srv = fakegong(seed=SEED, calls=CALLS, start=START, days=DAYS)
    fresh = tmp_path / "fresh.db"
    run_ingest(fresh, "--from", FROM, "--to", TO, server=srv, check=0)
    got, want = table_rows(db), table_rows(fresh)
    for t in TABLES:
        assert len(got[t]) == len(want[t]), t
        for a, b in zip(got[t], want[t]):
            assert a == b, f"{t}: upgraded {a!r} != fresh {b!r}"
    assert len(want["call_metrics"]) == 54 and len(want["crm_users"]) > 0
    # the upgraded file answers as the fresh one does
    for args in (["calls", "--format", "jsonl"], ["analyze", "talk-ratio", "--format", "jsonl"]):
        a, b = query(db, *args), query(fresh, *args)
        assert a.returncode == 0 and a.stdout == b.stdout, (args, a.stderr)


def test_an_ordinary_ingest_migrates_a_version_1_file(tmp_path, fakegong):
    """Newer binaries migrate older files in place: a plain sync run on the v1 fixture
    migrates it, backfills it and syncs, and the file then answers queries."""
    db = tmp_path / "sync.db"
    shutil.copy(FIXTURE, db)
    srv = fakegong(seed=SEED, calls=CALLS, start=START, days=DAYS)
    p = run_ingest(db, "--from", FROM, "--to", TO, server=srv, check=0)
    assert "backfill" in p.stderr, p.stderr
    con = connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 4
    assert con.execute("SELECT count(*) FROM call_metrics").fetchone()[0] == 54
    con.close()
    q = query(db, "calls", "--format", "jsonl")
    assert q.returncode == 0 and q.stdout.count("\n") == CALLS, q.stderr


def test_unfinished_backfill_is_refused_then_resumed(tmp_path):
    """A kill -9 in the middle of the backfill: the committed batches stay, callmine-query
    says the file is being upgraded, and the next --upgrade finishes the rest."""
    db = tmp_path / "big.db"
    minimirror.synth(db, calls=4000, kb=3, seed=4, upgrade=False)
    proc = subprocess.Popen([INGEST, "--db", str(db), "--upgrade", "--quiet"],
                            env=ingest_env(GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    filled = 0
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
            filled = con.execute("SELECT count(*) FROM call_metrics").fetchone()[0]
            con.close()
        except sqlite3.Error:
            filled = 0
        if filled:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.wait(30)
    con = connect(db)
    filled = con.execute("SELECT count(*) FROM call_metrics").fetchone()[0]
    pending = con.execute("SELECT 1 FROM meta WHERE key = 'backfill'").fetchone()
    con.close()
    if pending:  # killed in the middle (the usual case): whole batches only
        assert 0 < filled < 4000 and filled % 500 == 0, filled
        one_line(query(db, "calls"), 1, f"callmine-query: {db} is being upgraded: run "
                 f"callmine-ingest --db {db} --upgrade (or let the running ingest finish)")
    p = upgrade(db, "http://127.0.0.1:9")
    assert p.returncode == 0, p.stderr
    con = connect(db)
    assert con.execute("SELECT count(*) FROM call_metrics").fetchone()[0] == 4000
    assert not con.execute("SELECT 1 FROM meta WHERE key = 'backfill'").fetchone()
    con.close()
    assert query(db, "sql", "SELECT count(*) FROM call_facts").returncode == 0
    assert fill_metrics_differs(db, tmp_path) == []


def fill_metrics_differs(db, tmp_path):
    """Rows where the stored call_metrics (C) and fill_metrics.sql (SQL through the
    extension) disagree, on a copy of db."""
    oracle = tmp_path / "oracle.db"
    shutil.copy(db, oracle)
    subprocess.run(["sqlite3", str(oracle), f".load {EXT}",
                    f".read {ROOT / 'tools' / 'dev' / 'fill_metrics.sql'}"],
                   check=True, capture_output=True, timeout=300)
    con = sqlite3.connect(db)
    con.execute(f"ATTACH '{oracle}' AS o")
    diff = con.execute("SELECT * FROM (SELECT * FROM call_metrics EXCEPT "
                       "SELECT * FROM o.call_metrics) UNION ALL SELECT * FROM "
                       "(SELECT * FROM o.call_metrics EXCEPT SELECT * FROM call_metrics)"
                       ).fetchall()
    n = con.execute("SELECT count(*) FROM o.call_metrics").fetchone()[0]
    con.close()
    assert n > 0
    return diff


def test_call_metrics_in_c_equal_fill_metrics_sql(tmp_path, fakegong):
    srv = fakegong(seed=3, calls=400)
    db = tmp_path / "fake.db"
    run_ingest(db, "--from", "2024-01-01", "--to", "2024-06-01", server=srv, check=0)
    con = connect(db)
    n = con.execute("SELECT count(*) FROM call_metrics").fetchone()[0]
    assert n == con.execute("SELECT count(*) FROM transcripts").fetchone()[0] > 300
    # the hard cases are in: no parties (every speaker unknown), empty transcripts
    assert con.execute("SELECT count(*) FROM call_metrics WHERE rep_speaker_id IS NULL "
                       "AND other_talk_ms > 0").fetchone()[0] > 0
    assert con.execute("SELECT count(*) FROM call_metrics WHERE sentences = 0").fetchone()[0] > 0
    con.close()
    assert fill_metrics_differs(db, tmp_path) == []


def make_fixture(out, v1bin):
    """Write the version 1 fixture as the module docstring says (needs the v1 binaries)."""
    srv = subprocess.Popen([sys.executable, str(ROOT / "tools" / "fakegong.py"), "--port", "0",
                            "--seed", str(SEED), "--calls", str(CALLS), "--start", START,
                            "--days", str(DAYS), "--rate", "0"],
                           stdout=subprocess.PIPE, text=True)
    try:
        url = srv.stdout.readline().split()[1]
        env = dict(os.environ, GONG_ACCESS_KEY="demo-key", GONG_ACCESS_KEY_SECRET="demo-secret")
        subprocess.run([str(pathlib.Path(v1bin) / "callmine-ingest"), "--db", out, "--from", FROM,
                        "--to", TO, "--rate", "0", "--base-url", url], env=env, check=True)
        sqlite3.connect(out).execute("PRAGMA journal_mode = DELETE").connection.close()
    finally:
        srv.terminate()
        srv.wait()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--make-fixture":
        make_fixture(sys.argv[2], sys.argv[3])
    else:
        print("usage: test_upgrade.py --make-fixture OUT.db V1BIN_DIR", file=sys.stderr)
        sys.exit(2)
