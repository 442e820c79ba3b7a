/* sync: one ingest run (see sync.h). This file decides what to ask Gong for and in what
 * order, and where the checkpoint goes; gong.c does the HTTP, parse.c the JSON, store.c the
 * rows. Every page is stored in one transaction together with its checkpoint and the
 * requests it cost, so the database is always a consistent, resumable mirror. */
#include "sync.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "isotime.h"
#include "parse.h"
#include "request.h"
#include "store.h"

#include "banned.h"

#define MALFORMED_RETRIES 3 /* a malformed or truncated-but-200 body is asked for again */
#define CURSOR_RESTARTS 3   /* expired cursors tolerated per window before giving up */

struct run {
    const struct config *c;
    sqlite3 *db;
    struct gong_client *g;
    struct progress *p;
    struct sync_summary *s;
    struct store *st;
    struct buf req;    /* request body or query string */
    struct buf body;   /* response body */
    long budget_saved; /* requests already added to request_budget */
    char today[16];    /* the UTC day the budget is counted against */
    struct progress_counts pc;
};

/* ---- bookkeeping ------------------------------------------------------------------- */

static void now_iso(char out[ISOTIME_MAX])
{
    isotime_format(isotime_now_ms(), 1, out);
}

static void utc_day(char out[16])
{
    char t[ISOTIME_MAX];

    isotime_format(isotime_now_ms(), 0, t);
    snprintf(out, 16, "%.10s", t);
}

/* Add the requests sent since the last save to today's budget row (inside a transaction). */
static int save_budget(struct run *r, struct err *e)
{
    long sent = gong_stats(r->g)->requests, delta = sent - r->budget_saved;
    sqlite3_stmt *st = NULL;
    int rc;

    if (delta <= 0)
        return ERR_OK;
    if (db_prepare(r->db,
                   "INSERT INTO request_budget(day, requests) VALUES (?1, ?2) "
                   "ON CONFLICT(day) DO UPDATE SET requests = requests + excluded.requests",
                   &st, e))
        return ERR_DB;
    sqlite3_bind_text(st, 1, r->today, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, delta);
    rc = sqlite3_step(st) == SQLITE_DONE ? ERR_OK : db_error(r->db, e, "save request budget");
    sqlite3_finalize(st);
    if (!rc)
        r->budget_saved = sent;
    return rc;
}

/* Commit the current transaction after saving the budget; roll back on failure. */
static int commit_page(struct run *r, struct err *e)
{
    int rc = save_budget(r, e);

    if (!rc)
        rc = db_commit(r->db, e);
    if (rc)
        db_rollback(r->db);
    return rc;
}

static void show_progress(struct run *r)
{
    int64_t due = 0;
    char t[ISOTIME_MAX];

    now_iso(t);
    if (store_pending_count(r->st, t, &due, NULL) == ERR_OK)
        r->pc.transcripts_due = (long)due;
    r->pc.requests = gong_stats(r->g)->requests;
    progress_update(r->p, &r->pc);
}

/* ---- fetching ---------------------------------------------------------------------- */

typedef int (*parse_fn)(const char *json, size_t len, void **out, struct err *e);

static int parse_users_v(const char *j, size_t n, void **out, struct err *e)
{
    return parse_users_page(j, n, (struct parse_users_page **)out, e);
}

static int parse_calls_v(const char *j, size_t n, void **out, struct err *e)
{
    return parse_calls_page(j, n, (struct parse_calls_page **)out, e);
}

static int parse_transcripts_v(const char *j, size_t n, void **out, struct err *e)
{
    return parse_transcripts_page(j, n, (struct parse_transcripts_page **)out, e);
}

/* GET (post_body NULL, query in r->req) or POST (body in r->req) path, then parse the
 * answer. A body that does not parse is asked for again a few times. *page is NULL when
 * Gong answered "nothing found". */
static int fetch(struct run *r, int post, const char *path, parse_fn parse, void **page,
                 struct err *e)
{
    struct gong_result res = {0};
    int rc = ERR_OK;

