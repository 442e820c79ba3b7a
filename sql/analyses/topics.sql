-- topics: Gong's topic time by segment: for each topic, the minutes per call spent on it and its share of all topic time
--
-- From the topics Gong computed (content.topics: seconds per topic and call). calls: the
-- group's calls with topic data; for each topic (one row per group and topic):
-- calls_with_topic (time above 0), minutes_per_call = the topic's minutes / calls, and
-- share_of_time = the topic's time / the group's time over all topics.
-- @by: outcome
WITH c AS MATERIALIZED (  -- the calls with topic data, each grouped once
  SELECT s.call_id, s.grp, s.grp_key FROM scope s
   WHERE EXISTS (SELECT 1 FROM topics tp WHERE tp.call_id = s.call_id)
), g AS (
  SELECT c.grp, count(DISTINCT c.call_id) AS calls, total(tp.duration) AS secs
    FROM c JOIN topics tp ON tp.call_id = c.call_id GROUP BY c.grp
)
SELECT c.grp AS "group", g.calls AS calls, tp.name AS topic,
       sum(tp.duration > 0) AS calls_with_topic,
       round(total(tp.duration) / 60.0 / g.calls, 2) AS minutes_per_call,
       round(total(tp.duration) / nullif(g.secs, 0), 4) AS share_of_time
  FROM c JOIN topics tp ON tp.call_id = c.call_id JOIN g ON g.grp = c.grp
 GROUP BY c.grp, tp.name ORDER BY min(c.grp_key), c.grp, total(tp.duration) DESC, tp.name;
