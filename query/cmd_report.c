/* cmd_report: `callmine-query report [FILTERS] -o FILE.html` writes one self-contained HTML
 * report of the calls FILTERS select (the page itself: report.c).
 *
 * It parses the options, opens the mirror read-only, builds the scope once (its columns
 * computed once into a TEMP table in a file, since the page reads it twenty times), starts
 * the analyses of the page's later sections on a second thread when the machine has two
 * cores (report_pre.h; use_threads), has report.c build the page in memory, and writes it to a
 * temporary file beside FILE that is then renamed over it, so a reader never sees half a
 * report ('-o -' writes to stdout). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis.h"
#include "cmd.h"
#include "filter.h"
#include "re.h"
#include "report.h"
#include "report_pre.h"
#include "rpage.h"
#include "scope.h"

#include "banned.h"

#define REPORT_MAX_MENTIONS 8

static const char report_help_head[] =
    "Usage: callmine-query report [FILTERS] -o FILE.html [OPTIONS]\n"
    "\n"
    "Write one self-contained HTML report of the calls that match FILTERS, for a sales\n"
    "manager: a summary (calls, reps, deals, pipeline by stage and outcome, win rate,\n"
    "transcript coverage), coaching measures per rep against their bands, the same measures\n"
    "for won, lost and open deals, each --mention pattern with example quotes, topics and\n"
    "trackers by outcome, activity, the data's coverage and freshness, and each rep's latest\n"
    "calls linked to Gong. Charts are inline SVG; the page uses no script and no network and\n"
    "prints cleanly. When no call matches, the page says so (exit status 0, a notice on\n"
    "stderr).\n"
    "\n"
    "  -o, --output FILE       the HTML file to write ('-' for stdout)\n"
    "  --mention PATTERN       also chart PATTERN (PCRE2) by outcome, rep and company size,\n"
    "                          with the won-vs-lost comparison (repeatable, up to 8)\n"
    "  -i, --ignore-case       match the --mention patterns case-insensitively\n"
    "  --speaker rep|customer|all  whose sentences the patterns are matched in (default all)\n"
    "  --title TEXT            the report's title (default: Call report)\n"
    "  --stages FILE           closed stages of other pipelines (see analyze --help)\n"
    "  --analyses DIR          user analyses that replace built-in ones of the same name\n"
    "\n";

static const char report_help_tail[] =
    "\n"
    "Examples:\n"
    "  callmine-query report -o calls.html\n"
    "  callmine-query report --from 2024-01-01 --to 2024-04-01 --mention Clarivox -o q1.html\n";

enum { OPT_MENTION = 0x3100, OPT_SPEAKER, OPT_TITLE, OPT_STAGES, OPT_ANALYSES };

struct options {
    struct filter f;
    const char *out, *stages, *dir;
    const char *mentions[REPORT_MAX_MENTIONS];
    struct buf filters; /* the filter options as given, for display */
};

/* 1 when the second thread should run: the environment's CALLMINE_REPORT_THREADS (1 or 2, a
 * measuring and testing aid) says, else when the machine has a second core, as grep's
 * workers do. The second thread builds the scope a second time (0.7 s of CPU at 100,000
 * calls): with a core to itself the page takes the longer thread's time (2.2-2.4 s of CPU
 * instead of 3.6 s); on a machine whose cores are all busy it only adds that CPU (measured
 * under a load of 5: one thread 5.1-7.2 s wall, two 6.7-8.0). A choice by the load average
 * was tried and dropped: the page's speed would then depend on what ran the minute before. */
