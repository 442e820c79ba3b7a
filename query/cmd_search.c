/* cmd_search: `callmine-query search QUERY [FILTERS]` ranks transcript sentences by bm25.
 *
 * The search itself is search.c; this file holds the command line and the printing. Text
 * (the default) is grep's: a heading when the hit's call differs from the previous hit's
 * (title, date, rep, stage, id), then `mm:ss Speaker (rep|customer): sentence` with the
 * query's words highlighted on a terminal. With --format, one row per hit: call_id, title,
 * started, speaker_id, speaker_name, affiliation, start_ms, text, snippet (the words in
 * **bold**), score, url. The totals go to stderr. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "filter.h"
#include "search.h"

#include "banned.h"

static const char search_help_head[] =
    "Usage: callmine-query search QUERY [FILTERS] [--speaker rep|customer|all] [--limit N]\n"
    "\n"
    "Rank the transcript sentences of the calls that match FILTERS by how well they match\n"
    "QUERY (bm25, best first) and print the best. QUERY is FTS5 query syntax: words (all must\n"
    "occur), \"a phrase\", OR, NOT, NEAR(a b, 5), prefix*, parentheses; case and accents do\n"
    "not matter (Cafe finds café). Output, like grep's: a heading per call, then\n"
    "  mm:ss Speaker (rep|customer): sentence\n"
    "with the words highlighted on a terminal.\n"
    "\n"
    "  --speaker rep|customer|all  sentences of reps (Internal), customers (External) or\n"
    "                          everyone (default); unknown speakers only with all\n"
    "  --limit N               the best N hits (default 20; 0: all)\n"
    "  --color auto|always|never   highlight (default auto: on a terminal, unless NO_COLOR)\n"
    "  --format jsonl|json|table|csv|tsv|markdown   one row per hit instead of text:\n"
    "                          call_id, title, started, speaker_id, speaker_name, affiliation,\n"
    "                          start_ms, text (the sentence), snippet (the words in **bold**),\n"
    "                          score (higher is better), url\n"
    "\n";

static const char search_help_tail[] =
    "\n"
    "Exit status 0 whether or not anything matched; 2 for a query FTS5 cannot parse.\n"
    "\n"
    "Examples:\n"
    "  callmine-query search 'competitor OR clarivox' --outcome lost --speaker customer\n"
    "  callmine-query search '\"too expensive\"' --min-amount 50k --format jsonl\n"
    "  callmine-query search 'NEAR(price discount, 5)' --from 90d --limit 50\n";

#define C_HEAD "\033[1;35m"
#define C_TIME "\033[32m"
#define C_MATCH "\033[1;31m"
#define C_OFF "\033[0m"

struct printer {
    const struct cmd_ctx *c;
    sqlite3 *db;
    struct filter f;
    int color;
    struct out *rows;   /* --format */
    struct buf ob;      /* text output */
    sqlite3_stmt *meta; /* title, started, rep, stage of a call (the heading) */
    struct buf last;    /* the call of the last heading */
};

static int put_safe(struct buf *b, const char *s, size_t n, struct err *e)
{
    return out_safe_text(b, s, n, e) ? err_set(e, ERR_NOMEM, "search: out of memory") : ERR_OK;
}

static int heading(struct printer *p, const struct search_hit *h, struct err *e)
{
    struct buf *o = &p->ob;
    const char *v;
    int rc, step;

    if (p->last.data && strcmp(p->last.data, h->call_id) == 0)
        return ERR_OK;
    buf_reset(&p->last);
    if ((rc = buf_puts(&p->last, h->call_id, e)))
        return rc;
    sqlite3_bind_text(p->meta, 1, h->call_id, -1, SQLITE_STATIC);
    step = sqlite3_step(p->meta);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = err_set(e, ERR_DB, "search: read call: %s", sqlite3_errmsg(p->db));
        sqlite3_reset(p->meta);
        return rc;
    }
    if ((o->len && (rc = buf_putc(o, '\n', e))) || (rc = buf_puts(o, p->color ? C_HEAD : "", e)) ||
        (rc = put_safe(o, h->title ? h->title : "(untitled)", h->title ? strlen(h->title) : 10,
                       e)) ||
        (rc = buf_puts(o, p->color ? C_OFF : "", e)))
        goto done;
    if (h->started && (rc = buf_printf(o, e, " · %.10s", h->started)))
        goto done;
    for (int col = 0; step == SQLITE_ROW && col < 2; col++)
        if ((v = (const char *)sqlite3_column_text(p->meta, col)) && *v &&
            ((rc = buf_puts(o, " · ", e)) || (rc = put_safe(o, v, strlen(v), e))))
            goto done;
    if ((rc = buf_puts(o, " · id ", e)) || (rc = put_safe(o, h->call_id, strlen(h->call_id), e)))
        goto done;
    rc = buf_putc(o, '\n', e);
