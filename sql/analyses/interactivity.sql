-- interactivity: speaker switches per minute between reps and customers, beside Gong's Interactivity
--
-- Per external call with a transcript: switches is the number of turns (one speaker's
-- consecutive sentences, gaps under 1 s joined) whose speaker is on the other side than
-- the previous turn with a known side (Internal vs External; unknown speakers skipped),
-- divided by the call's duration in minutes (the transcript's span when the duration is
-- missing): call_metrics.switches, as call_facts.interactivity gives it per call.
-- switches_per_min is the mean over the group's calls; interactivity puts it on Gong's
-- 0-10 scale (min(10, 2.5 x switches a minute), averaged) and gong_interactivity is the
-- mean of Gong's own stat over the same calls.
-- @by: rep
WITH x AS (
  SELECT s.grp, s.grp_key,
         s.switches / CASE WHEN s.duration > 0 THEN s.duration / 60.0
                           ELSE (s.last_ms - s.first_ms) / 60000.0 END AS per_min,
         s.gong_interactivity AS gong
    FROM scope s
   WHERE s.external AND s.sentences > 0 AND (s.duration > 0 OR s.last_ms > s.first_ms)
)
SELECT grp AS "group", count(*) AS calls, round(avg(per_min), 2) AS switches_per_min,
       round(avg(min(10.0, 2.5 * per_min)), 1) AS interactivity,
       round(avg(gong), 1) AS gong_interactivity
  FROM x GROUP BY grp ORDER BY min(grp_key), grp;
