/* report_calls: the report's lists of calls (see report_calls.h).
 *
 * A list is one query over the scope, ordered and cut in SQL (a window function numbers each
 * rep's calls newest first), so the page holds at most a fixed number of rows whatever the
 * mirror's size. A call's row: its date, its title linking to Gong, the deal's stage and
 * outcome, its length (m:ss) and, with a transcript, the rep's talk ratio and questions. */
#include "report_calls.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rpage.h"

#include "banned.h"

#define CALL_COLS CALL_COLS_TITLE("s")
/* The same with the title and url read from table t (temp.scope_rows has neither: scope.h) */
#define CALL_COLS_TITLE(t)                                                                         \
    "s.started, " t ".title, " t ".url, s.stage, s.outcome, s.duration, "                          \
    "CASE WHEN s.rep_talk_ms + s.customer_talk_ms > 0 "                                            \
    "THEN s.rep_talk_ms * 1.0 / (s.rep_talk_ms + s.customer_talk_ms) END, "                        \
    "CASE WHEN s.has_transcript THEN s.rep_questions END"

static const char call_head[] =
    "<div class=\"tw\"><table><thead><tr><th>Date</th><th>Call</th><th>Stage</th>"
    "<th>Outcome</th><th class=\"n\">Length</th><th class=\"n\">Talk ratio</th>"
    "<th class=\"n\">Rep questions</th></tr></thead><tbody>\n";

/* One row of a call list from columns first.. of st (CALL_COLS). */
static int call_row(struct report *r, sqlite3_stmt *st, int first, struct err *e)
{
    const char *url = (const char *)sqlite3_column_text(st, first + 2);
    const char *title = (const char *)sqlite3_column_text(st, first + 1);
    const char *started = (const char *)sqlite3_column_text(st, first);
    int link = html_url_ok(url), rc;
    char f[32] = "";

    if ((rc = rpage_put(r, "<tr><td class=\"d\">", e)) ||
        (rc = html_escape(&r->h, started ? started : "", started && strlen(started) >= 10 ? 10 : 0,
                          e)) ||
        (rc = rpage_put(r, link ? "</td><td><a href=\"" : "</td><td>", e)) ||
        (link && ((rc = rpage_text(r, url, e)) || (rc = rpage_put(r, "\">", e)))) ||
        (rc = rpage_put(r, "<bdi>", e)) ||
        (rc = rpage_text(r, title && *title ? title : "(untitled)", e)) ||
        (rc = rpage_put(r, link ? "</bdi></a></td><td><bdi>" : "</bdi></td><td><bdi>", e)) ||
        (rc = rpage_text(r, (const char *)sqlite3_column_text(st, first + 3), e)) ||
        (rc = rpage_put(r, "</bdi></td><td>", e)) ||
        (rc = rpage_text(r, (const char *)sqlite3_column_text(st, first + 4), e)))
        return rc;
    if (sqlite3_column_type(st, first + 5) != SQLITE_NULL)
        html_fmt_clock(sqlite3_column_double(st, first + 5), f);
    if ((rc = buf_printf(&r->h, e, "</td><td class=\"n\">%s</td><td class=\"n\">", f)))
        return rc;
    f[0] = '\0';
    if (sqlite3_column_type(st, first + 6) != SQLITE_NULL)
        html_fmt_percent(sqlite3_column_double(st, first + 6), f);
    if ((rc = buf_printf(&r->h, e, "%s</td><td class=\"n\">", f)))
        return rc;
    if (sqlite3_column_type(st, first + 7) != SQLITE_NULL)
        html_fmt_count(sqlite3_column_int64(st, first + 7), f);
    else
        f[0] = '\0';
    return buf_printf(&r->h, e, "%s</td></tr>\n", f);
}

int report_calls_load_reps(struct report *r, struct err *e)
{
    const struct html_rs *rs = &r->act_rep;
    int rc, g;

    html_rs_free(&r->act_rep);
    if ((rc = rpage_run(r, "activity", "rep", NULL, RPAGE_MAX_ROWS, &r->act_rep, e)))
        return rc;
    g = html_rs_col(rs, "group");
    if (!(r->reps = calloc(rs->nrow + 1, sizeof *r->reps)))
        return err_set(e, ERR_NOMEM, "report: out of memory");
    for (size_t i = 0; i < rs->nrow; i++) {
        const char *s = html_rs_at(rs, i, g)->s;

        if (!(r->reps[i] = strdup(s ? s : "")))
            return err_set(e, ERR_NOMEM, "report: out of memory");
        r->n_reps++;
    }
    return ERR_OK;
}

int report_calls_rep_index(const struct report *r, const char *label)
{
    for (size_t i = 0; label && i < r->n_reps; i++)
        if (strcmp(r->reps[i], label) == 0)
            return (int)i;
    return -1;
}

