"""callmine-query search: ranked full-text search over the FTS5 sentence index.

The mirror comes from the real ingest (which writes the index in each transcript's
transaction) against the fake server. Checked: the jsonl shape of the contract; best first;
the hits for a word are exactly the sentences that contain it as a word (Python's own
reading of the stored transcripts, case- and accent-folded); highlights; --speaker and the
FILTERS; a bad FTS5 query (one line, exit 2); export keeps the index, drops it with
--no-search-index and rebuilds it from the redacted text with --redact; a file whose index
tables are not callmine's is refused.
"""
import json
import re
import shutil
import sqlite3
import unicodedata
import zlib

import pytest

from conftest import FakeGong, connect, ingest_env, ingested_mirror, run_ingest, run_query, transcript_lines

HIT_KEYS = ["call_id", "title", "started", "speaker_id", "speaker_name", "affiliation",
            "start_ms", "text", "snippet", "score", "url"]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    return ingested_mirror(tmp_path_factory.mktemp("search"), calls=150, seed=5)


def fold(s):
    """Case- and accent-folded, as unicode61 remove_diacritics 2 reads Latin text."""
    return "".join(c for c in unicodedata.normalize("NFD", s.lower())
                   if not unicodedata.combining(c))


def sentences(db):
    """Every stored sentence: (call_id, start_ms, speaker_id, text)."""
    con = connect(db)
    out = []
    for r in con.execute("SELECT call_id, size, body FROM transcripts"):
        for line in transcript_lines(r["body"], r["size"]).splitlines():
            a, _b, spk, text = line.split("\t", 3)
            text = text.replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")
            out.append((r["call_id"], int(a), spk, text))
    con.close()
    return out


def search(db, *args, check=0):
    p = run_query(db, "--format", "jsonl", "search", *args, check=check)
    return [json.loads(line) for line in p.stdout.splitlines()], p


def index_state(db):
    con = sqlite3.connect(db)
    con.execute("INSERT INTO search_sentences(search_sentences, rank) "
                "VALUES ('integrity-check', 0)")
    state = (con.execute("SELECT count(*) FROM search_calls").fetchone()[0],
             con.execute("SELECT count(*) FROM transcripts").fetchone()[0],
             con.execute("SELECT count(*) FROM search_sentences_data").fetchone()[0])
    con.close()
    return state


def test_the_ingest_indexes_every_transcript_once(tmp_path):
    srv = FakeGong(tmp_path, calls=40, seed=2, rate=0)
    try:
        db = tmp_path / "i.db"
        run_ingest(db, "--from", "2024-01-01", "--to", "2024-06-01", server=srv, check=0)
        first = index_state(db)
        assert first[0] == first[1] > 0
        con = sqlite3.connect(db)  # small leaf pages: a phrase's common words seek less
        assert con.execute("SELECT v FROM search_sentences_config WHERE k = 'pgsz'"
                           ).fetchone() == (1000,)
        con.close()
        n_sentences = sum(1 for _c, _a, _s, t in sentences(db) if t)
        hits, _ = search(db, "the OR a OR to OR and OR we OR you OR i", "--limit", "0")
        assert 0 < len(hits) <= n_sentences
        run_ingest(db, "--from", "2024-01-01", "--to", "2024-06-01", server=srv, check=0)
        assert index_state(db) == first  # an unchanged transcript is not indexed again
    finally:
        srv.stop()


def test_hits_have_the_contract_shape_best_first(mirror):
    hits, p = search(mirror, "pricing", "--limit", "30")
    assert len(hits) == 30
    for h in hits:
        assert list(h) == HIT_KEYS
        assert "pricing" in fold(h["text"])
        assert "**" in h["snippet"] and "pricing" in fold(h["snippet"])
        assert h["url"].endswith(h["call_id"])
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert "30 hits in" in p.stderr and "--limit" in p.stderr


