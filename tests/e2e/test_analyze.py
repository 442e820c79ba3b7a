"""`callmine-query analyze`: every analysis recovers the signals the fake server planted, and
the recomputed measures equal values computed by hand on a small fixture.

The planted mirror is 800 calls of tools/fakegong.py (seed 1), ingested once for the module.
Tolerances: against the generator's own measure() (same population, same definitions) the
talk ratio and questions must agree to rounding (0.0001, 0.01); against Gong's per-call stats
(per-call means, rounded by Gong) talk ratio within 0.02, monologues within 1 s, patience within 0.02 s,
interactivity within 0.1; against the planted targets the talker within 0.70 +- 0.01, other
reps within 0.40-0.55, the questioner 17-23 a call and others 6-14, the monologuer's mean
longest monologue 60 s or more and others' 45 s or less; mention shares by outcome and by
company size exactly the realized counts in PLANTED, and within 0.15 of the intended shares.
"""
import json
import math

import pytest

import minimirror
import planted
from planted import analyze, by_group, q

NAMES = ["activity", "coverage", "freshness", "interactivity", "mentions", "monologues",
         "patience", "questions", "real-rep", "talk-ratio", "topics", "trackers", "won-vs-lost"]


@pytest.fixture(scope="module")
def pm(tmp_path_factory):
    db, ds = planted.build(tmp_path_factory.mktemp("planted"), 800)
    return dict(db=db, ds=ds, P=ds.PLANTED, M=ds.measure())


def rep_rows(pm, *args):
    rows = analyze(pm["db"], *args)
    return {r["rep_email"] if "rep_email" in r else r["group"]: r for r in rows}


# ---- the list and the shapes -------------------------------------------------------------

def test_list_names_every_analysis_with_its_definition(pm):
    p = q(pm["db"], "analyze", "--list")
    lines = p.stdout.splitlines()
    assert [ln.split("\t")[0] for ln in lines] == NAMES
    assert all(len(ln.split("\t")) == 2 and len(ln.split("\t")[1]) > 20 for ln in lines)
    js = [json.loads(x) for x in q(pm["db"], "analyze", "--list", "--format", "jsonl")
          .stdout.splitlines()]
    assert [set(o) for o in js] == [{"name", "summary"}] * len(NAMES)
    assert js[NAMES.index("talk-ratio")]["summary"] == lines[NAMES.index("talk-ratio")] \
        .split("\t")[1]


def test_help_shows_the_full_definition(pm):
    out = q(pm["db"], "analyze", "talk-ratio", "--help").stdout
    assert "Talk Ratio" in out and "65%" in out and "Default grouping: --by rep" in out
    # the notes for the program are not shown to a person
    assert "@by" not in out and "@when-by" not in out and "scope.h" not in out
    for name in NAMES:
        out = q(pm["db"], "analyze", name, "--help").stdout
        assert "@" not in out.replace("@acme", "") and "scope.h" not in out, name
    assert "--by GROUPING" in q(pm["db"], "analyze", "--help").stdout


@pytest.mark.parametrize("name", NAMES)
def test_every_analysis_starts_with_group_and_calls(pm, name):
    args = [name] + (["Clarivox"] if name in ("mentions", "won-vs-lost") else [])
    rows = analyze(pm["db"], *args)
    assert rows, name
    for r in rows:
        assert list(r)[:2] == ["group", "calls"], r


@pytest.mark.parametrize("by", ["rep", "stage", "month", "week", "outcome", "company-size",
                                "call", "all"])
def test_every_grouping_counts_every_call_once(pm, by):
    total = q(pm["db"], "sql", "SELECT count(*) FROM calls").stdout.split()[-1]
    rows = analyze(pm["db"], "activity", "--by", by)
    assert sum(r["calls"] for r in rows) == int(total)
    assert len({r["group"] for r in rows}) == len(rows)
    m = analyze(pm["db"], "mentions", "Clarivox", "--by", by)
    assert sum(r["calls_with_hit"] for r in m) == \
        sum(o["with_mention"] for o in pm["P"]["competitor"]["realized"].values())


# ---- planted signals ---------------------------------------------------------------------

def test_talk_ratio_finds_the_talker(pm):
    P, M = pm["P"], pm["M"]
    rows = rep_rows(pm, "talk-ratio")
    talker = rows[P["talker"]["email"]]
    assert abs(talker["talk_ratio"] - 0.70) <= 0.01 and talker["flag"] == "high"
    assert talker["rep"] == P["talker"]["name"] and talker["group"] == P["talker"]["name"]
    users = {u["id"]: u["emailAddress"] for u in pm["ds"].users()}
    for uid, m in M["reps"].items():
        r = rows[users[uid]]
        assert r["calls"] == m["calls"]
        assert abs(r["talk_ratio"] - m["talk_share"]) <= 0.0001, (r, m)
        # Gong's is a mean of per-call ratios rounded to 0.01; ours is pooled over talk time
        assert abs(r["talk_ratio"] - r["gong_talk_ratio"]) <= 0.02, r
        if users[uid] != P["talker"]["email"] and m["calls"] >= 3:
            assert 0.40 <= r["talk_ratio"] <= 0.55 and r["flag"] == "ok", r


