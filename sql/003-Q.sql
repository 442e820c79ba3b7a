-- 003-Q: schema version 3 (helper Q's part, issue 12 item 5): tracker occurrences stored in
-- arrival order.
--
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
