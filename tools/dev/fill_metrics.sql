-- fill_metrics.sql: call_metrics for every transcript, computed in SQL through the
-- extension's transcript_speakers() (run in stock sqlite3 after `.load bin/callmine`).
-- An independent oracle for the ingest's C computation (schema/metrics.c): the two must
-- agree row for row. Not used by the programs.
DELETE FROM call_metrics;
INSERT INTO call_metrics(call_id, sentences, rep_speaker_id, rep_user_id, rep_talk_ms,
                         customer_talk_ms, other_talk_ms, rep_questions, customer_questions,
                         rep_longest_ms, customer_longest_ms, switches, rep_replies,
                         rep_reply_ms, first_ms, last_ms)
WITH sp AS (SELECT s.* FROM transcripts t, transcript_speakers(t.call_id) s)
SELECT t.call_id, t.sentences,
       (SELECT speaker_id FROM sp x WHERE x.call_id = t.call_id AND x.side = 'rep'
         ORDER BY x.talk_ms DESC, x.speaker_id LIMIT 1) AS rep_speaker_id,
       NULL,
       CAST(total(sp.talk_ms) FILTER (WHERE sp.side = 'rep') AS INTEGER),
       CAST(total(sp.talk_ms) FILTER (WHERE sp.side = 'customer') AS INTEGER),
       CAST(total(sp.talk_ms) FILTER (WHERE sp.side IS NULL) AS INTEGER),
       CAST(total(sp.questions) FILTER (WHERE sp.side = 'rep') AS INTEGER),
       CAST(total(sp.questions) FILTER (WHERE sp.side = 'customer') AS INTEGER),
       max(sp.longest_turn_ms) FILTER (WHERE sp.side = 'rep'),
       max(sp.longest_turn_ms) FILTER (WHERE sp.side = 'customer'),
       CAST(total(sp.switches) FILTER (WHERE sp.side IS NOT NULL) AS INTEGER),
       CAST(total(sp.switches) FILTER (WHERE sp.side = 'rep') AS INTEGER),
       CAST(total(sp.reply_ms) FILTER (WHERE sp.side = 'rep') AS INTEGER),
       min(sp.first_ms), max(sp.last_ms)
  FROM transcripts t LEFT JOIN sp ON sp.call_id = t.call_id
 GROUP BY t.call_id;
UPDATE call_metrics SET rep_user_id = (SELECT p.user_id FROM parties p
   WHERE p.call_id = call_metrics.call_id AND p.speaker_id = call_metrics.rep_speaker_id
   ORDER BY p.ord LIMIT 1) WHERE rep_speaker_id IS NOT NULL;
DELETE FROM meta WHERE key = 'backfill';
