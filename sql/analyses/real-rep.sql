-- real-rep: calls whose top internal speaker is not the call's primary user (Gong's call owner is often whoever booked the meeting)
--
-- Per external call with a transcript in which an internal speaker spoke: the top internal
-- speaker is the Internal party with the most talk time (sum of sentence durations). The
-- call is handed off when that speaker's Gong user is not the call's primary user (when
-- the speaker has no user id, when the names differ). By default (--by call) one row per
-- handed-off call: primary_user (the owner Gong shows), real_rep and real_rep_email (who
-- ran it), real_rep_share (their share of the internal talk), title and url. With another
-- --by, one row per group: calls, handed_off and share = handed_off / calls.
-- @by: call
-- @needs: conv
WITH x AS (
  SELECT s.grp, s.grp_key, s.title, s.url, s.primary_rep, c.top_name, c.top_email,
         (SELECT cs.talk_ms FROM conv_speakers cs
           WHERE cs.call_id = s.call_id AND cs.speaker_id = c.top_speaker_id) * 1.0
           / nullif(c.rep_ms, 0) AS top_share,
         CASE WHEN c.top_user_id IS NOT NULL
              THEN c.top_user_id IS NOT s.primary_user_id
              ELSE lower(c.top_name) IS NOT lower(s.primary_rep) END AS handed_off
    FROM scope s JOIN conv c ON c.call_id = s.call_id
   WHERE s.external AND c.top_speaker_id IS NOT NULL
)
SELECT grp AS "group", count(*) AS calls, sum(handed_off) AS handed_off,
       round(avg(handed_off), 4) AS share,
       CASE WHEN :by = 'call' THEN max(primary_rep) END AS primary_user,
       CASE WHEN :by = 'call' THEN max(top_name) END AS real_rep,
       CASE WHEN :by = 'call' THEN max(top_email) END AS real_rep_email,
       CASE WHEN :by = 'call' THEN round(max(top_share), 4) END AS real_rep_share,
       CASE WHEN :by = 'call' THEN max(title) END AS title,
       CASE WHEN :by = 'call' THEN max(url) END AS url
  FROM x WHERE :by <> 'call' OR handed_off
 GROUP BY grp ORDER BY min(grp_key), grp;
