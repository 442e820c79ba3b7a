#!/usr/bin/python3
"""reference_ingest: a straightforward Gong mirror client in Python's standard library.

The baseline `make bench` measures callmine-ingest against (issue 12): it mirrors the same
data into the same tables, the way a competent engineer would write it in an afternoon with
urllib, json, zlib and sqlite3 -- sequential, unpaced, one transaction per API page, no
threads, no caching, no cleverness. It is neither a strawman nor an optimised rival.

What it writes, as callmine-ingest does (schema from sql/001-init.sql, 002-semantic.sql,
003-layout.sql and 004-facts.sql):
users; calls, calls_raw (the call's JSON, zlib), parties, crm_fields, deals (each CRM's
property names: HubSpot dealname/dealstage/amount/closedate/hubspot_owner_id with the
company's name/numberofemployees, Salesforce Name/StageName/Amount/CloseDate/OwnerId with
the account's Name/NumberOfEmployees), crm_users, topics, call_structure, trackers,
tracker_occurrences, speakers, interaction_stats, key_points, action_items; transcripts
(zlib, one sentence a line: START_MS TAB END_MS TAB SPEAKER TAB TEXT, with \\ \\n \\r escaped)
and transcript_status. Times are fixed-width UTC (2024-03-01T17:01:12.000Z). With each
transcript, as callmine-ingest does: its call_metrics row (sides from the call's parties,
turns cut at pauses of 1 s, as schema/metrics.h defines them) and its sentences in the FTS5
search index (search_calls numbers the call; rowid = num << 20 | the sentence's line).
In every page's transaction, the stored call facts of the calls it wrote (call_facts_stored
from call_facts_live, the same SQL refresh; a users page refreshes every stored call).
What it leaves out: transcript_grams (grep's n-gram filter: a byte-level hash that a
Python loop would make the reference several times slower, so leaving it out favours the
reference), recomputing call_metrics when a stored call's parties change, checkpoints and
resuming, pacing and budgets, OAuth.

Flow: GET /v2/users (all pages); POST /v2/calls/extensive for the window, page by page with
its cursor; after each page, POST /v2/calls/transcript for that page's calls (at most 100
ids a request, following cursors).

    GONG_ACCESS_KEY=... GONG_ACCESS_KEY_SECRET=... \\
    python3 tools/reference_ingest.py --db ref.db --base-url http://127.0.0.1:PORT \\
        --from 2024-01-01 [--to 2025-01-01] [--include-private]
"""
import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import pathlib
import re
import sqlite3
import sys
import time
import urllib.error
import urllib.request
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
MIGRATIONS = ["001-init.sql", "002-semantic.sql", "003-layout.sql", "004-facts.sql"]
SELECTOR = {
    "context": "Extended", "contextTiming": ["Now", "TimeOfCall"],
    "exposedFields": {
        "parties": True, "media": False, "collaboration": {"publicComments": True},
        "content": {k: True for k in ("structure", "topics", "trackers", "trackerOccurrences",
                                      "pointsOfInterest", "brief", "outline", "highlights",
                                      "callOutcome", "keyPoints")},
        "interaction": {k: True for k in ("speakers", "video", "personInteractionStats",
                                          "questions")}}}
TIME_RE = re.compile(r"(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:?\d\d)$")
NUMBER_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


# ---- values -----------------------------------------------------------------------------
def utc(s):
    """Gong's ISO-8601 text (any offset) as fixed-width UTC text, or None."""
    m = TIME_RE.match(s.strip()) if isinstance(s, str) else None
    if not m:
        return None
    frac = (m.group(3) or "")[:3].ljust(3, "0")
    zone = m.group(4).upper().replace("Z", "+00:00")
    if ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    t = dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}.{frac}{zone}")
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + frac + "Z"


def text(v):
    """A text column: strings as they are, whole numbers (ids sent as numbers) as digits."""
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= 2 ** 53 \
            and v == int(v):
        return str(int(v))
    return None