def test_questions_find_the_questioner(pm):
    P, M = pm["P"], pm["M"]
    rows = by_group(analyze(pm["db"], "questions"))
    names = {u["id"]: (u["firstName"] + " " + u["lastName"]) for u in pm["ds"].users()}
    for uid, m in M["reps"].items():
        r = rows[names[uid]]
        assert abs(r["rep_questions_per_call"] - m["questions_per_call"]) <= 0.01, (r, m)
        assert abs(r["rep_questions_per_call"] - r["gong_rep_questions_per_call"]) <= 0.01
        if uid == P["questioner"]["user_id"]:
            assert 17 <= r["rep_questions_per_call"] <= 23 and r["flag"] == "high"
        elif m["calls"] >= 3:
            assert 6 <= r["rep_questions_per_call"] <= 14, r


def test_monologues_find_the_monologuer(pm):
    P, M = pm["P"], pm["M"]
    rows = by_group(analyze(pm["db"], "monologues"))
    names = {u["id"]: (u["firstName"] + " " + u["lastName"]) for u in pm["ds"].users()}
    top = max(rows.values(), key=lambda r: r["longest_monologue_s"])
    assert top["group"] == P["monologuer"]["name"] and top["longest_monologue_s"] >= 60
    for uid, m in M["reps"].items():
        r = rows[names[uid]]
        assert abs(r["longest_monologue_s"] - m["mean_longest_monologue_s"]) <= 0.15, (r, m)
        assert abs(r["longest_monologue_s"] - r["gong_longest_monologue_s"]) <= 1.0
        assert abs(r["longest_story_s"] - r["gong_longest_story_s"]) <= 1.0
        if uid != P["monologuer"]["user_id"]:
            assert r["longest_monologue_s"] <= 45, r
    calls = analyze(pm["db"], "monologues", "--by", "call")
    assert all(c["calls"] == 1 and c["url"].startswith("https://") for c in calls)


def test_patience_and_interactivity_match_gongs_stats(pm):
    for r in analyze(pm["db"], "patience"):
        assert abs(r["patience_s"] - r["gong_patience_s"]) <= 0.02, r
        assert 0.5 <= r["patience_s"] <= 3
    for r in analyze(pm["db"], "interactivity"):
        assert abs(r["interactivity"] - r["gong_interactivity"]) <= 0.1, r
        assert r["switches_per_min"] > 1


def test_mentions_find_the_competitor_in_lost_deals(pm):
    real = pm["P"]["competitor"]["realized"]
    intended = pm["P"]["competitor"]["intended"]
    for speaker in ("all", "customer"):
        rows = by_group(analyze(pm["db"], "mentions", "Clarivox", "--by", "outcome",
                                "--speaker", speaker))
        for o in ("won", "lost", "open"):
            assert rows[o]["calls"] == real[o]["calls"], (o, rows[o])
            assert rows[o]["calls_with_hit"] == real[o]["with_mention"], (o, rows[o])
            assert abs(rows[o]["share"] - intended[o]) <= 0.15
            assert rows[o]["share_low"] <= rows[o]["share"] <= rows[o]["share_high"]
        assert rows["no deal"]["calls_with_hit"] == 0
    rep_only = by_group(analyze(pm["db"], "mentions", "Clarivox", "--by", "outcome",
                                "--speaker", "rep"))
    assert rep_only["lost"]["calls_with_hit"] <= real["lost"]["with_mention"]
    # the same regardless of which CRM snapshot the deal filters read
    now = by_group(analyze(pm["db"], "mentions", "Clarivox", "--by", "outcome",
                           "--deal-timing", "now"))
    assert {k: v["calls_with_hit"] for k, v in now.items()} == \
        {k: v["calls_with_hit"] for k, v in rows.items()}


def test_mentions_find_discount_in_large_companies(pm):
    real, intended = pm["P"]["discount"]["realized"], pm["P"]["discount"]["intended"]
    rows = by_group(analyze(pm["db"], "mentions", "-i", r"\bdiscount", "--by", "company-size"))
    bands = {"large": ["1000-4999", "5000+"], "small": ["1-49", "50-199", "200-999"],
             "unknown": ["unknown"]}
    for g, names in bands.items():
        n = sum(rows[b]["calls"] for b in names if b in rows)
        x = sum(rows[b]["calls_with_hit"] for b in names if b in rows)
        assert (n, x) == (real[g]["calls"], real[g]["with_mention"]), g
        assert abs(x / n - intended[g]) <= 0.15, g
    large = analyze(pm["db"], "mentions", "-i", "discount", "--company-size", "1000+",
                    "--by", "all")[0]
    assert large["calls_with_hit"] == real["large"]["with_mention"]