    *page = NULL;
    for (int attempt = 0; attempt <= MALFORMED_RETRIES; attempt++) {
        rc = post ? gong_post(r->g, path, r->req.data, &r->body, &res, e)
                  : gong_get(r->g, path, r->req.len ? r->req.data : NULL, &r->body, &res, e);
        if (rc)
            return rc;
        if (res.empty)
            return ERR_OK;
        rc = parse(r->body.data, r->body.len, page, e);
        if (rc != ERR_PARSE)
            return rc;
        progress_message(r->p, 0, "%s: %s; asking again", path, e->msg);
    }
    return err_wrap(e, "%s still malformed after %d attempts", path, MALFORMED_RETRIES + 1);
}

/* ---- users ------------------------------------------------------------------------- */

static int sync_users(struct run *r, struct err *e)
{
    char *cursor = NULL;
    int rc = ERR_OK;

    for (;;) {
        const char *q[] = {"cursor", cursor, NULL};
        struct parse_users_page *page = NULL;
        struct store_counts n = {0};

        if ((rc = request_query(q, &r->req, e)))
            break;
        rc = fetch(r, 0, "/v2/users", parse_users_v, (void **)&page, e);
        if (rc == ERR_AUTH && strstr(e->msg, "403")) {
            r->s->users_skipped = 1;
            snprintf(r->s->left_out, sizeof r->s->left_out,
                     "users (token lacks api:users:read; rep names come from call parties)");
            progress_message(r->p, 1, "users skipped: %s", e->msg);
            err_clear(e);
            rc = ERR_OK;
            break;
        }
        if (rc || !page)
            break;
        if (!(rc = db_begin(r->db, e)) && !(rc = store_put_users(r->st, page, &n, e)))
            rc = commit_page(r, e);
        else
            db_rollback(r->db);
        r->s->users += n.n_new + n.n_updated;
        free(cursor);
        cursor = page->cursor ? strdup(page->cursor) : NULL;
        parse_users_free(page);
        if (rc || !cursor)
            break;
    }
    free(cursor);
    return rc;
}

/* ---- transcripts ------------------------------------------------------------------- */

/* Fetch one batch of due transcripts (up to SYNC_BATCH). *asked is how many were due. */
static int transcript_batch(struct run *r, size_t *asked, struct err *e)
{
    char **ids = NULL, *cursor = NULL, t[ISOTIME_MAX];
    unsigned char *got = NULL;
    size_t n = 0;
    int rc;

    *asked = 0;
    now_iso(t);
    if ((rc = store_due_transcripts(r->st, t, SYNC_BATCH, &ids, &n, e)) || n == 0)
        goto done;
    *asked = n;
    got = calloc(n, 1);
    if (!got) {
        rc = err_set(e, ERR_NOMEM, "transcript batch: out of memory");
        goto done;
    }
    for (;;) {
        struct parse_transcripts_page *page = NULL;
        struct store_counts c = {0};

        if ((rc = request_transcripts(ids, n, cursor, &r->req, e)))
            break;
        rc = fetch(r, 1, "/v2/calls/transcript", parse_transcripts_v, (void **)&page, e);
        if (rc || !page)
            break;
        for (size_t i = 0; i < page->n_items; i++)
            for (size_t j = 0; j < n; j++)
                if (!got[j] && strcmp(ids[j], page->items[i].call_id) == 0)
                    got[j] = 1;
        now_iso(t);
        if (!(rc = db_begin(r->db, e)) && !(rc = store_put_transcripts(r->st, page, t, &c, e)))
            rc = commit_page(r, e);
        else
            db_rollback(r->db);
        r->s->transcripts += c.n_new + c.n_updated;
        r->pc.transcripts = r->s->transcripts;
        free(cursor);
        cursor = page->cursor ? strdup(page->cursor) : NULL;
        parse_transcripts_free(page);
        if (rc || !cursor)
            break;
    }
    if (!rc) { /* what Gong did not return is not ready yet: ask again later */
        size_t w = 0;

        for (size_t j = 0; j < n; j++)
            if (!got[j]) {
                char *tmp = ids[w];

                ids[w++] = ids[j];
                ids[j] = tmp;
            }
        if (w && !(rc = db_begin(r->db, e)) &&
            !(rc = store_mark_waiting(r->st, (const char *const *)ids, w, isotime_now_ms(), e)))
            rc = commit_page(r, e);
        else if (rc)
            db_rollback(r->db);
        r->s->transcripts_waiting += (long)w;
    }
done:
    free(got);
    free(cursor);
    free(ids); /* one block: the array and its strings */
    show_progress(r);
    return rc;
}

