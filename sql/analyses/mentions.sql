-- mentions: the share of calls with a hit of PATTERN and the hits per call, by segment, with the counts and a 95% interval so small groups show
--
-- PATTERN is a PCRE2 regular expression matched like grep's: each sentence's text on its
-- own, -i for caseless, --speaker rep|customer|all (default all) for whose sentences. A
-- hit is one non-empty match. Over the group's calls with a non-empty transcript (calls):
-- calls_with_hit, share = calls_with_hit / calls (0..1) with its 95% Wilson score
-- interval share_low..share_high, hits (all matches) and hits_per_call = hits / calls.
-- --by outcome gives won, lost and open deals (the deal's Now stage) and calls without one.
-- @by: rep
-- @args: PATTERN
-- the hits per call, found by grep's engine before this runs (temp.mention_hits: one row
-- per call with a hit; see `callmine-query grep -c`)
WITH m AS (
  SELECT s.grp, s.grp_key, ifnull(h.hits, 0) AS hits FROM scope s LEFT JOIN temp.mention_hits h
      ON h.pattern = :pattern AND h.flags = :flags AND h.speaker = :speaker
     AND h.call_id = s.call_id
   WHERE s.has_transcript
), g AS (
  SELECT grp, min(grp_key) AS k, count(*) AS n, sum(hits > 0) AS x, sum(hits) AS hits
    FROM m GROUP BY grp
), w AS (
  SELECT *, x * 1.0 / n AS p, 1.96 * 1.96 / n AS zn FROM g
)
SELECT grp AS "group", n AS calls, x AS calls_with_hit, round(p, 4) AS share,
       round((p + zn / 2 - 1.96 * sqrt(p * (1 - p) / n + zn / (4 * n))) / (1 + zn), 4)
         AS share_low,
       round((p + zn / 2 + 1.96 * sqrt(p * (1 - p) / n + zn / (4 * n))) / (1 + zn), 4)
         AS share_high,
       hits, round(hits * 1.0 / n, 4) AS hits_per_call
  FROM w ORDER BY k, grp;
