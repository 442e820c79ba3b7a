-- topics: Gong's topic time by segment: for each topic, the minutes per call spent on it and its share of all topic time
--
-- From the topics Gong computed (content.topics: seconds per topic and call). calls: the
-- group's calls with topic data; for each topic (one row per group and topic):
-- calls_with_topic (time above 0), minutes_per_call = the topic's minutes / calls, and
-- share_of_time = the topic's time / the group's time over all topics.
-- @by: outcome

-- each call's group, computed once and indexed, so the topics are read group by group in
-- order (no sort) and each group's topics are summed by key_sums (keysum.h) rather than
-- sorted by (group, topic); the same table serves trackers.sql
DROP TABLE IF EXISTS temp.calls_by_group;
CREATE TEMP TABLE calls_by_group(grp, k, call_id);
INSERT INTO temp.calls_by_group SELECT grp, grp_key, call_id FROM scope;
CREATE INDEX temp.calls_by_group_grp ON calls_by_group(grp, k, call_id);
WITH t AS (  -- one pass over the topics of the calls in scope
  SELECT s.grp, min(s.k) AS k, count(DISTINCT s.call_id) AS calls, total(tp.duration) AS secs,
         key_sums(tp.name, tp.duration > 0, tp.duration) AS j
    FROM temp.calls_by_group s JOIN topics tp ON tp.call_id = s.call_id GROUP BY s.grp
), x AS (  -- one row per group and topic: [topic, calls with time, seconds]
  SELECT t.grp, t.k, t.calls, t.secs AS group_secs, e.value ->> 0 AS topic,
         e.value ->> 1 AS with_topic, ifnull(e.value ->> 2, 0.0) AS secs
    FROM t, json_each(t.j) e
)
SELECT grp AS "group", calls, topic, with_topic AS calls_with_topic,
       round(secs / 60.0 / calls, 2) AS minutes_per_call,
       round(secs / nullif(group_secs, 0), 4) AS share_of_time
  FROM x
 ORDER BY k, grp, secs DESC, topic;
