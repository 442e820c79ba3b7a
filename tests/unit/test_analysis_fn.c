/* test_analysis_fn: transcript_turns, transcript_speakers and mention_count on an in-memory
 * database holding hand-made transcripts (stored as ingest stores them), against values
 * computed by hand. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"
#include "ext.h"
#include "transcript.h"
#include "zblob.h"

#include "banned.h"

static sqlite3 *db;

struct sent {
    int64_t a, b;
    const char *spk, *text;
};

/* Store the sentences as call_id's transcript. */
static void put_transcript(const char *call_id, const struct sent *s, size_t n)
{
    struct buf text, blob;
    struct zblob_codec *z = zblob_codec_new(6);
    struct err e = {0};
    sqlite3_stmt *st;

    buf_init(&text, 0);
    buf_init(&blob, 0);
    for (size_t i = 0; i < n; i++)
        transcript_append(&text, s[i].a, s[i].b, s[i].spk, s[i].text, strlen(s[i].text), &e);
    zblob_deflate(z, text.data ? text.data : "", text.len, &blob, &e);
    sqlite3_prepare_v2(db, "INSERT INTO transcripts VALUES (?1, ?2, ?3, ?4)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, call_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)text.len);
    sqlite3_bind_blob(st, 3, blob.data ? blob.data : "", (int)blob.len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)n);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    zblob_codec_free(z);
    buf_release(&text);
    buf_release(&blob);
}

