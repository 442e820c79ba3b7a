"""End-to-end tests of grep's n-gram index (table transcript_grams, schema/grams.h).

The index only lets grep skip transcripts that cannot match, so grep's output must be the
same with it and without it: every pattern here runs against a mirror and against a copy
of it after `DELETE FROM transcript_grams`, and the outputs are compared byte for byte.
Two mirrors: one mirrored by callmine-ingest from tools/fakegong.py (the ingest writes the
index), and one built by hand with edge cases (Kelvin sign and long s, escapes, tabs,
invalid UTF-8) whose index `export --redact` writes.
"""
import hashlib
import json
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import minimirror  # noqa: E402
from conftest import QUERY, FakeGong, run_ingest  # noqa: E402

WINDOW = ["--from", "2023-01-01", "--to", "2026-01-01"]
GRAMS_BYTES = 960

# (grep arguments before the pattern, pattern): literals, caseless, alternations, Unicode
PATTERNS = [
    ([], "Northwind"),
    (["-i"], "northwind"),
    (["-i"], r"\b(price|pricing|discount)\b"),
    ([], "security review"),
    (["-i"], "SECURITY REVIEW"),
    ([], r"budget.{0,40}approval"),
    ([], "Göteborg"),
    (["-i"], "GÖTEBORG"),
    ([], "Björk|Jérôme|Ayşe"),
    ([], "(?i)kraków"),
    ([], "我们下周"),
    ([], "价格"),
    ([], "👍"),
    (["-i"], r"\bsku\b|ssl|kubernetes"),
    ([], r"\bQ[1-4]\b"),
    ([], "zzqqxxjj"),
    ([], "^Thanks"),
]


