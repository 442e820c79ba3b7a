/* report: the page of `callmine-query report`, a sales manager's view of one scope of calls.
 *
 * The page needs nothing but itself: inline CSS (with a print stylesheet), inline SVG charts
 * (svg.h), no script, no font, no image, and a Content-Security-Policy that forbids any
 * fetch, so it opens offline and logs nothing. In order:
 *   the summary: the period, calls, reps, deals, pipeline by stage and by outcome, win rate
 *     and transcript coverage (an empty scope says in words that no call matched, and ends);
 *   coaching per rep: talk ratio, questions on discovery calls, monologues, patience and
 *     interactivity against their bands, each rep linking to the list of their calls;
 *   won against lost: the same measures over the calls of won, lost and open deals;
 *   mentions of each --mention pattern with example quotes, topics and trackers by outcome
 *     (report_talk.c);
 *   activity: calls a week (a month past 26 weeks) and per rep;
 *   the data behind the page: coverage, freshness, calls run by someone else than the owner;
 *   each rep's latest calls and the newest calls (report_calls.c).
 * All text from the mirror is escaped (html.h); numbers are shown with their units.
 *
 * Bounded whatever the mirror's size: every query streams over the scope (scope.h) and the
 * page holds top lists with their totals, never one row per call. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_calls.h"
#include "report_talk.h"
#include "rpage.h"

#include "banned.h"

#define MAX_WEEKS 26 /* more weeks than this are charted as months */

/* The deals of the calls in scope, each once, as the newest of its calls reads it: computed
 * once into temp.report_deals (deals_table) for the summary and the pipeline. */
static const char deals_table_sql[] =
    "DROP TABLE IF EXISTS temp.report_deals; CREATE TEMP TABLE report_deals AS "
    "SELECT deal_id, stage, amount, outcome FROM (SELECT deal_id, stage, amount, outcome, "
    "row_number() OVER (PARTITION BY deal_id ORDER BY started DESC, call_id) AS rn "
    "FROM scope WHERE deal_id IS NOT NULL) WHERE rn = 1";
#define DEALS_SQL "WITH d AS (SELECT * FROM temp.report_deals) "

static const char css[] =
    "*{box-sizing:border-box}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
    "max-width:1100px;color:#1d2330;background:#fff;padding:0 16px;overflow-wrap:anywhere}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:36px 0 6px;border-bottom:1px "
    "solid #d8dce4;padding-bottom:4px}h3{font-size:15px;margin:20px 0 4px}"
    "p.def{color:#555;margin:2px 0 8px}.meta{color:#555}"
    "nav{margin:10px 0 4px;font-size:13px}nav a{margin-right:12px;white-space:nowrap}"
    ".tw{max-width:100%;overflow-x:auto;margin:8px 0}"
    "table{border-collapse:collapse;font-size:13px;overflow-wrap:normal}"
    "td:first-child{min-width:8em}"
    "th,td{border-bottom:1px solid #e3e6ec;padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:#f3f5f8;font-weight:600}th.n{text-align:right}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap}td.d,.d{white-space:nowrap}"
    "td.out{background:#fdf0d5}td.in{background:#e8f3e4}"
    "code{background:#f3f5f8;padding:1px 4px;border-radius:3px}"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;"
    "margin:14px 0}.kpi{border:1px solid #d8dce4;border-radius:6px;padding:8px 10px}"
    ".kpi b{display:block;font-size:22px;line-height:1.2}.kpi span{color:#555;font-size:12px}"
    ".empty{font-size:17px;padding:16px;border:1px solid #d8dce4;border-radius:6px;"
    "background:#f7f8fa}"
    "blockquote{margin:8px 0;padding:6px 12px;border-left:3px solid #3b6ea8;background:#f7f8fa}"
    "blockquote p{margin:0 0 4px}mark{background:#fde68a;padding:0 1px}"
    "svg.chart{display:block;max-width:100%;height:auto;margin:8px 0;font-size:12px}"
    "svg .s0{fill:#3b6ea8}svg .s1{fill:#d9822b}svg .s2{fill:#7a9a3a}svg .band{fill:#e4f1e1}"
    "svg .ref{stroke:#b03030;stroke-dasharray:4 3;stroke-width:1.5}svg .grid{stroke:#e3e6ec}"
    "svg text{fill:#1d2330}svg .lab{text-anchor:end}svg .xlab{text-anchor:middle}"
    "svg .reflab{fill:#b03030}svg .bandlab{fill:#4d7a43}"
    "details{margin:8px 0}summary{cursor:pointer}"
    "@media (max-width:600px){svg.chart{min-width:560px}}"
    "@media print{body{max-width:none;margin:0;padding:0;font-size:11px}nav{display:none}"
    ".tw{overflow:visible}h2{break-after:avoid}table,svg,blockquote,.kpi{break-inside:avoid}"
    "a{color:inherit;text-decoration:none}td.out,td.in,mark{-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}}";

