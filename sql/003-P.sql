-- 003-P: covering indexes for the per-call Gong tables the analyses and the report group.
--
-- topics, trackers and interaction_stats are read call by call (a call's rows through their
-- call_id index) by topics, trackers, the report and scope_materialize's pivot of Gong's
-- interaction stats. With an index on call_id alone, each of the ~6 rows a call has costs a
-- second b-tree search into the table for its name and value; at 100,000 calls that is
-- ~590,000 searches per question. The same indexes, keyed (call_id, name, value), answer
-- those reads from the index alone and still serve every lookup by call_id (ON DELETE
-- CASCADE, EXISTS probes). The names stay, so the ingest's deferred-index list (ingest/bulk.h)
-- still finds them.
DROP INDEX IF EXISTS topics_call;
CREATE INDEX topics_call ON topics(call_id, name, duration);
DROP INDEX IF EXISTS trackers_call;
CREATE INDEX trackers_call ON trackers(call_id, name, count);
DROP INDEX IF EXISTS interaction_stats_call;
CREATE INDEX interaction_stats_call ON interaction_stats(call_id, name, value);