def q(db, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALLMINE_", "NO_COLOR"))}
    p = subprocess.run([QUERY, "--db", str(db), *map(str, args)], capture_output=True,
                       env=env, timeout=120)
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    return p.stdout


def without_index(db, tmp_path):
    copy = tmp_path / (pathlib.Path(db).stem + "-noindex.db")
    shutil.copyfile(db, copy)
    con = sqlite3.connect(copy)
    con.execute("DELETE FROM transcript_grams")
    con.commit()
    con.close()
    return copy


def index_digest(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    h = hashlib.sha256()
    for call_id, bits in con.execute("SELECT call_id, bits FROM transcript_grams ORDER BY 1"):
        h.update(call_id.encode() + b"\0" + bits)
    con.close()
    return h.hexdigest()


def same_output(db, plain, args):
    a, b = q(db, "grep", *args), q(plain, "grep", *args)
    assert a == b, f"grep {args}: {len(a)} bytes with the index, {len(b)} without"
    return a


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """A 400-call mirror written by callmine-ingest, and the same without its index."""
    tmp = tmp_path_factory.mktemp("grepidx")
    srv = FakeGong(tmp, calls=400, seed=3, rate=0)
    try:
        db = tmp / "mirror.db"
        run_ingest(db, *WINDOW, server=srv, check=0)
        before = index_digest(db)
        run_ingest(db, *WINDOW, server=srv, check=0)  # a second run changes nothing
        assert index_digest(db) == before
    finally:
        srv.stop()
    return db, without_index(db, tmp)


def test_ingest_writes_one_filter_per_transcript(ingested):
    db, plain = ingested
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n_t = con.execute("SELECT count(*) FROM transcripts").fetchone()[0]
    rows = con.execute("SELECT count(*), min(length(bits)), max(length(bits)), "
                       "sum(bits = zeroblob(length(bits))) FROM transcript_grams").fetchone()
    orphans = con.execute("SELECT count(*) FROM transcript_grams WHERE call_id NOT IN "
                          "(SELECT call_id FROM transcripts)").fetchone()[0]
    con.close()
    assert n_t > 300
    assert rows[:3] == (n_t, GRAMS_BYTES, GRAMS_BYTES) and orphans == 0
    assert rows[3] < n_t // 10  # only empty transcripts have empty filters
    assert sqlite3.connect(plain).execute(
        "SELECT count(*) FROM transcript_grams").fetchone()[0] == 0


@pytest.mark.parametrize("flags,pattern", PATTERNS)
def test_same_hits_with_and_without_the_index(ingested, flags, pattern):
    db, plain = ingested
    out = same_output(db, plain, ["--format", "jsonl", *flags, "-e", pattern])
    if pattern in ("Northwind", "Göteborg", "价格"):
        assert out, f"{pattern} should be in the fake data"


def test_same_counts_lists_context_and_filters(ingested):
    db, plain = ingested
    assert same_output(db, plain, ["-c", "-i", "discount"])
    assert same_output(db, plain, ["-l", "Northwind|Bluepeak"])
    assert same_output(db, plain, ["-C", "1", "--color", "never", "-i", "security review"])
    same_output(db, plain, ["--speaker", "customer", "--format", "jsonl", "-i", "pricing"])
    same_output(db, plain, ["--max-hits", "7", "--format", "jsonl", "-i", "pricing"])
    same_output(db, plain, ["--from", "2024-03-01", "--to", "2024-04-01", "--format", "tsv",
                            "-i", "budget"])
    same_output(db, plain, ["-j", "1", "--format", "jsonl", "Göteborg|München"])


def test_hits_come_oldest_first_when_call_ids_do_not_follow_time(ingested):
    """Workers read a batch's transcripts in id order; the hits still print by call start."""
    db, _ = ingested
    rows = [json.loads(line) for line in q(db, "grep", "--format", "jsonl", "-i",
                                           r"\bpric(e|ing)\b").splitlines()]
    keys = [(r["started"], r["call_id"]) for r in rows]
    assert len({r["call_id"] for r in rows}) > 64  # more than two batches
    assert keys == sorted(keys)
    text = q(db, "grep", "--color", "never", "-i", "northwind").decode()
    heads = [line for line in text.splitlines() if " · id " in line]
    assert heads == sorted(heads, key=lambda h: h.split(" · ")[1])


def test_a_dropped_or_damaged_index_means_a_full_scan(ingested, tmp_path):
    db, plain = ingested
    want = q(plain, "grep", "--format", "jsonl", "-i", "northwind")
    damaged = tmp_path / "damaged.db"
    shutil.copyfile(db, damaged)
    con = sqlite3.connect(damaged)
    con.execute("UPDATE transcript_grams SET bits = substr(bits, 1, 100)")
    con.commit()
    con.close()
    assert q(damaged, "grep", "--format", "jsonl", "-i", "northwind") == want
    con = sqlite3.connect(damaged)
    con.execute("DROP TABLE transcript_grams")
    con.commit()
    con.close()
    assert q(damaged, "grep", "--format", "jsonl", "-i", "northwind") == want


def test_export_copies_the_index(ingested, tmp_path):
    db, _ = ingested
    out = tmp_path / "copy.db"
    q(db, "export", out, "--from", "2024-02-01", "--to", "2024-06-01")
    con = sqlite3.connect(out)
    n_t, n_g = con.execute("SELECT (SELECT count(*) FROM transcripts), "
                           "(SELECT count(*) FROM transcript_grams)").fetchone()
    con.close()
    assert n_t > 0 and n_g == n_t
    none = tmp_path / "none.db"
    q(db, "export", none, "--no-transcripts")
    assert sqlite3.connect(none).execute(
        "SELECT count(*) FROM transcript_grams").fetchone()[0] == 0


# ---- edge cases, indexed by export --redact -------------------------------------------------

EDGE = [
    ("e1", "Kelvin and long s", [
        (0, 1000, "s1", "We run \u212Aubernetes with \u017Fingle \u017Fign-on and SKU limits"),
        (1000, 2000, "s2", "Email me at bob@globex.com about the pricing"),
    ]),
    ("e2", "Escapes and tabs", [
        (0, 1000, "s1", "Line one\nline two with a \\ backslash"),
        (1000, 2000, "s2", "col a\tcol b, carriage\rreturn"),
        (2000, 3000, "s1", "caf\u00e9 na\u00efve CAF\u00c9 \u00c5ngstr\u00f6m \u212Bngstr\u00f6m"),
    ]),
    ("e3", "Plain", [
        (0, 1000, "s1", "Nothing special here, just discount talk."),
        (1000, 2000, "", "An unknown voice mentions Northwind."),
    ]),
]

EDGE_PATTERNS = [
    (["-i"], "kubernetes"),
    ([], "Kubernetes"),
    ([], "\u212Aubernetes"),
    (["-i"], "single sign"),
    (["-i"], "sku"),
    ([], "SKU"),
    ([], "one\nline"),
    ([], "line two"),
    ([], r"a \\ back"),
    ([], "col a\tcol b"),
    ([], "carriage\rreturn"),
    (["-i"], "CAFÉ"),
    ([], "café"),
    (["-i"], "ångström"),
    ([], "\ufffd byte"),
    ([], r"\x{FFFD} byte"),
    ([], "bad"),
    (["-i"], r"\[email\]"),
    ([], "bob@globex"),
    (["-i"], "northwind|discount"),
]


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grepedge")
    src = tmp / "src.db"
    m = minimirror.Mirror(src)
    for i, (cid, title, sentences) in enumerate(EDGE):
        m.call(cid, title, f"2024-03-0{i + 1}T10:00:00Z")
        m.party(cid, "s1", "Dana Rep", "Internal")
        m.party(cid, "s2", "Bob Buyer", "External")
        m.transcript(cid, sentences)
    m.call("e4", "Broken bytes", "2024-03-09T10:00:00Z")
    m.transcript("e4", [(0, 1, "s1", "x")], raw=b"0\t1000\ts1\tbad \xff byte pricing\n")
    m.close()
    db = tmp / "edge.db"
    q(src, "export", db, "--redact")  # writes the index for the redacted text
    return db, without_index(db, tmp)


def test_export_redact_indexes_the_redacted_text(edge):
    db, _ = edge
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*), min(length(bits)) FROM transcript_grams").fetchone() \
        == (4, GRAMS_BYTES)
    con.close()
    assert b"[email]" in q(db, "grep", "--format", "jsonl", "-e", r"\[email\]")


@pytest.mark.parametrize("flags,pattern", EDGE_PATTERNS)
def test_edge_cases_same_with_and_without_the_index(edge, flags, pattern):
    db, plain = edge
    same_output(db, plain, ["--format", "jsonl", *flags, "-e", pattern])


def test_edge_cases_find_what_they_should(edge):
    db, _ = edge
    hits = lambda *a: q(db, "grep", "-c", *a).decode()  # noqa: E731
    assert "e1\t1" in hits("-i", "kubernetes")  # the Kelvin sign matches k caselessly
    assert hits("Kubernetes") == ""
    assert "e1\t1" in hits("-i", "single sign")  # the long s matches s caselessly
    assert "e2\t1" in hits("line two")
    assert "e2\t2" in hits("-i", "CAFÉ")  # café and CAFÉ
    assert "e4\t1" in hits(r"\x{FFFD} byte")  # invalid UTF-8 is searched as U+FFFD
