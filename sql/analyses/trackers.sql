-- trackers: Gong's tracker counts by segment: for each tracker, the share of calls where it fired and its hits per call
--
-- From the trackers Gong computed (keyword and smart trackers, content.trackers in the
-- extensive data). calls: the group's calls that have tracker data; for each tracker
-- (one row per group and tracker): calls_with_hit (count above 0), share = calls_with_hit
-- / calls, hits (the counts summed) and hits_per_call = hits / calls.
-- @by: outcome
WITH s AS MATERIALIZED (  -- each call's group, computed once (not once per tracker row)
  SELECT call_id, grp, grp_key FROM scope
), t AS (  -- one pass over the trackers of the calls in scope
  SELECT s.grp, min(s.grp_key) AS k, tr.name AS name, sum(tr.count > 0) AS with_hit,
         sum(tr.count) AS hits, total(tr.count) AS th
    FROM s JOIN trackers tr ON tr.call_id = s.call_id GROUP BY s.grp, tr.name
), g AS (  -- the calls with tracker data
  SELECT s.grp, count(*) AS calls FROM s
   WHERE EXISTS (SELECT 1 FROM trackers tr WHERE tr.call_id = s.call_id) GROUP BY s.grp
)
SELECT t.grp AS "group", g.calls AS calls, t.name AS tracker, t.with_hit AS calls_with_hit,
       round(t.with_hit * 1.0 / g.calls, 4) AS share, t.hits AS hits,
       round(t.th / g.calls, 4) AS hits_per_call
  FROM t JOIN g ON g.grp = t.grp
 ORDER BY t.k, t.grp, t.name;
