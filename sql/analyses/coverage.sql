-- coverage: transcript coverage by segment: calls, transcripts mirrored and their share, calls still waiting for one, private calls
--
-- Over the calls in scope: transcripts (calls with a stored transcript, each of which has
-- its call_metrics row), empty (transcripts without a sentence), coverage = transcripts /
-- calls, waiting (calls Gong had no transcript for yet: pending or waiting in
-- transcript_status), private (calls marked private, whose transcripts are mirrored only
-- with --include-private), newest_call.
-- @by: month
WITH x AS (  -- the waiting calls listed once (by the state index), not looked up per call
  SELECT s.grp, s.grp_key, s.started, s.has_metrics AS has_t, s.has_transcript,
         s.call_id IN (SELECT ts.call_id FROM transcript_status ts
                        WHERE ts.state IN ('pending', 'waiting')) AS waiting,
         ifnull(s.is_private, 0) AS private
    FROM scope s
)
SELECT grp AS "group", count(*) AS calls, sum(has_t) AS transcripts,
       sum(has_t AND NOT has_transcript) AS empty, round(avg(has_t), 4) AS coverage,
       sum(waiting) AS waiting, sum(private <> 0) AS private, max(started) AS newest_call
  FROM x GROUP BY grp ORDER BY min(grp_key), grp;
