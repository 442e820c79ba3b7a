/* report: the page of `callmine-query report`, built from the analyses over one scope.
 *
 * The page needs nothing but itself: inline CSS, inline SVG charts (svg.h), no script, no
 * font, no image, and a Content-Security-Policy that forbids any fetch, so it opens offline
 * and logs nothing. It shows the filters and their counts, then the built-in analyses over
 * the scope (each chart regroups it with scope_group; the transcript measures are computed
 * once): activity, talk ratio, questions, monologues, patience and interactivity, each
 * mention pattern by outcome with won-vs-lost, trackers and topics, who really ran the
 * calls, coverage and freshness, and the newest calls with their links to Gong. All text
 * from the mirror is escaped (html.h); headings carry ids (the analysis' name) for links.
 *
 * Bounded whatever the mirror's size: every query streams over the scope (scope.h) and the
 * page holds top lists with their totals, never one row per call: at most REPORT_MAX_ROWS
 * rows a table (the rest counted), REPORT_TOP_CALLS calls a call list. A section is one
 * function appending to r->h; report_page lists them in order. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "scope.h"
#include "svg.h"

#include "banned.h"

#define REPORT_MAX_BARS 40   /* groups in one chart; more are listed in the table only */
#define REPORT_MAX_ROWS 200  /* rows of one table; more are counted, not shown */
#define REPORT_TOP_CALLS 50  /* calls in a list of calls (newest, handed off) */
#define REPORT_TOP_CALLS_SQL "50" /* the same, for SQL text */

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return err_set(e, ERR_DB, "report: %s", sqlite3_errmsg(db));
    }
    return ERR_OK;
}

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
    "max-width:1000px;color:#1d2330;background:#fff;padding:0 16px}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 6px;border-bottom:1px "
    "solid #d8dce4;padding-bottom:4px}p.def{color:#555;margin:2px 0 8px}"
    "table{border-collapse:collapse;margin:8px 0;font-size:13px;display:block;max-width:100%;"
    "overflow-x:auto}td{overflow-wrap:break-word}"
    "th,td{border-bottom:1px solid #e3e6ec;padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:#f3f5f8}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".meta{color:#444}.counts{font-size:15px;margin:8px 0}code{background:#f3f5f8;padding:1px "
    "4px;border-radius:3px}"
    "svg.chart{display:block;max-width:100%;height:auto;margin:8px 0;font-size:12px}"
    "svg .s0{fill:#3b6ea8}svg .s1{fill:#d9822b}svg .s2{fill:#7a9a3a}svg .band{fill:#e4f1e1}"
    "svg .ref{stroke:#b03030;stroke-dasharray:4 3;stroke-width:1.5}svg .grid{stroke:#e3e6ec}"
    "svg text{fill:#1d2330}svg .lab{text-anchor:end}svg .xlab{text-anchor:middle}"
    "svg .reflab{fill:#b03030}svg .bandlab{fill:#4d7a43}details{margin:8px 0}"
    "summary{cursor:pointer}";

static int put(struct report *r, const char *s, struct err *e)
{
    return buf_puts(&r->h, s, e);
}

static int text(struct report *r, const char *s, struct err *e)
{
    return html_escape_str(&r->h, s, e);
}

/* Run analysis name grouped by by (pattern for the pattern analyses) into rs: its first max
 * rows, the rest counted in rs->more when count_rest (see html_rs_load_max). */
static int run_max(struct report *r, const char *name, const char *by, const char *pattern,
                   size_t max, int count_rest, struct html_rs *rs, struct err *e)
{
    const struct analysis *a = analysis_find(r->set, name);
    struct analysis_params p = {pattern, r->caseless ? "i" : "", r->speaker, by};
    sqlite3_stmt *st = NULL;
    int rc;

    memset(rs, 0, sizeof *rs);
    if (!a)
        return err_set(e, ERR_USAGE, "report: the analysis '%s' is missing", name);
    if ((rc = scope_group(r->db, by, e)) || (rc = analysis_run(r->db, a, &p, &st, e)))
        return rc;
    if ((rc = html_rs_load_max(rs, st, max, count_rest, e)) == ERR_DB)
        err_wrap(e, "report: analysis '%s'", name);
    sqlite3_finalize(st);
    return rc;
}

static int run(struct report *r, const char *name, const char *by, const char *pattern,
               struct html_rs *rs, struct err *e)
{
    return run_max(r, name, by, pattern, REPORT_MAX_ROWS, 1, rs, e);
}

/* rs as a table of cols (NULL: all), then how many rows it left out. */
static int table(struct report *r, const struct html_rs *rs, const char *const *cols,
                 struct err *e)
{
    int rc = html_table(&r->h, rs, cols, e);

    if (!rc && rs->more)
        rc = buf_printf(&r->h, e, "<p class=\"meta\">%zu more row%s not shown.</p>\n", rs->more,
                        rs->more == 1 ? "" : "s");
    return rc;
}

/* A section heading and the analysis' one-line definition. */
static int section(struct report *r, const char *heading, const char *name, struct err *e)
{
    const struct analysis *a = analysis_find(r->set, name);
    int rc;

    if ((rc = put(r, "<h2 id=\"", e)) || (rc = text(r, name, e)) || (rc = put(r, "\">", e)) ||
        (rc = text(r, heading, e)) || (rc = put(r, "</h2>\n", e)))
        return rc;
    if (a && ((rc = put(r, "<p class=\"def\">", e)) || (rc = text(r, a->summary, e)) ||
              (rc = put(r, "</p>\n", e))))
        return rc;
    return ERR_OK;
}

/* Horizontal bars of columns cols[0..n_series) of rs, labelled by its "group" column. */
static int bars(struct report *r, const struct html_rs *rs, struct svg_chart *c,
                const char *const *cols, struct err *e)
{
    size_t n = rs->nrow < REPORT_MAX_BARS ? rs->nrow : REPORT_MAX_BARS, ns = c->n_series;
    const char **labels = calloc(n + 1, sizeof *labels);
    double *v = calloc((n + 1) * ns, sizeof *v);
    int g = html_rs_col(rs, "group"), rc;

    if (!labels || !v) {
        free(labels);
        free(v);
        return err_set(e, ERR_NOMEM, "report: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        labels[i] = html_rs_at(rs, i, g)->s;
        for (size_t s = 0; s < ns; s++)
            v[i * ns + s] = html_rs_num(rs, i, html_rs_col(rs, cols[s]));
    }
    rc = n ? svg_hbars(&r->h, c, labels, v, n, e) : put(r, "<p>No calls to show.</p>\n", e);
    free(labels);
    free(v);
    return rc;
}

/* An analysis as one chart of cols (n_series in c) and a table of tcols. */
static int chart_and_table(struct report *r, const char *name, const char *by, const char *pattern,
                           struct svg_chart *c, const char *const *cols, const char *const *tcols,
                           struct err *e)
{
    struct html_rs rs;
    int rc;

    if (!(rc = run(r, name, by, pattern, &rs, e)) && (!c || !(rc = bars(r, &rs, c, cols, e))))
        rc = table(r, &rs, tcols, e);
    html_rs_free(&rs);
    return rc;
}

static int header(struct report *r, struct err *e)
{
    sqlite3_stmt *st = NULL;
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    int rc;

    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%d %H:%M UTC", &tm);
    if ((rc = put(r,
                  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "style-src 'unsafe-inline'; img-src data:\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<link rel=\"icon\" href=\"data:,\">\n<title>",
                  e)) ||
        (rc = text(r, r->title, e)) ||
        (rc = buf_printf(&r->h, e,
                         "</title>\n<style>%s</style>"
                         "</head>\n<body>\n<h1>",
                         css)) ||
        (rc = text(r, r->title, e)) || (rc = put(r, "</h1>\n<p class=\"meta\">Mirror <code>", e)) ||
        (rc = text(r, r->db ? sqlite3_db_filename(r->db, "main") : "", e)) ||
        (rc = buf_printf(&r->h, e, "</code>, generated %s by callmine-query.</p>\n", now)) ||
        (rc = put(r, "<p class=\"meta\">Filters: ", e)))
        return rc;
    if (r->filters && *r->filters) {
        if ((rc = put(r, "<code>", e)) || (rc = text(r, r->filters, e)) ||
            (rc = put(r, "</code>", e)))
            return rc;
    } else if ((rc = put(r, "none (every call in the mirror)", e))) {
        return rc;
    }
    if ((rc = put(r, "</p>\n", e)) ||
        (rc = prepare(r->db,
                      "SELECT count(*), total(external), total(has_transcript), "
                      "count(DISTINCT deal_id), count(DISTINCT rep_key), min(started), "
                      "max(started), total(outcome = 'won'), total(outcome = 'lost'), "
                      "total(outcome = 'open'), (SELECT count(*) FROM calls) FROM scope",
                      &st, e)))
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW) {
        long long n = sqlite3_column_int64(st, 0);
        double tr = sqlite3_column_double(st, 2);

        rc = buf_printf(&r->h, e,
                        "<p class=\"counts\"><b>%lld</b> calls of %lld in the mirror: %.0f "
                        "external, %.0f with a transcript (%.1f%%); %lld deals, %lld reps; "
                        "deal calls won %.0f, lost %.0f, open %.0f",
                        n, sqlite3_column_int64(st, 10), sqlite3_column_double(st, 1), tr,
                        n ? 100.0 * tr / (double)n : 0.0, sqlite3_column_int64(st, 3),
                        sqlite3_column_int64(st, 4), sqlite3_column_double(st, 7),
                        sqlite3_column_double(st, 8), sqlite3_column_double(st, 9));
        if (!rc && n && !(rc = put(r, "; from ", e)) &&
            !(rc = text(r, (const char *)sqlite3_column_text(st, 5), e)) &&
            !(rc = put(r, " to ", e)))
            rc = text(r, (const char *)sqlite3_column_text(st, 6), e);
        if (!rc)
            rc = put(r, ".</p>\n", e);
    } else {
        rc = err_set(e, ERR_DB, "report: count the scope: %s", sqlite3_errmsg(r->db));
    }
    sqlite3_finalize(st);
    return rc;
}

static int activity(struct report *r, struct err *e)
{
    static const char *const tcols[] = {"group",          "calls",      "external_calls", "weeks",
                                        "calls_per_week", "first_call", "last_call",      NULL};
    struct svg_chart c = {.title = "Calls per week", .n_series = 1};
    struct html_rs rs;
    const char **labels = NULL;
    double *v = NULL;
    int rc;

    if ((rc = section(r, "Activity: calls per week", "activity", e)) ||
        (rc = run(r, "activity", "week", NULL, &rs, e)))
        return rc;
    labels = calloc(rs.nrow + 1, sizeof *labels);
    v = calloc(rs.nrow + 1, sizeof *v);
    if (!labels || !v) {
        rc = err_set(e, ERR_NOMEM, "report: out of memory");
    } else {
        for (size_t i = 0; i < rs.nrow; i++) {
            labels[i] = html_rs_at(&rs, i, html_rs_col(&rs, "group"))->s;
            v[i] = html_rs_num(&rs, i, html_rs_col(&rs, "calls"));
        }
        rc = rs.nrow ? svg_columns(&r->h, &c, labels, v, rs.nrow, e) : ERR_OK;
    }
    free(labels);
    free(v);
    html_rs_free(&rs);
    if (!rc && !(rc = put(r, "<p class=\"def\">Per rep:</p>\n", e)))
        rc = chart_and_table(r, "activity", "rep", NULL, NULL, NULL, tcols, e);
    return rc;
}

static int conversation(struct report *r, struct err *e)
{
    static const char *const talk_c[] = {"talk_ratio"}, *const q_c[] = {
                                                            "rep_questions_per_call",
                                                            "customer_questions_per_call"};
    static const char *const mono_c[] = {"longest_monologue_s", "longest_story_s"};
    static const char *const talk_t[] = {"group",      "calls",           "rep_email",
                                         "talk_ratio", "gong_talk_ratio", "flag",
                                         "rep_hours",  "customer_hours",  NULL};
    static const char *const pat_c[] = {"patience_s"};
    struct svg_chart talk = {.title = "Talk ratio per rep",
                             .percent = 1,
                             .max = 1,
                             .n_series = 1,
                             .n_refs = 2,
                             .refs = {0.43, 0.65},
                             .ref_labels = {"43%", "65%"}};
    struct svg_chart q = {.title = "Questions per call",
                          .n_series = 2,
                          .series = {"rep", "customer"},
                          .band = 1,
                          .band_lo = 11,
                          .band_hi = 14,
                          .band_label = "11-14 a call"};
    struct svg_chart mono = {.title = "Longest monologue and customer story (seconds)",
                             .n_series = 2,
                             .series = {"rep monologue", "customer story"}};
    struct svg_chart pat = {.title = "Patience (seconds)", .n_series = 1};
    int rc;

    if ((rc = section(r, "Talk ratio", "talk-ratio", e)) ||
        (rc = chart_and_table(r, "talk-ratio", "rep", NULL, &talk, talk_c, talk_t, e)) ||
        (rc = section(r, "Questions", "questions", e)) ||
        (rc = chart_and_table(r, "questions", "rep", NULL, &q, q_c, NULL, e)) ||
        (rc = section(r, "Monologues", "monologues", e)))
        return rc;
    {
        static const char *const cols[] = {"group",
                                           "calls",
                                           "longest_monologue_s",
                                           "max_monologue_s",
                                           "longest_story_s",
                                           "max_story_s",
                                           "gong_longest_monologue_s",
                                           "gong_longest_story_s",
                                           NULL};

        if ((rc = chart_and_table(r, "monologues", "rep", NULL, &mono, mono_c, cols, e)))
            return rc;
    }
    if ((rc = section(r, "Patience", "patience", e)) ||
        (rc = chart_and_table(r, "patience", "rep", NULL, &pat, pat_c, NULL, e)) ||
        (rc = section(r, "Interactivity", "interactivity", e)))
        return rc;
    return chart_and_table(r, "interactivity", "rep", NULL, NULL, NULL, NULL, e);
}

static int mentions(struct report *r, struct err *e)
{
    static const char *const share_c[] = {"share"};
    int rc = ERR_OK;

    for (size_t i = 0; i < r->n_mentions && !rc; i++) {
        struct svg_chart c = {
            .title = "Share of calls with a mention, by outcome", .percent = 1, .n_series = 1};
        struct svg_chart s = {
            .title = "Share of calls with a mention, by company size", .percent = 1, .n_series = 1};

        if ((rc = buf_printf(&r->h, e, "<h2 id=\"mention-%zu\">Mentions of <code>", i + 1)) ||
            (rc = text(r, r->mentions[i], e)) || (rc = put(r, "</code></h2>\n", e)) ||
            (rc =
                 chart_and_table(r, "mentions", "outcome", r->mentions[i], &c, share_c, NULL, e)) ||
            (rc = put(r, "<p class=\"def\">Won against lost deals:</p>\n", e)) ||
            (rc = chart_and_table(r, "won-vs-lost", "all", r->mentions[i], NULL, NULL, NULL, e)) ||
            (rc = chart_and_table(r, "mentions", "company-size", r->mentions[i], &s, share_c, NULL,
                                  e)) ||
            (rc = put(r, "<p class=\"def\">By rep:</p>\n", e)))
            break;
        rc = chart_and_table(r, "mentions", "rep", r->mentions[i], NULL, NULL, NULL, e);
    }
    return rc;
}

/* Trackers: one bar per tracker, one series per outcome (won, lost, open). */
static int trackers(struct report *r, struct err *e)
{
    static const char *const outcomes[] = {"won", "lost", "open"};
    struct svg_chart c = {.title = "Share of calls where each tracker fired, by outcome",
                          .percent = 1,
                          .max = 1,
                          .n_series = 3,
                          .series = {"won", "lost", "open"}};
    struct html_rs rs;
    const char *labels[REPORT_MAX_BARS];
    double v[REPORT_MAX_BARS * 3];
    size_t n = 0;
    int g, t, sh, rc;

    if ((rc = section(r, "Trackers", "trackers", e)) ||
        (rc = run(r, "trackers", "outcome", NULL, &rs, e)))
        return rc;
    g = html_rs_col(&rs, "group"), t = html_rs_col(&rs, "tracker"), sh = html_rs_col(&rs, "share");
    for (size_t i = 0; i < rs.nrow; i++) {
        const char *name = html_rs_at(&rs, i, t)->s, *grp = html_rs_at(&rs, i, g)->s;
        size_t k = 0;

        while (k < n && strcmp(labels[k], name ? name : "") != 0)
            k++;
        if (k == n) {
            if (n == REPORT_MAX_BARS)
                continue;
            labels[n] = name ? name : "";
            v[n * 3] = v[n * 3 + 1] = v[n * 3 + 2] = NAN;
            n++;
        }
        for (size_t o = 0; o < 3; o++)
            if (grp && strcmp(grp, outcomes[o]) == 0)
                v[k * 3 + o] = html_rs_num(&rs, i, sh);
    }
    rc = n ? svg_hbars(&r->h, &c, labels, v, n, e) : put(r, "<p>No tracker data.</p>\n", e);
    if (!rc)
        rc = table(r, &rs, NULL, e);
    html_rs_free(&rs);
    return rc;
}

/* The handed-off calls, folded under a summary that counts them all: the first
 * REPORT_TOP_CALLS in time order (each costs a transcript read for its rep's share). */
static int handoffs(struct report *r, const char *const *cols, struct err *e)
{
    struct html_rs rs;
    double total = 0;
    int rc;

    if ((rc = run(r, "real-rep", "all", NULL, &rs, e)))
        return rc;
    if (rs.nrow)
        total = html_rs_num(&rs, 0, html_rs_col(&rs, "handed_off"));
    html_rs_free(&rs);
    if (!(rc = run_max(r, "real-rep", "call", NULL, REPORT_TOP_CALLS, 0, &rs, e)) &&
        !(rc = buf_printf(&r->h, e,
                          "<details><summary>%.0f call%s run by someone other than "
                          "the owner Gong shows",
                          total, total == 1 ? "" : "s")) &&
        !(rc = rs.more ? buf_printf(&r->h, e, " (the first %d shown)", REPORT_TOP_CALLS)
                       : ERR_OK) &&
        !(rc = put(r, "</summary>\n", e)) && !(rc = html_table(&r->h, &rs, cols, e)))
        rc = put(r, "</details>\n", e);
    html_rs_free(&rs);
    return rc;
}

static int rest(struct report *r, struct err *e)
{
    static const char *const topic_c[] = {"share_of_time"};
    static const char *const topic_t[] = {"topic", "calls_with_topic", "minutes_per_call",
                                          "share_of_time", NULL};
    static const char *const real_t[] = {"group", "primary_user", "real_rep", "real_rep_share",
                                         "title", "url",          NULL};
    static const char *const real_g[] = {"group", "calls", "handed_off", "share", NULL};
    struct svg_chart topics = {.title = "Share of topic time", .percent = 1, .n_series = 1};
    struct html_rs rs;
    int rc;

    if ((rc = section(r, "Topics", "topics", e)) || (rc = run(r, "topics", "all", NULL, &rs, e)))
        return rc;
    for (size_t i = 0; i < rs.nrow; i++) /* label the bars by topic, not by the one group */
        if (html_rs_col(&rs, "group") >= 0 && html_rs_col(&rs, "topic") >= 0) {
            struct html_val *gv = &rs.v[i * rs.ncol + (size_t)html_rs_col(&rs, "group")];
            const char *tp = html_rs_at(&rs, i, html_rs_col(&rs, "topic"))->s;

            free(gv->s);
            if (!(gv->s = strdup(tp ? tp : ""))) {
                html_rs_free(&rs);
                return err_set(e, ERR_NOMEM, "report: out of memory");
            }
        }
    rc = bars(r, &rs, &topics, topic_c, e);
    if (!rc)
        rc = table(r, &rs, topic_t, e);
    html_rs_free(&rs);
    if (rc || (rc = section(r, "Who really ran the call", "real-rep", e)) ||
        (rc = handoffs(r, real_t, e)) ||
        (rc = put(r, "<p class=\"def\">Per rep who ran them:</p>\n", e)) ||
        (rc = chart_and_table(r, "real-rep", "rep", NULL, NULL, NULL, real_g, e)) ||
        (rc = section(r, "Transcript coverage", "coverage", e)) ||
        (rc = chart_and_table(r, "coverage", "month", NULL, NULL, NULL, NULL, e)) ||
        (rc = section(r, "Freshness", "freshness", e)))
        return rc;
    return chart_and_table(r, "freshness", "all", NULL, NULL, NULL, NULL, e);
}

/* The newest REPORT_TOP_CALLS calls in scope, each title linking to Gong, and the total. */
static int calls(struct report *r, struct err *e)
{
    sqlite3_stmt *st = NULL;
    long long n = 0, total = 0;
    int rc;

    if ((rc = prepare(r->db, "SELECT count(*) FROM temp.scope_ids", &st, e)))
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        total = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = buf_printf(&r->h, e,
                         "<h2 id=\"calls\">Calls</h2>\n<details><summary>The %lld newest of "
                         "%lld call%s in the report, with their links to Gong</summary>\n",
                         total < REPORT_TOP_CALLS ? total : REPORT_TOP_CALLS, total,
                         total == 1 ? "" : "s")) ||
        (rc = put(r,
                  "<table><thead><tr><th>started</th>"
                  "<th>title</th><th>rep</th><th>stage</th><th>outcome</th>"
                  "<th>minutes</th></tr></thead><tbody>\n",
                  e)) ||
        (rc = prepare(r->db,
                      "SELECT started, title, url, rep_label, stage, outcome, "
                      "round(duration / 60.0) FROM scope ORDER BY started DESC, call_id "
                      "LIMIT " REPORT_TOP_CALLS_SQL,
                      &st, e)))
        return rc;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        const char *url = (const char *)sqlite3_column_text(st, 2);
        const char *title = (const char *)sqlite3_column_text(st, 1);
        int link = html_url_ok(url);

        n++;
        if ((rc = put(r, "<tr><td>", e)) ||
            (rc = text(r, (const char *)sqlite3_column_text(st, 0), e)) ||
            (rc = put(r, link ? "</td><td><a href=\"" : "</td><td>", e)) ||
            (link && ((rc = text(r, url, e)) || (rc = put(r, "\">", e)))) ||
            (rc = put(r, "<bdi>", e)) ||
            (rc = text(r, title && *title ? title : "(untitled)", e)) ||
            (rc = put(r, link ? "</bdi></a></td><td><bdi>" : "</bdi></td><td><bdi>", e)))
            break;
        for (int col = 3; col <= 6 && !rc; col++) {
            rc = text(r, (const char *)sqlite3_column_text(st, col), e);
            if (!rc)
                rc = put(r,
                         col < 5    ? "</bdi></td><td><bdi>"
                         : col == 5 ? "</bdi></td><td class=\"n\">"
                                    : "</td></tr>\n",
                         e);
        }
    }
    sqlite3_finalize(st);
    if (!rc)
        rc = buf_printf(&r->h, e,
                        "</tbody></table></details>\n<p class=\"meta\">%lld of %lld calls "
                        "shown.</p>\n</body></html>\n",
                        n, total);
    return rc;
}

int report_page(struct report *r, struct err *e)
{
    int rc;

    if ((rc = header(r, e)) || (rc = activity(r, e)) || (rc = conversation(r, e)) ||
        (rc = mentions(r, e)) || (rc = trackers(r, e)) || (rc = rest(r, e)))
        return rc;
    return calls(r, e);
}