static int use_threads(void)
{
    const char *env = getenv("CALLMINE_REPORT_THREADS");

    if (env && *env)
        return strcmp(env, "1") != 0;
    return sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

static int write_page(const struct buf *page, const char *path, struct err *e)
{
    struct buf tmp;
    FILE *fp = NULL;
    int fd = -1, rc = ERR_OK;

    if (strcmp(path, "-") == 0) {
        if (fwrite(page->data, 1, page->len, stdout) != page->len)
            return err_set(e, ERR_IO, "report: write to stdout: failed");
        return ERR_OK;
    }
    buf_init(&tmp, 0);
    if ((rc = buf_printf(&tmp, e, "%s.tmp-XXXXXX", path)))
        goto done;
    if ((fd = mkstemp(tmp.data)) < 0 || !(fp = fdopen(fd, "wb"))) {
        rc = err_set(e, ERR_IO, "report: create '%s': %s", tmp.data, strerror(errno));
        goto done;
    }
    fd = -1;
    if (fwrite(page->data, 1, page->len, fp) != page->len || fflush(fp) != 0 ||
        fsync(fileno(fp)) != 0) {
        rc = err_set(e, ERR_IO, "report: write '%s': %s", tmp.data, strerror(errno));
        goto done;
    }
    if (fchmod(fileno(fp), 0644) != 0 || fclose(fp) != 0) {
        fp = NULL;
        rc = err_set(e, ERR_IO, "report: write '%s': %s", tmp.data, strerror(errno));
        goto done;
    }
    fp = NULL;
    if (rename(tmp.data, path) != 0)
        rc = err_set(e, ERR_IO, "report: rename to '%s': %s", path, strerror(errno));
done:
    if (fp)
        fclose(fp);
    if (fd >= 0)
        close(fd);
    if (rc && tmp.data)
        unlink(tmp.data);
    buf_release(&tmp);
    return rc;
}

/* Record a filter option for the page's "Filters:" line, quoted when it needs it. */
static int note_filter(struct buf *b, const char *name, const char *arg, struct err *e)
{
    int rc;

    if ((b->len && (rc = buf_putc(b, ' ', e))) || (rc = buf_printf(b, e, "--%s ", name)))
        return rc;
    if (arg[strcspn(arg, " \t'\"\\$`*?;&|<>()")] == '\0' && *arg)
        return buf_puts(b, arg, e);
    if ((rc = buf_putc(b, '\'', e)))
        return rc;
    for (; *arg; arg++)
        if ((rc = *arg == '\'' ? buf_puts(b, "'\\''", e) : buf_putc(b, *arg, e)))
            return rc;
    return buf_putc(b, '\'', e);
}

static int parse(struct options *o, struct report *r, struct cmd_ctx *c, int argc, char **argv,
                 int *help, struct err *e)
{
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS,
        FILTER_LONG_OPTIONS,
        {"output", 1, NULL, 'o'},
        {"mention", 1, NULL, OPT_MENTION},
        {"ignore-case", 0, NULL, 'i'},
        {"speaker", 1, NULL, OPT_SPEAKER},
        {"title", 1, NULL, OPT_TITLE},
        {"stages", 1, NULL, OPT_STAGES},
        {"analyses", 1, NULL, OPT_ANALYSES},
        {NULL, 0, NULL, 0},
    };
    int opt, li, rc;

    opterr = 0;
    while ((li = -1, opt = getopt_long(argc, argv, ":o:i", longopts, &li)) != -1) {
        switch (opt) {
        case CMD_OPT_HELP: *help = 1; return ERR_OK;
        case 'o': o->out = optarg; break;
        case 'i': r->caseless = 1; break;
        case OPT_TITLE: r->title = optarg; break;
        case OPT_STAGES: o->stages = optarg; break;
        case OPT_ANALYSES: o->dir = optarg; break;
        case OPT_MENTION:
            if (r->n_mentions == REPORT_MAX_MENTIONS)
                return err_set(e, ERR_USAGE, "report: at most %d --mention patterns",
                               REPORT_MAX_MENTIONS);
            o->mentions[r->n_mentions++] = optarg;
            break;
        case OPT_SPEAKER:
            if (strcmp(optarg, "rep") && strcmp(optarg, "customer") && strcmp(optarg, "all"))
                return err_set(e, ERR_USAGE, "--speaker '%s': choose rep, customer or all", optarg);
            r->speaker = optarg;
            break;
        case '?':
        case ':': return cmd_bad_option("report", opt, argv, e);
        default:
            if ((rc = cmd_common_option(c, opt, optarg, e)) == CMD_PASS) {
                if ((rc = filter_option(&o->f, opt, optarg, e)) == ERR_OK && li >= 0)
                    rc = note_filter(&o->filters, longopts[li].name, optarg, e);
            }
            if (rc)
                return rc;
        }
    }
    if (optind < argc)
        return err_set(e, ERR_USAGE, "report: unexpected argument '%s' (see %s report --help)",
                       argv[optind], CMD_PROG);
    if (!o->out)
        return err_set(e, ERR_USAGE, "report: give the output file: -o FILE.html");
    for (size_t i = 0; i < r->n_mentions; i++) {
        struct re *re = NULL;

        if ((rc = re_compile(o->mentions[i], r->caseless ? RE_CASELESS : 0, &re, e)))
            return err_wrap(e, "report: --mention '%s'", o->mentions[i]);
        re_free(re);
    }
    return ERR_OK;
}