/* A call of a rep's list: its row in temp.scope_rows and its sort key. */
struct pick {
    sqlite3_int64 rid;
    char *started; /* NULL: no start time (listed last, as ORDER BY started DESC puts it) */
    char *call_id;
};

/* 1 when call a comes before call b in a rep's list: ORDER BY started DESC, call_id. */
static int before(const struct pick *a, const struct pick *b)
{
    int c;

    if (!a->started || !b->started) {
        if (a->started != b->started)
            return a->started != NULL;
    } else if ((c = strcmp(a->started, b->started)) != 0) {
        return c > 0;
    }
    return strcmp(a->call_id, b->call_id) < 0;
}

/* Offer call x to a rep's list top (n of them, newest first, at most REPORT_CALLS_PER_REP):
 * kept when it is among the newest, the list's last call dropped when full. x's strings are
 * copied. ERR_NOMEM. */
static int offer(struct pick *top, size_t *n, const struct pick *x, struct err *e)
{
    size_t at = *n;
    struct pick c = {x->rid, NULL, NULL};

    while (at > 0 && before(x, &top[at - 1]))
        at--;
    if (at == REPORT_CALLS_PER_REP)
        return ERR_OK;
    if ((x->started && !(c.started = strdup(x->started))) || !(c.call_id = strdup(x->call_id))) {
        free(c.started);
        return err_set(e, ERR_NOMEM, "report: out of memory");
    }
    if (*n == REPORT_CALLS_PER_REP) { /* the last one leaves */
        free(top[*n - 1].started);
        free(top[*n - 1].call_id);
        (*n)--;
    }
    memmove(&top[at + 1], &top[at], (*n - at) * sizeof *top);
    top[at] = c;
    (*n)++;
    return ERR_OK;
}

/* A listed rep's label and position in r->reps, for finding it by label. */
struct rep_at {
    const char *label;
    size_t idx;
};

static int by_label(const void *a, const void *b)
{
    return strcmp(((const struct rep_at *)a)->label, ((const struct rep_at *)b)->label);
}

/* The position in r->reps of label, through the n reps of sorted (ordered by label), or -1:
 * report_calls_rep_index's answer in log(reps) for each call in scope. */
static int find_rep(const struct rep_at *sorted, size_t n, const char *label)
{
    size_t lo = 0, hi = n;

    while (label && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sorted[mid].label, label);

        if (c == 0)
            return (int)sorted[mid].idx;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Each listed rep's newest calls, in one pass over narrow rows (no sort of the scope):
 * top[i * REPORT_CALLS_PER_REP ...] and n[i] for the rep r->reps[i]. */
static int pick_newest(struct report *r, struct pick *top, size_t *n, struct err *e)
{
    static const char sql[] = "SELECT rowid, rep_label, started, call_id FROM temp.scope_rows";
    sqlite3_stmt *st = NULL;
    struct rep_at *sorted = calloc(r->n_reps + 1, sizeof *sorted);
    int rc, step;

    if (!sorted)
        return err_set(e, ERR_NOMEM, "report: out of memory");
    for (size_t i = 0; i < r->n_reps; i++)
        sorted[i] = (struct rep_at){r->reps[i], i};
    qsort(sorted, r->n_reps, sizeof *sorted, by_label);
    if ((rc = rpage_prepare(r, sql, &st, e))) {
        free(sorted);
        return rc;
    }
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int idx = find_rep(sorted, r->n_reps, (const char *)sqlite3_column_text(st, 1));
        const char *id = (const char *)sqlite3_column_text(st, 3);
        struct pick x = {sqlite3_column_int64(st, 0), (char *)sqlite3_column_text(st, 2),
                         (char *)(id ? id : "")};

        if (idx >= 0) /* else past the reps the page lists */
            rc = offer(&top[(size_t)idx * REPORT_CALLS_PER_REP], &n[idx], &x, e);
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "report: list the reps' calls: %s", sqlite3_errmsg(r->db));
    sqlite3_finalize(st);
    free(sorted);
    return rc;
}

