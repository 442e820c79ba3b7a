/* cmd_analyze: `callmine-query analyze NAME [PATTERN] [FILTERS] [--by GROUPING]` runs one
 * analysis, and `analyze --list` lists them.
 *
 * The analyses are SQL files (analysis.h): the built-in ones from sql/analyses/ and the
 * user's. A run builds the filtered scope once as TEMP tables on the read-only connection
 * (scope.h), sets its grouping (--by, else the analysis' own default), then runs the file
 * and streams its last statement's rows through the out.h writers: one row per group,
 * "group" and calls first.
 * --list prints NAME<TAB>definition lines (no header) unless another format is asked for. */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cmd.h"
#include "filter.h"
#include "re.h"
#include "scope.h"

#include "banned.h"

static const char analyze_help_head[] =
    "Usage: callmine-query analyze NAME [PATTERN] [OPTIONS] [FILTERS]\n"
    "       callmine-query analyze --list\n"
    "\n"
    "Run one analysis over the calls that match FILTERS and print one row per group: the\n"
    "group, its calls, then the analysis' measures. `analyze --list` shows every analysis\n"
    "with its one-line definition; `analyze NAME --help` shows its full definition.\n"
    "\n"
    "  --by GROUPING       rep|stage|month|week|outcome|company-size|call|all (default: the\n"
    "                      analysis' own, usually rep). rep is the call's rep: the internal\n"
    "                      speaker with the most talk time in the transcript, else the\n"
    "                      primary user; one row per person, two people who share a name\n"
    "                      told apart by e-mail. outcome is won, lost, open (the deal's Now\n"
    "                      stage) or no deal. company-size bands employees: 1-49, 50-199,\n"
    "                      200-999, 1000-4999, 5000+, unknown, no deal. week is its Monday.\n"
    "  -i, --ignore-case   match PATTERN case-insensitively (mentions, won-vs-lost)\n"
    "  --speaker rep|customer|all  whose sentences PATTERN is matched in (default all)\n"
    "  --stages FILE       closed stages of other pipelines, lines such as\n"
    "                        won = Signed, Contract Executed\n"
    "                        lost = Disqualified\n"
    "                      (default: ~/.config/callmine/stages.conf when it exists; closedwon,\n"
    "                      closedlost, \"Closed Won\" and \"Closed Lost\" need no file)\n"
    "  --analyses DIR      more analyses, one NAME.sql each (default:\n"
    "                      ~/.config/callmine/analyses/); see the README\n"
    "  --format FORMAT     table|csv|tsv|json|jsonl|markdown (default: table on a terminal,\n"
    "                      tsv when piped)\n"
    "\n";

static const char analyze_help_tail[] =
    "\n"
    "Examples:\n"
    "  callmine-query analyze --list\n"
    "  callmine-query analyze talk-ratio --from 2024-01-01\n"
    "  callmine-query analyze mentions -i '\\bdiscount' --by company-size\n"
    "  callmine-query analyze won-vs-lost 'Clarivox' --speaker customer\n"
    "  callmine-query analyze questions --by month --rep dana --format jsonl\n";

enum { OPT_BY = 0x3000, OPT_SPEAKER, OPT_STAGES, OPT_ANALYSES, OPT_LIST };

struct settings {
    struct filter f;
    const char *by, *speaker, *stages, *dir;
    int caseless, list, help;
};

static int list_analyses(const struct cmd_ctx *c, const struct analysis_set *set, struct err *e)
{
    static const char *const names[] = {"name", "summary"};
    enum out_format fmt = cmd_table_format(c);
    struct out *o;
    int rc;

    if (fmt == OUT_TSV) { /* NAME<TAB>definition, no header */
        for (size_t i = 0; i < set->n; i++)
            printf("%s\t%s\n", set->a[i].name, set->a[i].summary);
        return ERR_OK;
    }
    if (!(o = out_new(stdout, fmt, 0)))
        return err_set(e, ERR_NOMEM, "analyze: out of memory");
    rc = out_begin(o, 2, names, e);
    for (size_t i = 0; i < set->n && !rc; i++) {
        struct out_cell cells[2] = {
            {.type = SQLITE_TEXT, .s = set->a[i].name, .n = strlen(set->a[i].name)},
            {.type = SQLITE_TEXT, .s = set->a[i].summary, .n = strlen(set->a[i].summary)},
        };

        rc = out_row(o, cells, e);
    }
    if (!rc)
        rc = out_end(o, e);
    out_free(o);
    return rc;
}

