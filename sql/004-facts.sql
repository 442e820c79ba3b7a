-- 004-facts: schema version 4, call_facts stored (issue 8: listing and scoping at scale).
--
-- call_facts was a view that computed, for every row read, the call's rep (call_metrics,
-- users, parties), its deal in both snapshots (deals twice), the owner's name (crm_users,
-- users) and the measures: reading all 100,000 rows of a large mirror took 0.9 s, so
-- `calls` printing tens of thousands of rows, the analyses' scope and the report paid it on
-- every question. Now:
--   call_facts_live    the computing definition, the only one (the body call_facts had in
--                      002-semantic.sql; the ingest, the migration, export and
--                      tools/reference_ingest.py all fill the stored table from it, and
--                      callmine-query reads it only while a first load is building)
--   call_facts_stored  its rows, one per call, clustered by call_id (WITHOUT ROWID). The
--                      ingest keeps it equal to call_facts_live in every transaction it
--                      commits: the facts of the calls a page changes are refreshed in the
--                      page's transaction; a first load builds the table once at its end
--                      (meta 'facts' = 'rebuild' meanwhile, so a killed load is repaired
--                      by the next run or --upgrade).
--   call_facts         the view to start ad-hoc SQL from, as before: the same columns with
--                      the same meaning, now read from call_facts_stored (stock sqlite3
--                      reads it without the extension).
DROP VIEW IF EXISTS call_facts;
CREATE VIEW call_facts_live AS
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

CREATE TABLE call_facts_stored(
  call_id TEXT PRIMARY KEY,
  started TEXT,
  title TEXT,
  duration INTEGER,
  url TEXT,
  scope TEXT,
  is_private INTEGER,
  rep_id TEXT,
  rep_name TEXT,
  rep_email TEXT,
  rep_source TEXT,
  deal_id TEXT,
  deal_name TEXT,
  stage TEXT,
  amount REAL,
  close_date TEXT,
  owner TEXT,
  owner_name TEXT,
  company_name TEXT,
  company_size INTEGER,
  stage_at_call TEXT,
  amount_at_call REAL,
  outcome TEXT,
  has_transcript INTEGER,
  talk_ratio REAL,
  longest_monologue_s REAL,
  questions_rep INTEGER,
  questions_customer INTEGER,
  patience_s REAL,
  interactivity REAL
) WITHOUT ROWID;
INSERT INTO call_facts_stored SELECT * FROM call_facts_live ORDER BY call_id;

CREATE VIEW call_facts AS
SELECT call_id, started, title, duration, url, scope, is_private, rep_id, rep_name, rep_email, rep_source, deal_id, deal_name, stage, amount, close_date, owner, owner_name, company_name, company_size, stage_at_call, amount_at_call, outcome, has_transcript, talk_ratio, longest_monologue_s, questions_rep, questions_customer, patience_s, interactivity
  FROM call_facts_stored;

-- The search index's leaf pages: 1,000 bytes instead of FTS5's 4,050 (issue 10). A phrase of
-- common words ("reached out to us") seeks the doclists of "to" and "us" once for every
-- sentence that holds "reached", and each seek scans its page from the page's first entry:
-- smaller pages scan about 4x fewer entries. Over the sentences of 3,000 calls the phrase
-- read 1.8x faster forwards (1.2-1.9x backwards), single words as fast as before, for an index 2%
-- larger on disk (512-byte pages were no faster and 15% larger: SQLite packs seven of them
-- into a 4 KB page with room to spare, four of 1,000 fill it). Segments written from now on
-- use it; an older file's existing segments keep their pages until merged.
INSERT INTO search_sentences(search_sentences, rank) VALUES ('pgsz', 1000);
