"""call_facts_stored (schema 4) equals call_facts_live after everything the ingest commits.

call_facts_live computes a call's facts (sql/004-facts.sql); call_facts_stored holds them and
call_facts reads it. The invariant -- the two hold the same rows, both ways, with the same
value types -- is checked after:
- a first ingest (built once at the load's end), and a run killed during a first load
  (queries still answer from the live view; the next run, or --upgrade, builds the table);
- incremental runs where a call's deal changed stage, a transcript arrived later (the rep
  moves from the primary user to the speaker who talked most), a user was renamed, a CRM
  user renamed, and --refresh-deals;
- `--upgrade` of the committed version-1 fixture and of a version-3 file;
- `export` and `export --redact`.
A stale state is made by editing the mirror as an older Gong answer would have left it (the
stored facts refreshed to match), and clearing the call's digest so the next run re-stores
it; the run must then leave facts equal to what the tables say.
Also: callmine-query refuses a file whose call_facts_stored is a view or has a trigger, and
says what to run on a version-3 file.
"""
import re
import shutil
import sqlite3
import subprocess

import pytest

from conftest import (INGEST, QUERY, ROOT, FakeGong, connect, content_digest, ingest_env,
                      kill_first_load_at, run_ingest, run_query)

WINDOW = ("--from", "2024-01-01", "--to", "2024-05-01")
DATA = dict(calls=400, seed=3, start="2024-01-01", days=120)
COLUMNS = ["call_id", "started", "title", "duration", "url", "scope", "is_private", "rep_id",
           "rep_name", "rep_email", "rep_source", "deal_id", "deal_name", "stage", "amount",
           "close_date", "owner", "owner_name", "company_name", "company_size", "stage_at_call",
           "amount_at_call", "outcome", "has_transcript", "talk_ratio", "longest_monologue_s",
           "questions_rep", "questions_customer", "patience_s", "interactivity"]


def assert_facts_equal(db):
    """stored = live, row for row, both ways, value types too; one row per call."""
    con = connect(db)
    cols = [r[1] for r in con.execute("PRAGMA table_info(call_facts_stored)")]
    assert cols == COLUMNS
    assert [r[1] for r in con.execute("PRAGMA table_info(call_facts)")] == COLUMNS
    extra = con.execute("SELECT * FROM call_facts_stored EXCEPT "
                        "SELECT * FROM call_facts_live").fetchall()
    missing = con.execute("SELECT * FROM call_facts_live EXCEPT "
                          "SELECT * FROM call_facts_stored").fetchall()
    assert not extra and not missing, ([tuple(r) for r in extra[:3]],
                                       [tuple(r) for r in missing[:3]])
    types = " OR ".join(f"typeof(s.{c}) <> typeof(l.{c})" for c in COLUMNS)
    bad = con.execute(f"SELECT count(*) FROM call_facts_stored s JOIN call_facts_live l "
                      f"USING (call_id) WHERE {types}").fetchone()[0]
    assert bad == 0
    n = con.execute("SELECT count(*) FROM calls").fetchone()[0]
    assert con.execute("SELECT count(*) FROM call_facts_stored").fetchone()[0] == n
    assert con.execute("SELECT count(*) FROM call_facts").fetchone()[0] == n
    assert not con.execute("SELECT 1 FROM meta WHERE key = 'facts'").fetchone()
    con.close()
    return n


def stale(db, sql, *params):
    """Edit the mirror as an older answer would have left it: run sql, then make the stored
    facts match the tables (a consistent older state)."""
    w = sqlite3.connect(db)
    w.execute(sql, params)
    w.execute("INSERT OR REPLACE INTO call_facts_stored SELECT * FROM call_facts_live")
    w.commit()
    w.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = FakeGong(tmp_path_factory.mktemp("srv"), rate=0, **DATA)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def base(server, tmp_path_factory):
    db = tmp_path_factory.mktemp("base") / "m.db"
    run_ingest(db, *WINDOW, server=server, check=0)
    return db


@pytest.fixture
def mirror(base, tmp_path):
    db = tmp_path / "m.db"
    shutil.copy(base, db)
    return db


def test_first_ingest_builds_the_facts(base):
    assert assert_facts_equal(base) == DATA["calls"]
    con = connect(base)
    assert con.execute("SELECT type FROM sqlite_schema WHERE name = 'call_facts_stored'"
                       ).fetchone()[0] == "table"
    # the stored rows are written in call_id order (one sorted pass): WITHOUT ROWID
    sql = con.execute("SELECT sql FROM sqlite_schema WHERE name = 'call_facts_stored'"
                      ).fetchone()[0]
    assert "WITHOUT ROWID" in sql
    con.close()


