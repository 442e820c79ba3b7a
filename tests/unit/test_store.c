/* test_store: parsed fixture pages written into an in-memory mirror (db_open_rw(":memory:")):
 * every table filled, repeated pages change nothing, TimeOfCall snapshots never change, the
 * transcript queue's states and backoff, and the error messages (SQLite's, disk full). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "grams.h"
#include "isotime.h"
#include "parse.h"
#include "store.h"
#include "zblob.h"

#define CALL1 "45678901234567890123"
#define CALL2 "1000000000000000002"
#define CALL3 "1000000000000000003"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;

    *len = 0;
    if (!f) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (p = malloc((size_t)n + 1)) && fread(p, 1, (size_t)n, f) == (size_t)n) {
        p[n] = '\0';
        *len = (size_t)n;
    }
    fclose(f);
    return p;
}

/* s with the first occurrence of from replaced by to (malloc'd). */
static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    size_t n = strlen(s), nf = strlen(from), nt = strlen(to);
    char *r;

    if (!at)
        return NULL;
    r = malloc(n - nf + nt + 1);
    if (!r)
        return NULL;
    memcpy(r, s, (size_t)(at - s));
    memcpy(r + (at - s), to, nt);
    memcpy(r + (at - s) + nt, at + nf, n - (size_t)(at - s) - nf + 1);
    return r;
}

/* The first column of the first row as int64 (-999 when no row or an error). */
static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -999;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bad test SQL %s: %s\n", sql, sqlite3_errmsg(db));
        return v;
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Does the first column of the first row equal want (NULL: is SQL NULL)? */
static int q_is(sqlite3 *db, const char *sql, const char *want)
{
    sqlite3_stmt *st = NULL;
    int ok = 0;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bad test SQL %s: %s\n", sql, sqlite3_errmsg(db));
        return 0;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);

        ok = want ? v && strcmp(v, want) == 0 : sqlite3_column_type(st, 0) == SQLITE_NULL;
        if (!ok)
            fprintf(stderr, "  %s\n  gave '%s', want '%s'\n", sql, v ? v : "NULL",
                    want ? want : "NULL");
    } else {
        fprintf(stderr, "  %s: no row\n", sql);
    }
    sqlite3_finalize(st);
    return ok;
}

static int put_calls_text(sqlite3 *db, struct store *s, const char *body, int include_private,
                          const char *now, struct store_counts *c, struct err *e)
{
    struct parse_calls_page *p = NULL;
    int rc = parse_calls_page(body, strlen(body), &p, e);

    memset(c, 0, sizeof *c);
    if (rc)
        return rc;
    if (!(rc = db_begin(db, e))) {
        rc = store_put_calls(s, p, include_private, now, c, e);
        if (rc)
            db_rollback(db);
        else
            rc = db_commit(db, e);
    }
    parse_calls_free(p);
    return rc;
}

static void test_users(sqlite3 *db, struct store *s)
{
    struct parse_users_page *p = NULL;
    struct store_counts c = {0};
    struct err e = {0};
    size_t len;
    char *body = slurp("tests/fixtures/users_page.json", &len), *changed;
    int changes;

    CHECK(body && parse_users_page(body, len, &p, &e) == ERR_OK);
    if (!p) {
        free(body);
        return;
    }
    CHECK(store_put_users(s, p, &c, &e) == ERR_OK);
    CHECK(c.n_new == 2 && c.n_updated == 0 && c.n_unchanged == 0);
    CHECK(q_is(db, "SELECT email FROM users WHERE id = '98765432109876543210'", "rita@seller.com"));
    CHECK(q_is(db, "SELECT created FROM users WHERE id = '98765432109876543210'",
               "2023-10-17T19:21:39.277Z"));
    CHECK(q_int(db, "SELECT active FROM users WHERE id = '98765432109876543210'") == 1);
    CHECK(q_is(db, "SELECT email_aliases FROM users WHERE id = '98765432109876543210'",
               "[\"r@seller.com\",\"rita.rep@seller.com\"]"));
    CHECK(q_is(db, "SELECT title FROM users WHERE id = '98765432109876543210'", NULL));
    CHECK(q_is(db,
               "SELECT json_extract(raw, '$.spokenLanguages[0].language') FROM users "
               "WHERE id = '98765432109876543210'",
               "es-ES"));
    CHECK(q_is(db, "SELECT created FROM users WHERE id = '11111111111111111111'", NULL));
    CHECK(q_is(db, "SELECT first_name FROM users WHERE id = '11111111111111111111'", "M\xc3\xa4x"));
    CHECK(q_int(db, "SELECT instr(raw, 'm\\u00e4x@') > 0 FROM users "
                    "WHERE id = '11111111111111111111'") == 1);
    /* the same page again: nothing written */
    changes = sqlite3_total_changes(db);
    memset(&c, 0, sizeof c);
    CHECK(store_put_users(s, p, &c, &e) == ERR_OK);
    CHECK(c.n_new == 0 && c.n_updated == 0 && c.n_unchanged == 2);
    CHECK(sqlite3_total_changes(db) == changes);
    parse_users_free(p);
    p = NULL;
    /* one user changed */
    changed = replace(body, "\"VP Sales\"", "\"CRO\"");
    CHECK(changed && parse_users_page(changed, strlen(changed), &p, &e) == ERR_OK);
    memset(&c, 0, sizeof c);
    CHECK(p && store_put_users(s, p, &c, &e) == ERR_OK);
    CHECK(c.n_new == 0 && c.n_updated == 1 && c.n_unchanged == 1);
    CHECK(q_is(db, "SELECT title FROM users WHERE id = '11111111111111111111'", "CRO"));
    parse_users_free(p);
    free(changed);
    free(body);
}

