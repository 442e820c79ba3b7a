"""Hostile files given to callmine-query: a shared mirror is untrusted input.

test_query.py already covers a file that is not SQLite, a SQLite file that is not a mirror,
a newer user_version, a missing and an empty file (for `calls`), a single invalid byte in a
transcript, catastrophic patterns and read-only files. Here:

- views, generated columns and triggers that call functions: with trusted_schema off only
  innocuous functions run from the schema; load_extension() (with a real shared object whose
  constructor would leave a marker file) never runs, from a view, from a table replaced by a
  view, or from a trigger, whatever the command;
- the same untrusted files for every command, a FIFO and a directory as --db;
- a real mirror truncated at 1/10, 1/4, 1/2, 3/4, and one with a third of its pages
  overwritten with noise;
- a 100 MB transcript (stored as is, as a zlib bomb, as one 100 MB sentence);
- invalid UTF-8 of every kind inside transcript text, titles and names: JSON output stays
  valid UTF-8 JSON and no sentence is lost;
- transcripts whose size lies and corrupt blobs.

Each must end with correct output or a one-line error (exit 1 or 2), never a signal or a
hang (every run has a timeout) and, for the big transcript, within seconds and bounded memory.
"""
import ctypes
import json
import re
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import time
import zlib

import pytest

from conftest import QUERY, FakeGong, run_ingest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import minimirror  # noqa: E402

COMMANDS = [
    ["calls"],
    ["calls", "--format", "json"],
    ["grep", "-c", "-i", "pricing"],
    ["grep", "--format", "jsonl", "-i", "-C", "1", "--speaker", "all", "pric"],
    ["show", "7001", "--format", "json"],
    ["sql", "SELECT count(*), sum(length(transcript_text(call_id))) FROM transcripts"],
    ["analyze", "talk-ratio"],
]


def env():
    return {k: v for k, v in os.environ.items() if not k.startswith(("CALLMINE_", "NO_COLOR"))}


