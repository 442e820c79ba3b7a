/* rpage: shared building blocks of the report's sections (see rpage.h).
 *
 * An analysis runs over temp.scope regrouped for it (scope_group), so each section reads the
 * calls the filter selected without reading the filter again; results are small (one row per
 * group, cut at a cap) and held in memory as html_rs. */
#include "rpage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_pre.h"
#include "scope.h"

#include "banned.h"

int rpage_put(struct report *r, const char *s, struct err *e)
{
    return buf_puts(&r->h, s, e);
}

int rpage_text(struct report *r, const char *s, struct err *e)
{
    return html_escape_str(&r->h, s, e);
}

int rpage_prepare(struct report *r, const char *sql, sqlite3_stmt **st, struct err *e)
{
    if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return err_set(e, ERR_DB, "report: %s", sqlite3_errmsg(r->db));
    }
    return ERR_OK;
}

int rpage_analysis(sqlite3 *db, const struct analysis_set *set, const char *name,
                   const struct analysis_params *p, size_t max, int count_rest, struct html_rs *rs,
                   struct err *e)
{
    const struct analysis *a = analysis_find(set, name);
    sqlite3_stmt *st = NULL;
    int rc;

    memset(rs, 0, sizeof *rs);
    if (!a)
        return err_set(e, ERR_USAGE, "report: the analysis '%s' is missing", name);
    if ((rc = scope_group(db, p->by, e)) || (rc = analysis_run(db, a, p, &st, e)))
        return rc;
    if ((rc = html_rs_load_max(rs, st, max, count_rest, e)) == ERR_DB)
        err_wrap(e, "report: analysis '%s'", name);
    sqlite3_finalize(st);
    return rc;
}

static int run(struct report *r, const char *name, const char *by, const char *pattern, size_t max,
               int count_rest, struct html_rs *rs, struct err *e)
{
    struct analysis_params p = {pattern, r->caseless ? "i" : "", r->speaker, by, NULL};
    int rc, ahead = 0;

    memset(rs, 0, sizeof *rs);
    if (!pattern && count_rest && report_pre_take(r->pre, name, by, max, rs, &rc, e))
        ahead = 1; /* run on the second thread: waited for here */
    else
        rc = rpage_analysis(r->db, r->set, name, &p, max, count_rest, rs, e);
    if (getenv("CALLMINE_REPORT_TIMES")) {
        char what[96];

        snprintf(what, sizeof what, "  analyze %s --by %s%s%s", name, by, pattern ? " PATTERN" : "",
                 ahead ? " (ahead)" : "");
        rpage_mark(what);
    }
    return rc;
}

int rpage_run(struct report *r, const char *name, const char *by, const char *pattern, size_t max,
              struct html_rs *rs, struct err *e)
{
    return run(r, name, by, pattern, max, 1, rs, e);
}

int rpage_run_head(struct report *r, const char *name, const char *by, size_t max,
                   struct html_rs *rs, struct err *e)
{
    return run(r, name, by, NULL, max, 0, rs, e);
}

int rpage_table(struct report *r, const struct html_rs *rs, const char *const *cols,
                const char *group_label, struct err *e)
{
    int rc = html_table_as(&r->h, rs, cols, group_label, e);

    if (!rc && rs->more)
        rc = buf_printf(&r->h, e, "<p class=\"meta\">%zu more row%s not shown.</p>\n", rs->more,
                        rs->more == 1 ? "" : "s");
    return rc;
}

int rpage_section(struct report *r, const char *id, const char *heading, const char *def,
                  struct err *e)
{
    int rc;

    if ((rc = rpage_put(r, "<h2 id=\"", e)) || (rc = rpage_text(r, id, e)) ||
        (rc = rpage_put(r, "\">", e)) || (rc = rpage_text(r, heading, e)) ||
        (rc = rpage_put(r, "</h2>\n", e)))
        return rc;
    if (def && ((rc = rpage_put(r, "<p class=\"def\">", e)) || (rc = rpage_text(r, def, e)) ||
                (rc = rpage_put(r, "</p>\n", e))))
        return rc;
    return ERR_OK;
}

int rpage_bars(struct report *r, const struct html_rs *rs, const char *label_col,
               struct svg_chart *c, const char *const *cols, struct err *e)
{
    size_t n = rs->nrow < RPAGE_MAX_BARS ? rs->nrow : RPAGE_MAX_BARS, ns = c->n_series;
    const char **labels = calloc(n + 1, sizeof *labels);
    double *v = calloc((n + 1) * ns, sizeof *v);
    int g = html_rs_col(rs, label_col), rc;

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
    rc = n ? svg_hbars(&r->h, c, labels, v, n, e) : ERR_OK;
    free(labels);
    free(v);
    return rc;
}

double rpage_clock(clockid_t clock)
{
    struct timespec t;

    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void rpage_mark(const char *what)
{
    static double wall, cpu; /* at the previous mark */
    double w, c;

    if (!getenv("CALLMINE_REPORT_TIMES"))
        return;
    w = rpage_clock(CLOCK_MONOTONIC);
    c = rpage_clock(CLOCK_THREAD_CPUTIME_ID); /* this thread's: report_pre's are its own */
    if (wall > 0)
        fprintf(stderr, "report: %-44s %7.3f s wall %7.3f s CPU\n", what, w - wall, c - cpu);
    wall = w;
    cpu = c;
}

void rpage_keep(struct html_rs *rs, const char *col)
{
    int c = html_rs_col(rs, col);
    size_t keep = 0;

    for (size_t i = 0; i < rs->nrow; i++) {
        struct html_val *row = &rs->v[i * rs->ncol];

        if (!(html_rs_num(rs, i, c) > 0)) {
            for (size_t k = 0; k < rs->ncol; k++) {
                free(row[k].s);
                row[k].s = NULL;
            }
            continue;
        }
        if (keep != i)
            memmove(&rs->v[keep * rs->ncol], row, rs->ncol * sizeof *row);
        keep++;
    }
    rs->nrow = keep;
}