static int put(struct report *r, const char *s, struct err *e)
{
    return rpage_put(r, s, e);
}

static int text(struct report *r, const char *s, struct err *e)
{
    return rpage_text(r, s, e);
}

/* One summary tile: a figure (already formatted) over what it counts. */
static int kpi(struct report *r, const char *figure, const char *what, struct err *e)
{
    return buf_printf(&r->h, e, "<div class=\"kpi\"><b>%s</b><span>%s</span></div>", figure, what);
}

static int head(struct report *r, struct err *e)
{
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
        (rc = buf_printf(&r->h, e, "</title>\n<style>%s</style></head>\n<body>\n<h1>", css)) ||
        (rc = text(r, r->title, e)) || (rc = put(r, "</h1>\n<p class=\"meta\">Filters: ", e)))
        return rc;
    if (r->filters && *r->filters) {
        if ((rc = put(r, "<code>", e)) || (rc = text(r, r->filters, e)) ||
            (rc = put(r, "</code>", e)))
            return rc;
    } else if ((rc = put(r, "none (every call in the mirror)", e))) {
        return rc;
    }
    if ((rc = put(r, ". Mirror <code>", e)) ||
        (rc = text(r, r->db ? sqlite3_db_filename(r->db, "main") : "", e)))
        return rc;
    return buf_printf(&r->h, e,
                      "</code>, generated <span class=\"d\">%.10s</span> %s by "
                      "callmine-query.</p>\n",
                      now, now + 11);
}

