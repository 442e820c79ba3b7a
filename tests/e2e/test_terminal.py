"""End-to-end tests of what a person at a terminal sees (issue 11): `show` with everything
Gong sends and with nothing, its pager, tables that fit the terminal, grep's totals and its
--max-hits notice, and "did you mean" for mistyped commands and options.

The mirror is built by hand (minimirror.py) so every answer is known. Terminal behaviour is
checked on a real pseudo-terminal (python's pty module) with a given window size and
$COLUMNS; "piped" runs capture stdout through a pipe.
"""
import json
import os
import pathlib
import pty
import select
import sqlite3
import struct
import subprocess
import sys
import time

import fcntl
import termios

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import minimirror  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("CALLMINE_BIN", ROOT / "bin"))
QUERY = str(BIN / "callmine-query")
INGEST = str(BIN / "callmine-ingest")

FULL, EMPTY, WAITING, PENDING = "8101", "8102", "8103", "8104"
URL = "https://us-48213.app.gong.io/call?id="


def clean_env(extra=None):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("CALLMINE_", "NO_COLOR", "PAGER", "LESS", "COLUMNS"))}
    e.update(extra or {})
    return e


def q(db, *args, check=0, env=None):
    p = subprocess.run([QUERY, "--db", str(db), *map(str, args)], capture_output=True,
                       text=True, env=clean_env(env), timeout=60)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr}"
    return p


