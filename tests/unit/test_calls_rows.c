/* test_calls_rows: the rows `calls` lists (calls_rows.h) are, cell for cell and in order, the
 * ones the listing read before: call_facts joined to the calls filter_sql selects, with
 * call_metrics' sentences, ordered by start (NULL first, then '' and the rest by their
 * bytes) and id; whether the rows are ordered in memory, by SQLite's sorter from the start
 * (a cap of 0 bytes), or by the sorter after the cap was passed halfway through.
 *
 * The fixture has 400 calls whose ids have two lengths and no relation to their start,
 * starts that repeat, NULL and '' starts, calls without deals, metrics, or a TimeOfCall
 * snapshot, deals without an id, fractional and whole amounts, and text with tabs. The
 * at-call company size and owner terms go through calls_rows' own set of TimeOfCall rows,
 * the reference through filter_sql's lists. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "calls_rows.h"
#include "check.h"
#include "db.h"
#include "ext.h"
#include "filter.h"
#include "mirror_fixture.h"
#include "stages.h"

#include "banned.h"

static sqlite3 *db;
static int uncapped_in_memory = 1; /* what an uncapped listing is expected to do */

static void fixture(void)
{
    struct err e = {0};

    db = fixture_open();
    fixture_exec(
        db,
        "INSERT INTO users(id, first_name, last_name, email) VALUES"
        " ('u0', 'Dana', 'Smith', 'dana@acme.com'), ('u1', 'Lee', 'Chen', 'lee@acme.com'),"
        " ('u2', 'Lee', 'Chen', 'lee.chen@acme.com');"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)"
        " INSERT INTO calls(id, title, started, duration, primary_user_id, url)"
        " SELECT CASE WHEN i % 7 = 0 THEN '9' || i ELSE '1' || printf('%05d', (i * 7919) %"
        "   100000) END,"
        "  'call ' || i || CASE WHEN i % 5 = 0 THEN char(9) || 'tab' ELSE '' END,"
        "  CASE WHEN i % 13 = 0 THEN NULL WHEN i % 11 = 0 THEN ''"
        "   ELSE printf('2024-%02d-%02dT%02d:00:00.000Z', 1 + i % 12, 1 + i % 28, i % 3) END,"
        "  i * 10, 'u' || (i % 3), 'https://example.com/' || i FROM n;"
        "INSERT INTO deals(call_id, timing, ord, deal_id, deal_name, stage, amount, owner,"
        " company_name, company_size)"
        " SELECT id, 'Now', 0, 'd' || (rowid % 150), 'Deal ' || rowid,"
        "  CASE rowid % 3 WHEN 0 THEN 'closedwon' WHEN 1 THEN 'Closed Lost' ELSE 'demo' END,"
        "  CASE WHEN rowid % 2 THEN rowid * 100 ELSE rowid * 100.25 END, 'o' || (rowid % 4),"
        "  'Co ' || (rowid % 9), rowid FROM calls WHERE rowid % 4 != 0;"
        "INSERT INTO deals(call_id, timing, ord, deal_id, stage, amount, owner, company_size)"
        " SELECT call_id, 'TimeOfCall', 0, deal_id, 'early', amount / 2, 'o9', company_size + 7"
        " FROM deals WHERE timing = 'Now' AND rowid % 2 = 0;"
        "INSERT INTO call_metrics(call_id, sentences, rep_talk_ms, customer_talk_ms,"
        " other_talk_ms, rep_questions, customer_questions, switches, rep_replies,"
        " rep_reply_ms) SELECT id, rowid, 100, 100, 0, 0, 0, 0, 0, 0 FROM calls"
        " WHERE rowid % 3 != 0;"
        /* deals without an id: at the call, NULL matches NULL only (not 'NULL') */
        "INSERT INTO calls(id, title, started) VALUES ('n1', 'n1', '2024-07-01T00:00:00.000Z'),"
        " ('n2', 'n2', '2024-07-02T00:00:00.000Z'), ('n3', 'n3', '2024-07-03T00:00:00.000Z');"
        "INSERT INTO deals(call_id, timing, ord, deal_id, stage, owner, company_size) VALUES"
        " ('n1', 'Now', 0, NULL, 'demo', 'q1', 7001), ('n1', 'TimeOfCall', 0, NULL, 'a', 'q2',"
        " 7002), ('n2', 'Now', 0, 'dn2', 'demo', 'q1', 7003), ('n2', 'TimeOfCall', 0, NULL, 'a',"
        " 'q2', 7004), ('n3', 'Now', 0, NULL, 'demo', 'q1', 7005), ('n3', 'TimeOfCall', 0,"
        " 'NULL', 'a', 'q2', 7006);");
    if (stages_apply(db, NULL, &e)) {
        fprintf(stderr, "stages: %s\n", e.msg);
        exit(1);
    }
}

