"""Shared fixtures for the end-to-end tests.

Each test starts tools/fakegong.py on a free loopback port with the data size, rate
limit and faults it wants, runs the real binaries from $CALLMINE_BIN (default bin/)
against it, then checks the database with Python's sqlite3 and the server's request log.
"""
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("CALLMINE_BIN", ROOT / "bin"))
INGEST = str(BIN / "callmine-ingest")
QUERY = str(BIN / "callmine-query")
sys.path.insert(0, str(ROOT / "tools"))

KEY, SECRET = "demo-key", "demo-secret"


class FakeGong:
    """A running tools/fakegong.py and its control API."""

    def __init__(self, tmp_path, **opts):
        args = [sys.executable, str(ROOT / "tools" / "fakegong.py"), "--port", "0"]
        for k, v in opts.items():
            flag = "--" + k.replace("_", "-")
            if isinstance(v, (list, tuple)):
                for item in v:
                    args += [flag, item if isinstance(item, str) else json.dumps(item)]
            elif v is True:
                args.append(flag)
            elif v is not None and v is not False:
                args += [flag, str(v)]
        self.stderr = open(tmp_path / f"fakegong-{time.monotonic_ns()}.log", "w+")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("URL "):
            self.stderr.seek(0)
            raise RuntimeError("fakegong did not start: " + line + self.stderr.read()[-2000:])
        self.url = line.split()[1]

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def stats(self):
        return self._call("GET", "/_fake/stats")

    def log(self):
        return self._call("GET", "/_fake/log")

    def faults(self, schedule):
        return self._call("POST", "/_fake/faults", schedule)

    def publish(self):
        return self._call("POST", "/_fake/publish", {})

    def reset(self):
        return self._call("POST", "/_fake/reset", {})

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.stderr.close()


@pytest.fixture
def fakegong(tmp_path):
    """Factory: fakegong(calls=300, seed=1, rate=0, ...) -> FakeGong."""
    servers = []

    def start(**opts):
        opts.setdefault("rate", 0)
        srv = FakeGong(tmp_path, **opts)
        servers.append(srv)
        return srv

    yield start
    for s in servers:
        s.stop()


def ingest_env(server=None, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GONG_", "CALLMINE_"))}
    env.update(GONG_ACCESS_KEY=KEY, GONG_ACCESS_KEY_SECRET=SECRET,
               CALLMINE_BACKOFF_BASE="0.01", CALLMINE_TIMEOUT="10",
               # never the tester's own OAuth login (~/.config/callmine/token)
               CALLMINE_TOKEN_FILE="/nonexistent/callmine-token")
    if server is not None:
        env["GONG_BASE_URL"] = server.url
    env.update({k: v for k, v in extra.items() if v is not None})
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
    return env


def run_ingest(db, *args, server=None, env=None, timeout=300, check=None):
    """Run callmine-ingest --db DB ARGS...; returns the CompletedProcess (text)."""
    cmd = [INGEST, "--db", str(db), "--rate", "0", *map(str, args)]
    p = subprocess.run(cmd, env=env or ingest_env(server), capture_output=True, text=True,
                       timeout=timeout)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}\n{p.stderr[-3000:]}"
    return p


def ingested_mirror(d, calls, seed, window=("--from", "2024-01-01", "--to", "2024-06-01")):
    """d/m.db: a mirror of `calls` fake calls (seed) ingested once, unthrottled, over window
    (default the first five months of 2024, where the fake server's calls start)."""
    srv = FakeGong(d, calls=calls, seed=seed, rate=0)
    try:
        db = d / "m.db"
        run_ingest(db, *window, server=srv, check=0)
    finally:
        srv.stop()
    return db


def run_query(db, *args, env=None, timeout=300, check=0, input=None):
    cmd = [QUERY, "--db", str(db), *map(str, args)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                       input=input)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}\n{p.stderr[-3000:]}"
    return p


def kill_first_load_at(db, server, window, calls, timeout=60):
    """Start a first ingest of window into db, kill -9 it once `calls` calls are stored (a
    few pages in), and return how many were; an ingest that ended first returns them all."""
    proc = subprocess.Popen([INGEST, "--db", str(db), "--rate", "0", *window],
                            env=ingest_env(server), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            con = connect(db)
            stored = con.execute("SELECT count(*) FROM calls").fetchone()[0]
            con.close()
        except sqlite3.Error:
            continue
        if stored >= calls:
            break
    proc.kill()
    proc.wait(30)
    return stored


def connect(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    return con


def transcript_lines(body, size):
    """Decode a stored transcript blob (sqlar convention) into its text."""
    raw = body if len(body) == size else zlib.decompress(body)
    assert len(raw) == size
    return raw.decode("utf-8")


def encode_sentence(text):
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def expected_transcript_text(monologues):
    """The stored text for a transcript as served by Gong (README's format)."""
    out = []
    for m in monologues:
        spk = m.get("speakerId") or ""
        for s in m.get("sentences") or []:
            out.append(f"{int(s['start'])}\t{int(s['end'])}\t{spk}\t{encode_sentence(s['text'])}\n")
    return "".join(out)


def content_digest(db):
    """A digest over every public table and the transcript text, to compare mirrors."""
    import hashlib
    con = connect(db)
    h = hashlib.sha256()
    tables = ["users", "calls", "parties", "crm_fields", "deals", "topics", "call_structure",
              "trackers", "tracker_occurrences", "speakers", "interaction_stats", "key_points",
              "action_items"]
    skip = {"first_mirrored", "last_changed"}
    for t in tables:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({t})") if r[1] not in skip]
        rows = con.execute(f"SELECT {','.join(cols)} FROM {t}").fetchall()
        for r in sorted(repr(tuple(r)) for r in rows):
            h.update(r.encode())
    for r in con.execute("SELECT call_id, size, body FROM transcripts ORDER BY call_id"):
        h.update(r["call_id"].encode())
        h.update(transcript_lines(r["body"], r["size"]).encode())
    for r in con.execute("SELECT call_id, size, body FROM calls_raw ORDER BY call_id"):
        h.update(transcript_lines(r["body"], r["size"]).encode())
    con.close()
    return h.hexdigest()
