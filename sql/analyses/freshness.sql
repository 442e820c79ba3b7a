-- freshness: how fresh the mirror is: the newest call, the last completed sync and the window it reached, with their ages in days
--
-- newest_call is the latest start among the group's calls and newest_call_age_days its age
-- now. From the runs table (the mirror as a whole): last_sync is when the latest run that
-- completed (outcome done) finished, synced_to the end of the window it mirrored,
-- last_sync_age_days its age, last_run_outcome the outcome of the latest run of any kind,
-- and waiting the calls still waiting for a transcript.
-- @by: all
WITH r AS (
  SELECT (SELECT finished FROM runs WHERE outcome = 'done' ORDER BY id DESC LIMIT 1) AS fin,
         (SELECT window_to FROM runs WHERE outcome = 'done' ORDER BY id DESC LIMIT 1) AS upto,
         (SELECT outcome FROM runs ORDER BY id DESC LIMIT 1) AS last_outcome,
         (SELECT count(*) FROM transcript_status
           WHERE state IN ('pending', 'waiting')) AS waiting
)
SELECT s.grp AS "group", count(*) AS calls, max(s.started) AS newest_call,
       round(julianday('now') - julianday(max(s.started)), 1) AS newest_call_age_days,
       r.fin AS last_sync, r.upto AS synced_to,
       round(julianday('now') - julianday(r.fin), 2) AS last_sync_age_days,
       r.last_outcome AS last_run_outcome, r.waiting AS waiting
  FROM scope s, r GROUP BY s.grp ORDER BY min(s.grp_key), s.grp;
