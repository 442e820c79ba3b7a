"""The semantic layer end to end: FILTERS, `calls`, `show` and call_facts tell one story.

A mirror of the fake Gong server (deals move stage after their calls, so the Now and
TimeOfCall snapshots differ; some calls are run by someone other than their primary user)
is queried with the real binaries, and every answer is checked against Python's sqlite3
over the tables themselves (deals, parties, users), not against call_facts alone: the
snapshot each --deal-timing reads, the rep, the owner, the outcome. Then call_facts is
compared call by call with what `calls --format jsonl` and `show --format json` print.
"""
import calendar
import datetime
import json
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import ROOT, FakeGong, connect, run_ingest, run_query

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import minimirror  # noqa: E402

DAY = 86400


def jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def env_without_config(tmp):
    """An environment whose default stages config is an empty folder."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("CALLMINE_")}
    e["XDG_CONFIG_HOME"] = str(tmp)
    return e


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """A 400-call mirror whose calls end 10 days ago, spread over the 190 days before."""
    tmp = tmp_path_factory.mktemp("semantic")
    start = datetime.date.today() - datetime.timedelta(days=200)
    srv = FakeGong(tmp, calls=400, seed=5, start=start.isoformat(), days=190, rate=0)
    db = tmp / "m.db"
    try:
        run_ingest(db, "--from", start.isoformat(), server=srv, check=0)
    finally:
        srv.stop()
    return db


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return env_without_config(tmp_path_factory.mktemp("config"))


def ids(db, *args, env=None):
    p = run_query(db, "--format", "jsonl", "calls", *args, env=env)
    rows = jsonl(p.stdout)
    assert p.stderr.startswith(f"{len(rows)} call"), p.stderr
    return [r["id"] for r in rows]


def norm(stage):
    return re.sub(r"[\s_-]", "", (stage or "").lower())


def deal_rows(db):
    """{call_id: (now_row, at_call_row)} read from deals as the contract words it: the call's
    deal is the first Gong lists (ord 0) in Now; at the call, that deal's TimeOfCall row, or
    the Now row for a call that has no TimeOfCall snapshot."""
    con = connect(db)
    now, toc = {}, {}
    for r in con.execute("SELECT * FROM deals ORDER BY call_id, timing, ord"):
        if r["timing"] == "Now" and r["ord"] == 0:
            now[r["call_id"]] = dict(r)
        elif r["timing"] == "TimeOfCall":
            toc.setdefault(r["call_id"], []).append(dict(r))
    out = {}
    for cid in {r[0] for r in con.execute("SELECT id FROM calls")}:
        n = now.get(cid)
        if cid not in toc:
            at = n
        else:
            at = next((t for t in toc[cid] if n is not None and t["deal_id"] == n["deal_id"]),
                      None)
        out[cid] = (n, at)
    con.close()
    return out


def by_start(db, call_ids):
    con = connect(db)
    rows = con.execute("SELECT id FROM calls ORDER BY started, id").fetchall()
    con.close()
    keep = set(call_ids)
    return [r[0] for r in rows if r[0] in keep]


# ---- deal timing -------------------------------------------------------------------------

def test_stage_follows_now_by_default_and_the_call_snapshot_with_call(mirror, env):
    deals = deal_rows(mirror)
    lost = {"closedlost", "Closed Lost"}
    want_now = [c for c, (n, a) in deals.items() if n and n["stage"] in lost]
    want_call = [c for c, (n, a) in deals.items() if a and a["stage"] in lost]
    assert want_now and want_call and set(want_now) != set(want_call)
    stage_arg = "closedlost,Closed Lost"
    assert ids(mirror, "--stage", stage_arg, env=env) == by_start(mirror, want_now)
    assert ids(mirror, "--stage", stage_arg, "--deal-timing", "now", env=env) == \
        by_start(mirror, want_now)
    assert ids(mirror, "--stage", stage_arg, "--deal-timing", "call", env=env) == \
        by_start(mirror, want_call)


def test_outcome_reads_the_now_stage_whatever_the_timing(mirror, env):
    deals = deal_rows(mirror)
    for word, stages in (("lost", "closedlost"), ("won", "closedwon")):
        want = [c for c, (n, a) in deals.items() if n and norm(n["stage"]) == stages]
        at_call = [c for c, (n, a) in deals.items() if a and norm(a["stage"]) == stages]
        assert want and set(want) != set(at_call)
        assert ids(mirror, "--outcome", word, env=env) == by_start(mirror, want)
        assert ids(mirror, "--outcome", word, "--deal-timing", "call", env=env) == \
            by_start(mirror, want)
    opened = [c for c, (n, a) in deals.items()
              if n and norm(n["stage"]) not in ("closedwon", "closedlost")]
    assert ids(mirror, "--outcome", "open", env=env) == by_start(mirror, opened)


def test_amounts_and_company_size_per_timing(mirror, env):
    deals = deal_rows(mirror)
    for timing, k in (("now", 0), ("call", 1)):
        want = [c for c, rows in deals.items()
                if rows[k] and rows[k]["amount"] is not None and rows[k]["amount"] >= 50000]
        assert want
        got = ids(mirror, "--min-amount", "50k", "--deal-timing", timing, env=env)
        assert got == by_start(mirror, want)
        assert ids(mirror, "--min-amount", "50000", "--deal-timing", timing, env=env) == got
        want = [c for c, rows in deals.items()
                if rows[k] and rows[k]["amount"] is not None
                and 20000 <= rows[k]["amount"] <= 100000
                and rows[k]["company_size"] is not None and rows[k]["company_size"] >= 200]
        assert want
        assert ids(mirror, "--min-amount", "20k", "--max-amount", "0.1m", "--company-size",
                   "200+", "--deal-timing", timing, env=env) == by_start(mirror, want)


def test_combined_deal_terms_hold_for_the_same_snapshot(mirror, env):
    deals = deal_rows(mirror)
    want = [c for c, (n, a) in deals.items()
            if a and a["stage"] in ("contractsent", "Negotiation/Review")
            and a["amount"] is not None and a["amount"] >= 10000
            and n and norm(n["stage"]) == "closedlost"]
    assert want
    assert ids(mirror, "--stage", "contractsent,negotiation/review", "--min-amount", "10k",
               "--outcome", "lost", "--deal-timing", "call", env=env) == by_start(mirror, want)


# ---- relative dates ----------------------------------------------------------------------

def months_before(t, n):
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    m = d.year * 12 + d.month - 1 - n
    y, mo = divmod(m, 12)
    day = min(d.day, calendar.monthrange(y, mo + 1)[1])
    return d.replace(year=y, month=mo + 1, day=day).timestamp()


def started_after(db, t):
    iso = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + f"{int(t * 1000) % 1000:03d}Z"
    con = connect(db)
    rows = [r[0] for r in con.execute(
        "SELECT id FROM calls WHERE started >= ? ORDER BY started, id", (iso,))]
    con.close()
    return rows


@pytest.mark.parametrize("when,back", [
    ("90d", lambda t: t - 90 * DAY), ("12w", lambda t: t - 84 * DAY),
    ("6m", lambda t: months_before(t, 6)), ("1m", lambda t: months_before(t, 1)),
])
def test_relative_from(mirror, env, when, back):
    before = time.time()
    got = ids(mirror, "--from", when, env=env)
    after = time.time()
    assert got in (started_after(mirror, back(before)), started_after(mirror, back(after)))
    assert got and len(got) < 400


def test_today_and_yesterday_are_utc_midnights(mirror, env):
    everything = ids(mirror, env=env)
    assert ids(mirror, "--from", "yesterday", env=env) == []  # the calls ended 10 days ago
    assert ids(mirror, "--to", "today", env=env) == everything
    assert ids(mirror, "--from", "201d", "--to", "yesterday", env=env) == everything


def test_bad_values_are_one_line_usage_errors(mirror, env):
    for args, part in ((["--from", "3y"], "--from '3y'"), (["--min-amount", "5x"], "--min-amount"),
                       (["--outcome", "pending"], "--outcome 'pending'"),
                       (["--deal-timing", "then"], "--deal-timing 'then'"),
                       (["--participant", ""], "--participant")):
        p = run_query(mirror, "calls", *args, env=env, check=2)
        assert p.stdout == "" and p.stderr.count("\n") == 1
        assert p.stderr.startswith("callmine-query: ") and part in p.stderr


# ---- people ------------------------------------------------------------------------------

def test_rep_is_who_talked_most_and_participant_anyone_internal(mirror, env):
    con = connect(mirror)
    # a call run by someone other than its primary user, whose names differ
    row = con.execute(
        "SELECT c.id, trim(pu.first_name || ' ' || pu.last_name) AS primary_name, "
        "trim(ru.first_name || ' ' || ru.last_name) AS rep_name "
        "FROM calls c JOIN call_metrics m ON m.call_id = c.id "
        "JOIN users pu ON pu.id = c.primary_user_id JOIN users ru ON ru.id = m.rep_user_id "
        "WHERE m.rep_user_id <> c.primary_user_id "
        "AND lower(trim(pu.first_name || ' ' || pu.last_name)) <> "
        "lower(trim(ru.first_name || ' ' || ru.last_name)) ORDER BY c.id LIMIT 1").fetchone()
    assert row is not None
    call, primary, rep = row
    # Python's own reading of the rep: the internal speaker with the most talk, else the
    # primary user; named from users
    names = {}
    for r in con.execute(
            "SELECT c.id, coalesce(m.rep_user_id, c.primary_user_id) AS uid, m.rep_speaker_id "
            "FROM calls c LEFT JOIN call_metrics m ON m.call_id = c.id"):
        u = con.execute("SELECT first_name, last_name, email FROM users WHERE id = ?",
                        (r["uid"],)).fetchone()
        names[r["id"]] = ((f"{u[0] or ''} {u[1] or ''}".strip(), u[2] or "") if u else ("", ""))
    internal = {}
    for r in con.execute("SELECT p.call_id, p.name, p.email, u.first_name, u.last_name, "
                         "u.email AS uemail FROM parties p LEFT JOIN users u ON u.id = p.user_id "
                         "WHERE p.affiliation = 'Internal'"):
        internal.setdefault(r[0], []).append(" ".join(str(v or "") for v in r[1:]).lower())
    con.close()
    needle = primary.split()[0].lower()
    want_rep = [c for c, (n, e) in names.items() if needle in n.lower() or needle in e.lower()]
    got_rep = ids(mirror, "--rep", primary.split()[0].upper(), env=env)
    assert got_rep == by_start(mirror, want_rep)
    got_part = ids(mirror, "--participant", primary.split()[0], env=env)
    assert call in got_part and call not in got_rep
    assert set(got_rep) <= set(got_part) | {c for c, (n, e) in names.items() if not internal.get(c)}
    want_part = [c for c, texts in internal.items() if any(needle in t for t in texts)]
    assert set(want_part) <= set(got_part)
    rows = jsonl(run_query(mirror, "--format", "jsonl", "calls", "--participant",
                           primary.split()[0], env=env).stdout)
    assert next(r for r in rows if r["id"] == call)["rep"] == rep


def test_owner_by_value_and_by_name(mirror, env, tmp_path):
    con = connect(mirror)
    owner, n = con.execute("SELECT owner, count(*) FROM deals WHERE timing = 'Now' AND ord = 0 "
                           "AND owner IS NOT NULL GROUP BY owner ORDER BY 2 DESC, 1 "
                           "LIMIT 1").fetchone()
    want = [r[0] for r in con.execute(
        "SELECT call_id FROM deals WHERE timing = 'Now' AND ord = 0 AND owner = ?", (owner,))]
    crm_users = con.execute("SELECT count(*) FROM crm_users WHERE crm_id = ?",
                            (owner,)).fetchone()[0]
    con.close()
    assert ids(mirror, "--owner", owner.upper(), env=env) == by_start(mirror, want)
    # by name: a CRM user with that id (Salesforce sends them as party-level User objects;
    # when the fake tenant sent none for this owner, one is added to a copy)
    db = tmp_path / "owners.db"
    shutil.copy(mirror, db)
    if not crm_users:
        w = sqlite3.connect(db)
        w.execute("INSERT INTO crm_users VALUES (?, 'Salesforce', 'Quentin Zephyr', "
                  "'qz@example.com')", (owner,))
        # what the ingest does with a changed CRM user: the facts naming it refreshed
        w.execute("INSERT OR REPLACE INTO call_facts_stored SELECT * FROM call_facts_live")
        w.commit()
        w.close()
    con = connect(db)
    if crm_users:  # the fake tenant sends CRM users: take the busiest owner it names
        owner = con.execute(
            "SELECT d.owner FROM deals d JOIN crm_users cu ON cu.crm_id = d.owner "
            "WHERE d.timing = 'Now' AND d.ord = 0 GROUP BY d.owner ORDER BY count(*) DESC, 1 "
            "LIMIT 1").fetchone()[0]
        want = [r[0] for r in con.execute(
            "SELECT call_id FROM deals WHERE timing = 'Now' AND ord = 0 AND owner = ?",
            (owner,))]
    name, email = con.execute("SELECT name, email FROM crm_users WHERE crm_id = ?",
                              (owner,)).fetchone()
    facts = {r[0] for r in con.execute("SELECT call_id FROM call_facts WHERE owner_name = ?",
                                       (name,))}
    con.close()
    assert facts == set(want)
    assert ids(db, "--owner", name.lower(), env=env) == by_start(db, want)
    assert ids(db, "--owner", email.upper(), env=env) == by_start(db, want)


# ---- one story: call_facts, calls, show ----------------------------------------------------

def test_call_facts_equal_calls_and_show_call_by_call(mirror, env):
    con = connect(mirror)
    facts = {r["call_id"]: dict(r) for r in con.execute("SELECT * FROM call_facts")}
    con.close()
    assert len(facts) == 400
    for timing, stage, amount in (("now", "stage", "amount"),
                                  ("call", "stage_at_call", "amount_at_call")):
        rows = jsonl(run_query(mirror, "--format", "jsonl", "calls", "--deal-timing", timing,
                               env=env).stdout)
        assert len(rows) == 400
        for r in rows:
            f = facts[r["id"]]
            assert (r["started"], r["rep"], r["stage"], r["amount"], r["outcome"], r["title"]) \
                == (f["started"], f["rep_name"], f[stage], f[amount], f["outcome"], f["title"])
    sample = sorted(facts)[::10]
    for cid in sample:
        f = facts[cid]
        d = json.loads(run_query(mirror, "show", cid, "--format", "json", env=env).stdout)
        assert d["rep"] == f["rep_name"] and d["started"] == f["started"]
        now = [x for x in d["deals"] if x["timing"] == "Now" and x["deal_id"] == f["deal_id"]]
        if f["deal_id"] is None:
            assert f["stage"] is None
        else:
            assert len(now) == 1
            assert (now[0]["stage"], now[0]["amount"], now[0]["owner"]) == \
                (f["stage"], f["amount"], f["owner"])


# Each FILTER shape as `calls` takes it and as plain SQL over call_facts (the row named cf),
# {stage}, {amount}, {size} and {owner} standing for the deal's column in the timing: the
# stored facts' own for stage and amount; for company size and owner at the call, the
# TimeOfCall row of the call's deal, or the Now row (cf's) when the call has no TimeOfCall
# snapshot. Values that depend on the mirror are filled in by listing_shapes().
AT_CALL = ("CASE WHEN EXISTS (SELECT 1 FROM deals z WHERE z.call_id = cf.call_id "
           "AND z.timing = 'TimeOfCall') THEN (SELECT t.{col} FROM deals t WHERE "
           "t.call_id = cf.call_id AND t.timing = 'TimeOfCall' AND t.deal_id IS cf.deal_id) "
           "ELSE cf.{col} END")


def listing_shapes(db):
    con = connect(db)
    owner = con.execute("SELECT owner FROM deals WHERE timing = 'TimeOfCall' AND owner IS NOT "
                        "NULL GROUP BY owner ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    rep = con.execute("SELECT rep_name FROM call_facts WHERE rep_name IS NOT NULL GROUP BY "
                      "rep_name ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0].split()[-1]
    starts = [r[0] for r in con.execute("SELECT started FROM calls WHERE started IS NOT NULL "
                                        "ORDER BY started")]
    con.close()
    lo, hi = starts[len(starts) // 4], starts[3 * len(starts) // 4]
    return [
        ("none", [], "1", []),
        ("stage", ["--stage", "closedlost,Closed Lost"],
         "{stage} COLLATE NOCASE IN ('closedlost', 'Closed Lost')", []),
        ("amount", ["--min-amount", "20k", "--max-amount", "0.1m"],
         "{amount} BETWEEN 20000 AND 100000", []),
        ("company size", ["--company-size", "200-5000"], "{size} BETWEEN 200 AND 5000", []),
        ("owner", ["--owner", owner.lower()], "lower({owner}) = lower(?)", [owner]),
        ("outcome", ["--outcome", "lost,open"], "cf.outcome IN ('lost', 'open')", []),
        ("rep", ["--rep", rep.upper()],
         "(instr(lower(cf.rep_name), lower(?)) OR instr(lower(cf.rep_email), lower(?)))",
         [rep, rep]),
        ("dates", ["--from", lo, "--to", hi], "cf.started >= ? AND cf.started < ?", [lo, hi]),
        ("where", ["--where", "duration > 1800"], "cf.duration > 1800", []),
        ("combined", ["--stage", "contractsent,closedlost,Closed Lost", "--min-amount", "5k",
                      "--company-size", "50+", "--outcome", "lost", "--from", lo],
         "{stage} COLLATE NOCASE IN ('contractsent', 'closedlost', 'Closed Lost') AND "
         "{amount} >= 5000 AND {size} >= 50 AND cf.outcome = 'lost' AND cf.started >= ?",
         [lo]),
    ]


def listing_by_sql(db, where, params, timing):
    """The rows `calls --format jsonl` should print, and its count line, by plain SQL."""
    now = timing == "now"
    cols = {"stage": "cf.stage" if now else "cf.stage_at_call",
            "amount": "cf.amount" if now else "cf.amount_at_call",
            "size": "cf.company_size" if now else AT_CALL.format(col="company_size"),
            "owner": "cf.owner" if now else AT_CALL.format(col="owner")}
    con = connect(db)
    rows = [dict(r) for r in con.execute(
        f"SELECT cf.call_id AS id, cf.started, cf.duration, cf.rep_name AS rep, "
        f"{cols['stage']} AS stage, {cols['amount']} AS amount, cf.outcome, cf.company_name, "
        f"cf.deal_name, cf.title, m.sentences, cf.url, cf.rep_id, cf.rep_email, cf.deal_id, "
        f"cf.has_transcript FROM call_facts cf LEFT JOIN call_metrics m ON "
        f"m.call_id = cf.call_id WHERE {where.format(**cols)} ORDER BY cf.started, cf.call_id",
        params)]
    con.close()
    deals = {r["deal_id"] if r["deal_id"] is not None else " " + r["id"]
             for r in rows if r["outcome"] is not None}
    reps = {r["rep_id"] or r["rep_email"] or r["rep"] for r in rows} - {None}
    with_t = sum(1 for r in rows if r["has_transcript"])
    for r in rows:
        for k in ("rep_id", "rep_email", "deal_id", "has_transcript"):
            del r[k]
    return rows, (len(rows), len(deals), len(reps), with_t)


@pytest.mark.parametrize("timing", ["now", "call"])
def test_calls_lists_what_plain_sql_over_call_facts_selects(mirror, env, timing):
    """Every FILTER shape in both timings: `calls` prints, in start order, the rows and the
    count line that plain SQL over call_facts gives (calls reads the stored facts in one
    pass and orders the rows itself; this holds it to the SQL)."""
    for label, args, where, params in listing_shapes(mirror):
        want, (n, deals, reps, with_t) = listing_by_sql(mirror, where, params, timing)
        assert label == "none" or 0 < n < 400, (label, n)
        p = run_query(mirror, "--format", "jsonl", "calls", *args, "--deal-timing", timing,
                      env=env)
        assert jsonl(p.stdout) == want, label
        assert p.stderr.startswith(f"{n} call{'s' if n != 1 else ''}, {deals} deal"
                                   f"{'s' if deals != 1 else ''}, {reps} rep"
                                   f"{'s' if reps != 1 else ''}, transcripts for {with_t}"), \
            (label, p.stderr)
        tsv = run_query(mirror, "--format", "tsv", "calls", *args, "--deal-timing", timing,
                        env=env).stdout.splitlines()
        assert len(tsv) == n + 1 and [line.split("\t")[0] for line in tsv[1:]] == \
            [r["id"] for r in want], label


def test_call_facts_reads_in_stock_sqlite3_without_the_extension(mirror):
    if not shutil.which("sqlite3"):
        pytest.fail("the sqlite3 shell is missing (make deps installs it)")
    sql = ("SELECT count(*), count(rep_name), count(stage), sum(outcome = 'lost'), "
           "count(talk_ratio) FROM call_facts;")
    p = subprocess.run(["sqlite3", "-readonly", str(mirror), sql], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    con = connect(mirror)
    want = "|".join(str(v) for v in con.execute(sql).fetchone())
    cols = [r[1] for r in con.execute("PRAGMA table_info(call_facts)")]
    con.close()
    assert p.stdout.strip() == want and want.startswith("400|400|")
    assert cols == ["call_id", "started", "title", "duration", "url", "scope", "is_private",
                    "rep_id", "rep_name", "rep_email", "rep_source", "deal_id", "deal_name",
                    "stage", "amount", "close_date", "owner", "owner_name", "company_name",
                    "company_size", "stage_at_call", "amount_at_call", "outcome",
                    "has_transcript", "talk_ratio", "longest_monologue_s", "questions_rep",
                    "questions_customer", "patience_s", "interactivity"]


# ---- the stages config -------------------------------------------------------------------

def test_stages_config_gives_every_command_one_outcome(mirror, tmp_path):
    conf = tmp_path / "callmine"
    conf.mkdir()
    (conf / "stages.conf").write_text("# our pipeline\nlost = contractsent, Negotiation/Review\n")
    e = env_without_config(tmp_path)
    con = connect(mirror)
    want = [r[0] for r in con.execute(
        "SELECT call_id FROM deals WHERE timing = 'Now' AND ord = 0 AND (lower(stage) IN "
        "('closedlost', 'closed lost', 'contractsent', 'negotiation/review'))")]
    con.close()
    got = ids(mirror, "--outcome", "lost", env=e)
    assert got == by_start(mirror, want)
    assert ids(mirror, "--outcome", "lost", env=env_without_config(tmp_path / "none")) != got
    sql = "SELECT count(*) FROM call_facts WHERE outcome = 'lost'"
    assert jsonl(run_query(mirror, "--format", "jsonl", "sql", sql, env=e).stdout) == \
        [{"count(*)": len(want)}]
    rows = jsonl(run_query(mirror, "--format", "jsonl", "calls", "--stage", "contractsent",
                           env=e).stdout)
    assert rows and {r["outcome"] for r in rows} == {"lost"}
    # --stages FILE, before or after the command, instead of the default
    other = tmp_path / "other.conf"
    other.write_text("won = contractsent\n")
    for args in (["--stages", other, "calls"], ["calls", "--stages", other]):
        p = run_query(mirror, "--format", "jsonl", *args, "--stage", "contractsent", env=e)
        assert {r["outcome"] for r in jsonl(p.stdout)} == {"won"}
    bad = tmp_path / "bad.conf"
    bad.write_text("won = a\nmaybe = b\n")
    p = run_query(mirror, "--stages", bad, "calls", env=e, check=2)
    assert p.stderr.startswith("callmine-query: ") and "bad.conf:2" in p.stderr
    p = run_query(mirror, "--stages", tmp_path / "missing.conf", "calls", env=e, check=2)
    assert "missing.conf" in p.stderr


# ---- version -----------------------------------------------------------------------------

def test_version(tmp_path):
    version = re.search(r'CALLMINE_VERSION "([^"]+)"',
                        (ROOT / "schema" / "version.h").read_text()).group(1)
    schema = re.search(r"DB_SCHEMA_VERSION (\d+)", (ROOT / "schema" / "db.h").read_text()).group(1)
    p = run_query(tmp_path / "none.db", "--version")
    assert p.stdout == f"callmine-query {version} (schema {schema})\n" and p.stderr == ""


def test_export_keeps_owner_names_and_drops_measures_without_transcripts(mirror, env, tmp_path):
    """An export answers call_facts as its source does for the calls it holds: the owners'
    names travel with the deals (crm_users), and without transcripts there are no measures
    (call_metrics), so has_transcript is 0 rather than a claim the file cannot back."""
    con = connect(mirror)
    want = {r[0]: r[1] for r in con.execute(
        "SELECT call_id, owner_name FROM call_facts WHERE owner_name IS NOT NULL")}
    con.close()
    assert want, "the fake tenant names no CRM owner"
    out = tmp_path / "out.db"
    p = run_query(mirror, "export", out, env=env)
    assert p.returncode == 0, p.stderr
    con = connect(out)
    got = {r[0]: r[1] for r in con.execute(
        "SELECT call_id, owner_name FROM call_facts WHERE owner_name IS NOT NULL")}
    con.close()
    assert got == want
    bare = tmp_path / "bare.db"
    p = run_query(mirror, "export", bare, "--no-transcripts", env=env)
    assert p.returncode == 0, p.stderr
    con = connect(bare)
    assert con.execute("SELECT count(*) FROM call_metrics").fetchone()[0] == 0
    assert con.execute("SELECT sum(has_transcript) FROM call_facts").fetchone()[0] == 0
    con.close()
