-- questions: questions asked by reps and by customers per external call, against the 11-14 per discovery call band
--
-- A question is a transcript sentence whose text ends in '?' (or the full-width or Arabic
-- question mark). Per external call with a transcript, the questions of internal speakers
-- (rep) and of external ones (customer): call_metrics.rep_questions and customer_questions.
-- Per group: their means per call, in_band (the share of calls where the rep asked 11 to
-- 14 questions, the band Gong's research finds in successful discovery calls), and
-- gong_rep_questions_per_call (the mean of Gong's own company question count, where the
-- mirror has it). flag: 'low' under 11 rep questions a call, 'high' over 14, else 'ok'.
-- @by: rep
WITH x AS (
  SELECT s.grp, s.grp_key, m.rep_questions, m.customer_questions,
         (SELECT k.questions_company FROM calls k WHERE k.id = s.call_id) AS gong_q
    FROM scope s JOIN call_metrics m ON m.call_id = s.call_id
   WHERE s.external AND m.sentences > 0
), g AS (
  SELECT grp, min(grp_key) AS k, count(*) AS calls, avg(rep_questions) AS rq,
         avg(customer_questions) AS cq, avg(rep_questions BETWEEN 11 AND 14) AS in_band,
         avg(gong_q) AS gq
    FROM x GROUP BY grp
)
SELECT grp AS "group", calls, round(rq, 2) AS rep_questions_per_call,
       round(cq, 2) AS customer_questions_per_call, round(in_band, 4) AS in_band,
       round(gq, 2) AS gong_rep_questions_per_call,
       CASE WHEN rq < 11 THEN 'low' WHEN rq > 14 THEN 'high' ELSE 'ok' END AS flag
  FROM g ORDER BY k, grp;
