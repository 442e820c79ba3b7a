-- questions: questions asked by reps and by customers per external call; on discovery calls, the rep's against the 11-14 band
--
-- A question is a transcript sentence whose text ends in '?' (or the full-width or Arabic
-- question mark). Per external call with a transcript, the questions of internal speakers
-- (rep) and of external ones (customer): call_metrics.rep_questions and customer_questions.
-- Per group: their means per call over every external call, and gong_rep_questions_per_call
-- (the mean of Gong's own company question count, where the mirror has it).
-- The band of 11 to 14 rep questions comes from Gong's research on successful discovery
-- calls, so it is applied to discovery calls only: a call whose Gong purpose says Discovery,
-- or whose title names a discovery or an intro call ("Discovery call with Ana", "Acme <>
-- Us | Intro"). discovery_calls counts them, discovery_rep_questions_per_call is the rep's
-- mean on them, in_band the share of them with 11 to 14 rep questions, and flag is 'low'
-- under 11, 'high' over 14, else 'ok' (empty without a discovery call).
-- @by: rep
WITH x AS (
  SELECT s.grp, s.grp_key, s.rep_questions, s.customer_questions, s.discovery,
         s.gong_questions AS gong_q
    FROM scope s
   WHERE s.external AND s.sentences > 0
), g AS (
  SELECT grp, min(grp_key) AS k, count(*) AS calls, avg(rep_questions) AS rq,
         avg(customer_questions) AS cq, sum(discovery) AS dn,
         avg(CASE WHEN discovery THEN rep_questions END) AS dq,
         avg(CASE WHEN discovery THEN rep_questions BETWEEN 11 AND 14 END) AS in_band,
         avg(gong_q) AS gq
    FROM x GROUP BY grp
)
SELECT grp AS "group", calls, round(rq, 2) AS rep_questions_per_call,
       round(cq, 2) AS customer_questions_per_call, dn AS discovery_calls,
       round(dq, 2) AS discovery_rep_questions_per_call, round(in_band, 4) AS in_band,
       round(gq, 2) AS gong_rep_questions_per_call,
       CASE WHEN dn = 0 THEN NULL WHEN dq < 11 THEN 'low' WHEN dq > 14 THEN 'high' ELSE 'ok' END
         AS flag
  FROM g ORDER BY k, grp;
