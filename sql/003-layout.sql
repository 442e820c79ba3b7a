-- 003-layout: schema version 3, the layout of the per-call tables at scale (issue 12's
-- write amplification, issue 8's analyses). No column or meaning changes.
--
-- 1. tracker occurrences stored in arrival order.
-- tracker_occurrences was clustered by (call_id, ord) (WITHOUT ROWID). Calls arrive in
-- time order and their ids are random, so every call's rows (about 64 of them) went into
-- the middle of the largest child table: at 3,000 calls 17.5 KB of WAL per call for 3 KB
-- of rows, each page rewritten about three times, and more as the mirror grows. As a
-- rowid table its rows are appended in the order they arrive; tracker_occurrences_call
-- gives the same (call_id, ord) lookups, keeps the pair unique, and is one of the indexes
-- a first load builds once its calls are stored (ingest/bulk.h). Same columns, same
-- meaning; a call's rows still come in ord order from WHERE call_id = ?.
CREATE TABLE tracker_occurrences_v3(
  call_id    TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  ord        INTEGER NOT NULL,   -- position among the call's occurrences
  tracker_id TEXT,
  start_s    REAL,
  speaker_id TEXT
);
INSERT INTO tracker_occurrences_v3(call_id, ord, tracker_id, start_s, speaker_id)
  SELECT call_id, ord, tracker_id, start_s, speaker_id FROM tracker_occurrences
   ORDER BY call_id, ord;
DROP TABLE tracker_occurrences;
ALTER TABLE tracker_occurrences_v3 RENAME TO tracker_occurrences;
CREATE UNIQUE INDEX tracker_occurrences_call ON tracker_occurrences(call_id, ord);

-- 2. covering indexes for the per-call Gong tables the analyses and the report group.
-- topics, trackers and interaction_stats are read call by call (a call's rows through their
-- call_id index) by topics, trackers, the report and scope_materialize's pivot of Gong's
-- interaction stats. With an index on call_id alone, each of the ~6 rows a call has costs a
-- second b-tree search into the table for its name and value; at 100,000 calls that is
-- ~590,000 searches per question. The same indexes, keyed (call_id, name, value), answer
-- those reads from the index alone and still serve every lookup by call_id (ON DELETE
-- CASCADE, EXISTS probes). The names stay, so the ingest's deferred-index list (ingest/bulk.h)
-- still finds them. Measured at 100,000 calls (CPU s, median of 3, runs interleaved with
-- main's binary on the index-less file): talk-ratio 0.84 -> 0.69, monologues 0.93 -> 0.71, patience 0.75 -> 0.59,
-- interactivity 0.79 -> 0.64, topics 1.60 -> 1.43, trackers 1.46 -> 1.34; every output is
-- byte-identical with and without it. Building it took 0.3 s CPU at 20,000 calls (so about
-- 1.5 s at 100,000) and grew the file by 0.24%.
DROP INDEX IF EXISTS topics_call;
CREATE INDEX topics_call ON topics(call_id, name, duration);
DROP INDEX IF EXISTS trackers_call;
CREATE INDEX trackers_call ON trackers(call_id, name, count);
DROP INDEX IF EXISTS interaction_stats_call;
CREATE INDEX interaction_stats_call ON interaction_stats(call_id, name, value);
