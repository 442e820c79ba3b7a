"""The indexes a first load defers (ingest/bulk.h) and the fetch thread's request order.

- A first ingest ends with exactly the indexes the migrations create (name and SQL), built
  once its calls are stored, and with grep's n-gram filters, written at its end as a later
  run would write them; a window with no calls too.
- A first load killed while its indexes are deferred leaves a file the query tool still
  answers from, correctly; the next ingest builds the indexes when it starts (and says so)
  and finishes the exact mirror.
- A run into a mirror that has calls drops nothing.
- The request log of a run: every extensive page asked for once, in cursor order, and no
  call's transcript asked for twice (the pipeline only reorders requests).
- Past 1,000 stored calls a first load commits its pages in groups (ingest/sync.c): a
  reader sees no count of calls between the group's start and the load's end, a kill -9
  inside the group loses it whole, and the next run completes the exact mirror.
"""
import json
import signal
import sqlite3
import subprocess
import time

from conftest import (INGEST, ROOT, connect, content_digest, ingest_env, kill_first_load_at,
                      run_ingest, run_query)

WINDOW = ("--from", "2024-01-01", "--to", "2024-05-01")
DATA = dict(calls=400, seed=3, start="2024-01-01", days=120)
DEFERRED = {"crm_fields_call", "deals_key", "parties_speaker", "parties_user",
            "calls_primary_user", "call_metrics_rep", "key_points_call", "action_items_call",
            "call_structure_call", "speakers_call", "topics_call", "trackers_call",
            "interaction_stats_call", "tracker_occurrences_call"}


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
    # grep's n-gram filters, written at the load's end, one per transcript: grep through
    # them finds what it finds reading every transcript
    assert count(db, "SELECT count(*) FROM meta WHERE key = 'grams'") == 0
    n = count(db, "SELECT count(*) FROM transcripts")
    assert n > 0 and count(db, "SELECT count(*) FROM transcript_grams") == n
    patterns = ["pricing", "reached out", "discount", "Clarivox"]
    filtered = [run_query(db, "grep", "-i", w, "--format", "jsonl").stdout for w in patterns]
    assert all(filtered)
    plain = tmp_path / "plain.db"
    con = connect(db)
    con.execute("VACUUM INTO ?", (str(plain),))
    con.close()
    con = sqlite3.connect(plain)
    con.execute("DELETE FROM transcript_grams")
    con.commit()
    con.close()
    assert [run_query(plain, "grep", "-i", w, "--format", "jsonl").stdout
            for w in patterns] == filtered
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
    # no n-gram filter yet (the load writes them at its end)
    assert count(db, "SELECT count(*) FROM meta WHERE key = 'grams'") == 1
    assert count(db, "SELECT count(*) FROM transcript_grams") == 0

    # the query tool reads the interrupted file (the same answers as with the indexes)
    q = run_query(db, "calls", "--format", "csv")
    con = connect(db)
    stored = {r[0] for r in con.execute("SELECT id FROM calls")}
    some = con.execute("SELECT call_id FROM key_points LIMIT 1").fetchone()[0]
    con.close()
    assert len(q.stdout.strip().splitlines()) == len(stored) + 1
    show = run_query(db, "show", some, "--format", "json")
    assert json.loads(show.stdout)
    # the topics and trackers analyses answer as over a copy of the file with the indexes
    # built, and one that reads Gong's stats runs on their copy (query/scope.c; no call has
    # a transcript yet, so it has no row: test_scope compares the stats themselves)
    want = migrated_indexes()
    indexed = tmp_path / "indexed.db"
    con = connect(db)
    con.execute("VACUUM INTO ?", (str(indexed),))
    con.close()
    con = sqlite3.connect(indexed)
    for name in ("interaction_stats_call", "topics_call", "trackers_call"):
        con.execute(want[name])
    con.commit()
    con.close()
    for a in ("topics", "trackers", "talk-ratio"):
        args = ("--format", "csv", "analyze", a, "--by", "rep")
        got = run_query(db, *args).stdout
        assert got == run_query(indexed, *args).stdout, a
        assert got.count("\n") > (1 if a != "talk-ratio" else 0), a

    # the next ingest builds them first, then finishes the exact mirror
    p = run_ingest(db, server=srv, check=0)
    assert "built 14 indexes an earlier first load went without" in p.stderr, p.stderr
    assert indexes(db) == want
    assert content_digest(db) == reference
    assert count(db, "SELECT count(*) FROM meta WHERE key = 'grams'") == 0
    assert count(db, "SELECT count(*) FROM transcript_grams") == \
        count(db, "SELECT count(*) FROM transcripts")


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


# 1,600 calls: 16 extensive pages; groups begin at the page that reaches 1,000 calls and
# hold up to 60 pages (SYNC_GROUP_FROM, SYNC_GROUP_PAGES in ingest/sync.c), so the last
# seven calls pages and their transcripts are one transaction
GROUPED = dict(calls=1600, seed=3, start="2024-01-01", days=120)
GROUP_FROM = 1000


def stored_calls(db):
    try:
        con = connect(db)
        n = con.execute("SELECT count(*) FROM calls").fetchone()[0]
        con.close()
        return n
    except sqlite3.Error:
        return None


def test_first_load_commits_in_groups(fakegong, tmp_path):
    srv = fakegong(latency_ms=60, **GROUPED)
    ref = tmp_path / "ref.db"
    srv.reset()
    run_ingest(ref, *WINDOW, server=srv, check=0)
    reference = content_digest(ref)
    ref_requests = srv.stats()["requests"]
    total = GROUPED["calls"]

    # a reader polling the count sees pages below the threshold, then the whole group
    db = tmp_path / "g.db"
    proc = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *WINDOW],
                            env=ingest_env(srv), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    seen = set()
    while proc.poll() is None:
        n = stored_calls(db)
        if n is not None:
            seen.add(n)
        time.sleep(0.005)
    assert proc.returncode == 0
    seen.add(stored_calls(db))
    assert total in seen
    assert any(0 < n < GROUP_FROM for n in seen), sorted(seen)  # page by page at first
    assert not [n for n in seen if GROUP_FROM < n < total], sorted(seen)
    assert content_digest(db) == reference

    # kill -9 inside the group (5 requests before the end: the group is stored when the
    # last extensive page is, a transcript batch or two later): the group is lost whole,
    # and the same command completes the mirror
    db = tmp_path / "k.db"
    srv.reset()
    proc = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *WINDOW],
                            env=ingest_env(srv), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while proc.poll() is None and srv.stats()["requests"] < ref_requests - 5:
        time.sleep(0.005)
    running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert running, "the load ended before the kill"
    assert 0 < stored_calls(db) < GROUP_FROM
    p = run_ingest(db, server=srv, check=0)
    assert "resuming" in p.stderr, p.stderr
    assert content_digest(db) == reference