def test_a_changed_deal_stage_is_refreshed(mirror, server):
    con = connect(mirror)
    ids = [r[0] for r in con.execute(
        "SELECT call_id FROM deals WHERE timing = 'Now' AND ord = 0 AND stage IS NOT NULL "
        "ORDER BY call_id LIMIT 5")]
    want = {r[0]: r[1] for r in con.execute(
        "SELECT call_id, stage FROM call_facts WHERE call_id IN (%s)" % ",".join("?" * 5), ids)}
    con.close()
    marks = ",".join("?" * len(ids))
    stale(mirror, f"UPDATE deals SET stage = 'Old Stage' WHERE timing = 'Now' "
                  f"AND call_id IN ({marks})", *ids)
    w = sqlite3.connect(mirror)
    w.execute(f"UPDATE calls_raw SET digest = 'stale' WHERE call_id IN ({marks})", ids)
    w.commit()
    w.close()
    con = connect(mirror)
    assert {r[0] for r in con.execute("SELECT stage FROM call_facts WHERE call_id IN (%s)"
                                      % marks, ids)} == {"Old Stage"}
    con.close()
    run_ingest(mirror, *WINDOW, server=server, check=0)
    assert_facts_equal(mirror)
    con = connect(mirror)
    got = {r[0]: r[1] for r in con.execute(
        "SELECT call_id, stage FROM call_facts WHERE call_id IN (%s)" % marks, ids)}
    con.close()
    assert got == want
    out = run_query(mirror, "--format", "tsv", "calls", "--stage", "Old Stage")
    assert out.stdout.count("\n") == 1  # the header alone


def test_a_transcript_arriving_later_moves_the_rep_to_speech(mirror, server):
    con = connect(mirror)
    row = con.execute(
        "SELECT f.call_id, f.rep_id FROM call_facts f JOIN calls c ON c.id = f.call_id "
        "WHERE f.rep_source = 'speech' AND f.rep_id IS NOT c.primary_user_id "
        "ORDER BY f.call_id LIMIT 1").fetchone()
    assert row, "the fake data has a call whose top speaker is not the primary user"
    call, speech_rep = row[0], row[1]
    con.close()
    w = sqlite3.connect(mirror)
    w.execute("PRAGMA foreign_keys = ON")
    for sql in ("DELETE FROM call_metrics WHERE call_id = ?",
                "DELETE FROM transcripts WHERE call_id = ?",
                "DELETE FROM transcript_grams WHERE call_id = ?",
                "UPDATE transcript_status SET state = 'pending' WHERE call_id = ?"):
        w.execute(sql, (call,))
    w.execute("INSERT OR REPLACE INTO call_facts_stored SELECT * FROM call_facts_live")
    w.commit()
    w.close()
    con = connect(mirror)
    assert con.execute("SELECT rep_source FROM call_facts WHERE call_id = ?",
                       (call,)).fetchone()[0] == "primary"
    con.close()
    run_ingest(mirror, *WINDOW, server=server, check=0)
    assert_facts_equal(mirror)
    con = connect(mirror)
    assert tuple(con.execute("SELECT rep_source, rep_id FROM call_facts WHERE call_id = ?",
                             (call,)).fetchone()) == ("speech", speech_rep)
    con.close()


def test_a_renamed_user_relabels_the_calls_it_names(mirror, server):
    con = connect(mirror)
    uid, name = con.execute("SELECT rep_id, rep_name FROM call_facts WHERE rep_id IS NOT NULL "
                            "GROUP BY rep_id ORDER BY count(*) DESC LIMIT 1").fetchone()
    n = con.execute("SELECT count(*) FROM call_facts WHERE rep_id = ?", (uid,)).fetchone()[0]
    con.close()
    # as an older answer left it: another name, and a raw JSON the next page differs from
    stale(mirror, "UPDATE users SET first_name = 'Renamed', last_name = 'Person', raw = 'x' "
                  "WHERE id = ?", uid)
    con = connect(mirror)
    assert con.execute("SELECT count(*) FROM call_facts WHERE rep_name = 'Renamed Person'"
                       ).fetchone()[0] == n
    con.close()
    run_ingest(mirror, "--from", "2024-04-25", "--to", "2024-05-01", server=server, check=0)
    assert_facts_equal(mirror)
    con = connect(mirror)
    assert con.execute("SELECT count(*) FROM call_facts WHERE rep_id = ? AND rep_name = ?",
                       (uid, name)).fetchone()[0] == n
    con.close()


