-- 002-semantic: schema version 2, the semantic layer.
--
-- What a sales user means by a call's rep, deal, owner and outcome, defined once here and
-- read by every command, the report, the MCP server and ad-hoc SQL (start from call_facts).
-- Applied in place to version 1 files; the per-transcript parts that need C (call_metrics,
-- the search index) are filled afterwards by `callmine-ingest --upgrade` (or any ingest),
-- which deletes meta 'backfill' when every stored transcript has them. callmine-query
-- refuses a file whose backfill is still pending and says what to run.

-- 1. Fixed-width times: every stored instant is YYYY-MM-DDTHH:MM:SS.sssZ (24 characters),
-- so ordering or comparing the text orders the instants. Version 1 wrote the milliseconds
-- only when they were not zero, and kept finer fractions.
UPDATE calls SET
  scheduled = CASE WHEN scheduled GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                   THEN substr(scheduled, 1, 19) || '.' ||
                        substr(substr(rtrim(substr(scheduled, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                   ELSE scheduled END,
  started = CASE WHEN started GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(started, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(started, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE started END,
  first_mirrored = CASE WHEN first_mirrored GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(first_mirrored, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(first_mirrored, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE first_mirrored END,
  last_changed = CASE WHEN last_changed GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(last_changed, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(last_changed, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE last_changed END;
UPDATE users SET
  created = CASE WHEN created GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(created, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(created, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE created END;
UPDATE deals SET
  close_date = CASE WHEN close_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(close_date, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(close_date, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE close_date END;
UPDATE transcripts SET
  fetched = CASE WHEN fetched GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(fetched, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(fetched, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE fetched END;
UPDATE transcript_status SET
  next_try = CASE WHEN next_try GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(next_try, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(next_try, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE next_try END,
  last_try = CASE WHEN last_try GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(last_try, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(last_try, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE last_try END;
UPDATE runs SET
  started = CASE WHEN started GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(started, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(started, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE started END,
  finished = CASE WHEN finished GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(finished, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(finished, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE finished END,
  window_from = CASE WHEN window_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(window_from, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(window_from, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE window_from END,
  window_to = CASE WHEN window_to GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                 THEN substr(window_to, 1, 19) || '.' ||
                      substr(substr(rtrim(substr(window_to, 20), 'Z'), 2) || '000', 1, 3) || 'Z'
                 ELSE window_to END;

-- 2. Deals in Gong's order: ord is the deal's position among the call's objects of one
-- timing (0 = the first Gong lists, "the call's deal"). Version 1 inserted them in that
-- order, so rowid order within a call and timing is Gong's.
ALTER TABLE deals ADD COLUMN ord INTEGER NOT NULL DEFAULT 0;
UPDATE deals SET ord = (SELECT count(*) FROM deals d2
                         WHERE d2.call_id = deals.call_id AND d2.timing = deals.timing
                           AND d2.rowid < deals.rowid);
CREATE INDEX deals_call ON deals(call_id, timing, ord);
-- The stage index drove a correlated EXISTS per call (quadratic at 100,000 calls); stage
-- filters scan the calls once instead.
DROP INDEX deals_stage;

-- 3. CRM owners resolved to people: one row per CRM user id that a party-level CRM object
-- of type User names (Salesforce sends these in parties[].context; deals name them as
-- OwnerId), with that object's Name and Email fields. Written by the ingest with the call.
CREATE TABLE crm_users(
  crm_id TEXT PRIMARY KEY,         -- the CRM's user id (Salesforce 005...)
  system TEXT,
  name   TEXT,
  email  TEXT
) WITHOUT ROWID;
INSERT OR REPLACE INTO crm_users(crm_id, system, name, email)
  SELECT object_id, max(system),
         max(CASE WHEN name IN ('Name', 'name', 'FullName') THEN value END),
         max(CASE WHEN lower(name) IN ('email', 'emailaddress') THEN value END)
    FROM crm_fields
   WHERE party_ord IS NOT NULL AND object_type = 'User' AND object_id IS NOT NULL
   GROUP BY object_id;

-- 4. Conversation measures, computed once from each transcript when it is stored (and by
-- the backfill for version 1 files), so analyses never inflate transcripts again. Sides
-- come from the parties' affiliation (Internal = rep, External = customer; other speakers
-- count for neither); a turn is one speaker's consecutive sentences joined while the gap is
-- under 1 s; talk is the sum of sentence durations; a question is a sentence ending in '?'.
-- Recomputed when the transcript or the call's parties change.
CREATE TABLE call_metrics(
  call_id             TEXT PRIMARY KEY,
  sentences           INTEGER NOT NULL,  -- sentences in the transcript
  rep_speaker_id      TEXT,     -- the internal speaker with the most talk (the call's rep)
  rep_user_id         TEXT,     -- that speaker's Gong user id, when the party has one
  rep_talk_ms         INTEGER NOT NULL,  -- talk of internal speakers
  customer_talk_ms    INTEGER NOT NULL,  -- talk of external speakers
  other_talk_ms       INTEGER NOT NULL,  -- talk of speakers of unknown side
  rep_questions       INTEGER NOT NULL,
  customer_questions  INTEGER NOT NULL,
  rep_longest_ms      INTEGER,  -- the longest internal turn (monologue); NULL: none
  customer_longest_ms INTEGER,  -- the longest external turn (customer story)
  switches            INTEGER NOT NULL,  -- turns on the other side than the last known one
  rep_replies         INTEGER NOT NULL,  -- internal turns right after an external one
  rep_reply_ms        INTEGER NOT NULL,  -- the pauses before those turns, summed
  first_ms            INTEGER,  -- the first sentence's start
  last_ms             INTEGER   -- the last sentence's end
) WITHOUT ROWID;
CREATE INDEX call_metrics_rep ON call_metrics(rep_user_id);

-- 5. The search index (callmine-query search): one FTS5 row per transcript sentence, rowid
-- = num << 20 | the sentence's index, contentless (the text lives in transcripts), no
-- column sizes. num comes from search_calls, an explicit INTEGER PRIMARY KEY so VACUUM never
-- renumbers it. A derived index, not data: written by the ingest in the transcript's
-- transaction, rebuilt by the backfill.
CREATE TABLE search_calls(
  num     INTEGER PRIMARY KEY,
  call_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE search_sentences USING fts5(
  text, content = '', columnsize = 0, tokenize = 'unicode61 remove_diacritics 2'
);
-- FTS5 keeps a transaction's new entries in memory up to 'hashsize' bytes (1 MB by
-- default) and writes a segment each time that fills: a page of 100 transcripts filled it
-- two or three times. 16 MB writes one segment per page and cut the CPU of indexing by a
-- third (1.43 -> 0.99 s for 1,806 transcripts), for at most 16 MB more memory.
INSERT INTO search_sentences(search_sentences, rank) VALUES ('hashsize', 16777216);

-- 6. call_facts: one row per call, in a sales team's terms. Start ad-hoc SQL here.
--   rep_*       the call's rep: the internal speaker with the most talk in the transcript,
--               else the primary user (rep_source 'speech' or 'primary'); named from
--               users, else from the call's parties
--   deal_*, stage, amount, close_date, owner, company_*
--               the call's deal (the first Gong lists) as it stands now (timing 'Now')
--   owner_name  the owner resolved to a person: a CRM user (crm_users) with that id, else
--               the Gong user whose e-mail that CRM user has (or the owner value itself is)
--   stage_at_call, amount_at_call
--               the same deal in the snapshot taken at the call (TimeOfCall); a call with
--               no such snapshot reads its Now snapshot
--   outcome     won | lost | open from the Now stage (closedwon/closedlost spelled any
--               way); NULL without a deal. callmine-query applies ~/.config/callmine/stages.conf
--   talk_ratio .. interactivity   from call_metrics (NULL without a transcript)
CREATE VIEW call_facts AS
SELECT c.id AS call_id, c.started, c.title, c.duration, c.url, c.scope, c.is_private,
       CASE WHEN m.rep_speaker_id IS NOT NULL THEN m.rep_user_id ELSE c.primary_user_id END
         AS rep_id,
       CASE WHEN m.rep_speaker_id IS NOT NULL
            THEN coalesce((SELECT nullif(trim(ifnull(u.first_name, '') || ' ' ||
                                              ifnull(u.last_name, '')), '')
                             FROM users u WHERE u.id = m.rep_user_id),
                          (SELECT p.name FROM parties p WHERE p.call_id = c.id
                              AND p.speaker_id = m.rep_speaker_id ORDER BY p.ord LIMIT 1))
            ELSE coalesce((SELECT nullif(trim(ifnull(u.first_name, '') || ' ' ||
                                              ifnull(u.last_name, '')), '')
                             FROM users u WHERE u.id = c.primary_user_id),
                          (SELECT p.name FROM parties p WHERE p.call_id = c.id
                              AND p.user_id = c.primary_user_id ORDER BY p.ord LIMIT 1))
       END AS rep_name,
       CASE WHEN m.rep_speaker_id IS NOT NULL
            THEN coalesce((SELECT u.email FROM users u WHERE u.id = m.rep_user_id),
                          (SELECT p.email FROM parties p WHERE p.call_id = c.id
                              AND p.speaker_id = m.rep_speaker_id ORDER BY p.ord LIMIT 1))
            ELSE coalesce((SELECT u.email FROM users u WHERE u.id = c.primary_user_id),
                          (SELECT p.email FROM parties p WHERE p.call_id = c.id
                              AND p.user_id = c.primary_user_id ORDER BY p.ord LIMIT 1))
       END AS rep_email,
       CASE WHEN m.rep_speaker_id IS NOT NULL THEN 'speech'
            WHEN c.primary_user_id IS NOT NULL THEN 'primary' END AS rep_source,
       d.deal_id, d.deal_name, d.stage, d.amount, d.close_date, d.owner,
       coalesce(cu.name,
                (SELECT nullif(trim(ifnull(u.first_name, '') || ' ' || ifnull(u.last_name, '')), '')
                   FROM users u WHERE u.email = coalesce(cu.email, d.owner) COLLATE NOCASE
                  ORDER BY u.id LIMIT 1))
         AS owner_name,
       d.company_name, d.company_size,
       coalesce(t.stage, CASE WHEN t.rowid IS NULL AND NOT EXISTS
                    (SELECT 1 FROM deals x WHERE x.call_id = c.id AND x.timing = 'TimeOfCall')
                    THEN d.stage END) AS stage_at_call,
       CASE WHEN t.rowid IS NOT NULL THEN t.amount
            WHEN NOT EXISTS (SELECT 1 FROM deals x WHERE x.call_id = c.id
                                AND x.timing = 'TimeOfCall') THEN d.amount END AS amount_at_call,
       CASE WHEN d.rowid IS NULL THEN NULL
            ELSE CASE replace(replace(replace(lower(trim(ifnull(d.stage, ''))), ' ', ''), '_', ''),
                              '-', '')
                 WHEN 'closedwon' THEN 'won' WHEN 'closedlost' THEN 'lost' ELSE 'open' END
       END AS outcome,
       ifnull(m.sentences > 0, 0) AS has_transcript,
       CASE WHEN m.rep_talk_ms + m.customer_talk_ms > 0
            THEN round(m.rep_talk_ms * 1.0 / (m.rep_talk_ms + m.customer_talk_ms), 4) END
         AS talk_ratio,
       round(m.rep_longest_ms / 1000.0, 1) AS longest_monologue_s,
       m.rep_questions AS questions_rep, m.customer_questions AS questions_customer,
       CASE WHEN m.rep_replies > 0 THEN round(m.rep_reply_ms / 1000.0 / m.rep_replies, 2) END
         AS patience_s,
       CASE WHEN c.duration > 0 THEN round(m.switches / (c.duration / 60.0), 2)
            WHEN m.last_ms > m.first_ms
            THEN round(m.switches / ((m.last_ms - m.first_ms) / 60000.0), 2) END
         AS interactivity
  FROM calls c
  LEFT JOIN call_metrics m ON m.call_id = c.id
  LEFT JOIN deals d ON d.call_id = c.id AND d.timing = 'Now' AND d.ord = 0
  LEFT JOIN deals t ON t.call_id = c.id AND t.timing = 'TimeOfCall' AND t.deal_id IS d.deal_id
  LEFT JOIN crm_users cu ON cu.crm_id = d.owner;

-- The per-transcript parts above are filled by the ingest's backfill (C): call_metrics for
-- every stored transcript, the search index, then this row is deleted. A file with no
-- transcript (a new one) has nothing to fill.
INSERT OR REPLACE INTO meta(key, value)
  SELECT 'backfill', 'call_metrics search' WHERE EXISTS (SELECT 1 FROM transcripts);