/* The summary tiles; *n_calls is the scope's size (0: the page says so and ends). */
static int summary(struct report *r, long long *n_calls, struct err *e)
{
    static const char sql[] = DEALS_SQL
        ", s AS (SELECT count(*) AS n, total(external) AS ext, total(has_transcript) AS tr, "
        "count(DISTINCT rep_key) AS reps, min(started) AS lo, max(started) AS hi FROM scope) "
        "SELECT s.n, s.ext, s.tr, s.reps, s.lo, s.hi, (SELECT count(*) FROM calls), "
        "x.* FROM s, (SELECT count(*), total(CASE WHEN outcome = 'open' THEN amount END), "
        "total(outcome = 'won'), total(outcome = 'lost'), "
        "total(CASE WHEN outcome = 'won' THEN amount END) FROM d) x";
    sqlite3_stmt *st = NULL;
    char f[32], g[32], w[96];
    int rc;

    *n_calls = 0;
    if (sqlite3_exec(r->db, deals_table_sql, NULL, NULL, NULL) != SQLITE_OK)
        return err_set(e, ERR_DB, "report: list the deals: %s", sqlite3_errmsg(r->db));
    if ((rc = rpage_prepare(r, sql, &st, e)))
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = err_set(e, ERR_DB, "report: count the scope: %s", sqlite3_errmsg(r->db));
        goto done;
    }
    *n_calls = sqlite3_column_int64(st, 0);
    if (*n_calls == 0) {
        rc = buf_printf(&r->h, e,
                        "<p class=\"empty\">No calls matched these filters: the mirror holds "
                        "%lld call%s, none of them in this selection. Widen the filters (the "
                        "dates, the rep's name) and run the report again.</p>\n",
                        sqlite3_column_int64(st, 6), sqlite3_column_int64(st, 6) == 1 ? "" : "s");
        goto done;
    }
    if ((rc = put(r, "<p class=\"meta\">Calls from <span class=\"d\">", e)) ||
        (rc = html_escape(&r->h, (const char *)sqlite3_column_text(st, 4), 10, e)) ||
        (rc = put(r, "</span> to <span class=\"d\">", e)) ||
        (rc = html_escape(&r->h, (const char *)sqlite3_column_text(st, 5), 10, e)) ||
        (rc = put(r,
                  "</span> (UTC).</p>\n<nav><a href=\"#coaching\">Coaching</a><a "
                  "href=\"#won-lost\">Won vs lost</a><a href=\"#talk\">Mentions and "
                  "topics</a><a href=\"#activity\">Activity</a><a href=\"#data\">Data</a><a "
                  "href=\"#reps\">Reps' calls</a><a href=\"#calls\">Newest calls</a></nav>\n"
                  "<div class=\"kpis\">",
                  e)))
        goto done;
    html_fmt_count(*n_calls, f);
    html_fmt_count(sqlite3_column_int64(st, 6), g);
    snprintf(w, sizeof w, "calls (of %s in the mirror)", g);
    if ((rc = kpi(r, f, w, e)))
        goto done;
    html_fmt_count(sqlite3_column_int64(st, 3), f);
    if ((rc = kpi(r, f, "reps", e)))
        goto done;
    html_fmt_count(sqlite3_column_int64(st, 7), f);
    if ((rc = kpi(r, f, "deals", e)))
        goto done;
    html_fmt_money(sqlite3_column_double(st, 8), f);
    if ((rc = kpi(r, f, "open pipeline (the open deals' amounts)", e)))
        goto done;
    html_fmt_money(sqlite3_column_double(st, 11), f);
    if ((rc = kpi(r, f, "won (the won deals' amounts)", e)))
        goto done;
    {
        double won = sqlite3_column_double(st, 9), lost = sqlite3_column_double(st, 10);

        if (won + lost > 0)
            html_fmt_percent(won / (won + lost), f);
        else
            snprintf(f, sizeof f, "%s", "none closed");
        snprintf(w, sizeof w, "win rate (%.0f won, %.0f lost deals)", won, lost);
        if ((rc = kpi(r, f, w, e)))
            goto done;
    }
    html_fmt_percent(sqlite3_column_double(st, 2) / (double)*n_calls, f);
    html_fmt_count(sqlite3_column_int64(st, 1), g);
    snprintf(w, sizeof w, "of calls with a transcript (%s external calls)", g);
    if ((rc = kpi(r, f, w, e)) || (rc = put(r, "</div>\n", e)))
        goto done;
done:
    sqlite3_finalize(st);
    return rc;
}

/* The pipeline: deals and amounts by stage and by outcome, each deal counted once (as its
 * latest call in scope reads it). */
static int pipeline(struct report *r, struct err *e)
{
    static const char by_stage[] = DEALS_SQL
        "SELECT ifnull(stage, '(no stage)') AS stage, count(*) AS deals, total(amount) AS amount "
        "FROM d GROUP BY stage ORDER BY total(amount) DESC, stage";
    static const char by_outcome[] = DEALS_SQL
        "SELECT outcome, count(*) AS deals, total(amount) AS amount FROM d GROUP BY outcome "
        "ORDER BY CASE outcome WHEN 'won' THEN 1 WHEN 'lost' THEN 2 ELSE 3 END";
    struct svg_chart c = {.title = "Deal amounts by stage", .n_series = 1, .money = 1};
    static const char *const amount[] = {"amount"};
    struct html_rs rs;
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = rpage_section(r, "pipeline", "Pipeline",
                            "The deals of these calls, each counted once: by outcome (won and "
                            "lost are the closed stages now), then by stage (as --deal-timing "
                            "reads it, from the newest call of the deal).",
                            e)) ||
        (rc = rpage_prepare(r, by_outcome, &st, e)))
        return rc;
    rc = html_rs_load_max(&rs, st, RPAGE_MAX_ROWS, 1, e);
    sqlite3_finalize(st);
    if (!rc)
        rc = rpage_table(r, &rs, NULL, NULL, e);
    html_rs_free(&rs);
    if (rc || (rc = rpage_prepare(r, by_stage, &st, e)))
        return rc;
    rc = html_rs_load_max(&rs, st, RPAGE_MAX_ROWS, 1, e);
    sqlite3_finalize(st);
    if (!rc && !(rc = rpage_bars(r, &rs, "stage", &c, amount, e)))
        rc = rpage_table(r, &rs, NULL, NULL, e);
    html_rs_free(&rs);
    return rc;
}