static void check_first_store(sqlite3 *db)
{
    struct zblob_codec *z = zblob_codec_new(ZBLOB_LEVEL);
    struct buf out;
    struct err e = {0};
    sqlite3_stmt *st = NULL;

    /* calls */
    CHECK(q_int(db, "SELECT count(*) FROM calls") == 3);
    CHECK(q_is(db, "SELECT started FROM calls WHERE id = '" CALL1 "'", "2024-03-01T17:01:12.345Z"));
    CHECK(
        q_is(db, "SELECT scheduled FROM calls WHERE id = '" CALL1 "'", "2024-03-01T17:00:00.000Z"));
    CHECK(q_is(db, "SELECT typeof(duration) || duration FROM calls WHERE id = '" CALL1 "'",
               "integer1834"));
    CHECK(q_is(db, "SELECT title FROM calls WHERE id = '" CALL1 "'",
               "Acme intro \xe2\x80\x94 caf\xc3\xa9 / \"pricing\""));
    CHECK(q_is(db, "SELECT primary_user_id FROM calls WHERE id = '" CALL1 "'",
               "98765432109876543210"));
    CHECK(q_is(db,
               "SELECT outcome_id || '|' || outcome_category || '|' || outcome_name "
               "FROM calls WHERE id = '" CALL1 "'",
               "MEETING_BOOKED|Answered|Meeting booked"));
    CHECK(q_int(db, "SELECT questions_company * 100 + questions_non_company FROM calls "
                    "WHERE id = '" CALL1 "'") == 904);
    CHECK(q_int(db, "SELECT is_private FROM calls WHERE id = '" CALL1 "'") == 0);
    CHECK(q_int(db, "SELECT is_private FROM calls WHERE id = '" CALL2 "'") == 1);
    CHECK(q_is(db, "SELECT purpose FROM calls WHERE id = '" CALL1 "'", NULL));
    CHECK(q_is(db, "SELECT scheduled FROM calls WHERE id = '" CALL2 "'", NULL));
    CHECK(q_int(db, "SELECT duration FROM calls WHERE id = '" CALL2 "'") == 1834);
    CHECK(q_is(db,
               "SELECT first_mirrored || ' ' || last_changed FROM calls "
               "WHERE id = '" CALL1 "'",
               "2024-04-01T00:00:00Z 2024-04-01T00:00:00Z"));
    /* calls_raw: the exact bytes, sqlar-compressed */
    CHECK(q_int(db, "SELECT count(*) FROM calls_raw") == 3);
    CHECK(q_int(db, "SELECT size > length(body) FROM calls_raw WHERE call_id = '" CALL1 "'") == 1);
    buf_init(&out, 0);
    if (z && sqlite3_prepare_v2(db, "SELECT body, size, digest FROM calls_raw", -1, &st, NULL) ==
                 SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const void *b = sqlite3_column_blob(st, 0);
            size_t nb = (size_t)sqlite3_column_bytes(st, 0);
            size_t size = (size_t)sqlite3_column_int64(st, 1);
            char hex[17];

            CHECK(zblob_inflate(z, b, nb, size, &out, &e) == ERR_OK);
            CHECK(out.len == size && out.data[0] == '{' && out.data[size - 1] == '}');
            parse_digest_hex(out.data, out.len, hex);
            CHECK(strcmp(hex, (const char *)sqlite3_column_text(st, 2)) == 0);
        }
        sqlite3_finalize(st);
    }
    buf_release(&out);
    zblob_codec_free(z);
    /* parties */
    CHECK(q_int(db, "SELECT count(*) FROM parties WHERE call_id = '" CALL1 "'") == 3);
    CHECK(q_is(db, "SELECT methods FROM parties WHERE call_id = '" CALL1 "' AND ord = 0",
               "[\"Invitee\",\"Attendee\"]"));
    CHECK(q_is(db, "SELECT speaker_id FROM parties WHERE call_id = '" CALL1 "' AND ord = 2", NULL));
    CHECK(q_is(db, "SELECT name FROM parties WHERE call_id = '" CALL1 "' AND ord = 1",
               "Bob \"B\" Buyer"));
    CHECK(q_int(db, "SELECT count(*) FROM parties WHERE call_id = '" CALL2 "'") == 0);
    /* crm_fields: lossless, JSON types as SQLite's */
    CHECK(q_int(db, "SELECT count(*) FROM crm_fields WHERE call_id = '" CALL1 "'") == 25);
    CHECK(q_int(db, "SELECT count(*) FROM crm_fields WHERE call_id = '" CALL2 "'") == 7);
    CHECK(q_int(db, "SELECT count(*) FROM crm_fields WHERE call_id = '" CALL3 "'") == 8);
    CHECK(q_is(db,
               "SELECT typeof(value) || ':' || value FROM crm_fields "
               "WHERE name = 'hs_whole'",
               "integer:42"));
    CHECK(q_is(db, "SELECT typeof(value) FROM crm_fields WHERE name = 'hs_big'", "real"));
    CHECK(q_is(db, "SELECT typeof(value) || ':' || value FROM crm_fields WHERE name = 'hs_frac'",
               "real:1.5"));
    CHECK(q_is(db, "SELECT typeof(value) || ':' || value FROM crm_fields WHERE name = 'hs_flag'",
               "integer:1"));
    CHECK(q_is(db, "SELECT typeof(value) FROM crm_fields WHERE name = 'hs_null'", "null"));
    CHECK(q_is(db, "SELECT typeof(value) FROM crm_fields WHERE name = 'hs_novalue'", "null"));
    CHECK(q_is(db, "SELECT value FROM crm_fields WHERE name = 'hs_tags'", "[\"a\",\"b\",3]"));
    CHECK(q_is(db,
               "SELECT typeof(value) || ':' || value FROM crm_fields "
               "WHERE name = 'amount' AND timing = 'Now' AND call_id = '" CALL1 "'",
               "text:52000.00"));
    CHECK(q_is(db,
               "SELECT party_ord FROM crm_fields WHERE name = 'dealname' "
               "AND call_id = '" CALL1 "' LIMIT 1",
               NULL));
    CHECK(q_int(db, "SELECT party_ord FROM crm_fields WHERE name = 'jobtitle'") == 1);
    CHECK(q_is(db,
               "SELECT object_type || '/' || object_id || '/' || system || '/' || timing "
               "FROM crm_fields WHERE name = 'jobtitle'",
               "Contact/c-1/HubSpot/Now"));
    /* deals */
    CHECK(q_int(db, "SELECT count(*) FROM deals WHERE call_id = '" CALL1 "'") == 2);
    CHECK(q_int(db, "SELECT count(*) FROM deals WHERE call_id = '" CALL2 "'") == 1);
    CHECK(q_int(db, "SELECT count(*) FROM deals WHERE call_id = '" CALL3 "'") == 2);
    CHECK(q_is(db,
               "SELECT deal_name || '|' || stage || '|' || typeof(amount) || amount || '|' "
               "|| typeof(owner) || owner || '|' || close_date || '|' || company_id || '|' "
               "|| company_name || '|' || typeof(company_size) || company_size || '|' || "
               "system FROM deals WHERE call_id = '" CALL1 "' AND timing = 'Now'",
               "Acme \xe2\x80\x93 Enterprise|closedwon|real52000.0|text123456|"
               "2024-06-29T22:00:00.000Z|7001|Acme Corp|integer1200|HubSpot"));
    CHECK(q_is(db,
               "SELECT stage || '|' || amount || '|' || close_date || '|' || company_name "
               "|| '|' || company_size FROM deals WHERE call_id = '" CALL1 "' "
               "AND timing = 'TimeOfCall'",
               "qualifiedtobuy|40000.0|2024-06-01T00:00:00.000Z|Acme Corp (then)|1000"));
    CHECK(q_is(db,
               "SELECT deal_id || '|' || amount || '|' || close_date || '|' || owner || '|' "
               "|| company_name || '|' || ifnull(company_size, 'NULL') FROM deals "
               "WHERE call_id = '" CALL2 "'",
               "0065g00000AbCdEAAV|1000.0|2024-06-30|0055g000001XyZ|Globex|NULL"));
    CHECK(q_is(db, "SELECT amount FROM deals WHERE call_id = '" CALL3 "' AND deal_id = '9100'",
               NULL));
    CHECK(q_is(db, "SELECT close_date FROM deals WHERE deal_id = '9100'", "soon"));
    /* content and interaction */
    CHECK(q_int(db, "SELECT count(*) FROM topics WHERE call_id = '" CALL1 "'") == 2);
    CHECK(q_is(db,
               "SELECT group_concat(name || ':' || duration, ',') FROM "
               "(SELECT * FROM call_structure WHERE call_id = '" CALL1 "' ORDER BY ord)",
               "Intro:120.0,Demo:900.5"));
    CHECK(q_is(db,
               "SELECT group_concat(tracker_id || ':' || name || ':' || type || ':' || "
               "count, ',') FROM (SELECT * FROM trackers WHERE call_id = '" CALL1 "' "
               "ORDER BY rowid)",
               "888:Competitors:KEYWORD:2,889:Budget:SMART:0"));
    CHECK(q_is(db,
               "SELECT group_concat(tracker_id || '@' || start_s || '/' || speaker_id, ',') "
               "FROM tracker_occurrences WHERE call_id = '" CALL1 "'",
               "888@95.4/7000000000000000002,888@1200.0/7000000000000000001"));
    CHECK(q_is(db,
               "SELECT group_concat(speaker || ':' || ifnull(user_id, '-') || ':' || "
               "talk_time, ',') FROM speakers WHERE call_id = '" CALL1 "'",
               "111:98765432109876543210:812.5,222:-:401.0"));
    CHECK(q_is(db,
               "SELECT group_concat(name || '=' || ifnull(value, 'NULL'), ',') "
               "FROM interaction_stats WHERE call_id = '" CALL1 "'",
               "Interactivity=6.1,Patience=0.9,Talk Ratio=NULL"));
    CHECK(q_is(db, "SELECT text FROM key_points WHERE call_id = '" CALL1 "' AND ord = 0",
               "Budget approved for Q3"));
    CHECK(q_is(db, "SELECT text FROM key_points WHERE call_id = '" CALL1 "' AND ord = 1", NULL));
    CHECK(q_is(db,
               "SELECT group_concat(ord || ':' || start_s || '-' || end_s || ':' || "
               "speaker_id || ':' || snippet, ',') FROM action_items "
               "WHERE call_id = '" CALL1 "'",
               "0:100.5-110.25:7000000000000000001:Send the proposal,"
               "1:200.0-205.0:7000000000000000002:Loop in legal"));
    /* the transcript queue */
    CHECK(q_is(db, "SELECT state FROM transcript_status WHERE call_id = '" CALL1 "'", "pending"));
    CHECK(q_is(db, "SELECT state FROM transcript_status WHERE call_id = '" CALL2 "'", "private"));
    CHECK(q_is(db, "SELECT state FROM transcript_status WHERE call_id = '" CALL3 "'", "pending"));
}

