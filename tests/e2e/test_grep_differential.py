"""grep against an independent implementation: Python's re over the fake server's own data.

A mirror is ingested from tools/fakegong.py; the expected hits are computed straight from
tools/gongdata.py (the transcripts, parties and CRM context the server sent), never from
the database. Each pattern is given in both dialects, then crossed with the speaker and deal
filters; every hit (call, sentence start, matched text) must agree, one per match."""
import collections
import json
import re

import pytest

from conftest import FakeGong, run_ingest, run_query

import gongdata

DATA = dict(seed=11, calls=400, start="2024-01-01", days=120)
FROM, TO = "2024-01-01T00:00:00Z", "2024-05-01T00:00:00Z"

# (PCRE2 pattern, the same in Python's re, -i)
PATTERNS = [
    ("Clarivox", "Clarivox", False),
    ("pric(e|ing)", "pric(e|ing)", False),
    ("discount", "discount", True),
    (r"\b(price|pricing|discount)\b", r"\b(price|pricing|discount)\b", True),
    (r"\bSOC ?2\b", r"\bSOC ?2\b", False),
    (r"^(Thanks|So)\b", r"^(Thanks|So)\b", False),
    (r"\?$", r"\?$", False),
    (r"(?<=our )team", r"(?<=our )team", False),
    (r"budget(?! approved)\w*", r"budget(?! approved)\w*", True),
    (r"\w*é\w*", r"\w*é\w*", False),
    (r"[\x{4e00}-\x{9fff}]+", "[\u4e00-\u9fff]+", False),
    (r"\x{1F600}|\x{1F389}|👩‍💻", "\U0001F600|\U0001F389|👩‍💻", False),
    (r"\d{2,}", r"\d{2,}", False),
]
SPEAKERS = ["all", "customer", "rep"]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("diff")
    srv = FakeGong(tmp, rate=0, **DATA)
    db = tmp / "m.db"
    run_ingest(db, "--from", "2024-01-01", "--to", "2024-05-01", server=srv, check=0)
    srv.stop()
    return db


@pytest.fixture(scope="module")
def calls():
    """Per call in the window, with a transcript the mirror holds: its sentences with the
    speaker's affiliation, and the deal stages the default deal timing reads."""
    ds = gongdata.Dataset(**DATA)
    out = {}
    for cid in ds.call_ids():
        if not ds.in_window(cid, FROM, TO):
            continue
        ext = ds.extensive(cid)
        mono = ds.transcript(cid)
        if mono is None or ext["metaData"].get("isPrivate"):
            continue
        aff = {p.get("speakerId"): p.get("affiliation") for p in ext.get("parties") or []
               if p.get("speakerId")}
        sentences = [(s["start"], aff.get(m.get("speakerId")), s["text"])
                     for m in mono for s in m.get("sentences") or []]
        stages = {"TimeOfCall": set(), "Now": set()}
        for ctx in ext.get("context") or []:
            for obj in ctx.get("objects") or []:
                if obj.get("objectType") not in ("Deal", "Opportunity"):
                    continue
                f = {x["name"]: x.get("value") for x in obj.get("fields") or []}
                stage = f.get("dealstage", f.get("StageName"))
                stages.setdefault(obj.get("timing") or "Now", set()).add(
                    str(stage).lower() if stage is not None else None)
        # the default --deal-timing now: the Now snapshot (the fake tenant lists one deal)
        out[cid] = dict(sentences=sentences, stages=stages["Now"])
    return out


def expected(calls, py, caseless, speaker, stage):
    rx = re.compile(py, re.IGNORECASE if caseless else 0)
    want = collections.Counter()
    for cid, c in calls.items():
        if stage and stage not in c["stages"]:
            continue
        for start, aff, text in c["sentences"]:
            if speaker == "customer" and aff != "External":
                continue
            if speaker == "rep" and aff != "Internal":
                continue
            for m in rx.finditer(text):
                want[(cid, start, m.group(0))] += 1
    return want


def got(mirror, pcre, caseless, speaker, stage):
    args = ["grep", pcre, "--format", "jsonl", "--speaker", speaker]
    if caseless:
        args.append("-i")
    if stage:
        args += ["--stage", stage]
    p = run_query(mirror, *args)
    hits = collections.Counter()
    for line in p.stdout.splitlines():
        h = json.loads(line)
        hits[(h["call_id"], h["start_ms"], h["match"])] += 1
    return hits


@pytest.mark.parametrize("pcre,py,caseless", PATTERNS, ids=[p[0] for p in PATTERNS])
def test_grep_equals_python_re(mirror, calls, pcre, py, caseless):
    total = 0
    for speaker in SPEAKERS:
        for stage in (None, "closedlost"):
            want = expected(calls, py, caseless, speaker, stage)
            have = got(mirror, pcre, caseless, speaker, stage)
            assert have == want, (speaker, stage, list((have - want).items())[:3],
                                  list((want - have).items())[:3])
            total += sum(want.values())
    assert total > 0, "the pattern found nothing at all: a weak test"
