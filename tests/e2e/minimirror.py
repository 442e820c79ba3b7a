"""minimirror: build small callmine mirror files directly, for tests with known answers.

A Mirror applies sql/001-init.sql to a new file, sets PRAGMA user_version = 1, and offers
one method per table the query tool reads (users, calls, parties, deals, transcripts, ...).
close() then brings the file to the current schema as a user would, with
`callmine-ingest --db FILE --upgrade` ($CALLMINE_BIN, else bin/): the migrations, and the
rows derived from the transcripts (call_metrics) computed by the ingest's own code. Pass
upgrade=False to keep a version 1 file.
Transcripts are stored as callmine-ingest stores them: one line per sentence,
START_MS<TAB>END_MS<TAB>SPEAKER_ID<TAB>TEXT with \\ \n \r escaped in TEXT, zlib-compressed in
the sqlar convention (stored as is when compression would not shrink it).

    m = Mirror(path)
    m.user("u1", "Dana", "Smith", "dana@acme.com")
    m.call("c1", "Acme discovery", "2024-03-01T17:00:00Z", primary_user_id="u1")
    m.party("c1", "s1", "Dana Smith", "Internal", user_id="u1")
    m.deal("c1", "TimeOfCall", "d1", stage="qualified", amount=50000)
    m.transcript("c1", [(0, 1500, "s1", "Hello there")])
    m.close()

Run as a script it builds a synthetic mirror for benchmarks:
    python3 tests/e2e/minimirror.py bench.db --calls 2000 --kb 15 [--seed 1]
"""
import argparse
import datetime
import pathlib
import os
import random
import sqlite3
import subprocess
import sys
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "sql" / "001-init.sql"
INGEST = pathlib.Path(os.environ.get("CALLMINE_BIN", ROOT / "bin")) / "callmine-ingest"


def upgrade(path):
    """Migrate a version 1 file in place and fill its derived rows (callmine-ingest --upgrade;
    it sends no request)."""
    p = subprocess.run([str(INGEST), "--db", str(path), "--upgrade", "--quiet"],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"callmine-ingest --upgrade {path}: {p.stderr.strip()}")
    # back to a rollback journal, as the file was built: no -wal/-shm beside it
    sqlite3.connect(str(path)).execute("PRAGMA journal_mode = DELETE").connection.close()


def encode_text(text):
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def transcript_text(sentences):
    """The stored text of [(start_ms, end_ms, speaker_id, text), ...]."""
    return "".join(f"{int(a)}\t{int(b)}\t{spk or ''}\t{encode_text(t)}\n"
                   for a, b, spk, t in sentences)


def sqlar_blob(raw, level=6):
    """(body, size) in the sqlar convention for the bytes raw."""
    z = zlib.compress(raw, level)
    return (z, len(raw)) if len(z) < len(raw) else (raw, len(raw))


class Mirror:
    def __init__(self, path, user_version=1, schema=SCHEMA, upgrade=True):
        self.path = str(path)
        self.upgrade = upgrade and int(user_version) == 1
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.executescript(pathlib.Path(schema).read_text())
        self.db.execute(f"PRAGMA user_version = {int(user_version)}")
        self.db.execute("BEGIN")
        self._ord = {}

    def _insert(self, table, row):
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.db.execute(f"INSERT INTO {table}({cols}) VALUES ({marks})", list(row.values()))

    def user(self, id, first_name=None, last_name=None, email=None, **kw):
        self._insert("users", dict(id=id, first_name=first_name, last_name=last_name,
                                   email=email, **kw))

    def call(self, id, title, started, duration=1800, url=None, primary_user_id=None,
             is_private=0, **kw):
        if url is None:
            url = f"https://app.gong.io/call?id={id}"
        self._insert("calls", dict(id=id, title=title, started=started, scheduled=started,
                                   duration=duration, url=url, primary_user_id=primary_user_id,
                                   is_private=is_private, **kw))

    def party(self, call_id, speaker_id, name, affiliation, user_id=None, email=None, **kw):
        ord_ = self._ord.get(call_id, 0)
        self._ord[call_id] = ord_ + 1
        self._insert("parties", dict(call_id=call_id, ord=ord_, party_id=f"p{ord_}",
                                     speaker_id=speaker_id, user_id=user_id, name=name,
                                     email=email, affiliation=affiliation, **kw))

    def deal(self, call_id, timing, deal_id, deal_name=None, stage=None, amount=None,
             owner=None, company_name=None, company_size=None, system="HubSpot", **kw):
        self._insert("deals", dict(call_id=call_id, timing=timing, system=system,
                                   deal_id=deal_id, deal_name=deal_name, stage=stage,
                                   amount=amount, owner=owner, company_name=company_name,
                                   company_size=company_size, **kw))

    def crm_field(self, call_id, object_type, object_id, timing, name, value,
                  system="HubSpot", party_ord=None):
        self._insert("crm_fields", dict(call_id=call_id, party_ord=party_ord, system=system,
                                        object_type=object_type, object_id=object_id,
                                        timing=timing, name=name, value=value))

    def transcript(self, call_id, sentences, raw=None, monologues=None):
        """sentences: [(start_ms, end_ms, speaker_id, text)]; raw: exact stored bytes."""
        if raw is None:
            raw = transcript_text(sentences).encode("utf-8")
        body, size = sqlar_blob(raw)
        self._insert("transcripts", dict(call_id=call_id, size=size, body=body,
                                         sentences=len(sentences), monologues=monologues,
                                         fetched="2024-06-01T00:00:00Z"))
        self._insert("transcript_status", dict(call_id=call_id, state="done", attempts=1))

    def calls_raw(self, call_id, text):
        body, size = sqlar_blob(text.encode("utf-8"))
        self._insert("calls_raw", dict(call_id=call_id, size=size, body=body, digest="x"))

    def close(self):
        self.db.execute("COMMIT")
        self.db.close()
        if self.upgrade:
            upgrade(self.path)