def test_mention_hits_equal_grep_counts(pm):
    rows = analyze(pm["db"], "mentions", "-i", "pric(e|ing)", "--by", "all")
    grep = q(pm["db"], "grep", "-c", "-i", "pric(e|ing)").stdout.splitlines()
    assert rows[0]["hits"] == sum(int(line.split("\t")[-1]) for line in grep)
    assert rows[0]["calls_with_hit"] == len(grep)


def test_mention_hits_per_call_are_grep_counts(pm):
    """Call by call, with a speaker side and caseless: mentions --by call says what grep -c
    says (one engine), and calls without a hit count as 0."""
    args = ["-i", "clarivox|pric(e|ing)", "--speaker", "customer"]
    rows = by_group(analyze(pm["db"], "mentions", *args, "--by", "call"))
    grep = dict(line.split("\t")[-2:] for line in
                q(pm["db"], "grep", "-c", *args).stdout.splitlines())
    assert {k for k, r in rows.items() if r["hits"]} == set(grep)
    assert all(rows[k]["hits"] == int(n) for k, n in grep.items())
    assert sum(r["hits"] == 0 for r in rows.values()) > 0


def wilson(x, n, z=1.96):
    p = x / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h


def test_won_vs_lost_interval(pm):
    real = pm["P"]["competitor"]["realized"]
    r = analyze(pm["db"], "won-vs-lost", "Clarivox")[0]
    w, lo = real["won"], real["lost"]
    assert (r["won_calls"], r["won_with_hit"]) == (w["calls"], w["with_mention"])
    assert (r["lost_calls"], r["lost_with_hit"]) == (lo["calls"], lo["with_mention"])
    pw, pl = w["with_mention"] / w["calls"], lo["with_mention"] / lo["calls"]
    (l1, u1), (l2, u2) = wilson(w["with_mention"], w["calls"]), \
        wilson(lo["with_mention"], lo["calls"])
    assert abs(r["won_low"] - l1) < 1e-4 and abs(r["lost_high"] - u2) < 1e-4
    d = pw - pl
    assert abs(r["won_minus_lost"] - d) < 1e-4
    assert abs(r["diff_low"] - (d - math.sqrt((pw - l1) ** 2 + (u2 - pl) ** 2))) < 1e-4
    assert abs(r["diff_high"] - (d + math.sqrt((u1 - pw) ** 2 + (pl - l2) ** 2))) < 1e-4
    assert r["diff_low"] < -0.5 < r["diff_high"] and r["significant"] == "yes"
    assert r["calls"] == w["calls"] + lo["calls"]


def test_real_rep_finds_the_handoffs(pm):
    ds = pm["ds"]
    rows = analyze(pm["db"], "real-rep")
    assert {r["group"] for r in rows} == set(pm["M"]["handoff"])
    assert set(pm["M"]["handoff"]) <= set(pm["P"]["handoff"]["call_ids"])
    emails = {u["id"]: u["emailAddress"] for u in ds.users()}
    for r in rows:
        assert r["real_rep_email"] == emails[ds.runner(r["group"])]
        assert r["real_rep"] != r["primary_user"]
        # one row per handed-off call: the per-group counts do not apply
        assert "handed_off" not in r and "share" not in r
        assert r["url"].endswith(r["group"])
    per_rep = analyze(pm["db"], "real-rep", "--by", "rep")
    assert sum(r["handed_off"] for r in per_rep) == len(rows)
    # the calls in order of their start, then id (the rows are ordered before the share is
    # read from each transcript)
    started = {c["call_id"]: c["started"] for c in map(json.loads, q(
        pm["db"], "sql", "--format", "jsonl", "SELECT call_id, started FROM call_facts"
    ).stdout.splitlines())}
    keys = [(started[r["group"]], r["group"]) for r in rows]
    assert len(keys) > 3 and keys == sorted(keys)


def test_trackers_and_topics_by_outcome(pm):
    rows = analyze(pm["db"], "trackers")
    comp = {r["group"]: r for r in rows if r["tracker"] == "Competitors"}
    assert comp["lost"]["share"] > comp["won"]["share"] + 0.2
    got = {(r["group"], r["tracker"]): r["hits"] for r in rows}
    sql = ("SELECT t.name, sum(t.count) FROM trackers t JOIN deals d ON d.call_id = t.call_id "
           "AND d.timing = 'Now' WHERE d.stage IN ('closedlost', 'Closed Lost') GROUP BY 1")
    for line in q(pm["db"], "sql", sql).stdout.splitlines()[1:]:
        name, hits = line.split("\t")
        assert got[("lost", name)] == int(hits)
    topics = analyze(pm["db"], "topics", "--by", "all")
    assert abs(sum(t["share_of_time"] for t in topics) - 1) < 0.01


