/* test_scope: the scope the analyses and the report read (query/scope.h) is one set of rows
 * whichever way it is read: over the views (analyze), from the report's table
 * (scope_materialize, its stats kept or looked up), for each deal timing and filter; it
 * walks the calls in id order; its rep is call_facts'. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "db.h"
#include "ext.h"
#include "filter.h"
#include "mirror_fixture.h"
#include "scope.h"
#include "stages.h"

#include "banned.h"

static sqlite3 *db;

/* Calls inserted out of id order (arrival order differs from id order), with reps by speech
 * and by primary user, two users who share a name, a rep known only as a party, a deal that
 * moved since the call, a call without deal, one without transcript, Gong stats on some. */
static void fixture(void)
{
    struct err e = {0};

    db = fixture_open();
    fixture_exec(
        db,
        "INSERT INTO users(id, first_name, last_name, email) VALUES"
        " ('u1', 'Dana', 'Smith', 'dana@acme.com'), ('u2', 'Lee', 'Chen', 'lee@acme.com'),"
        " ('u3', 'Lee', 'Chen', 'lee.chen@acme.com');"
        "INSERT INTO calls(id, title, url, started, duration, scope, primary_user_id, purpose,"
        " questions_company, is_private) VALUES"
        " ('k9', 'Intro call', 'https://g/k9', '2024-03-04T10:00:00.000Z', 600, 'External',"
        "  'u1', NULL, 7, 0),"
        " ('a1', 'Demo', 'https://g/a1', '2024-03-01T10:00:00.000Z', 1200, 'Internal', 'u2',"
        "  'Discovery', 3, 1),"
        " ('m5', 'Renewal', NULL, '2024-01-15T09:30:00.500Z', 0, NULL, 'u3', NULL, NULL, 0),"
        " ('b2', 'Kickoff', 'https://g/b2', NULL, 300, 'External', NULL, NULL, 2, 0);"
        "INSERT INTO parties(call_id, ord, speaker_id, user_id, name, email, affiliation) VALUES"
        " ('k9', 0, 's1', 'u2', 'Lee Chen', 'lee@acme.com', 'Internal'),"
        " ('k9', 1, 's2', NULL, 'Bo Buyer', 'bo@globex.com', 'External'),"
        " ('a1', 0, 's3', 'u2', 'Lee Chen', NULL, 'Internal'),"
        " ('a1', 1, 's4', NULL, 'Cy Client', NULL, 'External'),"
        " ('m5', 0, 's5', NULL, 'Pat Party', 'pat@acme.com', 'Internal');"
        "INSERT INTO call_metrics(call_id, sentences, rep_speaker_id, rep_user_id, rep_talk_ms,"
        " customer_talk_ms, other_talk_ms, rep_questions, customer_questions, rep_longest_ms,"
        " customer_longest_ms, switches, rep_replies, rep_reply_ms, first_ms, last_ms) VALUES"
        " ('k9', 40, 's1', 'u2', 9000, 6000, 0, 12, 3, 4000, 2000, 20, 8, 4000, 0, 600000),"
        " ('a1', 10, 's3', 'u2', 5000, 5000, 0, 2, 2, 1000, 900, 4, 3, 900, 100, 900000),"
        " ('m5', 5, 's5', NULL, 3000, 0, 0, 1, 0, 3000, NULL, 0, 0, 0, 0, 30000);"
        "INSERT INTO interaction_stats(call_id, name, value) VALUES"
        " ('k9', 'Talk Ratio', 0.61), ('k9', 'Patience', 1.5), ('k9', 'Interactivity', 7),"
        " ('a1', 'Longest Monologue', 95), ('a1', 'Longest Customer Story', 40);"
        "INSERT INTO deals(call_id, timing, ord, deal_id, deal_name, stage, amount, owner,"
        " close_date, company_name, company_size) VALUES"
        " ('k9', 'TimeOfCall', 0, 'd1', 'Globex', 'qualified', 1000, 'OWN-1', NULL, 'Globex',"
        "  120),"
        " ('k9', 'Now', 0, 'd1', 'Globex', 'closedwon', 5000, 'OWN-1', '2024-05-01', 'Globex',"
        "  150),"
        " ('a1', 'Now', 0, 'd2', 'Initech', 'closedlost', 700, NULL, NULL, 'Initech', NULL),"
        " ('b2', 'TimeOfCall', 0, 'd3', 'Hooli', 'demo', 50, NULL, NULL, 'Hooli', 9000);");
    if (stages_apply(db, NULL, &e)) {
        fprintf(stderr, "stages: %s\n", e.msg);
        exit(1);
    }
}

