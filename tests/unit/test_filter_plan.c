/* test_filter_plan: every FILTER shape compiles to a plan that stays linear in the mirror
 * without statistics (no sqlite_stat1, as a file that never saw ANALYZE).
 *
 * For each shape, in both deal timings, with and without the stages config's TEMP VIEW
 * call_facts, the filter's condition is planned in three statements (the bare selection,
 * a listing of call_facts over it, and the one `calls` runs: filter_facts_sql over
 * call_facts) and EXPLAIN QUERY PLAN must show:
 *   - no search through an index on a stage (the quadratic trap of 100,000 calls);
 *   - no SCAN and no automatic index inside a correlated subquery (work per call that grows
 *     with the mirror);
 *   - no SCAN of a table as an inner loop of a join (a nested full scan).
 * Set FILTER_PLAN_VERBOSE=1 to print every plan. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "ext.h"
#include "filter.h"
#include "stages.h"

#include "banned.h"

#define MAX_NODES 256

struct node {
    int id, parent;
    char detail[256];
};

static sqlite3 *db;
static int verbose;

/* The plan of sql as nodes in EXPLAIN QUERY PLAN order; -1 when it does not prepare. */
static int plan(const char *sql, const struct filter *f, struct node *nodes)
{
    char *eqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = NULL;
    struct err e = {0};
    int n = 0;

    if (sqlite3_prepare_v2(db, eqp, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "  prepare: %s\n  %s\n", sqlite3_errmsg(db), sql);
        sqlite3_free(eqp);
        return -1;
    }
    sqlite3_free(eqp);
    if (filter_bind(f, st, &e) != 0) {
        fprintf(stderr, "  bind: %s\n", e.msg);
        sqlite3_finalize(st);
        return -1;
    }
    while (n < MAX_NODES && sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 3);

        nodes[n].id = sqlite3_column_int(st, 0);
        nodes[n].parent = sqlite3_column_int(st, 1);
        snprintf(nodes[n].detail, sizeof nodes[n].detail, "%s", d ? d : "");
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A loop over a table or subquery result (not the one-row scan of a constant). */
static int is_loop(const char *d)
{
    return (starts(d, "SCAN ") && !starts(d, "SCAN CONSTANT ROW")) || starts(d, "SEARCH ");
}

static int is_scan(const char *d)
{
    return starts(d, "SCAN ") && !starts(d, "SCAN CONSTANT ROW");
}

/* Whether node i lies inside a correlated subquery. */
static int in_correlated(const struct node *nodes, int n, int i)
{
    for (int parent = nodes[i].parent; parent != 0;) {
        int j;

        for (j = 0; j < n && nodes[j].id != parent; j++)
            ;
        if (j == n)
            return 0;
        if (starts(nodes[j].detail, "CORRELATED "))
            return 1;
        parent = nodes[j].parent;
    }
    return 0;
}

/* The first rule the plan breaks, or NULL. */
static const char *plan_fault(const struct node *nodes, int n, int *at)
{
    for (int i = 0; i < n; i++) {
        const char *d = nodes[i].detail;

        *at = i;
        if (strstr(d, "stage") && !strstr(d, "stage_outcomes") && starts(d, "SEARCH "))
            return "a search through an index on stage";
        if (in_correlated(nodes, n, i) && is_scan(d))
            return "a SCAN inside a correlated subquery";
        if (in_correlated(nodes, n, i) && strstr(d, "AUTOMATIC"))
            return "an automatic index inside a correlated subquery";
        if (is_scan(d)) {
            for (int j = 0; j < i; j++)
                if (nodes[j].parent == nodes[i].parent && is_loop(nodes[j].detail))
                    return "a SCAN as the inner loop of a join";
        }
    }
    return NULL;
}

static void print_plan(FILE *fp, const struct node *nodes, int n)
{
    for (int i = 0; i < n; i++) {
        int depth = 0;

        for (int parent = nodes[i].parent; parent != 0 && depth < 20; depth++) {
            int j;

            for (j = 0; j < n && nodes[j].id != parent; j++)
                ;
            parent = j < n ? nodes[j].parent : 0;
        }
        fprintf(fp, "    %*s%s\n", depth * 2, "", nodes[i].detail);
    }
}

struct statement {
    const char *head, *tail; /* the SQL before and after the filter's condition */
    int facts;               /* the condition over call_facts cf (filter_facts_sql) */
};

/* Plan one statement with the filter's condition. */
static int linear(const char *label, const struct statement *t, const struct filter *f)
{
    struct node nodes[MAX_NODES];
    struct buf cond, sql;
    struct err e = {0};
    const char *fault;
    int n, at = 0, ok;

    buf_init(&cond, 0);
    buf_init(&sql, 0);
    if (t->facts)
        filter_facts_sql(f, NULL, &cond, &e);
    else
        filter_sql(f, &cond, &e);
    buf_printf(&sql, &e, "%s%s%s", t->head, cond.data, t->tail);
    n = plan(sql.data, f, nodes);
    fault = n > 0 ? plan_fault(nodes, n, &at) : "no plan";
    ok = fault == NULL;
    if (!ok)
        fprintf(stderr, "  %s: %s at '%s'\n", label, fault, n > 0 ? nodes[at].detail : "");
    if (!ok || verbose) {
        fprintf(ok ? stdout : stderr, "  %s:\n", label);
        if (n > 0)
            print_plan(ok ? stdout : stderr, nodes, n);
    }
    buf_release(&cond);
    buf_release(&sql);
    return ok;
}

/* The bare selection, a listing over its ids, and the statement `calls` lists with (the
 * condition over call_facts itself, calls_rows.c). */
static const struct statement templates[] = {
    {"SELECT calls.id FROM calls WHERE ", "", 0},
    {"SELECT cf.call_id, cf.started, cf.rep_name, cf.stage, cf.amount_at_call, cf.outcome, "
     "m.sentences FROM call_facts cf LEFT JOIN call_metrics m ON m.call_id = cf.call_id "
     "WHERE cf.call_id IN (SELECT calls.id FROM calls WHERE ",
     ") ORDER BY cf.started, cf.call_id", 0},
    {"SELECT cf.call_id, cf.started, cf.rep_name, cf.stage, cf.amount_at_call, cf.outcome, "
     "m.sentences FROM call_facts cf LEFT JOIN call_metrics m ON m.call_id = cf.call_id "
     "WHERE ",
     "", 1},
};

/* The shapes: option/value pairs, 0-terminated. */
static const struct shape {
    const char *name;
    int opts[8];
    const char *args[8];
} shapes[] = {
    {"stage", {FILTER_OPT_STAGE}, {"closedlost"}},
    {"stages", {FILTER_OPT_STAGE}, {"closedlost,closedwon"}},
    {"amount", {FILTER_OPT_MIN_AMOUNT, FILTER_OPT_MAX_AMOUNT}, {"50k", "1m"}},
    {"owner", {FILTER_OPT_OWNER}, {"dana"}},
    {"outcome", {FILTER_OPT_OUTCOME}, {"lost"}},
    {"outcomes", {FILTER_OPT_OUTCOME}, {"won,open"}},
    {"rep", {FILTER_OPT_REP}, {"dana"}},
    {"rep, beyond ASCII", {FILTER_OPT_REP}, {"GONÇALO"}},
    {"participant", {FILTER_OPT_PARTICIPANT}, {"dana"}},
    {"participant, beyond ASCII", {FILTER_OPT_PARTICIPANT}, {"Dąbrowska"}},
    {"owner, beyond ASCII", {FILTER_OPT_OWNER}, {"ÉLODIE"}},
    {"rep and outcome", {FILTER_OPT_REP, FILTER_OPT_OUTCOME}, {"dana", "won"}},
    {"company size", {FILTER_OPT_COMPANY_SIZE}, {"200-1000"}},
    {"dates", {FILTER_OPT_FROM, FILTER_OPT_TO}, {"2024-01-01", "2024-04-01"}},
    {"relative dates", {FILTER_OPT_FROM}, {"90d"}},
    {"where", {FILTER_OPT_WHERE}, {"duration > 600"}},
    {"combined",
     {FILTER_OPT_STAGE, FILTER_OPT_MIN_AMOUNT, FILTER_OPT_REP, FILTER_OPT_OUTCOME, FILTER_OPT_FROM,
      FILTER_OPT_OWNER, FILTER_OPT_COMPANY_SIZE},
     {"closedlost", "50000", "dana", "lost", "2024-01-01", "u1", "100+"}},
    {"stage and participant", {FILTER_OPT_STAGE, FILTER_OPT_PARTICIPANT}, {"demo", "lee"}},
};

static void check_shapes(const char *variant)
{
    static const char *const timings[] = {"now", "call"};

    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        for (size_t t = 0; t < 2; t++) {
            struct filter f;
            struct err e = {0};
            char label[160];
            int ok = 1;

            filter_init(&f);
            ok = filter_option(&f, FILTER_OPT_DEAL_TIMING, timings[t], &e) == 0;
            for (int i = 0; ok && i < 8 && shapes[s].opts[i]; i++) {
                ok = filter_option(&f, shapes[s].opts[i], shapes[s].args[i], &e) == 0;
                if (!ok)
                    fprintf(stderr, "  %s: %s\n", shapes[s].name, e.msg);
            }
            CHECK(ok);
            for (size_t k = 0; ok && k < sizeof templates / sizeof templates[0]; k++) {
                snprintf(label, sizeof label, "%s, %s, timing %s, statement %zu", variant,
                         shapes[s].name, timings[t], k + 1);
                CHECK(linear(label, &templates[k], &f));
            }
            filter_release(&f);
        }
    }
}