def test_coverage_and_freshness(pm):
    cov = analyze(pm["db"], "coverage", "--by", "all")[0]
    n = int(q(pm["db"], "sql", "SELECT count(*) FROM transcripts").stdout.split()[-1])
    assert cov["transcripts"] == n and abs(cov["coverage"] - n / cov["calls"]) < 1e-4
    assert cov["private"] == len(pm["P"]["hard_cases"]["private"])
    f = analyze(pm["db"], "freshness")[0]
    fin = q(pm["db"], "sql", "SELECT max(finished) FROM runs").stdout.split()[-1]
    assert f["last_sync"] == fin and f["last_run_outcome"] == "done"
    assert f["last_sync_age_days"] < 1 and f["newest_call"].startswith("2024-04")


def test_filters_narrow_the_scope(pm):
    P = pm["P"]
    name = P["talker"]["name"]
    rows = by_group(analyze(pm["db"], "talk-ratio", "--rep", P["talker"]["email"]))
    full = by_group(analyze(pm["db"], "talk-ratio"))
    assert rows[name] == full[name]
    early = analyze(pm["db"], "activity", "--by", "all", "--to", "2024-02-01")[0]
    assert early["last_call"] < "2024-02-01"


# ---- usage ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args,text", [
    (["nosuch"], "unknown analysis 'nosuch'"),
    (["mentions"], "give a PATTERN"),
    (["mentions", "("], "PATTERN"),
    (["talk-ratio", "--by", "color"], "--by 'color'"),
    (["mentions", "x", "--speaker", "boss"], "--speaker 'boss'"),
    (["talk-ratio", "extra"], "unexpected argument 'extra'"),
    ([], "name an analysis"),
])
def test_usage_errors_exit_2(pm, args, text):
    p = q(pm["db"], "analyze", *args, check=2)
    assert p.stdout == "" and p.stderr.startswith("callmine-query: ") and text in p.stderr


def test_user_analyses_from_a_folder(pm, tmp_path):
    d = tmp_path / "an"
    d.mkdir()
    (d / "long-calls.sql").write_text(
        "-- long-calls: calls over 45 minutes per group\n--\n-- @by: outcome\n"
        "SELECT grp AS \"group\", count(*) AS calls, sum(duration > 2700) AS long_calls\n"
        "  FROM scope GROUP BY grp ORDER BY min(grp_key);\n")
    lst = q(pm["db"], "analyze", "--list", "--analyses", d).stdout
    assert "long-calls\tcalls over 45 minutes per group" in lst
    rows = analyze(pm["db"], "long-calls", "--analyses", d)
    assert [r["group"] for r in rows][:3] == ["won", "lost", "open"]
    # the default folder: $XDG_CONFIG_HOME/callmine/analyses
    xdg = tmp_path / "xdg"
    (xdg / "callmine").mkdir(parents=True)
    (d).rename(xdg / "callmine" / "analyses")
    env = planted.query_env(XDG_CONFIG_HOME=str(xdg))
    assert "long-calls" in q(pm["db"], "analyze", "--list", env=env).stdout
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.sql").write_text("SELECT 1;\n")
    p = q(pm["db"], "analyze", "--list", "--analyses", bad, check=2)
    assert "broken" in p.stderr and "comment line" in p.stderr


# ---- hand-computed values on a small fixture ----------------------------------------------

