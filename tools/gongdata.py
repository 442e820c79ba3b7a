"""gongdata: the deterministic synthetic Gong tenant behind tools/fakegong.py.

A Dataset is a pure function of (seed, calls, start, days, extra_users). Building it makes a
light index only (call ids, times, reps, deals, outcome and "planted signal" flags); each
call's full extensive record and transcript are generated on demand from a per-call
random.Random seeded with seed*1_000_003+index, so ds.extensive(i) and ds.transcript(i)
always return the same thing, in any order, in any process. Generated JSON is kept in a
small LRU cache so the server can assemble pages from ready-made fragments.

Python 3 standard library only. See tools/FAKEGONG.md for the API and the planted signals.
"""
import bisect
import datetime
import json
import random
import re
import threading
import time
import unicodedata
import zlib
from collections import OrderedDict

SELLER = "Quillstone"
SELLER_DOMAIN = "quillstone.io"
PRODUCT = "Quillstone Insights"
GONG_HOST = "us-48213.app.gong.io"
COMPETITOR = "Clarivox"
OTHER_COMPETITORS = ["Sonarly", "Pitchwise", "Velora"]
LARGE_COMPANY = 1000

# ---------------------------------------------------------------------------------------
# Sentence pools. One block per (phase, side); a line ending in "?" is a question.
# {placeholders} are filled per call. The words "discount" and "Clarivox" appear ONLY in
# the gated pools (disc_*, clx_*) so the planted signals are exact.
# ---------------------------------------------------------------------------------------
POOL_TEXT = {
    ("intro", "rep"): """
Hi {cust}, thanks for making the time today.
Hey everyone, good to see you all.
Can you all hear me okay?
Great, I think we have everyone we need.
I have us down for thirty minutes, does that still work for you?
Let me quickly share the agenda for today.
I'll keep this conversational, so jump in whenever you like.
Thanks again for joining, {cust}.
Before we start, is it okay if I record this so I can focus on the conversation?
Let me share my screen for a second.
Did you get a chance to look at the deck I sent over?
How is your week going so far?
Is there anything you want to make sure we cover today?
My name is {rep}, I work with companies like {company} on revenue analytics.
I pulled up your website before the call and saw the news about the new product line.
""",
    ("intro", "cust"): """
Yes, I can hear you fine.
Thanks for having us.
Sounds good, let's get into it.
Thirty minutes works, I have a hard stop at the top of the hour though.
Recording is fine with me.
I glanced at the deck, but I'd love a walkthrough.
It's been a busy week, end of quarter is always hectic.
Hi {rep}, nice to meet you.
Should we wait for {cust2} to join?
I think {cust2} is running a couple of minutes late.
Is this being recorded?
""",
    ("small", "rep"): """
I saw it has been snowing a lot in {city} lately.
Did you catch the game last night?
How was the conference last week?
I was in {city} last month, it's a great city.
Are you all back in the office these days or still mostly remote?
We just got back from our offsite, so I'm still catching up.
Any big plans for the long weekend?
""",
    ("small", "cust"): """
It's been raining all week here in {city}.
Mostly remote, we go into the office twice a week.
The conference was good, a lot of talk about AI as usual.
Honestly I'm just looking forward to a quiet weekend.
We moved into a new office in {city} a few months ago.
The kids are on school break, so it's a bit chaotic at home.
Did you have a good weekend?
""",
    ("disc", "rep"): """
What does your current process look like for forecasting?
How many people are on your {team} team today?
What made you start looking at this now?
Who else is involved in evaluating a tool like this?
What happens if you don't solve this in the next six months?
How are you measuring success for this initiative?
What tools are you using today?
Where does the process usually break down?
How do you report on this to leadership?
What would an ideal outcome look like for you?
How long have you been dealing with this problem?
What have you tried so far?
How do your managers coach reps today?
Is this a priority for this quarter or more of a next year thing?
Can you walk me through what happens after a deal is created?
Who feels this pain the most on your side?
How much time do your reps spend on data entry each week?
That makes sense.
Got it, that's really helpful context.
We hear that a lot from teams your size.
So if I'm hearing you right, the main issue is visibility.
That's a common pattern when a team grows past thirty reps.
Interesting, tell me more about that.
Okay, so the data exists, it's just scattered across tools.
I want to make sure I understand the workflow before I show you anything.
Let me play that back to make sure I got it right.
A lot of our customers started exactly where you are.
""",
    ("disc", "cust"): """
Right now it's mostly spreadsheets and a lot of manual copying.
We have about {n} reps across three regions.
Honestly, the biggest problem is that nobody trusts the numbers.
Our VP asked us to find something before the next planning cycle.
We tried building dashboards in-house, but they went stale quickly.
Our managers spend most of Monday preparing the forecast call.
Each region has its own process, which makes roll-ups painful.
We lost a couple of big deals last quarter that we thought were safe.
The reps hate updating the CRM, so the data is always behind.
I'd say it's been a problem for about two years.
We're growing fast, we'll probably double the team this year.
I own the process, but the budget sits with our CRO.
Our biggest gap is onboarding new reps quickly.
We need one place where managers can see what's actually happening in deals.
We looked at a few options last year but it never got prioritized.
Leadership wants a weekly view of pipeline health.
Most of our deals involve three or four stakeholders on the buyer side.
Does this integrate with HubSpot?
How long does a typical rollout take?
Do you work with other companies in our industry?
Can it handle multiple currencies?
How do other teams use this day to day?
""",
    ("demo", "rep"): """
Let me show you how this looks in the product.
This is the home screen of {product}, it's what your managers would see first.
Here on the dashboard you can see every open opportunity.
You can filter by region, owner or stage.
This view updates in real time as calls are logged.
We also have an API if your team wants to pull the data elsewhere.
This is the deal board, each card is one opportunity.
If I click into a deal, you see every call and email in one timeline.
Managers can leave comments right on the moment in the call.
The scorecards are fully configurable per team.
Here's where you'd set up the alerts for deals at risk.
This chart shows talk ratio across the team over time.
You can export any of these reports to a spreadsheet.
Reps get a summary of each call within a few minutes.
The search lets you find every mention of a topic across all calls.
We built this view together with a few customers last year.
Does this view make sense for your managers?
Would that workflow fit how your team works?
Is this the kind of report your VP is asking for?
What would you want to see on this screen?
Can you see how that would save your reps time?
""",
    ("demo", "cust"): """
Okay, that's pretty slick.
I like that you can drill down by rep.
That would save our managers a lot of time.
Our current dashboards don't come close to that.
I'd want to see how that looks with our own data.
That timeline view is exactly what we're missing.
Interesting, we'd probably use that in our weekly one-on-ones.
Can we customize those fields?
Does that work on mobile?
Can we limit who sees which teams?
How far back does the history go?
Is that summary generated automatically?
""",
    ("price", "rep"): """
Our pricing is per seat, billed annually.
For a team of your size the list price would be around {amount} per year.
The platform tier includes the API and single sign-on.
We can also do a multi-year agreement.
Implementation and training are included in the price.
I'll put together a formal quote after this call.
Most teams your size start with the professional plan.
There's no charge for viewer seats for executives.
Does that fit within the budget you have set aside?
Who owns the budget for this?
What does your procurement process look like?
Is there a specific number you need to get to?
""",
    ("price", "cust"): """
That's a bit higher than we expected.
We set aside some budget for this in the second half.
Pricing will need to go through procurement.
Our CFO will want to see a business case.
That's within the range we discussed internally.
The cost per seat adds up quickly with {n} reps.
Budget is tight this year, I won't lie.
Is the price per user or per team?
What's included in the pricing?
Are there any implementation fees?
Can we start with a smaller team and expand later?
""",
    ("obj", "rep"): """
That's a fair concern.
Most of our customers see adoption above eighty percent in the first month.
We can start with a pilot to prove the value.
I completely understand, timing matters.
We have a dedicated onboarding team for exactly that reason.
We can connect you with a customer reference in your industry.
Let's make sure the business case is solid before you take it upstairs.
What would you need to see to feel comfortable?
If we solved that, would this be a priority?
What happened with the last tool you rolled out?
""",
    ("obj", "cust"): """
My concern is adoption, we've rolled out tools before that nobody used.
Timing is tough, we're in the middle of a reorganization.
I'm not sure we can justify another tool this year.
Our legal team is very slow with new vendors.
We already pay for a lot of overlapping software.
I'm worried about the workload on our ops team.
The reps are already complaining about too many tools.
Honestly, I'm not convinced the ROI is there yet.
How long before we'd see results?
What if the reps just don't use it?
""",
    ("comp", "rep"): """
We see them in some deals.
The main difference is the depth of our analytics.
Happy to walk through how we compare, feature by feature.
Customers usually choose us for the coaching workflows.
I'd ask any vendor how long implementation really takes.
What do you like about what you've seen so far?
What would make you choose one over the other?
""",
    ("comp", "cust"): """
We're looking at a couple of other vendors as well.
One of the other vendors came in quite a bit cheaper.
Our previous tool was fine, but support was terrible.
I want to make sure we compare apples to apples.
We need to see at least two options before procurement signs off.
How are you different from the others?
""",
    ("sec", "rep"): """
Yes, we completed our SOC 2 Type II audit this spring.
We support SSO through SAML, and SCIM provisioning as well.
We are GDPR compliant and can sign a DPA.
Data is hosted in AWS, with an EU region available.
I'll send over our security package after the call.
We can do a call with our security team if that helps.
Who runs the security review on your side?
Do you have a standard questionnaire you'd like us to fill in?
""",
    ("sec", "cust"): """
Our security team will want to review the questionnaire.
We'll need SSO with Okta, that's non-negotiable.
GDPR is important for us because of our European customers.
Legal will need to review the DPA.
Are you SOC 2 Type II certified?
Do you support SSO with Okta?
How do you handle GDPR deletion requests?
Where is the data hosted?
Can we get a copy of the latest pen test?
""",
    ("next", "rep"): """
I'll send over the proposal by Friday.
I'll set up a technical deep dive with our solutions engineer.
I'll share the security documentation after this call.
Let's get something on the calendar for next week.
I'll send a recap email with everything we discussed.
I'll loop in our implementation lead for the next call.
I'll put together a mutual action plan for the two teams.
Does {weekday} at ten work for a follow-up?
Who else should we invite to the next session?
What's the best way to get this in front of your CRO?
Is there anything that would stop us from moving forward?
""",
    ("next", "cust"): """
I'll loop in our IT lead.
Sounds good, send me the invite.
I need to run this by my boss first.
Let me check with procurement on their timeline.
{weekday} works for me.
We'll review internally and get back to you next week.
This was really helpful, thank you.
Can you send the recording?
Can you include the pricing in the recap?
""",
    ("pipe", "int"): """
Let's go through the commit deals for this quarter.
The {company} deal slipped to next month.
I think we need an exec sponsor on that one.
Procurement is the last step, they said two weeks.
We're at about seventy percent of the number with three weeks left.
I'd move that one to best case, the champion just left.
The security review is done, we're waiting on legal.
Can we get a second demo on the calendar?
They asked for a reference customer in healthcare.
Let's pull the renewal forward if we can.
I listened to the last call, the discovery was solid.
We should push them on the decision criteria.
Where are we on the {company} renewal?
What's the next step there?
Who is the economic buyer?
Do we have a mutual action plan with them?
Is that deal really going to close this month?
What do you need from me to get it over the line?
How many calls have we had with the champion?
""",
    ("back", "cust"): """
Yeah.
Right.
Okay.
Mm-hmm, makes sense.
Sure.
Got it.
Interesting.
Yes, exactly.
Okay, go on.
Right, right.
That's fair.
Uh-huh.
""",
    ("null", "any"): """
Sorry, who just joined?
Hello?
Can you repeat that?
I think someone is on mute.
Sorry, you cut out for a second.
""",
    # ---- gated pools: only used when the call's planted flag says so ----
    ("disc_x", "rep"): """
If you can sign before the end of the quarter, I can offer a ten percent discount.
We usually discount multi-year terms.
I can ask my manager about an additional discount for the full team.
The discount only holds if we get the paperwork done this month.
""",
    ("disc_x", "cust"): """
Is there any discount for a three-year commitment?
We'd need a bigger discount to make this work.
Another vendor offered us a discount for paying annually upfront.
Procurement will ask for a discount, they always do.
What kind of discount can you do for a team our size?
""",
    ("clx_x", "cust"): """
We're also evaluating Clarivox right now.
Clarivox came in quite a bit cheaper, to be honest.
Honestly, the Clarivox demo was impressive.
Our team already has a trial of Clarivox running.
How do you compare to Clarivox?
Some of our reps used Clarivox at their last company.
""",
    ("clx_x", "rep"): """
Compared to Clarivox, our integration is native rather than batch.
A few customers switched to us from Clarivox last year.
""",
    ("oth_x", "cust"): """
We're also looking at {other}.
{other} reached out to us last month.
We used {other} a few years back and it didn't stick.
How are you different from {other}?
""",
}

# Hard-case sentences (each spoken by a customer in the call planted with it).
SPECIAL_TEXT = {
    "accents": ("Je suis d'accord, c'est très intéressant — Jürgen from Zürich and señor "
                "Muñoz agree."),
    "cjk": "了解しました。来週の火曜日はいかがでしょうか？我们下周再讨论价格。감사합니다.",
    "emoji": ("Sounds great \U0001F44D\U0001F389 my team \U0001F469\u200d\U0001F4BB"
              "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466 is excited, see you "
              "soon \U0001F44B\U0001F3FD\U0001F1EF\U0001F1F5"),
    "rtl": "שלום, תודה רבה — شكرا جزيلا، نراكم الأسبوع القادم (the contract החוזה is ready).",
    "escapes": ('He said "ship it"\tthen saved C:\\new\\table\\x.csv and typed \\n twice'
                '\nsecond line.'),
}
SPECIAL_TITLE = {
    "accents": "Réunion de découverte – Müller & Peña",
    "cjk": "株式会社さくら 定例ミーティング",
    "emoji": "🚀 Launch sync 👩‍💻",
    "rtl": "פגישת היכרות – اجتماع",
    "escapes": 'Q3 "final" review \\ pricing\tv2',
}
SPECIAL_KINDS = list(SPECIAL_TEXT)

