-- 001-init: the callmine mirror, schema version 1.
--
-- Public tables (documented in README.md, relied on by users): calls, users, parties,
-- crm_fields, deals, transcripts. The others are public to read but may grow columns.
-- IDs are TEXT everywhere (Gong ids reach 20 digits). Times are ISO-8601 UTC text,
-- milliseconds kept when Gong sent them: 2024-03-01T17:01:12.345Z.

CREATE TABLE meta(
  key   TEXT PRIMARY KEY,
  value
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('application', 'callmine');

-- Gong users (GET /v2/users). raw keeps the whole UserMetadata object as JSON text.
CREATE TABLE users(
  id            TEXT PRIMARY KEY,
  email         TEXT,
  first_name    TEXT,
  last_name     TEXT,
  title         TEXT,
  manager_id    TEXT,
  active        INTEGER,
  created       TEXT,
  phone_number  TEXT,
  extension     TEXT,
  trusted_email TEXT,
  email_aliases TEXT,   -- JSON array
  raw           TEXT    -- the user object as Gong sent it (JSON)
);
CREATE INDEX users_email ON users(email COLLATE NOCASE);

-- One row per call: metaData of /v2/calls/extensive plus the scalar parts of content
-- and interaction.
CREATE TABLE calls(
  id                TEXT PRIMARY KEY,
  url               TEXT,
  title             TEXT,
  scheduled         TEXT,
  started           TEXT,
  duration          INTEGER,  -- seconds
  direction         TEXT,
  scope             TEXT,
  system            TEXT,
  media             TEXT,
  language          TEXT,
  workspace_id      TEXT,
  primary_user_id   TEXT,
  purpose           TEXT,
  is_private        INTEGER,
  sdr_disposition   TEXT,
  client_unique_id  TEXT,
  custom_data       TEXT,
  meeting_url       TEXT,
  calendar_event_id TEXT,
  brief             TEXT,
  outcome_id        TEXT,     -- content.callOutcome
  outcome_category  TEXT,
  outcome_name      TEXT,
  questions_company     INTEGER,  -- interaction.questions.companyCount
  questions_non_company INTEGER,  -- interaction.questions.nonCompanyCount
  first_mirrored    TEXT,     -- when callmine first stored the call
  last_changed      TEXT      -- when callmine last saw it change
);
-- With the id, the index alone answers the commands' "calls in time order" scans (grep's
-- candidates: no table lookup per call).
CREATE INDEX calls_started ON calls(started, id);
CREATE INDEX calls_primary_user ON calls(primary_user_id);

-- The extensive JSON of each call exactly as Gong sent it, zlib-compressed in the sqlar
-- convention: sqlar_uncompress(body, size) returns the JSON text. digest detects change.
CREATE TABLE calls_raw(
  call_id TEXT PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
  size    INTEGER NOT NULL,
  body    BLOB NOT NULL,
  digest  TEXT NOT NULL
);

-- parties[]: who was invited or attended. speaker_id joins the transcript lines.
CREATE TABLE parties(
  call_id      TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  ord          INTEGER NOT NULL,   -- position in Gong's list
  party_id     TEXT,
  speaker_id   TEXT,
  user_id      TEXT,
  name         TEXT,
  email        TEXT,
  title        TEXT,
  affiliation  TEXT,               -- Internal | External | Unknown
  phone_number TEXT,
  methods      TEXT,               -- JSON array: Invitee, Attendee
  PRIMARY KEY (call_id, ord)
) WITHOUT ROWID;
CREATE INDEX parties_speaker ON parties(call_id, speaker_id);
CREATE INDEX parties_user ON parties(user_id);

-- Every CRM context field Gong returned, lossless: call-level objects (party_ord NULL)
-- and party-level ones. value keeps the JSON type as SQLite's (arrays/objects as JSON text).
CREATE TABLE crm_fields(
  call_id     TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  party_ord   INTEGER,             -- NULL for call-level context, else parties.ord
  system      TEXT,                -- HubSpot | Salesforce | MicrosoftDynamic | Generic
  object_type TEXT,                -- Deal | Company | Opportunity | Account | Contact | ...
  object_id   TEXT,
  timing      TEXT,                -- Now | TimeOfCall
  name        TEXT,
  value
);
CREATE INDEX crm_fields_call ON crm_fields(call_id, timing);