def number(v):
    """A JSON number, or a string holding a plain decimal number; else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v) if v == v and abs(v) != float("inf") else None
    if isinstance(v, str) and NUMBER_RE.fullmatch(v.strip()):
        f = float(v)
        return f if abs(f) != float("inf") else None
    return None


def integer(v):
    f = number(v)
    return None if f is None else int(f)


def boolean(v):
    if isinstance(v, bool):
        return int(v)
    if v in (0, 1):
        return int(v)
    return {"true": 1, "false": 0}.get(v) if isinstance(v, str) else None


def compact(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def json_array(v):
    if isinstance(v, list):
        return compact(v)
    return compact([v]) if isinstance(v, str) else None


def crm_value(v):
    """A CRM field value with its JSON type kept as SQLite's."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and v == int(v) and abs(v) < 2 ** 63:
        return int(v)
    if isinstance(v, (list, dict)):
        return compact(v)
    return v


def sqlar(data):
    """zlib in the sqlar convention: kept as is when compressing does not make it smaller."""
    z = zlib.compress(data, 6)
    return z if len(z) < len(data) else data


def now_iso():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"


# ---- deals: each CRM's property names -----------------------------------------------------
PROPS = {"name": ("dealname", "Name"), "stage": ("dealstage", "StageName"),
         "amount": ("amount", "Amount"), "close": ("closedate", "CloseDate"),
         "owner": ("hubspot_owner_id", "OwnerId"), "co_name": ("name", "Name"),
         "co_size": ("numberofemployees", "NumberOfEmployees")}


def prop(obj, role):
    """A property by role: the system's own name first, exact before case-insensitive."""
    names = PROPS[role][::-1] if obj["system"] == "Salesforce" else PROPS[role]
    for exact in (True, False):
        for n in names:
            for fname, value in obj["fields"]:
                if fname is not None and (fname == n if exact else fname.lower() == n.lower()):
                    return True, value
    return False, None


def close_date(v):
    """Epoch milliseconds or a zoned date-time become UTC text; anything else stays."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 1e11 <= v < 1e13 \
            and v == int(v):
        return dt.datetime.fromtimestamp(int(v) / 1000, dt.timezone.utc) \
            .strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"
    if isinstance(v, str) and v.isdigit() and len(v) in (12, 13):
        return close_date(int(v))
    if isinstance(v, str) and re.search("[Tt ]", v):
        return utc(v) or v
    return v


def deal_rows(objs):
    """The deals rows of a call from its call-level CRM objects (see ingest/deals.h)."""
    def kind(o):
        if o["party_ord"] is not None:
            return None
        return {"Deal": "deal", "Opportunity": "deal", "Company": "company",
                "Account": "company"}.get(o["type"])
    rows, seen, per_timing = [], set(), {}
    for o in objs:
        if kind(o) != "deal":
            continue
        timing = o["timing"] or "Now"
        if (timing, o["id"]) in seen:
            continue
        seen.add((timing, o["id"]))
        cos = [c for c in objs if kind(c) == "company" and (c["timing"] or "Now") == timing]
        co = next((c for c in cos if c["system"] == o["system"]), cos[0] if cos else None)
        amount = number(prop(o, "amount")[1])
        size = None
        if co:
            f = number(prop(co, "co_size")[1])
            size = int(f) if f is not None and f == int(f) else None
        ord_ = per_timing.get(timing, 0)
        per_timing[timing] = ord_ + 1
        rows.append((timing, o["system"], o["id"], prop(o, "name")[1], prop(o, "stage")[1],
                     amount, prop(o, "owner")[1], close_date(prop(o, "close")[1]),
                     co["id"] if co else None, prop(co, "co_name")[1] if co else None, size,
                     ord_))
    return rows


# ---- HTTP -----------------------------------------------------------------------------------
class Gong:
    def __init__(self, base, key, secret):
        self.base = base.rstrip("/")
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.headers = {"Authorization": "Basic " + token, "Accept": "application/json"}
        self.requests = 0

    def call(self, method, path, body=None):
        """The parsed JSON answer, or None for Gong's 404 'nothing found'."""
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers, **({"Content-Type": "application/json"} if data else {}))
        for attempt in range(5):
            req = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)
            self.requests += 1
            try:
                with urllib.request.urlopen(req, timeout=120) as r:
                    return json.loads(r.read())
            except urllib.error.HTTPError as e:
                if e.code == 404:
                    return None
                if e.code != 429 and e.code < 500 or attempt == 4:
                    raise SystemExit(f"reference_ingest: {method} {path}: HTTP {e.code}: "
                                     f"{e.read()[:200]!r}")
                time.sleep(float(e.headers.get("Retry-After") or 2 ** attempt))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                if attempt == 4:
                    raise SystemExit(f"reference_ingest: {method} {path}: {e}")
                time.sleep(2 ** attempt)