/* The coaching measures per rep, or by outcome (by = "outcome"), merged into one table: one
 * row per group of the activity analysis, a cell out of its band marked. */
struct measure {
    const char *analysis, *col, *label;
    double lo, hi; /* the band (lo > hi: none) */
};

static const struct measure measures[] = {
    {"talk-ratio", "talk_ratio", "Talk ratio (30-65%)", 0.30, 0.65},
    {"questions", "discovery_rep_questions_per_call", "Questions a discovery call (11-14)", 11, 14},
    {"questions", "customer_questions_per_call", "Customer questions", 1, 0},
    {"monologues", "longest_monologue_s", "Monologue (under 2:30)", 0, 150},
    {"patience", "patience_s", "Patience (0.6 s+)", 0.6, 1e9},
    {"interactivity", "interactivity", "Interactivity (0-10)", 1, 0},
};
#define N_MEASURES (sizeof measures / sizeof measures[0])

/* The table of measures by by; with talk and q, the results of talk-ratio and questions are
 * handed over (for the charts) instead of freed. Each analysis runs once. */
static int measures_table(struct report *r, const char *by, struct html_rs *talk, struct html_rs *q,
                          struct err *e)
{
    struct html_rs groups, rs[N_MEASURES];
    const struct html_rs *grp = &groups;
    int rc = ERR_OK, same[N_MEASURES];

