/* cmd_grep: `callmine-query grep PATTERN [FILTERS]` searches transcript sentences with PCRE2.
 *
 * The filter SQL picks the candidate calls (oldest first); grep_index.c drops those whose
 * n-gram filter rules the pattern out; the workers of grep_scan.c scan the others in
 * batches, and grep_out.c prints the finished batches in order, so the output does not
 * depend on the thread count and memory stays bounded whatever the size of the mirror.
 * This file holds the command line and the loop that joins them. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "filter.h"
#include "grep_index.h"
#include "grep_out.h"
#include "grep_scan.h"
#include "re.h"

#include "banned.h"

static const char grep_help_head[] =
    "Usage: callmine-query grep [OPTIONS] PATTERN [FILTERS]\n"
    "\n"
    "Search the transcripts of the calls that match FILTERS for PATTERN, a PCRE2 regular\n"
    "expression (UTF-8, by code point). Each sentence is searched on its own: the pattern sees\n"
    "only the spoken text, ^ and $ anchor at the sentence's ends, and a match never spans two\n"
    "sentences. Output, like ripgrep: a heading per call (title, date, rep, stage, id), then\n"
    "  mm:ss Speaker (rep|customer): sentence\n"
    "with the match highlighted on a terminal; context sentences end the label with '-'.\n"
    "\n"
    "  -e, --regexp PATTERN    the pattern (for one that starts with '-')\n"
    "  -i, --ignore-case       match case-insensitively\n"
    "  --speaker rep|customer|all  search what reps (Internal), customers (External) or\n"
    "                          everyone (default) said; unknown speakers only with all\n"
    "  -C, --context N         also print N sentences before and after each hit\n"
    "  -c, --count             call_id<TAB>hits for each call with hits\n"
    "  -l, --files-with-matches   only the ids of calls with hits\n"
    "  --max-hits N            stop after N hits in total\n"
    "  --color auto|always|never   highlight (default auto: on a terminal, unless NO_COLOR)\n"
    "  -j, --threads N         worker threads (default: one per core)\n"
    "  --format jsonl|json|table|csv|tsv|markdown   one row per hit instead of text:\n"
    "                          call_id, title, started, speaker_id, speaker_name, affiliation,\n"
    "                          start_ms, text (the whole sentence), match, url; with -c:\n"
    "                          call_id, title, count; with -l: call_id\n"
    "\n";

static const char grep_help_tail[] =
    "\n"
    "Exit status 0 whether or not anything matched; 2 for a bad pattern (PCRE2's message and\n"
    "offset) or a pattern too complex to finish (it stops within seconds).\n"
    "\n"
    "Examples:\n"
    "  callmine-query grep -i 'pric(e|ing)|discount' --speaker customer -C 1\n"
    "  callmine-query grep -c '\\bcompetitor\\b' --stage closedlost\n"
    "  callmine-query grep --format jsonl -i 'budget' --from 2024-01-01 | jq .match\n";

/* ---- running --------------------------------------------------------------------------- */

int grep_add_candidates(struct grep *g, sqlite3_stmt *st, struct err *e)
{
    int rc = ERR_OK, step;

    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);

        if (!v)
            continue;
        if (g->n_cands == g->cap_cands) {
            size_t cap = g->cap_cands ? g->cap_cands * 2 : 1024;
            size_t *p = realloc(g->cands, cap * sizeof *p);

            if (!p)
                return err_set(e, ERR_NOMEM, "select calls: out of memory");
            g->cands = p, g->cap_cands = cap;
        }
        g->cands[g->n_cands++] = g->ids.len;
        if ((rc = buf_append(&g->ids, v, (size_t)sqlite3_column_bytes(st, 0) + 1, e)))
            return rc;
    }
    if (step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "select calls: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
    return rc;
}

/* The ids of the calls the filters select, oldest first. A call without a transcript is
 * skipped by the worker that finds none (cheaper than asking here). */