/* Print the analysis' header comment (its full definition) for a person: the lines that are
 * notes for the program (@by, @args, @when-by, ...) are left out, the default grouping and
 * the pattern argument said in words. */
static void describe(const struct analysis *a)
{
    const char *p = a->text;

    printf("%s (%s)\n\n", a->name, a->origin);
    while (*p) {
        const char *end = strchr(p, '\n'), *s = p;

        if (!end)
            end = p + strlen(p);
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        if (end - s < 2 || s[0] != '-' || s[1] != '-')
            break;
        s += 2;
        if (s < end && *s == ' ')
            s++;
        if (s >= end || *s != '@')
            printf("%.*s\n", (int)(end - s), s);
        p = *end ? end + 1 : end;
    }
    printf("\nUsage: %s analyze %s%s [FILTERS] [--by GROUPING]\nDefault grouping: --by %s\n",
           CMD_PROG, a->name, a->needs_pattern ? " PATTERN [-i] [--speaker rep|customer|all]" : "",
           a->by);
}

/* Print st's rows through the out writers, only the columns of a that apply to the grouping
 * by. ERR_DB on a failed step. */
static int print_rows(struct out *o, sqlite3_stmt *st, const struct analysis *a, const char *by,
                      struct err *e)
{
    int ncol = sqlite3_column_count(st), keep[64], n = 0, rc;
    const char *names[64];
    struct out_cell cells[64];

    for (int i = 0; i < ncol && n < 64; i++)
        if (analysis_column_applies(a, sqlite3_column_name(st, i), by)) {
            keep[n] = i;
            names[n++] = sqlite3_column_name(st, i);
        }
    if ((rc = out_begin(o, (size_t)n, names, e)))
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++)
            out_cell_from_stmt(st, keep[i], &cells[i]);
        if ((rc = out_row(o, cells, e)))
            return rc;
    }
    if (rc != SQLITE_DONE) {
        rc = err_set(e, ERR_DB, "%s", sqlite3_errmsg(sqlite3_db_handle(st)));
        out_end(o, NULL);
        return rc;
    }
    return out_end(o, e);
}