/* Fetch due transcripts while at least min_due are waiting (1 = drain the queue). */
static int sync_transcripts(struct run *r, long min_due, struct err *e)
{
    char t[ISOTIME_MAX];
    int64_t due = 0;
    size_t asked;
    int rc;

    if (r->s->transcripts_skipped)
        return ERR_OK;
    for (;;) {
        now_iso(t);
        if ((rc = store_pending_count(r->st, t, &due, e)))
            return rc;
        if (due < min_due || due == 0)
            return ERR_OK;
        rc = transcript_batch(r, &asked, e);
        if (rc == ERR_AUTH && strstr(e->msg, "403")) {
            r->s->transcripts_skipped = 1;
            snprintf(r->s->left_out, sizeof r->s->left_out,
                     "transcripts (token lacks api:calls:read:transcript; they stay queued)");
            progress_message(r->p, 1, "transcripts skipped: %s", e->msg);
            err_clear(e);
            return ERR_OK;
        }
        if (rc)
            return rc;
        if (asked == 0)
            return ERR_OK;
    }
}

/* ---- calls ------------------------------------------------------------------------- */

/* Store one page of calls with the checkpoint that says where the next page starts. */
static int store_calls_page(struct run *r, struct parse_calls_page *page, int64_t seq_started,
                            int64_t pages_done, struct err *e)
{
    struct store_counts n = {0};
    char t[ISOTIME_MAX];
    int rc;

    now_iso(t);
    if ((rc = db_begin(r->db, e)))
        return rc;
    rc = store_put_calls(r->st, page, r->c->include_private, t, &n, e);
    if (!rc)
        rc = db_state_set(r->db, "cursor", page->cursor, e);
    if (!rc)
        rc = db_state_set_int(r->db, "cursor_started", seq_started, e);
    if (!rc)
        rc = db_state_set_int(r->db, "pages_done", pages_done, e);
    if (!rc)
        rc = db_state_set_int(r->db, "calls_total", page->total_records, e);
    if (!rc)
        rc = commit_page(r, e);
    else
        db_rollback(r->db);
    r->s->calls_new += n.n_new;
    r->s->calls_updated += n.n_updated;
    r->s->calls_unchanged += n.n_unchanged;
    r->pc.calls_done += (long)page->n_calls;
    r->pc.calls_total = (long)page->total_records;
    return rc;
}

/* Record the window before the first request, so that a run stopped at any point, even
 * before its first page, is resumed by a re-run without --from. A window other than the
 * saved one starts without a cursor. */
static int begin_window(struct run *r, int64_t from, int64_t to, struct err *e)
{
    int64_t saved_from = -1, saved_to = -1;
    int rc;

    if ((rc = db_state_get_int(r->db, "window_from", -1, &saved_from, e)) ||
        (rc = db_state_get_int(r->db, "window_to", -1, &saved_to, e)))
        return rc;
    if (saved_from == from && saved_to == to)
        return ERR_OK;
    if ((rc = db_begin(r->db, e)))
        return rc;
    if ((rc = db_state_set_int(r->db, "window_from", from, e)) ||
        (rc = db_state_set_int(r->db, "window_to", to, e)) ||
        (rc = db_state_set(r->db, "cursor", NULL, e)) ||
        (rc = db_state_set_int(r->db, "pages_done", 0, e)) || (rc = commit_page(r, e))) {
        db_rollback(r->db);
        return rc;
    }
    return ERR_OK;
}