PHASE_TOPIC = {
    "intro": "Call Setup", "small": "Small Talk", "disc": "Discovery", "demo": "Product Demo",
    "price": "Pricing", "obj": "Objections", "comp": "Competition", "sec": "Security",
    "next": "Next Steps", "pipe": "Pipeline Review",
}
PHASE_STRUCTURE = {
    "intro": "Introduction", "small": "Introduction", "disc": "Discovery", "demo": "Demo",
    "price": "Discussion", "obj": "Discussion", "comp": "Discussion", "sec": "Discussion",
    "next": "Wrap-up", "pipe": "Review",
}
OUTLINE_ITEMS = {
    "intro": "Introductions and agenda", "small": "Small talk",
    "disc": "Current process and pain points", "demo": "Walkthrough of the dashboard",
    "price": "Pricing and packaging", "obj": "Concerns about adoption and timing",
    "comp": "Other vendors under evaluation", "sec": "Security and compliance requirements",
    "next": "Agreed next steps", "pipe": "Review of open deals",
}

# Trackers: (id, name, type, phrases). KEYWORD counts are whole-word, case-insensitive
# matches of a phrase (optionally followed by "s") in the transcript sentences.
TRACKERS = [
    ("6843152974061385001", "Pricing", "KEYWORD", ["price", "pricing", "budget", "cost"]),
    ("6843152974061385002", "Discount", "KEYWORD", ["discount"]),
    ("6843152974061385003", "Competitors", "KEYWORD", [COMPETITOR] + OTHER_COMPETITORS),
    ("6843152974061385004", "Security", "KEYWORD", ["SOC 2", "SSO", "GDPR", "security review"]),
    ("6843152974061385005", "Next Steps", "SMART", []),
    ("6843152974061385006", "Objections", "SMART", []),
]
SMART_NEXT, SMART_OBJ = 4, 5
_PHRASES = {ph.lower(): (ti, ph) for ti, (_, _, kind, phrases) in enumerate(TRACKERS)
            if kind == "KEYWORD" for ph in phrases}
_TRACKER_RE = re.compile(r"\b(%s)s?\b" % "|".join(
    re.escape(ph) for ph in sorted(_PHRASES, key=len, reverse=True)), re.I)


def keyword_hits(text):
    """Tracker hits of one sentence: a tuple of (tracker index, phrase), one per
    whole-word, case-insensitive match of a KEYWORD tracker phrase (plural 's' allowed)."""
    return tuple(_PHRASES[m.group(1).lower()] for m in _TRACKER_RE.finditer(text))


def _entry(text, smart=()):
    """A pool entry: (text, words, tracker hits, templated, smart tags, JSON-encoded text
    or None when templated, 1 if a question). Placeholders never hit a tracker."""
    tpl = "{" in text
    return (text, len(text.split()), keyword_hits(text), tpl, smart,
            None if tpl else json.dumps(text, ensure_ascii=False), int(text.endswith("?")))


def _resolve(entry, ctx):
    """A templated pool entry with the call's placeholders filled in."""
    text = entry[0].format_map(ctx)
    return (text, len(text.split()), keyword_hits(text), False, entry[4],
            json.dumps(text, ensure_ascii=False), entry[6])


def _make_pool(block, phase, side):
    """Split a text block into (statements, questions); each entry is
    (text, words, hits, templated, smart) with hits precomputed for plain text."""
    stm, qst = [], []
    for line in block.strip().splitlines():
        line = line.strip()
        if not line:
            continue
        smart = ()
        if phase == "next" and side == "rep" and line.startswith(("I'll", "Let's")):
            smart = (SMART_NEXT,)
        elif phase == "obj" and side == "cust":
            smart = (SMART_OBJ,)
        (qst if line.endswith("?") else stm).append(_entry(line, smart))
    return stm, qst


POOLS = {key: _make_pool(text, key[0], key[1]) for key, text in POOL_TEXT.items()}


def _check_pools():
    """The planted words must only live in their gated pools."""
    for (phase, _), text in POOL_TEXT.items():
        if not phase.endswith("_x"):
            assert "discount" not in text.lower() and COMPETITOR.lower() not in text.lower()


_check_pools()


# ---------------------------------------------------------------------------------------
# Turn library. A call is assembled from prebuilt turns ("variants") instead of sentence
# by sentence, which keeps generation cheap: sentence times are relative ms at 150 words
# a minute (400 ms a word, +-15%, then a 40-360 ms pause) and each speaker's own pace
# factor scales them. Variants are pure functions of their key.
# ---------------------------------------------------------------------------------------
VARIANTS = 48
_LIB = {}


class _Turn:
    """One prebuilt turn: sentences (rel start, rel end, pool entry), its relative end,
    speech ms, questions, tracker hits (rel, (tracker, phrase)), smart tags (rel, tracker)
    and action items (rel start, rel end, entry)."""
    __slots__ = ("sents", "end", "speech", "nq", "hits", "smart", "acts", "scaled")

    def speech_at(self, f):
        """Exact speech ms of the served sentences at pace f (cached per pace)."""
        ms = self.scaled.get(f)
        if ms is None:
            ms = self.scaled[f] = sum(int(b * f) - int(a * f) for a, b, _ in self.sents)
        return ms


PACES = (0.92, 0.96, 1.0, 1.04, 1.08)  # speaking pace factors (1.0 = 150 words a minute)


def _turn(entries, rng):
    tr = _Turn()
    sents, hits, smart, acts = [], [], [], []
    rel = speech = nq = 0
    for e in entries:
        r = rng.random()
        d = int(e[1] * 400 * (0.85 + 0.3 * r)) + 200
        sents.append((rel, rel + d, e))
        speech += d
        nq += e[6]
        hits.extend((rel, h) for h in e[2])
        smart.extend((rel, s) for s in e[4])
        if SMART_NEXT in e[4] and e[0].startswith("I'll"):
            acts.append((rel, rel + d, e))
        rel += d + 40 + int(r * 7919) % 320
    tr.sents, tr.end, tr.speech, tr.nq = tuple(sents), sents[-1][1], speech, nq
    tr.hits, tr.smart, tr.acts, tr.scaled = tuple(hits), tuple(smart), tuple(acts), {}
    return tr


def _library(pool_key, k, q):
    """The VARIANTS turns of k sentences drawn from a pool, the last one a question when q
    (k == 0: a long monologue of 16-26 sentences). Built on first use, seeded by the key."""
    key = (pool_key, k, q)
    lib = _LIB.get(key)
    if lib is None:
        rng = random.Random(zlib.crc32(repr(key).encode()))
        stm, qst = POOLS[pool_key]
        q = q and bool(qst)
        lib = []
        for _ in range(VARIANTS):
            n = rng.randint(16, 26) if k == 0 else k
            body = n - 1 if q else n
            picks = []
            while len(picks) < body:
                picks.extend(rng.sample(stm, len(stm)))
            picks = picks[:body] + ([rng.choice(qst)] if q else [])
            lib.append(_turn(picks, rng))
        _LIB[key] = lib
    return lib


def warm_library():
    """Build every prebuilt turn now (about 0.3 s) instead of on first use."""
    for (phase, side), (stm, qst) in POOLS.items():
        if phase.endswith("_x"):
            continue
        for k in range(0, 7):
            if k == 0 and side != "rep":
                continue
            _library((phase, side), k, False)
            if qst:
                _library((phase, side), k, True)


def _check_templates():
    """Placeholders never produce tracker hits, so a prebuilt turn's hits are exact."""
    values = COMPANY_WORDS + COMPANY_KINDS + LEGAL + WEEKDAYS + [SELLER, PRODUCT]
    for firsts, lasts, city in NAMES.values():
        values += firsts + lasts + [city]
    assert not any(keyword_hits(v) for v in values)


# ---------------------------------------------------------------------------------------
# People, companies and places
# ---------------------------------------------------------------------------------------
NAMES = {  # culture: (first names, last names, city)
    "us": ("James Emily Michael Sarah David Jessica Ryan Lauren Kevin Megan Tyler Ashley".split(),
           "Carter Brooks Reed Collins Foster Hayes Mitchell Bennett Coleman Parker Ward".split(),
           "Chicago"),
    "es": ("José María Alejandro Lucía Javier Carmen Íñigo Begoña".split(),
           "Muñoz Fernández Peña Ibáñez Núñez Ortíz Gómez Álvarez".split(), "Madrid"),
    "de": ("Jürgen Björn Katrin Lukas Anja Jörg Sabine".split(),
           "Müller Schäfer Weiß Bäcker Köhler Groß Schröder".split(), "München"),
    "fr": ("Renée François Hélène Aurélie Stéphane Noémie Jérôme".split(),
           "Lefèvre Dubois Girard Moreau Rousseau Gauthier Bézier".split(), "Lyon"),
    "br": ("João Ana Thiago Letícia Gonçalo".split(),
           "Gonçalves Conceição Araújo Magalhães Simões".split(), "São Paulo"),
    "pl": ("Łukasz Zofia Paweł Agnieszka".split(),
           "Wiśniewski Dąbrowska Kowalczyk Zieliński".split(), "Kraków"),
    "nord": ("Søren Åsa Ingrid Björk Mikael".split(),
             "Østergaard Lindström Sæther Håkansson Nyström".split(), "Göteborg"),
    "in": ("Priya Arjun Ananya Vikram Rohan Kavya".split(),
           "Raghunathan Mehta Iyer Subramanian Chatterjee Reddy".split(), "Bengaluru"),
    "cn": ("Wei Li Hao Xiaoming Mei Jun".split(), "Zhang Chen Liu Wang Huang Zhou".split(),
           "Shanghai"),
    "jp": ("Haruto Yuki Aiko Kenji Sakura Ren".split(),
           "Sato Tanaka Yamamoto Watanabe Kobayashi Ito".split(), "Osaka"),
    "kr": ("Min-jun Seo-yeon Ji-ho Ha-eun".split(), "Kim Park Lee Choi".split(), "Seoul"),
    "ar": ("Omar Layla Youssef Fatima Karim Nour".split(),
           "Al-Farsi Haddad El-Amin Benali Mansour Khoury".split(), "Dubai"),
    "he": ("Noa Yael Itai Tamar Omri".split(), "Levi Cohen Friedman Mizrahi Peretz".split(),
           "Tel Aviv"),
    "ng": ("Chiamaka Emeka Adaeze Oluwaseun Ngozi".split(),
           "Okafor Nwosu Eze Adeyemi Balogun".split(), "Lagos"),
    "tr": ("Elif Mehmet Ayşe Emre Zeynep".split(), "Yılmaz Öztürk Çelik Şahin Aydın".split(),
           "İstanbul"),
    "vn": ("Lan Minh Thảo Quang".split(), "Nguyễn Trần Phạm Lê".split(), "Hà Nội"),
    "ie": ("Siobhán Niamh Ciarán Aoife Seán".split(),
           ["O'Connor", "Ó Briain", "McCarthy", "O'Neill"], "Dublin"),
}
CULTURES = list(NAMES)
CULTURE_WEIGHTS = [30, 6, 6, 5, 4, 3, 3, 7, 5, 4, 3, 4, 3, 4, 3, 2, 4]
_CULTURE_CUM = [sum(CULTURE_WEIGHTS[:k + 1]) for k in range(len(CULTURE_WEIGHTS))]

CUSTOMER_TITLES = ["VP of Sales", "Head of Revenue Operations", "Sales Director", "CRO",
                   "Sales Enablement Manager", "RevOps Analyst", "IT Director",
                   "Head of Security", "Procurement Manager", "CFO", "Regional Sales Manager",
                   None]
COMPANY_WORDS = ("Northwind Bluepeak Ironclad Sakura Kestrel Vantage Meridian Halcyon Aurora "
                 "Cobalt Juniper Lumen Pioneer Redwood Summit Tidewater Zenith Brightline "
                 "Crescent Evergreen Granite Harbor Keystone Larkspur Monarch Nimbus Orchid "
                 "Quartz Riverstone Sierra Trellis Verdant Willow Yarrow Zephyr Nordlys "
                 "Alpenglow Tessera Corvid Solenne Mistral Obsidian Pelican Marigold").split()
COMPANY_KINDS = ["Logistics", "Analytics", "Health", "Foods", "Robotics", "Capital",
                 "Software", "Energy", "Retail", "Labs", "Systems", "Media", "Bank",
                 "Insurance", "Manufacturing", "Biotech", "Travel", "Telecom"]
LEGAL = ["Inc.", "GmbH", "S.A.", "Ltd", "K.K.", "AG", "LLC", "SAS", "", "", "", "Group"]
INDUSTRIES = {
    "Logistics": "LOGISTICS_AND_SUPPLY_CHAIN", "Analytics": "COMPUTER_SOFTWARE",
    "Health": "HOSPITAL_HEALTH_CARE", "Foods": "FOOD_BEVERAGES", "Robotics": "MACHINERY",
    "Capital": "FINANCIAL_SERVICES", "Software": "COMPUTER_SOFTWARE",
    "Energy": "OIL_ENERGY", "Retail": "RETAIL", "Labs": "RESEARCH",
    "Systems": "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "Media": "MEDIA_PRODUCTION", "Bank": "BANKING", "Insurance": "INSURANCE",
    "Manufacturing": "MACHINERY", "Biotech": "BIOTECHNOLOGY", "Travel": "LEISURE_TRAVEL_TOURISM",
    "Telecom": "TELECOMMUNICATIONS",
}
COUNTRIES = {"us": "United States", "es": "Spain", "de": "Germany", "fr": "France",
             "br": "Brazil", "pl": "Poland", "nord": "Sweden", "in": "India", "cn": "China",
             "jp": "Japan", "kr": "South Korea", "ar": "United Arab Emirates", "he": "Israel",
             "ng": "Nigeria", "tr": "Turkey", "vn": "Vietnam", "ie": "Ireland"}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

