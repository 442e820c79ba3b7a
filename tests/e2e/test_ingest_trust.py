"""callmine-ingest a user can trust in the first hour (issue 9 items 1-4, CONTRACT):

- resuming is the same command: SIGINT or kill -9 at several moments of a 1,500-call run,
  then the identical command line (--from given again, --to left at "now"): it says
  "resuming", the two runs together send at most the requests of an uninterrupted run
  plus 3 (plus, after kill -9, the pages of a first load's open group: GROUP_PAGES), and
  the mirror is identical;
- one writer: a second ingest on the same file exits 1 at once, sends nothing, names the
  other process; together they draw no 429 from a server limited to 3 requests/s;
- every usage or configuration error exits 2 with one line and leaves every file as it was
  (names, sizes, modification times, bytes); a base URL where nothing listens is reported
  within seconds;
- --status tells a live run from a killed one;
- --plan's estimate equals the requests the run then makes.
Run with -s to see the figures (requests per case, the error table)."""
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time

import pytest

from conftest import INGEST, FakeGong, content_digest, ingest_env, run_ingest

FROM = ("--from", "2024-01-01")  # --to left at its default, now
BIG = dict(calls=1500, seed=7, start="2024-01-01", days=120)
# a first load commits up to this many pages in one transaction once 1,000 calls are stored
# (SYNC_GROUP_PAGES in ingest/sync.c): a kill -9 fetches that group again, Ctrl-C does not
GROUP_PAGES = 20
SMALL = dict(calls=250, seed=5, start="2024-01-01", days=120)


def requests_of(srv):
    return srv.stats()["requests"]


# ---- resuming is the same command ----------------------------------------------------------

@pytest.fixture(scope="module")
def big_reference(tmp_path_factory):
    """(digest, requests, seconds) of an uninterrupted run of the identical command."""
    tmp = tmp_path_factory.mktemp("bigref")
    srv = FakeGong(tmp, rate=0, latency_ms=60, prewarm=True, **BIG)
    db = tmp / "ref.db"
    t0 = time.monotonic()
    run_ingest(db, *FROM, server=srv, check=0)
    secs = time.monotonic() - t0
    out = (content_digest(db), requests_of(srv), secs)
    srv.stop()
    return out


@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bigsrv")
    srv = FakeGong(tmp, rate=0, latency_ms=60, prewarm=True, **BIG)
    yield srv
    srv.stop()


@pytest.mark.parametrize("sig,share", [(signal.SIGINT, 0.1), (signal.SIGKILL, 0.3),
                                       (signal.SIGINT, 0.55), (signal.SIGKILL, 0.75),
                                       (signal.SIGKILL, 0.9)],
                         ids=["int-10%", "kill-30%", "int-55%", "kill-75%", "kill-90%"])
def test_identical_command_resumes(big_server, big_reference, tmp_path, sig, share):
    """The moment is a share of the uninterrupted run's requests (the calls phase up to
    about 55%, the transcript phase after), so it does not depend on the machine's speed."""
    digest, ref_requests, secs = big_reference
    srv = big_server
    srv.reset()
    db = tmp_path / "r.db"
    cmd = [INGEST, "--db", str(db), "--rate", "0", *FROM]
    proc = subprocess.Popen(cmd, env=ingest_env(srv), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    at = max(2, int(ref_requests * share))
    while requests_of(srv) < at:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.005)
    time.sleep(0.03)  # inside the request, or storing its page
    proc.send_signal(sig)
    _, err1 = proc.communicate(timeout=60)
    first = requests_of(srv)
    if sig == signal.SIGINT:
        assert proc.returncode == 1 and "interrupted" in err1, err1
        assert "re-run the same command" in err1
    p = run_ingest(db, *FROM, server=srv)
    assert p.returncode == 0, p.stderr
    total = requests_of(srv)
    m = re.search(r"resuming the window (\S+) \.\. (\S+) \((\d+) calls already stored", p.stderr)
    assert m, p.stderr
    print(f"{sig.name} after request {at} of {ref_requests}: first run {first} requests, resumed run "
          f"{total - first} ({m.group(3)} calls already stored), together {total}; "
          f"uninterrupted {ref_requests}")
    assert total <= ref_requests + 3 + (GROUP_PAGES if sig == signal.SIGKILL else 0)
    assert content_digest(db) == digest