static void test_calls(sqlite3 *db, struct store *s)
{
    struct store_counts c;
    struct err e = {0};
    size_t len;
    char *body = slurp("tests/fixtures/extensive_page.json", &len), *b2 = NULL, *b3 = NULL;
    const char *one;
    int changes;

    CHECK(body != NULL);
    if (!body)
        return;
    CHECK(put_calls_text(db, s, body, 0, "2024-04-01T00:00:00Z", &c, &e) == ERR_OK);
    CHECK(c.n_new == 3 && c.n_updated == 0 && c.n_unchanged == 0);
    check_first_store(db);

    /* the same page again, later: nothing at all changes */
    changes = sqlite3_total_changes(db);
    CHECK(put_calls_text(db, s, body, 0, "2024-04-02T00:00:00Z", &c, &e) == ERR_OK);
    CHECK(c.n_new == 0 && c.n_updated == 0 && c.n_unchanged == 3);
    CHECK(sqlite3_total_changes(db) == changes);
    CHECK(
        q_is(db, "SELECT last_changed FROM calls WHERE id = '" CALL1 "'", "2024-04-01T00:00:00Z"));

    /* --include-private: the private call's transcript is queued; without it, not again */
    CHECK(put_calls_text(db, s, body, 1, "2024-04-02T00:00:00Z", &c, &e) == ERR_OK);
    CHECK(c.n_unchanged == 3);
    CHECK(q_is(db, "SELECT state FROM transcript_status WHERE call_id = '" CALL2 "'", "pending"));
    CHECK(sqlite3_total_changes(db) == changes + 1);
    CHECK(put_calls_text(db, s, body, 0, "2024-04-02T00:00:00Z", &c, &e) == ERR_OK);
    CHECK(q_is(db, "SELECT state FROM transcript_status WHERE call_id = '" CALL2 "'", "private"));

    /* Now values change, and Gong's TimeOfCall values too: only Now is replaced */
    b2 = replace(body, "\"closedwon\"", "\"closedlost\"");
    b3 = b2 ? replace(b2, "\"qualifiedtobuy\"", "\"REWRITTEN\"") : NULL;
    free(b2);
    b2 = b3 ? replace(b3, "\"Acme intro ", "\"Acme intro (2) ") : NULL;
    CHECK(b2 != NULL);
    if (b2) {
        CHECK(put_calls_text(db, s, b2, 0, "2024-04-03T00:00:00Z", &c, &e) == ERR_OK);
        CHECK(c.n_new == 0 && c.n_updated == 1 && c.n_unchanged == 2);
        CHECK(q_is(db,
                   "SELECT first_mirrored || ' ' || last_changed FROM calls "
                   "WHERE id = '" CALL1 "'",
                   "2024-04-01T00:00:00Z 2024-04-03T00:00:00Z"));
        CHECK(q_int(db, "SELECT instr(title, '(2)') > 0 FROM calls WHERE id = '" CALL1 "'") == 1);
        CHECK(q_is(db, "SELECT stage FROM deals WHERE call_id = '" CALL1 "' AND timing = 'Now'",
                   "closedlost"));
        CHECK(q_is(db,
                   "SELECT stage FROM deals WHERE call_id = '" CALL1 "' "
                   "AND timing = 'TimeOfCall'",
                   "qualifiedtobuy"));
        CHECK(q_is(db,
                   "SELECT value FROM crm_fields WHERE call_id = '" CALL1 "' "
                   "AND timing = 'TimeOfCall' AND name = 'dealstage'",
                   "qualifiedtobuy"));
        CHECK(q_is(db,
                   "SELECT value FROM crm_fields WHERE call_id = '" CALL1 "' "
                   "AND timing = 'Now' AND name = 'dealstage'",
                   "closedlost"));
        CHECK(q_int(db, "SELECT count(*) FROM crm_fields WHERE call_id = '" CALL1 "'") == 25);
        CHECK(q_int(db, "SELECT count(*) FROM deals WHERE call_id = '" CALL1 "'") == 2);
        CHECK(q_int(db, "SELECT count(*) FROM parties WHERE call_id = '" CALL1 "'") == 3);
        CHECK(q_int(db, "SELECT count(*) FROM tracker_occurrences WHERE call_id = '" CALL1 "'") ==
              2);
        CHECK(q_int(db, "SELECT count(*) FROM action_items") == 2);
        CHECK(q_int(db, "SELECT count(*) FROM calls_raw WHERE instr(digest, ' ') = 0") == 3);
        /* the unchanged calls kept their timestamps */
        CHECK(q_is(db, "SELECT last_changed FROM calls WHERE id = '" CALL2 "'",
                   "2024-04-01T00:00:00Z"));
    }
    free(b2);
    free(b3);

    /* a call with no TimeOfCall snapshot gets one when Gong first sends it, then keeps it */
    one = "{\"calls\":[{\"metaData\":{\"id\":\"" CALL2 "\",\"isPrivate\":true},"
          "\"context\":[{\"system\":\"Salesforce\",\"objects\":["
          "{\"objectType\":\"Opportunity\",\"objectId\":\"o9\",\"timing\":\"TimeOfCall\","
          "\"fields\":[{\"name\":\"StageName\",\"value\":\"Early\"}]}]}]}]}";
    CHECK(put_calls_text(db, s, one, 0, "2024-04-04T00:00:00Z", &c, &e) == ERR_OK);
    CHECK(c.n_updated == 1);
    CHECK(q_is(db, "SELECT stage FROM deals WHERE call_id = '" CALL2 "' AND timing = 'TimeOfCall'",
               "Early"));
    CHECK(q_int(db, "SELECT count(*) FROM deals WHERE call_id = '" CALL2 "'") == 1); /* Now gone */
    CHECK(q_is(db, "SELECT title FROM calls WHERE id = '" CALL2 "'", NULL));
    b2 = replace(one, "Early", "Late");
    CHECK(b2 && put_calls_text(db, s, b2, 0, "2024-04-05T00:00:00Z", &c, &e) == ERR_OK);
    CHECK(c.n_updated == 1);
    CHECK(q_is(db, "SELECT stage FROM deals WHERE call_id = '" CALL2 "' AND timing = 'TimeOfCall'",
               "Early"));
    CHECK(q_int(db, "SELECT count(*) FROM crm_fields WHERE call_id = '" CALL2 "'") == 1);
    free(b2);
    /* restore the fixture's call 2 (its TimeOfCall deal stays) */
    CHECK(put_calls_text(db, s, body, 0, "2024-04-06T00:00:00Z", &c, &e) == ERR_OK);
    CHECK(c.n_updated == 2 && c.n_unchanged == 1);
    CHECK(q_int(db, "SELECT count(*) FROM deals WHERE call_id = '" CALL2 "'") == 2);
    free(body);
}