A, B, C, D, E = "9001", "9002", "9003", "9004", "9005"


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    path = tmp_path_factory.mktemp("mini") / "mini.db"
    m = minimirror.Mirror(path)
    m.user("u1", "Dana", "Smith", "dana@acme.com")
    m.user("u2", "Lee", "Chen", "lee@acme.com")
    m.user("u3", "Sam", "Sdr", "sam@acme.com")
    # A: 120 s, Dana with two customers; hand-computed below
    m.call(A, "Acme <discovery> & \"more\"", "2024-03-04T10:00:00Z", duration=120,
           primary_user_id="u1", scope="External")
    m.party(A, "s1", "Dana Smith", "Internal", user_id="u1")
    m.party(A, "s2", "Bob Buyer", "External")
    m.party(A, "s3", "Carol Client", "External")
    m.deal(A, "Now", "d1", stage="closedwon", amount=1000, company_size=1200)
    m.transcript(A, [
        (0, 2000, "s1", "Hi there."),
        (2500, 5000, "s1", "How are you?"),          # joins the turn (gap 500 ms)
        (6000, 9000, "s2", "Fine, thanks."),
        (9500, 10000, "s2", "And you?"),
        (12000, 20000, "s1", "Let me explain our product in detail."),  # reply after 2000 ms
        (21500, 30000, "s1", "It does many things."),  # gap 1500 ms: a new turn, same side
        (30500, 31000, "", "Unknown noise."),          # unknown speaker: no side
        (31500, 35000, "s3", "What does it cost?"),    # 1500 ms after the rep's turn
        (36000, 40000, "s1", "It costs little."),      # reply after 1000 ms
    ])
    # B: 60 s, Lee; a question with a trailing newline (stored escaped)
    m.call(B, "Globex", "2024-03-05T10:00:00Z", duration=60, primary_user_id="u2",
           scope="External")
    m.party(B, "t1", "Lee Chen", "Internal", user_id="u2")
    m.party(B, "t2", "Carl Customer", "External")
    m.deal(B, "Now", "d2", stage="Closed Lost", amount=500, company_size=20)
    m.transcript(B, [(0, 10000, "t1", "Talk talk."), (10000, 20000, "t2", "Listen?"),
                     (20000, 21000, "t2", "Really?\n")])
    # C: an internal meeting without a deal
    m.call(C, "Pipeline", "2024-03-06T10:00:00Z", duration=600, primary_user_id="u1",
           scope="Internal")
    m.party(C, "c1", "Dana Smith", "Internal", user_id="u1")
    m.transcript(C, [(0, 1000, "c1", "What does it cost to run?")])
    # D: booked by Sam (a silent party), run by Dana; an open deal
    m.call(D, "Handoff", "2024-03-11T10:00:00Z", duration=300, primary_user_id="u3",
           scope="External")
    m.party(D, "x3", "Sam Sdr", "Internal", user_id="u3")
    m.party(D, "x1", "Dana Smith", "Internal", user_id="u1")
    m.party(D, "x2", "Buyer", "External")
    m.deal(D, "Now", "d3", stage="contractsent", amount=None)
    m.transcript(D, [(0, 5000, "x1", "cost cost"), (6000, 9000, "x2", "ok")])
    m.db.execute("INSERT INTO speakers(call_id, speaker, user_id, talk_time) "
                 "VALUES (?, 'x1', 'u1', 5.0), (?, 'x2', NULL, 3.0)", (D, D))
    # E: an empty transcript
    m.call(E, "Empty", "2024-03-12T10:00:00Z", duration=60, primary_user_id="u2",
           scope="External")
    m.transcript(E, [])
    m.close()
    return path


def test_hand_computed_talk_ratio(mini):
    rows = by_group(analyze(mini, "talk-ratio"))
    assert set(rows) == {"Dana Smith", "Lee Chen"}
    # A: rep 4500 + 8000 + 8500 + 4000 = 25000 ms, customers 3500 + 3500 = 7000 ms;
    # D: rep 5000, customer 3000 (run by Dana: Gong's speaker stats name her)
    assert rows["Dana Smith"]["talk_ratio"] == round(30000 / 40000, 4)
    assert rows["Dana Smith"]["calls"] == 2 and rows["Dana Smith"]["flag"] == "high"
    assert rows["Lee Chen"]["talk_ratio"] == round(10000 / 21000, 4)
    assert rows["Lee Chen"]["rep_email"] == "lee@acme.com"
    assert analyze(mini, "talk-ratio", "--by", "all")[0]["talk_ratio"] == \
        round(40000 / 61000, 4)


def test_hand_computed_monologues_questions_patience(mini):
    mono = by_group(analyze(mini, "monologues", "--by", "call"))
    assert (mono[A]["longest_monologue_s"], mono[A]["longest_story_s"]) == (8.5, 4.0)
    assert (mono[B]["longest_monologue_s"], mono[B]["longest_story_s"]) == (10.0, 11.0)
    assert mono[A]["title"] == 'Acme <discovery> & "more"'
    qs = by_group(analyze(mini, "questions", "--by", "call"))
    assert (qs[A]["rep_questions_per_call"], qs[A]["customer_questions_per_call"]) == (1, 2)
    assert (qs[B]["rep_questions_per_call"], qs[B]["customer_questions_per_call"]) == (0, 2)
    pat = by_group(analyze(mini, "patience", "--by", "call"))
    assert pat[A]["patience_s"] == 1.5 and pat[A]["pauses"] == 2
    assert B not in pat  # the rep never answered a customer
    inter = by_group(analyze(mini, "interactivity", "--by", "call"))
    assert inter[A]["switches_per_min"] == 2.0 and inter[A]["interactivity"] == 5.0
    assert inter[B]["switches_per_min"] == 1.0