# ---- storing ------------------------------------------------------------------------------
def open_db(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; "
                     "PRAGMA cache_size=-32768")
    if db.execute("PRAGMA user_version").fetchone()[0] == 0:  # a new file: the schema
        script = "".join((ROOT / "sql" / m).read_text() + "\n" for m in MIGRATIONS)
        db.executescript(f"BEGIN;\n{script}PRAGMA user_version = {len(MIGRATIONS)};\nCOMMIT;")
    return db


FACTS_REFRESH = ("INSERT OR REPLACE INTO call_facts_stored SELECT * FROM call_facts_live "
                 "WHERE call_id = ?")


def store_users(db, users):
    db.execute("BEGIN")
    db.executemany(
        "INSERT OR REPLACE INTO users(id, email, first_name, last_name, title, manager_id, "
        "active, created, phone_number, extension, trusted_email, email_aliases, raw) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(text(u.get("id")), text(u.get("emailAddress")), text(u.get("firstName")),
          text(u.get("lastName")), text(u.get("title")), text(u.get("managerId")),
          boolean(u.get("active")), utc(u.get("created")), text(u.get("phoneNumber")),
          text(u.get("extension")), text(u.get("trustedEmailAddress")),
          json_array(u.get("emailAliases")), compact(u)) for u in users if text(u.get("id"))])
    # users name the reps and owners of the stored calls
    db.execute("INSERT OR REPLACE INTO call_facts_stored SELECT * FROM call_facts_live")
    db.execute("COMMIT")


CALL_COLS = ["id", "url", "title", "scheduled", "started", "duration", "direction", "scope",
             "system", "media", "language", "workspace_id", "primary_user_id", "purpose",
             "is_private", "sdr_disposition", "client_unique_id", "custom_data", "meeting_url",
             "calendar_event_id", "brief", "outcome_id", "outcome_category", "outcome_name",
             "questions_company", "questions_non_company", "first_mirrored", "last_changed"]
CHILDREN = ["parties", "topics", "call_structure", "trackers", "tracker_occurrences",
            "speakers", "interaction_stats", "key_points", "action_items"]


def crm_objects(context, party_ord):
    out = []
    for system in context or []:
        for o in system.get("objects") or []:
            out.append({"party_ord": party_ord, "system": text(system.get("system")),
                        "type": text(o.get("objectType")), "id": text(o.get("objectId")),
                        "timing": text(o.get("timing")),
                        "fields": [(text(f.get("name")), crm_value(f.get("value")))
                                   for f in o.get("fields") or [] if isinstance(f, dict)]})
    return out


