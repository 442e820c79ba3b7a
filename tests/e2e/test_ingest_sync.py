"""Incremental sync, late calls, pacing, the daily budget, --plan, and the command line."""
import os
import sqlite3
import stat

import pytest

from conftest import connect, content_digest, ingest_env, run_ingest, INGEST

import subprocess

WINDOW = ("--from", "2024-01-01", "--to", "2024-05-01")
DATA = dict(calls=250, seed=5, start="2024-01-01", days=120)


def test_incremental_sync_picks_up_late_calls(fakegong, tmp_path):
    srv = fakegong(late=5, **DATA)
    db = tmp_path / "l.db"
    run_ingest(db, *WINDOW, server=srv, check=0)
    n1 = connect(db).execute("SELECT count(*) FROM calls").fetchone()[0]
    srv.publish()
    # a later run without --from re-reads the overlap before the last window's end
    p = run_ingest(db, "--to", "2024-05-01", "--overlap", "30d", server=srv, check=0)
    n2 = connect(db).execute("SELECT count(*) FROM calls").fetchone()[0]
    assert n2 == n1 + 5, p.stderr
    assert " 5 calls new" in p.stderr


def test_first_run_needs_from(tmp_path):
    p = run_ingest(tmp_path / "n.db", env=ingest_env(None, GONG_BASE_URL="http://127.0.0.1:9"))
    assert p.returncode == 2 and "--from" in p.stderr


@pytest.mark.parametrize("args,needle", [
    (["--from", "yesterday"], "bad time 'yesterday'"),
    (["--from", "2024-02-01", "--to", "2024-01-01"], "--from must be before --to"),
    (["--rate", "fast"], "--rate"),
    (["--overlap", "2x"], "--overlap"),
    (["--bogus"], "unknown option"),
    (["my-secret"], "unexpected argument"),
])
def test_usage_errors_exit_2(tmp_path, args, needle):
    p = run_ingest(tmp_path / "u.db", *args)
    assert p.returncode == 2 and needle in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_plain_http_refused_for_remote_hosts(tmp_path):
    p = run_ingest(tmp_path / "h.db", *WINDOW,
                   env=ingest_env(None, GONG_BASE_URL="http://api.gong.io"))
    assert p.returncode == 2 and "http" in p.stderr


def test_missing_credentials_exit_2(tmp_path):
    env = ingest_env(None, GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None,
                     GONG_BASE_URL="http://127.0.0.1:9")
    p = run_ingest(tmp_path / "c.db", *WINDOW, env=env)
    assert p.returncode == 2 and "GONG_ACCESS_KEY" in p.stderr


def test_credentials_file_must_be_private(fakegong, tmp_path):
    srv = fakegong(**DATA)
    f = tmp_path / "creds"
    f.write_text("access_key=demo-key\naccess_key_secret=demo-secret\n")
    os.chmod(f, 0o644)
    env = ingest_env(srv, GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None)
    p = run_ingest(tmp_path / "c.db", *WINDOW, "--credentials", f, server=srv, env=env)
    assert p.returncode == 2 and "chmod 600" in p.stderr
    os.chmod(f, 0o600)
    p = run_ingest(tmp_path / "c.db", *WINDOW, "--credentials", f, server=srv, env=env)
    assert p.returncode == 0, p.stderr


def test_plan_counts_and_writes_nothing(fakegong, tmp_path):
    srv = fakegong(**DATA)
    db = tmp_path / "p.db"
    p = run_ingest(db, *WINDOW, "--plan", server=srv, check=0)
    assert not db.exists()
    assert "calls" in p.stdout and "requests" in p.stdout and "budget" in p.stdout
    assert srv.stats()["requests"] <= 2


def test_daily_budget_stops_and_resumes(fakegong, tmp_path):
    srv = fakegong(**DATA)
    db = tmp_path / "b.db"
    p = run_ingest(db, *WINDOW, "--daily-budget", "3", server=srv)
    assert p.returncode == 1 and "budget" in p.stderr, p.stderr
    assert srv.stats()["requests"] == 3
    p = run_ingest(db, *WINDOW, "--daily-budget", "3", server=srv)
    assert p.returncode == 1 and srv.stats()["requests"] == 3  # nothing left today
    p = run_ingest(db, *WINDOW, "--daily-budget", "1000", server=srv)
    assert p.returncode == 0, p.stderr


