-- transcript_text(call_id) and the transcript_sentences table over a tiny transcripts
-- table built with the shell's own sqlar_compress, from the real schema.
.read sql/001-init.sql

-- Stored lines: START_MS <TAB> END_MS <TAB> SPEAKER_ID <TAB> TEXT <LF>, with \\ \n \r
-- escapes in TEXT. '|' stands for a tab and '~' for a line feed below.
CREATE TEMP TABLE src(call_id TEXT, body TEXT);
INSERT INTO src VALUES
 ('c1', replace(replace(
   '0|1500|sp1|Hello, this is Ana from Acme. We talk about pricing today, pricing and more pricing.~' ||
   '1500|4200|sp2|We need a discount on the price, a real discount.~' ||
   '4200|5000||Back\\slash and\nnewline \r here~' ||
   '5000|7250|sp1|Tabs	stay	verbatim; 价格 and 😀 too.~', '|', char(9)), '~', char(10))),
 ('c2', replace(replace('0|10|sp9|Short.~', '|', char(9)), '~', char(10))),
 ('c3', '');
INSERT INTO transcripts(call_id, size, body, sentences)
  SELECT call_id, length(CAST(body AS BLOB)), sqlar_compress(CAST(body AS BLOB)), 0 FROM src;

select 'setup-1.1', (SELECT length(body) < size FROM transcripts WHERE call_id = 'c1') = 1;   -- deflated
select 'setup-1.2', (SELECT length(body) = size FROM transcripts WHERE call_id = 'c2') = 1;   -- stored as is

-- transcript_text
select 'text-1.1', transcript_text('c1') = (SELECT body FROM src WHERE call_id = 'c1');
select 'text-1.2', (SELECT count(*) FROM transcripts WHERE CAST(sqlar_uncompress(body, size) AS TEXT) = transcript_text(call_id)) = 3;
select 'text-1.3', transcript_text('c2') = '0' || char(9) || '10' || char(9) || 'sp9' || char(9) || 'Short.' || char(10);
select 'text-1.4', transcript_text('c3') = '';
select 'text-1.5', transcript_text('nope') IS NULL;
select 'text-1.6', transcript_text(NULL) IS NULL;
select 'text-1.7', typeof(transcript_text('c1')) = 'text';
select 'text-1.8', regexp_count(transcript_text('c1'), 'pricing') = 3;
select 'text-1.9', transcript_text('c1') REGEXP '(?m)^4200\t5000\t\tBack';
select 'text-1.10', regexp_count(transcript_text('c1'), '(?m)^\d+\t\d+\t') = 4;
select 'text-1.11', (SELECT count(*) FROM transcripts WHERE transcript_text(call_id) REGEXP '(?i)DISCOUNT') = 1;
-- usable in a view
CREATE TEMP VIEW tt AS SELECT call_id, transcript_text(call_id) AS t FROM transcripts;
select 'text-1.12', (SELECT count(*) FROM tt WHERE t LIKE '%Acme%') = 1;

-- transcript_sentences(call_id): call_id, idx, start_ms, end_ms, speaker_id, text
select 'sent-1.1', (SELECT count(*) FROM transcript_sentences('c1')) = 4;
select 'sent-1.2', (SELECT group_concat(idx, ',') FROM transcript_sentences('c1')) = '0,1,2,3';
select 'sent-1.3', (SELECT group_concat(start_ms || '-' || end_ms, ',') FROM transcript_sentences('c1')) = '0-1500,1500-4200,4200-5000,5000-7250';
select 'sent-1.4', (SELECT typeof(start_ms) || typeof(end_ms) || typeof(idx) FROM transcript_sentences('c1') WHERE idx = 0) = 'integerintegerinteger';
select 'sent-1.5', (SELECT speaker_id FROM transcript_sentences('c1') WHERE idx = 1) = 'sp2';
select 'sent-1.6', (SELECT speaker_id IS NULL FROM transcript_sentences('c1') WHERE idx = 2) = 1;
select 'sent-1.7', (SELECT text FROM transcript_sentences('c1') WHERE idx = 2) = 'Back' || char(92) || 'slash and' || char(10) || 'newline ' || char(13) || ' here';
select 'sent-1.8', (SELECT text FROM transcript_sentences('c1') WHERE idx = 3) = 'Tabs' || char(9) || 'stay' || char(9) || 'verbatim; 价格 and 😀 too.';
select 'sent-1.9', (SELECT text FROM transcript_sentences('c1') WHERE idx = 1) = 'We need a discount on the price, a real discount.';
select 'sent-1.10', (SELECT group_concat(DISTINCT call_id) FROM transcript_sentences('c1')) = 'c1';
select 'sent-1.11', (SELECT count(*) FROM transcript_sentences('c3')) = 0;
select 'sent-1.12', (SELECT count(*) FROM transcript_sentences('nope')) = 0;
select 'sent-1.13', (SELECT count(*) FROM transcript_sentences(NULL)) = 0;
select 'sent-1.14', (SELECT count(*) FROM transcript_sentences WHERE call_id = 'c2') = 1;
select 'sent-1.15', (SELECT count(*) FROM transcript_sentences) = 5;                    -- every call
select 'sent-1.16', (SELECT group_concat(call_id || ':' || idx, ',') FROM (SELECT * FROM transcript_sentences ORDER BY call_id, idx)) = 'c1:0,c1:1,c1:2,c1:3,c2:0';
select 'sent-1.17', (SELECT count(*) FROM transcripts t, transcript_sentences(t.call_id) s) = 5;
select 'sent-1.18', (SELECT count(*) FROM transcripts t JOIN transcript_sentences s ON s.call_id = t.call_id) = 5;
select 'sent-1.19', (SELECT group_concat(idx, ',') FROM (SELECT idx FROM transcript_sentences('c1') ORDER BY idx DESC)) = '3,2,1,0';
select 'sent-1.20', (SELECT count(*) FROM transcript_sentences WHERE call_id = 'C1' COLLATE NOCASE) = 4;
-- grep in SQL: one row per matching sentence
select 'sent-2.1', (SELECT group_concat(idx || '=' || regexp_count(text, '\b(price|pricing|discount)\b', 'i'), ',') FROM transcript_sentences('c1') WHERE text REGEXP '(?i)\b(price|pricing|discount)\b') = '0=3,1=3';
select 'sent-2.2', (SELECT sum(end_ms - start_ms) FROM transcript_sentences('c1') WHERE speaker_id = 'sp1') = 3750;
select 'sent-2.3', (SELECT regexp_substr(text, 'Back.slash') FROM transcript_sentences('c1') WHERE idx = 2) = 'Back' || char(92) || 'slash';
select 'sent-2.4', (SELECT count(*) FROM transcript_sentences('c1') WHERE text REGEXP '^Back.slash and\nnewline \r here$') = 1;
