-- talk-ratio: per rep, the share of talk time taken by internal speakers on external calls, from transcript sentence timings, beside Gong's Talk Ratio; outside 30-65% flagged
--
-- Talk time is the sum of sentence durations (end - start) in the transcript. A call's
-- internal talk is that of speakers whose party is Internal, its customer talk that of
-- External ones; unknown speakers count for neither (call_metrics.rep_talk_ms and
-- customer_talk_ms; call_facts.talk_ratio per call). talk_ratio = internal / (internal +
-- customer) summed over the group's external calls with a transcript in which someone spoke
-- (longer calls weigh more). gong_talk_ratio is the mean of Gong's own Talk Ratio stat over
-- the same calls, gong_calls of them having it. Gong's research puts the best ratio near
-- 43% and finds that above 65% hurts: flag is 'high' above 0.65, 'low' below 0.30, else
-- 'ok'. rep and rep_email name the group's rep when grouping by rep (the call's rep:
-- call_facts.rep_name). rep_hours and customer_hours are the talk summed.
-- @by: rep
-- @when-by rep: rep, rep_email
WITH x AS (
  SELECT s.grp, s.grp_key, s.rep_name, s.rep_email, s.rep_talk_ms, s.customer_talk_ms,
         s.gong_talk_ratio AS gong
    FROM scope s
   WHERE s.external AND s.rep_talk_ms + s.customer_talk_ms > 0
), g AS (
  SELECT grp, min(grp_key) AS k, count(*) AS calls,
         CASE WHEN :by = 'rep' THEN max(rep_name) END AS rep,
         CASE WHEN :by = 'rep' THEN max(rep_email) END AS rep_email,
         total(rep_talk_ms) / (total(rep_talk_ms) + total(customer_talk_ms)) AS ratio,
         avg(gong) AS gong, count(gong) AS gong_calls,
         total(rep_talk_ms) / 3600000.0 AS rep_h, total(customer_talk_ms) / 3600000.0 AS cust_h
    FROM x GROUP BY grp
)
SELECT grp AS "group", calls, rep, rep_email, round(ratio, 4) AS talk_ratio,
       round(gong, 4) AS gong_talk_ratio, gong_calls,
       CASE WHEN ratio > 0.65 THEN 'high' WHEN ratio < 0.30 THEN 'low' ELSE 'ok' END AS flag,
       round(rep_h, 2) AS rep_hours, round(cust_h, 2) AS customer_hours
  FROM g ORDER BY k, grp;