def test_resume_keeps_the_window_end_fixed_when_it_began(fakegong, tmp_path):
    srv = fakegong(latency_ms=150, **SMALL)
    db = tmp_path / "w.db"
    proc = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *FROM],
                            env=ingest_env(srv), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while requests_of(srv) < 3:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = sqlite3.connect(db)
    to1 = con.execute("SELECT value FROM sync_state WHERE key = 'window_to'").fetchone()[0]
    con.close()
    time.sleep(1.1)  # "now" has moved on; the window's end must not
    p = run_ingest(db, *FROM, server=srv, check=0)
    assert "resuming the window" in p.stderr
    con = sqlite3.connect(db)
    last_to = con.execute(
        "SELECT value FROM sync_state WHERE key = 'last_completed_to'").fetchone()[0]
    runs = con.execute("SELECT window_from, window_to, outcome FROM runs ORDER BY id").fetchall()
    assert int(last_to) == int(to1)
    # runs keep the window as fixed-width UTC text with milliseconds
    assert runs[-1][0] == "2024-01-01T00:00:00.000Z" and runs[-1][2] == "done"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", runs[-1][1])
    assert runs[0][2] == "killed"


# ---- one writer --------------------------------------------------------------------------

# The ingests below pace at 2 requests/s against a server that allows 3: what is checked is
# that a second writer adds no request, not the pacing (test_ingest_sync checks that), and a
# client pacing at exactly the server's limit can see a 429 when a loaded machine delays one
# request and not the next.
def test_second_ingest_on_the_same_file_exits_1_at_once(fakegong, tmp_path):
    srv = fakegong(rate=3, **SMALL)
    ref = tmp_path / "ref.db"
    cmd_ref = [INGEST, "--db", str(ref), "--rate", "2", *FROM]
    subprocess.run(cmd_ref, env=ingest_env(srv), capture_output=True, check=True)
    one_run = requests_of(srv)
    srv.reset()
    db = tmp_path / "two.db"
    cmd = [INGEST, "--db", str(db), "--rate", "2", *FROM]
    first = subprocess.Popen(cmd, env=ingest_env(srv), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    while requests_of(srv) < 1:
        assert first.poll() is None
        time.sleep(0.01)
    sent = requests_of(srv)
    t0 = time.monotonic()
    second = subprocess.run(cmd, env=ingest_env(srv), capture_output=True, text=True, timeout=30)
    took = time.monotonic() - t0
    first_still_running = first.poll() is None
    assert requests_of(srv) - sent <= 1  # the first one's own pacing, not the second's
    _, err = first.communicate(timeout=120)
    lines = second.stderr.strip().splitlines()
    print(f"second ingest: exit {second.returncode} in {took * 1000:.0f} ms: {lines}")
    assert second.returncode == 1 and len(lines) == 1, second.stderr
    assert f"pid {first.pid}" in lines[0] and "another callmine-ingest" in lines[0]
    assert first_still_running  # at once: it did not wait for the first (paced: seconds)
    assert first.returncode == 0, err
    st = srv.stats()
    assert st["429"] == 0 and st["requests"] == one_run, st
    # the second one left no trace in the file
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_two_ingests_started_together(fakegong, tmp_path):
    srv = fakegong(rate=3, **SMALL)
    db = tmp_path / "tog.db"
    cmd = [INGEST, "--db", str(db), "--rate", "2", *FROM]
    procs = [subprocess.Popen(cmd, env=ingest_env(srv), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    t0 = time.monotonic()
    ends = {}
    while len(ends) < 2:
        for i, p in enumerate(procs):
            if i not in ends and p.poll() is not None:
                ends[i] = time.monotonic() - t0
        time.sleep(0.005)
    codes = sorted(p.returncode for p in procs)
    loser = [i for i, p in enumerate(procs) if p.returncode == 1]
    errs = [p.stderr.read() for p in procs]
    print(f"started together: exits {codes}, the loser ended after "
          f"{ends[loser[0]] * 1000:.0f} ms: {errs[loser[0]].strip()}")
    assert codes == [0, 1], errs
    assert ends[loser[0]] < ends[1 - loser[0]]  # at once, while the winner still ran
    assert "another callmine-ingest" in errs[loser[0]]
    st = srv.stats()
    assert st["429"] == 0, st


def _lock_holder_alive_status(db):
    return subprocess.run([INGEST, "--db", str(db), "--status"], env=ingest_env(None),
                          capture_output=True, text=True, timeout=30)


def test_status_tells_a_live_run_from_a_killed_one(fakegong, tmp_path):
    srv = fakegong(latency_ms=200, **SMALL)
    db = tmp_path / "s.db"
    proc = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *FROM],
                            env=ingest_env(srv), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while requests_of(srv) < 2:
        time.sleep(0.02)
    live = _lock_holder_alive_status(db)
    assert live.returncode == 0, live.stderr
    assert "running now" in live.stdout and f"pid {proc.pid}" in live.stdout, live.stdout
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    dead = _lock_holder_alive_status(db)
    line = [ln for ln in dead.stdout.splitlines() if ln.startswith("last run")][0]
    print("after kill -9:", line)
    assert "killed" in line and "running now" not in dead.stdout
    assert "open window" in dead.stdout


# ---- usage and configuration errors: exit 2, one line, nothing created or changed --------

def snapshot(folder):
    """Every file under folder with its size, mtime and bytes."""
    out = {}
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            st = os.stat(p)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, folder)] = (st.st_size, st.st_mtime_ns, fh.read())
    return out