/* Append one cell, typed, to b: what the comparison compares. */
static void put_cell(struct buf *b, const struct out_cell *c)
{
    struct err e = {0};

    switch (c->type) {
    case SQLITE_INTEGER: buf_printf(b, &e, "i%lld|", (long long)c->i); break;
    case SQLITE_FLOAT: buf_printf(b, &e, "f%.17g|", c->d); break;
    case SQLITE_TEXT:
    case SQLITE_BLOB:
        buf_printf(b, &e, "%c%zu:", c->type == SQLITE_TEXT ? 't' : 'b', c->n);
        buf_append(b, c->s, c->n, &e);
        buf_putc(b, '|', &e);
        break;
    default: buf_puts(b, "n|", &e);
    }
}

/* The rows as the listing read them before calls_rows, into b (one line a row). */
static int reference_rows(const struct filter *f, struct buf *b)
{
    struct buf q;
    struct err e = {0};
    sqlite3_stmt *st = NULL;
    int now = f->timing == FILTER_TIMING_NOW, ok = 0, step;

    buf_init(&q, 0);
    buf_printf(&q, &e,
               "SELECT cf.call_id, cf.started, cf.duration, cf.rep_name, cf.%s, cf.%s, "
               "cf.outcome, cf.company_name, cf.deal_name, cf.title, m.sentences, cf.url, "
               "coalesce(cf.rep_id, cf.rep_email), cf.deal_id, cf.has_transcript FROM (SELECT "
               "calls.id AS sid, calls.started AS sstart FROM calls WHERE calls.id IS NOT NULL "
               "AND ",
               now ? "stage" : "stage_at_call", now ? "amount" : "amount_at_call");
    filter_sql(f, &q, &e);
    buf_puts(&q,
             ") s CROSS JOIN call_facts cf ON cf.call_id = s.sid LEFT JOIN call_metrics m ON "
             "m.call_id = cf.call_id ORDER BY s.sstart IS NOT NULL, ifnull(s.sstart, ''), s.sid",
             &e);
    if (sqlite3_prepare_v2(db, q.data, -1, &st, NULL) != SQLITE_OK || filter_bind(f, st, &e) != 0) {
        fprintf(stderr, "  reference: %s\n", sqlite3_errmsg(db));
        goto done;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < CALLS_ROWS_COLUMNS; i++) {
            struct out_cell c;

            out_cell_from_stmt(st, i, &c);
            put_cell(b, &c);
        }
        buf_putc(b, '\n', &e);
    }
    ok = step == SQLITE_DONE;
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return ok;
}

/* The rows calls_rows gives with a cap of max_bytes, into b; *in_memory as it says. */
static int listed_rows(const struct filter *f, size_t max_bytes, struct buf *b, int *in_memory)
{
    struct calls_rows *r = NULL;
    struct out_cell cells[CALLS_ROWS_COLUMNS];
    struct err e = {0};
    int has_row = 0, ok = 0;

    if (calls_rows_open(db, f, max_bytes, &r, &e)) {
        fprintf(stderr, "  calls_rows_open: %s\n", e.msg);
        return 0;
    }
    *in_memory = calls_rows_in_memory(r);
    while (calls_rows_next(r, cells, &has_row, &e) == 0 && has_row) {
        for (int i = 0; i < CALLS_ROWS_COLUMNS; i++)
            put_cell(b, &cells[i]);
        buf_putc(b, '\n', &e);
    }
    ok = !has_row && !e.code;
    calls_rows_free(r);
    return ok;
}

