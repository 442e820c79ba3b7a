"""The indexes a first load defers (ingest/bulk.h) and the fetch thread's request order.

- A first ingest ends with exactly the indexes the migrations create (name and SQL), built
  once its calls are stored; a window with no calls too.
- A first load killed while its indexes are deferred leaves a file the query tool still
  answers from, correctly; the next ingest builds the indexes when it starts (and says so)
  and finishes the exact mirror.
- A run into a mirror that has calls drops nothing.
- The request log of a run: every extensive page asked for once, in cursor order, and no
  call's transcript asked for twice (the pipeline only reorders requests).
"""
import json
import sqlite3

from conftest import ROOT, connect, content_digest, kill_first_load_at, run_ingest, run_query

WINDOW = ("--from", "2024-01-01", "--to", "2024-05-01")
DATA = dict(calls=400, seed=3, start="2024-01-01", days=120)
DEFERRED = {"crm_fields_call", "deals_key", "parties_speaker", "parties_user",
            "calls_primary_user", "call_metrics_rep", "key_points_call", "action_items_call",
            "call_structure_call", "speakers_call", "tracker_occurrences_call"}


def migrated_indexes():
    """name -> sql of every index the migrations leave, from sql/*.sql run in order."""
    con = sqlite3.connect(":memory:")
    for f in sorted((ROOT / "sql").glob("[0-9][0-9][0-9]-*.sql")):
        con.executescript(f.read_text())
    out = dict(con.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'index' "
                           "AND sql IS NOT NULL"))
    con.close()
    return out


def indexes(db):
    con = connect(db)
    out = dict(con.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'index' "
                           "AND sql IS NOT NULL"))
    con.close()
    return out


def count(db, sql):
    con = connect(db)
    n = con.execute(sql).fetchone()[0]
    con.close()
    return n


def test_first_ingest_ends_with_every_index(fakegong, tmp_path):
    srv = fakegong(**DATA)
    db = tmp_path / "m.db"
    p = run_ingest(db, *WINDOW, server=srv, check=0)
    assert "building the indexes the first load went without" in p.stderr
    want = migrated_indexes()
    assert DEFERRED <= set(want)
    assert indexes(db) == want
    # a second run (the mirror has calls) drops and builds nothing
    p = run_ingest(db, "--from", "2024-03-01", server=srv, check=0)
    assert "building the indexes" not in p.stderr and "built" not in p.stderr
    assert indexes(db) == want


def test_first_ingest_of_an_empty_window(fakegong, tmp_path):
    srv = fakegong(**DATA)
    db = tmp_path / "e.db"
    run_ingest(db, "--from", "2020-01-01", "--to", "2020-02-01", server=srv, check=0)
    assert count(db, "SELECT count(*) FROM calls") == 0
    assert indexes(db) == migrated_indexes()


def test_killed_first_load_is_queried_then_repaired(fakegong, tmp_path):
    srv = fakegong(latency_ms=60, **DATA)
    ref = tmp_path / "ref.db"
    run_ingest(ref, *WINDOW, server=srv, check=0)
    reference = content_digest(ref)

    db = tmp_path / "k.db"
    calls = kill_first_load_at(db, srv, WINDOW, 150)  # a few pages in
    assert 0 < calls < DATA["calls"], calls
    missing = DEFERRED - set(indexes(db))
    assert missing == DEFERRED, missing  # killed while they were deferred

    # the query tool reads the interrupted file (the same answers as with the indexes)
    q = run_query(db, "calls", "--format", "csv")
    con = connect(db)
    stored = {r[0] for r in con.execute("SELECT id FROM calls")}
    some = con.execute("SELECT call_id FROM key_points LIMIT 1").fetchone()[0]
    con.close()
    assert len(q.stdout.strip().splitlines()) == len(stored) + 1
    show = run_query(db, "show", some, "--format", "json")
    assert json.loads(show.stdout)

    # the next ingest builds them first, then finishes the exact mirror
    p = run_ingest(db, server=srv, check=0)
    assert "built 11 indexes an earlier first load went without" in p.stderr, p.stderr
    assert indexes(db) == migrated_indexes()
    assert content_digest(db) == reference


def test_requests_are_only_reordered(fakegong, tmp_path):
    srv = fakegong(**DATA)
    db = tmp_path / "r.db"
    run_ingest(db, *WINDOW, server=srv, check=0)
    log = srv.log()
    ext = [r for r in log if r["path"] == "/v2/calls/extensive"]
    tr = [r for r in log if r["path"] == "/v2/calls/transcript"]
    pages = -(-DATA["calls"] // 100)
    assert len(ext) == pages
    assert len(tr) == pages  # one batch of 100 per page of 100 calls
    assert all(r["status"] == 200 for r in ext + tr)