def store_call(db, c, include_private, now):
    """One call's rows; returns (id, is_private) or None for a call without an id."""
    md, ct, it = c.get("metaData") or {}, c.get("content") or {}, c.get("interaction") or {}
    cid = text(md.get("id"))
    if not cid:
        return None
    raw = compact(c).encode()
    digest = hashlib.blake2b(raw, digest_size=8).hexdigest()
    old = db.execute("SELECT digest FROM calls_raw WHERE call_id = ?", (cid,)).fetchone()
    private = boolean(md.get("isPrivate"))
    state = "private" if private and not include_private else "pending"
    db.execute("INSERT INTO transcript_status(call_id, state) VALUES (?, ?) "
               "ON CONFLICT(call_id) DO UPDATE SET state = excluded.state "
               "WHERE (state = 'private' AND excluded.state = 'pending') "
               "OR (state IN ('pending', 'waiting') AND excluded.state = 'private')", (cid, state))
    if old and old[0] == digest:
        return cid, state
    out, q = ct.get("callOutcome") or {}, it.get("questions") or {}
    db.execute(
        f"INSERT INTO calls({', '.join(CALL_COLS)}) VALUES ({', '.join('?' * len(CALL_COLS))}) "
        "ON CONFLICT(id) DO UPDATE SET " +
        ", ".join(f"{k} = excluded.{k}" for k in CALL_COLS[1:] if k != "first_mirrored"),
        (cid, text(md.get("url")), text(md.get("title")), utc(md.get("scheduled")),
         utc(md.get("started")), integer(md.get("duration")), text(md.get("direction")),
         text(md.get("scope")), text(md.get("system")), text(md.get("media")),
         text(md.get("language")), text(md.get("workspaceId")), text(md.get("primaryUserId")),
         text(md.get("purpose")), private, text(md.get("sdrDisposition")),
         text(md.get("clientUniqueId")), text(md.get("customData")), text(md.get("meetingUrl")),
         text(md.get("calendarEventId")), text(ct.get("brief")), text(out.get("id")),
         text(out.get("category")), text(out.get("name")), integer(q.get("companyCount")),
         integer(q.get("nonCompanyCount")), now, now))
    body = sqlar(raw)
    db.execute("INSERT OR REPLACE INTO calls_raw(call_id, size, body, digest) VALUES (?,?,?,?)",
               (cid, len(raw), body, digest))
    for t in CHILDREN:
        db.execute(f"DELETE FROM {t} WHERE call_id = ?", (cid,))
    # The TimeOfCall snapshot, once mirrored, never changes.
    has_toc = db.execute("SELECT EXISTS (SELECT 1 FROM deals WHERE call_id = ? AND "
                         "timing = 'TimeOfCall')", (cid,)).fetchone()[0]
    db.execute("DELETE FROM crm_fields WHERE call_id = ? AND timing IS NOT 'TimeOfCall'", (cid,))
    db.execute("DELETE FROM deals WHERE call_id = ? AND timing IS NOT 'TimeOfCall'", (cid,))

    parties = [p for p in c.get("parties") or [] if isinstance(p, dict)]
    db.executemany(
        "INSERT INTO parties(call_id, ord, party_id, speaker_id, user_id, name, email, title, "
        "affiliation, phone_number, methods) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(cid, i, text(p.get("id")), text(p.get("speakerId")), text(p.get("userId")),
          text(p.get("name")), text(p.get("emailAddress")), text(p.get("title")),
          text(p.get("affiliation")), text(p.get("phoneNumber")), json_array(p.get("methods")))
         for i, p in enumerate(parties)])
    objs = crm_objects(c.get("context"), None)
    for i, p in enumerate(parties):
        objs += crm_objects(p.get("context"), i)
    keep = [o for o in objs if not (has_toc and o["timing"] == "TimeOfCall")]
    db.executemany(
        "INSERT INTO crm_fields(call_id, party_ord, system, object_type, object_id, timing, "
        "name, value) VALUES (?,?,?,?,?,?,?,?)",
        [(cid, o["party_ord"], o["system"], o["type"], o["id"], o["timing"], n, v)
         for o in keep for n, v in o["fields"]])
    db.executemany(
        "INSERT INTO deals(call_id, timing, system, deal_id, deal_name, stage, amount, owner, "
        "close_date, company_id, company_name, company_size, ord) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
        [(cid, *r) for r in deal_rows(objs) if not (has_toc and r[0] == "TimeOfCall")])
    for o in objs:
        if o["party_ord"] is not None and o["type"] == "User" and o["id"]:
            name = next((v for n, v in o["fields"] if n in ("Name", "name", "FullName")), None)
            email = next((v for n, v in o["fields"]
                          if n and n.lower() in ("email", "emailaddress")), None)
            db.execute("INSERT OR REPLACE INTO crm_users(crm_id, system, name, email) "
                       "VALUES (?,?,?,?)", (o["id"], o["system"], name, email))

    db.executemany("INSERT INTO topics(call_id, name, duration) VALUES (?,?,?)",
                   [(cid, text(t.get("name")), number(t.get("duration")))
                    for t in ct.get("topics") or []])
    db.executemany("INSERT INTO call_structure(call_id, ord, name, duration) VALUES (?,?,?,?)",
                   [(cid, i, text(t.get("name")), number(t.get("duration")))
                    for i, t in enumerate(ct.get("structure") or [])])
    trackers = ct.get("trackers") or []
    db.executemany("INSERT INTO trackers(call_id, tracker_id, name, type, count) "
                   "VALUES (?,?,?,?,?)",
                   [(cid, text(t.get("id")), text(t.get("name")), text(t.get("type")),
                     integer(t.get("count"))) for t in trackers])
    occ = [(text(t.get("id")), number(o.get("startTime")), text(o.get("speakerId")))
           for t in trackers for o in t.get("occurrences") or []]
    db.executemany("INSERT INTO tracker_occurrences(call_id, ord, tracker_id, start_s, "
                   "speaker_id) VALUES (?,?,?,?,?)", [(cid, i, *o) for i, o in enumerate(occ)])
    db.executemany("INSERT INTO speakers(call_id, speaker, user_id, talk_time) VALUES (?,?,?,?)",
                   [(cid, text(s.get("id")), text(s.get("userId")), number(s.get("talkTime")))
                    for s in it.get("speakers") or []])
    db.executemany("INSERT INTO interaction_stats(call_id, name, value) VALUES (?,?,?)",
                   [(cid, text(s.get("name")), number(s.get("value")))
                    for s in it.get("interactionStats") or []])
    db.executemany("INSERT INTO key_points(call_id, ord, text) VALUES (?,?,?)",
                   [(cid, i, text(k.get("text"))) for i, k in enumerate(ct.get("keyPoints") or [])])
    items = (ct.get("pointsOfInterest") or {}).get("actionItems") or []
    db.executemany("INSERT INTO action_items(call_id, ord, start_s, end_s, speaker_id, snippet) "
                   "VALUES (?,?,?,?,?,?)",
                   [(cid, i, number(a.get("snippetStartTime")), number(a.get("snippetEndTime")),
                     text(a.get("speakerID", a.get("speakerId"))), text(a.get("snippet")))
                    for i, a in enumerate(items)])
    return cid, state


