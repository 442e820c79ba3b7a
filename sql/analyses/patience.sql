-- patience: the average pause in seconds before a rep speaks after a customer stops, beside Gong's Patience
--
-- Per external call with a transcript: every turn of an internal speaker that follows a
-- turn of an external one (turns: one speaker's consecutive sentences, gaps under 1 s
-- joined; unknown speakers skipped) gives a pause, the turn's start minus the customer
-- turn's end (call_metrics.rep_replies pauses summing to rep_reply_ms). A call's patience
-- is the mean of its pauses (call_facts.patience_s); patience_s is the mean over the
-- group's calls that have any, pauses their number, gong_patience_s the mean of Gong's
-- Patience stat over the same calls. Gong's research finds top reps wait longer (about
-- 0.6-1 s or more) before answering.
-- @by: rep
WITH x AS (
  SELECT s.grp, s.grp_key, s.rep_reply_ms * 1.0 / s.rep_replies AS pause_ms, s.rep_replies,
         s.gong_patience_s AS gong
    FROM scope s
   WHERE s.external AND s.rep_replies > 0
)
SELECT grp AS "group", count(*) AS calls, round(avg(pause_ms) / 1000.0, 2) AS patience_s,
       sum(rep_replies) AS pauses, round(avg(gong), 2) AS gong_patience_s
  FROM x GROUP BY grp ORDER BY min(grp_key), grp;