static int load_cands(struct grep *g, sqlite3 *db, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc;

    buf_init(&q, 0);
    if ((rc = buf_puts(&q, "SELECT calls.id FROM calls WHERE ", e)) ||
        (rc = filter_sql(&g->f, &q, e)) ||
        (rc = buf_puts(&q, " ORDER BY calls.started, calls.id", e)) ||
        (rc = cmd_prepare(db, q.data, &st, e)) || (rc = filter_bind(&g->f, st, e)))
        goto done;
    if ((rc = grep_add_candidates(g, st, e)))
        err_wrap(e, "grep");
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

/* Run the workers and print the batches in order. */
static int run(struct grep *g, sqlite3 *db, struct err *e)
{
    struct grep_out *pr = NULL;
    int rc, stop = 0;
    size_t k = 0;

    if ((rc = grep_out_open(g, db, &pr, e)) || (rc = grep_scan_start(g, e)))
        goto done;
    for (k = 0; k < g->n_batches && !stop && !rc; k++) {
        const struct grep_batch *b;

        if (g->deadline && time(NULL) >= g->deadline) { /* the MCP server's time bound */
            g->timed_out = 1;
            break;
        }
        b = grep_scan_wait(g, k);

        if (b->rc) {
            *e = b->e;
            rc = b->rc;
        } else {
            rc = grep_out_batch(pr, b, &stop, e);
        }
        grep_scan_done(g, k);
    }
done:
    grep_scan_stop(g);
    if (!rc && pr)
        rc = grep_out_finish(pr, e);
    if (!rc && pr && fflush(stdout) != 0) /* the data first, then the totals after it */
        rc = err_set(e, ERR_IO, "write output: failed");
    if (!rc && pr)
        grep_out_totals(pr, k < g->n_batches, stderr);
    grep_out_free(pr);
    return rc;
}

static int parse_count_arg(const char *opt, const char *arg, long long max, long long *v,
                           struct err *e)
{
    char *end = NULL;

    *v = strtoll(arg, &end, 10);
    if (!*arg || *end || *v < 0 || *v > max)
        return err_set(e, ERR_USAGE, "grep: %s '%s': expected a whole number from 0 to %lld", opt,
                       arg, max);
    return ERR_OK;
}

static int parse_args(struct grep *g, struct cmd_ctx *c, int argc, char **argv, int *help,
                      const char **color, struct err *e)
{
    enum { OPT_SPEAKER = 0x3000, OPT_MAX_HITS, OPT_COLOR };
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS,
        FILTER_LONG_OPTIONS,
        {"regexp", 1, NULL, 'e'},
        {"ignore-case", 0, NULL, 'i'},
        {"context", 1, NULL, 'C'},
        {"count", 0, NULL, 'c'},
        {"files-with-matches", 0, NULL, 'l'},
        {"threads", 1, NULL, 'j'},
        {"speaker", 1, NULL, OPT_SPEAKER},
        {"max-hits", 1, NULL, OPT_MAX_HITS},
        {"color", 1, NULL, OPT_COLOR},
        {NULL, 0, NULL, 0},
    };
    long long v;
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":e:iC:clj:", longopts, NULL)) != -1) {
        rc = ERR_OK;
        switch (opt) {
        case CMD_OPT_HELP: *help = 1; return ERR_OK;
        case '?':
        case ':': return cmd_bad_option("grep", opt, argv, e);
        case 'e': g->pattern = optarg; break;
        case 'i': g->flags |= RE_CASELESS; break;
        case 'c': g->mode = GREP_COUNT; break;
        case 'l': g->mode = GREP_LIST; break;
        case 'C':
            rc = parse_count_arg("-C", optarg, 1000, &v, e);
            g->context = (int)v;
            break;
        case 'j':
            rc = parse_count_arg("--threads", optarg, GREP_MAX_THREADS, &v, e);
            if (!rc && v == 0)
                rc = err_set(e, ERR_USAGE, "grep: --threads must be at least 1");
            g->threads = (int)v;
            break;
        case OPT_MAX_HITS:
            rc = parse_count_arg("--max-hits", optarg, LLONG_MAX, &v, e);
            if (!rc && v == 0)
                rc = err_set(e, ERR_USAGE, "grep: --max-hits must be at least 1");
            g->max_hits = (size_t)v;
            break;
        case OPT_SPEAKER:
            if (strcmp(optarg, "rep") == 0)
                g->speaker = GREP_REP;
            else if (strcmp(optarg, "customer") == 0)
                g->speaker = GREP_CUSTOMER;
            else if (strcmp(optarg, "all") == 0)
                g->speaker = GREP_ANY;
            else
                rc = err_set(e, ERR_USAGE, "grep: --speaker '%s': expected rep, customer or all",
                             optarg);
            break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
                rc = err_set(e, ERR_USAGE, "grep: --color '%s': expected auto, always or never",
                             optarg);
            *color = optarg;
            break;
        default:
            if ((rc = cmd_common_option(c, opt, optarg, e)) == CMD_PASS)
                rc = filter_option(&g->f, opt, optarg, e);
        }
        if (rc)
            return rc;
    }
    if (!g->pattern && optind < argc)
        g->pattern = argv[optind++];
    if (!g->pattern)
        return err_set(e, ERR_USAGE, "grep: give a PATTERN (see %s grep --help)", CMD_PROG);
    if (optind < argc)
        return err_set(e, ERR_USAGE, "grep: unexpected argument '%s' (see %s grep --help)",
                       argv[optind], CMD_PROG);
    return ERR_OK;
}

