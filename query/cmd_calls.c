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

/* calls reads the mirror through SQLite's page cache (64 MB at most), not cmd_open_db's
 * memory mapping: every page a mapping touches stays in the resident set, and the kernel
 * maps its neighbours too, so listing 100,000 calls (scattered pages of calls, deals,
 * call_metrics and their indexes) held 900 MB of RSS; through the cache it holds under
 * 100 MB whatever the mirror's size, for about the same CPU. */
#define CALLS_PAGES "PRAGMA mmap_size = 0; PRAGMA cache_size = -65536; "

/* temp.calls_sel: the calls the filter selects, evaluated on their own (the condition is
 * over `calls` alone, so --where's bare column names stay calls' own), keyed in the order
 * they are listed: start (NULL first, as ORDER BY puts it), then id. ANALYZE tells the
 * planner how many there are: without it, a mirror with statistics gets the listing's deal
 * joins Bloom filters, each a full scan of deals (70 ms at 100,000 calls) even for a few
 * rows. */
static int select_ids(sqlite3 *db, const struct filter *f, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc;

    buf_init(&q, 0);
    if ((rc = db_exec(db,
                      "CREATE TEMP TABLE calls_sel(has_start INTEGER NOT NULL, started TEXT NOT "
                      "NULL, id TEXT NOT NULL, PRIMARY KEY (has_start, started, id)) WITHOUT ROWID",
                      e)) ||
        (rc = buf_puts(&q,
                       "INSERT INTO temp.calls_sel SELECT calls.started IS NOT NULL, "
                       "ifnull(calls.started, ''), calls.id FROM calls WHERE calls.id IS NOT "
                       "NULL AND ",
                       e)) ||
        (rc = filter_sql(f, &q, e)) || (rc = cmd_prepare(db, q.data, &st, e)) ||
        (rc = filter_bind(f, st, e)))
        goto done;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "calls: %s", sqlite3_errmsg(db));
    else
        rc = db_exec(db, "ANALYZE temp.calls_sel", e);
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

/* What the count line counts, gathered while the rows are written. */
struct tally {
    long long calls, with_t;
    struct strset deals, reps;
    struct buf key; /* scratch for a deal's key */
};

/* The columns the rows show that the tally reads too, and the hidden ones after them. */
enum { COL_ID = 0, COL_REP = 3, COL_OUTCOME = 6, LIST_COLUMNS = 12 };
enum { HID_REP_KEY = LIST_COLUMNS, HID_DEAL_ID, HID_HAS_TRANSCRIPT };

/* Count one row as call_facts reads it: the rep by user id, else e-mail, else name (the
 * shown rep column); the deal by its id, else by the call's (a deal without an id counts
 * once per call), for calls that have a deal (outcome is not NULL); transcripts. The keys
 * come from columns the row already computed, so no view column is evaluated twice. */
static int tally_row(struct tally *t, sqlite3_stmt *st, struct err *e)
{
    int col = sqlite3_column_type(st, HID_REP_KEY) != SQLITE_NULL ? HID_REP_KEY : COL_REP, rc;
    const unsigned char *v = sqlite3_column_text(st, col);

    t->calls++;
    t->with_t += sqlite3_column_int(st, HID_HAS_TRANSCRIPT) != 0;
    if (v && (rc = strset_add(&t->reps, v, (size_t)sqlite3_column_bytes(st, col), e)))
        return rc;
    if (sqlite3_column_type(st, COL_OUTCOME) == SQLITE_NULL)
        return ERR_OK;
    if ((v = sqlite3_column_text(st, HID_DEAL_ID)))
        return strset_add(&t->deals, v, (size_t)sqlite3_column_bytes(st, HID_DEAL_ID), e);
    buf_reset(&t->key);
    v = sqlite3_column_text(st, COL_ID);
    if ((rc = buf_putc(&t->key, ' ', e)) ||
        (rc = buf_append(&t->key, v ? (const char *)v : "",
                         v ? (size_t)sqlite3_column_bytes(st, COL_ID) : 0, e)))
        return rc;
    return strset_add(&t->deals, t->key.data, t->key.len, e);
}

/* The rows, from call_facts, in start order; stage and amount in the --deal-timing; and the
 * count line's figures from the same rows, so call_facts is read once. The selection is
 * walked in its key's order (CROSS JOIN keeps it the outer loop), so no row is sorted, and
 * the calls are read in about the order the ingest stored them. */
static int list_calls(const struct cmd_ctx *c, sqlite3 *db, const struct filter *f, struct tally *t,
                      struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    struct out *o = NULL;
    const char *names[LIST_COLUMNS];
    struct out_cell cells[LIST_COLUMNS];
    int now = f->timing == FILTER_TIMING_NOW, rc, step;

    buf_init(&q, 0);
    if ((rc = buf_printf(&q, e,
                         "SELECT cf.call_id AS id, cf.started AS started, "
                         "cf.duration AS duration, cf.rep_name AS rep, cf.%s AS stage, "
                         "cf.%s AS amount, cf.outcome AS outcome, "
                         "cf.company_name AS company_name, cf.deal_name AS deal_name, "
                         "cf.title AS title, m.sentences AS sentences, cf.url AS url, "
                         "coalesce(cf.rep_id, cf.rep_email), cf.deal_id, cf.has_transcript "
                         "FROM temp.calls_sel s CROSS JOIN call_facts cf ON cf.call_id = s.id "
                         "LEFT JOIN call_metrics m ON m.call_id = cf.call_id "
                         "ORDER BY s.has_start, s.started, s.id",
                         now ? "stage" : "stage_at_call", now ? "amount" : "amount_at_call")) ||
        (rc = cmd_prepare(db, q.data, &st, e)))
        goto done;
    o = out_new(stdout, cmd_table_format(c), c->stdout_tty ? OUT_TRUNCATE : 0);
    if (!o) {
        rc = err_set(e, ERR_NOMEM, "calls: out of memory");
        goto done;
    }
    for (int i = 0; i < LIST_COLUMNS; i++)
        names[i] = sqlite3_column_name(st, i);
    if ((rc = out_begin(o, LIST_COLUMNS, names, e)))
        goto done;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < LIST_COLUMNS; i++)
            out_cell_from_stmt(st, i, &cells[i]);
        if ((rc = out_row(o, cells, e)) || (rc = tally_row(t, st, e)))
            goto done;
    }
    if (step != SQLITE_DONE) {
        rc = err_set(e, ERR_DB, "calls: %s", sqlite3_errmsg(db));
        out_end(o, NULL);
        goto done;
    }
    rc = out_end(o, e);
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
    if ((rc = select_ids(db, &f, e)) || (rc = list_calls(c, db, &f, &t, e)))
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