/* Page through the window's extensive call data, resuming from a saved cursor while it is
 * young enough, restarting the window when Gong says the cursor expired. */
static int sync_calls(struct run *r, int64_t from, int64_t to, struct err *e)
{
    char from_iso[ISOTIME_MAX], to_iso[ISOTIME_MAX], *cursor = NULL;
    int64_t started = 0, pages = 0, now = isotime_now_ms(), seq_total = -1;
    int restarts = 0, moved = 0, reread, rc;

    isotime_format(from, 0, from_iso);
    isotime_format(to, 0, to_iso);
    if ((rc = db_state_get(r->db, "cursor", &cursor, e)) ||
        (rc = db_state_get_int(r->db, "cursor_started", 0, &started, e)) ||
        (rc = db_state_get_int(r->db, "pages_done", 0, &pages, e)))
        goto done;
    if (cursor && now - started < SYNC_CURSOR_TTL_MS) {
        progress_message(r->p, 0, "resuming the window after %" PRId64 " pages", pages);
        r->pc.calls_done = (long)pages * 100;
        if ((rc = db_state_get_int(r->db, "calls_total", -1, &seq_total, e)))
            goto done;
    } else {
        free(cursor);
        cursor = NULL;
        pages = 0;
    }
    for (;;) {
        struct parse_calls_page *page = NULL;

        if (!cursor) {
            started = isotime_now_ms();
            pages = 0;
        }
        if ((rc =
                 request_extensive(from_iso, to_iso, r->c->workspace, NULL, 0, cursor, &r->req, e)))
            break;
        rc = fetch(r, 1, "/v2/calls/extensive", parse_calls_v, (void **)&page, e);
        if (rc == ERR_CURSOR && ++restarts <= CURSOR_RESTARTS) {
            progress_message(r->p, 0, "paging cursor expired; restarting the window");
            err_clear(e);
            free(cursor);
            cursor = NULL;
            r->pc.calls_done = 0;
            continue;
        }
        if (rc)
            break;
        if (!page) /* no calls in the window */
            break;
        rc = store_calls_page(r, page, started, ++pages, e);
        free(cursor);
        cursor = page->cursor ? strdup(page->cursor) : NULL;
        reread = !rc && pages > 1 && page->total_records != seq_total && ++moved <= CURSOR_RESTARTS;
        if (reread) {
            /* Gong's cursor is an offset: a call that vanished (or arrived) since the first
             * page shifts the later records, and one would be skipped. Read the window
             * again; the pages already stored are unchanged, so this costs requests only. */
            progress_message(r->p, 0,
                             "the window's call count changed from %" PRId64 " to %" PRId64
                             " while paging; reading it again",
                             seq_total, page->total_records);
            free(cursor);
            cursor = NULL;
            r->pc.calls_done = 0;
        }
        if (pages == 1 || !cursor)
            seq_total = page->total_records;
        parse_calls_free(page);
        if (rc)
            break;
        show_progress(r);
        if (!r->c->no_transcripts && (rc = sync_transcripts(r, SYNC_BATCH, e)))
            break;
        if (!cursor && !reread)
            break;
    }
done:
    free(cursor);
    return rc;
}

