-- trackers: Gong's tracker counts by segment: for each tracker, the share of calls where it fired and its hits per call
--
-- From the trackers Gong computed (keyword and smart trackers, content.trackers in the
-- extensive data). calls: the group's calls that have tracker data; for each tracker
-- (one row per group and tracker): calls_with_hit (count above 0), share = calls_with_hit
-- / calls, hits (the counts summed) and hits_per_call = hits / calls.
-- @by: outcome
WITH t AS (
  SELECT s.grp, s.grp_key, s.call_id, tr.name AS tracker, tr.count AS n
    FROM scope s JOIN trackers tr ON tr.call_id = s.call_id
), g AS (
  SELECT grp, count(DISTINCT call_id) AS calls FROM t GROUP BY grp
)
SELECT t.grp AS "group", g.calls AS calls, t.tracker AS tracker,
       sum(t.n > 0) AS calls_with_hit, round(sum(t.n > 0) * 1.0 / g.calls, 4) AS share,
       sum(t.n) AS hits, round(total(t.n) / g.calls, 4) AS hits_per_call
  FROM t JOIN g ON g.grp = t.grp
 GROUP BY t.grp, t.tracker ORDER BY min(t.grp_key), t.grp, t.tracker;