done:
    sqlite3_reset(p->meta);
    return rc;
}

static int text_hit(struct printer *p, const struct search_hit *h, struct err *e)
{
    struct buf *o = &p->ob;
    const char *on = p->color ? C_MATCH : "", *off = p->color ? C_OFF : "";
    size_t at = 0;
    char t[24];
    int rc;

    if ((rc = heading(p, h, e)))
        return rc;
    out_mmss(h->start_ms, t);
    if ((rc = buf_printf(o, e, "%s%s%s ", p->color ? C_TIME : "", t, off)))
        return rc;
    if (h->speaker_name)
        rc = put_safe(o, h->speaker_name, strlen(h->speaker_name), e);
    else if (h->speaker_id)
        rc = buf_puts(o, "speaker ", e) || put_safe(o, h->speaker_id, h->speaker_id_len, e);
    else
        rc = buf_puts(o, "unknown speaker", e);
    if (!rc && h->role)
        rc = buf_puts(o, h->role == SEARCH_REP ? " (rep)" : " (customer)", e);
    if (!rc)
        rc = buf_puts(o, ": ", e);
    for (size_t j = 0; j < h->n_spans && !rc; j++) {
        const struct search_span *s = &h->spans[j];

        rc = put_safe(o, h->text + at, s->s - at, e) || buf_puts(o, on, e) ||
             put_safe(o, h->text + s->s, s->e - s->s, e) || buf_puts(o, off, e);
        at = s->e;
    }
    if (!rc)
        rc = put_safe(o, h->text + at, h->text_len - at, e) || buf_putc(o, '\n', e);
    if (rc)
        return err_set(e, ERR_NOMEM, "search: out of memory");
    return o->len >= (64u << 10) ? out_flush_buf(stdout, o, e) : ERR_OK;
}

static struct out_cell cell(const char *s, size_t n)
{
    struct out_cell c = {.type = s ? SQLITE_TEXT : SQLITE_NULL, .s = s, .n = n};

    return c;
}

static struct out_cell str_cell(const char *s)
{
    return cell(s, s ? strlen(s) : 0);
}

static int row_hit(struct printer *p, const struct search_hit *h, struct err *e)
{
    struct out_cell cells[11] = {
        str_cell(h->call_id),
        str_cell(h->title),
        str_cell(h->started),
        cell(h->speaker_id, h->speaker_id_len),
        str_cell(h->speaker_name),
        str_cell(h->affiliation),
        {.type = SQLITE_INTEGER, .i = h->start_ms},
        cell(h->text, h->text_len),
        str_cell(h->snippet),
        {.type = SQLITE_FLOAT, .d = h->score},
        str_cell(h->url),
    };

    return out_row(p->rows, cells, e);
}

static int on_hit(void *ctx, const struct search_hit *h, struct err *e)
{
    struct printer *p = ctx;

    return p->rows ? row_hit(p, h, e) : text_hit(p, h, e);
}

static int open_printer(struct printer *p, struct err *e)
{
    static const char *const cols[] = {"call_id",      "title",       "started",  "speaker_id",
                                       "speaker_name", "affiliation", "start_ms", "text",
                                       "snippet",      "score",       "url"};
    struct buf q;
    int rc;

    buf_init(&q, 0);
    if (!(rc = buf_printf(&q, e, "SELECT %s, ", filter_rep_expr)) &&
        !(rc = filter_deal_column(&p->f, "stage", &q, e)) &&
        !(rc = buf_puts(&q, " FROM calls WHERE calls.id = ?1", e)))
        rc = cmd_prepare(p->db, q.data, &p->meta, e);
    buf_release(&q);
    if (rc || !p->c->format_set)
        return rc;
    if (!(p->rows = out_new(stdout, p->c->format, 0)))
        return err_set(e, ERR_NOMEM, "search: out of memory");
    return out_begin(p->rows, 11, cols, e);
}