def q(db, *args, timeout=30, extra_env=None):
    """Run callmine-query; returns (exit status, stdout bytes, stderr text)."""
    e = env()
    e.update(extra_env or {})
    p = subprocess.run([QUERY, "--db", str(db), *map(str, args)], capture_output=True, env=e,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def run_measured(db, *args, timeout=60):
    """Like q(), plus the child's peak RSS in MB (from wait4) and its wall time."""
    import tempfile
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        start = time.monotonic()
        p = subprocess.Popen([QUERY, "--db", str(db), *map(str, args)], stdout=fout,
                             stderr=ferr, env=env())
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                p.kill()
                p.wait()
                raise AssertionError(f"{args} still running after {timeout}s")
            time.sleep(0.01)
        wall = time.monotonic() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        ferr.seek(0)
        return (p.returncode, fout.read(), ferr.read().decode("utf-8", "replace"),
                ru.ru_maxrss / 1024, wall)


def safe(rc, err, what=""):
    """Correct output (0) or a one-line error (1 or 2), never a signal."""
    assert rc in (0, 1, 2), f"{what}: exit {rc} (signal?)\n{err[-2000:]}"
    if rc:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("callmine-query: "), f"{what}: {err}"
        assert len(lines[0]) < 600


def one_line_error(rc, err, *parts):
    assert rc in (1, 2), (rc, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("callmine-query: "), err
    for part in parts:
        assert part in lines[0], lines[0]


def small_mirror(path, transcript=None):
    """Two calls: 7001 (Dana, customer Bob) with the given transcript sentences, 7002."""
    m = minimirror.Mirror(path)
    m.user("u1", "Dana", "Smith", "dana@acme.com")
    m.call("7001", "Acme", "2024-03-01T17:00:00Z", primary_user_id="u1")
    m.party("7001", "s1", "Dana Smith", "Internal", user_id="u1")
    m.party("7001", "s2", "Bob Buyer", "External", email="bob@globex.com")
    m.call("7002", "Other", "2024-03-02T17:00:00Z", primary_user_id="u1")
    m.party("7002", "t1", "Dana Smith", "Internal", user_id="u1")
    m.transcript("7002", [(0, 1000, "t1", "Hello pricing")])
    m.transcript("7001", transcript or [(0, 1000, "s1", "our pricing is fair"),
                                        (1000, 2000, "s2", "pricing again, bob@globex.com")])
    m.close()
    return path


def set_transcript(db, body, size):
    con = sqlite3.connect(db)
    con.execute("UPDATE transcripts SET body = ?, size = ? WHERE call_id = '7001'", (body, size))
    con.commit()
    con.close()


# ---- schema-borne functions -------------------------------------------------------------

EVIL_C = r"""
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void leave_marker(void)
{
    const char *p = getenv("EVIL_MARKER");
    int fd = p ? open(p, O_WRONLY | O_CREAT, 0644) : -1;
    if (fd >= 0)
        close(fd);
}
int sqlite3_extension_init(void *db, char **err, const void *api)
{
    (void)db; (void)err; (void)api;
    return 0;
}
"""


@pytest.fixture(scope="module")
def evil(tmp_path_factory):
    """(path of a shared object that creates $EVIL_MARKER when loaded, marker path)."""
    d = tmp_path_factory.mktemp("evil")
    src, so = d / "evil.c", d / "evil.so"
    src.write_text(EVIL_C)
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if not cc or subprocess.run([cc, "-shared", "-fPIC", "-o", str(so), str(src)]).returncode:
        pytest.skip("no C compiler for the marker extension")
    marker = d / "marker"
    # the control: loading it really does leave the marker
    os.environ["EVIL_MARKER"] = str(marker)
    try:
        ctypes.CDLL(str(so))
    finally:
        del os.environ["EVIL_MARKER"]
    assert marker.exists()
    marker.unlink()
    return so, marker


def hostile_views(db, so):
    import re
    con = sqlite3.connect(db)
    con.create_function("regexp", 2, lambda p, s: int(bool(re.search(p, s))), deterministic=True)
    con.executescript(f"""
        CREATE VIEW v_regexp AS SELECT regexp('pric', 'pricing') AS r,
                                       regexp_count('pricing pricing', 'pric') AS n;
        CREATE VIEW v_upper AS SELECT upper(title) AS t FROM calls ORDER BY id;
        CREATE VIEW v_transcript AS SELECT transcript_text(id) AS t FROM calls;
        CREATE VIEW v_load AS SELECT load_extension('{so}') AS x;
        CREATE VIEW v_load_ep AS SELECT load_extension('{so}', 'sqlite3_extension_init') AS x;
        CREATE VIEW v_writefile AS SELECT writefile('{so}.out', 'x') AS x;
        CREATE VIEW v_readfile AS SELECT readfile('/etc/passwd') AS x;
        CREATE VIEW v_fts3 AS SELECT fts3_tokenizer('simple') AS x;
        CREATE VIEW v_edit AS SELECT edit('x', 'vi') AS x;
        CREATE TABLE gen(a, b AS (regexp('pric', a)));
        INSERT INTO gen(a) VALUES ('pricing');
        CREATE TRIGGER t_calls AFTER INSERT ON users BEGIN SELECT load_extension('{so}'); END;
    """)
    con.close()


def test_views_run_only_innocuous_functions(tmp_path, evil):
    so, marker = evil
    db = small_mirror(tmp_path / "views.db")
    hostile_views(db, so)
    mark = {"EVIL_MARKER": str(marker)}
    rc, out, err = q(db, "--format", "jsonl", "sql", "select * from v_regexp", extra_env=mark)
    assert rc == 0 and json.loads(out) == {"r": 1, "n": 2}, err
    rc, out, err = q(db, "sql", "select * from v_upper", extra_env=mark)
    assert rc == 0 and out.split(b"\n")[1:3] == [b"ACME", b"OTHER"], err
    # generated columns can only call deterministic functions; innocuous ones run
    rc, out, err = q(db, "sql", "select b from gen", extra_env=mark)
    assert rc == 0 and out == b"b\n1\n", err
    for view, why in (("v_transcript", "unsafe use of transcript_text()"),
                      ("v_load", "unsafe use of load_extension()"),
                      ("v_load_ep", "unsafe use of load_extension()"),
                      ("v_writefile", "no such function: writefile"),
                      ("v_readfile", "no such function: readfile"),
                      ("v_fts3", "unsafe use of fts3_tokenizer()"),
                      ("v_edit", "no such function: edit")):
        rc, out, err = q(db, "sql", f"select * from {view}", extra_env=mark)
        one_line_error(rc, err, why)
    # typed directly, the statement is the user's own: still no extension loading
    rc, out, err = q(db, "sql", f"select load_extension('{so}')", extra_env=mark)
    one_line_error(rc, err, "not authorized")
    # every command still works on the file (the trigger never fires: nothing writes)
    for args in COMMANDS + [["export", tmp_path / "copy.db", "--redact"]]:
        rc, out, err = q(db, *args, extra_env=mark)
        assert rc == 0, (args, err)
    assert not marker.exists()
    # and the copy it wrote reads safely too
    rc, out, err = q(tmp_path / "copy.db", "calls", extra_env=mark)
    assert rc == 0 and not marker.exists()


def test_table_replaced_by_a_view_cannot_load_code(tmp_path, evil):
    so, marker = evil
    db = small_mirror(tmp_path / "shadow.db")
    con = sqlite3.connect(db)
    con.executescript(f"""
        PRAGMA foreign_keys = OFF;
        ALTER TABLE calls RENAME TO calls_real;
        CREATE VIEW calls AS SELECT c.*, load_extension('{so}') AS zz FROM calls_real c;
        ALTER TABLE transcripts RENAME TO transcripts_real;
        CREATE VIEW transcripts AS SELECT t.*, transcript_text(t.call_id) AS zz
            FROM transcripts_real t;
    """)
    con.close()
    mark = {"EVIL_MARKER": str(marker)}
    for args in COMMANDS + [["export", tmp_path / "out.db"],
                            ["export", tmp_path / "out.db", "--redact"],
                            ["report", "-o", tmp_path / "r.html"]]:
        rc, out, err = q(db, *args, extra_env=mark)
        one_line_error(rc, err, "'calls' is a view, not a table")  # refused before any query
    assert not marker.exists()
    assert sorted(os.listdir(tmp_path)) == ["shadow.db"]


def test_table_replaced_by_an_endless_view_is_refused(tmp_path):
    db = small_mirror(tmp_path / "endless.db")
    con = sqlite3.connect(db)
    con.executescript("""
        PRAGMA foreign_keys = OFF;
        ALTER TABLE calls RENAME TO calls_real;
        CREATE VIEW calls AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r)
            SELECT c.* FROM calls_real c, r;
    """)
    con.close()
    for args in (["calls"], ["grep", "pricing"], ["show", "7001"]):
        rc, out, err = q(db, *args, timeout=5)
        one_line_error(rc, err, "not a table")


def test_call_facts_is_always_the_programs_own_view(tmp_path):
    """A shared file's own call_facts (here: an endless recursive view) is never read: every
    command answers from the definition built into callmine-query."""
    db = small_mirror(tmp_path / "facts.db")
    con = sqlite3.connect(db)
    honest = con.execute("SELECT count(*) FROM call_facts").fetchone()[0]
    con.executescript("""
        DROP VIEW call_facts;
        CREATE VIEW call_facts AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r)
            SELECT 'evil' AS call_id, x AS outcome FROM r;
    """)
    con.close()
    rc, out, err = q(db, "--format", "tsv", "sql", "SELECT count(*) FROM call_facts", timeout=10)
    assert rc == 0, err
    assert out.decode().splitlines()[1:] == [str(honest)]
    for args in (["calls", "--outcome", "lost"], ["analyze", "activity"]):
        rc, out, err = q(db, *args, timeout=10)
        assert rc == 0 and b"evil" not in out, (args, err)


# ---- files that are not mirrors, for every command ---------------------------------------

def test_untrusted_files_for_every_command(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    header = tmp_path / "header.db"  # a SQLite header, then noise
    header.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 64)
    other = tmp_path / "other.db"
    sqlite3.connect(other).executescript("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
    newer = small_mirror(tmp_path / "newer.db")
    sqlite3.connect(newer).execute("PRAGMA user_version = 99").connection.close()
    fifo = tmp_path / "fifo.db"
    os.mkfifo(fifo)
    for db, why in ((junk, "not a SQLite database"), (header, "not a SQLite database"),
                    (other, "not a callmine mirror"), (newer, "newer"),
                    (fifo, "not a regular file"), (tmp_path, "not a regular file")):
        for args in COMMANDS + [["export", tmp_path / "out.db"],
                                ["report", "-o", tmp_path / "r.html"]]:
            rc, out, err = q(db, *args, timeout=20)
            one_line_error(rc, err, why)
            assert rc == 1 and out == b""
    assert not (tmp_path / "out.db").exists() and not (tmp_path / "r.html").exists()


# ---- damaged real mirrors ----------------------------------------------------------------

@pytest.fixture(scope="module")
def real_mirror(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real")
    srv = FakeGong(tmp, rate=0, calls=250, seed=3, start="2024-01-01", days=120)
    db = tmp / "real.db"
    run_ingest(db, "--from", "2024-01-01", "--to", "2024-05-01", server=srv, check=0)
    srv.stop()
    for suffix in ("-wal", "-shm"):
        assert not pathlib.Path(str(db) + suffix).exists()
    con = sqlite3.connect(db)
    first = con.execute("SELECT call_id FROM transcripts ORDER BY call_id LIMIT 1").fetchone()[0]
    con.close()
    return db, first


def damaged_commands(db, first, tmp):
    return [["calls"], ["calls", "--format", "json"], ["grep", "-c", "-i", "pricing"],
            ["grep", "--format", "jsonl", "-i", "budget"], ["show", first, "--format", "json"],
            ["sql", "SELECT count(*), sum(length(transcript_text(call_id))) FROM transcripts"],
            ["sql", "PRAGMA integrity_check"], ["analyze", "talk-ratio"],
            ["export", tmp / "out.db", "--force"], ["export", tmp / "out.db", "--force",
                                                    "--redact"]]


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.75])
def test_truncated_mirror(real_mirror, tmp_path, fraction):
    src, first = real_mirror
    db = tmp_path / "cut.db"
    data = src.read_bytes()
    db.write_bytes(data[:int(len(data) * fraction)])
    for args in damaged_commands(db, first, tmp_path):
        rc, out, err = q(db, *args)
        safe(rc, err, args)
        assert rc == 1 and "not a SQLite database (or is corrupt)" in err, (args, err)
    assert not (tmp_path / "out.db").exists()


@pytest.mark.parametrize("seed", [1, 2])
def test_mirror_with_noise_over_a_third_of_its_pages(real_mirror, tmp_path, seed):
    import random
    src, first = real_mirror
    rnd = random.Random(seed)
    data = bytearray(src.read_bytes())
    start = int(len(data) * 0.3) + rnd.randrange(4096) * 7
    for i in range(start, start + len(data) // 3):
        data[i] = rnd.randrange(256)
    db = tmp_path / "noise.db"
    db.write_bytes(bytes(data))
    for args in damaged_commands(db, first, tmp_path):
        rc, out, err = q(db, *args)
        safe(rc, err, args)
        if rc:
            assert "malformed" in err or "corrupt" in err, (args, err)
    assert not (tmp_path / "out.db").exists() or \
        sqlite3.connect(tmp_path / "out.db").execute("PRAGMA integrity_check").fetchone()[0] \
        == "ok"


# ---- a 100 MB transcript -----------------------------------------------------------------

LINE = b"0\t1000\ts1\t" + b"our pricing is high " * 50 + b"\n"
BIG = LINE * (100 * 1024 * 1024 // len(LINE))


@pytest.fixture(scope="module", params=["stored", "zlib", "one-sentence"])
def big_transcript(request, tmp_path_factory):
    db = small_mirror(tmp_path_factory.mktemp("big") / f"{request.param}.db")
    if request.param == "stored":  # sqlar: body is the text itself, size == length
        set_transcript(db, BIG, len(BIG))
    elif request.param == "zlib":  # a ~300 KB zlib stream that inflates to 100 MB
        set_transcript(db, zlib.compress(BIG, 9), len(BIG))
    else:
        raw = b"0\t1000\ts1\t" + b"x" * (100 * 1024 * 1024) + b" pricing\n"
        set_transcript(db, zlib.compress(raw, 9), len(raw))
    return db


@pytest.mark.parametrize("args", [
    ["grep", "-c", "pricing"],
    ["grep", "--format", "jsonl", "--max-hits", "3", "pricing"],
    ["grep", "-i", "-C", "1", "--speaker", "rep", "PRICING"],
    ["show", "7001"],
    ["show", "7001", "--format", "json"],
    ["sql", "SELECT length(transcript_text('7001'))"],
    ["sql", "SELECT transcript_text('7001')"],
    ["sql", "SELECT count(*) FROM transcript_sentences WHERE call_id = '7001'"],
    ["calls", "--format", "jsonl"],
    ["analyze", "talk-ratio"],
], ids=lambda a: "-".join(x for x in a if x.isalpha() or x.startswith("-"))[:40])
def test_100mb_transcript_is_handled_within_seconds_and_bounded_memory(big_transcript, args):
    rc, out, err, rss_mb, wall = run_measured(big_transcript, *args, timeout=60)
    safe(rc, err, args)
    assert wall < 30, (args, wall)
    assert rss_mb < 1024, (args, rss_mb)  # a few copies of 100 MB at most
    if rc == 0 and args[0] == "sql" and "length" in args[1]:
        n = int(out.split(b"\n")[1])
        assert n in (len(BIG), 100 * 1024 * 1024 + len(b"0\t1000\ts1\t pricing\n"))
    if rc == 0 and args[0] == "grep":
        # 7002 is always found; 7001 either fully or with a warning that it was skipped
        assert b"7002" in out, out[:300]


def test_100mb_transcript_export(big_transcript, tmp_path):
    for extra in ([], ["--redact"]):
        out = tmp_path / "out.db"
        out.unlink(missing_ok=True)
        rc, _, err, rss_mb, wall = run_measured(big_transcript, "export", out, *extra,
                                                timeout=90)
        safe(rc, err, extra)
        assert wall < 45 and rss_mb < 1024, (wall, rss_mb)
        if rc:
            assert not out.exists()
        else:
            con = sqlite3.connect(out)
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert con.execute("SELECT count(*) FROM transcripts").fetchone()[0] == 2
            con.close()
        assert sorted(os.listdir(tmp_path)) in ([], ["out.db"])


def test_grep_says_when_it_skips_a_big_transcript(big_transcript):
    rc, out, err = q(big_transcript, "grep", "-c", "pricing", timeout=60)
    assert rc in (0, 1)
    assert b"7001" in out or "7001" in err or "skipped" in err, (out, err)


# ---- invalid UTF-8 -----------------------------------------------------------------------

BAD_UTF8 = [
    b"lone \x80 continuation pricing",
    b"overlong \xc0\xaf slash pricing",
    b"surrogate \xed\xa0\x80 half pricing",
    b"truncated four-byte pricing \xf0\x9f\x98",
    b"beyond U+10FFFF \xf5\x80\x80\x80 \xf4\x90\x80\x80 pricing",
    b"a NUL \x00 inside pricing",
    b"\xff\xfe pricing \xe2\x82",
    b"pricing\xc3",
]


@pytest.fixture(scope="module")
def utf8_mirror(tmp_path_factory):
    db = small_mirror(tmp_path_factory.mktemp("utf8") / "utf8.db")
    raw = b"".join(b"%d\t%d\ts%d\t" % (i * 1000, i * 1000 + 500, 1 + i % 2) + s + b"\n"
                   for i, s in enumerate(BAD_UTF8))
    body, size = minimirror.sqlar_blob(raw)
    set_transcript(db, body, size)
    con = sqlite3.connect(db)
    con.execute("UPDATE calls SET title = CAST(x'41ff42c0afed a080' AS TEXT) WHERE id = '7001'"
                .replace(" a0", "a0"))
    con.execute("UPDATE parties SET name = CAST(x'426f62f09f98' AS TEXT) WHERE speaker_id = 's2'")
    con.commit()
    con.close()
    return db


def strict_json(out, lines):
    text = out.decode("utf-8")  # strict: raises on any invalid byte
    return [json.loads(ln) for ln in text.splitlines() if ln.strip()] if lines \
        else json.loads(text)


@pytest.mark.parametrize("args,lines", [
    (["grep", "--format", "jsonl", "pricing"], True),
    (["grep", "--format", "json", "-i", "PRICING", "-C", "1"], False),
    (["grep", "--format", "jsonl", "."], True),
    (["grep", "--format", "jsonl", "-c", "pricing"], True),
    (["show", "7001", "--format", "json"], False),
    (["show", "7001", "--format", "jsonl"], True),
    (["calls", "--format", "json"], False),
    (["sql", "--format", "jsonl", "SELECT title, transcript_text(id) AS t FROM calls"], True),
    (["sql", "--format", "json", "SELECT * FROM transcript_sentences"], False),
    (["analyze", "--format", "jsonl", "talk-ratio"], True),
])
def test_invalid_utf8_gives_valid_utf8_json(utf8_mirror, args, lines):
    rc, out, err = q(utf8_mirror, *args)
    assert rc == 0, err
    strict_json(out, lines)


def test_invalid_utf8_loses_no_sentence(utf8_mirror):
    rc, out, err = q(utf8_mirror, "grep", "--format", "jsonl", "pricing")
    hits = [h for h in strict_json(out, True) if h["call_id"] == "7001"]
    assert [h["start_ms"] for h in hits] == [i * 1000 for i in range(len(BAD_UTF8))]
    assert all(h["match"] == "pricing" for h in hits)
    assert hits[5]["text"] == "a NUL \x00 inside pricing"
    assert hits[0]["text"] == "lone \ufffd continuation pricing"
    d = strict_json(q(utf8_mirror, "show", "7001", "--format", "json")[1], False)
    assert len(d["transcript"]) == len(BAD_UTF8)
    assert all("pricing" in t["text"] for t in d["transcript"])
    # text meant for a terminal is valid UTF-8 too (csv and tsv pass bytes through as they
    # are stored)
    for args in (["grep", "pricing", "--color", "never"], ["show", "7001"],
                 ["--format", "table", "calls"], ["--format", "markdown", "calls"]):
        rc, out, err = q(utf8_mirror, *args)
        assert rc == 0, err
        out.decode("utf-8")


# ---- lying sizes and corrupt blobs -------------------------------------------------------

TEXT = b"0\t1000\ts1\tour pricing is fair\n1000\t2000\ts2\tpricing again\n"
Z = zlib.compress(TEXT)
BLOBS = {
    "size-larger": (Z, len(TEXT) + 10),
    "size-smaller": (Z, len(TEXT) - 10),
    "size-1TB": (Z, 1 << 40),
    "size-negative": (Z, -5),
    "size-zero": (Z, 0),
    "stored-size-smaller": (TEXT, len(TEXT) - 1),
    "stored-size-larger": (TEXT, len(TEXT) + 1),
    "garbage": (bytes(range(256)) * 3, 1000),
    "zlib-cut-in-half": (Z[:len(Z) // 2], len(TEXT)),
    "zlib-bad-checksum": (Z[:-1] + bytes([Z[-1] ^ 1]), len(TEXT)),
    "body-is-text": ("0\t1\ts1\tplain text pricing\n", 27),
    "body-is-integer": (12345, 5),
    "empty": (b"", 0),
    "malformed-lines": (b"abc\tdef\n\t\t\t\n0\n\t\tpricing\n-5\t-7\ts1\tpricing neg\n"
                        b"99999999999999999999999\t1\ts1\tpricing big\n", 90),
}


@pytest.mark.parametrize("case", list(BLOBS))
def test_lying_size_and_corrupt_blob(tmp_path, case):
    db = small_mirror(tmp_path / "lie.db")
    body, size = BLOBS[case]
    set_transcript(db, body, size)
    for args in (["show", "7001"], ["show", "7001", "--format", "json"],
                 ["sql", "SELECT length(transcript_text('7001'))"],
                 ["sql", "SELECT count(*) FROM transcript_sentences WHERE call_id = '7001'"],
                 ["analyze", "talk-ratio"]):
        rc, out, err = q(db, *args)
        safe(rc, err, args)
        if rc == 0 and "--format" in args:
            strict_json(out, False)
    for fmt in ("jsonl", "table"):
        rc, out, err = q(db, "grep", "--format", fmt, "-i", "pricing")
        assert rc == 0, err
        assert b"Hello pricing" in out  # the intact transcript is still searched
        # warnings, and grep's total ("1 hit in 1 sentence of 1 call")
        assert all(ln.startswith("callmine-query: warning: ") or
                   re.fullmatch(r"\d+ hits? in \d+ sentences? of \d+ calls?", ln)
                   for ln in err.splitlines()), err
    for extra in ([], ["--redact"]):
        out = tmp_path / "out.db"
        out.unlink(missing_ok=True)
        rc, _, err = q(db, "export", out, *extra)
        safe(rc, err, extra)
        assert out.exists() == (rc == 0)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_grep_says_when_it_skips_a_transcript_whose_size_is_1tb(tmp_path):
    db = small_mirror(tmp_path / "lie.db")
    set_transcript(db, *BLOBS["size-1TB"])
    rc, out, err = q(db, "grep", "-c", "pricing")
    assert rc == 0 and out == b"7002\t1\n"
    assert "skipped 1 transcript" in err, err


@pytest.mark.parametrize("case", ["size-larger", "size-smaller", "garbage", "zlib-cut-in-half"])
def test_corrupt_blob_is_named(tmp_path, case):
    db = small_mirror(tmp_path / "lie.db")
    set_transcript(db, *BLOBS[case])
    rc, out, err = q(db, "show", "7001")
    one_line_error(rc, err, "7001", "corrupt")
    rc, out, err = q(db, "grep", "-c", "pricing")
    assert rc == 0 and out == b"7002\t1\n" and "skipped 1 transcript" in err, (out, err)