def test_pacing_never_triggers_429(fakegong, tmp_path):
    srv = fakegong(rate=3, latency_ms=50, calls=500, seed=2, start="2024-01-01", days=120)
    db = tmp_path / "r.db"
    cmd = [INGEST, "--db", str(db), "--rate", "3", *WINDOW]
    p = subprocess.run(cmd, env=ingest_env(srv), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    st = srv.stats()
    assert st["429"] == 0 and st["max_in_1s"] <= 3
    assert st["requests"] >= 10


def test_private_transcripts_only_with_flag(fakegong, tmp_path):
    srv = fakegong(**DATA)
    db = tmp_path / "pv.db"
    run_ingest(db, *WINDOW, server=srv, check=0)
    con = connect(db)
    priv = con.execute("SELECT count(*) FROM calls WHERE is_private").fetchone()[0]
    assert priv > 0
    assert con.execute("SELECT count(*) FROM transcripts t JOIN calls c ON c.id = t.call_id "
                       "WHERE c.is_private").fetchone()[0] == 0
    run_ingest(db, *WINDOW, "--include-private", server=srv, check=0)
    assert connect(db).execute("SELECT count(*) FROM transcripts t JOIN calls c ON "
                               "c.id = t.call_id WHERE c.is_private").fetchone()[0] > 0


def test_no_transcripts_flag(fakegong, tmp_path):
    srv = fakegong(**DATA)
    db = tmp_path / "nt.db"
    run_ingest(db, *WINDOW, "--no-transcripts", server=srv, check=0)
    assert connect(db).execute("SELECT count(*) FROM transcripts").fetchone()[0] == 0
    assert not any(r["path"] == "/v2/calls/transcript" for r in srv.log())


def test_not_a_database_is_a_clear_error(tmp_path, fakegong):
    srv = fakegong(**DATA)
    f = tmp_path / "junk.db"
    f.write_bytes(b"this is not sqlite" * 100)
    before = f.read_bytes()
    p = run_ingest(f, *WINDOW, server=srv)
    # a file that is not a mirror is a configuration error: exit 2, the file untouched
    assert p.returncode == 2 and "not a SQLite database" in p.stderr, p.stderr
    assert f.read_bytes() == before and srv.stats()["requests"] == 0


def test_waiting_transcripts_are_asked_again_in_batches(fakegong, tmp_path):
    srv = fakegong(**DATA)
    db = tmp_path / "w.db"
    run_ingest(db, *WINDOW, server=srv, check=0)
    con = sqlite3.connect(db)
    waiting = {r[0] for r in con.execute(
        "SELECT call_id FROM transcript_status WHERE state = 'waiting' AND attempts = 1")}
    assert waiting
    # a later run before next_try does not ask again
    srv.reset()
    run_ingest(db, *WINDOW, server=srv, check=0)
    assert not [r for r in srv.log() if r["path"] == "/v2/calls/transcript"]
    # once due, they are asked for together, and the interval grows
    first = dict(con.execute("SELECT call_id, next_try FROM transcript_status "
                             "WHERE state = 'waiting'").fetchall())
    con.execute("UPDATE transcript_status SET next_try = '2000-01-01T00:00:00.000Z' "
                "WHERE state = 'waiting'")
    con.commit()
    srv.reset()
    run_ingest(db, *WINDOW, server=srv, check=0)
    asks = [r for r in srv.log() if r["path"] == "/v2/calls/transcript"]
    assert len(asks) == (len(waiting) + 99) // 100
    assert set(i for r in asks for i in r["body"]["filter"]["callIds"]) == waiting
    rows = con.execute("SELECT call_id, attempts, next_try, last_try FROM transcript_status "
                       "WHERE state = 'waiting'").fetchall()
    assert {r[0] for r in rows} == waiting and all(r[1] == 2 for r in rows)
    for cid, _, next_try, last_try in rows:
        gap2 = _ms(next_try) - _ms(last_try)
        assert gap2 >= 2 * 3600 * 1000 - 1000  # 1 h after the first try, 2 h after the second


def _ms(iso):
    import datetime
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000


def test_refresh_deals_rereads_open_deals_of_older_calls(fakegong, tmp_path):
    srv = fakegong(**DATA)
    db = tmp_path / "rd.db"
    run_ingest(db, *WINDOW, server=srv, check=0)
    before = content_digest(db)
    toc = sqlite3.connect(db).execute(
        "SELECT * FROM deals WHERE timing = 'TimeOfCall' ORDER BY call_id, deal_id").fetchall()
    con = sqlite3.connect(db)
    open_old = {r[0] for r in con.execute(
        "SELECT DISTINCT c.id FROM calls c JOIN deals d ON d.call_id = c.id AND d.timing = 'Now' "
        "WHERE c.started < '2024-04-01' AND d.stage IS NOT NULL AND lower(d.stage) NOT LIKE "
        "'closed%'")}
    assert open_old
    srv.reset()
    p = run_ingest(db, "--from", "2024-04-01", "--to", "2024-05-01", "--refresh-deals",
                   server=srv, check=0)
    asked = [r for r in srv.log() if r["path"] == "/v2/calls/extensive"
             and (r["body"].get("filter") or {}).get("callIds")]
    ids = [i for r in asked for i in r["body"]["filter"]["callIds"]]
    assert all(len(r["body"]["filter"]["callIds"]) <= 100 for r in asked)
    assert set(ids) == open_old and len(ids) == len(open_old)
    assert "refreshed the deal context" in p.stderr
    assert content_digest(db) == before
    assert sqlite3.connect(db).execute(
        "SELECT * FROM deals WHERE timing = 'TimeOfCall' ORDER BY call_id, deal_id").fetchall() == toc