def test_hand_computed_mentions_and_outcomes(mini, tmp_path):
    rows = by_group(analyze(mini, "mentions", "cost", "--by", "outcome"))
    assert {k: (v["calls"], v["calls_with_hit"], v["hits"]) for k, v in rows.items()} == \
        {"won": (1, 1, 2), "lost": (1, 0, 0), "open": (1, 1, 2), "no deal": (1, 1, 1)}
    cust = by_group(analyze(mini, "mentions", "cost", "--by", "call", "--speaker", "customer"))
    assert cust[A]["hits"] == 1 and cust[D]["hits"] == 0 and E not in cust
    rep = by_group(analyze(mini, "mentions", "cost", "--by", "call", "--speaker", "rep"))
    assert rep[A]["hits"] == 1 and rep[D]["hits"] == 2
    size = by_group(analyze(mini, "mentions", "cost", "--by", "company-size"))
    assert set(size) == {"1-49", "1000-4999", "unknown", "no deal"}
    wl = analyze(mini, "won-vs-lost", "cost")[0]
    assert (wl["won_share"], wl["lost_share"], wl["won_minus_lost"]) == (1.0, 0.0, 1.0)
    lo, hi = wilson(1, 1)
    assert abs(wl["won_low"] - lo) < 1e-4 and abs(wl["won_high"] - hi) < 1e-4
    stages = tmp_path / "stages.conf"
    stages.write_text("# our pipeline\nwon = ContractSent, Signed\nlost = Dead\n")
    rows = by_group(analyze(mini, "mentions", "cost", "--by", "outcome", "--stages", stages))
    assert rows["won"]["calls"] == 2 and "open" not in rows
    stages.write_text("maybe = x\n")
    p = q(mini, "analyze", "activity", "--stages", stages, check=2)
    assert "not won, lost or open" in p.stderr


def test_hand_computed_real_rep_and_activity(mini):
    rows = analyze(mini, "real-rep")
    assert [r["group"] for r in rows] == [D]
    assert (rows[0]["primary_user"], rows[0]["real_rep"], rows[0]["real_rep_share"]) == \
        ("Sam Sdr", "Dana Smith", 1.0)
    act = by_group(analyze(mini, "activity", "--by", "week"))
    assert {k: v["calls"] for k, v in act.items()} == {"2024-03-04": 3, "2024-03-11": 2}
    cov = analyze(mini, "coverage", "--by", "all")[0]
    assert (cov["calls"], cov["transcripts"], cov["empty"]) == (5, 5, 1)


def test_sql_functions_hand_computed(mini):
    out = q(mini, "sql", f"SELECT idx, side, start_ms, end_ms, talk_ms, sentences, questions, "
                         f"prev_side, gap_ms FROM transcript_turns('{A}')").stdout
    got = [line.split("\t") for line in out.splitlines()[1:]]
    assert got == [
        ["0", "rep", "0", "5000", "4500", "2", "1", "\\N", "\\N"],
        ["1", "customer", "6000", "10000", "3500", "2", "1", "rep", "1000"],
        ["2", "rep", "12000", "20000", "8000", "1", "0", "customer", "2000"],
        ["3", "rep", "21500", "30000", "8500", "1", "0", "rep", "1500"],
        ["4", "\\N", "30500", "31000", "500", "1", "0", "rep", "500"],
        ["5", "customer", "31500", "35000", "3500", "1", "1", "rep", "1500"],
        ["6", "rep", "36000", "40000", "4000", "1", "0", "customer", "1000"],
    ]
    out = q(mini, "sql", f"SELECT count(*) FROM transcript_turns('{A}', 3000)").stdout
    assert out.split()[-1] == "6"  # a 3 s gap joins the rep's 2nd and 3rd turns


# ---- the semantic layer: analyses agree with call_facts, call by call ----------------------

def facts(db, where="1"):
    out = q(db, "sql", "--format", "jsonl", f"SELECT * FROM call_facts WHERE {where}").stdout
    return {r["call_id"]: r for r in map(json.loads, out.splitlines())}


def test_per_call_measures_equal_call_facts(pm):
    """The per-call values the analyses use equal call_facts' columns (a differential test:
    the analyses read call_metrics through their own SQL, call_facts through the view)."""
    f = facts(pm["db"])
    ext = {r["call_id"] for r in map(json.loads, q(
        pm["db"], "sql", "--format", "jsonl",
        "SELECT c.id AS call_id FROM calls c WHERE c.scope = 'External' OR EXISTS (SELECT 1 "
        "FROM parties p WHERE p.call_id = c.id AND p.affiliation = 'External')")
        .stdout.splitlines())}
    with_text = {k for k, v in f.items() if k in ext and v["has_transcript"]}
    assert len(with_text) > 500
    talk = by_group(analyze(pm["db"], "talk-ratio", "--by", "call"))
    assert set(talk) == {k for k in with_text if f[k]["talk_ratio"] is not None}
    for k, r in talk.items():
        assert r["talk_ratio"] == f[k]["talk_ratio"], (k, r, f[k])
    qs = by_group(analyze(pm["db"], "questions", "--by", "call"))
    mono = by_group(analyze(pm["db"], "monologues", "--by", "call"))
    assert set(qs) == set(mono) == with_text
    for k in with_text:
        assert qs[k]["rep_questions_per_call"] == f[k]["questions_rep"], k
        assert qs[k]["customer_questions_per_call"] == f[k]["questions_customer"], k
        assert mono[k]["longest_monologue_s"] == f[k]["longest_monologue_s"], k
    pat = by_group(analyze(pm["db"], "patience", "--by", "call"))
    assert set(pat) == {k for k in with_text if f[k]["patience_s"] is not None}
    for k, r in pat.items():
        assert abs(r["patience_s"] - f[k]["patience_s"]) <= 0.0051, (k, r, f[k])
    inter = by_group(analyze(pm["db"], "interactivity", "--by", "call"))
    assert set(inter) == {k for k in with_text if f[k]["interactivity"] is not None}
    for k, r in inter.items():
        assert abs(r["switches_per_min"] - f[k]["interactivity"]) <= 0.0051, (k, r, f[k])