def on_pty(args, cols=100, rows=30, env=None, timeout=30):
    """Run args with stdout and stderr on a pseudo-terminal of cols x rows; returns (exit
    status, output with \\r\\n as \\n)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                         env=clean_env(env), close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    rc = p.wait(timeout=timeout)
    os.close(master)
    return rc, out.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    path = tmp_path_factory.mktemp("terminal") / "terminal.db"
    m = minimirror.Mirror(path)
    m.user("u1", "Dana", "Smith", "dana@acme.com")
    m.user("u2", "Owen", "Owner", "owen@acme.com")
    m.call(FULL, "Acme pricing review", "2024-03-01T17:00:00.000Z", duration=3725,
           url=URL + FULL, primary_user_id="u1",
           brief="Acme met Dana to review pricing. " * 8 + "They agreed on a pilot.",
           outcome_id="NEXT_STEPS", outcome_name="Next steps agreed", outcome_category="Answered")
    m.party(FULL, "s1", "Dana Smith", "Internal", user_id="u1", email="dana@acme.com")
    m.party(FULL, "s2", "Bob Buyer", "External", email="bob@globex.com")
    # the owner is a Salesforce user id that a party-level CRM User object names
    m.crm_field(FULL, "User", "005OWNER", "Now", "Name", "Olivia Owner", system="Salesforce",
                party_ord=0)
    m.deal(FULL, "TimeOfCall", "d1", deal_name="Acme expansion", stage="appointmentscheduled",
           amount=50000, owner="005OWNER", company_name="Acme", company_size=120,
           close_date="2024-04-30T00:00:00.000Z")
    m.deal(FULL, "Now", "d1", deal_name="Acme expansion", stage="closedlost", amount=62500.5,
           owner="005OWNER", company_name="Acme", company_size=130,
           close_date="2024-05-31T00:00:00.000Z")
    db = m.db
    for i, t in enumerate(["Pricing is the main concern.", "A pilot starts in May."]):
        db.execute("INSERT INTO key_points(call_id, ord, text) VALUES (?, ?, ?)", (FULL, i, t))
    db.execute("INSERT INTO action_items(call_id, ord, start_s, end_s, speaker_id, snippet) "
               "VALUES (?, 0, 754.2, 758.0, 's1', 'I will send the pilot plan by Friday.')",
               (FULL,))
    for name, count in (("Pricing", 7), ("Competitors", 2), ("Security", 0)):
        db.execute("INSERT INTO trackers(call_id, tracker_id, name, type, count) "
                   "VALUES (?, ?, ?, 'KEYWORD', ?)", (FULL, name.lower(), name, count))
    for name, dur in (("Pricing", 1260.0), ("Next Steps", 300.0)):
        db.execute("INSERT INTO topics(call_id, name, duration) VALUES (?, ?, ?)",
                   (FULL, name, dur))
    m.transcript(FULL, [(i * 4000, i * 4000 + 3000, "s1" if i % 3 else "s2",
                         f"Sentence number {i} about pricing.") for i in range(120)])

    # nothing: private, no transcript (skipped), no deal, no content
    m.call(EMPTY, "Private catch-up", "2024-03-02T09:00:00.000Z", duration=59,
           url=URL + EMPTY, primary_user_id="u1", is_private=1)
    m.party(EMPTY, "e1", "Dana Smith", "Internal", user_id="u1")
    db.execute("INSERT INTO transcript_status(call_id, state) VALUES (?, 'private')", (EMPTY,))

    m.call(WAITING, "Waiting for Gong", "2024-03-03T09:00:00.000Z", url=URL + WAITING,
           primary_user_id="u1")
    db.execute("INSERT INTO transcript_status(call_id, state, attempts, next_try, last_try) "
               "VALUES (?, 'waiting', 3, '2024-03-05T00:00:00.000Z', '2024-03-04T00:00:00.000Z')",
               (WAITING,))
    m.call(PENDING, "Not fetched", "2024-03-04T09:00:00.000Z", url=URL + PENDING,
           primary_user_id="u1")
    db.execute("INSERT INTO transcript_status(call_id, state) VALUES (?, 'pending')", (PENDING,))
    # more calls with long titles for the table tests
    for i in range(30):
        cid = f"{9000000000000000000 + i}"
        m.call(cid, "A very long call title about the quarterly business review number " + str(i),
               f"2024-04-{1 + i % 28:02d}T10:00:00.000Z", url=URL + cid, primary_user_id="u1")
        m.party(cid, "r1", "Dana Smith", "Internal", user_id="u1")
        m.deal(cid, "Now", f"dx{i}", deal_name="An equally long deal name for company " + str(i),
               stage="qualifiedtobuy", amount=1000 * i, company_name="Company " + str(i))
        m.transcript(cid, [(0, 1000, "r1", f"pricing one {i}"), (2000, 3000, "r1",
                                                               "pricing two, pricing three")])
    m.close()
    return path


# ---- show ----------------------------------------------------------------------------------

def test_show_everything_text(mirror):
    out = q(mirror, "show", FULL).stdout
    lines = out.splitlines()
    assert lines[0] == "Acme pricing review"
    assert lines[1] == f"2024-03-01T17:00:00.000Z · 1:02:05 · id {FULL}"
    assert lines[2].startswith("Rep: Dana Smith <dana@acme.com> (the internal speaker")
    assert lines[3] == ("Outcome: lost (the deal is closed lost) · Gong call outcome: "
                        "Next steps agreed (Answered)")
    assert "Participants: Dana Smith (rep), Bob Buyer (customer)" in lines
    assert URL + FULL in lines
    # both snapshots side by side, the owner resolved through the CRM user
    head = next(i for i, x in enumerate(lines) if "At the call" in x)
    assert lines[head].split() == ["At", "the", "call", "Now"]
    table = "\n".join(lines[head:head + 8])
    row = {x.split()[0]: x for x in lines[head + 1:head + 8]}
    assert "appointmentscheduled" in row["stage"] and row["stage"].endswith("closedlost")
    assert "50,000" in row["amount"] and row["amount"].endswith("62,500.50")
    assert "2024-04-30" in table and "2024-05-31" in table
    assert row["owner"].count("Olivia Owner (005OWNER)") == 2
    assert "120 employees" in row["size"] and row["size"].endswith("130 employees")
    # Gong's content
    assert "Brief" in lines and "They agreed on a pilot." in out
    assert "  - Pricing is the main concern." in lines
    assert "  - [12:34] Dana Smith: I will send the pilot plan by Friday." in lines
    assert "Trackers: Pricing (7), Competitors (2)" in lines  # not the ones that never fired
    assert "Topics: Pricing 21.0 min, Next Steps 5.0 min" in lines
    assert "Transcript" in lines
    assert lines[-1] == "[07:56] Dana Smith (rep): Sentence number 119 about pricing."


def test_show_everything_json(mirror):
    d = json.loads(q(mirror, "show", FULL, "--format", "json").stdout)
    # the contract's members, unchanged
    assert [d[k] for k in ("id", "title", "started", "duration", "url", "primary_user_id")] == [
        FULL, "Acme pricing review", "2024-03-01T17:00:00.000Z", 3725, URL + FULL, "u1"]
    assert d["parties"][0] == {"speaker_id": "s1", "user_id": "u1", "name": "Dana Smith",
                               "email": "dana@acme.com", "affiliation": "Internal"}
    assert [(x["timing"], x["stage"], x["amount"], x["owner_name"], x["close_date"])
            for x in d["deals"]] == [
        ("TimeOfCall", "appointmentscheduled", 50000.0, "Olivia Owner", "2024-04-30T00:00:00.000Z"),
        ("Now", "closedlost", 62500.5, "Olivia Owner", "2024-05-31T00:00:00.000Z")]
    assert len(d["transcript"]) == 120 and d["transcript"][1] == {
        "speaker_id": "s1", "start_ms": 4000, "end_ms": 7000,
        "text": "Sentence number 1 about pricing."}
    # the new members
    assert (d["rep"], d["rep_email"], d["rep_id"], d["rep_source"]) == (
        "Dana Smith", "dana@acme.com", "u1", "speech")
    assert d["outcome"] == "lost"
    assert d["call_outcome"] == {"name": "Next steps agreed", "category": "Answered"}
    assert d["brief"].endswith("They agreed on a pilot.")
    assert d["key_points"] == ["Pricing is the main concern.", "A pilot starts in May."]
    assert d["action_items"] == [{"start_ms": 754200, "end_ms": 758000, "speaker_id": "s1",
                                  "speaker_name": "Dana Smith",
                                  "text": "I will send the pilot plan by Friday."}]
    assert d["trackers"] == [{"name": "Pricing", "type": "KEYWORD", "count": 7},
                             {"name": "Competitors", "type": "KEYWORD", "count": 2},
                             {"name": "Security", "type": "KEYWORD", "count": 0}]
    assert d["topics"] == [{"name": "Pricing", "duration": 1260.0},
                           {"name": "Next Steps", "duration": 300.0}]
    assert d["transcript_status"] == {"state": "done", "attempts": 1, "next_try": None,
                                      "last_try": None, "note": None}
    # the same rep and outcome as call_facts says
    con = sqlite3.connect(f"file:{mirror}?mode=ro", uri=True)
    assert con.execute("SELECT rep_name, rep_source, outcome FROM call_facts WHERE call_id = ?",
                       (FULL,)).fetchone() == ("Dana Smith", "speech", "lost")


def test_show_nothing(mirror):
    out = q(mirror, "show", EMPTY).stdout
    lines = out.splitlines()
    assert lines[1] == f"2024-03-02T09:00:00.000Z · 0:00:59 · private · id {EMPTY}"
    assert lines[2] == "Rep: Dana Smith <dana@acme.com> (the call's primary user)"
    assert lines[3] == "Outcome: no deal"
    assert "Deal: none (Gong names no CRM deal for this call)" in lines
    for absent in ("Brief", "Key points", "Action items", "Trackers", "Topics", "At the call"):
        assert absent not in out
    assert lines[-1] == ("Transcript: none: a private call: callmine-ingest skips private "
                         "calls' transcripts unless it runs with --include-private")
    d = json.loads(q(mirror, "show", EMPTY, "--format", "json").stdout)
    assert d["deals"] == [] and d["transcript"] == [] and d["outcome"] is None
    assert d["brief"] is None and d["key_points"] == [] and d["action_items"] == []
    assert d["trackers"] == [] and d["topics"] == [] and d["call_outcome"] is None
    assert d["rep_source"] == "primary"
    assert d["transcript_status"]["state"] == "private"
    assert "--include-private" in d["transcript_status"]["note"]


def test_show_why_no_transcript(mirror):
    out = q(mirror, "show", WAITING).stdout
    assert out.splitlines()[-1] == (
        "Transcript: none: Gong has not produced it yet: asked 3 times, next try at "
        "2024-03-05T00:00:00.000Z (callmine-ingest asks again on its next run after that)")
    d = json.loads(q(mirror, "show", WAITING, "--format", "jsonl").stdout)
    assert (d["transcript_status"]["state"], d["transcript_status"]["attempts"]) == ("waiting", 3)
    out = q(mirror, "show", PENDING).stdout
    assert "Transcript: none: not fetched yet" in out and "--no-transcripts" in out


# ---- pager ---------------------------------------------------------------------------------

def test_show_pager_on_a_terminal(mirror, tmp_path):
    rec = tmp_path / "paged.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f"#!/bin/sh\necho \"LESS=$LESS\" > {rec}.env\ncat > {rec}\n")
    pager.chmod(0o755)
    rc, out = on_pty([QUERY, "--db", str(mirror), "show", FULL], env={"PAGER": str(pager)})
    assert rc == 0 and out == ""  # everything went to the pager
    paged = rec.read_text()
    assert paged.startswith("\x1b[1mAcme pricing review") and "Sentence number 119" in paged
    assert (tmp_path / "paged.txt.env").read_text() == "LESS=FRX\n"  # set when unset
    # LESS set by the user is kept
    rc, _ = on_pty([QUERY, "--db", str(mirror), "show", FULL],
                   env={"PAGER": str(pager), "LESS": "-S"})
    assert rc == 0 and (tmp_path / "paged.txt.env").read_text() == "LESS=-S\n"
    # PAGER=cat: shown on the terminal through cat
    rc, out = on_pty([QUERY, "--db", str(mirror), "show", FULL], env={"PAGER": "cat"})
    assert rc == 0 and "Sentence number 119 about pricing." in out
    # --no-pager and PAGER= (empty): no pager
    rec.unlink()
    for args, env in ((["--no-pager"], {"PAGER": str(pager)}), ([], {"PAGER": ""})):
        rc, out = on_pty([QUERY, "--db", str(mirror), "show", FULL, *args], env=env)
        assert rc == 0 and "Sentence number 119" in out and not rec.exists()
    # JSON is never paged
    rc, out = on_pty([QUERY, "--db", str(mirror), "show", FULL, "--format", "json"],
                     env={"PAGER": str(pager)})
    assert rc == 0 and not rec.exists() and json.loads(out)["id"] == FULL


def test_show_pager_quit_early_is_quiet(mirror, tmp_path):
    # a pager that reads one line and quits while the call is still being written
    rc, out = on_pty([QUERY, "--db", str(mirror), "show", FULL],
                     env={"PAGER": "head -n 1"})
    assert rc == 0, out
    assert out.strip() == "\x1b[1mAcme pricing review\x1b[0m"
    assert "callmine-query:" not in out and "write" not in out


def test_show_piped_never_pages(mirror, tmp_path):
    rec = tmp_path / "paged.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f"#!/bin/sh\ncat > {rec}\n")
    pager.chmod(0o755)
    p = q(mirror, "show", FULL, env={"PAGER": str(pager)})
    assert not rec.exists() and p.stdout.startswith("Acme pricing review\n")
    assert "\x1b" not in p.stdout


# ---- tables on a terminal ------------------------------------------------------------------

@pytest.mark.parametrize("cols", [60, 100, 160])
def test_calls_table_fits_the_terminal(mirror, cols):
    rc, out = on_pty([QUERY, "--db", str(mirror), "calls", "--from", "2024-04-01"],
                     cols=cols, env={"COLUMNS": str(cols)})
    assert rc == 0
    lines = [x for x in out.splitlines() if x]
    assert max(len(x) for x in lines) <= cols, "\n".join(x for x in lines if len(x) > cols)
    # every id and every url whole (the url's full text on one line)
    for i in range(30):
        cid = f"{9000000000000000000 + i}"
        assert any(cid in x for x in lines)
        assert any(URL + cid in x for x in lines)
    if cols == 160:  # one line per call with the url under it, the title cut
        assert "…" in out and "A very long call title about the quarterly business review" \
            not in out


def test_calls_piped_unchanged(mirror):
    p = q(mirror, "calls", "--from", "2024-04-01", "--format", "table")
    assert "A very long call title about the quarterly business review number 1" in p.stdout
    assert "…" not in p.stdout
    assert all(URL in x for x in p.stdout.splitlines()[2:])  # one line per call


# ---- grep totals ---------------------------------------------------------------------------

def test_grep_totals_and_max_hits_notice(mirror):
    p = q(mirror, "grep", "pricing", "--from", "2024-04-01")
    assert p.stderr == "90 hits in 60 sentences of 30 calls\n"
    assert p.stdout.count("pricing") == 90
    p = q(mirror, "grep", "pricing", "--from", "2024-04-01", "--max-hits", "10")
    assert p.stderr == "10 hits in 7 sentences of 4 calls\nstopped at 10 hits: --max-hits N for more\n"
    p = q(mirror, "grep", "pricing", "--from", "2024-04-01", "--max-hits", "90")
    assert p.stderr == "90 hits in 60 sentences of 30 calls\n"  # nothing was left out
    p = q(mirror, "grep", "-c", "pricing", "--from", "2024-04-01", "--max-hits", "4")
    assert p.stderr == "4 hits in 2 calls\nstopped at 4 hits: --max-hits N for more\n"
    p = q(mirror, "grep", "no such words", "--from", "2024-04-01")
    assert p.stdout == "" and p.stderr == "0 hits in 0 sentences of 0 calls\n"


# ---- did you mean --------------------------------------------------------------------------

@pytest.mark.parametrize("args,msg", [
    (["gerp", "x"], "callmine-query: unknown command 'gerp': did you mean 'grep'?"),
    (["help", "shw"], "callmine-query: unknown command 'shw': did you mean 'show'?"),
    (["calls", "--formt", "json"],
     "callmine-query: calls: unknown option '--formt': did you mean '--format'?"),
    (["--formt=json", "calls"], "callmine-query: unknown option '--formt': did you mean '--format'?"),
    (["grep", "x", "--max-hist", "3"],
     "callmine-query: grep: unknown option '--max-hist': did you mean '--max-hits'?"),
    (["show", "1", "--no-pagr"],
     "callmine-query: show: unknown option '--no-pagr': did you mean '--no-pager'?"),
    (["xyzzy"], "callmine-query: unknown command 'xyzzy' (see callmine-query --help)"),
])
def test_query_did_you_mean(mirror, args, msg):
    p = q(mirror, *args, check=2)
    assert p.stderr == msg + "\n" and p.stdout == ""


@pytest.mark.parametrize("args,msg", [
    (["logn"], "callmine-ingest: unknown command 'logn': did you mean 'login'?"),
    (["--form", "2024-01-01"], "callmine-ingest: unknown option '--form': did you mean '--from'?"),
    (["--refresh-deal", "--bogus"],
     "callmine-ingest: unknown option '--bogus' (see --help)"),
    (["login", "--no-browsr"],
     "callmine-ingest: unknown option '--no-browsr': did you mean '--no-browser'?"),
])
def test_ingest_did_you_mean(tmp_path, args, msg):
    p = subprocess.run([INGEST, "--db", str(tmp_path / "x.db"), *args] if args[0] != "login"
                       else [INGEST, *args], capture_output=True, text=True,
                       env=clean_env({"HOME": str(tmp_path)}), timeout=30)
    assert p.returncode == 2 and p.stderr == msg + "\n"
    assert not (tmp_path / "x.db").exists()
