-- won-vs-lost: the share of calls mentioning PATTERN in won against lost deals, each with a 95% interval, and their difference with its 95% interval
--
-- PATTERN is matched as in mentions (-i, --speaker). Calls: those with a non-empty
-- transcript whose deal's outcome is won or lost (the deal's Now stage; see --stages).
-- won_share = won calls with a hit / won calls, with its 95% Wilson score interval
-- (won_low..won_high); lost_* likewise. won_minus_lost is the difference of the shares
-- with its 95% interval by Newcombe's hybrid score method (diff_low..diff_high);
-- significant is 'yes' when that interval leaves out 0. One row for all calls by default;
-- --by splits the comparison (by rep, month, company size, ...).
-- @by: all
-- @args: PATTERN
-- the hits per call, found by grep's engine before this runs (temp.mention_hits: one row
-- per call with a hit; see `callmine-query grep -c`)
WITH m AS MATERIALIZED (  -- each call's outcome computed once (it is read four times)
  SELECT s.grp, s.grp_key, s.outcome, ifnull(h.hits > 0, 0) AS hit
    FROM scope s LEFT JOIN temp.mention_hits h
      ON h.pattern = :pattern AND h.flags = :flags AND h.speaker = :speaker
     AND h.call_id = s.call_id
   WHERE s.has_transcript AND s.outcome IN ('won', 'lost')
), g AS (
  SELECT grp, min(grp_key) AS k, count(*) AS calls,
         sum(outcome = 'won') AS wn, sum(outcome = 'won' AND hit) AS wx,
         sum(outcome = 'lost') AS ln, sum(outcome = 'lost' AND hit) AS lx
    FROM m GROUP BY grp
), p AS (
  SELECT *, wx * 1.0 / nullif(wn, 0) AS pw, lx * 1.0 / nullif(ln, 0) AS pl,
         3.8416 / nullif(wn, 0) AS zw, 3.8416 / nullif(ln, 0) AS zl
    FROM g
), ci AS (
  SELECT *,
         (pw + zw / 2 - 1.96 * sqrt(pw * (1 - pw) / wn + zw / (4 * wn))) / (1 + zw) AS wlo,
         (pw + zw / 2 + 1.96 * sqrt(pw * (1 - pw) / wn + zw / (4 * wn))) / (1 + zw) AS whi,
         (pl + zl / 2 - 1.96 * sqrt(pl * (1 - pl) / ln + zl / (4 * ln))) / (1 + zl) AS llo,
         (pl + zl / 2 + 1.96 * sqrt(pl * (1 - pl) / ln + zl / (4 * ln))) / (1 + zl) AS lhi
    FROM p
), d AS (
  SELECT *, pw - pl AS diff,
         pw - pl - sqrt((pw - wlo) * (pw - wlo) + (lhi - pl) * (lhi - pl)) AS dlo,
         pw - pl + sqrt((whi - pw) * (whi - pw) + (pl - llo) * (pl - llo)) AS dhi
    FROM ci
)
SELECT grp AS "group", calls,
       wn AS won_calls, wx AS won_with_hit, round(pw, 4) AS won_share,
       round(wlo, 4) AS won_low, round(whi, 4) AS won_high,
       ln AS lost_calls, lx AS lost_with_hit, round(pl, 4) AS lost_share,
       round(llo, 4) AS lost_low, round(lhi, 4) AS lost_high,
       round(diff, 4) AS won_minus_lost, round(dlo, 4) AS diff_low, round(dhi, 4) AS diff_high,
       CASE WHEN dlo > 0 OR dhi < 0 THEN 'yes' WHEN dlo IS NULL THEN NULL ELSE 'no' END
         AS significant
  FROM d ORDER BY k, grp;