def test_a_renamed_crm_user_relabels_every_deal_it_owns(mirror, server):
    con = connect(mirror)
    # a CRM user that one day's calls send, and that owns deals of calls on other days
    row = con.execute(
        "SELECT x.object_id, cu.name, substr(c.started, 1, 10) AS day FROM crm_fields x "
        "JOIN calls c ON c.id = x.call_id JOIN crm_users cu ON cu.crm_id = x.object_id "
        "WHERE x.party_ord IS NOT NULL AND x.object_type = 'User' AND EXISTS (SELECT 1 "
        "FROM call_facts f WHERE f.owner = x.object_id AND substr(f.started, 1, 10) <> "
        "substr(c.started, 1, 10)) ORDER BY c.started LIMIT 1").fetchone()
    con.close()
    if not row:
        pytest.skip("the fake tenant sent no CRM user owning other days' deals")
    crm_id, name, day = row
    stale(mirror, "UPDATE crm_users SET name = 'Old Owner Name' WHERE crm_id = ?", crm_id)
    assert connect(mirror).execute("SELECT count(*) FROM call_facts WHERE owner_name = "
                                   "'Old Owner Name'").fetchone()[0] > 1
    # that day's calls are re-stored (digest cleared): they send the CRM user's name again
    w = sqlite3.connect(mirror)
    w.execute("UPDATE calls_raw SET digest = 'stale' WHERE call_id IN (SELECT id FROM calls "
              "WHERE substr(started, 1, 10) = ?)", (day,))
    w.commit()
    w.close()
    nxt = connect(mirror).execute("SELECT date(?, '+1 day')", (day,)).fetchone()[0]
    run_ingest(mirror, "--from", day, "--to", nxt, server=server, check=0)
    assert_facts_equal(mirror)
    con = connect(mirror)
    assert not con.execute("SELECT 1 FROM call_facts WHERE owner_name = 'Old Owner Name'"
                           ).fetchone()
    assert con.execute("SELECT count(*) FROM call_facts WHERE owner = ? AND owner_name = ? "
                       "AND substr(started, 1, 10) <> ?", (crm_id, name, day)).fetchone()[0] > 0
    con.close()


def test_refresh_deals_refreshes_the_facts(mirror, server):
    con = connect(mirror)
    ids = [r[0] for r in con.execute(
        "SELECT f.call_id FROM call_facts f WHERE f.outcome = 'open' AND f.started < "
        "'2024-03-01' ORDER BY f.call_id LIMIT 4")]
    con.close()
    assert ids
    marks = ",".join("?" * len(ids))
    stale(mirror, f"UPDATE deals SET amount = 1 WHERE timing = 'Now' AND call_id IN ({marks})",
          *ids)
    w = sqlite3.connect(mirror)
    w.execute(f"UPDATE calls_raw SET digest = 'stale' WHERE call_id IN ({marks})", ids)
    w.commit()
    w.close()
    run_ingest(mirror, "--from", "2024-04-28", "--to", "2024-05-01", "--refresh-deals",
               server=server, check=0)
    assert_facts_equal(mirror)
    con = connect(mirror)
    assert not con.execute(f"SELECT 1 FROM call_facts WHERE amount = 1 AND call_id IN ({marks})",
                           ids).fetchone()
    con.close()


def test_killed_first_load_answers_then_is_repaired(server, base, tmp_path):
    srv = FakeGong(tmp_path, rate=0, latency_ms=60, **DATA)
    try:
        db = tmp_path / "k.db"
        calls = kill_first_load_at(db, srv, WINDOW, 150)
        assert 0 < calls < DATA["calls"], calls
        con = connect(db)
        assert con.execute("SELECT value FROM meta WHERE key = 'facts'").fetchone()[0] == \
            "rebuild"
        stored = con.execute("SELECT count(*) FROM calls").fetchone()[0]
        live = [tuple(r) for r in con.execute(
            "SELECT call_id, rep_name, stage, outcome FROM call_facts_live ORDER BY call_id")]
        con.close()
        # the query tool answers from the live view while the table is not built
        q = run_query(db, "--format", "tsv", "calls")
        assert q.stdout.count("\n") == stored + 1
        q = run_query(db, "--format", "tsv", "sql",
                      "SELECT call_id, rep_name, stage, outcome FROM call_facts ORDER BY 1")
        assert len(q.stdout.splitlines()) == len(live) + 1
        # --upgrade repairs it without a request; then the run finishes the mirror
        up = tmp_path / "up.db"
        shutil.copy(db, up)
        p = subprocess.run([INGEST, "--db", str(up), "--upgrade"], capture_output=True,
                           text=True, env=ingest_env(srv))
        assert p.returncode == 0, p.stderr
        assert_facts_equal(up)
        run_ingest(db, server=srv, check=0)
        assert_facts_equal(db)
        assert content_digest(db) == content_digest(base)
        a = run_query(db, "--format", "tsv", "sql", "SELECT * FROM call_facts ORDER BY 1")
        b = run_query(base, "--format", "tsv", "sql", "SELECT * FROM call_facts ORDER BY 1")
        assert a.stdout == b.stdout
    finally:
        srv.stop()


