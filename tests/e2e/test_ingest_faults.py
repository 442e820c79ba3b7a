"""Transient faults are retried; persistent ones stop the run with exit 1 and a clear
message, and a re-run completes the exact mirror. Auth failures exit 3."""
import os
import signal
import subprocess
import time

import pytest

from conftest import INGEST, connect, content_digest, ingest_env, run_ingest

WINDOW = ("--from", "2024-01-01", "--to", "2024-05-01")
DATA = dict(calls=250, seed=3, start="2024-01-01", days=120)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The digest of an uninterrupted, fault-free mirror of DATA."""
    from conftest import FakeGong
    tmp = tmp_path_factory.mktemp("ref")
    srv = FakeGong(tmp, rate=0, **DATA)
    db = tmp / "ref.db"
    run_ingest(db, *WINDOW, server=srv, check=0)
    srv.stop()
    return content_digest(db)


TRANSIENT = [
    {"path": "/v2/calls/extensive", "kind": "status", "status": 500, "count": 2},
    {"path": "/v2/calls/extensive", "kind": "status", "status": 502, "after": 1, "count": 1},
    {"path": "/v2/calls/transcript", "kind": "status", "status": 503, "count": 3},
    {"path": "/v2/calls/extensive", "kind": "status", "status": 429, "retry_after": 1, "count": 2},
    {"path": "/v2/users", "kind": "status", "status": 429, "count": 1},
    {"path": "/v2/calls/extensive", "kind": "drop", "after": 1, "count": 1},
    {"path": "/v2/calls/transcript", "kind": "truncate", "count": 1},
    {"path": "/v2/calls/extensive", "kind": "malformed", "after": 2, "count": 1},
    {"path": "/v2/calls/transcript", "kind": "html", "count": 1},
    {"path": "/v2/calls/extensive", "kind": "expire_cursor", "after": 1, "count": 1},
    {"path": "/v2/calls/extensive", "kind": "duplicate", "after": 1, "count": 1},
]


@pytest.mark.parametrize("fault", TRANSIENT, ids=lambda f: f"{f['kind']}-{f.get('status', '')}-{f['path'].split('/')[-1]}")
def test_transient_fault_gives_the_exact_mirror(fakegong, tmp_path, reference, fault):
    srv = fakegong(fault=[fault], **DATA)
    db = tmp_path / "f.db"
    p = run_ingest(db, *WINDOW, server=srv)
    assert p.returncode == 0, p.stderr
    assert content_digest(db) == reference
    assert srv.stats()["by_status"] or True


def test_429_is_counted_in_summary(fakegong, tmp_path):
    srv = fakegong(fault=[{"path": "*", "kind": "status", "status": 429, "retry_after": 1,
                           "count": 2}], **DATA)
    p = run_ingest(tmp_path / "a.db", *WINDOW, server=srv, check=0)
    assert "2 answered 429" in p.stderr


def test_500_storm_stops_with_exit_1_then_resumes(fakegong, tmp_path, reference):
    srv = fakegong(fault=[{"path": "/v2/calls/extensive", "kind": "status", "status": 500,
                           "after": 1, "count": 50}], **DATA)
    db = tmp_path / "s.db"
    p = run_ingest(db, *WINDOW, server=srv)
    assert p.returncode == 1, p.stderr
    assert "HTTP 500" in p.stderr and "re-run" in p.stderr
    assert len(p.stderr.strip().splitlines()[0]) < 400
    # what was mirrored before the storm is kept
    assert connect(db).execute("SELECT count(*) FROM calls").fetchone()[0] >= 100
    srv.faults([])
    p = run_ingest(db, server=srv)  # no --from: resumes the saved window
    assert p.returncode == 0, p.stderr
    assert content_digest(db) == reference


def test_persistently_malformed_json_stops_cleanly(fakegong, tmp_path, reference):
    srv = fakegong(fault=[{"path": "/v2/calls/transcript", "kind": "malformed", "count": 20}],
                   **DATA)
    db = tmp_path / "m.db"
    p = run_ingest(db, *WINDOW, server=srv)
    assert p.returncode == 1 and "malformed" in p.stderr, p.stderr
    srv.faults([])
    assert run_ingest(db, *WINDOW, server=srv).returncode == 0
    assert content_digest(db) == reference


def test_slow_server_times_out_and_retries(fakegong, tmp_path, reference):
    srv = fakegong(fault=[{"path": "/v2/calls/extensive", "kind": "slow", "seconds": 4,
                           "count": 1}], **DATA)
    db = tmp_path / "t.db"
    p = run_ingest(db, *WINDOW, server=srv, env=ingest_env(srv, CALLMINE_TIMEOUT="1"))
    assert p.returncode == 0, p.stderr
    assert content_digest(db) == reference


def test_vanishing_call_is_not_fatal(fakegong, tmp_path):
    srv = fakegong(fault=[{"path": "/v2/calls/extensive", "kind": "vanish", "after": 1}], **DATA)
    p = run_ingest(tmp_path / "v.db", *WINDOW, server=srv)
    assert p.returncode == 0, p.stderr


def test_call_vanishing_between_pages_loses_no_other_call(fakegong, tmp_path):
    # Call #97 (page 1) disappears after page 1 is served: Gong's offset cursor then shifts
    # the later records back by one, and call #100 used to be skipped silently.
    import gongdata
    ds = gongdata.Dataset(seed=DATA["seed"], calls=DATA["calls"], start=DATA["start"],
                          days=DATA["days"])
    want = {c for c in ds.call_ids()
            if ds.in_window(c, "2024-01-01T00:00:00Z", "2024-05-01T00:00:00Z")}
    srv = fakegong(fault=[{"path": "/v2/calls/extensive", "kind": "vanish", "after": 1,
                           "call_id": "3120669796199310966"}], **DATA)
    db = tmp_path / "vv.db"
    p = run_ingest(db, *WINDOW, server=srv)
    assert p.returncode == 0, p.stderr
    got = {r[0] for r in connect(db).execute("SELECT id FROM calls")}
    assert got == want  # the vanished call was stored from page 1; nothing else is missing


def test_bad_credentials_exit_3(fakegong, tmp_path):
    srv = fakegong(**DATA)
    p = run_ingest(tmp_path / "x.db", *WINDOW, server=srv,
                   env=ingest_env(srv, GONG_ACCESS_KEY_SECRET="wrong"))
    assert p.returncode == 3, p.stderr
    assert "401" in p.stderr and "wrong" not in p.stderr


def test_bearer_token_works(fakegong, tmp_path, reference):
    srv = fakegong(bearer=["tok123"], **DATA)
    env = ingest_env(srv, GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None,
                     GONG_BEARER_TOKEN="tok123")
    db = tmp_path / "b.db"
    p = run_ingest(db, *WINDOW, server=srv, env=env)
    assert p.returncode == 0, p.stderr
    assert content_digest(db) == reference
    assert all(r["auth"] == "bearer" for r in srv.log())


def test_token_without_users_scope_still_mirrors(fakegong, tmp_path):
    srv = fakegong(bearer=["t=api:calls:read:basic,api:calls:read:extensive,"
                           "api:calls:read:transcript"], **DATA)
    env = ingest_env(srv, GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None,
                     GONG_BEARER_TOKEN="t")
    db = tmp_path / "u.db"
    p = run_ingest(db, *WINDOW, server=srv, env=env)
    assert p.returncode == 0, p.stderr
    assert "api:users:read" in p.stderr and "left out" in p.stderr
    con = connect(db)
    assert con.execute("SELECT count(*) FROM users").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM transcripts").fetchone()[0] > 100


def test_token_without_transcript_scope_still_mirrors(fakegong, tmp_path):
    srv = fakegong(bearer=["t=api:calls:read:basic,api:calls:read:extensive,api:users:read"],
                   **DATA)
    env = ingest_env(srv, GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None,
                     GONG_BEARER_TOKEN="t")
    db = tmp_path / "t.db"
    p = run_ingest(db, *WINDOW, server=srv, env=env)
    assert p.returncode == 0, p.stderr
    assert "api:calls:read:transcript" in p.stderr
    con = connect(db)
    assert con.execute("SELECT count(*) FROM calls").fetchone()[0] > 200
    assert con.execute("SELECT count(*) FROM transcripts").fetchone()[0] == 0


def test_token_without_calls_scope_exits_3(fakegong, tmp_path):
    srv = fakegong(bearer=["t=api:users:read"], **DATA)
    env = ingest_env(srv, GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None,
                     GONG_BEARER_TOKEN="t")
    p = run_ingest(tmp_path / "c.db", *WINDOW, server=srv, env=env)
    assert p.returncode == 3, p.stderr
    assert "api:calls:read:extensive" in p.stderr


def test_kill_9_then_rerun_gives_the_same_mirror(fakegong, tmp_path, reference):
    srv = fakegong(latency_ms=100, **DATA)
    db = tmp_path / "k.db"
    for delay in (0.15, 0.45, 0.8):
        proc = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *WINDOW],
                                env=ingest_env(srv), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        con = connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    p = run_ingest(db, *WINDOW, server=srv)
    assert p.returncode == 0, p.stderr
    assert content_digest(db) == reference


def test_sigint_saves_progress_and_exits_1(fakegong, tmp_path, reference):
    srv = fakegong(latency_ms=100, **DATA)
    db = tmp_path / "i.db"
    proc = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *WINDOW],
                            env=ingest_env(srv), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "interrupted" in err, err
    assert run_ingest(db, server=srv).returncode == 0
    assert content_digest(db) == reference


def test_first_run_interrupted_before_any_page_resumes_without_from(fakegong, tmp_path,
                                                                    reference):
    srv = fakegong(fault=[{"path": "/v2/users", "kind": "slow", "seconds": 3}], **DATA)
    db = tmp_path / "early.db"
    proc = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *WINDOW],
                            env=ingest_env(srv), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(0.8)  # inside the first request
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "interrupted" in err, err
    p = run_ingest(db, server=srv)
    assert p.returncode == 0, p.stderr
    assert content_digest(db) == reference