/* Whether the filter (options as code, value pairs, 0-terminated) lists the reference's
 * rows (at least min_rows of them) in memory, by the sorter, and past a cap of 3 KB. */
static int lists_as_before(int min_rows, ...)
{
    static const struct {
        size_t max_bytes;
        int in_memory;
    } ways[] = {{(size_t)1 << 30, 1}, {0, 0}, {3000, 0}};
    struct filter f;
    struct err e = {0};
    struct buf want, got;
    va_list ap;
    int opt, ok = 1, rows = 0;

    filter_init(&f);
    va_start(ap, min_rows);
    while ((opt = va_arg(ap, int)) != 0)
        ok &= filter_option(&f, opt, va_arg(ap, const char *), &e) == 0;
    va_end(ap);
    buf_init(&want, (size_t)1 << 30);
    ok = ok && reference_rows(&f, &want);
    for (size_t i = 0; want.data && i < want.len; i++)
        rows += want.data[i] == '\n';
    if (rows < min_rows) {
        fprintf(stderr, "  %d rows, want at least %d\n", rows, min_rows);
        ok = 0;
    }
    for (size_t w = 0; ok && w < sizeof ways / sizeof ways[0]; w++) {
        int in_memory = -1;

        buf_init(&got, (size_t)1 << 30);
        ok = listed_rows(&f, ways[w].max_bytes, &got, &in_memory) &&
             (!rows || in_memory == (w == 0 ? uncapped_in_memory : ways[w].in_memory)) &&
             got.len == want.len && (!got.len || memcmp(got.data, want.data, got.len) == 0);
        if (!ok)
            fprintf(stderr, "  cap %zu: in memory %d, %zu bytes of rows, want %zu\n",
                    ways[w].max_bytes, in_memory, got.len, want.len);
        buf_release(&got);
    }
    buf_release(&want);
    filter_release(&f);
    return ok;
}

int main(void)
{
    setenv("XDG_CONFIG_HOME", "/nonexistent/callmine-test", 1); /* no user stages config */
    fixture();

    CHECK(lists_as_before(403, 0));
    CHECK(lists_as_before(50, FILTER_OPT_STAGE, "closedwon", 0));
    CHECK(lists_as_before(50, FILTER_OPT_STAGE, "early", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(
        lists_as_before(30, FILTER_OPT_COMPANY_SIZE, "100-300", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(lists_as_before(30, FILTER_OPT_MIN_AMOUNT, "10k", FILTER_OPT_OWNER, "o9",
                          FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(lists_as_before(1, FILTER_OPT_COMPANY_SIZE, "7000-7010", FILTER_OPT_DEAL_TIMING, "call",
                          0));
    CHECK(lists_as_before(1, FILTER_OPT_OWNER, "q2", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(lists_as_before(3, FILTER_OPT_OWNER, "q1", 0));
    CHECK(lists_as_before(100, FILTER_OPT_OUTCOME, "lost,open", 0));
    CHECK(lists_as_before(100, FILTER_OPT_REP, "chen", 0));
    CHECK(lists_as_before(100, FILTER_OPT_PARTICIPANT, "lee", 0));
    CHECK(lists_as_before(100, FILTER_OPT_FROM, "2024-06-01", 0));
    CHECK(lists_as_before(100, FILTER_OPT_WHERE, "duration > 1000", 0));
    CHECK(lists_as_before(0, FILTER_OPT_FROM, "2030-01-01", 0)); /* no row */

    /* a start that is not text (a blob written by hand): left to SQLite's sorter, which
     * puts it after every text */
    fixture_exec(db, "UPDATE calls SET started = x'00ff' WHERE rowid = 5");
    uncapped_in_memory = 0;
    CHECK(lists_as_before(403, 0));
    uncapped_in_memory = 1;
    CHECK(lists_as_before(300, FILTER_OPT_WHERE, "rowid != 5", 0));
    CHECK(lists_as_before(30, FILTER_OPT_COMPANY_SIZE, "100+", FILTER_OPT_DEAL_TIMING, "call", 0));

    sqlite3_close(db);
    return CHECK_DONE("test_calls_rows");
}
