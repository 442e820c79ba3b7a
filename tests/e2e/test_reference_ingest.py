"""tools/reference_ingest.py, the bench's baseline, mirrors what callmine-ingest mirrors.

`make bench` compares callmine-ingest's cost with this Python reference client; the
comparison is only honest if both store the same data. On 200 fake calls, both mirror
from the same server and the files must hold the same call ids, the same transcript texts
(line format, sentence counts, monologues) and the same rows in every public table. Times
are compared at a fixed width (a v1 binary writes `…:14Z` where v2 writes `…:14.000Z`);
the raw call JSON as parsed JSON (the reference re-serialises it).
"""
import json
import re
import sqlite3
import subprocess
import sys
import zlib

from conftest import ROOT, connect, ingest_env, run_ingest

WINDOW = ["--from", "2023-01-01", "--to", "2026-01-01"]
TABLES = ["users", "calls", "parties", "crm_fields", "deals", "crm_users", "topics",
          "call_structure", "trackers", "tracker_occurrences", "speakers", "interaction_stats",
          "key_points", "action_items", "transcript_status", "call_metrics",
          "call_facts_stored"]
NOT_DATA = {"first_mirrored", "last_changed", "raw", "last_try", "next_try", "fetched"}
TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$")


def fixed(v):
    m = TIME.match(v) if isinstance(v, str) else None
    return f"{m.group(1)}.{((m.group(2) or '') + '000')[:3]}Z" if m else v


def table(db, name):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    cols = [r[1] for r in con.execute(f"PRAGMA table_info({name})") if r[1] not in NOT_DATA]
    rows = sorted(repr(tuple(fixed(v) for v in r))
                  for r in con.execute(f"SELECT {', '.join(cols)} FROM {name}"))
    con.close()
    return rows


def blobs(db, sql):
    con = connect(db)
    out = {}
    for key, size, body, *rest in con.execute(sql):
        raw = body if len(body) == size else zlib.decompress(body)
        assert len(raw) == size
        out[key] = (raw.decode("utf-8"), *rest)
    con.close()
    return out


def run_reference(db, server, *extra):
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "reference_ingest.py"),
                        "--db", str(db), "--quiet", *WINDOW, *extra],
                       env=ingest_env(server), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]


def test_reference_mirrors_what_callmine_ingest_mirrors(fakegong, tmp_path):
    srv = fakegong(calls=200, seed=3, days=60)
    ours, ref = tmp_path / "callmine.db", tmp_path / "reference.db"
    run_ingest(ours, *WINDOW, server=srv, check=0)
    run_reference(ref, srv)

    ids = [r[0] for r in connect(ours).execute("SELECT id FROM calls ORDER BY id")]
    assert len(ids) == 200
    assert [r[0] for r in connect(ref).execute("SELECT id FROM calls ORDER BY id")] == ids

    sql = "SELECT call_id, size, body, sentences, monologues FROM transcripts"
    got, want = blobs(ref, sql), blobs(ours, sql)
    assert len(want) > 150 and got.keys() == want.keys()
    for cid in want:
        assert got[cid] == want[cid], cid

    for name in TABLES:
        assert table(ref, name) == table(ours, name), name

    sql = "SELECT call_id, size, body, digest FROM calls_raw"
    got, want = blobs(ref, sql), blobs(ours, sql)
    assert got.keys() == want.keys()
    for cid in want:
        assert json.loads(got[cid][0]) == json.loads(want[cid][0]), cid


def test_reference_keeps_private_transcripts_out_unless_asked(fakegong, tmp_path):
    srv = fakegong(calls=200, seed=3, days=60)
    ref, ref_all = tmp_path / "reference.db", tmp_path / "reference-all.db"
    run_reference(ref, srv)
    run_reference(ref_all, srv, "--include-private")
    con = connect(ref)
    private = {r[0] for r in con.execute("SELECT id FROM calls WHERE is_private = 1")}
    assert private
    assert {r[0] for r in con.execute(
        "SELECT call_id FROM transcript_status WHERE state = 'private'")} == private
    assert not private & {r[0] for r in con.execute("SELECT call_id FROM transcripts")}
    with_private = {r[0] for r in connect(ref_all).execute("SELECT call_id FROM transcripts")}
    assert private & with_private
