"""End-to-end tests of callmine-query against small hand-made mirrors (minimirror.py).

Every answer here is known in advance: the fixture mirror holds five calls with parties,
deals and transcripts chosen to exercise filters, speakers, escapes, invalid UTF-8,
private calls, e-mail addresses and phone numbers. Binaries come from $CALLMINE_BIN
(default bin/); build them with `make bin/callmine-query bin/callmine.so`.
"""
import hashlib
import json
import os
import pathlib
import pty
import select
import shutil
import sqlite3
import subprocess
import sys
import time
import zlib

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import minimirror  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("CALLMINE_BIN", ROOT / "bin"))
QUERY = str(BIN / "callmine-query")

C1, C2, C3, C4, C5 = "7001", "7002", "7003", "7004", "7005"


def q(db, *args, check=0, env=None, input=None, timeout=60):
    """Run callmine-query --db DB ARGS; returns the CompletedProcess (text)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(("CALLMINE_", "NO_COLOR"))}
    e.update(env or {})
    p = subprocess.run([QUERY, "--db", str(db), *map(str, args)], capture_output=True,
                       text=True, env=e, input=input, timeout=timeout)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}\nstdout:{p.stdout[-2000:]}\n" \
                                      f"stderr:{p.stderr[-2000:]}"
    return p


def jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def one_line_error(p, code, *parts):
    assert p.returncode == code, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("callmine-query: "), p.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    assert p.stdout == ""


def build_fixture(path):
    m = minimirror.Mirror(path)
    m.user("u1", "Dana", "Smith", "dana@acme.com", raw='{"emailAddress":"dana@acme.com"}')
    m.user("u2", "Lee", "Chen", "lee@acme.com", manager_id="u9")
    m.user("u9", "Maria", "Manager", "maria@acme.com")
    m.user("u7", "Unrelated", "Person", "nobody@acme.com")

    m.call(C1, "Acme discovery", "2024-03-01T17:00:00Z", duration=1830, primary_user_id="u1")
    m.party(C1, "s1", "Dana Smith", "Internal", user_id="u1", email="dana@acme.com")
    m.party(C1, "s2", "Bob Buyer", "External", email="bob@globex.com",
            phone_number="+1 415 555 1234")
    m.deal(C1, "TimeOfCall", "d1", deal_name="Acme expansion", stage="qualifiedtobuy",
           amount=50000, owner="u1", company_name="Acme", company_size=120)
    m.deal(C1, "Now", "d1", deal_name="Acme expansion", stage="closedwon", amount=60000,
           owner="u1", company_name="Acme", company_size=130)
    m.transcript(C1, [
        (0, 1500, "s1", "Hello Bob, thanks for joining."),
        (2000, 4000, "s2", "Happy to be here. What about pricing?"),
        (5000, 9000, "s1", "Our pricing is per seat; pricing discounts depend on volume."),
        (65000, 70000, "s2", "Line one\nline two with a \\ backslash and Pricing"),
        (71000, 72000, "", "An unknown voice says pricing"),
        (73000, 74000, "s9", "A speaker without a party says pricing"),
        (80000, 81000, "s2", "Call me at +1 415 555 1234 or write to bob@globex.com"),
    ])
    m.calls_raw(C1, '{"parties":[{"emailAddress":"bob@globex.com"}]}')

    m.call(C2, "Globex renewal", "2024-03-05T10:00:00.250Z", duration=600, primary_user_id="u2")
    m.party(C2, "t1", "Lee Chen", "Internal", user_id="u2")
    m.party(C2, "t2", "Carol Client", "External")
    m.deal(C2, "Now", "d2", deal_name="Globex renewal", stage="ClosedLost", amount=1000,
           owner="OWNER-77", company_name="Globex", company_size=2500)
    # a party-level CRM User object (as Salesforce sends): the owner's name and e-mail
    m.crm_field(C2, "User", "OWNER-77", "Now", "Name", "Olga Owner", system="Salesforce",
                party_ord=0)
    m.crm_field(C2, "User", "OWNER-77", "Now", "Email", "olga@acme.com", system="Salesforce",
                party_ord=0)
    m.transcript(C2, [
        (0, 1000, "t2", "We chose a competitor."),
        (1000, 2000, "t1", "Was it the price?"),
        (2000, 3000, "t2", "Price was too high, and " + "a" * 40 + "!"),
    ])

    m.call(C3, "Initech intro", "2024-02-10T09:00:00Z", primary_user_id="u1")
    m.party(C3, "x1", "Dana Smith", "Internal", user_id="u1")
    m.deal(C3, "TimeOfCall", "d3", stage="appointmentscheduled", amount=None)

    m.call(C4, "Private chat", "2024-03-06T12:00:00Z", primary_user_id="u1", is_private=1)
    m.party(C4, "p1", "Dana Smith", "Internal", user_id="u1")
    m.transcript(C4, [(0, 1000, "p1", "This pricing is a secret.")])

    m.call(C5, "Broken bytes", "2024-03-07T12:00:00Z", primary_user_id="u2")
    m.party(C5, "b1", "Eve \x1b[31mEvil", "External")
    m.transcript(C5, [(0, 1, "b1", "x")],
                 raw=b"0\t1000\tb1\tbad \xff byte pricing \x1b[2J\n")
    m.close()


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    path = tmp_path_factory.mktemp("mirror") / "fixture.db"
    build_fixture(path)
    return path


def digest(path):
    p = pathlib.Path(path)
    return hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns


# ---- command line, help, errors ---------------------------------------------------------

def test_help_teaches_every_command(mirror):
    p = q(mirror, "--help")
    for word in ("sql", "calls", "show", "grep", "export", "--from", "--deal-timing",
                 "jsonl", "markdown", "CALLMINE_DB", "callmine-query grep"):
        assert word in p.stdout
    for cmd, word in (("grep", "--speaker"), ("export", "--redact"), ("calls", "--rep"),
                      ("show", "transcript"), ("sql", "read-only")):
        assert word in q(mirror, cmd, "--help").stdout
        assert word in q(mirror, "help", cmd).stdout


def test_usage_errors_exit_2_with_one_line(mirror):
    one_line_error(q(mirror, check=None), 2, "no command")
    one_line_error(q(mirror, "frobnicate", check=None), 2, "unknown command 'frobnicate'")
    one_line_error(q(mirror, "calls", "--bogus", check=None), 2, "'--bogus'")
    one_line_error(q(mirror, "calls", "--from", check=None), 2, "needs a value")
    one_line_error(q(mirror, "calls", "--from", "soon", check=None), 2, "--from")
    one_line_error(q(mirror, "calls", "--min-amount", "lots", check=None), 2, "--min-amount")
    one_line_error(q(mirror, "calls", "--outcome", "maybe", check=None), 2, "--outcome")
    one_line_error(q(mirror, "calls", "--deal-timing", "later", check=None), 2, "--deal-timing")
    one_line_error(q(mirror, "--format", "xml", "calls", check=None), 2, "unknown format")
    one_line_error(q(mirror, "grep", check=None), 2, "PATTERN")
    one_line_error(q(mirror, "show", check=None), 2, "CALL_ID")


def test_db_defaults_to_env_then_cwd(mirror, tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("CALLMINE_")}
    p = subprocess.run([QUERY, "sql", "select count(*) from calls"], capture_output=True,
                       text=True, env={**e, "CALLMINE_DB": str(mirror)})
    assert p.returncode == 0 and p.stdout.splitlines()[1] == "5"
    p = subprocess.run([QUERY, "sql", "select 1"], capture_output=True, text=True, env=e,
                       cwd=tmp_path)
    one_line_error(p, 1, "callmine.db")
    shutil.copy(mirror, tmp_path / "callmine.db")
    p = subprocess.run([QUERY, "sql", "select count(*) from calls"], capture_output=True,
                       text=True, env=e, cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.splitlines()[1] == "5"


def test_untrusted_files_give_one_line_errors(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    one_line_error(q(junk, "calls", check=None), 1, "not a SQLite database")
    other = tmp_path / "other.db"
    sqlite3.connect(other).executescript("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
    one_line_error(q(other, "calls", check=None), 1, "not a callmine mirror")
    newer = tmp_path / "newer.db"
    build_fixture(newer)
    sqlite3.connect(newer).execute("PRAGMA user_version = 99").connection.close()
    one_line_error(q(newer, "calls", check=None), 1, "newer")
    one_line_error(q(tmp_path / "missing.db", "calls", check=None), 1, "missing.db")
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    one_line_error(q(empty, "calls", check=None), 1)


def test_read_only_file_works_and_is_never_changed(tmp_path):
    db = tmp_path / "ro.db"
    build_fixture(db)
    os.chmod(db, 0o444)
    before = digest(db)
    time.sleep(0.01)
    q(db, "calls")
    q(db, "sql", "select * from transcripts")
    q(db, "show", C1)
    q(db, "grep", "-i", "pricing", "-C", "1")
    q(db, "export", tmp_path / "copy.db", "--redact")
    one_line_error(q(db, "sql", "DELETE FROM calls", check=None), 2, "read-only")
    one_line_error(q(db, "sql", "CREATE TABLE x(y)", check=None), 2)
    assert digest(db) == before
    assert sorted(os.listdir(tmp_path)) == ["copy.db", "ro.db"]


# ---- sql -----------------------------------------------------------------------------------

def test_sql_formats(mirror):
    sql = "SELECT id, title, duration, NULL AS nada FROM calls WHERE id IN ('7001','7002') " \
          "ORDER BY id"
    rows = jsonl(q(mirror, "--format", "jsonl", "sql", sql).stdout)
    assert rows == [{"id": C1, "title": "Acme discovery", "duration": 1830, "nada": None},
                    {"id": C2, "title": "Globex renewal", "duration": 600, "nada": None}]
    assert json.loads(q(mirror, "sql", sql, "--format", "json").stdout) == rows
    assert q(mirror, "sql", sql).stdout.splitlines() == [
        "id\ttitle\tduration\tnada", "7001\tAcme discovery\t1830\t\\N",
        "7002\tGlobex renewal\t600\t\\N"]
    csv = subprocess.run([QUERY, "--db", str(mirror), "sql", sql, "--format", "csv"],
                         capture_output=True).stdout
    assert csv == b"id,title,duration,nada\r\n7001,Acme discovery,1830,\r\n" \
                  b"7002,Globex renewal,600,\r\n"
    md = q(mirror, "sql", sql, "--format", "markdown").stdout.splitlines()
    assert md[0] == "| id | title | duration | nada |" and md[2].endswith("| NULL |")
    table = q(mirror, "sql", sql, "--format", "table").stdout.splitlines()
    assert table[0].split() == ["id", "title", "duration", "nada"]
    assert set(table[1]) == {"-", " "} and table[2].endswith("NULL")
    assert table[2].index("1830") + 4 == table[1].index("  ", table[2].index("1830"))


def test_sql_reads_stdin_and_extension_functions(mirror):
    p = q(mirror, "sql", "-", "--format", "jsonl",
          input="SELECT regexp('pric', transcript_text(id)) AS hit FROM calls WHERE id = '7001';")
    assert jsonl(p.stdout) == [{"hit": 1}]
    one_line_error(q(mirror, "sql", "SELEKT 1", check=None), 2, "syntax error")
    one_line_error(q(mirror, "sql", "UPDATE calls SET title = 'x'", check=None), 2, "read-only")


def test_sql_json_escapes_anything(mirror):
    p = q(mirror, "sql", "SELECT name FROM parties WHERE call_id = '7005'", "--format", "jsonl")
    assert p.stdout == '{"name":"Eve \\u001b[31mEvil"}\n'
    p = q(mirror, "sql", "SELECT CAST(x'61ff62' AS TEXT) AS t", "--format", "jsonl")
    assert json.loads(p.stdout) == {"t": "a\ufffdb"}


def run_on_pty(args, env=None):
    """Run callmine-query with stdout on a terminal; returns what it printed."""
    master, slave = pty.openpty()
    e = {k: v for k, v in os.environ.items() if not k.startswith(("CALLMINE_", "NO_COLOR"))}
    e.update(env or {})
    p = subprocess.Popen([QUERY, *map(str, args)], stdout=slave, stderr=subprocess.PIPE,
                         env=e)
    os.close(slave)
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 10)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait(10)
    os.close(master)
    return out.decode("utf-8", "replace").replace("\r\n", "\n")


def test_terminal_defaults_table_and_color(mirror):
    out = run_on_pty(["--db", mirror, "sql", "select id, title from calls order by id limit 1"])
    assert out.splitlines()[0].split() == ["id", "title"] and "--" in out.splitlines()[1]
    out = run_on_pty(["--db", mirror, "grep", "competitor"])
    assert "\x1b[" in out and "competitor" in out
    out = run_on_pty(["--db", mirror, "grep", "competitor"], env={"NO_COLOR": "1"})
    assert "\x1b[" not in out and "competitor" in out


# ---- calls ---------------------------------------------------------------------------------

def test_calls_jsonl_and_count_line(mirror):
    p = q(mirror, "calls", "--format", "jsonl")
    rows = jsonl(p.stdout)
    assert [r["id"] for r in rows] == [C3, C1, C2, C4, C5]  # by start time
    r1 = rows[1]
    assert {k: r1[k] for k in ("id", "title", "started", "rep", "stage", "amount",
                               "outcome")} == {
        "id": C1, "title": "Acme discovery", "started": "2024-03-01T17:00:00.000Z",
        "rep": "Dana Smith", "stage": "closedwon", "amount": 60000.0, "outcome": "won"}
    assert rows[2]["stage"] == "ClosedLost" and rows[2]["outcome"] == "lost"
    assert rows[0]["stage"] is None and rows[0]["outcome"] is None  # no Now deal
    assert rows[4]["rep"] == "Lee Chen"  # no internal speech: the primary user
    assert rows[0]["sentences"] is None and r1["sentences"] == 7
    assert p.stderr == "5 calls, 2 deals, 2 reps, transcripts for 4 (80.0%)\n"
    rows = jsonl(q(mirror, "calls", "--format", "jsonl", "--deal-timing", "call").stdout)
    assert rows[1]["stage"] == "qualifiedtobuy" and rows[1]["amount"] == 50000.0
    assert rows[1]["outcome"] == "won"  # the eventual result whatever the timing
    assert rows[2]["stage"] == "ClosedLost"  # no TimeOfCall row: read through Now


@pytest.mark.parametrize("args,want", [
    (["--from", "2024-03-01", "--to", "2024-03-05T10:00:00.250Z"], [C1]),
    (["--from", "2024-03-05T10:00:00.250Z", "--to", "2024-03-06"], [C2]),
    (["--from", "2024-03-05T11:00:00.250+01:00", "--to", "2024-03-05T11:00:00.251+01:00"], [C2]),
    (["--rep", "DANA"], [C3, C1, C4]),
    (["--rep", "lee@acme"], [C2, C5]),
    (["--rep", "carol"], []),
    (["--participant", "lee"], [C2, C5]),
    (["--participant", "bob"], []),
    (["--stage", "closedlost,QUALIFIEDTOBUY"], [C2]),
    (["--stage", "closedlost,QUALIFIEDTOBUY", "--deal-timing", "call"], [C1, C2]),
    (["--stage", "closedwon"], [C1]),
    (["--stage", "closedwon", "--deal-timing", "call"], []),
    (["--stage", "appointmentscheduled", "--deal-timing", "call"], []),  # C3: no Now deal
    (["--min-amount", "55k"], [C1]),
    (["--min-amount", "55k", "--deal-timing", "call"], []),
    (["--min-amount", "1000", "--max-amount", "0.001m"], [C2]),
    (["--owner", "owner-77"], [C2]),
    (["--owner", "olga"], [C2]),
    (["--owner", "OLGA@acme"], [C2]),
    (["--owner", "owner"], [C2]),
    (["--owner", "u1"], [C1]),
    (["--company-size", "100-200"], [C1]),
    (["--company-size", "100-125", "--deal-timing", "call"], [C1]),
    (["--company-size", "1000+"], [C2]),
    (["--outcome", "won"], [C1]),
    (["--outcome", "won", "--deal-timing", "call"], [C1]),
    (["--outcome", "lost,open"], [C2]),
    (["--outcome", "won", "--stage", "qualifiedtobuy", "--deal-timing", "call"], [C1]),
    (["--where", "duration < 1000 AND title LIKE '%renewal%'"], [C2]),
    (["--where", "is_private", "--rep", "dana"], [C4]),
])
def test_calls_filters(mirror, args, want):
    p = q(mirror, "calls", "--format", "jsonl", *args)
    assert [r["id"] for r in jsonl(p.stdout)] == want
    assert p.stderr.startswith(f"{len(want)} call")


def test_where_is_one_condition(mirror):
    one_line_error(q(mirror, "calls", "--where", "1); DROP TABLE calls; --", check=None), 2,
                   "--where")
    one_line_error(q(mirror, "calls", "--where", "nope = 1", check=None), 2, "no such column")


def test_where_cannot_escape_its_parentheses(mirror):
    # `1) OR (1` used to close filter_sql's own parenthesis and select every call
    one_line_error(q(mirror, "calls", "--rep", "dana", "--where", "1) OR (1", check=None), 2,
                   "closes more than")
    p = q(mirror, "calls", "--format", "jsonl", "--where", "title LIKE '%)%' OR (duration > 0)")
    assert p.returncode == 0


# ---- show ----------------------------------------------------------------------------------

def test_show_json_shape(mirror):
    d = json.loads(q(mirror, "show", C1, "--format", "json").stdout)
    for k in ("id", "title", "started", "duration", "url", "primary_user_id", "parties",
              "deals", "transcript"):
        assert k in d
    assert d["id"] == C1 and d["duration"] == 1830 and d["primary_user_id"] == "u1"
    assert d["parties"][1] == {"speaker_id": "s2", "user_id": None, "name": "Bob Buyer",
                               "email": "bob@globex.com", "affiliation": "External"}
    assert [(x["timing"], x["stage"], x["amount"]) for x in d["deals"]] == [
        ("TimeOfCall", "qualifiedtobuy", 50000.0), ("Now", "closedwon", 60000.0)]
    # the contract's members, plus close_date and owner_name (members may be added)
    assert set(d["deals"][0]) >= {"timing", "deal_id", "deal_name", "stage", "amount", "owner",
                                  "company_name", "company_size"}
    t = d["transcript"]
    assert len(t) == 7 and t[0] == {"speaker_id": "s1", "start_ms": 0, "end_ms": 1500,
                                    "text": "Hello Bob, thanks for joining."}
    assert t[3]["text"] == "Line one\nline two with a \\ backslash and Pricing"
    assert t[4]["speaker_id"] is None
    assert jsonl(q(mirror, "show", C1, "--format", "jsonl").stdout) == [d]
    d5 = json.loads(q(mirror, "show", C5, "--format", "json").stdout)
    assert d5["transcript"][0]["text"] == "bad \ufffd byte pricing \x1b[2J"
    d3 = json.loads(q(mirror, "show", C3, "--format", "json").stdout)
    assert d3["transcript"] == []


def test_show_text(mirror):
    out = q(mirror, "show", C1).stdout
    lines = out.splitlines()
    assert lines[0] == "Acme discovery"
    # duration as h:mm:ss; the rep on a line of its own; both deal snapshots side by side
    assert "2024-03-01T17:00:00.000Z" in lines[1] and "0:30:30" in lines[1]
    assert lines[2].startswith("Rep: Dana Smith")
    assert "Acme expansion" in out and "qualifiedtobuy" in out and "50,000" in out
    assert "closedwon" in out and "60,000" in out
    assert "https://app.gong.io/call?id=7001" in out
    assert "[00:02] Bob Buyer (customer): Happy to be here. What about pricing?" in lines
    assert "[00:00] Dana Smith (rep): Hello Bob, thanks for joining." in lines
    assert "[01:05] Bob Buyer (customer): Line one\\nline two with a \\ backslash and Pricing" \
        in lines
    assert "[01:11] unknown speaker: An unknown voice says pricing" in lines
    assert "[01:13] speaker s9: A speaker without a party says pricing" in lines
    evil = q(mirror, "show", C5).stdout
    assert "\x1b" not in evil and "\\x1b[2J" in evil and "\ufffd" in evil


def test_show_unknown_call(mirror):
    one_line_error(q(mirror, "show", "nope", check=None), 1, "no call 'nope' in", str(mirror))


# ---- grep ----------------------------------------------------------------------------------

def test_grep_jsonl_one_object_per_match(mirror):
    hits = jsonl(q(mirror, "grep", "-i", "pricing", "--format", "jsonl").stdout)
    keys = {"call_id", "title", "started", "speaker_id", "speaker_name", "affiliation",
            "start_ms", "text", "match", "url"}
    assert all(keys <= set(h) for h in hits)
    c1 = [h for h in hits if h["call_id"] == C1]
    assert [(h["start_ms"], h["match"]) for h in c1] == [
        (2000, "pricing"), (5000, "pricing"), (5000, "pricing"), (65000, "Pricing"),
        (71000, "pricing"), (73000, "pricing")]
    h = c1[0]
    assert h == {"call_id": C1, "title": "Acme discovery", "started": "2024-03-01T17:00:00.000Z",
                 "speaker_id": "s2", "speaker_name": "Bob Buyer", "affiliation": "External",
                 "start_ms": 2000, "text": "Happy to be here. What about pricing?",
                 "match": "pricing", "url": "https://app.gong.io/call?id=7001"}
    assert c1[3]["text"] == "Line one\nline two with a \\ backslash and Pricing"
    assert c1[4]["speaker_id"] is None and c1[4]["speaker_name"] is None
    assert [h["call_id"] for h in hits] == [C1] * 6 + [C4, C5]
    assert hits[-1]["text"] == "bad \ufffd byte pricing \x1b[2J"
    # case-sensitive by default
    assert len(jsonl(q(mirror, "grep", "pricing", "--format", "jsonl").stdout)) == 7


def test_grep_sees_only_sentence_text(mirror):
    def matches(*args):
        return [h["match"] for h in jsonl(q(mirror, "grep", *args, "--format", "jsonl").stdout)]
    assert matches(r"^\d") == []            # no timestamps
    assert matches(r"\t") == []             # no separators
    assert matches("s1") == []              # no speaker ids
    assert matches(r"^Hello") == ["Hello"]  # ^ at the sentence's start
    assert matches(r"pricing\?$") == ["pricing?"]
    assert matches(r"joining\.\s*Happy") == []  # never across two sentences
    assert matches(r"Line one\nline") == ["Line one\nline"]  # newline inside a sentence
    assert matches(r"\\ backslash") == ["\\ backslash"]
    assert matches(r"(?i)PRICE\b") == ["price", "Price"]
    assert matches("-i", r"\bpric(e|ing)\b", "--rep", "lee") == ["price", "Price", "pricing"]


def test_grep_speaker_filter(mirror):
    def who(speaker):
        return [(h["call_id"], h["start_ms"]) for h in jsonl(q(
            mirror, "grep", "-i", "pricing", "--speaker", speaker, "--format", "jsonl").stdout)]
    assert who("rep") == [(C1, 5000), (C1, 5000), (C4, 0)]
    assert who("customer") == [(C1, 2000), (C1, 65000), (C5, 0)]
    assert len(who("all")) == 8  # unknown speakers only with all
    one_line_error(q(mirror, "grep", "x", "--speaker", "boss", check=None), 2, "--speaker")


def test_grep_text_output(mirror):
    out = q(mirror, "grep", "-i", "price", "--color", "never").stdout
    assert out.splitlines() == [
        "Globex renewal · 2024-03-05 · Lee Chen · ClosedLost · id 7002",
        "00:01 Lee Chen (rep): Was it the price?",
        "00:02 Carol Client (customer): Price was too high, and " + "a" * 40 + "!"]
    out = q(mirror, "grep", "competitor", "-C", "1", "--color", "never").stdout
    assert out.splitlines() == [
        "Globex renewal · 2024-03-05 · Lee Chen · ClosedLost · id 7002",
        "00:00 Carol Client (customer): We chose a competitor.",
        "00:01 Lee Chen (rep)- Was it the price?"]
    out = q(mirror, "grep", "Hello|write to", "-C", "1", "--color", "never").stdout.splitlines()
    assert out[1:] == ["00:00 Dana Smith (rep): Hello Bob, thanks for joining.",
                       "00:02 Bob Buyer (customer)- Happy to be here. What about pricing?", "--",
                       "01:13 speaker s9- A speaker without a party says pricing",
                       "01:20 Bob Buyer (customer): Call me at +1 415 555 1234 or write to "
                       "bob@globex.com"]
    colored = q(mirror, "grep", "competitor", "--color", "always").stdout
    assert "\x1b[1;31mcompetitor\x1b[0m" in colored
    evil = q(mirror, "grep", "byte", "--color", "never").stdout
    assert "\x1b" not in evil and "Eve \\x1b[31mEvil (customer): bad \ufffd byte" in evil
    assert q(mirror, "grep", "nothing-matches-this").stdout == ""


def test_grep_count_list_max_hits(mirror):
    assert q(mirror, "grep", "-i", "pricing", "-c").stdout == "7001\t6\n7004\t1\n7005\t1\n"
    assert q(mirror, "grep", "-i", "pricing", "-l").stdout == "7001\n7004\n7005\n"
    assert jsonl(q(mirror, "grep", "-i", "pricing", "-c", "--format", "jsonl").stdout)[0] == \
        {"call_id": C1, "title": "Acme discovery", "count": 6}
    assert jsonl(q(mirror, "grep", "-i", "pricing", "-l", "--format", "jsonl").stdout) == \
        [{"call_id": C1}, {"call_id": C4}, {"call_id": C5}]
    hits = jsonl(q(mirror, "grep", "-i", "pricing", "--max-hits", "3", "--format",
                   "jsonl").stdout)
    assert [(h["call_id"], h["start_ms"]) for h in hits] == [(C1, 2000), (C1, 5000), (C1, 5000)]
    assert q(mirror, "grep", "-i", "pricing", "-c", "--max-hits", "7").stdout == \
        "7001\t6\n7004\t1\n"
    text = q(mirror, "grep", "-i", "pricing", "--max-hits", "2", "--color", "never").stdout
    assert text.splitlines()[1:] == [
        "00:02 Bob Buyer (customer): Happy to be here. What about pricing?",
        "00:05 Dana Smith (rep): Our pricing is per seat; pricing discounts depend on volume."]


def test_grep_filters_apply(mirror):
    assert q(mirror, "grep", "-i", "pricing", "-l", "--from", "2024-03-02").stdout == \
        "7004\n7005\n"
    assert q(mirror, "grep", "-i", "pric", "-l", "--stage", "closedlost").stdout == "7002\n"


def test_grep_bad_and_catastrophic_patterns(mirror):
    p = q(mirror, "grep", "pric(ing", check=None)
    one_line_error(p, 2, "offset", "missing closing parenthesis")
    start = time.monotonic()
    p = q(mirror, "grep", "(a+)+$", "--rep", "lee", check=None, timeout=30)
    assert time.monotonic() - start < 10
    one_line_error(p, 2, "too complex")
    assert q(mirror, "grep", "-e", "-hyphen").stdout == ""


def test_grep_threads_give_identical_output(tmp_path):
    db = tmp_path / "synth.db"
    minimirror.synth(db, calls=300, kb=4, seed=3)
    for args in (["-i", "pricing|budget"], ["Globex", "-C", "2"], ["-c", "discount"],
                 ["--format", "jsonl", "-i", r"\bcompetitor\b"], ["--max-hits", "50", "team"]):
        outs = {j: q(db, "grep", "-j", j, "--color", "never", *args).stdout for j in (1, 2, 5)}
        assert outs[1] == outs[2] == outs[5] and outs[1]


# ---- export --------------------------------------------------------------------------------

def open_ro(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    return con


def test_export_filtered_copy(mirror, tmp_path):
    before = digest(mirror)
    out = tmp_path / "acme.db"
    p = q(mirror, "export", out, "--rep", "dana")
    assert "exported 3 calls (2 transcripts)" in p.stderr and p.stdout == ""
    assert digest(mirror) == before
    assert sorted(os.listdir(tmp_path)) == ["acme.db"]  # no -wal, -shm or temp file left
    con = open_ro(out)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA user_version").fetchone()[0] == 4
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [r[0] for r in con.execute("SELECT id FROM calls ORDER BY id")] == [C1, C3, C4]
    assert con.execute("SELECT count(*) FROM parties").fetchone()[0] == 4
    assert con.execute("SELECT count(*) FROM deals").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM calls_raw").fetchone()[0] == 1
    assert sorted(r[0] for r in con.execute("SELECT id FROM users")) == ["u1"]
    assert con.execute("SELECT value FROM meta WHERE key = 'application'").fetchone()[0] == \
        "callmine"
    body, size = con.execute("SELECT body, size FROM transcripts WHERE call_id = ?",
                             (C1,)).fetchone()
    assert b"bob@globex.com" in zlib.decompress(body)
    con.close()
    if shutil.which("sqlite3"):
        r = subprocess.run(["sqlite3", str(out), "PRAGMA integrity_check;"], capture_output=True,
                           text=True)
        assert r.stdout.strip() == "ok"
    # the copy is itself a mirror the tool reads
    assert q(out, "grep", "-c", "-i", "pricing").stdout == "7001\t6\n7004\t1\n"
    users = q(tmp_path / "acme.db", "sql", "select id from users").stdout
    assert users.split() == ["id", "u1"]


def test_export_redact(mirror, tmp_path):
    out = tmp_path / "shared.db"
    p = q(mirror, "export", out, "--redact", "--from", "2024-03-01")
    assert "exported 3 calls" in p.stderr and "redacted" in p.stderr
    con = open_ro(out)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r[0] for r in con.execute("SELECT id FROM calls ORDER BY id")] == [C1, C2, C5]
    assert con.execute("SELECT count(*) FROM calls_raw").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM users WHERE raw IS NOT NULL").fetchone()[0] == 0
    assert sorted(r[0] for r in con.execute("SELECT id FROM users")) == ["u1", "u2", "u9"]
    assert con.execute("SELECT email, phone_number FROM parties WHERE call_id = ? AND "
                       "speaker_id = 's2'", (C1,)).fetchone() == ("[email]", "[phone]")
    assert con.execute("SELECT first_name, email FROM users WHERE id = 'u1'").fetchone() == \
        ("Dana", "[email]")
    everything = "".join(str(v) for t in ("calls", "parties", "users", "deals", "meta")
                         for r in con.execute(f"SELECT * FROM {t}") for v in r)
    assert "@" not in everything and "555" not in everything
    assert "2024-03-05T10:00:00.250Z" in everything  # times are not phone numbers
    body, size = con.execute("SELECT body, size FROM transcripts WHERE call_id = ?",
                             (C1,)).fetchone()
    text = (body if len(body) == size else zlib.decompress(body)).decode()
    assert len(text) == size
    assert "80000\t81000\ts2\tCall me at [phone] or write to [email]\n" in text
    assert "65000\t70000\ts2\tLine one\\nline two with a \\\\ backslash and Pricing\n" in text
    con.close()
    d = json.loads(q(out, "show", C1, "--format", "json").stdout)
    assert d["transcript"][6]["text"] == "Call me at [phone] or write to [email]"


def test_export_private_calls_kept_without_redact(mirror, tmp_path):
    q(mirror, "export", tmp_path / "all.db")
    con = open_ro(tmp_path / "all.db")
    assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == 5
    assert con.execute("SELECT count(*) FROM transcripts").fetchone()[0] == 4
    con.close()


def test_export_no_transcripts_force_and_refusals(mirror, tmp_path):
    out = tmp_path / "x.db"
    q(mirror, "export", out, "--no-transcripts")
    con = open_ro(out)
    assert con.execute("SELECT count(*) FROM transcripts").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM transcript_status").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == 5
    con.close()
    before = digest(out)
    one_line_error(q(mirror, "export", out, check=None), 1, "exists", "--force")
    assert digest(out) == before
    q(mirror, "export", out, "--force", "--stage", "closedlost")
    con = open_ro(out)
    assert [r[0] for r in con.execute("SELECT id FROM calls")] == [C2]
    con.close()
    one_line_error(q(mirror, "export", mirror, "--force", check=None), 2, "source")
    one_line_error(q(mirror, "export", tmp_path, check=None), 2, "directory")
    one_line_error(q(mirror, "export", tmp_path / "nodir" / "x.db", check=None), 1)
    assert sorted(os.listdir(tmp_path)) == ["x.db"]


def test_export_interrupted_leaves_no_file(tmp_path):
    db = tmp_path / "big.db"
    minimirror.synth(db, calls=1500, kb=8, seed=2)
    out = tmp_path / "out.db"
    e = {k: v for k, v in os.environ.items() if not k.startswith("CALLMINE_")}
    p = subprocess.Popen([QUERY, "--db", str(db), "export", str(out), "--redact"],
                         stderr=subprocess.PIPE, env=e)
    time.sleep(0.15)
    p.terminate()
    p.wait(30)
    left = sorted(os.listdir(tmp_path))
    if p.returncode == 0:  # finished before the signal: then the file must be whole
        assert left == ["big.db", "out.db"]
        assert open_ro(out).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    else:
        assert left == ["big.db"]