    memset(rs, 0, sizeof rs);
    memset(&groups, 0, sizeof groups);
    if (strcmp(by, "rep") == 0) /* borrowed: report_calls_load_reps ran it */
        grp = &r->act_rep;
    else if ((rc = rpage_run(r, "activity", by, NULL, RPAGE_MAX_ROWS, &groups, e)))
        return rc;
    for (size_t m = 0; m < N_MEASURES && !rc; m++) {
        same[m] =
            m && strcmp(measures[m].analysis, measures[m - 1].analysis) == 0 ? same[m - 1] : (int)m;
        if (same[m] == (int)m)
            rc = rpage_run(r, measures[m].analysis, by, NULL, RPAGE_MAX_ROWS * 2, &rs[m], e);
    }
    if (!rc)
        rc = buf_printf(&r->h, e,
                        "<div class=\"tw\"><table><thead><tr><th>%s</th><th class=\"n\">Calls</th>",
                        strcmp(by, "rep") == 0 ? "Rep" : "Deal outcome");
    for (size_t m = 0; m < N_MEASURES && !rc; m++)
        rc = buf_printf(&r->h, e, "<th class=\"n\">%s</th>", measures[m].label);
    if (!rc)
        rc = put(r, "</tr></thead><tbody>\n", e);
    for (size_t i = 0; i < grp->nrow && !rc; i++) {
        const char *g = html_rs_at(grp, i, html_rs_col(grp, "group"))->s;
        int idx = strcmp(by, "rep") == 0 ? report_calls_rep_index(r, g) : -1;
        char f[32];

        html_fmt_count((long long)html_rs_num(grp, i, html_rs_col(grp, "calls")), f);
        if ((rc = put(r, "<tr><td><bdi>", e)) ||
            (idx >= 0 && (rc = buf_printf(&r->h, e, "<a href=\"#rep-%d\">", idx))) ||
            (rc = text(r, g, e)) || (idx >= 0 && (rc = put(r, "</a>", e))) ||
            (rc = buf_printf(&r->h, e, "</bdi></td><td class=\"n\">%s</td>", f)))
            break;
        for (size_t m = 0; m < N_MEASURES && !rc; m++) {
            const struct measure *ms = &measures[m];
            double v = NAN;
            const struct html_rs *a = &rs[same[m]];
            int gc = html_rs_col(a, "group"), vc = html_rs_col(a, ms->col);
            struct html_val hv = {SQLITE_NULL, 0, NULL};

            for (size_t k = 0; k < a->nrow; k++)
                if (g && html_rs_at(a, k, gc)->s && strcmp(html_rs_at(a, k, gc)->s, g) == 0) {
                    v = html_rs_num(a, k, vc);
                    break;
                }
            if (!isnan(v)) {
                hv.type = SQLITE_FLOAT;
                hv.d = v;
            }
            if ((rc = put(r,
                          isnan(v) || ms->lo > ms->hi ? "<td class=\"n\">"
                          : v < ms->lo || v > ms->hi  ? "<td class=\"n out\">"
                                                      : "<td class=\"n in\">",
                          e)) ||
                (rc = html_value(&r->h, ms->col, &hv, e)))
                break;
            rc = put(r, "</td>", e);
        }
        if (!rc)
            rc = put(r, "</tr>\n", e);
    }
    if (!rc)
        rc = put(r, "</tbody></table></div>\n", e);
    if (!rc && grp->more)
        rc = buf_printf(&r->h, e, "<p class=\"meta\">%zu more not shown.</p>\n", grp->more);
    html_rs_free(&groups);
    for (size_t m = 0; m < N_MEASURES; m++) {
        struct html_rs *out = strcmp(measures[m].analysis, "talk-ratio") == 0  ? talk
                              : strcmp(measures[m].analysis, "questions") == 0 ? q
                                                                               : NULL;

        if (out && same[m] == (int)m && !rc) {
            *out = rs[m]; /* ownership moves to the caller */
            memset(&rs[m], 0, sizeof rs[m]);
        }
        html_rs_free(&rs[m]);
    }
    return rc;
}

static int coaching(struct report *r, struct err *e)
{
    static const char *const talk_c[] = {"talk_ratio"};
    static const char *const q_c[] = {"discovery_rep_questions_per_call"};
    struct svg_chart talk = {.title = "Talk ratio per rep",
                             .percent = 1,
                             .max = 1,
                             .n_series = 1,
                             .n_refs = 2,
                             .refs = {0.43, 0.65},
                             .ref_labels = {"43% best", "65%"}};
    struct svg_chart q = {.title = "Rep questions per discovery call",
                          .n_series = 1,
                          .band = 1,
                          .band_lo = 11,
                          .band_hi = 14,
                          .band_label = "11-14"};
    struct html_rs rs, trs;
    int rc;

    memset(&rs, 0, sizeof rs);
    memset(&trs, 0, sizeof trs);
    if ((rc = rpage_section(
             r, "coaching", "Coaching measures per rep",
             "Over each rep's external calls with a transcript. Bands from Gong's research: a "
             "talk ratio near 43% and under 65%, 11-14 questions on discovery calls (calls "
             "whose Gong purpose or title says discovery or intro), monologues under 2:30, a "
             "pause of 0.6 s or more before answering. Cells outside their band are shaded; a "
             "rep's name leads to their latest calls.",
             e)) ||
        (rc = measures_table(r, "rep", &trs, &rs, e)))
        goto done;
    if ((rc = put(r, "<h3>Talk ratio</h3>\n", e)) ||
        (rc = rpage_bars(r, &trs, "group", &talk, talk_c, e)) ||
        (rc = put(r, "<h3>Questions on discovery calls</h3>\n", e)))
        goto done;
    {
        static const char *const cols[] = {"group", "discovery_calls",
                                           "discovery_rep_questions_per_call", "in_band", NULL};

        rpage_keep(&rs, "discovery_calls"); /* the reps who had a discovery call */
        rc = rs.nrow ? rpage_bars(r, &rs, "group", &q, q_c, e)
                     : put(r, "<p>No discovery call in these calls.</p>\n", e);
        if (!rc && rs.nrow)
            rc = rpage_table(r, &rs, cols, "Rep", e);
    }
done:
    html_rs_free(&trs);
    html_rs_free(&rs);
    return rc;
}