def escape(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def encode_transcript(monologues):
    """(text, sentences, monologues JSON, [(start, end, speaker, sentence)]) in the mirror's
    line format."""
    lines, groups, parsed = [], [], []
    for m in monologues or []:
        if not isinstance(m, dict):
            continue
        spk = text(m.get("speakerId")) or ""
        if any(ch in spk for ch in "\t\r\n"):
            spk = ""
        sentences = [s for s in m.get("sentences") or [] if isinstance(s, dict)]
        for s in sentences:
            t = s.get("text")
            start, end, t = int(s.get('start') or 0), int(s.get('end') or 0), \
                t if isinstance(t, str) else ""
            lines.append(f"{start}\t{end}\t{spk}\t{escape(t)}\n")
            parsed.append((start, end, spk, t))
        n = len(sentences)
        topic = m.get("topic")
        groups.append([n, topic if isinstance(topic, str) else None])
    return "".join(lines), len(lines), compact(groups), parsed


QUESTION_ENDS = ("?", "\uff1f", "\u061f")


def side(aff):
    """1: the rep's side (Internal), 2: the customer's (External), 0: neither."""
    a = aff.lower() if isinstance(aff, str) and aff.isascii() else None
    return 1 if a == "internal" else 2 if a == "external" else 0


def call_metrics(db, cid, lines):
    """The call_metrics row of one transcript: lines are (start, end, speaker, text)."""
    sides, uids = {}, {}
    for spk, aff, uid in db.execute(
            "SELECT speaker_id, affiliation, user_id FROM parties WHERE call_id = ? AND "
            "speaker_id IS NOT NULL AND speaker_id <> '' ORDER BY ord", (cid,)):
        if spk not in sides:  # the first party with the speaker id decides
            sides[spk], uids[spk] = side(aff), uid
    turns, cur = [], None
    for start, end, spk, txt in lines:  # a turn: one speaker while pauses stay under 1 s
        if cur is None or cur["spk"] != spk or start - cur["end"] >= 1000:
            cur = {"spk": spk, "start": start, "end": end, "talk": 0, "n": 0, "q": 0}
            turns.append(cur)
        cur["end"] = max(cur["end"], end)
        cur["talk"] += end - start
        cur["n"] += 1
        cur["q"] += txt.rstrip(" \t\r\n").endswith(QUESTION_ENDS)
    speakers, last_side, last_end = {}, 0, 0
    for t in turns:
        t_side = sides.get(t["spk"], 0)
        s = speakers.setdefault(t["spk"], {"side": t_side, "talk": 0, "n": 0, "q": 0,
                                           "first": t["start"], "last": 0, "switches": 0,
                                           "reply": 0, "longest": t["end"] - t["start"]})
        s["talk"] += t["talk"]
        s["n"] += t["n"]
        s["q"] += t["q"]
        s["longest"] = max(s["longest"], t["end"] - t["start"])
        s["last"] = max(s["last"], t["end"])
        if t_side and last_side and last_side != t_side:
            s["switches"] += 1
            s["reply"] += t["start"] - last_end
        if t_side:
            last_side, last_end = t_side, t["end"]
    row = {"sentences": 0, "rep_talk": 0, "cust_talk": 0, "other_talk": 0, "rep_q": 0,
           "cust_q": 0, "rep_longest": None, "cust_longest": None, "switches": 0,
           "rep_replies": 0, "rep_reply_ms": 0, "first": None, "last": None}
    rep = None
    for spk, s in speakers.items():
        row["sentences"] += s["n"]
        row["first"] = s["first"] if row["first"] is None else min(row["first"], s["first"])
        row["last"] = s["last"] if row["last"] is None else max(row["last"], s["last"])
        if not s["side"]:
            row["other_talk"] += s["talk"]
            continue
        row["switches"] += s["switches"]
        who = "rep" if s["side"] == 1 else "cust"
        row[who + "_talk"] += s["talk"]
        row[who + "_q"] += s["q"]
        longest = row[who + "_longest"]
        row[who + "_longest"] = s["longest"] if longest is None else max(longest, s["longest"])
        if who == "rep":
            row["rep_replies"] += s["switches"]
            row["rep_reply_ms"] += s["reply"]
            if rep is None or s["talk"] > speakers[rep]["talk"] or \
                    (s["talk"] == speakers[rep]["talk"] and spk < rep):
                rep = spk
    db.execute("INSERT OR REPLACE INTO call_metrics(call_id, sentences, rep_speaker_id, "
               "rep_user_id, rep_talk_ms, customer_talk_ms, other_talk_ms, rep_questions, "
               "customer_questions, rep_longest_ms, customer_longest_ms, switches, rep_replies, "
               "rep_reply_ms, first_ms, last_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (cid, row["sentences"], rep, uids.get(rep) if rep else None, row["rep_talk"],
                row["cust_talk"], row["other_talk"], row["rep_q"], row["cust_q"],
                row["rep_longest"], row["cust_longest"], row["switches"], row["rep_replies"],
                row["rep_reply_ms"], row["first"], row["last"]))