/* Every row of temp.scope_calls as text, one line per call in the order read: each value
 * quoted with its type, columns in their order (named in the first line). NULL on error. */
static char *dump_scope(void)
{
    sqlite3_stmt *st = NULL;
    struct buf q, out;
    struct err e = {0};
    int n = 0, ok = 1;

    buf_init(&q, 0);
    buf_init(&out, 0);
    ok = sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('scope_calls', 'temp')", -1,
                            &st, NULL) == SQLITE_OK &&
         buf_puts(&q, "SELECT ''", &e) == 0;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);

        ok = buf_printf(&out, &e, "%s,", col) == 0 &&
             buf_printf(&q, &e, " || '|' || typeof(\"%s\") || ':' || quote(\"%s\")", col, col) == 0;
        n++;
    }
    sqlite3_finalize(st);
    st = NULL;
    ok = ok && n > 40 && buf_puts(&q, " FROM temp.scope_calls", &e) == 0 &&
         buf_putc(&out, '\n', &e) == 0 &&
         sqlite3_prepare_v2(db, q.data, -1, &st, NULL) == SQLITE_OK;
    while (ok && sqlite3_step(st) == SQLITE_ROW)
        ok = buf_printf(&out, &e, "%s\n", (const char *)sqlite3_column_text(st, 0)) == 0;
    sqlite3_finalize(st);
    buf_release(&q);
    if (!ok) {
        fprintf(stderr, "dump: %s\n", sqlite3_errmsg(db));
        buf_release(&out);
        return NULL;
    }
    return out.data;
}

/* The scope of the filter (no option, or opt arg) is the same read over the views (with the
 * deals joined or looked up) as from the report's table with its stats kept or looked up;
 * *rows is its number of calls. */
static int same_every_way(int opt, const char *arg, int *rows)
{
    struct filter f;
    struct err e = {0};
    char *views = NULL, *other = NULL;
    int ok = 1;

    filter_init(&f);
    if (opt && filter_option(&f, opt, arg, &e)) {
        fprintf(stderr, "filter: %s\n", e.msg);
        filter_release(&f);
        return 0;
    }
    for (int way = 0; way < 4 && ok; way++) {
        char *d;

        ok = scope_build(db, &f, way != 1, &e) == 0 &&
             (way < 2 || scope_materialize(db, way == 3, &e) == 0) && (d = dump_scope()) != NULL;
        if (!ok) {
            fprintf(stderr, "scope (way %d): %s\n", way, e.msg);
            break;
        }
        if (!views) {
            views = d;
            continue;
        }
        free(other);
        other = d;
        if (strcmp(views, other) != 0) {
            fprintf(stderr, "way %d differs:\n%s---\n%s", way, views, other);
            ok = 0;
        }
    }
    *rows = 0;
    for (const char *p = views; ok && p && *p; p++)
        *rows += *p == '\n';
    *rows -= 1; /* the names */
    free(views);
    free(other);
    filter_release(&f);
    return ok;
}

/* The first count of the query q (over the scope last built). */
static long long count(const char *q)
{
    sqlite3_stmt *st = NULL;
    long long n = -1;

    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        fprintf(stderr, "count: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return n;
}

/* Whether a line of q's query plan contains detail. */
static int plan_has(const char *q, const char *detail)
{
    sqlite3_stmt *st = NULL;
    char sql[512];
    int found = 0;

    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", q);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fprintf(stderr, "plan: %s\n", sqlite3_errmsg(db));
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 3);

        found |= d && strstr(d, detail) != NULL;
    }
    sqlite3_finalize(st);
    return found;
}