int report_calls_reps(struct report *r, struct err *e)
{
    /* the calls listed are read whole by their rowid; a rep's number of calls is activity's
     * (r->act_rep) */
    static const char sql[] =
        "SELECT " CALL_COLS_TITLE("f") " FROM temp.scope_rows s "
                                       "LEFT JOIN temp.call_facts f ON f.call_id = s.call_id "
                                       "WHERE s.rowid = ?1";
    struct pick *top = calloc(r->n_reps * REPORT_CALLS_PER_REP + 1, sizeof *top);
    size_t *n = calloc(r->n_reps + 1, sizeof *n);
    sqlite3_stmt *st = NULL;
    int rc, calls = html_rs_col(&r->act_rep, "calls");

    if (!top || !n) {
        rc = err_set(e, ERR_NOMEM, "report: out of memory");
        goto done;
    }
    if ((rc = rpage_section(r, "reps", "Each rep's latest calls",
                            "The newest calls of each rep, with the number of all their calls "
                            "here; a title opens the call in Gong.",
                            e)) ||
        (rc = pick_newest(r, top, n, e)) || (rc = rpage_prepare(r, sql, &st, e)))
        goto done;
    for (size_t i = 0; i < r->n_reps && !rc; i++) {
        double nc = html_rs_num(&r->act_rep, i, calls);
        long long all = isnan(nc) ? 0 : (long long)nc;
        char f[32];

        if (!n[i])
            continue;
        html_fmt_count(all, f);
        if ((rc = buf_printf(&r->h, e, "<h3 id=\"rep-%zu\"><bdi>", i)) ||
            (rc = rpage_text(r, r->reps[i], e)) ||
            (rc = buf_printf(&r->h, e, "</bdi></h3>\n<p class=\"meta\">%s call%s%s</p>\n", f,
                             all == 1 ? "" : "s",
                             all > REPORT_CALLS_PER_REP ? "; the newest 10 below" : "")) ||
            (rc = rpage_put(r, call_head, e)))
            break;
        for (size_t k = 0; k < n[i] && !rc; k++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, top[i * REPORT_CALLS_PER_REP + k].rid);
            if (sqlite3_step(st) != SQLITE_ROW)
                rc = err_set(e, ERR_DB, "report: read a rep's call: %s", sqlite3_errmsg(r->db));
            else
                rc = call_row(r, st, 0, e);
        }
        if (!rc)
            rc = rpage_put(r, "</tbody></table></div>\n", e);
    }
    if (!rc && r->n_reps == RPAGE_MAX_ROWS)
        rc = rpage_put(r, "<p class=\"meta\">Only the first reps are listed.</p>\n", e);
done:
    sqlite3_finalize(st);
    for (size_t i = 0; top && n && i < r->n_reps; i++)
        for (size_t k = 0; k < n[i]; k++) {
            free(top[i * REPORT_CALLS_PER_REP + k].started);
            free(top[i * REPORT_CALLS_PER_REP + k].call_id);
        }
    free(top);
    free(n);
    return rc;
}

int report_calls_newest(struct report *r, struct err *e)
{
    /* the newest ids found over narrow rows first: only the calls listed are read whole */
    static const char sql[] =
        "SELECT " CALL_COLS " FROM scope s WHERE s.call_id IN (SELECT call_id FROM scope "
        "ORDER BY started DESC, call_id LIMIT ?1) ORDER BY s.started DESC, s.call_id";
    sqlite3_stmt *st = NULL;
    long long n = 0, total = r->n_calls;
    char t[32];
    int rc, step;

    html_fmt_count(total, t);
    if ((rc = buf_printf(&r->h, e,
                         "<h2 id=\"calls\">Newest calls</h2>\n<p class=\"def\">The %lld newest "
                         "of %s call%s in the report, with their links to Gong.</p>\n",
                         total < REPORT_CALLS_NEWEST ? total : REPORT_CALLS_NEWEST, t,
                         total == 1 ? "" : "s")) ||
        (rc = rpage_put(r, call_head, e)) || (rc = rpage_prepare(r, sql, &st, e)))
        return rc;
    sqlite3_bind_int(st, 1, REPORT_CALLS_NEWEST);
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        rc = call_row(r, st, 0, e);
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "report: list the newest calls: %s", sqlite3_errmsg(r->db));
    sqlite3_finalize(st);
    if (!rc)
        rc = buf_printf(&r->h, e,
                        "</tbody></table></div>\n<p class=\"meta\">%lld of %s calls shown.</p>\n",
                        n, t);
    return rc;
}

int report_calls_handoffs(struct report *r, struct err *e)
{
    static const char *const cols[] = {"title",          "primary_user", "real_rep",
                                       "real_rep_share", "url",          NULL};
    struct html_rs rs;
    double total = 0;
    int rc;

    if ((rc = rpage_run(r, "real-rep", "all", NULL, 1, &rs, e)))
        return rc;
    if (rs.nrow)
        total = html_rs_num(&rs, 0, html_rs_col(&rs, "handed_off"));
    html_rs_free(&rs);
    if (!(rc = rpage_run_head(r, "real-rep", "call", REPORT_CALLS_NEWEST, &rs, e)) &&
        !(rc = buf_printf(&r->h, e,
                          "<details><summary>%.0f call%s run by a rep other than the owner "
                          "Gong shows",
                          total, total == 1 ? "" : "s")) &&
        !(rc = rs.more ? buf_printf(&r->h, e, " (the first %d shown)", REPORT_CALLS_NEWEST)
                       : ERR_OK) &&
        !(rc = rpage_put(r, "</summary>\n", e)) && !(rc = html_table(&r->h, &rs, cols, e)))
        rc = rpage_put(r, "</details>\n", e);
    html_rs_free(&rs);
    return rc;
}
