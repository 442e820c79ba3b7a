-- trackers: Gong's tracker counts by segment: for each tracker, the share of calls where it fired and its hits per call
--
-- From the trackers Gong computed (keyword and smart trackers, content.trackers in the
-- extensive data). calls: the group's calls that have tracker data; for each tracker
-- (one row per group and tracker): calls_with_hit (count above 0), share = calls_with_hit
-- / calls, hits (the counts summed) and hits_per_call = hits / calls.
-- @by: outcome

-- each call's group, computed once and indexed, so the trackers are read group by group in
-- order (no sort) and each group's trackers are summed by key_sums (keysum.h) rather than
-- sorted by (group, tracker); the same table serves topics.sql
DROP TABLE IF EXISTS temp.calls_by_group;
CREATE TEMP TABLE calls_by_group(grp, k, call_id);
INSERT INTO temp.calls_by_group SELECT grp, grp_key, call_id FROM scope;
CREATE INDEX temp.calls_by_group_grp ON calls_by_group(grp, k, call_id);
WITH t AS (  -- one pass over the trackers of the calls in scope
  SELECT s.grp, min(s.k) AS k, count(DISTINCT s.call_id) AS calls,
         key_sums(tr.name, tr.count > 0, tr.count) AS j
    FROM temp.calls_by_group s JOIN trackers tr ON tr.call_id = s.call_id GROUP BY s.grp
), x AS (  -- one row per group and tracker: [tracker, calls with a hit, hits]
  SELECT t.grp, t.k, t.calls, e.value ->> 0 AS name, e.value ->> 1 AS with_hit,
         e.value ->> 2 AS hits
    FROM t, json_each(t.j) e
)
SELECT grp AS "group", calls, name AS tracker, with_hit AS calls_with_hit,
       round(with_hit * 1.0 / calls, 4) AS share, hits,
       round(ifnull(hits, 0) * 1.0 / calls, 4) AS hits_per_call
  FROM x
 ORDER BY k, grp, name;