HS_STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
             "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"]
SF_STAGES = ["Prospecting", "Qualification", "Value Proposition", "Id. Decision Makers",
             "Negotiation/Review", "Closed Won", "Closed Lost"]
HS_PROB = [0.2, 0.4, 0.6, 0.8, 0.9, 1.0, 0.0]
WON, LOST = 5, 6

# (system, is web conference, weight)
SYSTEMS = [("Zoom", True, 55), ("Microsoft Teams", True, 17), ("Google Meet", True, 10),
           ("WebEx", True, 8), ("Outreach", False, 8), ("Aircall", False, 2)]
SYS_WEIGHTS = [w for _, _, w in SYSTEMS]
SYS_CUM = [sum(SYS_WEIGHTS[:k + 1]) for k in range(len(SYS_WEIGHTS))]

# Internal team: (title, role); managers own AE/SDR teams; the VP owns the rest.
TEAM = ([("VP of Sales", "vp")] + [("Sales Director", "mgr")] * 3 +
        [("Account Executive", "ae")] * 13 + [("Sales Development Representative", "sdr")] * 5 +
        [("Solutions Engineer", "se")] * 2 + [("Sales Operations Manager", "ops")])
REP_OFFSETS = [-480, -480, -420, -300, -300, -300, 60, 120, 330]  # minutes east of UTC
EXTRA_TITLES = ["Customer Success Manager", "Marketing Manager", "Support Engineer",
                "Product Manager", "Recruiter", "Finance Analyst", "Engineering Manager"]

# Call index flag bits.
F_COMP, F_DISC, F_HANDOFF, F_NULLSPK, F_NULLTOPIC = 1, 2, 4, 8, 16
F_UNKNOWN, F_MS, F_SILENT, F_NOTOC, F_OTHERCOMP = 32, 64, 128, 256, 512
F_SEC, F_COMMENTS, F_ASCII = 1024, 2048, 4096
K_DEAL, K_NODEAL, K_IMPORTED, K_INTERNAL = 0, 1, 2, 3
T_NONE, T_FULL, T_EMPTY = 0, 1, 2

_TRANSLIT = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "ı": "i", "æ": "ae",
             "đ": "d", "'": "", " ": "", "-": ""}


def ascii_fold(s):
    """Lowercase ASCII form of a name for e-mail addresses and domains."""
    s = "".join(_TRANSLIT.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if ch.isascii() and ch.isalnum()).lower()


# ---------------------------------------------------------------------------------------
# Time helpers
# ---------------------------------------------------------------------------------------
def iso(ms, off_min, with_ms=None):
    """Epoch milliseconds as ISO-8601 in the given UTC offset (minutes), e.g.
    2024-03-01T09:01:12.345-08:00. Milliseconds are shown when with_ms is true, or when
    with_ms is None and the value has a fractional second."""
    sec, frac = divmod(ms, 1000)
    tm = time.gmtime(sec + off_min * 60)
    s = "%04d-%02d-%02dT%02d:%02d:%02d" % tm[:6]
    if with_ms or (with_ms is None and frac):
        s += ".%03d" % frac
    sign = "+" if off_min >= 0 else "-"
    h, m = divmod(abs(off_min), 60)
    return "%s%s%02d:%02d" % (s, sign, h, m)


def parse_iso(s):
    """ISO-8601 date or date-time ('Z' or +-hh:mm offset; none means UTC) to epoch ms.
    Raises ValueError on anything else."""
    if not isinstance(s, str) or not s:
        raise ValueError("not a date-time")
    dt = datetime.datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(round(dt.timestamp() * 1000))


