-- topics: Gong's topic time by segment: for each topic, the minutes per call spent on it and its share of all topic time
--
-- From the topics Gong computed (content.topics: seconds per topic and call). calls: the
-- group's calls with topic data; for each topic (one row per group and topic):
-- calls_with_topic (time above 0), minutes_per_call = the topic's minutes / calls, and
-- share_of_time = the topic's time / the group's time over all topics.
-- @by: outcome
WITH t AS (
  SELECT s.grp, s.grp_key, s.call_id, tp.name AS topic, tp.duration AS secs
    FROM scope s JOIN topics tp ON tp.call_id = s.call_id
), g AS (
  SELECT grp, count(DISTINCT call_id) AS calls, total(secs) AS secs FROM t GROUP BY grp
)
SELECT t.grp AS "group", g.calls AS calls, t.topic AS topic,
       sum(t.secs > 0) AS calls_with_topic,
       round(total(t.secs) / 60.0 / g.calls, 2) AS minutes_per_call,
       round(total(t.secs) / nullif(g.secs, 0), 4) AS share_of_time
  FROM t JOIN g ON g.grp = t.grp
 GROUP BY t.grp, t.topic ORDER BY min(t.grp_key), t.grp, total(t.secs) DESC, t.topic;
