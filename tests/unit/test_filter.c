/* test_filter: FILTERS parse strictly, compile to one condition over calls with bound
 * parameters, and select exactly the calls CONTRACT.md's "Precise meanings" describe. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "db.h"
#include "filter.h"

#include "banned.h"

static sqlite3 *db;

static void exec(const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fixture: %s\n", msg);
        exit(1);
    }
}

static void fixture(void)
{
    struct err e = {0};

    if (db_open_rw(":memory:", &db, &e)) {
        fprintf(stderr, "open: %s\n", e.msg);
        exit(1);
    }
    exec("INSERT INTO users(id, first_name, last_name, email) VALUES"
         " ('u1', 'Dana', 'Smith', 'dana@acme.com'), ('u2', 'Lee', 'O''Brien', 'lee@acme.com'),"
         " ('u3', 'Omar', 'Owner', 'omar@acme.com');"
         "INSERT INTO calls(id, title, started, duration, primary_user_id) VALUES"
         " ('c1', 'one', '2024-02-29T23:59:59.999Z', 600, 'u1'),"
         " ('c2', 'two', '2024-03-01T00:00:00Z', 1200, 'u2'),"
         " ('c3', 'three', '2024-03-01T00:00:00.500Z', 1800, NULL),"
         " ('c4', 'four', '2024-03-02T10:00:00Z', 2400, NULL),"
         " ('c5', 'five', NULL, 100, NULL);"
         "INSERT INTO parties(call_id, ord, speaker_id, name, email, affiliation) VALUES"
         " ('c3', 0, 's1', 'Priya Patel', 'priya@acme.com', 'Internal'),"
         " ('c3', 1, 's2', 'Bob Buyer', 'bob@globex.com', 'External'),"
         " ('c4', 0, 's3', 'Dana Smith', 'dana@acme.com', 'External');"
         /* c1: TimeOfCall and Now differ; c2: only Now; c3: two deals at TimeOfCall */
         "INSERT INTO deals(call_id, timing, deal_id, stage, amount, owner, company_size) VALUES"
         " ('c1', 'TimeOfCall', 'd1', 'qualified', 1000, 'OWN-9', 50),"
         " ('c1', 'Now', 'd1', 'closedwon', 5000, 'OWN-9', 60),"
         " ('c2', 'Now', 'd2', 'ClosedLost', 5000, 'u3', 1000),"
         " ('c3', 'TimeOfCall', 'd3', 'qualified', 100, NULL, 10),"
         " ('c3', 'TimeOfCall', 'd4', 'demo', 999999, NULL, 20000);");
}

/* The ids the filter selects, comma-separated in id order ("" for none). */
static char *select_ids(const struct filter *f)
{
    struct buf q;
    struct err e = {0};
    sqlite3_stmt *st = NULL;
    char *out = NULL;

    buf_init(&q, 0);
    buf_puts(&q,
             "SELECT ifnull(group_concat(id, ','), '') FROM (SELECT calls.id AS id FROM calls "
             "WHERE ",
             &e);
    filter_sql(f, &q, &e);
    buf_puts(&q, " ORDER BY calls.id)", &e);
    if (sqlite3_prepare_v2(db, q.data, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "  prepare: %s\n  %s\n", sqlite3_errmsg(db), q.data);
    } else if (filter_bind(f, st, &e) == 0 && sqlite3_step(st) == SQLITE_ROW) {
        out = strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    buf_release(&q);
    return out;
}

/* Apply options (pairs of code, value, terminated by 0) and compare the selection. */
static int selects(const char *want, ...)
{
    struct filter f;
    struct err e = {0};
    va_list ap;
    int opt, ok = 1;
    char *got;

    filter_init(&f);
    va_start(ap, want);
    while ((opt = va_arg(ap, int)) != 0) {
        const char *arg = va_arg(ap, const char *);

        if (filter_option(&f, opt, arg, &e) != 0) {
            fprintf(stderr, "  option %s: %s\n", arg, e.msg);
            ok = 0;
        }
    }
    va_end(ap);
    got = ok ? select_ids(&f) : NULL;
    ok = ok && got && strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "  selected '%s', want '%s'\n", got ? got : "(error)", want);
    free(got);
    filter_release(&f);
    return ok;
}