/* Is the call's transcript_grams row the filter of text[0..len)? */
static int grams_row_is(sqlite3 *db, const char *call_id, const char *text, size_t len)
{
    unsigned char want[GRAMS_BYTES];
    sqlite3_stmt *st = NULL;
    int ok = 0;

    grams_build(text, len, want, GRAMS_BITS);
    if (sqlite3_prepare_v2(db, "SELECT bits FROM transcript_grams WHERE call_id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, call_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB &&
        sqlite3_column_bytes(st, 0) == (int)GRAMS_BYTES)
        ok = memcmp(sqlite3_column_blob(st, 0), want, GRAMS_BYTES) == 0;
    sqlite3_finalize(st);
    return ok;
}

static void test_transcripts(sqlite3 *db, struct store *s)
{
    struct parse_transcripts_page *p = NULL;
    struct store_counts c = {0};
    struct err e = {0};
    size_t len, n = 99;
    char *body = slurp("tests/fixtures/transcripts_page.json", &len);
    char **ids = NULL;
    int64_t pending = -1;
    int changes;
    struct zblob_codec *z = zblob_codec_new(ZBLOB_LEVEL);
    struct buf out;
    sqlite3_stmt *st = NULL;

    buf_init(&out, 0);
    /* due: pending calls, oldest first; the private one not */
    CHECK(store_due_transcripts(s, "2024-04-06T00:00:00Z", 100, &ids, &n, &e) == ERR_OK);
    CHECK(n == 2 && ids && strcmp(ids[0], CALL1) == 0 && strcmp(ids[1], CALL3) == 0);
    free(ids);
    CHECK(store_due_transcripts(s, "2024-04-06T00:00:00Z", 1, &ids, &n, &e) == ERR_OK);
    CHECK(n == 1 && ids && strcmp(ids[0], CALL1) == 0);
    free(ids);
    CHECK(store_pending_count(s, "2024-04-06T00:00:00Z", &pending, &e) == ERR_OK);
    CHECK(pending == 2);

    CHECK(body && parse_transcripts_page(body, len, &p, &e) == ERR_OK);
    if (!p || !z) {
        free(body);
        zblob_codec_free(z);
        return;
    }
    CHECK(db_begin(db, &e) == ERR_OK);
    CHECK(store_put_transcripts(s, p, "2024-04-06T01:00:00Z", &c, &e) == ERR_OK);
    CHECK(db_commit(db, &e) == ERR_OK);
    CHECK(c.n_new == 3 && c.n_updated == 0 && c.n_unchanged == 0);
    CHECK(q_int(db, "SELECT count(*) FROM transcripts") == 3);
    if (sqlite3_prepare_v2(db,
                           "SELECT body, size, sentences, monologues, fetched FROM "
                           "transcripts WHERE call_id = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        for (size_t i = 0; i < p->n_items; i++) {
            const struct parse_transcript *t = &p->items[i];

            sqlite3_bind_text(st, 1, t->call_id, -1, SQLITE_STATIC);
            CHECK(sqlite3_step(st) == SQLITE_ROW);
            CHECK(sqlite3_column_type(st, 0) == SQLITE_BLOB);
            CHECK(zblob_inflate(z, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                                (size_t)sqlite3_column_int64(st, 1), &out, &e) == ERR_OK);
            CHECK(out.len == t->text_len && (out.len == 0 || !memcmp(out.data, t->text, out.len)));
            CHECK(sqlite3_column_int64(st, 2) == t->sentences);
            CHECK(strcmp((const char *)sqlite3_column_text(st, 3), t->monologues) == 0);
            CHECK(strcmp((const char *)sqlite3_column_text(st, 4), "2024-04-06T01:00:00Z") == 0);
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
    }
    CHECK(q_int(db, "SELECT count(*) FROM transcript_status WHERE state = 'done'") == 3);
    /* each transcript's n-gram filter, written with it */
    CHECK(q_int(db, "SELECT count(*) FROM transcript_grams") == 3);
    for (size_t i = 0; i < p->n_items; i++)
        CHECK(grams_row_is(db, p->items[i].call_id, p->items[i].text, p->items[i].text_len));
    CHECK(q_int(db, "SELECT g.bits <> zeroblob(length(g.bits)) FROM transcript_grams g "
                    "WHERE call_id = '" CALL1 "'") == 1);
    CHECK(q_is(db, "SELECT last_try FROM transcript_status WHERE call_id = '" CALL1 "'",
               "2024-04-06T01:00:00Z"));
    CHECK(q_is(db, "SELECT state FROM transcript_status WHERE call_id = '" CALL2 "'", "private"));
    /* an empty transcript is stored as an empty blob (sqlar: size == length), not NULL */
    CHECK(q_int(db, "SELECT count(*) FROM transcripts WHERE size = 0 AND length(body) = 0 "
                    "AND typeof(body) = 'blob'") == 1);
    /* again: nothing changes */
    changes = sqlite3_total_changes(db);
    memset(&c, 0, sizeof c);
    CHECK(store_put_transcripts(s, p, "2024-04-07T00:00:00Z", &c, &e) == ERR_OK);
    CHECK(c.n_unchanged == 3 && c.n_new == 0 && c.n_updated == 0);
    CHECK(sqlite3_total_changes(db) == changes);
    CHECK(store_due_transcripts(s, "2024-04-07T00:00:00Z", 100, &ids, &n, &e) == ERR_OK);
    CHECK(n == 0 && ids == NULL);
    /* an emptied filter table (a derived index) is refilled; the transcripts stay as they are */
    CHECK(sqlite3_exec(db, "DELETE FROM transcript_grams WHERE call_id = '" CALL1 "'", NULL, NULL,
                       NULL) == SQLITE_OK);
    changes = sqlite3_total_changes(db);
    memset(&c, 0, sizeof c);
    CHECK(store_put_transcripts(s, p, "2024-04-07T12:00:00Z", &c, &e) == ERR_OK);
    CHECK(c.n_unchanged == 3 && c.n_new == 0 && c.n_updated == 0);
    CHECK(sqlite3_total_changes(db) == changes + 1);
    CHECK(grams_row_is(db, CALL1, p->items[0].text, p->items[0].text_len));
    CHECK(q_is(db, "SELECT fetched FROM transcripts WHERE call_id = '" CALL1 "'",
               "2024-04-06T01:00:00Z"));
    changes = sqlite3_total_changes(db);
    CHECK(store_put_transcripts(s, p, "2024-04-07T13:00:00Z", &c, &e) == ERR_OK);
    CHECK(sqlite3_total_changes(db) == changes);
    /* a first load's: no filter written with the transcript (store_defer_grams); the
     * backfill's store_put_grams writes the same row afterwards */
    CHECK(sqlite3_exec(db, "DELETE FROM transcript_grams WHERE call_id = '" CALL1 "'", NULL, NULL,
                       NULL) == SQLITE_OK);
    store_defer_grams(s, 1);
    changes = sqlite3_total_changes(db);
    CHECK(store_put_transcripts(s, p, "2024-04-07T14:00:00Z", &c, &e) == ERR_OK);
    CHECK(sqlite3_total_changes(db) == changes);
    CHECK(q_int(db, "SELECT count(*) FROM transcript_grams WHERE call_id = '" CALL1 "'") == 0);
    store_defer_grams(s, 0);
    CHECK(store_put_grams(s, CALL1, p->items[0].text, p->items[0].text_len, &e) == ERR_OK);
    CHECK(grams_row_is(db, CALL1, p->items[0].text, p->items[0].text_len));
    parse_transcripts_free(p);
    p = NULL;
    /* a changed transcript replaces the row */
    {
        char *b2 = replace(body, "Can everyone hear me?", "Can you all hear me?");

        CHECK(b2 && parse_transcripts_page(b2, strlen(b2), &p, &e) == ERR_OK);
        memset(&c, 0, sizeof c);
        CHECK(p && store_put_transcripts(s, p, "2024-04-08T00:00:00Z", &c, &e) == ERR_OK);
        CHECK(c.n_updated == 1 && c.n_unchanged == 2);
        CHECK(q_is(db, "SELECT fetched FROM transcripts WHERE call_id = '" CALL1 "'",
                   "2024-04-08T00:00:00Z"));
        /* and its filter follows: the new words are in, the old ones out */
        CHECK(p && grams_row_is(db, CALL1, p->items[0].text, p->items[0].text_len));
        {
            sqlite3_stmt *g = NULL;

            if (sqlite3_prepare_v2(db, "SELECT bits FROM transcript_grams WHERE call_id = ?1", -1,
                                   &g, NULL) == SQLITE_OK) {
                sqlite3_bind_text(g, 1, CALL1, -1, SQLITE_STATIC);
                CHECK(sqlite3_step(g) == SQLITE_ROW);
                CHECK(grams_may_contain(sqlite3_column_blob(g, 0), GRAMS_BITS, "you all", 7));
                CHECK(!grams_may_contain(sqlite3_column_blob(g, 0), GRAMS_BITS, "everyone", 8));
                sqlite3_finalize(g);
            }
        }
        parse_transcripts_free(p);
        free(b2);
    }
    buf_release(&out);
    zblob_codec_free(z);
    free(body);
}

static void test_waiting(sqlite3 *db, struct store *s)
{
    struct err e = {0};
    const char *asked[] = {CALL2, "999", CALL1};
    char **ids = NULL;
    size_t n = 0;
    int64_t now = 0, pending = -1;
    char iso[ISOTIME_MAX];

    CHECK(store_backoff_ms(1) == 3600000LL && store_backoff_ms(2) == 7200000LL);
    CHECK(store_backoff_ms(4) == 8 * 3600000LL && store_backoff_ms(8) == 128 * 3600000LL);
    CHECK(store_backoff_ms(9) == 7 * 86400000LL && store_backoff_ms(1000) == 7 * 86400000LL);
    CHECK(store_backoff_ms(0) == 3600000LL);

    CHECK(isotime_parse("2024-04-10T00:00:00Z", 0, &now, &e) == ERR_OK);
    /* the private call becomes pending with --include-private; then asked for, not returned */
    CHECK(db_exec(db, "UPDATE transcript_status SET state = 'pending' WHERE call_id = '" CALL2 "'",
                  &e) == ERR_OK);
    CHECK(store_mark_waiting(s, asked, 3, now, &e) == ERR_OK);
    CHECK(q_is(db,
               "SELECT state || attempts || ' ' || next_try || ' ' || last_try FROM "
               "transcript_status WHERE call_id = '" CALL2 "'",
               "waiting1 2024-04-10T01:00:00.000Z 2024-04-10T00:00:00.000Z"));
    CHECK(q_is(db, "SELECT state || attempts FROM transcript_status WHERE call_id = '999'",
               "waiting1"));
    CHECK(q_is(db, "SELECT state || attempts FROM transcript_status WHERE call_id = '" CALL1 "'",
               "done0")); /* done: left alone */
    /* not due before next_try; due at it */
    CHECK(store_due_transcripts(s, "2024-04-10T00:59:59.999Z", 100, &ids, &n, &e) == ERR_OK);
    CHECK(n == 0);
    CHECK(store_pending_count(s, "2024-04-10T00:59:59Z", &pending, &e) == ERR_OK && pending == 0);
    CHECK(store_due_transcripts(s, "2024-04-10T01:00:00Z", 100, &ids, &n, &e) == ERR_OK);
    CHECK(n == 2 && ids && strcmp(ids[0], "999") == 0 && strcmp(ids[1], CALL2) == 0);
    free(ids);
    CHECK(store_pending_count(s, "2024-04-10T03:00:00+02:00", &pending, &e) == ERR_OK);
    CHECK(pending == 2);
    /* asked again and again: the wait doubles up to 7 days */
    CHECK(store_mark_waiting(s, asked, 1, now + 3600000, &e) == ERR_OK);
    CHECK(q_is(db,
               "SELECT attempts || ' ' || next_try FROM transcript_status "
               "WHERE call_id = '" CALL2 "'",
               "2 2024-04-10T03:00:00.000Z"));
    for (int i = 0; i < 10; i++)
        CHECK(store_mark_waiting(s, asked, 1, now, &e) == ERR_OK);
    isotime_format(now + 7 * 86400000LL, 1, iso);
    CHECK(q_is(db, "SELECT next_try FROM transcript_status WHERE call_id = '" CALL2 "'", iso));
    CHECK(q_int(db, "SELECT attempts FROM transcript_status WHERE call_id = '" CALL2 "'") == 12);
    /* a private call is not touched */
    CHECK(db_exec(db, "UPDATE transcript_status SET state = 'private' WHERE call_id = '999'", &e) ==
          ERR_OK);
    CHECK(store_mark_waiting(s, asked + 1, 1, now, &e) == ERR_OK);
    CHECK(q_is(db, "SELECT state || attempts FROM transcript_status WHERE call_id = '999'",
               "private1"));
    CHECK(store_mark_waiting(s, NULL, 0, now, &e) == ERR_OK);
    /* a bad now */
    CHECK(store_due_transcripts(s, "yesterday", 10, &ids, &n, &e) == ERR_PARSE && ids == NULL);
    CHECK(store_pending_count(s, "", &pending, &e) == ERR_PARSE);
}

static void test_errors(sqlite3 *db, struct store *s)
{
    struct store_counts c;
    struct err e = {0};
    const char *one = "{\"calls\":[{\"metaData\":{\"id\":\"c-81\"},\"parties\":[{\"id\":\"1\"}]}]}";

    /* SQLite's own message, naming the call and the table */
    CHECK(db_exec(db,
                  "CREATE TEMP TRIGGER boom BEFORE INSERT ON parties "
                  "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END",
                  &e) == ERR_OK);
    CHECK(put_calls_text(db, s, one, 0, "2024-05-01T00:00:00Z", &c, &e) == ERR_DB);
    CHECK(e.code == ERR_DB &&
          strcmp(e.msg, "store call 'c-81': parties: FOREIGN KEY constraint failed") == 0);
    CHECK(q_int(db, "SELECT count(*) FROM calls WHERE id = 'c-81'") == 0); /* rolled back */
    CHECK(db_exec(db, "DROP TRIGGER boom", &e) == ERR_OK);
    /* the store still works after an error: statements were reset */
    CHECK(put_calls_text(db, s, one, 0, "2024-05-01T00:00:00Z", &c, &e) == ERR_OK);
    CHECK(c.n_new == 1);
    CHECK(q_int(db, "SELECT count(*) FROM parties WHERE call_id = 'c-81'") == 1);
}

/* A full disk: a database capped at a few pages. */
static void test_disk_full(void)
{
    char path[] = "/tmp/test_store_XXXXXX";
    int fd = mkstemp(path);
    sqlite3 *db = NULL;
    struct store *s = NULL;
    struct err e = {0};
    struct store_counts c = {0};
    struct parse_transcripts_page *p = NULL;
    struct buf body;
    uint64_t x = 88172645463325252ULL;
    char wal[64], shm[64];

    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    unlink(path);
    buf_init(&body, 0);
    CHECK(db_open_rw(path, &db, &e) == ERR_OK);
    CHECK(db && store_open(db, &s, &e) == ERR_OK);
    /* one transcript of 200 KB of incompressible text */
    CHECK(buf_puts(&body,
                   "{\"callTranscripts\":[{\"callId\":\"big\",\"transcript\":[{"
                   "\"speakerId\":\"1\",\"sentences\":[",
                   &e) == ERR_OK);
    for (int i = 0, ok = 1; i < 2000; i++) {
        char t[101];

        for (int k = 0; k < 100; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t[k] = (char)('a' + x % 26);
        }
        t[100] = '\0';
        ok = ok && buf_printf(&body, &e, "%s{\"start\":%d,\"end\":%d,\"text\":\"%s\"}",
                              i ? "," : "", i, i + 1, t) == ERR_OK;
        if (i == 1999)
            CHECK(ok);
    }
    CHECK(buf_puts(&body, "]}]}]}", &e) == ERR_OK);
    CHECK(parse_transcripts_page(body.data, body.len, &p, &e) == ERR_OK);
    if (db && s && p) {
        int64_t pages = q_int(db, "PRAGMA page_count");
        char sql[64];

        snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 4);
        CHECK(db_exec(db, sql, &e) == ERR_OK);
        CHECK(db_begin(db, &e) == ERR_OK);
        CHECK(store_put_transcripts(s, p, "2024-05-01T00:00:00Z", &c, &e) == ERR_IO);
        CHECK(strstr(e.msg, "store transcript 'big': disk full") == e.msg);
        db_rollback(db);
    }
    parse_transcripts_free(p);
    buf_release(&body);
    store_free(s);
    sqlite3_close(db);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path);
    unlink(wal);
    unlink(shm);
}