@pytest.fixture(scope="module")
def small_mirror(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("smallmirror")
    srv = FakeGong(tmp, rate=0, **SMALL)
    db = tmp / "m.db"
    run_ingest(db, *FROM, server=srv, check=0)
    srv.stop()
    return db


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def setup_case(case, d, small_mirror):
    """Make what the case needs under d; return (args, env overrides)."""
    db = d / "x.db"
    env = {}
    if case.get("mirror"):
        shutil.copy(small_mirror, db)
    if case.get("junk"):
        db.write_bytes(b"this is not sqlite" * 100)
    if case.get("empty"):
        db.write_bytes(b"")
    if case.get("foreign"):
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE notes(x)")
        con.commit()
        con.close()
    if case.get("newer"):
        shutil.copy(small_mirror, db)
        con = sqlite3.connect(db)
        con.execute("PRAGMA user_version = 99")
        con.close()
    if case.get("creds"):
        f = d / "creds"
        f.write_text("access_key=demo-key\naccess_key_secret=demo-secret\n")
        os.chmod(f, case["creds"])
        env.update(GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None)
    if case.get("nocreds"):
        env.update(GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None)
    if case.get("notdir"):
        (d / "plain").write_text("a file, not a folder\n")
    args = [a.replace("DB", str(db)).replace("DIR", str(d)) for a in case["args"]]
    return args, env


CASES = [
    dict(id="bad option", args=["--db", "DB", "--bogus"]),
    dict(id="bad option, existing mirror", mirror=1, args=["--db", "DB", "--bogus"]),
    dict(id="bad value", args=["--db", "DB", "--rate", "fast"]),
    dict(id="bad time", args=["--db", "DB", "--from", "2024-13-45"]),
    dict(id="from after to", args=["--db", "DB", "--from", "2024-02-01", "--to", "2024-01-01"]),
    dict(id="stray argument", args=["--db", "DB", "my-secret"]),
    dict(id="missing --from, new file", args=["--db", "DB"]),
    dict(id="missing --from, empty file", empty=1, args=["--db", "DB"]),
    dict(id="missing --from, --plan", args=["--db", "DB", "--plan"]),
    dict(id="not SQLite", junk=1, args=["--db", "DB", *FROM]),
    dict(id="SQLite, not a mirror", foreign=1, args=["--db", "DB", *FROM]),
    dict(id="newer schema", newer=1, args=["--db", "DB", *FROM]),
    dict(id="folder missing", args=["--db", "DIR/no/such/dir/x.db", *FROM]),
    dict(id="parent is a file", notdir=1, args=["--db", "DIR/plain/x.db", *FROM]),
    dict(id="db is a folder", args=["--db", "DIR", *FROM]),
    dict(id="no credentials", nocreds=1, args=["--db", "DB", *FROM]),
    dict(id="credentials 0644", creds=0o644, args=["--db", "DB", *FROM, "--credentials",
                                                  "DIR/creds"]),
    dict(id="credentials missing", nocreds=1,
         args=["--db", "DB", *FROM, "--credentials", "DIR/nofile"]),
    dict(id="plain http to a remote host", args=["--db", "DB", *FROM, "--base-url",
                                                 "http://api.gong.io"]),
    dict(id="bad base url", args=["--db", "DB", *FROM, "--base-url", "ftp://x"]),
    dict(id="connection refused", refused=1, args=["--db", "DB", *FROM, "--base-url",
                                                   "http://127.0.0.1:PORT"]),
    dict(id="connection refused, existing mirror", refused=1, mirror=1,
         args=["--db", "DB", *FROM, "--base-url", "http://127.0.0.1:PORT"]),
    dict(id="connection refused, --plan", refused=1,
         args=["--db", "DB", *FROM, "--plan", "--base-url", "http://127.0.0.1:PORT"]),
    dict(id="DNS failure", args=["--db", "DB", *FROM, "--base-url",
                                 "https://no-such-host.invalid"]),
    dict(id="--status, no file", args=["--db", "DB", "--status"]),
    dict(id="--status, not a mirror", junk=1, args=["--db", "DB", "--status"]),
    dict(id="--plan and --status", args=["--db", "DB", "--plan", "--status"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_usage_and_configuration_errors_change_nothing(fakegong, small_mirror, tmp_path, case):
    srv = fakegong(**SMALL)
    d = tmp_path / "case"
    d.mkdir()
    args, env_over = setup_case(case, d, small_mirror)
    if case.get("refused"):
        args = [a.replace("PORT", str(closed_port())) for a in args]
    before = snapshot(d)
    env = ingest_env(srv, **env_over)
    t0 = time.monotonic()
    p = subprocess.run([INGEST, "--rate", "0", *args], env=env, capture_output=True, text=True,
                       timeout=60)
    took = time.monotonic() - t0
    lines = p.stderr.strip().splitlines()
    shown = " ".join(a.replace(str(d), "D") for a in args)
    print(f"\nROW | callmine-ingest {shown} | {p.returncode} | "
          f"{lines[0].replace(str(d), 'D') if lines else ''} | {took:.2f}s")
    assert p.returncode == 2, p.stderr
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("callmine-ingest: ")
    assert snapshot(d) == before, "a file was created or changed"
    assert srv.stats()["requests"] == 0
    if case.get("refused"):
        assert "cannot connect to" in lines[0] and took < 5, (took, lines)
    if "DNS" in case["id"]:
        assert "cannot connect to" in lines[0] and took < 15, (took, lines)


def test_version():
    p = subprocess.run([INGEST, "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout == "callmine-ingest 0.4.4 (schema 4)\n"


def test_connection_refused_later_in_a_run_keeps_its_retries(fakegong, tmp_path):
    """Only the first contact is a configuration check; a dropped connection mid-run is
    retried as before."""
    srv = fakegong(fault=[{"path": "/v2/calls/extensive", "kind": "drop", "after": 1,
                           "count": 2}], **SMALL)
    p = run_ingest(tmp_path / "d.db", *FROM, server=srv)
    assert p.returncode == 0, p.stderr


# ---- --plan counts every request the run makes ---------------------------------------------

def plan_requests(db, *args, server):
    p = run_ingest(db, *args, "--plan", server=server, check=0)
    m = re.search(r"requests\s+about (\d+)", p.stdout)
    assert m, p.stdout
    return int(m.group(1)), p.stdout


def test_plan_equals_the_run(fakegong, tmp_path):
    srv = fakegong(**SMALL)
    db = tmp_path / "p.db"
    window = ("--from", "2024-01-01", "--to", "2024-05-01")
    figures = []
    # plain: a new mirror
    est, out = plan_requests(db, *window, server=srv)
    assert not db.exists()
    srv.reset()
    run_ingest(db, *window, server=srv, check=0)
    figures.append(("plain", est, requests_of(srv)))
    # --refresh-deals: a later window, re-reading the open deals of older calls
    later = ("--from", "2024-04-01", "--to", "2024-05-01", "--refresh-deals")
    est, out = plan_requests(db, *later, server=srv)
    assert "refresh batches" in out
    srv.reset()
    run_ingest(db, *later, server=srv, check=0)
    figures.append(("--refresh-deals", est, requests_of(srv)))
    # waiting transcripts that are due again
    con = sqlite3.connect(db)
    waiting = con.execute("UPDATE transcript_status SET next_try = '2000-01-01T00:00:00.000Z' "
                          "WHERE state = 'waiting'").rowcount
    con.commit()
    con.close()
    assert waiting > 0
    est, out = plan_requests(db, *window, server=srv)
    srv.reset()
    run_ingest(db, *window, server=srv, check=0)
    figures.append((f"{waiting} waiting due", est, requests_of(srv)))
    print("\n".join(f"plan {name}: estimated {e}, the run made {r}" for name, e, r in figures))
    for name, e, r in figures:
        assert e == r, (name, e, r)


def test_summary_and_status_count_the_same_waiting(fakegong, tmp_path):
    srv = fakegong(**SMALL)
    db = tmp_path / "c.db"
    run_ingest(db, "--from", "2024-01-01", "--to", "2024-03-01", server=srv, check=0)
    p = run_ingest(db, "--from", "2024-03-01", "--to", "2024-05-01", server=srv, check=0)
    m = re.search(r"\((\d+) waiting in the mirror\)", p.stderr)
    st = run_ingest(db, "--status", server=srv, check=0)
    w = re.search(r"waiting\s+(\d+) calls", st.stdout)
    assert m and w and m.group(1) == w.group(1), (p.stderr, st.stdout)
    assert "429s" not in p.stderr