static int refuses(int opt, const char *arg, const char *msg_part)
{
    struct filter f;
    struct err e = {0};
    int rc;

    filter_init(&f);
    rc = filter_option(&f, opt, arg, &e);
    filter_release(&f);
    if (rc != ERR_USAGE || !strstr(e.msg, msg_part))
        fprintf(stderr, "  %s -> %d '%s'\n", arg, rc, e.msg);
    return rc == ERR_USAGE && strstr(e.msg, msg_part) != NULL;
}

static int where_refused(const char *where)
{
    struct filter f;
    struct err e = {0};
    int rc;

    filter_init(&f);
    rc = filter_option(&f, FILTER_OPT_WHERE, where, &e);
    if (!rc)
        rc = filter_validate(&f, db, &e);
    filter_release(&f);
    return rc == ERR_USAGE && strncmp(e.msg, "--where", 7) == 0;
}

int main(void)
{
    struct filter f;
    struct err e = {0};
    struct buf b;

    fixture();

    /* no filter: everything, as the condition "(1)" */
    filter_init(&f);
    buf_init(&b, 0);
    CHECK(filter_sql(&f, &b, &e) == 0 && strcmp(b.data, "(1)") == 0);
    buf_release(&b);
    CHECK(filter_option(&f, 'x', "y", &e) == FILTER_PASS);
    filter_release(&f);
    CHECK(selects("c1,c2,c3,c4,c5", 0));

    /* time windows: from inclusive, to exclusive, milliseconds exact */
    CHECK(selects("c2,c3,c4", FILTER_OPT_FROM, "2024-03-01", 0));
    CHECK(selects("c1", FILTER_OPT_TO, "2024-03-01", 0));
    CHECK(selects("c3,c4", FILTER_OPT_FROM, "2024-03-01T00:00:00.001Z", 0));
    CHECK(selects("c1,c2", FILTER_OPT_TO, "2024-03-01T00:00:00.500Z", 0));
    CHECK(selects("c1,c2,c3", FILTER_OPT_TO, "2024-03-01T00:00:00.501Z", 0));
    CHECK(selects("c1", FILTER_OPT_FROM, "2024-02-29T23:59:59.999Z", FILTER_OPT_TO,
                  "2024-03-01T00:00:00Z", 0));
    CHECK(selects("c2,c3", FILTER_OPT_FROM, "2024-03-01T01:00:00+01:00", FILTER_OPT_TO,
                  "2024-03-01T01:00:01+01:00", 0));
    CHECK(refuses(FILTER_OPT_FROM, "yesterday", "--from 'yesterday'"));
    CHECK(refuses(FILTER_OPT_TO, "2024-03-01T10:00:00", "--to"));
    CHECK(refuses(FILTER_OPT_FROM, "2024-02-30", "--from"));
    filter_init(&f);
    CHECK(filter_option(&f, FILTER_OPT_FROM, "2024-03-02", &e) == 0);
    CHECK(filter_option(&f, FILTER_OPT_TO, "2024-03-01", &e) == ERR_USAGE);
    filter_release(&f);

    /* --rep: internal parties' name or e-mail, or the primary user's, ignoring case */
    CHECK(selects("c1", FILTER_OPT_REP, "DANA", 0)); /* c4's Dana is External */
    CHECK(selects("c3", FILTER_OPT_REP, "priya@", 0));
    CHECK(selects("c2", FILTER_OPT_REP, "o'brien", 0)); /* bound, never formatted */
    CHECK(selects("c1,c2,c3", FILTER_OPT_REP, "@acme.com", 0));
    CHECK(selects("", FILTER_OPT_REP, "bob", 0));
    CHECK(selects("", FILTER_OPT_REP, "%", 0)); /* no LIKE wildcards */
    CHECK(refuses(FILTER_OPT_REP, "", "--rep"));

    /* --stage: exact, ignoring case, commas; --deal-timing call falls back per call */
    CHECK(selects("c1,c3", FILTER_OPT_STAGE, "Qualified", 0));
    CHECK(selects("c2", FILTER_OPT_STAGE, "closedlost", 0)); /* c2 has only Now */
    CHECK(selects("c2,c3", FILTER_OPT_STAGE, "closedlost, demo", 0));
    CHECK(selects("", FILTER_OPT_STAGE, "closed", 0));
    CHECK(selects("", FILTER_OPT_STAGE, "closedwon", 0)); /* c1's Now row is not read */
    CHECK(selects("c1,c2", FILTER_OPT_STAGE, "closedwon,closedlost", FILTER_OPT_DEAL_TIMING, "now",
                  0));
    CHECK(selects("c1", FILTER_OPT_STAGE, "a", FILTER_OPT_STAGE, "qualified", FILTER_OPT_TO,
                  "2024-03-01", 0));
    CHECK(refuses(FILTER_OPT_STAGE, " , ", "--stage"));
    CHECK(refuses(FILTER_OPT_DEAL_TIMING, "later", "--deal-timing"));

    /* amounts inclusive; all deal terms hold for the same deal */
    CHECK(selects("c1,c3", FILTER_OPT_MAX_AMOUNT, "1000", 0));
    CHECK(selects("c2,c3", FILTER_OPT_MIN_AMOUNT, "5000", 0));
    CHECK(selects("c1,c2", FILTER_OPT_MIN_AMOUNT, "5000", FILTER_OPT_DEAL_TIMING, "now", 0));
    CHECK(selects("", FILTER_OPT_MIN_AMOUNT, "5000", FILTER_OPT_STAGE, "qualified", 0));
    CHECK(selects("c3", FILTER_OPT_MIN_AMOUNT, "5000", FILTER_OPT_STAGE, "demo", 0));
    CHECK(refuses(FILTER_OPT_MIN_AMOUNT, "5k", "--min-amount '5k'"));
    CHECK(refuses(FILTER_OPT_MAX_AMOUNT, "", "--max-amount"));
    filter_init(&f);
    CHECK(filter_option(&f, FILTER_OPT_MIN_AMOUNT, "10", &e) == 0);
    CHECK(filter_option(&f, FILTER_OPT_MAX_AMOUNT, "5", &e) == ERR_USAGE);
    filter_release(&f);

    /* --owner: the value, or the name of the user it names */
    CHECK(selects("c1", FILTER_OPT_OWNER, "own-9", 0));
    CHECK(selects("c2", FILTER_OPT_OWNER, "omar", 0));
    CHECK(selects("c2", FILTER_OPT_OWNER, "U3", 0));
    CHECK(selects("c2", FILTER_OPT_OWNER, "own", 0)); /* not OWN-9: values match exactly */

    /* --company-size */
    CHECK(selects("c1,c3", FILTER_OPT_COMPANY_SIZE, "10-50", 0));
    CHECK(selects("c2,c3", FILTER_OPT_COMPANY_SIZE, "1000+", 0));
    CHECK(selects("c1", FILTER_OPT_COMPANY_SIZE, "50", 0));
    CHECK(selects("c1", FILTER_OPT_COMPANY_SIZE, "60", FILTER_OPT_DEAL_TIMING, "now", 0));
    CHECK(refuses(FILTER_OPT_COMPANY_SIZE, "50-10", "--company-size"));
    CHECK(refuses(FILTER_OPT_COMPANY_SIZE, "big", "--company-size"));
    CHECK(refuses(FILTER_OPT_COMPANY_SIZE, "-5", "--company-size"));

    /* --where: the user's own condition, ANDed; one condition only */
    CHECK(selects("c3,c4", FILTER_OPT_WHERE, "duration >= 1800", 0));
    CHECK(selects("c3", FILTER_OPT_WHERE, "duration >= 1800", FILTER_OPT_WHERE,
                  "title LIKE 't%' -- a comment", 0));
    CHECK(where_refused("no_such_column = 1"));
    CHECK(where_refused("1); DROP TABLE calls; --"));
    CHECK(where_refused("1) UNION SELECT 1 FROM users WHERE (1"));
    CHECK(where_refused("1) ORDER BY (1"));
    CHECK(refuses(FILTER_OPT_WHERE, "   ", "--where"));
    filter_init(&f);
    CHECK(filter_option(&f, FILTER_OPT_WHERE, "duration > 0", &e) == 0);
    CHECK(filter_validate(&f, db, &e) == 0);
    filter_release(&f);

    /* the helpers commands build their columns with */
    filter_init(&f);
    buf_init(&b, 0);
    CHECK(filter_deal_column(&f, "stage", &b, &e) == 0 && strstr(b.data, "TimeOfCall"));
    buf_release(&b);
    filter_release(&f);
    CHECK(filter_has_deal_terms(&f) == 0);

    sqlite3_close(db);
    return CHECK_DONE("test_filter");
}
