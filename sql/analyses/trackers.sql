-- trackers: Gong's tracker counts by segment: for each tracker, the share of calls where it fired and its hits per call
--
-- From the trackers Gong computed (keyword and smart trackers, content.trackers in the
-- extensive data). calls: the group's calls that have tracker data; for each tracker
-- (one row per group and tracker): calls_with_hit (count above 0), share = calls_with_hit
-- / calls, hits (the counts summed) and hits_per_call = hits / calls.
-- @by: outcome
WITH c AS MATERIALIZED (  -- the calls with tracker data, each grouped once
  SELECT s.call_id, s.grp, s.grp_key FROM scope s
   WHERE EXISTS (SELECT 1 FROM trackers tr WHERE tr.call_id = s.call_id)
), g AS (
  SELECT grp, count(*) AS calls FROM c GROUP BY grp
)
SELECT c.grp AS "group", g.calls AS calls, tr.name AS tracker,
       sum(tr.count > 0) AS calls_with_hit, round(sum(tr.count > 0) * 1.0 / g.calls, 4) AS share,
       sum(tr.count) AS hits, round(total(tr.count) / g.calls, 4) AS hits_per_call
  FROM c JOIN trackers tr ON tr.call_id = c.call_id JOIN g ON g.grp = c.grp
 GROUP BY c.grp, tr.name ORDER BY min(c.grp_key), c.grp, tr.name;