static int parse_args(struct printer *p, struct search_opts *o, struct cmd_ctx *c, int argc,
                      char **argv, int *help, const char **color, struct err *e)
{
    enum { OPT_SPEAKER = 0x3000, OPT_LIMIT, OPT_COLOR };
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS,
        FILTER_LONG_OPTIONS,
        {"speaker", 1, NULL, OPT_SPEAKER},
        {"limit", 1, NULL, OPT_LIMIT},
        {"color", 1, NULL, OPT_COLOR},
        {NULL, 0, NULL, 0},
    };
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        rc = ERR_OK;
        switch (opt) {
        case CMD_OPT_HELP: *help = 1; return ERR_OK;
        case '?':
        case ':': return cmd_bad_option("search", opt, argv, e);
        case OPT_SPEAKER:
            if (strcmp(optarg, "rep") == 0)
                o->speaker = SEARCH_REP;
            else if (strcmp(optarg, "customer") == 0)
                o->speaker = SEARCH_CUSTOMER;
            else if (strcmp(optarg, "all") == 0)
                o->speaker = SEARCH_ANY;
            else
                rc = err_set(e, ERR_USAGE, "search: --speaker '%s': expected rep, customer or all",
                             optarg);
            break;
        case OPT_LIMIT: {
            char *end = NULL;
            long long v = strtoll(optarg, &end, 10);

            if (!*optarg || *end || v < 0)
                rc = err_set(e, ERR_USAGE, "search: --limit '%s': expected a whole number (0: all)",
                             optarg);
            o->limit = (size_t)v;
            break;
        }
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
                rc = err_set(e, ERR_USAGE, "search: --color '%s': expected auto, always or never",
                             optarg);
            *color = optarg;
            break;
        default:
            if ((rc = cmd_common_option(c, opt, optarg, e)) == CMD_PASS)
                rc = filter_option(&p->f, opt, optarg, e);
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        o->query = argv[optind++];
    if (!o->query)
        return err_set(e, ERR_USAGE, "search: give a QUERY (see %s search --help)", CMD_PROG);
    if (optind < argc)
        return err_set(e, ERR_USAGE,
                       "search: unexpected argument '%s' (quote a QUERY of several words; see "
                       "%s search --help)",
                       argv[optind], CMD_PROG);
    return ERR_OK;
}

/* A phrase reads the index pages of its common words once per sentence that holds its rare
 * one: a page cache of 16 MB (SQLite's default is 2 MB) keeps them for the next sentence
 * instead of reading them again. No memory mapping: most of the index lies past the 2 GB
 * SQLite maps at most (at 100,000 calls 89% of its pages), so a mapping saved no time, while
 * every page it touched stayed resident: a filtered search (the filter reads calls and deals)
 * held 210-240 MB at 100,000 calls with it and 23-34 MB without. */
#define SEARCH_PAGES "PRAGMA mmap_size = 0; PRAGMA cache_size = -16384; "

/* search_opts.open_peer: a second connection opened as the first. */
static int open_peer(void *ctx, sqlite3 **db, struct err *e)
{
    int rc = cmd_open_db(ctx, db, e);

    if (!rc && (rc = db_exec(*db, SEARCH_PAGES "BEGIN", e))) {
        sqlite3_close(*db);
        *db = NULL;
    }
    return rc;
}

int cmd_search(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    struct printer p = {.c = c};
    struct search_opts o = {
        .limit = 20, .on = "**", .off = "**", .open_peer = open_peer, .peer_ctx = c};
    struct search_totals t;
    const char *color = NULL;
    int help = 0, rc;

    filter_init(&p.f);
    buf_init(&p.ob, 0);
    buf_init(&p.last, 0);
    if ((rc = parse_args(&p, &o, c, argc, argv, &help, &color, e)))
        goto done;
    if (help) {
        printf("%s%s%s", search_help_head, filter_help, search_help_tail);
        goto done;
    }
    o.f = &p.f;
    p.color = !c->format_set && out_want_color(1, color);
    if ((rc = cmd_open_db(c, &p.db, e)) || (rc = db_exec(p.db, SEARCH_PAGES "BEGIN", e)) ||
        (rc = filter_validate(&p.f, p.db, e)) || (rc = open_printer(&p, e)) ||
        (rc = search_run(p.db, &o, on_hit, &p, &t, e)))
        goto done;
    if (p.rows)
        rc = out_end(p.rows, e);
    if (!rc)
        rc = out_flush_buf(stdout, &p.ob, e);
    if (!rc)
        fprintf(stderr, "search: %zu hit%s in %zu call%s%s%s\n", t.hits, t.hits == 1 ? "" : "s",
                t.calls, t.calls == 1 ? "" : "s", t.more ? " (the best; --limit N shows more)" : "",
                t.capped ? "; over 20000 sentences match: the newest 20000 were ranked "
                           "(FILTERS narrow it, --limit 0 ranks all)"
                         : "");
done:
    out_free(p.rows);
    sqlite3_finalize(p.meta);
    sqlite3_close(p.db);
    buf_release(&p.ob);
    buf_release(&p.last);
    filter_release(&p.f);
    return rc;
}