static int run(const struct cmd_ctx *c, const struct settings *s, const struct analysis *a,
               const char *pattern, struct err *e)
{
    size_t corrupt = 0;
    struct analysis_params p = {pattern, s->caseless ? "i" : "", s->speaker, s->by ? s->by : a->by,
                                &corrupt};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct out *o = NULL;
    int rc;

    if (!scope_by_valid(p.by)) {
        rc = err_set(e, ERR_USAGE, "analyze %s: --by '%s': choose one of %s", a->name, p.by,
                     SCOPE_BY_NAMES);
        goto done;
    }
    if ((rc = cmd_open_db(c, &db, e)) || (rc = scope_connect(db, e)) ||
        (rc = filter_validate(&s->f, db, e)) || (rc = analysis_stages(db, s->stages, e)) ||
        (rc = scope_build(db, &s->f, scope_reads_deals(a->text, p.by), e)) ||
        (rc = scope_group(db, p.by, e)))
        goto done;
    if ((rc = analysis_run(db, a, &p, &st, e)))
        goto done;
    if (corrupt)
        fprintf(stderr, "%s: warning: skipped %zu transcript%s that could not be read (corrupt)\n",
                CMD_PROG, corrupt, corrupt == 1 ? "" : "s");
    if (!(o = out_new(stdout, cmd_table_format(c), c->stdout_tty ? OUT_TRUNCATE : 0))) {
        rc = err_set(e, ERR_NOMEM, "analyze: out of memory");
        goto done;
    }
    if ((rc = print_rows(o, st, a, p.by, e)) == ERR_DB)
        err_wrap(e, "analysis '%s'", a->name);
done:
    out_free(o);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static int parse(struct settings *s, struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS,
        FILTER_LONG_OPTIONS,
        {"by", 1, NULL, OPT_BY},
        {"speaker", 1, NULL, OPT_SPEAKER},
        {"ignore-case", 0, NULL, 'i'},
        {"stages", 1, NULL, OPT_STAGES},
        {"analyses", 1, NULL, OPT_ANALYSES},
        {"list", 0, NULL, OPT_LIST},
        {NULL, 0, NULL, 0},
    };
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":i", longopts, NULL)) != -1) {
        switch (opt) {
        case CMD_OPT_HELP: s->help = 1; break;
        case 'i': s->caseless = 1; break;
        case OPT_LIST: s->list = 1; break;
        case OPT_BY: s->by = optarg; break;
        case OPT_STAGES: s->stages = optarg; break;
        case OPT_ANALYSES: s->dir = optarg; break;
        case OPT_SPEAKER:
            if (strcmp(optarg, "rep") && strcmp(optarg, "customer") && strcmp(optarg, "all"))
                return err_set(e, ERR_USAGE, "--speaker '%s': choose rep, customer or all", optarg);
            s->speaker = optarg;
            break;
        case '?':
        case ':': return cmd_bad_option("analyze", opt, argv, e);
        default:
            if ((rc = cmd_common_option(c, opt, optarg, e)) == CMD_PASS)
                rc = filter_option(&s->f, opt, optarg, e);
            if (rc)
                return rc;
        }
    }
    return ERR_OK;
}

int cmd_analyze(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    struct settings s = {.speaker = "all"};
    struct analysis_set set = {0};
    const struct analysis *a;
    const char *pattern = NULL;
    int rc;

    filter_init(&s.f);
    if ((rc = parse(&s, c, argc, argv, e)))
        goto done;
    if (s.help && optind >= argc) {
        printf("%s%s%s", analyze_help_head, filter_help, analyze_help_tail);
        goto done;
    }
    if ((rc = analysis_set_load(&set, s.dir, e)))
        goto done;
    if (s.list) {
        rc = list_analyses(c, &set, e);
        goto done;
    }
    if (optind >= argc) {
        rc = err_set(e, ERR_USAGE, "analyze: name an analysis (see %s analyze --list)", CMD_PROG);
        goto done;
    }
    if (!(a = analysis_find(&set, argv[optind]))) {
        rc = err_set(e, ERR_USAGE, "analyze: unknown analysis '%s' (see %s analyze --list)",
                     argv[optind], CMD_PROG);
        goto done;
    }
    if (s.help) {
        describe(a);
        goto done;
    }
    optind++;
    if (a->needs_pattern) {
        if (optind >= argc) {
            rc = err_set(e, ERR_USAGE, "analyze %s: give a PATTERN (e.g. %s analyze %s -i 'word')",
                         a->name, CMD_PROG, a->name);
            goto done;
        }
        pattern = argv[optind++];
        {
            struct re *re = NULL;

            if ((rc = re_compile(pattern, s.caseless ? RE_CASELESS : 0, &re, e))) {
                err_wrap(e, "analyze %s: PATTERN", a->name);
                goto done;
            }
            re_free(re);
        }
    }
    if (optind < argc) {
        rc = err_set(e, ERR_USAGE, "analyze %s: unexpected argument '%s' (see %s analyze --help)",
                     a->name, argv[optind], CMD_PROG);
        goto done;
    }
    rc = run(c, &s, a, pattern, e);
done:
    analysis_set_release(&set);
    filter_release(&s.f);
    return rc;
}
