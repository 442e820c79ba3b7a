"""The mirror is exact: every call, party, deal and transcript byte that the fake Gong
server sent is in the database; a second run changes nothing; requests stay few."""
import json
import sqlite3

import pytest

from conftest import (connect, content_digest, expected_transcript_text, ingest_env,
                      run_ingest, transcript_lines)

import gongdata

START, DAYS = "2024-01-01", 120
WINDOW = ("--from", "2024-01-01", "--to", "2024-05-01")


def dataset(calls, seed=1):
    return gongdata.Dataset(seed=seed, calls=calls, start=START, days=DAYS)


@pytest.fixture(scope="module")
def mirror2000(tmp_path_factory):
    """One ingest of 2,000 calls shared by the checks below (it takes a few seconds)."""
    from conftest import FakeGong
    tmp = tmp_path_factory.mktemp("m2000")
    srv = FakeGong(tmp, calls=2000, seed=1, start=START, days=DAYS, rate=0)
    db = tmp / "m.db"
    p = run_ingest(db, *WINDOW, server=srv, check=0)
    stats = srv.stats()
    yield dict(db=db, srv=srv, run=p, stats=stats, ds=dataset(2000))
    srv.stop()


def test_every_call_and_raw_json_is_mirrored(mirror2000):
    ds, con = mirror2000["ds"], connect(mirror2000["db"])
    want = {cid for cid in ds.call_ids()
            if ds.in_window(cid, "2024-01-01T00:00:00Z", "2024-05-01T00:00:00Z")}
    got = {r[0] for r in con.execute("SELECT id FROM calls")}
    assert got == want and len(want) >= 1900
    for r in con.execute("SELECT call_id, size, body FROM calls_raw"):
        assert json.loads(transcript_lines(r["body"], r["size"])) == ds.extensive(r["call_id"])


def test_every_transcript_is_byte_identical(mirror2000):
    ds, con = mirror2000["ds"], connect(mirror2000["db"])
    stored = {r["call_id"]: transcript_lines(r["body"], r["size"])
              for r in con.execute("SELECT call_id, size, body FROM transcripts")}
    private = {r[0] for r in con.execute("SELECT id FROM calls WHERE is_private")}
    checked = 0
    for cid in (r[0] for r in con.execute("SELECT id FROM calls")):
        mono = ds.transcript(cid)
        if cid in private:
            assert cid not in stored, "private transcripts need --include-private"
        elif mono is None:
            assert cid not in stored
        else:
            assert stored[cid] == expected_transcript_text(mono), cid
            checked += 1
    assert checked >= 1500
    # stock sqlite3's sqlar_uncompress reads the same text
    con2 = sqlite3.connect(mirror2000["db"])
    assert con2.execute("SELECT count(*) FROM transcripts").fetchone()[0] == checked


def test_calls_without_transcript_are_waiting(mirror2000):
    ds, con = mirror2000["ds"], connect(mirror2000["db"])
    for r in con.execute("SELECT call_id, state FROM transcript_status"):
        has = ds.transcript(r["call_id"]) is not None
        private = ds.extensive(r["call_id"])["metaData"].get("isPrivate")
        want = "private" if private else ("done" if has else "waiting")
        assert r["state"] == want, r["call_id"]


def _fields(obj):
    return {f["name"]: f.get("value") for f in obj.get("fields") or []}


def test_every_deal_field_at_both_timings(mirror2000):
    ds, con = mirror2000["ds"], connect(mirror2000["db"])
    n_deals = 0
    timings = set()
    for cid in (r[0] for r in con.execute("SELECT id FROM calls")):
        rows = {(r["timing"], r["deal_id"]): r for r in con.execute(
            "SELECT * FROM deals WHERE call_id = ?", (cid,))}
        for ctx in ds.extensive(cid).get("context") or []:
            for obj in ctx.get("objects") or []:
                if obj.get("objectType") not in ("Deal", "Opportunity"):
                    continue
                key = (obj.get("timing"), obj.get("objectId"))
                assert key in rows, (cid, key)
                f, row = _fields(obj), rows[key]
                name = f.get("dealname", f.get("Name"))
                stage = f.get("dealstage", f.get("StageName"))
                amount = f.get("amount", f.get("Amount"))
                assert row["deal_name"] == name and row["stage"] == stage
                if amount is None or amount == "":
                    assert row["amount"] is None
                else:
                    assert row["amount"] == pytest.approx(float(amount))
                timings.add(key[0])
                n_deals += 1
        # crm_fields keeps every field, lossless
        n_fields = sum(len(o.get("fields") or []) for c in ds.extensive(cid).get("context") or []
                       for o in c.get("objects") or [])
        assert con.execute("SELECT count(*) FROM crm_fields WHERE call_id = ? AND party_ord IS NULL",
                           (cid,)).fetchone()[0] == n_fields
    assert timings == {"Now", "TimeOfCall"} and n_deals > 1000


def test_parties_and_users(mirror2000):
    ds, con = mirror2000["ds"], connect(mirror2000["db"])
    assert con.execute("SELECT count(*) FROM users").fetchone()[0] == len(ds.users())
    for cid in list(r[0] for r in con.execute("SELECT id FROM calls"))[:300]:
        parties = ds.extensive(cid).get("parties") or []
        got = con.execute("SELECT party_id, speaker_id, name, affiliation FROM parties "
                          "WHERE call_id = ? ORDER BY ord", (cid,)).fetchall()
        assert [tuple(r) for r in got] == [(p.get("id"), p.get("speakerId"), p.get("name"),
                                            p.get("affiliation")) for p in parties]


def test_ids_are_text_and_times_utc(mirror2000):
    con = connect(mirror2000["db"])
    assert con.execute("SELECT count(*) FROM calls WHERE typeof(id) != 'text'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM calls WHERE length(id) = 20").fetchone()[0] > 0
    bad = con.execute("SELECT count(*) FROM calls WHERE started NOT GLOB "
                      "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'"
                      ).fetchone()[0]
    assert bad == 0


def test_requests_per_1000_calls(mirror2000):
    stats, con = mirror2000["stats"], connect(mirror2000["db"])
    calls = con.execute("SELECT count(*) FROM calls").fetchone()[0]
    per_1000 = stats["requests"] * 1000 / calls
    print(f"requests: {stats['requests']} for {calls} calls = {per_1000:.1f} per 1000")
    assert per_1000 <= 25
    assert "synced" in mirror2000["run"].stderr


def test_second_run_changes_nothing(mirror2000, tmp_path):
    db = mirror2000["db"]
    before = content_digest(db)
    stamps = connect(db).execute("SELECT max(last_changed), count(*) FROM calls").fetchone()
    p = run_ingest(db, *WINDOW, server=mirror2000["srv"], check=0)
    assert " 0 calls new, 0 updated" in p.stderr
    assert content_digest(db) == before
    assert tuple(connect(db).execute("SELECT max(last_changed), count(*) FROM calls").fetchone()) \
        == tuple(stamps)


def test_secrets_never_stored_or_printed(mirror2000):
    raw = open(mirror2000["db"], "rb").read()
    assert b"demo-secret" not in raw
    assert "demo-secret" not in mirror2000["run"].stderr


def test_status_describes_the_mirror(mirror2000):
    p = run_ingest(mirror2000["db"], "--status", check=0)
    assert "calls" in p.stdout and "transcripts" in p.stdout and "last window" in p.stdout
    assert "complete" in p.stdout