SCOPE_COLUMNS = ["rep_id", "rep_name", "rep_email", "rep_source", "deal_id", "deal_name",
                 "stage", "amount", "company_name", "company_size", "outcome", "owner",
                 "close_date", "has_transcript", "started", "title", "url"]


def scope_rows(db, tmp_path, *args):
    d = tmp_path / "an"
    d.mkdir(exist_ok=True)
    (d / "scope-dump.sql").write_text(
        "-- scope-dump: every scope column per call\n-- @by: call\n"
        "SELECT grp AS \"group\", 1 AS calls, " + ", ".join(SCOPE_COLUMNS) +
        " FROM scope ORDER BY grp_key;\n")
    return by_group(analyze(db, "scope-dump", "--analyses", d, *args))


def test_scope_is_call_facts(pm, tmp_path):
    """The scope an analysis reads says what call_facts says about every call: one rep, one
    deal (Now by default), one outcome; with --deal-timing call the snapshot at the call."""
    f = facts(pm["db"])
    rows = scope_rows(pm["db"], tmp_path, "--deal-timing", "now")
    assert set(rows) == set(f)
    for k, r in rows.items():
        for col in SCOPE_COLUMNS:
            assert r[col] == f[k][col], (k, col, r[col], f[k][col])
    assert sum(r["rep_source"] == "speech" for r in rows.values()) > 500
    at_call = scope_rows(pm["db"], tmp_path, "--deal-timing", "call")
    moved = 0
    for k, r in at_call.items():
        assert (r["stage"], r["amount"]) == (f[k]["stage_at_call"], f[k]["amount_at_call"]), k
        assert r["outcome"] == f[k]["outcome"]  # outcome always from Now
        moved += r["stage"] != f[k]["stage"]
    assert moved > 0  # the fake data moves deals after the call: the two timings differ


def test_scope_is_call_facts_with_deal_lookups(pm, tmp_path):
    """An analysis that names no deal column reads a scope whose deal columns are looked up
    per column (no join): the same values, both timings."""
    d = tmp_path / "lazy"
    d.mkdir()
    (d / "scope-star.sql").write_text(  # no deal word in the SQL: the lookup variant
        "-- scope-star: every scope column per call\n-- @by: call\n"
        "SELECT grp AS \"group\", 1 AS calls, * FROM scope ORDER BY grp_key;\n")
    cols = SCOPE_COLUMNS + ["has_deal", "size_band"]
    (d / "scope-joined.sql").write_text(  # deal words: the joined variant
        "-- scope-joined: the deal columns per call\n-- @by: call\n"
        "SELECT grp AS \"group\", 1 AS calls, " + ", ".join(cols) +
        " FROM scope ORDER BY grp_key;\n")
    f = facts(pm["db"])
    for timing in ("now", "call"):
        rows = by_group(analyze(pm["db"], "scope-star", "--analyses", d, "--deal-timing", timing))
        joined = by_group(analyze(pm["db"], "scope-joined", "--analyses", d, "--deal-timing",
                                  timing))
        assert set(rows) == set(f) == set(joined)
        for k, r in rows.items():
            for col in cols:
                assert r[col] == joined[k][col], (timing, k, col, r[col], joined[k][col])
            if timing == "now":
                assert r["outcome"] == f[k]["outcome"], k
        bands = {r["size_band"] for r in rows.values()}
        assert "no deal" in bands and len(bands) >= 4, bands
        assert sum(r["has_deal"] for r in rows.values()) < len(rows)


# ---- one rep: people, not names -------------------------------------------------------------

@pytest.fixture(scope="module")
def namesakes(tmp_path_factory):
    """Two Gong users named Yasmin Chen and one Dana Smith, each running calls; a call with
    no transcript is the primary user's; the conv views of older user analyses."""
    path = tmp_path_factory.mktemp("namesakes") / "n.db"
    m = minimirror.Mirror(path)
    m.user("y1", "Yasmin", "Chen", "yasmin.chen@acme.com")
    m.user("y2", "Yasmin", "Chen", "yasmin.chen2@acme.com")
    m.user("d1", "Dana", "Smith", "dana@acme.com")
    talk = {"y1": (6000, 4000), "y2": (2000, 8000), "d1": (5000, 5000)}
    for i, (uid, (rep_ms, cust_ms)) in enumerate(talk.items()):
        for j in range(2):
            cid = f"{i}{j}"
            m.call(cid, f"Call {cid}", f"2024-03-0{i + 1}T1{j}:00:00Z", duration=60,
                   primary_user_id="d1", scope="External")
            m.party(cid, "r", "whoever", "Internal", user_id=uid)
            m.party(cid, "c", "Buyer", "External")
            m.transcript(cid, [(0, rep_ms, "r", "Hello?"), (rep_ms, rep_ms + cust_ms, "c", "Hi")])
    m.call("99", "No transcript", "2024-03-09T10:00:00Z", primary_user_id="y2", scope="External")
    m.close()
    return path


