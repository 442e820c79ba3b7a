-- real-rep: calls whose rep (the top internal speaker) is not the call's primary user (Gong's call owner is often whoever booked the meeting)
--
-- Per external call with a transcript in which an internal speaker spoke: the call's rep
-- is the Internal party with the most talk time (sum of sentence durations; call_facts'
-- rep with rep_source 'speech'). The call is handed off when that speaker's Gong user is
-- not the call's primary user (when the speaker has no user id, when the names differ).
-- By default (--by call) one row per handed-off call: primary_user (the owner Gong shows),
-- real_rep and real_rep_email (who ran it), real_rep_share (their share of the internal
-- talk, read from the transcript for the calls shown), title and url. With another --by,
-- one row per group: calls, handed_off and share = handed_off / calls.
-- @by: call
-- @when-by call: primary_user, real_rep, real_rep_email, real_rep_share, title, url
-- @unless-by call: handed_off, share
WITH x AS (  -- with rep_source 'speech', rep_id is the top speaker's user id
  SELECT s.grp, s.grp_key, s.call_id, s.title, s.url, s.primary_rep, s.rep_name, s.rep_email,
         s.rep_talk_ms AS rep_talk_ms,
         CASE WHEN s.rep_id IS NOT NULL THEN s.rep_id IS NOT s.primary_user_id
              ELSE lower(s.rep_name) IS NOT lower(s.primary_rep) END AS handed_off
    FROM scope s
   WHERE s.external AND s.rep_source = 'speech'
), g AS (
  SELECT grp, min(grp_key) AS k, count(*) AS calls, sum(handed_off) AS handed_off,
         avg(handed_off) AS share, max(call_id) AS call_id, max(primary_rep) AS primary_rep,
         max(rep_name) AS rep_name, max(rep_email) AS rep_email,
         max(rep_talk_ms) AS rep_ms,
         max(CASE WHEN :by = 'call' THEN title END) AS title,  -- read only when shown
         max(CASE WHEN :by = 'call' THEN url END) AS url
    FROM x WHERE :by <> 'call' OR handed_off GROUP BY grp
), o AS MATERIALIZED (  -- in order before the share is computed (it reads the transcript):
  SELECT * FROM g ORDER BY k, grp  -- for the rows a caller reads, not for every row sorted
)
SELECT grp AS "group", calls, handed_off, round(share, 4) AS share,
       CASE WHEN :by = 'call' THEN primary_rep END AS primary_user,
       CASE WHEN :by = 'call' THEN rep_name END AS real_rep,
       CASE WHEN :by = 'call' THEN rep_email END AS real_rep_email,
       CASE WHEN :by = 'call'
            THEN round((SELECT sp.talk_ms FROM transcript_speakers(g.call_id) sp
                         WHERE sp.speaker_id = (SELECT m.rep_speaker_id FROM call_metrics m
                                                 WHERE m.call_id = g.call_id))
                       * 1.0 / nullif(g.rep_ms, 0), 4) END
         AS real_rep_share,
       CASE WHEN :by = 'call' THEN title END AS title,
       CASE WHEN :by = 'call' THEN url END AS url
  FROM o g;
