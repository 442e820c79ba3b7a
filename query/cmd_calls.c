/* cmd_calls: `callmine-query calls [FILTERS]` lists the calls a filter selects.
 *
 * It is the preview of what any analysis, report or export will read: one row per call in
 * start order, read from call_facts (so a hand-written query over call_facts shows the same
 * rep, stage, amount and outcome), and on stderr one count line: calls, distinct deals,
 * distinct reps (people) and transcript coverage. stage and amount follow --deal-timing
 * (call_facts' stage/amount, or stage_at_call/amount_at_call). */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "filter.h"

#include "banned.h"

static const char calls_help_head[] =
    "Usage: callmine-query calls [FILTERS] [--format FORMAT]\n"
    "\n"
    "List the calls that match, oldest first, and on stderr a count line such as\n"
    "  412 calls, 97 deals, 18 reps, transcripts for 398 (96.6%)\n"
    "It is the preview of what any grep, analysis or export with the same filters reads.\n"
    "Columns (from call_facts): id, started, duration (seconds), rep (the internal speaker\n"
    "who talked most, else the primary user), stage and amount of the call's deal (as it\n"
    "stands, or at the call with --deal-timing call), outcome (won, lost or open, from the\n"
    "stage now), company, deal, title, sentences (NULL when no transcript is mirrored), url.\n"
    "\n"
    "  --format FORMAT   table|csv|tsv|json|jsonl|markdown (default: table on a terminal,\n"
    "                    tsv when piped)\n"
    "  --stages FILE     closed stages of other pipelines (see analyze --help)\n"
    "\n";

static const char calls_help_tail[] =
    "\n"
    "Examples:\n"
    "  callmine-query calls --from 2024-01-01 --to 2024-04-01 --rep dana\n"
    "  callmine-query calls --stage closedwon --min-amount 50000 --format jsonl\n"
    "  callmine-query calls --where \"duration > 3600\" --company-size 1000+\n";

/* temp.calls_sel: the ids the filter selects, evaluated once for both the rows and the
 * count line (the condition is over `calls` alone, so --where's bare column names stay
 * calls' own). */
static int select_ids(sqlite3 *db, const struct filter *f, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc;

    buf_init(&q, 0);
    if ((rc = db_exec(db, "CREATE TEMP TABLE calls_sel(id TEXT PRIMARY KEY) WITHOUT ROWID", e)) ||
        (rc = buf_puts(&q, "INSERT INTO temp.calls_sel SELECT calls.id FROM calls WHERE ", e)) ||
        (rc = filter_sql(f, &q, e)) || (rc = cmd_prepare(db, q.data, &st, e)) ||
        (rc = filter_bind(f, st, e)))
        goto done;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "calls: %s", sqlite3_errmsg(db));
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

/* The rows, from call_facts, in start order; stage and amount in the --deal-timing. */
static int list_calls(const struct cmd_ctx *c, sqlite3 *db, const struct filter *f, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    struct out *o = NULL;
    int now = f->timing == FILTER_TIMING_NOW, rc;

    buf_init(&q, 0);
    if ((rc = buf_printf(&q, e,
                         "SELECT cf.call_id AS id, cf.started AS started, "
                         "cf.duration AS duration, cf.rep_name AS rep, cf.%s AS stage, "
                         "cf.%s AS amount, cf.outcome AS outcome, "
                         "cf.company_name AS company_name, cf.deal_name AS deal_name, "
                         "cf.title AS title, m.sentences AS sentences, cf.url AS url "
                         "FROM call_facts cf LEFT JOIN call_metrics m ON m.call_id = cf.call_id "
                         "WHERE cf.call_id IN (SELECT id FROM temp.calls_sel) "
                         "ORDER BY cf.started, cf.call_id",
                         now ? "stage" : "stage_at_call", now ? "amount" : "amount_at_call")) ||
        (rc = cmd_prepare(db, q.data, &st, e)))
        goto done;
    o = out_new(stdout, cmd_table_format(c), c->stdout_tty ? OUT_TRUNCATE : 0);
    if (!o) {
        rc = err_set(e, ERR_NOMEM, "calls: out of memory");
        goto done;
    }
    rc = out_stmt(o, st, NULL, e);
    if (rc == ERR_DB)
        err_wrap(e, "calls");
done:
    out_free(o);
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

static const char *plural(long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The count line on stderr: calls, the calls' distinct deals (a deal without an id counts
 * once per call), distinct reps (by user id, else e-mail, else name), calls with a
 * transcript. */
static int count_line(sqlite3 *db, struct err *e)
{
    sqlite3_stmt *st = NULL;
    long long calls = 0, deals = 0, reps = 0, with_t = 0;
    int rc;

    if ((rc = cmd_prepare(db,
                          "SELECT count(*), count(DISTINCT coalesce(cf.rep_id, cf.rep_email, "
                          "cf.rep_name)), total(cf.has_transcript), count(DISTINCT CASE WHEN "
                          "cf.outcome IS NOT NULL THEN ifnull(cf.deal_id, ' ' || cf.call_id) END) "
                          "FROM call_facts cf WHERE cf.call_id IN (SELECT id FROM temp.calls_sel)",
                          &st, e)))
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = err_set(e, ERR_DB, "calls: count: %s", sqlite3_errmsg(db));
        goto done;
    }
    calls = sqlite3_column_int64(st, 0);
    reps = sqlite3_column_int64(st, 1);
    with_t = (long long)sqlite3_column_double(st, 2);
    deals = sqlite3_column_int64(st, 3);
    fprintf(stderr, "%lld %s, %lld %s, %lld %s, transcripts for %lld", calls,
            plural(calls, "call", "calls"), deals, plural(deals, "deal", "deals"), reps,
            plural(reps, "rep", "reps"), with_t);
    if (calls)
        fprintf(stderr, " (%.1f%%)", 100.0 * (double)with_t / (double)calls);
    fputc('\n', stderr);
done:
    sqlite3_finalize(st);
    return rc;
}

int cmd_calls(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS, FILTER_LONG_OPTIONS, {NULL, 0, NULL, 0}};
    struct filter f;
    sqlite3 *db = NULL;
    int opt, rc = ERR_OK;

    filter_init(&f);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (opt == CMD_OPT_HELP) {
            printf("%s%s%s", calls_help_head, filter_help, calls_help_tail);
            goto done;
        }
        if (opt == '?' || opt == ':') {
            rc = cmd_bad_option("calls", opt, argv, e);
            goto done;
        }
        if ((rc = cmd_common_option(c, opt, optarg, e)) == CMD_PASS)
            rc = filter_option(&f, opt, optarg, e);
        if (rc)
            goto done;
    }
    if (optind < argc) {
        rc = err_set(e, ERR_USAGE, "calls: unexpected argument '%s' (see %s calls --help)",
                     argv[optind], CMD_PROG);
        goto done;
    }
    /* one read transaction: the rows and the count line come from the same snapshot even
     * while an ingest commits */
    if ((rc = cmd_open_db(c, &db, e)) || (rc = filter_validate(&f, db, e)) ||
        (rc = db_exec(db, "BEGIN", e)))
        goto done;
    if ((rc = select_ids(db, &f, e)) || (rc = list_calls(c, db, &f, e)))
        goto done;
    rc = count_line(db, e);
done:
    sqlite3_close(db);
    filter_release(&f);
    return rc;
}