void grep_init(struct grep *g, const struct cmd_ctx *c)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    memset(g, 0, sizeof *g);
    g->c = c;
    g->mode = GREP_TEXT;
    filter_init(&g->f);
    buf_init(&g->ids, (size_t)1 << 30);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->threads = ncpu < 1 ? 1 : ncpu > GREP_MAX_THREADS ? GREP_MAX_THREADS : (int)ncpu;
}

void grep_release(struct grep *g)
{
    re_free(g->re);
    free(g->cands);
    buf_release(&g->ids);
    filter_release(&g->f);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
}

int grep_execute(struct grep *g, struct err *e)
{
    sqlite3 *db = NULL;
    size_t dropped = 0;
    int rc;

    if ((rc = re_compile(g->pattern, g->flags, &g->re, e))) {
        err_wrap(e, "grep");
        goto done;
    }
    if ((rc = cmd_open_db(g->c, &db, e)) || (rc = db_exec(db, GREP_NO_MMAP "BEGIN", e)) ||
        (rc = filter_validate(&g->f, db, e)) || (rc = load_cands(g, db, e)))
        goto done;
    if ((rc = grep_index_filter(g, db, &dropped, e)))
        goto done;
    rc = run(g, db, e);
done:
    sqlite3_close(db);
    return rc;
}

int cmd_grep(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    struct grep g;
    const char *color = NULL;
    int help = 0, rc;

    grep_init(&g, c);
    if ((rc = parse_args(&g, c, argc, argv, &help, &color, e)))
        goto done;
    if (help) {
        printf("%s%s%s", grep_help_head, filter_help, grep_help_tail);
        goto done;
    }
    if (g.mode == GREP_TEXT && c->format_set)
        g.mode = GREP_ROWS;
    if (g.mode != GREP_TEXT)
        g.context = 0;
    g.color = g.mode == GREP_TEXT && out_want_color(1, color);
    rc = grep_execute(&g, e);
    if (g.corrupt)
        fprintf(stderr,
                "%s: warning: skipped %zu transcript%s that could not be read "
                "(corrupt)\n",
                CMD_PROG, g.corrupt, g.corrupt == 1 ? "" : "s");
done:
    grep_release(&g);
    return rc;
}