WORDS = ("the a we you they our your it is are was be have can will would could should "
         "team plan time call week month quarter year number data report process customer "
         "product platform feature users seats license contract renewal budget timeline "
         "decision approval security review integration onboarding support rollout pilot "
         "meeting demo question answer next step follow up send share look think know need "
         "want like really just also maybe probably definitely great good fine sure okay "
         "right yes no so well actually basically currently today tomorrow later soon "
         "manager director engineer legal finance procurement sales marketing operations "
         "Salesforce HubSpot Slack email dashboard workflow automation analytics").split()
PLANTED = ["pricing", "discount", "competitor", "Globex", "budget approval"]


def synth(path, calls=2000, kb=15, seed=1, reps=12, upgrade=True):
    """A synthetic mirror: calls with ~kb KB of transcript each, a few reps and deals
    (upgrade=False: left at version 1)."""
    rnd = random.Random(seed)
    pool = []
    for _ in range(20000):
        words = [rnd.choice(WORDS) for _ in range(rnd.randint(6, 22))]
        if rnd.random() < 0.02:
            words.insert(rnd.randrange(len(words)), rnd.choice(PLANTED))
        s = " ".join(words)
        pool.append(s[0].upper() + s[1:] + rnd.choice(".?."))
    m = Mirror(path, upgrade=upgrade)
    for r in range(reps):
        m.user(f"u{r}", f"Rep{r}", "Seller", f"rep{r}@example.com")
    stages = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "closedwon",
              "closedlost"]
    for i in range(calls):
        cid = str(7000000000000000000 + i)
        rep = i % reps
        # ids grow with time, as Gong's do; about one call every 26 minutes from 2024-01-01
        t = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) + \
            datetime.timedelta(minutes=26 * i + rnd.randint(0, 20))
        started = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        m.call(cid, f"Call {i} with Customer{i % 300}", started, primary_user_id=f"u{rep}")
        m.party(cid, f"{cid}1", f"Rep{rep} Seller", "Internal", user_id=f"u{rep}")
        m.party(cid, f"{cid}2", f"Buyer {i % 300}", "External")
        m.deal(cid, "TimeOfCall", f"d{i % 500}", deal_name=f"Deal {i % 500}",
               stage=stages[i % 5], amount=float(1000 * (i % 97)),
               company_name=f"Customer{i % 300}", company_size=10 * (i % 150))
        sents, t, size = [], 0, 0
        while size < kb * 1024:
            text = rnd.choice(pool)
            spk = f"{cid}{1 + (len(sents) // 3) % 2}"
            sents.append((t, t + 2500, spk, text))
            t += 3000
            size += len(text) + 40
        m.transcript(cid, sents)
    m.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description="build a synthetic callmine mirror")
    ap.add_argument("out")
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--kb", type=int, default=15, help="transcript KB per call")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    synth(a.out, a.calls, a.kb, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