@pytest.mark.parametrize("word", ["clarivox", "budget", "jurgen", "procurement"])
def test_hits_are_exactly_the_sentences_with_the_word(mirror, word):
    hits, _ = search(mirror, word, "--limit", "0")
    got = sorted((h["call_id"], h["start_ms"], h["text"]) for h in hits)
    want = sorted((c, a, t) for c, a, _s, t in sentences(mirror)
                  if re.search(rf"(?<![^\W_]){word}(?![^\W_])", fold(t)))
    assert want, f"the fake data should say {word}"
    assert got == want


def test_accents_and_case_do_not_matter_and_the_original_is_highlighted(mirror):
    hits, _ = search(mirror, "JURGEN", "--limit", "3")
    assert hits and all("**Jürgen**" in h["snippet"] for h in hits), hits[:1]


def test_prefix_phrase_or_not(mirror):
    pre, _ = search(mirror, "procure*", "--limit", "0")
    assert pre and all("procure" in fold(h["text"]) for h in pre)
    phrase, _ = search(mirror, '"need to go through"', "--limit", "0")
    for h in phrase:
        assert "need to go through" in fold(h["text"])
    either, _ = search(mirror, "clarivox OR procurement", "--limit", "0")
    one, _ = search(mirror, "clarivox", "--limit", "0")
    two, _ = search(mirror, "procurement", "--limit", "0")
    assert len(either) == len({(h["call_id"], h["start_ms"]) for h in one + two})
    nope, _ = search(mirror, "pricing NOT procurement", "--limit", "0")
    assert nope and all("procurement" not in fold(h["text"]) for h in nope)


def test_speaker_and_filters(mirror):
    cust, _ = search(mirror, "pricing", "--speaker", "customer", "--limit", "0")
    assert cust and all(h["affiliation"] == "External" for h in cust)
    rep, _ = search(mirror, "pricing", "--speaker", "rep", "--limit", "0")
    assert rep and all(h["affiliation"] == "Internal" for h in rep)
    lost, _ = search(mirror, "pricing", "--stage", "closedlost", "--limit", "0")
    con = connect(mirror)
    stages = {r[0] for r in con.execute(
        "SELECT DISTINCT lower(stage) FROM deals WHERE timing = 'Now' AND call_id IN (%s)"
        % ",".join("?" * len(lost)), [h["call_id"] for h in lost])}
    con.close()
    assert lost and stages == {"closedlost"}
    early, _ = search(mirror, "pricing", "--to", "2024-02-01", "--limit", "0")
    assert early and all(h["started"] < "2024-02-01" for h in early)


def test_equal_scores_spread_over_calls(mirror):
    hits, _ = search(mirror, "pricing", "--limit", "10")
    assert len({h["call_id"] for h in hits}) == 10  # not ten sentences of one call
    every, _ = search(mirror, "pricing", "--limit", "0")
    assert max(h["score"] for h in every) == hits[0]["score"]


def test_text_output_reads_like_grep(mirror):
    p = run_query(mirror, "search", "clarivox", "--limit", "2")
    lines = p.stdout.splitlines()
    assert " · id " in lines[0]
    assert re.match(r"\d\d:\d\d .+ \((rep|customer)\): .*[Cc]larivox", lines[1]), lines


@pytest.mark.parametrize("query", ["don't", "AND", '"unclosed', "NEAR(a b,", "nosuchcol: x"])
def test_bad_query_is_one_line_exit_2(mirror, query):
    p = run_query(mirror, "search", query, check=2)
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("callmine-query: search: bad query"), lines
    assert p.stdout == ""