-- One row per call, deal and timing, read from crm_fields with each CRM's property names.
CREATE TABLE deals(
  call_id      TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  timing       TEXT NOT NULL,      -- Now | TimeOfCall (Gong's words)
  system       TEXT,
  deal_id      TEXT,
  deal_name    TEXT,
  stage        TEXT,
  amount       REAL,
  owner        TEXT,
  close_date   TEXT,
  company_id   TEXT,
  company_name TEXT,
  company_size INTEGER
);
CREATE UNIQUE INDEX deals_key ON deals(call_id, timing, ifnull(deal_id, ''));
CREATE INDEX deals_stage ON deals(stage COLLATE NOCASE);

-- content.topics[], content.structure[]: seconds.
CREATE TABLE topics(
  call_id  TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  name     TEXT,
  duration REAL
);
CREATE INDEX topics_call ON topics(call_id);
CREATE TABLE call_structure(
  call_id  TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  ord      INTEGER NOT NULL,
  name     TEXT,
  duration REAL
);
CREATE INDEX call_structure_call ON call_structure(call_id);

-- content.trackers[] and their occurrences (start in seconds from call start).
CREATE TABLE trackers(
  call_id    TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  tracker_id TEXT,
  name       TEXT,
  type       TEXT,                 -- KEYWORD | SMART
  count      INTEGER
);
CREATE INDEX trackers_call ON trackers(call_id);
-- Clustered by call (no rowid, no separate index): the largest child table.
CREATE TABLE tracker_occurrences(
  call_id    TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  ord        INTEGER NOT NULL,   -- position among the call's occurrences
  tracker_id TEXT,
  start_s    REAL,
  speaker_id TEXT,
  PRIMARY KEY (call_id, ord)
) WITHOUT ROWID;

-- interaction.speakers[] (talk time in seconds) and interaction.interactionStats[].
CREATE TABLE speakers(
  call_id   TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  speaker   TEXT,                  -- speakers[].id as Gong sent it
  user_id   TEXT,
  talk_time REAL
);
CREATE INDEX speakers_call ON speakers(call_id);
CREATE TABLE interaction_stats(
  call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  name    TEXT,
  value   REAL
);
CREATE INDEX interaction_stats_call ON interaction_stats(call_id);

-- content.keyPoints[] and content.pointsOfInterest.actionItems[].
CREATE TABLE key_points(
  call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  ord     INTEGER NOT NULL,
  text    TEXT
);
CREATE INDEX key_points_call ON key_points(call_id);
CREATE TABLE action_items(
  call_id    TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  ord        INTEGER NOT NULL,
  start_s    REAL,
  end_s      REAL,
  speaker_id TEXT,
  snippet    TEXT
);
CREATE INDEX action_items_call ON action_items(call_id);

-- Transcripts, zlib-compressed in the sqlar convention: sqlar_uncompress(body, size) is
-- UTF-8 text, one sentence per line:  START_MS <TAB> END_MS <TAB> SPEAKER_ID <TAB> TEXT
-- In TEXT a backslash is written \\, a newline \n and a carriage return \r; tabs stay.
-- An unknown speaker is an empty field. monologues is a JSON array of
-- [sentence_count, topic] pairs, in order, so Gong's grouping and topics are kept.
-- No foreign key: Gong can return a transcript before the call's extensive data.
CREATE TABLE transcripts(
  call_id    TEXT PRIMARY KEY,
  size       INTEGER NOT NULL,
  body       BLOB NOT NULL,
  sentences  INTEGER NOT NULL,
  monologues TEXT,
  fetched    TEXT
); -- a rowid table: rows of several KB make a WITHOUT ROWID b-tree deep and slow to scan

-- A derived index, not data: one n-gram filter per transcript (schema/grams.h), written by
-- the ingest together with the transcript. bits is a bit array of 7680 bits (960 bytes, so
-- that a row stays on its page), with one bit set per hashed trigram and 4-gram of the
-- case-folded sentence texts; grep reads it to skip, without inflating them, the
-- transcripts that cannot contain a pattern's required literals. Safe to empty
-- (DELETE FROM transcript_grams): grep scans every transcript that has no row (or a row of
-- another size), and the ingest writes the row again whenever it sees the transcript. A
-- change of size or hash must empty the table in its migration.
CREATE TABLE transcript_grams(
  call_id TEXT PRIMARY KEY,
  bits    BLOB NOT NULL
) WITHOUT ROWID;

-- Which calls still need a transcript. state: pending (ask soon), waiting (Gong had none
-- yet; ask again after next_try), done, private (skipped without --include-private).
CREATE TABLE transcript_status(
  call_id  TEXT PRIMARY KEY,
  state    TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try TEXT,
  last_try TEXT
) WITHOUT ROWID;
CREATE INDEX transcript_status_state ON transcript_status(state, next_try);

-- Sync bookkeeping: key/value checkpoint written in the same transaction as each page.
CREATE TABLE sync_state(
  key   TEXT PRIMARY KEY,
  value
) WITHOUT ROWID;

-- Requests spent per UTC day, so --daily-budget holds across runs.
CREATE TABLE request_budget(
  day      TEXT PRIMARY KEY,          -- YYYY-MM-DD (UTC)
  requests INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per ingest run: what it did and how it ended.
CREATE TABLE runs(
  id             INTEGER PRIMARY KEY,
  started        TEXT NOT NULL,
  finished       TEXT,
  window_from    TEXT,
  window_to      TEXT,
  outcome        TEXT,               -- running | done | stopped | failed
  exit_code      INTEGER,
  calls_new      INTEGER,
  calls_updated  INTEGER,
  transcripts    INTEGER,
  users          INTEGER,
  requests       INTEGER,
  http_429       INTEGER,
  retries        INTEGER,
  message        TEXT
);