int main(void)
{
    struct filter f;
    struct err e = {0};
    int rows = 0;

    setenv("XDG_CONFIG_HOME", "/nonexistent/callmine-test", 1); /* no user stages config */
    fixture();

    CHECK(same_every_way(0, NULL, &rows) && rows == 4);
    CHECK(same_every_way(FILTER_OPT_DEAL_TIMING, "call", &rows) && rows == 4);
    CHECK(same_every_way(FILTER_OPT_FROM, "2024-03-01", &rows) && rows == 2);
    CHECK(same_every_way(FILTER_OPT_REP, "lee chen", &rows) && rows == 2);
    CHECK(same_every_way(FILTER_OPT_STAGE, "closedlost", &rows) && rows == 1);

    /* over the views and over the table: the calls in id order (each lookup on the page the
     * previous one read), with the calls row's columns copied right */
    filter_init(&f);
    for (int mat = 0; mat < 2; mat++) {
        CHECK(scope_build(db, &f, 1, &e) == 0 && (!mat || scope_materialize(db, 0, &e) == 0));
        CHECK(count("SELECT group_concat(call_id, ',') = 'a1,b2,k9,m5' FROM temp.scope_calls") ==
              1);
        CHECK(count("SELECT count(*) FROM temp.scope_calls s JOIN calls c ON c.id = s.call_id "
                    "WHERE s.primary_user_id IS c.primary_user_id AND s.gong_questions IS "
                    "c.questions_company AND s.title IS c.title AND s.url IS c.url AND "
                    "s.started IS c.started AND s.duration IS c.duration") == 4);
        /* discovery: the purpose says so (a1) or the title names an intro (k9) */
        CHECK(count("SELECT group_concat(call_id, ',') = 'a1,k9' FROM temp.scope_calls "
                    "WHERE discovery") == 1);
        /* the rep is call_facts', call by call; namesakes are told apart by e-mail */
        CHECK(count("SELECT count(*) FROM temp.scope_calls s JOIN call_facts f ON f.call_id = "
                    "s.call_id WHERE s.rep_id IS f.rep_id AND s.rep_name IS f.rep_name AND "
                    "s.rep_email IS f.rep_email AND s.rep_source IS f.rep_source AND "
                    "s.outcome IS f.outcome AND s.stage IS f.stage") == 4);
        CHECK(count("SELECT count(*) FROM temp.scope_calls WHERE rep_label = "
                    "'Lee Chen <lee.chen@acme.com>' AND call_id = 'm5'") == 0);
        CHECK(count("SELECT count(*) FROM temp.scope_calls WHERE rep_label = "
                    "'Lee Chen <lee@acme.com>'") == 2);
        CHECK(count("SELECT count(*) FROM temp.scope_calls WHERE call_id = 'm5' AND rep_label = "
                    "'Pat Party' AND rep_key = 'Pat Party' AND rep_id IS NULL") == 1);
        CHECK(count("SELECT count(*) FROM temp.scope_calls WHERE call_id = 'k9' AND "
                    "gong_talk_ratio = 0.61 AND gong_patience_s = 1.5 AND "
                    "gong_longest_monologue_s IS NULL AND month = '2024-03' AND week = "
                    "'2024-03-04' AND owner = 'OWN-1' AND close_date = '2024-05-01'") == 1);
    }
    /* the table leaves the columns it reads back out; the report's passes read fewer pages */
    CHECK(count("SELECT count(*) FROM pragma_table_info('scope_rows', 'temp') WHERE name IN "
                "('title', 'url', 'owner', 'close_date', 'rep_key', 'month')") == 0);
    CHECK(count("SELECT count(*) FROM pragma_table_info('scope_rows', 'temp') WHERE name = "
                "'gong_talk_ratio'") == 1);
    CHECK(scope_build(db, &f, 1, &e) == 0 && scope_materialize(db, 1, &e) == 0);
    CHECK(count("SELECT count(*) FROM pragma_table_info('scope_rows', 'temp') WHERE name = "
                "'gong_talk_ratio'") == 0);
    CHECK(count("SELECT count(*) FROM temp.scope_calls WHERE gong_talk_ratio = 0.61") == 1);
    CHECK(count("SELECT count(*) FROM temp.sqlite_schema WHERE name = 'scope_stats'") == 0);

    /* a mirror without interaction_stats_call (a first load's, ingest/bulk.h): the same
     * scope every way, Gong's stats read from an indexed copy, looked up on its index */
    {
        char *with = NULL, *without = NULL;

        CHECK(scope_build(db, &f, 1, &e) == 0 && (with = dump_scope()) != NULL);
        CHECK(sqlite3_exec(db, "DROP INDEX interaction_stats_call", NULL, NULL, NULL) == SQLITE_OK);
        CHECK(same_every_way(0, NULL, &rows) && rows == 4);
        CHECK(same_every_way(FILTER_OPT_REP, "lee chen", &rows) && rows == 2);
        CHECK(scope_build(db, &f, 1, &e) == 0 && (without = dump_scope()) != NULL);
        CHECK(with && without && strcmp(with, without) == 0);
        CHECK(count("SELECT count(*) FROM temp.scope_stats") == 5);
        CHECK(plan_has("SELECT gong_talk_ratio FROM temp.scope_calls",
                       "SEARCH g USING COVERING INDEX scope_stats_call"));
        CHECK(scope_build(db, &f, 1, &e) == 0 && scope_materialize(db, 1, &e) == 0);
        CHECK(count("SELECT count(*) FROM temp.scope_calls WHERE gong_talk_ratio = 0.61") == 1);
        free(with);
        free(without);
    }
    filter_release(&f);
    sqlite3_close(db);
    return CHECK_DONE("test_scope");
}