/* The first row of sql as text, columns joined by '|' ("" for no row; NULL as "N"). */
static const char *row(const char *sql)
{
    static char out[512];
    sqlite3_stmt *st = NULL;
    size_t len = 0;

    out[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(out, sizeof out, "error: %s", sqlite3_errmsg(db));
        return out;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st) && len < sizeof out; i++) {
            const unsigned char *t = sqlite3_column_text(st, i);

            len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? "|" : "",
                                    t ? (const char *)t : "N");
        }
    } else if (sqlite3_errcode(db) != SQLITE_DONE && sqlite3_errcode(db) != SQLITE_OK) {
        snprintf(out, sizeof out, "error: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return out;
}

static int is(const char *sql, const char *want)
{
    const char *got = row(sql);

    if (strcmp(got, want) == 0)
        return 1;
    fprintf(stderr, "  %s\n    got  %s\n    want %s\n", sql, got, want);
    return 0;
}

int main(void)
{
    static const struct sent a[] = {
        {0, 2000, "s1", "Hi there."},
        {2500, 5000, "s1", "How are you?"},
        {6000, 9000, "s2", "Fine, thanks."},
        {9500, 10000, "s2", "And you? "},
        {12000, 20000, "s1", "Let me explain."},
        {21500, 30000, "s1", "It does many things."},
        {30500, 31000, NULL, "Noise."},
        {31500, 35000, "s3", "What does it cost\xEF\xBC\x9F"}, /* full-width ? */
        {36000, 40000, "s1", "It costs little, cost\ncost."},
    };
    static const struct sent b[] = {
        {0, 1000, "t1", "bad \xff byte costs"},
        {1000, 2000, "t2", "line\\one?\n"},
        {2000, 3000, "t2", "anchored cost"},
    };

    sqlite3_open(":memory:", &db);
    CHECK(sqlite3_callmine_init(db, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "CREATE TABLE transcripts(call_id TEXT PRIMARY KEY, size INTEGER, body BLOB,"
                       " sentences INTEGER);"
                       "CREATE TABLE parties(call_id TEXT, ord INTEGER, speaker_id TEXT,"
                       " affiliation TEXT);"
                       "INSERT INTO parties VALUES ('A', 0, 's1', 'Internal'), ('A', 1, 's2',"
                       " 'External'), ('A', 2, 's3', 'external'), ('A', 3, 's1', 'External'),"
                       " ('B', 0, 't1', 'Internal'), ('B', 1, 't2', 'Unknown')",
                       NULL, NULL, NULL) == SQLITE_OK);
    put_transcript("A", a, sizeof a / sizeof a[0]);
    put_transcript("B", b, sizeof b / sizeof b[0]);
    put_transcript("E", NULL, 0);

    /* turns: sentences joined while the gap is under 1 s; sides from the first party */
    CHECK(is("SELECT count(*) FROM transcript_turns('A')", "7"));
    CHECK(is("SELECT idx, speaker_id, affiliation, side, start_ms, end_ms, talk_ms, sentences, "
             "questions, prev_side, gap_ms FROM transcript_turns('A') WHERE idx = 0",
             "0|s1|Internal|rep|0|5000|4500|2|1|N|N"));
    CHECK(is("SELECT side, talk_ms, questions, prev_side, gap_ms FROM transcript_turns('A') "
             "WHERE idx = 1",
             "customer|3500|1|rep|1000"));
    CHECK(is("SELECT speaker_id, side, prev_side, gap_ms FROM transcript_turns('A') WHERE idx = 4",
             "N|N|rep|500"));
    CHECK(is("SELECT side, questions, prev_side, gap_ms FROM transcript_turns('A') WHERE idx = 5",
             "customer|1|rep|1500"));
    CHECK(is("SELECT count(*) FROM transcript_turns('A', 3000)", "6"));
    CHECK(is("SELECT count(*) FROM transcript_turns('A', 0)", "9"));
    CHECK(is("SELECT count(*) FROM transcript_turns('nosuch')", "0"));
    CHECK(is("SELECT count(*) FROM transcript_turns(NULL)", "0"));
    CHECK(is("SELECT count(*) FROM transcript_turns('E')", "0"));
    CHECK(is("SELECT count(*) FROM transcript_turns", "9"));
    CHECK(is("SELECT count(*) FROM transcript_turns WHERE call_id = 'B'", "2"));
    CHECK(strncmp(row("SELECT count(*) FROM transcript_turns('A', -1)"), "error: gap_ms", 13) == 0);

    /* speakers: per-speaker sums, switches and the gaps before them */
    CHECK(is("SELECT speaker_id, side, talk_ms, sentences, questions, turns, longest_turn_ms, "
             "switches, reply_ms, first_ms, last_ms FROM transcript_speakers('A') "
             "WHERE speaker_id = 's1'",
             "s1|rep|25000|5|1|4|8500|2|3000|0|40000"));
    CHECK(is("SELECT total(talk_ms), total(switches), total(questions) FROM "
             "transcript_speakers('A') WHERE side = 'customer'",
             "7000.0|2.0|2.0"));
    CHECK(is("SELECT speaker_id IS NULL, side IS NULL, talk_ms FROM transcript_speakers('A') "
             "WHERE speaker_id IS NULL",
             "1|1|500"));
    CHECK(is("SELECT affiliation, side, questions FROM transcript_speakers('B') "
             "WHERE speaker_id = 't2'",
             "Unknown|N|1")); /* "line\one?" + newline: a question once unescaped */
    CHECK(is("SELECT count(*) FROM transcript_speakers", "6"));
    CHECK(is("SELECT group_concat(t.speaker_id) FROM (SELECT 'A' AS id UNION ALL SELECT 'B') c,"
             " transcript_speakers(c.id) t",
             "s1,s2,s3,t1,t2"));

    /* mention_count: grep's hits, sentence by sentence, by side */
    CHECK(is("SELECT mention_count('A', 'cost')", "4"));
    CHECK(is("SELECT mention_count('A', 'cost', '', 'rep')", "3"));
    CHECK(is("SELECT mention_count('A', 'cost', '', 'customer')", "1"));
    CHECK(is("SELECT mention_count('A', 'COST', 'i'), mention_count('A', 'COST')", "4|0"));
    CHECK(is("SELECT mention_count('A', 'thanks\\.\\s*And')", "0")); /* within sentences */
    CHECK(is("SELECT mention_count('A', 'cost\\ncost')", "1"));      /* a newline inside one */
    CHECK(is("SELECT mention_count('A', '^')", "9")); /* empty matches: one hit a sentence */
    CHECK(is("SELECT mention_count('B', 'bad \\x{FFFD} byte')", "1"));
    CHECK(is("SELECT mention_count('B', '^anchored cost$')", "1"));
    CHECK(is("SELECT mention_count('B', 'line\\\\one')", "1"));
    CHECK(is("SELECT mention_count('B', 'cost', 'i', 'customer')", "0")); /* t2 is Unknown */
    CHECK(is("SELECT mention_count('E', 'x'), mention_count('nosuch', 'x') IS NULL", "0|1"));
    CHECK(is("SELECT mention_count(NULL, 'x') IS NULL, mention_count('A', NULL) IS NULL", "1|1"));
    CHECK(strncmp(row("SELECT mention_count('A', '(')"), "error: bad pattern", 18) == 0);
    CHECK(strncmp(row("SELECT mention_count('A', 'x', 'z')"), "error: mention_count", 20) == 0);
    CHECK(strncmp(row("SELECT mention_count('A', 'x', '', 'boss')"), "error: mention_count", 20) ==
          0);
    CHECK(is("SELECT sum(mention_count(c, 'cost')) FROM (SELECT 'A' AS c UNION ALL SELECT 'B' "
             "UNION ALL SELECT 'A')",
             "10"));

    /* the memo of the latest pattern forgets when the transcripts change */
    CHECK(is("SELECT mention_count('B', 'costs')", "1"));
    CHECK(sqlite3_exec(db, "DELETE FROM transcripts WHERE call_id = 'B'", NULL, NULL, NULL) ==
          SQLITE_OK);
    put_transcript("B", a, 2);
    CHECK(is("SELECT mention_count('B', 'costs') IS 0", "1"));
    CHECK(is("SELECT mention_count('B', 'How'), mention_count('B', 'How', '', 'rep')", "1|0"));

    /* key_sums: per key, what GROUP BY g, k with sum() gives, over keys of every type (NULL,
     * 2 and 2.0 as one key, text with '"', '\\' and a newline) and values mixing integers,
     * reals and NULLs */
    CHECK(sqlite3_exec(
              db,
              "CREATE TABLE ks(g, k, v, w); INSERT INTO ks WITH RECURSIVE n(i) AS (SELECT 1 "
              "UNION ALL SELECT i + 1 FROM n WHERE i < 2000) SELECT i % 7, CASE i % 5 WHEN 0 "
              "THEN NULL WHEN 1 THEN 'a' || (i % 13) WHEN 2 THEN i % 3 WHEN 3 THEN (i % 3) * 1.0 "
              "ELSE 'b\"\\' || char(10) END, CASE WHEN i % 11 = 0 THEN NULL WHEN i % 4 = 0 THEN "
              "(i + 1) * 0.5 ELSE i END, CASE WHEN i % 2 = 1 OR i % 7 = 3 THEN NULL ELSE i END "
              "FROM n",
              NULL, NULL, NULL) == SQLITE_OK);
#define KS_BY                                                                                      \
    "(SELECT group_concat(r, ';') FROM (SELECT quote(g) || ',' || quote(CASE WHEN typeof(k) IN "   \
    "('integer', 'real') THEN k * 1.0 ELSE k END) || ',' || quote(s1) || ',' || quote(s2) AS r "   \
    "FROM (SELECT g, k, sum(v) AS s1, sum(w) AS s2 FROM ks GROUP BY g, k ORDER BY g, k)))"
#define KS_SUMS                                                                                    \
    "(SELECT group_concat(r, ';') FROM (SELECT quote(t.g) || ',' || quote(CASE WHEN "              \
    "typeof(e.value ->> 0) IN ('integer', 'real') THEN (e.value ->> 0) * 1.0 ELSE e.value ->> 0 "  \
    "END) || ',' || quote(e.value ->> 1) || ',' || quote(e.value ->> 2) AS r FROM (SELECT g, "     \
    "key_sums(k, v, w) AS j FROM ks GROUP BY g ORDER BY g) t, json_each(t.j) e "                   \
    "ORDER BY t.g, e.key))"
    CHECK(is("SELECT length(" KS_BY ") > 2000, " KS_BY " LIKE '%NULL%', " KS_BY
             " LIKE '%.5,%', " KS_BY " IS " KS_SUMS,
             "1|1|1|1"));
    CHECK(is("SELECT key_sums(k, v) FROM ks WHERE 0", "[]"));
    CHECK(is("SELECT key_sums(NULL, 1.5, NULL, 2)", "[[null,1.5,null,2]]"));
    CHECK(is("SELECT key_sums(k, 1) FROM (SELECT 'b' AS k UNION ALL SELECT x'61' UNION ALL "
             "SELECT 'a' UNION ALL SELECT 3 UNION ALL SELECT 2.5 UNION ALL SELECT NULL)",
             "[[null,1],[2.5,1],[3,1],[\"a\",1],[\"b\",1],[\"a\",1]]"));
    CHECK(strncmp(row("SELECT key_sums('x', v) FROM (SELECT 9223372036854775807 AS v UNION "
                      "ALL SELECT 1)"),
                  "error: integer overflow", 23) == 0);
    CHECK(strncmp(row("SELECT key_sums('x')"), "error: wrong number of arguments", 32) == 0);

    CHECK(sqlite3_close(db) == SQLITE_OK);
    return CHECK_DONE("test_analysis_fn");
}