def _rand_str(rng, n, alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"):
    return "".join(rng.choice(alphabet) for _ in range(n))


def _rand_id(rng, digits=19):
    """A random id of exactly `digits` digits (19 by default), as a string."""
    lo = 10 ** (digits - 1)
    return str(lo + rng.getrandbits(70) % (9 * lo))


def _ri(rng, a, b):
    """Uniform integer in [a, b] (cheaper than Random.randint)."""
    return a + int(rng.random() * (b - a + 1))


class _Call:
    """One row of the light index (all a server needs to filter and page)."""
    __slots__ = ("i", "id", "filter_ms", "start_ms", "sched_ms", "off", "sys", "primary",
                 "runner", "deal", "pos", "kind", "ws", "tr", "private", "special", "flags",
                 "fmt", "dur_s")

    def __init__(self, i, cid, r):
        (self.filter_ms, self.start_ms, self.sched_ms, self.off, self.sys, self.primary,
         self.runner, self.deal, self.pos, self.kind, self.ws, self.tr, self.dur_s,
         self.flags) = r
        self.i, self.id, self.private, self.special, self.fmt = i, cid, False, None, 0


# ---------------------------------------------------------------------------------------
# Content selector (which parts of CallData /v2/calls/extensive returns)
# ---------------------------------------------------------------------------------------
CONTENT_KEYS = ["structure", "topics", "trackers", "pointsOfInterest", "brief", "outline",
                "highlights", "callOutcome", "keyPoints"]
INTERACTION_KEYS = ["speakers", "video", "personInteractionStats", "questions"]
TIMINGS = ["Now", "TimeOfCall"]


class SelectorError(ValueError):
    """A contentSelector that Gong would reject (400)."""


def normalize_selector(cs):
    """contentSelector dict (or None) -> hashable tuple
    (context, timings, parties, content keys, trackerOccurrences, interaction keys,
    publicComments, media). Null members mean absent. Raises SelectorError."""
    if cs is None:
        cs = {}
    if not isinstance(cs, dict):
        raise SelectorError("contentSelector: must be an object")
    context = cs.get("context") or "None"
    if context not in ("None", "Basic", "Extended"):
        raise SelectorError("contentSelector.context: must be one of None, Basic, Extended")
    timing = cs.get("contextTiming")
    if timing is None:
        timing = ["Now"]
    if not isinstance(timing, list) or any(t not in TIMINGS for t in timing):
        raise SelectorError("contentSelector.contextTiming: must be a subset of Now, TimeOfCall")
    timings = tuple(t for t in TIMINGS if t in timing) if context == "Extended" else ()
    ef = cs.get("exposedFields") or {}
    if not isinstance(ef, dict):
        raise SelectorError("contentSelector.exposedFields: must be an object")
    content = ef.get("content") or {}
    inter = ef.get("interaction") or {}
    collab = ef.get("collaboration") or {}
    for name, part in (("content", content), ("interaction", inter), ("collaboration", collab)):
        if not isinstance(part, dict):
            raise SelectorError("contentSelector.exposedFields.%s: must be an object" % name)
    ckeys = tuple(k for k in CONTENT_KEYS if content.get(k) is True)
    occ = content.get("trackerOccurrences") is True and "trackers" in ckeys
    ikeys = tuple(k for k in INTERACTION_KEYS if inter.get(k) is True)
    return (context, timings, ef.get("parties") is True, ckeys, occ, ikeys,
            collab.get("publicComments") is True, ef.get("media") is True)


FULL_SELECTOR = ("Extended", tuple(TIMINGS), True, tuple(CONTENT_KEYS), True,
                 tuple(INTERACTION_KEYS), True, False)
FULL_SELECTOR_JSON = {
    "context": "Extended", "contextTiming": ["Now", "TimeOfCall"],
    "exposedFields": {
        "parties": True,
        "content": dict({k: True for k in CONTENT_KEYS}, trackerOccurrences=True),
        "interaction": {k: True for k in INTERACTION_KEYS},
        "collaboration": {"publicComments": True}, "media": False}}


class _LRU:
    """A thread-safe LRU map bounded by entry count."""

    def __init__(self, cap):
        self.cap, self.d, self.lock = cap, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            v = self.d.get(key)
            if v is not None:
                self.d.move_to_end(key)
            return v

    def put(self, key, value):
        with self.lock:
            self.d[key] = value
            self.d.move_to_end(key)
            while len(self.d) > self.cap:
                self.d.popitem(last=False)
        return value


class _Deal:
    """A CRM deal: which company, who owns it, how it ends, its calls' stages."""
    __slots__ = ("j", "company", "owner", "sdr", "outcome", "now_stage", "stages", "close_ms",
                 "crm", "amount", "amount_now", "created_ms", "owner_now", "calls")


# ---------------------------------------------------------------------------------------
# The dataset
# ---------------------------------------------------------------------------------------
class Dataset:
    """A deterministic Gong tenant. See the module docstring and tools/FAKEGONG.md."""

    def __init__(self, seed=1, calls=2000, start="2024-01-01", days=120, extra_users=0):
        self.seed, self.n, self.days = int(seed), int(calls), int(days)
        self.extra_users = int(extra_users)
        if self.n < 0 or self.days < 1:
            raise ValueError("calls must be >= 0 and days >= 1")
        self.start_ms = parse_iso(start)
        self._wday0 = time.gmtime(self.start_ms // 1000).tm_wday
        self._has_weekday = any((self._wday0 + d) % 7 < 5 for d in range(min(self.days, 7)))
        self.end_ms = self.start_ms + self.days * 86_400_000
        self.now_ms = self.end_ms  # the instant the "Now" CRM snapshot describes
        self._bundles = _LRU(384)
        self._frags = _LRU(3000)  # served JSON fragments (~45 KB transcripts, ~13 KB calls)
        self._meta = _LRU(8192)
        self._companies = _LRU(8192)
        self.workspaces = [
            {"id": "5555123456789012345", "name": SELLER + " Sales",
             "description": "North America and EMEA sales"},
            {"id": "5555123456789012346", "name": "Partner Channel", "description": None},
        ]
        rng = random.Random(self.seed * 1_000_003 - 1)
        self._build_team(rng)
        self._build_calls(rng)
        self._assign_flags(rng)
        self._filter = [c.filter_ms for c in self._calls]
        self._by_id = {c.id: c.i for c in self._calls}
        self._with_transcript = [c.i for c in self._calls if c.tr != T_NONE]
        self._user_json = [self._user_record(u) for u in self._users_sorted()]
        self._user_by_id = {u["id"]: k for k, u in enumerate(self._user_json)}
        self._planted_cache = None

    # ---- team ------------------------------------------------------------------------
    def _person(self, rng, culture=None):
        if culture is None:
            culture = rng.choices(CULTURES, CULTURE_WEIGHTS)[0]
        firsts, lasts, city = NAMES[culture]
        return rng.choice(firsts), rng.choice(lasts), culture, city

    def _build_team(self, rng):
        users, emails = [], set()
        roles = [r for _, r in TEAM] + ["extra"] * self.extra_users
        team_rng, extra_rng = rng, random.Random(self.seed * 1_000_003 - 2)
        for k, role in enumerate(roles):
            urng = team_rng if k < len(TEAM) else extra_rng  # extras never shift calls
            first, last, _, _ = self._person(urng)
            email = "%s.%s@%s" % (ascii_fold(first), ascii_fold(last), SELLER_DOMAIN)
            while email in emails:
                email = email.replace("@", str(urng.randrange(10)) + "@", 1)
            emails.add(email)
            title = TEAM[k][0] if k < len(TEAM) else urng.choice(EXTRA_TITLES)
            users.append({
                "idx": k, "id": _rand_id(urng), "first": first, "last": last, "email": email,
                "title": title, "role": role, "off": urng.choice(REP_OFFSETS),
                "active": not (role == "extra" and urng.random() < 0.1),
                "created_ms": self.start_ms - urng.randrange(30, 1200) * 86_400_000
                - urng.randrange(86_400_000),
                "mgr": None, "talk": round(urng.uniform(0.42, 0.53), 3),
                "q": round(urng.uniform(8.5, 11.5), 1), "pace": urng.choice(PACES),
                "long": False, "hs_owner": str(urng.randrange(10 ** 7, 10 ** 8)),
                "sf_owner": "0055g" + _rand_str(urng, 10),
                "depart_day": None,
            })
        self._users = users
        by_role = lambda r: [u["idx"] for u in users if u["role"] == r]
        self._ae, self._sdr, self._se = by_role("ae"), by_role("sdr"), by_role("se")
        self._mgr = by_role("mgr")
        for j, a in enumerate(self._ae):
            users[a]["mgr"] = self._mgr[j % 3]
        for j, s in enumerate(self._sdr):
            users[s]["mgr"] = self._mgr[j % 3]
        for u in users[1:]:
            if u["mgr"] is None and u["role"] != "extra":
                u["mgr"] = 0
        for u in users:
            if u["role"] == "extra":
                u["mgr"] = extra_rng.choice([0] + self._mgr + [None])
        self.talker, self.questioner, self.monologuer = self._ae[0], self._ae[1], self._ae[2]
        self.leaver = self._ae[12]
        users[self.talker]["talk"] = 0.70
        users[self.questioner]["q"] = 20.0
        users[self.monologuer]["long"] = True
        leaver = users[self.leaver]
        leaver["active"], leaver["depart_day"] = False, int(self.days * 0.45)
        self.planted_reps = {self.talker, self.questioner, self.monologuer}
        self._sdr_of = {a: self._team_sdr(a) for a in self._ae}
        self._owners_early = list(self._ae)
        self._owners_late = [a for a in self._ae if a != self.leaver]
        self._nodeal_reps = [a for a in self._ae + self._sdr + self._mgr
                             if a not in self.planted_reps and a != self.leaver]
        self._internal_hosts = [0] + self._mgr + self._ae[3:12]

    def _team_sdr(self, ae):
        mgr = self._users[ae]["mgr"]
        team = [s for s in self._sdr if self._users[s]["mgr"] == mgr]
        return team[ae % len(team)]

    # ---- calls -----------------------------------------------------------------------
    def _pick_system(self, rng, phone_bias=0.0):
        if rng.random() < phone_bias:
            return 4 if rng.random() < 0.8 else 5
        r = rng.random() * SYS_CUM[-1]
        return bisect.bisect_right(SYS_CUM, r)

    def _place(self, rng, day, off, web):
        """(scheduled_ms or None, started_ms) for a business-hours call on UTC day `day`
        in the UTC offset `off`; None when it cannot fall inside the dataset's range."""
        if day < 0 or day >= self.days:
            return None
        wd = (self._wday0 + day) % 7
        if wd >= 5 and self._has_weekday:
            day += 7 - wd  # business days only (when the range has any)
        rnd = rng.random
        for _ in range(6):
            local_midnight = self.start_ms + day * 86_400_000 - off * 60_000
            if web:
                sched = local_midnight + int(8 + rnd() * 10) * 3_600_000 \
                    + (0, 0, 15, 30, 30, 45)[int(rnd() * 6)] * 60_000
                start = sched + int(rnd() * 480_000) - 60_000
                filt = sched
            else:
                sched = None
                start = local_midnight + int((8 + rnd() * 10) * 3_600_000)
                filt = start
            if self.start_ms <= filt < self.end_ms:
                return sched, start
        return None

    @staticmethod
    def _duration(rng):
        """Seconds: a 30/45/60-minute slot (60/25/15%) used 55-100%, at least 15 min."""
        r = rng.random()
        slot = 30 if r < 0.6 else 45 if r < 0.85 else 60
        minutes = max(15.0, min(60.0, slot * (0.55 + 0.45 * rng.random())))
        return int(minutes * 60) + int(rng.random() * 60)

    def _new_call(self, rng, day, primary, runner, kind, deal=-1, pos=0, phone_bias=0.0):
        sys_i = self._pick_system(rng, phone_bias)
        web = SYSTEMS[sys_i][1]
        off = self._users[primary]["off"]
        placed = self._place(rng, day, off, web)
        if placed is None:
            return None
        sched, start = placed
        flags = F_MS if rng.random() < 0.3 else 0
        if not flags:
            start -= start % 1000
        tr, dur = T_FULL, self._duration(rng)
        if not web and kind != K_IMPORTED and rng.random() < 0.35:
            tr, dur = T_NONE, 20 + int(rng.random() * 70)  # no answer / voicemail
        elif web and rng.random() < 0.015:
            tr = T_NONE  # recording failed
        return [sched if web else start, start, sched, off, sys_i, primary, runner, deal, pos,
                kind, 0, tr, dur, flags]

    def _build_calls(self, rng):
        n = self.n
        n_internal = int(round(n * 0.05))
        n_nodeal = int(round(n * 0.05))
        n_deal = n - n_internal - n_nodeal
        raw, self._deals, self._comp_size, self._comp_culture = [], [], [], []
        while len(raw) < n_deal:
            raw.extend(self._make_deal(rng, n_deal - len(raw)))
        n_imported = max(1, int(round(n * 0.01))) if n_nodeal else 0
        while len(raw) < n_deal + n_nodeal:
            raw.extend(self._make_nodeal(rng, len(raw) < n_deal + n_imported))
        while len(raw) < n:
            raw.extend(self._make_internal(rng))
        raw.sort(key=lambda r: (r[0], r[1], r[5]))
        calls, ids = [], set()
        for i, r in enumerate(raw):
            while True:  # 3% are 20-digit ids above 2^64
                cid = (str(9 * 10 ** 19 + rng.getrandbits(70) % 10 ** 19)
                       if rng.random() < 0.03 else _rand_id(rng))
                if cid not in ids:
                    break
            ids.add(cid)
            calls.append(_Call(i, cid, r))
        self._calls = calls
        for d in self._deals:
            d.calls = []
        for c in calls:
            if c.deal >= 0:
                c.pos = len(self._deals[c.deal].calls)  # rank among the deal's calls
                self._deals[c.deal].calls.append(c.i)

    def _new_company(self, rng):
        size = None if rng.random() < 0.07 else int(10 ** rng.uniform(1.0, 4.3))
        self._comp_size.append(size)
        k = bisect.bisect_right(_CULTURE_CUM, rng.random() * _CULTURE_CUM[-1])
        self._comp_culture.append(CULTURES[k])
        return len(self._comp_size) - 1

    def _make_deal(self, rng, room):
        """One deal and its 1-6 calls (raw rows); at most `room` calls."""
        first_day = int(rng.random() * self.days)
        owners = self._owners_early if first_day < self.days * 0.35 else self._owners_late
        d = _Deal()
        d.j, d.owner = len(self._deals), owners[int(rng.random() * len(owners))]
        d.sdr = self._sdr_of[d.owner]
        d.company = (int(rng.random() * len(self._comp_size))
                     if self._comp_size and rng.random() < 0.12 else self._new_company(rng))
        r = rng.random()
        d.outcome = "won" if r < 0.3 else "lost" if r < 0.6 else "open"
        k = _ri(rng, 3, 6) if d.outcome == "won" else _ri(rng, 1, 5) \
            if d.outcome == "lost" else _ri(rng, 1, 6)
        depart = self._users[d.owner]["depart_day"]
        rows, day = [], first_day
        for pos in range(min(k, room)):
            if day >= self.days or (depart is not None and day >= depart):
                break
            row = self._deal_call(rng, d, pos, day)
            if row:
                rows.append(row)
            day += _ri(rng, 3, 21)
        if not rows:
            return []
        placed_all = len(rows) == k
        last_ms = max(r[1] for r in rows)
        d.close_ms = last_ms + _ri(rng, 2, 30) * 86_400_000
        if not placed_all or d.close_ms >= self.now_ms:
            d.outcome = "open"
        self._finish_deal(rng, d, len(rows))
        d.created_ms = min(r[1] for r in rows) - _ri(rng, 1, 40 * 86_400_000)
        self._deals.append(d)
        return rows

    def _deal_call(self, rng, d, pos, day):
        owner = d.owner
        runner = primary = owner
        flags = 0
        r = rng.random()
        if pos == 0 and r < 0.4:
            runner = primary = d.sdr
        elif pos > 0 and r < 0.08:
            runner = primary = self._se[owner % len(self._se)]
        elif pos > 0 and r < 0.12:
            runner = primary = self._users[owner]["mgr"]
        elif owner not in self.planted_reps and r < 0.185:
            primary, flags = d.sdr, F_HANDOFF
        phone = 0.35 if pos == 0 and runner == d.sdr else 0.04
        row = self._new_call(rng, day, primary, runner, K_DEAL, d.j, pos, phone)
        if row:
            row[13] |= flags
        return row

    def _finish_deal(self, rng, d, ncalls):
        top = min(4, _ri(rng, 0, 2) + ncalls)
        d.stages = [min(top, (p * (top + 1)) // max(ncalls, 1)) for p in range(ncalls)]
        if d.outcome == "won":
            d.now_stage = WON
        elif d.outcome == "lost":
            d.now_stage = LOST
        else:
            d.now_stage = min(4, d.stages[-1] + _ri(rng, 0, 1))
            d.close_ms = max(d.close_ms, self.now_ms + _ri(rng, 5, 60) * 86_400_000)
        size = self._comp_size[d.company] or _ri(rng, 50, 1999)
        base = 6000 + size * rng.uniform(8, 30)
        d.amount = int(min(650_000, base) // 500 * 500)
        d.amount_now = d.amount
        if rng.random() < 0.3:
            d.amount_now = int(d.amount * rng.uniform(0.75, 1.3) // 500 * 500)
        r = rng.random()
        d.crm = "hs" if r < 0.85 else "hs_opp" if r < 0.95 else "sf"
        d.owner_now = d.owner
        if d.owner == self.leaver and d.outcome == "open":
            d.owner_now = rng.choice([a for a in self._ae if a != self.leaver])

    def _make_nodeal(self, rng, imported):
        day = int(rng.random() * self.days)
        if imported:  # imported dialer call: no parties, speakers unresolvable
            sdr = rng.choice(self._sdr)
            row = self._new_call(rng, day, sdr, sdr, K_IMPORTED, phone_bias=1.0)
        else:
            rep = rng.choice(self._nodeal_reps)
            row = self._new_call(rng, day, rep, rep, K_NODEAL)
            if row and rng.random() < 0.5:
                row[10] = 1
        return [row] if row else []

    def _make_internal(self, rng):
        day = int(rng.random() * self.days)
        primary = rng.choice(self._internal_hosts)
        row = self._new_call(rng, day, primary, primary, K_INTERNAL)
        if not row:
            return []
        if rng.random() < 0.3:
            row[10] = 1
        return [row]

    # ---- per-call flags (planted signals, hard cases) --------------------------------
    def _assign_flags(self, rng):
        calls = self._calls
        for c in calls:
            ext = c.kind != K_INTERNAL
            f = c.flags
            f |= F_UNKNOWN if rng.random() < 0.1 else 0
            if c.tr == T_FULL:
                f |= F_NULLTOPIC if rng.random() < 0.2 else 0
                f |= F_NULLSPK if rng.random() < 0.02 else 0
                f |= F_COMMENTS if rng.random() < 0.15 else 0
            if ext and c.kind != K_IMPORTED:
                f |= F_SILENT if rng.random() < 0.3 else 0
            if c.kind == K_DEAL:
                f |= F_NOTOC if rng.random() < 0.05 else 0
                f |= F_SEC if rng.random() < (0.4 if c.pos else 0.1) else 0
            if ext and c.tr == T_FULL and rng.random() < 0.25:
                f |= F_OTHERCOMP
            c.flags = f
            c.private = rng.random() < 0.03
            # value encodings: amount Now, amount TimeOfCall (0 number, 1 string, 2 null),
            # company size (0 number, 1 string)
            a_now, a_toc = [0 if r < 0.65 else 1 if r < 0.93 else 2
                            for r in (rng.random(), rng.random())]
            c.fmt = a_now + 3 * a_toc + 9 * (1 if rng.random() < 0.25 else 0)
        self._plant_specials(rng)
        for c in calls:
            if c.kind != K_DEAL or c.tr != T_FULL:
                continue
            d = self._deals[c.deal]
            p = {"lost": 0.6, "won": 0.1, "open": 0.3}[d.outcome]
            c.flags |= F_COMP if rng.random() < p else 0
            size = self._comp_size[d.company]
            p = 0.3 if size is None else 0.55 if size >= LARGE_COMPANY else 0.15
            c.flags |= F_DISC if rng.random() < p else 0
        self._ensure(rng, lambda c: c.private, lambda c: setattr(c, "private", True))
        self._ensure(rng, lambda c: c.flags & F_NULLSPK,
                     lambda c: setattr(c, "flags", c.flags | F_NULLSPK),
                     lambda c: c.tr == T_FULL and c.kind != K_INTERNAL)
        self._ensure(rng, lambda c: c.flags & F_NOTOC,
                     lambda c: setattr(c, "flags", c.flags | F_NOTOC),
                     lambda c: c.kind == K_DEAL)
        self._ensure(rng, lambda c: c.tr == T_NONE, lambda c: setattr(c, "tr", T_NONE),
                     lambda c: c.kind == K_DEAL and not c.special)
        self._ensure(rng, lambda c: c.flags & F_HANDOFF, self._make_handoff,
                     lambda c: c.kind == K_DEAL and c.runner == c.primary
                     and c.runner in self._ae and c.runner not in self.planted_reps)
        self._ensure(rng, lambda c: c.flags & F_SILENT,
                     lambda c: setattr(c, "flags", c.flags | F_SILENT),
                     lambda c: c.kind in (K_DEAL, K_NODEAL))

    def _ensure(self, rng, has, make, eligible=lambda c: True):
        """Make sure at least one call has a property (small datasets)."""
        if any(has(c) for c in self._calls):
            return
        pool = [c for c in self._calls if eligible(c) and not c.special]
        if pool:
            make(pool[rng.randrange(len(pool))])

    def _make_handoff(self, c):
        c.primary = self._team_sdr(c.runner)
        c.flags |= F_HANDOFF

    def _plant_specials(self, rng):
        n = len(self._calls)
        tail = max(10, n // 10)  # keep them clear of --late
        pool = [c for c in self._calls if c.kind in (K_DEAL, K_NODEAL) and c.tr == T_FULL
                and c.i < n - tail]
        rng.shuffle(pool)
        per_kind = max(1, int(round(n * 0.002)))
        k = 0
        for kind in SPECIAL_KINDS:
            for j in range(per_kind):
                if k < len(pool):
                    pool[k].special = kind
                    if j % 2 == 0:
                        pool[k].flags |= F_ASCII
                    k += 1
        for _ in range(max(1, int(round(n * 0.003)))):
            if k < len(pool):
                pool[k].tr = T_EMPTY
                k += 1

    # ---- lazily generated entities ---------------------------------------------------
    def _company(self, ci):
        """Name, domain, industry, place and contacts of company ci (pure, cached)."""
        hit = self._companies.get(ci)
        if hit is not None:
            return hit
        rng = random.Random(self.seed * 2_000_003 + ci * 7 + 3)
        culture = self._comp_culture[ci]
        word, kind, legal = (rng.choice(COMPANY_WORDS), rng.choice(COMPANY_KINDS),
                             rng.choice(LEGAL))
        name = "%s %s%s" % (word, kind, " " + legal if legal else "")
        domain = "%s%s%s" % (ascii_fold(word), ascii_fold(kind),
                             rng.choice((".com", ".com", ".io", ".co", ".net")))
        contacts, emails = [], set()
        for _ in range(rng.randint(2, 5)):
            first, last, _, _ = self._person(rng, culture if rng.random() < 0.75 else None)
            email = "%s.%s@%s" % (ascii_fold(first), ascii_fold(last), domain)
            while email in emails:
                email = email.replace("@", str(rng.randrange(10)) + "@", 1)
            emails.add(email)
            contacts.append({
                "first": first, "last": last, "name": first + " " + last, "email": email,
                "title": rng.choice(CUSTOMER_TITLES),
                "hs_id": str(rng.randrange(10 ** 9, 10 ** 11)),
                "sf_id": "0035g" + _rand_str(rng, 13),
                "phone": "+%d %d %03d %04d" % (rng.choice((1, 44, 49, 33, 91, 81, 34)),
                                               rng.randrange(20, 99), rng.randrange(1000),
                                               rng.randrange(10000)),
            })
        comp = {"name": name, "domain": domain, "industry": INDUSTRIES[kind],
                "city": NAMES[culture][2], "country": COUNTRIES[culture],
                "size": self._comp_size[ci], "contacts": contacts,
                "hs_id": str(rng.randrange(10 ** 9, 10 ** 11)),
                "sf_id": "0015g" + _rand_str(rng, 13)}
        return self._companies.put(ci, comp)

    def _seed(self, i):
        return self.seed * 1_000_003 + i

    def _call_company(self, c):
        """(company index, deal or None) for a call; no-deal calls borrow a company."""
        if c.deal >= 0:
            d = self._deals[c.deal]
            return d.company, d
        if c.kind == K_INTERNAL:
            return None, None
        return random.Random(self._seed(c.i) * 8 + 5).randrange(len(self._comp_size)), None

    def _title(self, c, rng, comp):
        if c.special:
            return SPECIAL_TITLE[c.special]
        u = self._users[c.runner]
        if c.kind == K_INTERNAL:
            mgr = self._users[u["mgr"] or 0]
            other = self._company(rng.randrange(len(self._comp_size)))["name"] \
                if self._comp_size else "Acme"
            return rng.choice(["Weekly pipeline review", "Forecast call", "Deal review: " + other,
                               "1:1 %s / %s" % (u["first"], mgr["first"]), "Team standup"])
        contact = comp["contacts"][0]["name"]
        if not SYSTEMS[c.sys][1]:
            return rng.choice(["Outbound call to " + contact,
                               "Call with %s (%s)" % (contact, comp["name"])])
        if c.kind == K_NODEAL:
            return rng.choice(["Partner sync: " + comp["name"],
                               "Inbound inquiry – " + comp["name"], "Quick chat with " + contact])
        if c.pos == 0:
            pats = ["{c} <> {s} | Intro", "Intro call: {c} / {s}", "{s} x {c} - Discovery",
                    "Discovery call with {p}"]
        else:
            pats = ["{c} – Demo", "{s} demo for {c}", "{c} pricing review",
                    "{c} / {s}: next steps", "{c} – proposal walkthrough", "Follow-up: {c}"]
            if c.flags & F_SEC:
                pats.append("{c} security review")
        return rng.choice(pats).format(c=comp["name"], s=SELLER, p=contact)

    def _meta_for(self, i):
        """CallBasicData of call i (the flat /v2/calls record and extensive metaData)."""
        hit = self._meta.get(i)
        if hit is not None:
            return hit
        c = self._calls[i]
        rng = random.Random(self._seed(i) * 8)
        ci, _ = self._call_company(c)
        comp = self._company(ci) if ci is not None else None
        system, web = SYSTEMS[c.sys][0], SYSTEMS[c.sys][1]
        u = self._users[c.runner]
        meeting_url, host = None, SELLER.lower()
        if system == "Zoom":
            meeting_url = "https://%s.zoom.us/j/%d" % (host, rng.randrange(10 ** 9, 10 ** 10))
        elif system == "Microsoft Teams":
            meeting_url = ("https://teams.microsoft.com/l/meetup-join/"
                           "19%%3ameeting_%x%%40thread.v2/0" % rng.getrandbits(96))
        elif system == "Google Meet":
            meeting_url = "https://meet.google.com/%s-%s-%s" % tuple(
                _rand_str(rng, n, "abcdefghijkmnopqrstuvwxyz") for n in (3, 4, 3))
        elif system == "WebEx":
            meeting_url = "https://%s.webex.com/meet/%s" % (host, u["email"].split("@")[0])
        phone = not web
        meta = {
            "id": c.id, "url": "https://%s/call?id=%s" % (GONG_HOST, c.id),
            "title": self._title(c, rng, comp),
            "scheduled": iso(c.sched_ms, c.off, False) if c.sched_ms is not None else None,
            "started": iso(c.start_ms, c.off, bool(c.flags & F_MS)),
            "duration": c.dur_s, "primaryUserId": self._users[c.primary]["id"],
            "direction": "Conference" if web else rng.choice(("Outbound", "Outbound", "Inbound")),
            "system": system,
            "scope": "Internal" if c.kind == K_INTERNAL else "Unknown" if c.kind == K_IMPORTED
            else "External",
            "media": "Video" if web else "Audio",
            "language": "eng" if c.tr == T_FULL else "und",
            "workspaceId": self.workspaces[c.ws]["id"],
            "sdrDisposition": (("Connected" if c.tr != T_NONE else
                                rng.choice(("No Answer", "Left Voicemail"))) if phone else None),
            "clientUniqueId": str(rng.randrange(10 ** 11, 10 ** 12)) if phone else None,
            "customData": "campaign=q-outbound" if phone and rng.random() < 0.3 else None,
            "purpose": "Discovery" if c.pos == 0 and c.kind == K_DEAL and rng.random() < 0.3
            else None,
            "meetingUrl": meeting_url, "isPrivate": c.private,
            "calendarEventId": ("%s@google.com" % _rand_str(rng, 26, "abcdefghijklmnopqrstuv0123")
                                if web else None),
        }
        if c.flags & F_UNKNOWN:
            meta["unknownFutureField"] = ({"kind": "preview", "values": [1, 2.5, None, "x"]}
                                          if c.i % 2 else None)
        return self._meta.put(i, meta)

    # ---- parties and speakers --------------------------------------------------------
    def _internal_party(self, rng, u, speaks, methods):
        user = self._users[u]
        return {"id": _rand_id(rng), "emailAddress": user["email"],
                "name": user["first"] + " " + user["last"], "title": user["title"],
                "userId": user["id"], "speakerId": _rand_id(rng) if speaks else None,
                "affiliation": "Internal", "phoneNumber": None, "methods": methods}

    def _external_party(self, rng, ct, speaks, methods, phone):
        return {"id": _rand_id(rng), "emailAddress": None if phone else ct["email"],
                "name": ct["name"], "title": ct["title"], "userId": None,
                "speakerId": _rand_id(rng) if speaks else None, "affiliation": "External",
                "phoneNumber": ct["phone"] if phone else None, "methods": methods}

    def _parties(self, c, comp):
        """([(party dict without context, contact or None)] or None when the call has no
        parties, [speaker tuples]); a speaker is (speakerId, side, user idx, pace factor
        scaling the 150 words-a-minute base)."""
        rng = random.Random(self._seed(c.i) * 8 + 1)
        web = SYSTEMS[c.sys][1]
        att, inv = ["Invitee", "Attendee"], ["Invitee"]
        if not web:
            att = inv = []
        parties, speakers = [], []

        def add_int(u, speaks, methods):
            p = self._internal_party(rng, u, speaks, methods)
            parties.append((p, None))
            if speaks:
                speakers.append((p["speakerId"], "int", u, self._users[u]["pace"]))

        if c.kind == K_IMPORTED:
            spk = [(_rand_id(rng), "int", c.runner, self._users[c.runner]["pace"]),
                   (_rand_id(rng), "ext", None, rng.choice(PACES))]
            return None, spk
        if c.kind == K_INTERNAL:
            team = [u for u in [0] + self._mgr + self._ae + self._se if u != c.primary
                    and self._users[u]["role"] != "extra"]
            add_int(c.primary, True, att)
            for u in rng.sample(team, rng.randint(1, 3)):
                add_int(u, True, att)
            if c.flags & F_SILENT:
                add_int(rng.choice(team), False, inv)
            return parties, speakers
        add_int(c.runner, True, att)
        if c.primary != c.runner:
            add_int(c.primary, False, att)  # the SDR who booked it, silent
        silent_mgr = bool(c.flags & F_SILENT) and rng.random() < 0.5
        if silent_mgr:
            add_int(self._users[c.runner]["mgr"] or 0, False, att)
        contacts = comp["contacts"]
        n_talk = 1 if not web else min(len(contacts), rng.choices((1, 2, 3), (45, 40, 15))[0])
        with_crm = c.deal >= 0
        for k, ct in enumerate(contacts[:n_talk]):
            p = self._external_party(rng, ct, True, att, not web)
            parties.append((p, ct if with_crm and rng.random() < 0.7 else None))
            speakers.append((p["speakerId"], "ext", None, rng.choice(PACES)))
        if c.flags & F_SILENT and not silent_mgr:
            if n_talk < len(contacts):
                extra = contacts[n_talk]
            else:
                first, last, _, _ = self._person(rng)
                extra = dict(contacts[-1], first=first, last=last, name=first + " " + last,
                             email="%s@%s" % (ascii_fold(first), comp["domain"]))
            parties.append((self._external_party(rng, extra, False, inv, not web), None))
        return parties, speakers

    # ---- transcript ------------------------------------------------------------------
    def _phases(self, c, rng, t0, end):
        """[(phase key, end ms)] splitting [t0, end) into the call's conversation phases."""
        if c.kind == K_INTERNAL:
            plan = [("pipe", 0.85), ("next", 0.15)]
        else:
            first = c.pos == 0 or c.deal < 0
            plan = [("intro", 0.05)]
            if rng.random() < 0.6:
                plan.append(("small", 0.04))
            plan.append(("disc", 0.35 if first else 0.14))
            if first or rng.random() < 0.8:
                plan.append(("demo", 0.18 if first else 0.22))
            if c.flags & F_DISC or (not first and rng.random() < 0.7) or rng.random() < 0.15:
                plan.append(("price", 0.12))
            if rng.random() < 0.6:
                plan.append(("obj", 0.08))
            if c.flags & (F_COMP | F_OTHERCOMP) or rng.random() < 0.15:
                plan.append(("comp", 0.07))
            if c.flags & F_SEC:
                plan.append(("sec", 0.1))
            plan.append(("next", 0.09))
        plan = [(k, w * rng.uniform(0.7, 1.3)) for k, w in plan]
        total = sum(w for _, w in plan)
        out, acc = [], float(t0)
        for key, w in plan:
            acc += (end - t0) * w / total
            out.append((key, int(acc)))
        return out

    def _template_ctx(self, c, rng, comp):
        u = self._users[c.runner]
        if comp is None:
            comp = self._company(rng.randrange(len(self._comp_size))) if self._comp_size else {
                "name": "Acme", "city": "Chicago", "contacts": [{"first": "Alex"}]}
        cts = comp["contacts"]
        amount = self._deals[c.deal].amount if c.deal >= 0 else 40000
        return {"cust": cts[0]["first"], "cust2": cts[1]["first"] if len(cts) > 1 else "Alex",
                "rep": u["first"], "company": comp["name"], "city": comp["city"],
                "n": str(rng.choice((12, 25, 40, 60, 85, 120, 200))),
                "amount": "{:,} dollars".format(amount), "weekday": rng.choice(WEEKDAYS),
                "other": rng.choice(OTHER_COMPETITORS),
                "team": rng.choice(("sales", "customer success", "account management")),
                "seller": SELLER, "product": PRODUCT}

    def _forced(self, c, rng, ranks):
        """Sentences the call must contain (planted signals, hard cases):
        {side: [(phase rank, entries)]}, side 0 = company, 1 = customer."""
        pend = {0: [], 1: []}

        def pool(key, side):
            stm, qst = POOLS[(key, side)]
            return stm + qst
        if c.flags & F_COMP:
            pend[1].append((ranks["comp"], pool("clx_x", "cust")))
            if rng.random() < 0.5:
                pend[1].append((ranks["comp"], pool("clx_x", "cust")))
            if rng.random() < 0.4:
                pend[0].append((ranks["comp"], pool("clx_x", "rep")))
        if c.flags & F_OTHERCOMP:
            pend[1].append((ranks.get("comp", ranks["disc"]), pool("oth_x", "cust")))
        if c.flags & F_DISC:
            for k in range(rng.randint(1, 3)):
                side = 1 if k % 2 == 0 else 0
                pend[side].append((ranks["price"], pool("disc_x", "cust" if side else "rep")))
        if c.special:
            pend[1].append((ranks.get("demo", ranks["disc"]), [_entry(SPECIAL_TEXT[c.special])]))
        for side in pend:
            pend[side].sort(key=lambda item: item[0])
        return pend

    def _transcript_compact(self, c, speakers, ctx):
        """The call's conversation as turns: [(speakerId, topic, start ms, pace, _Turn,
        side 'int'/'ext'/None, phase key)]; [] without a transcript."""
        if c.tr != T_FULL:
            return []
        rng = random.Random(self._seed(c.i) * 8 + 2)
        dur = c.dur_s * 1000
        t = rng.randint(800, 3500)
        phases = self._phases(c, rng, t, dur - 1500)
        if c.kind == K_INTERNAL:
            return self._internal_talk(c, rng, t, dur, phases, speakers)
        return self._external_talk(c, rng, t, dur, phases, speakers, ctx)

    @staticmethod
    def _picker(rng):
        """pick(pool key, k, q): a prebuilt turn, avoiding repeats within the call."""
        used, rnd, libs = {}, rng.random, _LIB

        def pick(pool_key, k, q):
            key = (pool_key, k, q)
            lib = libs.get(key)
            if lib is None:
                lib = _library(pool_key, k, q)
            n = int(rnd() * VARIANTS)
            mask = used.get(key, 0)
            if mask >> n & 1:
                n = (n + 1 + int(rnd() * 7)) % VARIANTS
            used[key] = mask | 1 << n
            return lib[n]
        return pick

    def _internal_talk(self, c, rng, t, dur, phases, speakers):
        mono, prev, ph, rnd = [], None, 0, rng.random
        pick = self._picker(rng)
        while t < dur - 1500:
            while ph < len(phases) - 1 and t >= phases[ph][1]:
                ph += 1
            key = phases[ph][0]
            spk = rng.choice([s for s in speakers if s is not prev] or speakers)
            tr = pick(("pipe", "int") if key == "pipe" else ("next", "rep"), rng.randint(1, 5),
                      rnd() < 0.3)
            topic = None if c.flags & F_NULLTOPIC and rnd() < 0.35 else PHASE_TOPIC[key]
            mono.append((spk[0], topic, t, spk[3], tr, "int", key))
            prev = spk
            t += int(tr.end * spk[3]) + 300 + int(rnd() * 1400)
        return mono

    def _external_talk(self, c, rng, t, dur, phases, speakers, ctx):
        """A customer conversation: the company speaker and customers alternate; turn
        lengths steer the company's talk share to the runner's target, and company turns
        end in a question often enough to reach the runner's question target."""
        rnd = rng.random
        rep = next(s for s in speakers if s[1] == "int")
        custs = [s for s in speakers if s[1] == "ext"]
        custs = custs[:1] * 2 + custs  # the main contact talks most
        u = self._users[c.runner]
        # the controller overshoots by ~0.009 (company sentences run longer), so aim lower
        target = u["talk"] + rng.uniform(-0.03, 0.03) - 0.009
        qt = u["q"] + rng.uniform(-1.5, 1.5)
        mc, pb = (1.8, 0.35) if target > 0.6 else (3.0, 0.08)
        mr = mc * target / (1 - target)
        long_left = rng.randint(2, 3) if u["long"] else 0
        pend = self._forced(c, rng, {key: r for r, (key, _) in enumerate(phases)})
        null_left = bool(c.flags & F_NULLSPK)
        nulltopic = bool(c.flags & F_NULLTOPIC)
        pick = self._picker(rng)
        mono, side, ph, spoken = [], 0, 0, [0.0, 0.0]
        asked, rep_turns, guard = 0, 0, 0
        last_ph, flush_at = len(phases) - 1, dur * 0.85

        def forced_turn(first, pool_key, k):
            e = first[int(rnd() * len(first))]
            if e[3]:
                e = _resolve(e, ctx)
            stm = POOLS[pool_key][0]
            return _turn([e] + [stm[int(rnd() * len(stm))] for _ in range(k - 1)], rng)

        while (t < dur - 1500 or pend[0] or pend[1]) and guard < 4000:
            guard += 1
            while ph < last_ph and t >= phases[ph][1]:
                ph += 1
            key = phases[ph][0]
            if null_left and t > dur * 0.4:
                null_left = False
                tr = pick(("null", "any"), 1, rnd() < 0.5)
                mono.append((None, None, t, 1.0, tr, None, key))
                t += tr.end + 300
            forced = None
            for item in pend[side]:
                if item[0] <= ph or t >= flush_at:
                    forced = item[1]
                    pend[side].remove(item)
                    break
            total = spoken[0] + spoken[1]
            share = spoken[0] / total if total else target
            if side == 0:
                rep_turns += 1
                spk = rep
                if long_left and forced is None and key in ("demo", "disc"):
                    tr = pick((key, "rep"), 0, False)
                    long_left -= 1
                else:
                    m = min(6.0, max(1.0, mr * (1 + 8 * (target - share))))
                    k = min(6, 1 + int(rnd() * 2 * (m - 1) + 0.5))
                    p = (qt - asked) * (t + 75000) / ((rep_turns + 3) * max(1.0, dur - t))
                    tr = (forced_turn(forced, (key, "rep"), k) if forced
                          else pick((key, "rep"), k, rnd() < p))
                asked += tr.nq
            else:
                spk = custs[int(rnd() * len(custs))]
                if forced is None and share < target + 0.01 and rnd() < pb:
                    tr = pick(("back", "cust"), 1, False)
                else:
                    m = min(6.0, max(1.0, mc * (1 - 8 * (target - share))))
                    k = min(6, 1 + int(rnd() * 2 * (m - 1) + 0.5))
                    tr = (forced_turn(forced, (key, "cust"), k) if forced
                          else pick((key, "cust"), k, rnd() < 0.15))
            f = spk[3]
            spoken[side] += tr.speech * f
            topic = None if nulltopic and rnd() < 0.35 else PHASE_TOPIC[key]
            mono.append((spk[0], topic, t, f, tr, spk[1], key))
            side ^= 1
            t += int(tr.end * f) + 300 + int(rnd() * 1400)
            if rnd() < 0.06:
                t += rng.randint(3000, 15000)
        return mono

    # ---- content and interaction (derived from the transcript) -----------------------
    @staticmethod
    def _scan(mono, ctx):
        """One pass over the turns: talk per speaker and side, questions, longest
        monologues, tracker hits, phase spans, action items, patience gaps. Times are
        exactly those of the served sentences."""
        talk, spans, actions, gaps = {}, {}, [], []
        occ = [[] for _ in TRACKERS]
        side_ms, longest, q = {"int": 0, "ext": 0}, {"int": 0, "ext": 0}, {"int": 0, "ext": 0}
        prev_side, prev_end, switches = None, 0, 0
        for sid, _, t0, f, tr, side, key in mono:
            end = t0 + int(tr.end * f)
            span = spans.get(key)
            if span is None:
                spans[key] = [t0, end]
            else:
                span[1] = end
            if side is None:
                continue
            ms = tr.scaled.get(f) or tr.speech_at(f)
            talk[sid] = talk.get(sid, 0) + ms
            side_ms[side] += ms
            q[side] += tr.nq
            if end - t0 > longest[side]:
                longest[side] = end - t0
            if tr.hits:
                for rel, (ti, ph) in tr.hits:
                    occ[ti].append((t0 + int(rel * f), sid, ph))
            if tr.smart:
                for rel, ti in tr.smart:
                    occ[ti].append((t0 + int(rel * f), sid, None))
            if tr.acts and side == "int":
                for a, b, e in tr.acts:  # at most 5 distinct action items a call
                    text = e[0].format_map(ctx) if e[3] else e[0]
                    if len(actions) < 5 and all(x[3] != text for x in actions):
                        actions.append((t0 + int(a * f), t0 + int(b * f), sid, text))
            if prev_side != side:
                if prev_side is not None:
                    switches += 1
                    if side == "int":
                        gaps.append(t0 - prev_end)
                prev_side = side
            prev_end = end
        for lst in occ:
            lst.sort(key=lambda o: o[0])
        return {"talk": talk, "side": side_ms, "longest": longest, "q": q, "occ": occ,
                "spans": spans, "actions": actions, "gaps": gaps, "switches": switches}

    @staticmethod
    def _trackers(st):
        out = []
        for ti, (tid, name, kind, phrases) in enumerate(TRACKERS):
            occ = st["occ"][ti]
            tr = {"id": tid, "name": name, "count": len(occ), "type": kind,
                  "occurrences": [{"startTime": s / 1000, "speakerId": sid} for s, sid, _ in occ],
                  "phrases": []}
            for ph in phrases:
                po = [{"startTime": s / 1000, "speakerId": sid} for s, sid, p in occ if p == ph]
                if po:
                    tr["phrases"].append({"count": len(po), "occurrences": po, "phrase": ph})
            out.append(tr)
        return out

    def _call_outcome(self, c, rng, deal):
        if c.kind == K_INTERNAL:
            return None
        if c.tr == T_NONE and not SYSTEMS[c.sys][1]:
            return {"id": "NO_ANSWER", "category": "Not answered", "name": "No answer"}
        opts = [("MEETING_BOOKED", "Meeting booked"), ("NEXT_STEPS_AGREED", "Next steps agreed"),
                ("FOLLOW_UP_NEEDED", "Follow-up needed")]
        if deal is not None and deal.outcome == "lost":
            opts.append(("NOT_INTERESTED", "Not interested"))
        oid, name = rng.choice(opts)
        return {"id": oid, "category": "Answered", "name": name}

    def _content(self, c, rng, mono, st, comp):
        deal = self._deals[c.deal] if c.deal >= 0 else None
        outcome = self._call_outcome(c, rng, deal)
        if not mono:
            return {"structure": [], "topics": [], "trackers": [],
                    "pointsOfInterest": {"actionItems": []}, "brief": None, "outline": [],
                    "highlights": [], "callOutcome": outcome, "keyPoints": []}
        spans = st["spans"]
        topics, structure = {}, {}
        for key, (s, e) in spans.items():
            topics[PHASE_TOPIC[key]] = topics.get(PHASE_TOPIC[key], 0) + (e - s) // 1000
            grp = PHASE_STRUCTURE[key]
            structure[grp] = structure.get(grp, 0) + (e - s) // 1000
        actions = [{"snippetStartTime": s / 1000, "snippetEndTime": e / 1000, "speakerID": sid,
                    "snippet": text} for s, e, sid, text in st["actions"]]
        highlights = []
        if actions:
            highlights.append({"title": "Next Steps", "items": [
                {"text": a["snippet"], "startTimes": [a["snippetStartTime"]]}
                for a in actions[:3]]})
        if "price" in spans:
            highlights.append({"title": "Pricing", "items": [
                {"text": "Pricing and packaging were discussed",
                 "startTimes": [spans["price"][0] / 1000]}]})
        u = self._users[c.runner]
        names = [PHASE_TOPIC[k].lower() for k in spans if k not in ("intro", "small")]
        if c.kind == K_INTERNAL:
            brief = "Internal %s led by %s %s, covering %s." % (
                PHASE_TOPIC["pipe"].lower(), u["first"], u["last"], ", ".join(names))
        else:
            size = comp["size"]
            brief = "%s (%s employees, %s) met with %s %s from %s. They talked about %s." % (
                comp["name"], size if size is not None else "unknown number of",
                comp["industry"].replace("_", " ").lower(), u["first"], u["last"], SELLER,
                ", ".join(names))
        key_points = [{"text": KEY_POINTS[k]} for k in spans if k in KEY_POINTS][:4]
        return {
            "structure": [{"name": k, "duration": v} for k, v in structure.items()],
            "topics": [{"name": k, "duration": v} for k, v in topics.items()],
            "trackers": self._trackers(st),
            "pointsOfInterest": {"actionItems": actions},
            "brief": brief,
            "outline": [{"section": PHASE_TOPIC[k], "startTime": round(s / 1000, 1),
                         "duration": round((e - s) / 1000, 1),
                         "items": [{"text": OUTLINE_ITEMS[k], "startTime": round(s / 1000, 1)}]}
                        for k, (s, e) in spans.items()],
            "highlights": highlights, "callOutcome": outcome, "keyPoints": key_points}

    def _interaction(self, c, rng, mono, st, speakers):
        users = {sid: (self._users[u]["id"] if u is not None and c.kind != K_IMPORTED else None)
                 for sid, _, u, _ in speakers}
        video = []
        if SYSTEMS[c.sys][1] and mono:
            demo = st["spans"].get("demo")
            part = lambda lo, hi: round(c.dur_s * rng.uniform(lo, hi), 1)
            video = [{"name": "Presentation",
                      "duration": round((demo[1] - demo[0]) / 1000, 1) if demo else 0.0},
                     {"name": "WebcamPrimaryUser", "duration": part(0.5, 0.95)},
                     {"name": "WebcamNonCompany", "duration": part(0.2, 0.9)},
                     {"name": "Browser", "duration": part(0.0, 0.2)}]
        stats = []
        if mono:
            side = st["side"]
            total = (side["int"] + side["ext"]) or 1
            gaps = st["gaps"]
            stats = [
                {"name": "Talk Ratio", "value": round(side["int"] / total, 2)},
                {"name": "Longest Monologue", "value": round(st["longest"]["int"] / 1000)},
                {"name": "Longest Customer Story", "value": round(st["longest"]["ext"] / 1000)},
                {"name": "Interactivity",
                 "value": round(min(10.0, st["switches"] / (c.dur_s / 60) * 2.5), 1)},
                {"name": "Patience",
                 "value": round(sum(gaps) / len(gaps) / 1000, 2) if gaps else 0},
                {"name": "Question Rate", "value": round(st["q"]["int"] / (c.dur_s / 3600), 1)},
            ]
        return {"speakers": [{"id": sid, "userId": users.get(sid), "talkTime": round(ms / 1000, 2)}
                             for sid, ms in st["talk"].items()],
                "video": video, "interactionStats": stats,
                "questions": {"companyCount": st["q"]["int"], "nonCompanyCount": st["q"]["ext"]}}

    def _comments(self, c, rng):
        if not c.flags & F_COMMENTS:
            return []
        mgr = self._users[self._users[c.runner]["mgr"] or 0]
        posted = c.start_ms + c.dur_s * 1000 + rng.randrange(600_000, 172_800_000)
        at = rng.uniform(60, max(61, c.dur_s - 60))
        first = {"id": _rand_id(rng), "audioStartTime": round(at, 1),
                 "audioEndTime": round(at + rng.uniform(5, 40), 1), "commenterUserId": mgr["id"],
                 "comment": rng.choice(COMMENTS), "posted": iso(posted, mgr["off"], True),
                 "inReplyTo": None, "duringCall": False}
        out = [first]
        if rng.random() < 0.4:
            rep = self._users[c.runner]
            out.append(dict(first, id=_rand_id(rng), commenterUserId=rep["id"],
                            comment="Thanks, noted!",
                            posted=iso(posted + rng.randrange(60_000, 7_200_000), rep["off"], True),
                            inReplyTo=first["id"]))
        return out

    # ---- CRM context -----------------------------------------------------------------
    @staticmethod
    def _num(value, code):
        """A CRM number as Gong relays it: 0 number, 1 numeric string, 2 null."""
        if value is None or code == 2:
            return None
        return "%.2f" % value if code == 1 else value

    def _crm(self, c, deal, comp):
        """(system, [(objectType, objectId, {timing: fields})]) or None without a deal."""
        if deal is None:
            return None
        drng = random.Random(self.seed * 3_000_017 + deal.j)
        hs_id = str(drng.randrange(10 ** 9, 10 ** 11))
        sf_id = "0065g" + _rand_str(drng, 13)
        dealtype = drng.choice(("newbusiness", "newbusiness", "existingbusiness"))
        name = "%s - %s %s" % (comp["name"], SELLER,
                               "New Business" if dealtype == "newbusiness" else "Expansion")
        a_now, a_toc, size_code = c.fmt % 3, (c.fmt // 3) % 3, c.fmt // 9
        size = comp["size"]
        size_v = None if size is None else str(size) if size_code else size
        rank = min(c.pos, len(deal.stages) - 1)
        snaps = {"Now": (deal.now_stage, deal.amount_now, deal.close_ms, deal.owner_now, a_now)}
        if not c.flags & F_NOTOC:
            toc_close = deal.close_ms + 7 * 86_400_000 * ((len(deal.stages) - 1 - rank) % 3)
            snaps["TimeOfCall"] = (deal.stages[rank], deal.amount, toc_close, deal.owner, a_toc)
        day = lambda ms: time.strftime("%Y-%m-%d", time.gmtime(ms // 1000))
        deal_f, comp_f = {}, {}
        for timing, (stage, amount, close, owner, code) in snaps.items():
            o = self._users[owner]
            if deal.crm == "sf":
                deal_f[timing] = _fields(
                    Name=name, StageName=SF_STAGES[stage], Amount=self._num(amount, code),
                    CloseDate=day(close), OwnerId=o["sf_owner"],
                    Probability=int(HS_PROB[stage] * 100), Type="New Business",
                    LeadSource="Outbound")
                comp_f[timing] = _fields(Name=comp["name"], NumberOfEmployees=size_v,
                                         Website="https://" + comp["domain"],
                                         Industry=comp["industry"].replace("_", " ").title())
            else:
                deal_f[timing] = _fields(
                    dealname=name, dealstage=HS_STAGES[stage], amount=self._num(amount, code),
                    closedate=day(close) + "T00:00:00Z", hubspot_owner_id=o["hs_owner"],
                    pipeline="default", dealtype=dealtype,
                    hs_deal_stage_probability=HS_PROB[stage],
                    createdate=iso(deal.created_ms, 0, True).replace("+00:00", "Z"))
                comp_f[timing] = _fields(name=comp["name"], numberofemployees=size_v,
                                         domain=comp["domain"], industry=comp["industry"],
                                         city=comp["city"], country=comp["country"])
        if deal.crm == "sf":
            return "Salesforce", [("Opportunity", sf_id, deal_f),
                                  ("Account", comp["sf_id"], comp_f)]
        deal_t, comp_t = ("Deal", "Company") if deal.crm == "hs" else ("Opportunity", "Account")
        return "HubSpot", [(deal_t, hs_id, deal_f), (comp_t, comp["hs_id"], comp_f)]

    @staticmethod
    def _contact_crm(system, ct, timings):
        if system == "Salesforce":
            f = _fields(Email=ct["email"], FirstName=ct["first"], LastName=ct["last"],
                        Title=ct["title"])
            oid = ct["sf_id"]
        else:
            f = _fields(email=ct["email"], firstname=ct["first"], lastname=ct["last"],
                        jobtitle=ct["title"], lifecyclestage="opportunity")
            oid = ct["hs_id"]
        return system, [("Contact", oid, {t: f for t in timings})]

    def _user_crm(self, user_id, timings):
        """A Salesforce tenant's party-level CRM User of an internal party: objectId is the
        user's Salesforce id (005...), the one the Opportunities' OwnerId names."""
        if not hasattr(self, "_team_by_id"):
            self._team_by_id = {u["id"]: u for u in self._users}
        u = self._team_by_id[user_id]
        f = _fields(Name=u["first"] + " " + u["last"], Email=u["email"])
        return "Salesforce", [("User", u["sf_owner"], {t: f for t in timings})]

    @staticmethod
    def _context_json(crm, context, timings):
        """The `context` array for one selector ([] when there is nothing to link)."""
        if crm is None or context == "None":
            return []
        system, objs = crm
        if context == "Basic":
            out = [{"objectType": ot, "objectId": oid, "fields": [], "timing": "Now"}
                   for ot, oid, _ in objs]
        else:
            out = [{"objectType": ot, "objectId": oid, "fields": by_t[tm], "timing": tm}
                   for tm in timings for ot, oid, by_t in objs if tm in by_t]
        return [{"system": system, "objects": out}] if out else []

    # ---- the per-call bundle and its JSON ---------------------------------------------
    def _bundle(self, i):
        """Everything generated for call i (cached): meta, parties, CRM, conversation,
        content, interaction, comments, media."""
        hit = self._bundles.get(i)
        if hit is not None:
            return hit
        c = self._calls[i]
        ci, deal = self._call_company(c)
        comp = self._company(ci) if ci is not None else None
        parties, speakers = self._parties(c, comp)
        ctx = self._template_ctx(c, random.Random(self._seed(i) * 8 + 4), comp)
        b = {"mono": self._transcript_compact(c, speakers, ctx), "parties": parties,
             "speakers": speakers, "comp": comp, "deal": deal, "ctx": ctx, "done": False}
        return self._bundles.put(i, b)

    def _full_bundle(self, i):
        """The bundle with the extensive-only parts filled in (meta, CRM, content, ...)."""
        b = self._bundle(i)
        if b["done"]:
            return b
        c, comp, mono, parties = self._calls[i], b["comp"], b["mono"], b["parties"]
        st = self._scan(mono, b["ctx"])
        rng = random.Random(self._seed(i) * 8 + 3)
        crm = self._crm(c, b["deal"], comp)
        party_crm = []
        for p, ct in parties or ():
            if ct and crm:
                pcrm = self._contact_crm(crm[0], ct, TIMINGS)
            elif crm and crm[0] == "Salesforce" and p["affiliation"] == "Internal":
                pcrm = self._user_crm(p["userId"], TIMINGS)  # who the OwnerIds name
            else:
                pcrm = None
            party_crm.append((p, pcrm))
        b.update({
            "meta": self._meta_for(i), "party_crm": party_crm if parties is not None else None,
            "crm": crm, "content": self._content(c, rng, mono, st, comp),
            "interaction": self._interaction(c, rng, mono, st, b["speakers"]),
            "comments": self._comments(c, rng),
            "media": {"audioUrl": "https://gong-media.example.com/audio/%s.mp3?token=%x"
                                  % (c.id, rng.getrandbits(64)),
                      "videoUrl": ("https://gong-media.example.com/video/%s.mp4?token=%x"
                                   % (c.id, rng.getrandbits(64))) if SYSTEMS[c.sys][1] else None},
            "done": True})
        return b

    def _record(self, i, sel):
        """CallData of call i as /v2/calls/extensive returns it for a normalized selector."""
        context, timings, parties, ckeys, occ, ikeys, comments, media = sel
        if not (parties or ckeys or ikeys or comments or media or context != "None"):
            return {"metaData": self._meta_for(i)}
        b = self._full_bundle(i)
        rec = {"metaData": b["meta"]}
        if context != "None":
            rec["context"] = self._context_json(b["crm"], context, timings)
        if parties and b["party_crm"] is not None:
            rec["parties"] = []
            for p, pcrm in b["party_crm"]:
                p = dict(p)
                p["context"] = self._context_json(pcrm, context, timings)
                rec["parties"].append({k: p[k] for k in PARTY_KEYS})
        if ckeys:
            content = b["content"]
            rec["content"] = {k: content[k] if k != "trackers" or occ
                              else _strip_occurrences(content[k]) for k in ckeys}
        if ikeys:
            inter = b["interaction"]
            rec["interaction"] = {("interactionStats" if k == "personInteractionStats" else k):
                                  inter["interactionStats" if k == "personInteractionStats" else k]
                                  for k in ikeys}
        if comments:
            rec["collaboration"] = {"publicComments": b["comments"]}
        if media:
            rec["media"] = b["media"]
        return rec

    @staticmethod
    def _dumps(obj, c):
        """Compact JSON bytes; raw UTF-8 except for the json_unicode_escapes hard case."""
        enc = _ENC_ASCII if c.flags & F_ASCII else _ENC_UTF8
        return enc.encode(obj).encode("utf-8")

    def extensive_json(self, i, sel=FULL_SELECTOR):
        """UTF-8 JSON bytes of call i's CallData for a normalized selector (cached)."""
        key = ("x", i, sel)
        hit = self._frags.get(key)
        if hit is None:
            hit = self._frags.put(key, self._dumps(self._record(i, sel), self._calls[i]))
        return hit

    def transcript_json(self, i):
        """UTF-8 JSON bytes of {"callId", "transcript"} for call i, None if it has none."""
        c = self._calls[i]
        if c.tr == T_NONE:
            return None
        key = ("t", i)
        hit = self._frags.get(key)
        if hit is None:
            b = self._bundle(i)
            if c.flags & F_ASCII:
                obj = {"callId": c.id, "transcript": _materialize(b["mono"], b["ctx"])}
                hit = self._dumps(obj, c)
            else:
                hit = _transcript_bytes(c.id, b["mono"], b["ctx"])
            self._frags.put(key, hit)
        return hit

    def meta_json(self, i):
        """UTF-8 JSON bytes of call i's flat CallBasicData."""
        return self._dumps(self._meta_for(i), self._calls[i])

    # ---- users -----------------------------------------------------------------------
    def _users_sorted(self):
        return sorted(self._users, key=lambda u: (u["created_ms"], u["idx"]))

    def _user_record(self, u):
        """UserMetadata as /v2/users serves it."""
        rng = random.Random(self.seed * 5_000_011 + u["idx"])
        local = u["email"].split("@")[0]
        mgr = self._users[u["mgr"]]["id"] if u["mgr"] is not None else None
        langs = [] if rng.random() < 0.3 else [{"language": "en-US", "primary": True}]
        if langs and rng.random() < 0.3:
            langs.append({"language": rng.choice(("es-ES", "de-DE", "fr-FR", "hi-IN")),
                          "primary": False})
        rec = {
            "id": u["id"], "emailAddress": u["email"],
            "created": iso(u["created_ms"], u["off"], True),
            "active": u["active"],
            "emailAliases": [local + "@" + SELLER.lower() + ".com"] if rng.random() < 0.2 else [],
            "trustedEmailAddress": u["email"] if rng.random() < 0.1 else None,
            "firstName": u["first"], "lastName": u["last"], "title": u["title"],
            "phoneNumber": "+1 415 555 %04d" % rng.randrange(10000) if rng.random() < 0.6 else None,
            "extension": None,
            "personalMeetingUrls": (
                ["https://%s.zoom.us/my/%s" % (SELLER.lower(), local.replace(".", ""))]
                if rng.random() < 0.5 else []),
            "settings": {"webConferencesRecorded": u["role"] != "extra",
                         "preventWebConferenceRecording": False,
                         "telephonyCallsImported": u["role"] == "sdr",
                         "emailsImported": rng.random() < 0.7, "preventEmailImport": False,
                         "nonRecordedMeetingsImported": rng.random() < 0.5,
                         "gongConnectEnabled": rng.random() < 0.3},
            "managerId": mgr, "meetingConsentPageUrl": None, "conferencingProviders": None,
            "spokenLanguages": langs,
        }
        if u["idx"] % 7 == 3:
            rec["unknownFutureField"] = {"beta": True, "since": "2024-06"}
        return rec

    # ---- public API ------------------------------------------------------------------
    def __len__(self):
        return len(self._calls)

    def index(self, call):
        """Index (0 = oldest) of a call given by id (str) or index (int); KeyError if unknown."""
        if isinstance(call, int):
            if 0 <= call < len(self._calls):
                return call
            raise KeyError(call)
        return self._by_id[call]

    def call_at(self, i):
        """The light index row of call i (read-only)."""
        return self._calls[i]

    def call_ids(self):
        """All call ids, oldest first (by window time)."""
        return [c.id for c in self._calls]

    def users(self):
        """UserMetadata dicts exactly as /v2/users serves them (in that order)."""
        return json.loads(json.dumps(self._user_json))

    def user_records(self):
        """The served UserMetadata list itself (shared; do not modify)."""
        return self._user_json

    def meta(self, call):
        """CallBasicData as /v2/calls and /v2/calls/{id} serve it."""
        return json.loads(self.meta_json(self.index(call)))

    def extensive(self, call, selector=None):
        """CallData as /v2/calls/extensive serves it. selector None = everything except
        media (context Extended with Now and TimeOfCall, every exposed field); otherwise a
        contentSelector dict as sent in the request body."""
        sel = FULL_SELECTOR if selector is None else normalize_selector(selector)
        return json.loads(self.extensive_json(self.index(call), sel))

    def transcript(self, call):
        """The monologue list as /v2/calls/transcript serves it, or None without one."""
        raw = self.transcript_json(self.index(call))
        return None if raw is None else json.loads(raw)["transcript"]

    def has_transcript(self, call):
        return self._calls[self.index(call)].tr != T_NONE

    def window_time(self, call):
        """Epoch ms the date filters test: `scheduled` for web conferences (Zoom, Microsoft
        Teams, Google Meet, WebEx), `started` for phone calls (Outreach, Aircall)."""
        return self._calls[self.index(call)].filter_ms

    def in_window(self, call, from_iso=None, to_iso=None):
        """Whether a call falls in [from, to) by window_time; None bounds are open."""
        t = self.window_time(call)
        return ((from_iso is None or t >= parse_iso(from_iso)) and
                (to_iso is None or t < parse_iso(to_iso)))

    def window_range(self, from_ms=None, to_ms=None):
        """(lo, hi): the calls with index lo <= i < hi are those in [from_ms, to_ms)."""
        lo = 0 if from_ms is None else bisect.bisect_left(self._filter, from_ms)
        hi = len(self._filter) if to_ms is None else bisect.bisect_left(self._filter, to_ms)
        return lo, max(lo, hi)

    def window_ids(self, from_iso=None, to_iso=None):
        lo, hi = self.window_range(None if from_iso is None else parse_iso(from_iso),
                                   None if to_iso is None else parse_iso(to_iso))
        return [c.id for c in self._calls[lo:hi]]

    def transcript_positions(self):
        """Sorted indices of the calls that have a transcript (possibly empty)."""
        return self._with_transcript

    def latest(self, n):
        """Ids of the n most recent calls (what --late N holds back)."""
        return [c.id for c in self._calls[len(self._calls) - n:]] if n > 0 else []

    def outcome(self, call):
        """'won', 'lost' or 'open' (the deal's Now stage), None for calls without a deal."""
        c = self._calls[self.index(call)]
        return self._deals[c.deal].outcome if c.deal >= 0 else None

    def company_size(self, call):
        """The deal company's numberofemployees (int), None if unknown or no deal."""
        c = self._calls[self.index(call)]
        return self._comp_size[self._deals[c.deal].company] if c.deal >= 0 else None

    def runner(self, call):
        """User id of the one internal speaker who ran an external call."""
        return self._users[self._calls[self.index(call)].runner]["id"]

    # ---- planted signals -------------------------------------------------------------
    @property
    def PLANTED(self):
        """The planted signals and hard cases (computed on first use; see FAKEGONG.md)."""
        if self._planted_cache is None:
            self._planted_cache = self._planted()
        return self._planted_cache

    def _who(self, u):
        user = self._users[u]
        return {"user_id": user["id"], "name": user["first"] + " " + user["last"],
                "email": user["email"]}

    def _realized(self):
        """Exact shares of the flag-driven signals over calls with a non-empty transcript
        that are not private (what a default mirror stores)."""
        comp = {o: {"calls": 0, "with_mention": 0} for o in ("won", "lost", "open")}
        disc = {g: {"calls": 0, "with_mention": 0} for g in ("large", "small", "unknown")}
        for c in self._calls:
            if c.kind != K_DEAL or c.tr != T_FULL or c.private:
                continue
            d = self._deals[c.deal]
            comp[d.outcome]["calls"] += 1
            comp[d.outcome]["with_mention"] += bool(c.flags & F_COMP)
            size = self._comp_size[d.company]
            g = "unknown" if size is None else "large" if size >= LARGE_COMPANY else "small"
            disc[g]["calls"] += 1
            disc[g]["with_mention"] += bool(c.flags & F_DISC)
        for r in list(comp.values()) + list(disc.values()):
            r["share"] = round(r["with_mention"] / r["calls"], 4) if r["calls"] else None
        return comp, disc

    def _hard_cases(self):
        calls = self._calls
        ids = lambda pred: [c.id for c in calls if pred(c)]
        crm = lambda kind: ids(lambda c: c.deal >= 0 and self._deals[c.deal].crm == kind)
        hard = {kind: ids(lambda c, k=kind: c.special == k) for kind in SPECIAL_KINDS}
        hard.update({
            "json_unicode_escapes": ids(lambda c: c.flags & F_ASCII),
            "empty_transcript": ids(lambda c: c.tr == T_EMPTY),
            "no_transcript": ids(lambda c: c.tr == T_NONE),
            "private": ids(lambda c: c.private),
            "no_parties": ids(lambda c: c.kind == K_IMPORTED),
            "silent_parties": ids(lambda c: c.flags & (F_SILENT | F_HANDOFF)),
            "null_speaker": ids(lambda c: c.flags & F_NULLSPK),
            "null_topic": ids(lambda c: c.flags & F_NULLTOPIC and c.tr == T_FULL),
            "no_timeofcall": ids(lambda c: c.flags & F_NOTOC),
            "big_ids": ids(lambda c: int(c.id) >= 2 ** 64),
            "ms_timestamps": ids(lambda c: c.flags & F_MS),
            "unknown_fields": ids(lambda c: c.flags & F_UNKNOWN),
            "amount_string": ids(lambda c: c.deal >= 0 and 1 in (c.fmt % 3, (c.fmt // 3) % 3)),
            "amount_null": ids(lambda c: c.deal >= 0 and 2 in (c.fmt % 3, (c.fmt // 3) % 3)),
            "size_string": ids(lambda c: c.deal >= 0 and c.fmt // 9 == 1
                               and self._comp_size[self._deals[c.deal].company] is not None),
            "size_null": ids(lambda c: c.deal >= 0
                             and self._comp_size[self._deals[c.deal].company] is None),
            "crm_opportunity_spelling": crm("hs_opp"),
            "crm_salesforce": crm("sf"),
            "no_deal": ids(lambda c: c.deal < 0 and c.kind != K_INTERNAL),
            "internal_calls": ids(lambda c: c.kind == K_INTERNAL),
            "scope_unknown": ids(lambda c: c.kind == K_IMPORTED),
            "phone_calls": ids(lambda c: not SYSTEMS[c.sys][1]),
            "second_workspace": ids(lambda c: c.ws == 1),
            "public_comments": ids(lambda c: c.flags & F_COMMENTS),
        })
        return hard

    def _planted(self):
        comp, disc = self._realized()
        others = {self._users[u]["id"]: self._users[u]["talk"]
                  for u in self._ae + self._sdr + self._se + self._mgr + [0] if u != self.talker}
        owners = {}
        for u in self._users[:len(TEAM)]:
            owners[u["hs_owner"]] = owners[u["sf_owner"]] = u["id"]
        return {
            "population": "calls with a non-empty transcript that are not private",
            "talker": dict(self._who(self.talker), talk_share=0.70,
                           definition="internal speakers' share of sentence time (end-start) "
                                      "on the external calls this rep ran; each external call "
                                      "has exactly one internal speaker"),
            "talk_share_others": {"range": [0.40, 0.55], "targets": others},
            "competitor": {"name": COMPETITOR, "speaker": "customer (External)",
                           "intended": {"lost": 0.6, "won": 0.1, "open": 0.3},
                           "realized": comp,
                           "definition": "share of calls of deals by Now outcome in which a "
                                         "customer says the word; company speakers only echo "
                                         "it in calls where a customer said it"},
            "questioner": dict(self._who(self.questioner), questions_per_call=20,
                               others_range=[8, 12],
                               definition="internal sentences ending in '?' per external call "
                                          "(= interaction.questions.companyCount)"),
            "monologuer": dict(self._who(self.monologuer), long_monologues_per_call=[2, 3],
                               long_monologue_sentences=[16, 26],
                               others_max_monologue_sentences=6,
                               definition="Longest Monologue stat: ~60-150 s for this rep, "
                                          "mostly under 45 s for the others"),
            "discount": {"word": "discount", "large_min_employees": LARGE_COMPANY,
                         "intended": {"large": 0.55, "small": 0.15, "unknown": 0.3},
                         "realized": disc,
                         "definition": "share of deal calls with >= 1 sentence containing "
                                       "'discount' (only gated sentences contain it)"},
            "handoff": {"share": "about 5% of calls",
                        "call_ids": [c.id for c in self._calls if c.flags & F_HANDOFF],
                        "definition": "primaryUserId is an SDR who is a silent party; the "
                                      "deal's AE is the only internal speaker"},
            "inactive_rep": self._who(self.leaver),
            "owners": owners,
            "hard_cases": self._hard_cases(),
        }

    def measure(self, calls=None):
        """Measure the planted signals from the generated transcripts (slow for big sets):
        per-rep talk share, questions and longest monologue on external calls they ran;
        customer mentions of the competitor by outcome; 'discount' by company size; calls
        whose top internal speaker is not the primary user."""
        rx_comp = re.compile(r"\b%s\b" % COMPETITOR)
        rx_disc = re.compile(r"\bdiscount", re.I)
        reps, comp, disc, handoff = {}, {}, {}, []
        idx = range(len(self._calls)) if calls is None else [self.index(x) for x in calls]
        for i in idx:
            c = self._calls[i]
            if c.tr != T_FULL or c.kind not in (K_DEAL, K_NODEAL) or c.private:
                continue
            b = self._bundle(i)
            st = self._scan(b["mono"], b["ctx"])
            said_by = [(m["speakerId"], s["text"]) for m in _materialize(b["mono"], b["ctx"])
                       for s in m["sentences"]]
            ext = {m[0] for m in b["mono"] if m[5] == "ext"}
            r = reps.setdefault(self._users[c.runner]["id"],
                                {"calls": 0, "int_ms": 0, "ext_ms": 0, "questions": 0,
                                 "longest_s": 0.0})
            r["calls"] += 1
            r["int_ms"] += st["side"]["int"]
            r["ext_ms"] += st["side"]["ext"]
            r["questions"] += st["q"]["int"]
            r["longest_s"] += st["longest"]["int"] / 1000
            if c.primary != c.runner:
                handoff.append(c.id)
            if c.deal < 0:
                continue
            d = self._deals[c.deal]
            said = any(sid in ext and rx_comp.search(text) for sid, text in said_by)
            o = comp.setdefault(d.outcome, {"calls": 0, "with_mention": 0})
            o["calls"] += 1
            o["with_mention"] += said
            size = self._comp_size[d.company]
            g = "unknown" if size is None else "large" if size >= LARGE_COMPANY else "small"
            hit = any(rx_disc.search(text) for _, text in said_by)
            o = disc.setdefault(g, {"calls": 0, "with_mention": 0})
            o["calls"] += 1
            o["with_mention"] += hit
        for r in reps.values():
            r["talk_share"] = round(r["int_ms"] / max(1, r["int_ms"] + r["ext_ms"]), 4)
            r["questions_per_call"] = round(r["questions"] / r["calls"], 2)
            r["mean_longest_monologue_s"] = round(r["longest_s"] / r["calls"], 1)
        for o in list(comp.values()) + list(disc.values()):
            o["share"] = round(o["with_mention"] / o["calls"], 4)
        return {"reps": reps, "competitor": comp, "discount": disc, "handoff": handoff}


PARTY_KEYS = ["id", "emailAddress", "name", "title", "userId", "speakerId", "context",
              "affiliation", "phoneNumber", "methods"]
KEY_POINTS = {
    "disc": "Current process relies on spreadsheets and manual work.",
    "demo": "The dashboard and deal board resonated with the team.",
    "price": "Pricing was discussed and a formal quote was requested.",
    "obj": "Adoption risk was raised as the main concern.",
    "comp": "The customer is evaluating other vendors.",
    "sec": "Security review needs the SOC 2 report and SSO details.",
    "next": "A follow-up meeting will be scheduled.",
    "pipe": "Commit deals were reviewed for the quarter.",
}
COMMENTS = ["Great discovery here, nice job uncovering the budget owner.",
            "Try pausing after the numbers and let them respond.",
            "This is the moment the deal turned.",
            "Nice handling of the security question 👍",
            "Can we get legal involved earlier next time?",
            "Listen to this part — strong champion signal."]


_ENC_UTF8 = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
_ENC_ASCII = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False)
_SENT = '{"start":%d,"end":%d,"text":%s}'
_MONO = '{"speakerId":%s,"topic":%s,"sentences":[%s]}'
_TOPIC_JSON = {None: "null"}


def _materialize(mono, ctx):
    """The served monologue list (Python objects) of a call's turns."""
    out = []
    for sid, topic, t0, f, tr, _, _ in mono:
        out.append({"speakerId": sid, "topic": topic, "sentences": [
            {"start": t0 + int(a * f), "end": t0 + int(b * f),
             "text": e[0].format_map(ctx) if e[3] else e[0]} for a, b, e in tr.sents]})
    return out


def _transcript_bytes(call_id, mono, ctx):
    """Fast JSON of {"callId", "transcript"} from pre-encoded sentence texts; equal (after
    parsing) to json.dumps of _materialize()."""
    parts, resolved = [], {}
    for sid, topic, t0, f, tr, _, _ in mono:
        tj = _TOPIC_JSON.get(topic)
        if tj is None:
            tj = _TOPIC_JSON[topic] = json.dumps(topic, ensure_ascii=False)
        sl = []
        for a, b, e in tr.sents:
            enc = e[5]
            if enc is None:
                enc = resolved.get(id(e))
                if enc is None:
                    enc = resolved[id(e)] = json.dumps(e[0].format_map(ctx), ensure_ascii=False)
            sl.append(_SENT % (t0 + int(a * f), t0 + int(b * f), enc))
        parts.append(_MONO % ('"%s"' % sid if sid is not None else "null", tj, ",".join(sl)))
    return ('{"callId":"%s","transcript":[%s]}' % (call_id, ",".join(parts))).encode("utf-8")


def _fields(**kw):
    return [{"name": k, "value": v} for k, v in kw.items()]


def _strip_occurrences(trackers):
    return [dict({k: v for k, v in t.items() if k != "occurrences"},
                 phrases=[{k: v for k, v in p.items() if k != "occurrences"} for p in t["phrases"]])
            for t in trackers]


_check_templates()