/* --refresh-deals: re-read calls from before the window whose deal is still open. */
static int refresh_deals(struct run *r, int64_t from, struct err *e)
{
    char from_iso[ISOTIME_MAX], last[64] = "";
    sqlite3_stmt *sel = NULL;
    int rc = ERR_OK;

    isotime_format(from, 1, from_iso); /* compared with stored times: their fixed width */
    if (db_prepare(r->db,
                   "SELECT c.id FROM calls c JOIN deals d ON d.call_id = c.id AND "
                   "d.timing = 'Now' WHERE c.started < ?1 AND c.id > ?2 AND d.stage IS NOT NULL "
                   "AND lower(d.stage) NOT IN ('closedwon', 'closedlost') AND lower(d.stage) "
                   "NOT LIKE 'closed%' GROUP BY c.id ORDER BY c.id LIMIT 100",
                   &sel, e))
        return ERR_DB;
    for (;;) {
        char *ids[SYNC_BATCH];
        size_t n = 0;
        struct parse_calls_page *page = NULL;
        char *cursor = NULL;

        sqlite3_bind_text(sel, 1, from_iso, -1, SQLITE_STATIC);
        sqlite3_bind_text(sel, 2, last, -1, SQLITE_STATIC);
        while (n < SYNC_BATCH && sqlite3_step(sel) == SQLITE_ROW)
            ids[n++] = strdup((const char *)sqlite3_column_text(sel, 0));
        sqlite3_reset(sel);
        if (n == 0)
            break;
        snprintf(last, sizeof last, "%s", ids[n - 1] ? ids[n - 1] : "");
        do {
            if ((rc = request_extensive(NULL, NULL, NULL, ids, n, cursor, &r->req, e)))
                break;
            if ((rc = fetch(r, 1, "/v2/calls/extensive", parse_calls_v, (void **)&page, e)) ||
                !page)
                break;
            rc = store_calls_page(r, page, 0, 0, e);
            r->s->deals_refreshed += (long)page->n_calls;
            free(cursor);
            cursor = page->cursor ? strdup(page->cursor) : NULL;
            parse_calls_free(page);
        } while (!rc && cursor);
        free(cursor);
        for (size_t i = 0; i < n; i++)
            free(ids[i]);
        if (rc)
            break;
    }
    sqlite3_finalize(sel);
    return rc;
}

/* ---- the run ----------------------------------------------------------------------- */

int sync_window(const struct config *c, sqlite3 *db, int64_t *from, int64_t *to, struct err *e)
{
    int64_t last = -1;
    int rc;

    *to = c->to_ms >= 0 ? c->to_ms : isotime_now_ms() / 1000 * 1000;
    if (c->from_ms >= 0) {
        *from = c->from_ms;
    } else {
        if (db && (rc = db_state_get_int(db, "last_completed_to", -1, &last, e)))
            return rc;
        if (last < 0) {
            int64_t wf = -1;

            /* an interrupted first run resumes its own window */
            if (db && (rc = db_state_get_int(db, "window_from", -1, &wf, e)))
                return rc;
            if (wf < 0)
                return err_set(e, ERR_USAGE,
                               "the first run into a new database needs --from "
                               "(e.g. --from 2024-01-01)");
            *from = wf;
            if (c->to_ms < 0 && db)
                db_state_get_int(db, "window_to", *to, to, e);
            return ERR_OK;
        }
        *from = last - c->overlap_ms;
    }
    if (*from >= *to)
        return err_set(e, ERR_USAGE, "nothing to do: the window start is not before its end");
    return ERR_OK;
}

