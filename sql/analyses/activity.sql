-- activity: calls per rep per week: calls, external calls, the weeks they span and the calls per week
--
-- Over the calls in scope (with or without a transcript): calls, external_calls, reps (the
-- distinct people who were the calls' reps), weeks (the weeks from the group's first call
-- to its last, Monday to Sunday, UTC), calls_per_week = calls / weeks, calls_per_rep_week =
-- calls / (reps x weeks), first_call and last_call. With --by week, one row per week.
-- @by: rep
-- @unless-by rep|call: reps, calls_per_rep_week
-- @unless-by week|call: weeks, calls_per_week
WITH g AS (
  SELECT grp, min(grp_key) AS k, count(*) AS calls, sum(external) AS ext,
         count(DISTINCT rep_key) AS reps,
         CAST(round((julianday(max(week)) - julianday(min(week))) / 7) AS INTEGER) + 1 AS weeks,
         min(started) AS first_call, max(started) AS last_call
    FROM scope GROUP BY grp
)
SELECT grp AS "group", calls, ext AS external_calls, reps, weeks,
       round(calls * 1.0 / weeks, 2) AS calls_per_week,
       round(calls * 1.0 / (max(reps, 1) * weeks), 2) AS calls_per_rep_week,
       first_call, last_call
  FROM g ORDER BY k, grp;