def index_sentences(db, cid, lines):
    """The transcript's sentences in the search index (a replaced one's removed first)."""
    got = db.execute("SELECT num FROM search_calls WHERE call_id = ?", (cid,)).fetchone()
    if got:
        num = got[0]
        old = db.execute("SELECT size, body FROM transcripts WHERE call_id = ?", (cid,)).fetchone()
        if old:
            body = zlib.decompress(old[1]) if len(old[1]) < old[0] else old[1]
            db.executemany(
                "INSERT INTO search_sentences(search_sentences, rowid, text) "
                "VALUES ('delete', ?, ?)",
                [(num << 20 | i, unescape(ln.split("\t", 3)[3]))
                 for i, ln in enumerate(body.decode().split("\n")[:-1])
                 if ln.count("\t") >= 3 and ln.split("\t", 3)[3]])
    else:
        num = db.execute("INSERT INTO search_calls(call_id) VALUES (?)", (cid,)).lastrowid
    db.executemany("INSERT INTO search_sentences(rowid, text) VALUES (?, ?)",
                   [(num << 20 | i, ln[3]) for i, ln in enumerate(lines) if ln[3]])


def unescape(s):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), s)


def fetch_transcripts(gong, db, ids):
    """Ask for these calls' transcripts (one page, one transaction); mark the absent ones."""
    got, cursor = set(), None
    while True:
        body = {"filter": {"callIds": ids}}
        if cursor:
            body["cursor"] = cursor
        page = gong.call("POST", "/v2/calls/transcript", body)
        now = now_iso()
        db.execute("BEGIN")
        for item in (page or {}).get("callTranscripts") or []:
            cid = text(item.get("callId"))
            if not cid:
                continue
            txt, n, mono, parsed = encode_transcript(item.get("transcript"))
            data = txt.encode()
            index_sentences(db, cid, parsed)
            call_metrics(db, cid, parsed)
            db.execute("INSERT OR REPLACE INTO transcripts(call_id, size, body, sentences, "
                       "monologues, fetched) VALUES (?,?,?,?,?,?)",
                       (cid, len(data), sqlar(data), n, mono, now))
            db.execute("UPDATE transcript_status SET state = 'done', next_try = NULL, "
                       "last_try = ? WHERE call_id = ?", (now, cid))
            db.execute(FACTS_REFRESH, (cid,))
            got.add(cid)
        cursor = ((page or {}).get("records") or {}).get("cursor")
        if not cursor:  # Gong has no transcript yet for the rest: ask again in an hour
            later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)) \
                .strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"
            db.executemany("UPDATE transcript_status SET state = 'waiting', attempts = "
                           "attempts + 1, next_try = ?, last_try = ? WHERE call_id = ?",
                           [(later, now, i) for i in ids if i not in got])
        db.execute("COMMIT")
        if not cursor:
            return len(got)


