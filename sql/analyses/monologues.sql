-- monologues: the longest rep monologue and the longest customer story per call (one speaker's consecutive sentences, gaps under 1 s joined), averaged per rep
--
-- A monologue is one speaker's run of consecutive sentences, a sentence joining the run
-- when it starts less than 1 s after the run's end; its length is the last sentence's end
-- minus the first one's start. Per external call with a transcript: the longest monologue
-- of an internal speaker (rep; call_metrics.rep_longest_ms, call_facts.longest_monologue_s)
-- and of an external one (customer story; customer_longest_ms). Per group:
-- longest_monologue_s and longest_story_s are their means over the calls, max_* the
-- longest in any call, gong_* the means of Gong's Longest Monologue and Longest Customer
-- Story stats over the same calls. Gong's research: top reps' monologues stay under about
-- 2.5 minutes, and long customer stories go with won deals. With --by call, one row per
-- call, with its title and url.
-- @by: rep
-- @when-by call: title, url
WITH x AS (
  SELECT s.grp, s.grp_key, s.title, s.url, s.rep_longest_ms, s.customer_longest_ms,
         s.gong_longest_monologue_s AS gong_mono, s.gong_longest_story_s AS gong_story
    FROM scope s
   WHERE s.external AND s.sentences > 0
)
SELECT grp AS "group", count(*) AS calls,
       round(avg(rep_longest_ms) / 1000.0, 1) AS longest_monologue_s,
       round(max(rep_longest_ms) / 1000.0, 1) AS max_monologue_s,
       round(avg(customer_longest_ms) / 1000.0, 1) AS longest_story_s,
       round(max(customer_longest_ms) / 1000.0, 1) AS max_story_s,
       round(avg(gong_mono), 1) AS gong_longest_monologue_s,
       round(avg(gong_story), 1) AS gong_longest_story_s,
       max(CASE WHEN :by = 'call' THEN title END) AS title,  -- read only when shown
       max(CASE WHEN :by = 'call' THEN url END) AS url
  FROM x GROUP BY grp ORDER BY min(grp_key), grp;