def test_upgrade_of_the_version_1_fixture(tmp_path):
    db = tmp_path / "v1.db"
    shutil.copy(ROOT / "tests" / "e2e" / "fixtures" / "v1-mirror.db", db)
    p = subprocess.run([INGEST, "--db", str(db), "--upgrade"], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    con = connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 4
    assert con.execute("SELECT count(*) FROM call_facts WHERE rep_source = 'speech'"
                       ).fetchone()[0] > 0  # the backfill's measures reached the facts
    con.close()
    assert_facts_equal(db)


def as_version_3(db):
    """Turn a fresh mirror back into what schema 3 left: call_facts the computing view of
    sql/002-semantic.sql, no stored facts, FTS5's default page size, user_version 3."""
    body = re.search(r"CREATE VIEW call_facts AS.*?;\n",
                     (ROOT / "sql" / "002-semantic.sql").read_text(), re.S).group(0)
    con = sqlite3.connect(db)
    con.executescript("DROP VIEW call_facts; DROP VIEW call_facts_live; "
                      "DROP TABLE call_facts_stored; DELETE FROM meta WHERE key = 'facts'; "
                      "DELETE FROM search_sentences_config WHERE k = 'pgsz'; " + body +
                      "PRAGMA user_version = 3;")
    con.close()


def test_version_3_file_is_refused_then_upgraded(server, tmp_path):
    db = tmp_path / "v3.db"
    p = subprocess.run([INGEST, "--db", str(db), "--rate", "0",
                        "--from", "2024-01-01", "--to", "2024-02-01"],
                       env=ingest_env(server), capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    as_version_3(db)
    q = run_query(db, "calls", check=None)
    assert q.returncode != 0
    assert q.stderr.strip() == (f"callmine-query: {db} is a version 3 mirror: run "
                                f"callmine-ingest --db {db} --upgrade"), q.stderr
    p = subprocess.run([INGEST, "--db", str(db), "--upgrade"], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    assert "from schema version 3 to 4" in p.stderr
    assert_facts_equal(db)
    con = connect(db)  # and the search index writes small pages from now on (issue 10)
    assert con.execute("SELECT v FROM search_sentences_config WHERE k = 'pgsz'"
                       ).fetchone()[0] == 1000
    con.close()
    run_query(db, "calls")


@pytest.mark.parametrize("redact", [False, True])
def test_export_computes_the_copys_facts(base, tmp_path, redact):
    out = tmp_path / "x.db"
    args = ["export", str(out), "--stage", "closedwon,closedlost"] + (["--redact"] if redact
                                                                       else [])
    run_query(base, *args)
    n = assert_facts_equal(out)
    assert 0 < n < DATA["calls"]
    if redact:  # the copy's users carry no e-mail, nor do its facts
        con = connect(out)
        assert not con.execute("SELECT 1 FROM call_facts WHERE rep_email LIKE '%@%'"
                               ).fetchone()
        con.close()
    # --no-transcripts: no measures, the rep from the primary user, as the live view says
    out2 = tmp_path / "y.db"
    run_query(base, "export", str(out2), "--no-transcripts")
    assert assert_facts_equal(out2) == DATA["calls"]
    assert not connect(out2).execute("SELECT 1 FROM call_facts WHERE rep_source = 'speech'"
                                     ).fetchone()


@pytest.mark.parametrize("attack", ["view", "trigger"])
def test_a_hostile_facts_table_is_refused(base, tmp_path, attack):
    db = tmp_path / "h.db"
    shutil.copy(base, db)
    w = sqlite3.connect(db)
    if attack == "view":
        w.executescript(
            "DROP VIEW call_facts; DROP TABLE call_facts_stored; "
            "CREATE VIEW call_facts_stored AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL "
            "SELECT x + 1 FROM r) SELECT x AS call_id FROM r;")
    else:
        w.executescript("CREATE TRIGGER t AFTER INSERT ON call_facts_stored BEGIN "
                        "SELECT 1; END;")
    w.commit()
    w.close()
    q = run_query(db, "calls", check=None, timeout=20)
    assert q.returncode == 1
    lines = q.stderr.strip().splitlines()
    assert len(lines) == 1 and "call_facts_stored" in lines[0], q.stderr
    assert ("a view" if attack == "view" else "a trigger") in lines[0]