static int won_lost(struct report *r, struct err *e)
{
    int rc;

    if ((rc = rpage_section(r, "won-lost", "Won against lost deals",
                            "The same measures over the calls of deals that were won, lost or "
                            "are still open (the deal's stage now).",
                            e)))
        return rc;
    return measures_table(r, "outcome", NULL, NULL, e);
}

static int activity(struct report *r, struct err *e)
{
    static const char *const tcols[] = {
        "group", "calls", "external_calls", "calls_per_week", "first_call", "last_call", NULL};
    struct svg_chart c = {.title = "Calls per week", .n_series = 1};
    struct html_rs rs;
    const char **labels = NULL;
    double *v = NULL;
    int rc;

    if ((rc = rpage_section(r, "activity", "Activity",
                            "Calls per week (per month over more than 26 weeks), then per rep.",
                            e)) ||
        (rc = rpage_run(r, "activity", "week", NULL, 520, &rs, e)))
        return rc;
    if (rs.nrow > MAX_WEEKS) {
        html_rs_free(&rs);
        c.title = "Calls per month";
        if ((rc = rpage_run(r, "activity", "month", NULL, 520, &rs, e)))
            return rc;
    }
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
    if (rc || (rc = put(r, "<h3>Per rep</h3>\n", e)))
        return rc;
    return rpage_table(r, &r->act_rep, tcols, "Rep", e); /* report_calls_load_reps ran it */
}

static int data(struct report *r, struct err *e)
{
    static const char *const cov[] = {"group",   "calls",   "transcripts", "coverage",
                                      "waiting", "private", NULL};
    static const char *const fresh[] = {"newest_call",      "last_sync", "synced_to",
                                        "last_run_outcome", "waiting",   NULL};
    struct html_rs rs;
    int rc;

    if ((rc = rpage_section(r, "data", "The data behind this page",
                            "Transcript coverage by month (the measures above need a "
                            "transcript), how fresh the mirror is, and the calls a rep other "
                            "than the owner Gong shows ran.",
                            e)) ||
        (rc = rpage_run(r, "coverage", "month", NULL, RPAGE_MAX_ROWS, &rs, e)))
        return rc;
    rc = rpage_table(r, &rs, cov, "Month", e);
    html_rs_free(&rs);
    if (rc || (rc = rpage_run(r, "freshness", "all", NULL, 1, &rs, e)))
        return rc;
    rc = rpage_table(r, &rs, fresh, NULL, e);
    html_rs_free(&rs);
    return rc ? rc : report_calls_handoffs(r, e);
}

void report_release(struct report *r)
{
    for (size_t i = 0; r->reps && i < r->n_reps; i++)
        free(r->reps[i]);
    free(r->reps);
    r->reps = NULL;
    r->n_reps = 0;
    html_rs_free(&r->act_rep);
}

int report_page(struct report *r, struct err *e)
{
    /* the sections after the summary, in the page's order (each marked: rpage_mark) */
    static const struct {
        const char *name;
        int (*fn)(struct report *r, struct err *e);
    } sections[] = {
        {"pipeline", pipeline},
        {"the reps (activity by rep)", report_calls_load_reps},
        {"coaching", coaching},
        {"won against lost", won_lost},
        {"what was said", report_talk},
        {"activity", activity},
        {"the data behind the page", data},
        {"each rep's latest calls", report_calls_reps},
        {"the newest calls", report_calls_newest},
    };
    long long n = 0;
    int rc;

    if ((rc = head(r, e)) || (rc = summary(r, &n, e)))
        return rc;
    rpage_mark("summary");
    r->n_calls = n;
    if (n == 0)
        return put(r, "</body></html>\n", e);
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        if ((rc = sections[i].fn(r, e)))
            return rc;
        rpage_mark(sections[i].name);
    }
    return put(r, "</body></html>\n", e);
}