def mirror(gong, db, window_from, window_to, include_private):
    counts = {"users": 0, "calls": 0, "transcripts": 0}
    cursor = None
    while True:  # users
        page = gong.call("GET", "/v2/users" + (f"?cursor={cursor}" if cursor else ""))
        users = (page or {}).get("users") or []
        store_users(db, users)
        counts["users"] += len(users)
        cursor = ((page or {}).get("records") or {}).get("cursor")
        if not cursor:
            break
    flt = {"fromDateTime": window_from, "toDateTime": window_to}
    cursor = None
    while True:  # calls, then the transcripts of each page
        body = {"filter": flt, "contentSelector": SELECTOR}
        if cursor:
            body["cursor"] = cursor
        page = gong.call("POST", "/v2/calls/extensive", body)
        now = now_iso()
        db.execute("BEGIN")
        stored = [store_call(db, c, include_private, now) for c in (page or {}).get("calls") or []]
        db.executemany(FACTS_REFRESH, [(s[0],) for s in stored if s])
        db.execute("COMMIT")
        stored = [s for s in stored if s]
        counts["calls"] += len(stored)
        want = [cid for cid, state in stored if state == "pending"]
        for i in range(0, len(want), 100):
            counts["transcripts"] += fetch_transcripts(gong, db, want[i:i + 100])
        cursor = ((page or {}).get("records") or {}).get("cursor")
        if not cursor:
            return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--base-url", default=os.environ.get("GONG_BASE_URL", "https://api.gong.io"))
    ap.add_argument("--from", dest="from_", required=True, help="YYYY-MM-DD or ISO-8601")
    ap.add_argument("--to", help="default: now")
    ap.add_argument("--include-private", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    key, secret = os.environ.get("GONG_ACCESS_KEY"), os.environ.get("GONG_ACCESS_KEY_SECRET")
    if not key or not secret:
        ap.error("set GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET")

    def when(s):
        v = utc(s + "T00:00:00Z" if re.fullmatch(r"\d{4}-\d\d-\d\d", s) else s)
        if not v:
            ap.error(f"not a date or ISO-8601 date-time: '{s}'")
        return v
    window_to = when(a.to) if a.to else now_iso()
    t0 = time.monotonic()
    db = open_db(a.db)
    gong = Gong(a.base_url, key, secret)
    counts = mirror(gong, db, when(a.from_), window_to, a.include_private)
    db.close()
    if not a.quiet:
        print(f"reference_ingest: {counts['calls']} calls, {counts['transcripts']} transcripts, "
              f"{counts['users']} users, {gong.requests} requests in "
              f"{time.monotonic() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