/* The checker's own test: the plans it must refuse. The first is version 1's trap (a
 * correlated EXISTS driven by the index on stage), forced with INDEXED BY. */
static void check_checker(void)
{
    struct filter f;
    struct node nodes[MAX_NODES];
    int n, at;

    filter_init(&f);
    sqlite3_exec(db, "CREATE INDEX temp_deals_stage ON deals(stage COLLATE NOCASE)", NULL, NULL,
                 NULL);
    n = plan("SELECT calls.id FROM calls WHERE EXISTS (SELECT 1 FROM deals d INDEXED BY "
             "temp_deals_stage WHERE "
             "d.call_id = calls.id AND d.stage COLLATE NOCASE IN ('a', 'b'))",
             &f, nodes);
    CHECK(n > 0 && plan_fault(nodes, n, &at) != NULL);
    n = plan("SELECT calls.id FROM calls WHERE (SELECT count(*) FROM parties p WHERE "
             "p.name = calls.title) > 0",
             &f, nodes);
    CHECK(n > 0 && plan_fault(nodes, n, &at) != NULL);
    n = plan("SELECT calls.id FROM calls, parties p WHERE p.name LIKE calls.title", &f, nodes);
    CHECK(n > 0 && plan_fault(nodes, n, &at) != NULL);
    sqlite3_exec(db, "DROP INDEX temp_deals_stage", NULL, NULL, NULL);
    filter_release(&f);
}

