/* cmd_calls: `callmine-query calls [FILTERS]` lists the calls a filter selects.
 *
 * It is the preview of what any analysis, report or export will read: one row per call in
 * start order (id, started, duration, rep, stage, amount, company, deal, title, sentences,
 * url), and on stderr one count line: calls, distinct deals, distinct reps and transcript
 * coverage. Deal columns follow --deal-timing; with several deals the largest is shown. */
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
    "Columns: id, started, duration (seconds), rep, stage, amount, company, deal, title,\n"
    "sentences (NULL when no transcript is mirrored), url. rep is the call's primary user,\n"
    "else its first internal participant; deal columns follow --deal-timing.\n"
    "\n"
    "  --format FORMAT   table|csv|tsv|json|jsonl|markdown (default: table on a terminal,\n"
    "                    tsv when piped)\n"
    "\n";

static const char calls_help_tail[] =
    "\n"
    "Examples:\n"
    "  callmine-query calls --from 2024-01-01 --to 2024-04-01 --rep dana\n"
    "  callmine-query calls --stage closedwon --min-amount 50000 --format jsonl\n"
    "  callmine-query calls --where \"duration > 3600\" --company-size 1000+\n";

/* The SELECT list over `calls` (no FROM). */
static int select_list(const struct filter *f, struct buf *q, struct err *e)
{
    int rc;

    if ((rc = buf_printf(q, e,
                         "SELECT calls.id AS id, calls.started AS started, "
                         "calls.duration AS duration, %s AS rep, ",
                         filter_rep_expr)) ||
        (rc = filter_deal_column(f, "stage", q, e)) || (rc = buf_puts(q, " AS stage, ", e)) ||
        (rc = filter_deal_column(f, "amount", q, e)) || (rc = buf_puts(q, " AS amount, ", e)) ||
        (rc = filter_deal_column(f, "company_name", q, e)) ||
        (rc = buf_puts(q, " AS company_name, ", e)) ||
        (rc = filter_deal_column(f, "deal_name", q, e)) || (rc = buf_puts(q, " AS deal_name, ", e)))
        return rc;
    return buf_puts(q,
                    "calls.title AS title, (SELECT t.sentences FROM transcripts t "
                    "WHERE t.call_id = calls.id) AS sentences, calls.url AS url ",
                    e);
}

static int list_calls(const struct cmd_ctx *c, sqlite3 *db, const struct filter *f, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    struct out *o = NULL;
    int rc;

    buf_init(&q, 0);
    if ((rc = select_list(f, &q, e)) || (rc = buf_puts(&q, "FROM calls WHERE ", e)) ||
        (rc = filter_sql(f, &q, e)) || (rc = buf_puts(&q, " ORDER BY calls.started, calls.id", e)))
        goto done;
    if ((rc = cmd_prepare(db, q.data, &st, e)) || (rc = filter_bind(f, st, e)))
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

/* The count line on stderr. */
static int count_line(sqlite3 *db, const struct filter *f, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    long long calls = 0, deals = 0, reps = 0, with_t = 0;
    int rc;

    buf_init(&q, 0);
    if ((rc = buf_printf(&q, e,
                         "WITH sel AS (SELECT calls.id AS id, %s AS rep, EXISTS (SELECT 1 FROM "
                         "transcripts t WHERE t.call_id = calls.id) AS has_t FROM calls WHERE ",
                         filter_rep_expr)) ||
        (rc = filter_sql(f, &q, e)) ||
        (rc = buf_puts(&q,
                       ") SELECT (SELECT count(*) FROM sel), (SELECT count(DISTINCT rep) FROM "
                       "sel), (SELECT total(has_t) FROM sel), (SELECT count(DISTINCT "
                       "ifnull(d.deal_id, d.call_id)) FROM deals d WHERE d.call_id IN "
                       "(SELECT id FROM sel) AND ",
                       e)) ||
        (rc = filter_deal_rows(f, "d", &q, e)) || (rc = buf_putc(&q, ')', e)))
        goto done;
    if ((rc = cmd_prepare(db, q.data, &st, e)) || (rc = filter_bind(f, st, e)))
        goto done;
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
    buf_release(&q);
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
    if ((rc = list_calls(c, db, &f, e)))
        goto done;
    rc = count_line(db, &f, e);
done:
    sqlite3_close(db);
    filter_release(&f);
    return rc;
}