int cmd_report(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    struct options o;
    /* on the second thread, while this one runs the summary and the coaching and won-lost
     * measures: two of the won-lost ones that read no Gong stat (which the second thread's
     * table leaves out; so the threads take about as long), then the
     * analyses of the sections after them (what was said, activity, the data behind the page;
     * activity by month is charted when the calls span over 26 weeks) */
    static const struct report_pre_job ahead[] = {
        {.name = "activity", .by = "outcome", .max = RPAGE_MAX_ROWS},
        {.name = "questions", .by = "outcome", .max = 2 * RPAGE_MAX_ROWS},
        {.name = "topics", .by = "outcome", .max = 4 * RPAGE_MAX_ROWS},
        {.name = "trackers", .by = "outcome", .max = 4 * RPAGE_MAX_ROWS},
        {.name = "activity", .by = "week", .max = 520},
        {.name = "activity", .by = "month", .max = 520},
        {.name = "coverage", .by = "month", .max = RPAGE_MAX_ROWS},
        {.name = "freshness", .by = "all", .max = 1},
        {.name = "real-rep", .by = "all", .max = 1},
    };
    struct analysis_set set = {0};
    struct report r;
    struct report_pre pre;
    int help = 0, rc;

    memset(&o, 0, sizeof o);
    memset(&r, 0, sizeof r);
    memset(&pre, 0, sizeof pre);
    filter_init(&o.f);
    buf_init(&o.filters, 0);
    buf_init(&r.h, (size_t)1 << 30);
    r.title = "Call report";
    r.speaker = "all";
    r.set = &set;
    r.mentions = o.mentions;
    if ((rc = parse(&o, &r, c, argc, argv, &help, e)))
        goto done;
    if (help) {
        printf("%s%s%s", report_help_head, filter_help, report_help_tail);
        goto done;
    }
    r.filters = o.filters.data ? o.filters.data : "";
    rpage_mark("start"); /* CALLMINE_REPORT_TIMES: the time of each part on stderr */
    if ((rc = analysis_set_load(&set, o.dir, e)) || (rc = cmd_open_db(c, &r.db, e)) ||
        (rc = scope_connect(r.db, e)) || (rc = filter_validate(&o.f, r.db, e)) ||
        (rc = analysis_stages(r.db, o.stages, e)))
        goto done;
    if (use_threads()) { /* the filter and stages are good */
        if ((rc = report_pre_start(&pre, c, &o.f, o.stages, &set, r.caseless ? "i" : "", r.speaker,
                                   ahead, sizeof ahead / sizeof ahead[0], e)))
            goto done;
        r.pre = &pre;
    }
    if ((rc = scope_build(r.db, &o.f, 1, e)))
        goto done;
    rpage_mark("open the mirror, select the calls");
    if ((rc = scope_materialize(r.db, 0, e)))
        goto done;
    rpage_mark("the scope's table (scope_materialize)");
    if ((rc = report_page(&r, e)))
        goto done;
    if ((rc = write_page(&r.h, o.out, e)))
        goto done;
    if (r.n_calls == 0)
        fprintf(stderr, "%s: report: no calls match the filters; the page says so\n", CMD_PROG);
done:
    report_pre_end(&pre);
    if (r.pre && getenv("CALLMINE_REPORT_TIMES"))
        fprintf(stderr, "report: %-44s %7.3f s wall %7.3f s CPU\n", "the second thread, in all",
                pre.wall, pre.cpu);
    report_release(&r);
    sqlite3_close(r.db);
    analysis_set_release(&set);
    filter_release(&o.f);
    buf_release(&o.filters);
    buf_release(&r.h);
    return rc;
}