int main(void)
{
    struct err e = {0};
    char path[] = "/tmp/test_filter_plan_XXXXXX";
    sqlite3_stmt *st = NULL;
    int fd;

    setenv("XDG_CONFIG_HOME", "/nonexistent/callmine-test", 1); /* no user stages config */
    verbose = getenv("FILTER_PLAN_VERBOSE") != NULL;
    if (db_open_rw(":memory:", &db, &e)) {
        fprintf(stderr, "open: %s\n", e.msg);
        return 1;
    }
    /* the SQL functions the filters call (casefold, regexp), as cmd_open_db registers them */
    CHECK(sqlite3_callmine_init(db, NULL, NULL) == SQLITE_OK);
    /* a fresh v2 schema holds no statistics */
    CHECK(sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'", -1, &st,
                             NULL) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);

    check_checker();
    CHECK(stages_apply(db, NULL, &e) == 0 || fprintf(stderr, "%s\n", e.msg) < 0);
    check_shapes("plain call_facts");

    /* the stages config's TEMP VIEW call_facts */
    fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, "won = Signed\nlost = Churned, No decision\n", 41) == 41);
    if (fd >= 0)
        close(fd);
    CHECK(stages_apply(db, path, &e) == 0 || fprintf(stderr, "%s\n", e.msg) < 0);
    check_shapes("stages view");
    unlink(path);

    sqlite3_close(db);
    return CHECK_DONE("test_filter_plan");
}
