-- 003-P: covering indexes for the per-call Gong tables the analyses and the report group.
--
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