static int load_budget(struct run *r, long *used, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *used = 0;
    if (db_prepare(r->db, "SELECT requests FROM request_budget WHERE day = ?1", &st, e))
        return ERR_DB;
    sqlite3_bind_text(st, 1, r->today, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *used = (long)sqlite3_column_int64(st, 0);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? ERR_OK : db_error(r->db, e, "read budget");
    sqlite3_finalize(st);
    return rc;
}

int sync_run(const struct config *c, sqlite3 *db, struct gong_client *g, struct progress *p,
             struct sync_summary *s, struct err *e)
{
    struct run r = {.c = c, .db = db, .g = g, .p = p, .s = s};
    int64_t from, to;
    char a[ISOTIME_MAX], b[ISOTIME_MAX];
    int rc;

    memset(s, 0, sizeof *s);
    buf_init(&r.req, 0);
    buf_init(&r.body, 0);
    utc_day(r.today);
    if ((rc = sync_window(c, db, &from, &to, e)))
        goto done;
    isotime_format(from, 1, a); /* stored in runs: the fixed width */
    isotime_format(to, 1, b);
    snprintf(s->window, sizeof s->window, "%s .. %s", a, b);
    if ((rc = store_open(db, &r.st, e)))
        goto done;
    s->transcripts_skipped = c->no_transcripts;
    progress_message(p, 0, "mirroring %s into %s", s->window, c->db_path);
    if ((rc = begin_window(&r, from, to, e)))
        goto done;

    if ((rc = sync_users(&r, e)))
        goto done;
    if ((rc = sync_calls(&r, from, to, e)))
        goto done;
    if ((rc = sync_transcripts(&r, 1, e)))
        goto done;
    if (c->refresh_deals && (rc = refresh_deals(&r, from, e)))
        goto done;
    /* the window is complete: later runs start from its end minus the overlap */
    if ((rc = db_begin(db, e)))
        goto done;
    if ((rc = db_state_set_int(db, "last_completed_to", to, e)) ||
        (rc = db_state_set_int(db, "last_completed_from", from, e)) ||
        (rc = db_state_set(db, "window_from", NULL, e)) ||
        (rc = db_state_set(db, "window_to", NULL, e)) ||
        (rc = db_state_set(db, "cursor", NULL, e)) || (rc = commit_page(&r, e)))
        db_rollback(db);
done:
    if (r.st) { /* count what the failed page cost, too */
        struct err ignore = {0};

        if (db_begin(db, &ignore) == ERR_OK && commit_page(&r, &ignore) != ERR_OK)
            db_rollback(db);
    }
    store_free(r.st);
    buf_release(&r.req);
    buf_release(&r.body);
    return rc;
}

long sync_budget_left(const struct config *c, sqlite3 *db, struct err *e)
{
    struct run r = {.db = db};
    long used = 0;

    utc_day(r.today);
    if (db && load_budget(&r, &used, e))
        return -1;
    return c->daily_budget - used > 0 ? c->daily_budget - used : 0;
}

int sync_plan(const struct config *c, sqlite3 *db, struct gong_client *g, FILE *out, struct err *e)
{
    struct buf q, body;
    struct gong_result res = {0};
    char a[ISOTIME_MAX], b[ISOTIME_MAX], wall[32];
    int64_t from, to;
    int64_t total = 0;
    long requests;
    double secs;
    int rc;

    buf_init(&q, 0);
    buf_init(&body, 0);
    if ((rc = sync_window(c, db, &from, &to, e)))
        goto done;
    isotime_format(from, 0, a);
    isotime_format(to, 0, b);
    {
        const char *pairs[] = {"fromDateTime", a,   "toDateTime", b, "workspaceId",
                               c->workspace,   NULL};

        if ((rc = request_query(pairs, &q, e)))
            goto done;
    }
    if ((rc = gong_get(g, "/v2/calls", q.data, &body, &res, e)))
        goto done;
    if (!res.empty && (rc = parse_total_records(body.data, body.len, &total, e)))
        goto done;
    /* users (1 page per 100), extensive pages, transcript batches, this count */
    requests = 1 + 1 + 2 * ((total + SYNC_BATCH - 1) / SYNC_BATCH);
    if (c->no_transcripts)
        requests -= (total + SYNC_BATCH - 1) / SYNC_BATCH;
    secs = c->rate > 0 ? (double)requests / c->rate : 0;
    progress_format_duration(secs, wall, sizeof wall);
    fprintf(out,
            "window      %s .. %s\n"
            "calls       %ld\n"
            "requests    about %ld (users, %ld extensive pages, %ld transcript batches)\n"
            "wall time   about %s at %.3g requests/s\n"
            "budget      %.1f%% of %ld requests/day\n",
            a, b, total, requests, (total + SYNC_BATCH - 1) / SYNC_BATCH,
            c->no_transcripts ? 0L : (total + SYNC_BATCH - 1) / SYNC_BATCH,
            c->rate > 0 ? wall : "(no pacing)", c->rate,
            100.0 * (double)requests / (double)c->daily_budget, c->daily_budget);
done:
    buf_release(&q);
    buf_release(&body);
    return rc;
}
