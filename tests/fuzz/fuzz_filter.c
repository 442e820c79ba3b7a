/* fuzz_filter: the FILTERS of callmine-query (filter.h) against a small in-memory mirror.
 *
 * Input: up to 8 options, each an option byte (one of the FILTER_OPT_* codes, or now and
 * then an unknown one) and its argument (a length byte, then the bytes; cut at a NUL as
 * argv would be). Applied as the commands apply them; the first error ends the input, as
 * it would end the command. Then, when filter_validate accepts:
 *   - the condition of filter_sql() prepares, binds and runs (a --where may still fail at
 *     run time with its own error; without --where nothing may fail);
 *   - FILTERS are a conjunction: the calls the whole filter selects are exactly those
 *     that each group of options (times, --rep and --participant, the deal options and
 *     --outcome together, --where) selects on its own;
 *   - --from/--to select exactly the calls whose `started` instant is in [from, to) (stored
 *     times have one fixed width, as schema version 2 writes them).
 * The database is read-only for the filter (query_only), runaway --where SQL is stopped by
 * a progress handler, and random() is replaced by a constant so that repeated evaluations
 * agree. */
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "ext.h"
#include "filter.h"
#include "fuzz.h"
#include "isotime.h"
#include "stages.h"

#include "banned.h"

#define MAX_OPTS 8
#define MAX_CALLS 64
#define STEP_BUDGET 2000 /* progress callbacks (of 1000 VM steps) per statement */

static sqlite3 *db;
static int64_t started_ms[MAX_CALLS + 1]; /* by rowid; INT64_MIN: started is NULL */
static int n_calls;
static int budget;

static const char fixture[] =
    "INSERT INTO users(id, email, first_name, last_name) VALUES "
    "('u1', 'rita@seller.com', 'Rita', 'Rep'), ('u2', 'SAM@Seller.com', 'Sam', NULL),"
    "('u3', NULL, NULL, 'Ng');"
    "INSERT INTO calls(rowid, id, started, duration, direction, primary_user_id, title) VALUES "
    "(1, 'c1', '2024-03-01T17:01:12.000Z', 1834, 'Conference', 'u1', 'Acme intro'),"
    "(2, 'c2', '2024-03-01T17:01:12.345Z', 60, 'Inbound', 'u2', 'Beta'),"
    "(3, 'c3', '2024-03-01T17:01:12.999Z', NULL, NULL, NULL, NULL),"
    "(4, 'c4', '2024-03-01T17:01:13.000Z', 0, 'Outbound', 'u3', 'Gamma'),"
    "(5, 'c5', '2023-12-31T23:59:59.999Z', 5, 'Conference', 'u1', 'New year'),"
    "(6, 'c6', '1969-12-31T23:59:59.000Z', 7, 'Conference', 'nobody', 'Before the epoch'),"
    "(7, 'c7', '2024-02-29T00:00:00.000Z', 3600, 'Conference', 'u2', 'Leap day'),"
    "(8, 'c8', NULL, 10, 'Conference', 'u1', 'No start'),"
    "(9, 'c9', '2024-03-01T17:01:12.001Z', 1, 'Conference', NULL, 'Just after'),"
    "(10, 'c10', '9999-12-31T23:59:59.999Z', 1, 'Conference', NULL, 'Far future');"
    "INSERT INTO parties(call_id, ord, name, email, affiliation, user_id) VALUES "
    "('c1', 0, 'Rita Rep', 'rita@seller.com', 'Internal', 'u1'),"
    "('c1', 1, 'Bob Buyer', 'bob@acme.com', 'External', NULL),"
    "('c2', 0, 'Sam', 'sam@seller.com', 'internal', 'u2'),"
    "('c3', 0, 'Zoë Ünicode', 'zoe@x.com', 'Internal', NULL),"
    "('c6', 0, NULL, NULL, 'Internal', NULL);"
    "INSERT INTO deals(call_id, timing, ord, system, deal_id, deal_name, stage, amount, owner, "
    "company_id, company_name, company_size) VALUES "
    "('c1', 'Now', 0, 'HubSpot', '9001', 'Acme', 'closedwon', 52000, '123', '7001', 'Acme', "
    "1200),"
    "('c1', 'TimeOfCall', 0, 'HubSpot', '9001', 'Acme', 'qualifiedtobuy', 40000, '123', '7001',"
    " 'Acme', 1000),"
    "('c2', 'Now', 0, 'Salesforce', 'o1', 'Beta', 'Closed Won', 100.5, 'u2', NULL, NULL, NULL),"
    "('c2', 'Now', 1, 'Salesforce', 'o2', 'Beta 2', 'Negotiation', NULL, 'U1', 'a1', 'B', 50),"
    "('c4', 'TimeOfCall', 0, 'HubSpot', NULL, NULL, 'closedlost', -5, NULL, NULL, NULL, 0),"
    "('c5', 'Now', 0, 'HubSpot', 'x', NULL, 'ClosedWon', 1e300, 'rita', NULL, NULL, "
    "9223372036854775807),"
    "('c7', 'Now', 0, NULL, 'y', NULL, NULL, 0, NULL, NULL, NULL, NULL);"
    "INSERT INTO crm_users(crm_id, system, name, email) VALUES "
    "('123', 'Salesforce', 'Olga Owner', 'olga@seller.com');";

