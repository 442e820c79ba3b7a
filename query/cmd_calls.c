/* cmd_calls: `callmine-query calls [FILTERS]` lists the calls a filter selects.
 *
 * It is the preview of what any analysis, report or export will read: one row per call in
 * start order, read from call_facts (so a hand-written query over call_facts shows the same
 * rep, stage, amount and outcome), and on stderr one count line: calls, distinct deals,
 * distinct reps (people) and transcript coverage. stage and amount follow --deal-timing
 * (call_facts' stage/amount, or stage_at_call/amount_at_call). */
#include <stdlib.h>
#include <string.h>

#include "calls_rows.h"
#include "cmd.h"
#include "filter.h"
#include "strset.h"

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

/* calls reads the mirror through SQLite's page cache, not cmd_open_db's memory mapping:
 * every page a mapping touches stays in the resident set, and the kernel maps its neighbours
 * too, so listing 100,000 calls held 900 MB of RSS. The rows are read in one pass over the
 * stored facts and call_metrics (calls_rows.h), which a small cache serves as well as a large
 * one; the rows kept in memory to be ordered are bounded by CALLS_ROWS_MAX_BYTES. */
#define CALLS_PAGES "PRAGMA mmap_size = 0; PRAGMA cache_size = -16384; "

/* What the count line counts, gathered while the rows are written. */
struct tally {
    long long calls, with_t;
    struct strset deals, reps;
    struct buf key; /* scratch for a deal's key */
};

/* The text of a non-NULL cell as sqlite3_column_text gives it: text and blobs as they are,
 * numbers written out (into num). The stored facts' key columns are TEXT, so numbers only
 * come from hand-written rows. */
static void cell_bytes(const struct out_cell *c, char num[32], const char **p, size_t *n)
{
    if (c->type == SQLITE_TEXT || c->type == SQLITE_BLOB) {
        *p = c->s ? c->s : "";
        *n = c->s ? c->n : 0;
        return;
    }
    out_number_text(c, num);
    *p = num;
    *n = strlen(num);
}

/* Count one row as call_facts reads it: the rep by user id, else e-mail, else name (the
 * shown rep column); the deal by its id, else by the call's (a deal without an id counts
 * once per call), for calls that have a deal (outcome is not NULL); transcripts. The keys
 * come from columns the row already computed, so no view column is evaluated twice. */
static int tally_row(struct tally *t, const struct out_cell *cells, struct err *e)
{
    const struct out_cell *rep = cells[CALLS_COL_REP_KEY].type != SQLITE_NULL
                                     ? &cells[CALLS_COL_REP_KEY]
                                     : &cells[CALLS_COL_REP];
    const struct out_cell *id = &cells[CALLS_COL_ID], *deal = &cells[CALLS_COL_DEAL_ID];
    const struct out_cell *has_t = &cells[CALLS_COL_HAS_TRANSCRIPT];
    const char *p;
    char num[32];
    size_t n;
    int rc;

    t->calls++;
    t->with_t += (has_t->type == SQLITE_INTEGER && has_t->i != 0) ||
                 (has_t->type == SQLITE_FLOAT && (long long)has_t->d != 0);
    if (rep->type != SQLITE_NULL) {
        cell_bytes(rep, num, &p, &n);
        if ((rc = strset_add(&t->reps, p, n, e)))
            return rc;
    }
    if (cells[CALLS_COL_OUTCOME].type == SQLITE_NULL)
        return ERR_OK;
    if (deal->type != SQLITE_NULL) {
        cell_bytes(deal, num, &p, &n);
        return strset_add(&t->deals, p, n, e);
    }
    buf_reset(&t->key);
    if ((rc = buf_putc(&t->key, ' ', e)))
        return rc;
    if (id->type != SQLITE_NULL) {
        cell_bytes(id, num, &p, &n);
        if ((rc = buf_append(&t->key, p, n, e)))
            return rc;
    }
    return strset_add(&t->deals, t->key.data, t->key.len, e);
}

/* The rows in start order (calls_rows.h), and the count line's figures from the same rows,
 * so call_facts is read once. */
static int list_calls(const struct cmd_ctx *c, sqlite3 *db, const struct filter *f, struct tally *t,
                      struct err *e)
{
    struct calls_rows *r = NULL;
    struct out *o = NULL;
    struct out_cell cells[CALLS_ROWS_COLUMNS];
    int rc, has_row;

    if ((rc = calls_rows_open(db, f, CALLS_ROWS_MAX_BYTES, &r, e)))
        goto done;
    o = out_new(stdout, cmd_table_format(c), c->stdout_tty ? OUT_TRUNCATE : 0);
    if (!o) {
        rc = err_set(e, ERR_NOMEM, "calls: out of memory");
        goto done;
    }
    if ((rc = out_begin(o, CALLS_ROWS_SHOWN, calls_rows_names, e)))
        goto done;
    for (;;) {
        if ((rc = calls_rows_next(r, cells, &has_row, e))) {
            out_end(o, NULL);
            goto done;
        }
        if (!has_row)
            break;
        if ((rc = out_row(o, cells, e)) || (rc = tally_row(t, cells, e)))
            goto done;
    }
    rc = out_end(o, e);
done:
    out_free(o);
    calls_rows_free(r);
    return rc;
}

static const char *plural(long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The count line on stderr: calls, the calls' distinct deals, distinct reps (people),
 * calls with a transcript. */
static void count_line(const struct tally *t)
{
    long long deals = (long long)t->deals.len, reps = (long long)t->reps.len;

    fprintf(stderr, "%lld %s, %lld %s, %lld %s, transcripts for %lld", t->calls,
            plural(t->calls, "call", "calls"), deals, plural(deals, "deal", "deals"), reps,
            plural(reps, "rep", "reps"), t->with_t);
    if (t->calls)
        fprintf(stderr, " (%.1f%%)", 100.0 * (double)t->with_t / (double)t->calls);
    fputc('\n', stderr);
}

int cmd_calls(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS, FILTER_LONG_OPTIONS, {NULL, 0, NULL, 0}};
    struct filter f;
    struct tally t = {0};
    sqlite3 *db = NULL;
    int opt, rc = ERR_OK;

    filter_init(&f);
    strset_init(&t.deals);
    strset_init(&t.reps);
    buf_init(&t.key, 0);
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
        (rc = db_exec(db, CALLS_PAGES "BEGIN", e)))
        goto done;
    if ((rc = list_calls(c, db, &f, &t, e)))
        goto done;
    count_line(&t);
done:
    sqlite3_close(db);
    filter_release(&f);
    strset_release(&t.deals);
    strset_release(&t.reps);
    buf_release(&t.key);
    return rc;
}
