-- topics: Gong's topic time by segment: for each topic, the minutes per call spent on it and its share of all topic time
--
-- From the topics Gong computed (content.topics: seconds per topic and call). calls: the
-- group's calls with topic data; for each topic (one row per group and topic):
-- calls_with_topic (time above 0), minutes_per_call = the topic's minutes / calls, and
-- share_of_time = the topic's time / the group's time over all topics.
-- @by: outcome
WITH s AS MATERIALIZED (  -- each call's group, computed once (not once per topic row)
  SELECT call_id, grp, grp_key FROM scope
), t AS (  -- one pass over the topics of the calls in scope
  SELECT s.grp, min(s.grp_key) AS k, tp.name AS topic, sum(tp.duration > 0) AS with_topic,
         total(tp.duration) AS secs
    FROM s JOIN topics tp ON tp.call_id = s.call_id GROUP BY s.grp, tp.name
), g AS (  -- the calls with topic data
  SELECT s.grp, count(*) AS calls FROM s
   WHERE EXISTS (SELECT 1 FROM topics tp WHERE tp.call_id = s.call_id) GROUP BY s.grp
), gs AS (
  SELECT grp, total(secs) AS secs FROM t GROUP BY grp
)
SELECT t.grp AS "group", g.calls AS calls, t.topic AS topic, t.with_topic AS calls_with_topic,
       round(t.secs / 60.0 / g.calls, 2) AS minutes_per_call,
       round(t.secs / nullif(gs.secs, 0), 4) AS share_of_time
  FROM t JOIN g ON g.grp = t.grp JOIN gs ON gs.grp = t.grp
 ORDER BY t.k, t.grp, t.secs DESC, t.topic;