static int progress(void *arg)
{
    (void)arg;
    return --budget <= 0; /* non-zero interrupts the statement */
}

static void const_random(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_int64(ctx, 4); /* chosen by fair dice roll */
}

static void const_randomblob(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t n = sqlite3_value_int64(argv[0]);

    (void)argc;
    sqlite3_result_zeroblob(ctx, n < 1 ? 1 : n > 16 ? 16 : (int)n);
}

static void setup(void)
{
    struct err e = {0};
    sqlite3_stmt *st = NULL;

    if (db)
        return;
    if (db_open_rw(":memory:", &db, &e) != ERR_OK || db_exec(db, fixture, &e) != ERR_OK) {
        fprintf(stderr, "fuzz_filter: setup: %s\n", e.msg);
        abort();
    }
    FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT rowid, started FROM calls", -1, &st, NULL) ==
               SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t rowid = sqlite3_column_int64(st, 0);
        const char *s = (const char *)sqlite3_column_text(st, 1);

        FUZZ_CHECK(rowid >= 1 && rowid <= MAX_CALLS);
        started_ms[rowid] = INT64_MIN;
        if (s)
            FUZZ_CHECK(isotime_parse(s, 0, &started_ms[rowid], NULL) == ERR_OK);
        if (rowid > n_calls)
            n_calls = (int)rowid;
    }
    sqlite3_finalize(st);
    FUZZ_CHECK(sqlite3_callmine_init(db, NULL, NULL) == SQLITE_OK); /* casefold, regexp */
    FUZZ_CHECK(stages_apply(db, NULL, &e) == ERR_OK); /* temp.stage_outcomes, as every open */
    FUZZ_CHECK(db_exec(db, "PRAGMA query_only=1", &e) == ERR_OK);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 100000);
    sqlite3_progress_handler(db, 1000, progress, NULL);
    FUZZ_CHECK(sqlite3_create_function(db, "random", 0, SQLITE_UTF8, NULL, const_random, NULL,
                                       NULL) == SQLITE_OK);
    FUZZ_CHECK(sqlite3_create_function(db, "randomblob", 1, SQLITE_UTF8, NULL, const_randomblob,
                                       NULL, NULL) == SQLITE_OK);
}

struct opt {
    int code;
    char *arg;
};

enum { G_TIME = 1, G_REP = 2, G_DEAL = 4, G_WHERE = 8, G_ALL = 15 };

static int group_of(int code)
{
    switch (code) {
    case FILTER_OPT_FROM:
    case FILTER_OPT_TO: return G_TIME;
    case FILTER_OPT_REP:
    case FILTER_OPT_PARTICIPANT: return G_REP;
    case FILTER_OPT_WHERE: return G_WHERE;
    case FILTER_OPT_STAGE:
    case FILTER_OPT_MIN_AMOUNT:
    case FILTER_OPT_MAX_AMOUNT:
    case FILTER_OPT_OWNER:
    case FILTER_OPT_COMPANY_SIZE:
    case FILTER_OPT_OUTCOME:
    case FILTER_OPT_DEAL_TIMING: return G_DEAL;
    default: return 0; /* not a filter option */
    }
}

/* Apply the options of the groups in mask to a fresh filter; the rc of the first failure. */
static int build(struct filter *f, const struct opt *o, int n, int mask, struct err *e)
{
    int rc;

    filter_init(f);
    for (int i = 0; i < n; i++) {
        if (!(group_of(o[i].code) & mask))
            continue;
        if ((rc = filter_option(f, o[i].code, o[i].arg, e)))
            return rc;
    }
    return ERR_OK;
}

/* The set of calls (bit rowid - 1) f selects. 0 with *set filled, 1 when the statement was
 * stopped (progress budget) or failed at run time, which only a --where may cause. */