def test_export_keeps_drops_or_rebuilds_the_index(mirror, tmp_path):
    src = tmp_path / "src.db"
    shutil.copy(mirror, src)
    # a transcript with an e-mail address in it (written behind the index's back: export
    # rebuilds the copy's index from the text, so the source's index does not matter)
    con = sqlite3.connect(src)
    cid, size, body = con.execute(
        "SELECT call_id, size, body FROM transcripts ORDER BY call_id LIMIT 1").fetchone()
    text = transcript_lines(body, size) + "999999\t1000000\t\tmail me at zed@globex-corp.com\n"
    raw = text.encode()
    con.execute("UPDATE transcripts SET size = ?, body = ? WHERE call_id = ?",
                (len(raw), zlib.compress(raw), cid))
    con.commit()
    con.close()
    plain, red, none = tmp_path / "plain.db", tmp_path / "red.db", tmp_path / "none.db"
    run_query(src, "export", plain, "--stage", "closedlost")
    run_query(src, "export", red, "--redact")
    run_query(src, "export", none, "--no-search-index")
    hits, _ = search(plain, "clarivox", "--limit", "0")
    want, _ = search(mirror, "clarivox", "--stage", "closedlost", "--limit", "0")
    def key(h):  # scores differ: bm25 weighs a word by how rare it is in the whole index
        return (h["call_id"], h["start_ms"], h["text"], h["snippet"])
    assert hits and sorted(map(key, hits)) == sorted(map(key, want))
    assert search(red, "globex", "--limit", "0")[0] == []
    mail, _ = search(red, '"mail me at email"', "--limit", "0")
    assert [h["text"] for h in mail] == ["mail me at [email]"]
    p = run_query(none, "search", "pricing", check=1)
    assert "no search index" in p.stderr and len(p.stderr.splitlines()) == 1
    assert run_query(none, "grep", "-c", "pricing").stdout  # grep needs no index
    con = sqlite3.connect(none)
    assert con.execute("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'search%'"
                       ).fetchone()[0] == 0
    con.close()


@pytest.mark.parametrize("sabotage", [
    "DROP TABLE search_sentences; CREATE TABLE search_sentences(text)",
    "DROP TABLE search_sentences_idx; "
    "CREATE VIEW search_sentences_idx AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL "
    "SELECT n + 1 FROM r) SELECT n AS segid, '' AS term, n AS pgno FROM r",
    "DROP TABLE search_calls; CREATE VIEW search_calls AS SELECT 1 AS num, id AS call_id "
    "FROM calls",
])
def test_index_tables_that_are_not_callmines_are_refused(mirror, tmp_path, sabotage):
    db = tmp_path / "bad.db"
    shutil.copy(mirror, db)
    con = sqlite3.connect(db)
    con.execute("PRAGMA writable_schema = ON")  # allowed on this trusted test connection
    con.executescript(sabotage)
    con.close()
    p = run_query(db, "search", "pricing", check=1, timeout=20)
    assert len(p.stderr.splitlines()) == 1 and "search index" in p.stderr, p.stderr


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """30 calls of 1,000 sentences, each 'pricing review N': 30,000 matches of the word and
    of the phrase, more than the 20,000 a top-N query ranks."""
    import minimirror
    path = tmp_path_factory.mktemp("crowded") / "crowded.db"
    m = minimirror.Mirror(path)
    m.user("u1", "Dana", "Smith", "dana@acme.com")
    for c in range(30):
        cid = str(7000000000000000000 + c)
        m.call(cid, f"Review {c}", f"2024-03-{1 + c % 28:02d}T10:00:00.000Z", primary_user_id="u1")
        m.party(cid, "s1", "Dana Smith", "Internal", user_id="u1")
        m.transcript(cid, [(i * 1000, i * 1000 + 900, "s1", f"pricing review {i}")
                           for i in range(1000)])
    m.close()
    return str(path)


@pytest.mark.parametrize("query", ["pricing", '"pricing review"'])
def test_over_the_window_the_newest_matches_are_ranked(crowded, query):
    # Every sentence scores the same, so the best are each call's newest sentence, the
    # calls newest first. The window is the newest 20,000 matches (by index order): the
    # 20 calls numbered highest. A phrase is read forwards in slices; the slice that
    # overflows must give up its oldest rows, not its newest.
    con = connect(crowded)
    newest = [r[0] for r in con.execute("SELECT call_id FROM search_calls ORDER BY num DESC")]
    con.close()
    hits, p = search(crowded, query, "--limit", "25")
    assert "the newest 20000 were ranked" in p.stderr
    assert [h["call_id"] for h in hits[:20]] == newest[:20]
    assert all(h["start_ms"] == 999000 for h in hits[:20])
    assert {h["call_id"] for h in hits} <= set(newest[:20])
