"""Incremental sync, late calls, pacing, the daily budget, --plan, and the command line."""
import os
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
    p = run_ingest(f, *WINDOW, server=srv)
    assert p.returncode == 1 and "not a SQLite database" in p.stderr, p.stderr