def test_two_people_who_share_a_name_stay_two_rows(namesakes, tmp_path):
    rows = by_group(analyze(namesakes, "talk-ratio"))
    assert set(rows) == {"Dana Smith", "Yasmin Chen <yasmin.chen@acme.com>",
                         "Yasmin Chen <yasmin.chen2@acme.com>"}
    assert rows["Yasmin Chen <yasmin.chen@acme.com>"]["talk_ratio"] == 0.6
    assert rows["Yasmin Chen <yasmin.chen2@acme.com>"]["talk_ratio"] == 0.2
    assert rows["Yasmin Chen <yasmin.chen2@acme.com>"]["rep"] == "Yasmin Chen"
    act = by_group(analyze(namesakes, "activity"))
    # the call without a transcript is its primary user's
    assert act["Yasmin Chen <yasmin.chen2@acme.com>"]["calls"] == 3
    assert analyze(namesakes, "activity", "--by", "all")[0]["reps"] == 3
    # per rep, "reps" (always 1) and calls a rep a week (= calls a week) do not apply
    assert all("reps" not in r and "calls_per_rep_week" not in r for r in act.values())
    real = analyze(namesakes, "real-rep")
    assert sorted(r["group"] for r in real) == ["00", "01", "10", "11"]  # not Dana's
    assert {r["primary_user"] for r in real} == {"Dana Smith"}


def test_older_user_analyses_reading_conv_still_run(namesakes, tmp_path):
    d = tmp_path / "old"
    d.mkdir()
    (d / "old-talk.sql").write_text(
        "-- old-talk: talk from the per-call table of older versions\n-- @needs: conv\n"
        "SELECT s.grp AS \"group\", count(*) AS calls, sum(c.rep_ms) AS rep_ms,\n"
        "       sum(c.cust_ms) AS cust_ms, max(c.top_name) AS top,\n"
        "       (SELECT sum(talk_ms) FROM conv_speakers cs WHERE cs.side = 'rep') AS all_rep\n"
        "  FROM scope s JOIN conv c ON c.call_id = s.call_id GROUP BY s.grp;\n")
    rows = by_group(analyze(namesakes, "old-talk", "--analyses", d, "--by", "all"))
    assert (rows["all"]["calls"], rows["all"]["rep_ms"], rows["all"]["cust_ms"]) == \
        (6, 26000, 34000)
    assert rows["all"]["all_rep"] == 26000 and rows["all"]["top"].startswith(("Dana", "Yasmin"))


def test_columns_apply_to_the_grouping(pm):
    # talk-ratio names the rep only when grouping by rep; monologues name the call only per call
    assert all("rep" not in r and "rep_email" not in r
               for r in analyze(pm["db"], "talk-ratio", "--by", "month"))
    assert all(r["rep_email"] for r in analyze(pm["db"], "talk-ratio"))
    assert all("title" not in r and "url" not in r for r in analyze(pm["db"], "monologues"))
    assert all(r["url"] for r in analyze(pm["db"], "monologues", "--by", "call"))
    # one row per week: weeks (1) and calls a week (= calls) would repeat what is there
    weeks = analyze(pm["db"], "activity", "--by", "week")
    assert all("weeks" not in r and "calls_per_week" not in r and r["reps"] >= 1 for r in weeks)


def test_questions_band_applies_to_discovery_calls_only(pm):
    # a discovery call: Gong's purpose says so, or the title names a discovery or intro call
    disc = json.loads(q(pm["db"], "sql", "--format", "json", """
        SELECT count(*) AS n, avg(f.questions_rep) AS q,
               avg(f.questions_rep BETWEEN 11 AND 14) AS band
          FROM call_facts f JOIN calls c ON c.id = f.call_id
         WHERE f.has_transcript AND (c.scope = 'External' OR EXISTS (SELECT 1 FROM parties p
                WHERE p.call_id = c.id AND p.affiliation = 'External'))
           AND (ifnull(c.purpose, '') LIKE '%discovery%' OR c.title LIKE '%discovery%'
                OR c.title LIKE '%intro%')""").stdout)[0]
    r = analyze(pm["db"], "questions", "--by", "all")[0]
    assert disc["n"] > 0 and r["discovery_calls"] == disc["n"] < r["calls"]
    assert abs(r["discovery_rep_questions_per_call"] - disc["q"]) <= 0.01
    assert abs(r["in_band"] - disc["band"]) <= 0.0001