/* call_metrics follows the parties: a transcript stored before its call is measured with
 * every speaker of unknown side, then again when the call arrives, and again when the
 * call is re-stored with parties that change a side; not for other changes. Also
 * deals.ord and crm_users. A fresh database. Figures for CALL1 by hand: the rep (speaker
 * ...01) talks 1200-4310 and 4310-6020 (one turn, 4820 ms, one question), the customer
 * 6400-7900 and 7900-9000 (2600 ms, after a 380 ms pause: one switch), nobody 9100-9500. */
static void test_metrics_rows(void)
{
    sqlite3 *db = NULL;
    struct store *s = NULL;
    struct parse_transcripts_page *p = NULL;
    struct store_counts c;
    struct err e = {0};
    size_t len = 0, tlen = 0;
    char *calls = slurp("tests/fixtures/extensive_page.json", &len);
    char *trs = slurp("tests/fixtures/transcripts_page.json", &tlen);
    char *b1 = NULL, *b2 = NULL, *b3 = NULL;
    const char *m1 = "SELECT sentences || '|' || ifnull(rep_speaker_id, 'N') || '|' || "
                     "ifnull(rep_user_id, 'N') || '|' || rep_talk_ms || '|' || "
                     "customer_talk_ms || '|' || other_talk_ms || '|' || rep_questions || '|' || "
                     "customer_questions || '|' || ifnull(rep_longest_ms, 'N') || '|' || "
                     "ifnull(customer_longest_ms, 'N') || '|' || switches || '|' || "
                     "rep_replies || '|' || rep_reply_ms || '|' || ifnull(first_ms, 'N') || "
                     "'|' || ifnull(last_ms, 'N') FROM call_metrics WHERE call_id = ";

    CHECK(calls && trs && db_open_rw(":memory:", &db, &e) == ERR_OK);
    CHECK(db && store_open(db, &s, &e) == ERR_OK);
    if (!s || !calls || !trs)
        goto done;
    CHECK(parse_transcripts_page(trs, tlen, &p, &e) == ERR_OK);
    CHECK(p && store_put_transcripts(s, p, "2024-04-06T01:00:00.000Z", &c, &e) == ERR_OK);
    {
        char q[1024];

        snprintf(q, sizeof q, "%s'%s'", m1, CALL1);
        CHECK(q_is(db, q, "5|N|N|0|0|7820|0|0|N|N|0|0|0|1200|9500"));
        CHECK(put_calls_text(db, s, calls, 0, "2024-04-06T02:00:00.000Z", &c, &e) == ERR_OK);
        CHECK(q_is(db, q,
                   "5|7000000000000000001|98765432109876543210|4820|2600|400|1|0|4820|2600|1|0|"
                   "0|1200|9500"));
        snprintf(q, sizeof q, "%s'%s'", m1, CALL3);
        CHECK(q_is(db, q, "0|N|N|0|0|0|0|0|N|N|0|0|0|N|N"));
        /* a transcript whose call is not stored: its speaker has no side */
        CHECK(q_is(db,
                   "SELECT other_talk_ms || '|' || sentences FROM call_metrics "
                   "WHERE call_id = '1000000000000000004'",
                   "10|1"));
        CHECK(q_int(db, "SELECT count(*) FROM call_metrics") == 3);
        /* Gong's order of deals per timing */
        CHECK(q_is(db,
                   "SELECT group_concat(deal_id || ':' || ord) FROM (SELECT * FROM deals "
                   "WHERE call_id = '" CALL3 "' AND timing = 'Now' ORDER BY ord)",
                   "9100:0,9101:1"));
        CHECK(q_int(db, "SELECT count(*) FROM deals WHERE ord <> 0 AND call_id <> '" CALL3 "'") ==
              0);

        /* a change that moves no speaker's side leaves the row alone (planted: 99) */
        CHECK(sqlite3_exec(db, "UPDATE call_metrics SET sentences = 99 WHERE call_id = '" CALL1 "'",
                           NULL, NULL, NULL) == SQLITE_OK);
        b1 = replace(calls, "\"name\":\"Rita Rep\"", "\"name\":\"Rita R. Rep\"");
        CHECK(b1 && put_calls_text(db, s, b1, 0, "2024-04-07T00:00:00.000Z", &c, &e) == ERR_OK);
        CHECK(c.n_updated == 1);
        CHECK(q_int(db, "SELECT sentences FROM call_metrics WHERE call_id = '" CALL1 "'") == 99);
        /* the rep party now External: nobody is internal */
        b2 =
            b1 ? replace(b1, "\"affiliation\":\"Internal\"", "\"affiliation\":\"External\"") : NULL;
        CHECK(b2 && put_calls_text(db, s, b2, 0, "2024-04-08T00:00:00.000Z", &c, &e) == ERR_OK);
        snprintf(q, sizeof q, "%s'%s'", m1, CALL1);
        CHECK(q_is(db, q, "5|N|N|0|7420|400|0|1|N|4820|0|0|0|1200|9500"));
        /* a party-level CRM User names a CRM user */
        b3 = b2 ? replace(b2,
                          "{\"objectType\":\"Contact\",\"objectId\":\"c-1\",\"timing\":\"Now\",\n"
                          "        \"fields\":[{\"name\":\"jobtitle\",\"value\":\"CFO\"}]}",
                          "{\"objectType\":\"User\",\"objectId\":\"0055g00000XyZ\","
                          "\"timing\":\"Now\",\"fields\":[{\"name\":\"Name\",\"value\":\"Olga "
                          "Owner\"},{\"name\":\"EMAIL\",\"value\":\"olga@seller.com\"}]}")
                : NULL;
        CHECK(b3 && put_calls_text(db, s, b3, 0, "2024-04-09T00:00:00.000Z", &c, &e) == ERR_OK);
        CHECK(q_is(db,
                   "SELECT crm_id || '|' || system || '|' || name || '|' || email FROM crm_users",
                   "0055g00000XyZ|HubSpot|Olga Owner|olga@seller.com"));
    }
done:
    free(b1);
    free(b2);
    free(b3);
    parse_transcripts_free(p);
    store_free(s);
    sqlite3_close(db);
    free(calls);
    free(trs);
}

int main(void)
{
    sqlite3 *db = NULL;
    struct store *s = NULL;
    struct err e = {0};

    CHECK(db_open_rw(":memory:", &db, &e) == ERR_OK);
    CHECK(db && store_open(db, &s, &e) == ERR_OK);
    if (!s) {
        fprintf(stderr, "%s\n", e.msg);
        sqlite3_close(db);
        return CHECK_DONE("test_store");
    }
    test_users(db, s);
    test_calls(db, s);
    test_transcripts(db, s);
    test_waiting(db, s);
    test_errors(db, s);
    store_free(s);
    store_free(NULL);
    sqlite3_close(db);
    test_disk_full();
    test_metrics_rows();
    return CHECK_DONE("test_store");
}