static int select_set(const struct filter *f, uint64_t *set)
{
    struct buf sql;
    struct err e = {0};
    sqlite3_stmt *st = NULL;
    int rc;

    *set = 0;
    buf_init(&sql, 0);
    FUZZ_CHECK(buf_puts(&sql, "SELECT rowid FROM calls WHERE ", &e) == ERR_OK);
    FUZZ_CHECK(filter_sql(f, &sql, &e) == ERR_OK);
    budget = STEP_BUDGET;
    rc = sqlite3_prepare_v2(db, sql.data, (int)sql.len, &st, NULL);
    if (rc != SQLITE_OK && budget > 0) {
        fprintf(stderr, "fuzz_filter: %s\nin: %s\n", sqlite3_errmsg(db), sql.data);
        FUZZ_CHECK(!"the filter's SQL does not prepare");
    }
    if (rc == SQLITE_OK) {
        FUZZ_CHECK(filter_bind(f, st, &e) == ERR_OK);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t rowid = sqlite3_column_int64(st, 0);

            FUZZ_CHECK(rowid >= 1 && rowid <= n_calls);
            *set |= (uint64_t)1 << (rowid - 1);
        }
        if (rc != SQLITE_DONE && !f->where) {
            fprintf(stderr, "fuzz_filter: %s\nin: %s\n", sqlite3_errmsg(db), sql.data);
            FUZZ_CHECK(!"a filter without --where fails at run time");
        }
    }
    sqlite3_finalize(st);
    buf_release(&sql);
    return rc != SQLITE_DONE;
}

/* Does the --where text use bound parameters? (They would read the filter's own :f_*
 * values, which differ between the groups evaluated alone.) */
static int where_has_params(const struct filter *f)
{
    struct buf sql;
    sqlite3_stmt *st = NULL;
    int n = 0;

    if (!f->where)
        return 0;
    buf_init(&sql, 0);
    FUZZ_CHECK(buf_printf(&sql, NULL, "SELECT 1 FROM calls WHERE (\n%s\n)", f->where) == ERR_OK);
    budget = STEP_BUDGET;
    if (sqlite3_prepare_v2(db, sql.data, (int)sql.len, &st, NULL) == SQLITE_OK)
        n = sqlite3_bind_parameter_count(st);
    else
        n = 1; /* cannot tell */
    sqlite3_finalize(st);
    buf_release(&sql);
    return n > 0;
}

static uint64_t time_oracle(const struct filter *f)
{
    uint64_t set = 0;

    for (int r = 1; r <= n_calls; r++) {
        int64_t ms = started_ms[r];

        if ((f->has_from || f->has_to) && ms == INT64_MIN)
            continue;
        if (f->has_from && ms < f->from_ms)
            continue;
        if (f->has_to && ms >= f->to_ms)
            continue;
        set |= (uint64_t)1 << (r - 1);
    }
    return set;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz in = {data, size};
    struct opt o[MAX_OPTS];
    struct filter f, g;
    struct err e = {0};
    uint64_t all, part, inter = ~(uint64_t)0;
    int n = 0, rc, stopped;
    static const int groups[] = {G_TIME, G_REP, G_DEAL, G_WHERE};

    setup();
    while (in.n && n < MAX_OPTS) {
        uint8_t b = fz_u8(&in);
        size_t len;
        const uint8_t *p = fz_piece(&in, 200, &len);

        /* mostly a filter option; b >= 0xF0: an option the filters do not know */
        o[n].code = b >= 0xF0 ? 'x' : FILTER_OPT_FROM + b % (FILTER_OPT_END - FILTER_OPT_FROM);
        o[n].arg = fz_strndup(p, len);
        n++;
    }
    filter_init(&f);
    for (int i = 0; i < n; i++) {
        rc = filter_option(&f, o[i].code, o[i].arg, &e);
        if (o[i].code == 'x') {
            FUZZ_CHECK(rc == FILTER_PASS);
            o[i].code = -1; /* in no group: build() below skips it */
            continue;
        }
        FUZZ_CHECK(rc == ERR_OK || rc == ERR_USAGE || rc == ERR_NOMEM);
        if (rc) {
            FUZZ_CHECK(e.msg[0] != '\0');
            goto done;
        }
    }
    budget = STEP_BUDGET;
    rc = filter_validate(&f, db, &e);
    if (rc) {
        FUZZ_CHECK(rc == ERR_USAGE && f.where);
        goto done;
    }
    stopped = select_set(&f, &all);
    FUZZ_CHECK(!stopped || f.where);
    if (stopped || where_has_params(&f))
        goto done;
    for (size_t k = 0; k < sizeof groups / sizeof groups[0]; k++) {
        FUZZ_CHECK(build(&g, o, n, groups[k], &e) == ERR_OK);
        if (groups[k] == G_TIME)
            FUZZ_CHECK(select_set(&g, &part) == 0 && part == time_oracle(&g));
        else if (select_set(&g, &part)) {
            filter_release(&g);
            goto done; /* a --where stopped on its own */
        }
        inter &= part;
        filter_release(&g);
    }
    if (all != inter) {
        fprintf(stderr, "fuzz_filter: all options select %#llx, the groups alone %#llx\n",
                (unsigned long long)all, (unsigned long long)inter);
        if (f.where)
            fprintf(stderr, "--where: %s\n", f.where);
        FUZZ_CHECK(!"the filters are not a conjunction");
    }
done:
    filter_release(&f);
    for (int i = 0; i < n; i++)
        free(o[i].arg);
    return 0;
}
