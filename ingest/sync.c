/* sync: one ingest run (see sync.h). This file decides what to ask Gong for and in what
 * order, and where the checkpoint goes; gong.c does the HTTP, parse.c the JSON, store.c the
 * rows. Every page is stored in one transaction together with its checkpoint and the
 * requests it cost, so the database is always a consistent, resumable mirror.
 *
 * Shape (issue 9 items 1-4, issue 12 item 4; agreed before the refactor):
 * - struct checkpoint (ingest/checkpoint.h) owns every sync_state key: the open window
 *   [window_from, window_to) as two int64 ms, the extensive cursor with its start time,
 *   pages and calls done, Gong's total, users_done, and the last completed window.
 *   checkpoint_load() reads them all, checkpoint_save() writes them all inside the caller's
 *   transaction; nothing else in the ingest reads or writes sync_state.
 * - page_commit(): the one page transaction helper. A phase stores a page through a
 *   callback run between BEGIN IMMEDIATE and COMMIT, with the budget row and (when given)
 *   the checkpoint saved in the same transaction; any failure rolls back once, in one place.
 *   A first load, once SYNC_GROUP_FROM calls are stored, groups its pages: one transaction
 *   holds up to SYNC_GROUP_PAGES pages or SYNC_GROUP_MS of work, each page still with its
 *   checkpoint, so a kill -9 fetches at most that group again (issue 12 item 5: pages of
 *   the b-trees keyed by the random call id are written once per group, not once per page).
 * - struct request_extensive (ingest/request.h) replaces the eight positional arguments.
 * - Phases, in order: window (sync_window: an open window whose end was fixed when it began
 *   is continued by the identical command line, so --to defaults to the saved end); users
 *   (skipped once done for this window); calls (extensive pages, transcripts fetched in
 *   full batches in between); transcripts (drain what is due); refresh-deals; complete.
 * - Every request goes through the fetch thread (fetcher.h). The calls phase and the drain
 *   run as a pipeline (pump()): the next request is decided and sent when an answer
 *   arrives, before that answer is stored, so the server works while we store.
 * - A first load defers some secondary indexes and builds them once its calls are stored
 *   (bulk.h).
 * - sync_plan() counts the same requests the phases will send (users pages, extensive
 *   pages left, transcript batches including waiting ones that are due, refresh batches).
 * Hooks kept for others: main.c runs backfill (helper B) before sync_run(); OAuth (helper
 * F) lives behind gong.c's auth and main.c's `login` dispatch. */
#include "sync.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "db.h"
#include "fetcher.h"
#include "isotime.h"
#include "parse.h"
#include "request.h"
#include "store.h"

#include "banned.h"

#define MALFORMED_RETRIES 3     /* a malformed or truncated-but-200 body is asked for again */
#define CURSOR_RESTARTS 3       /* expired cursors tolerated per window before giving up */
#define SYNC_WAL_PAGES "262144" /* WAL pages (1 GiB) before a checkpoint (default 1000) */
/* A first load groups its pages once SYNC_GROUP_FROM calls are stored: one transaction holds
 * SYNC_GROUP_PAGES pages or the work of SYNC_GROUP_MS, at most. Fewer commits write a page of
 * the random-keyed b-trees fewer times; a kill -9 fetches the open group again. Measured (KB
 * written a call at 3,000 / 20,000 / 100,000 calls, medians of 3): 20 pages and 10 s 102.1 /
 * 115.0 / 182.6, 60 pages and 30 s 99.6 / 102.3 / 158.9, for a WAL of up to 2.5 GB at 100,000
 * (1.6 with 20).
 * 120 pages and 60 s wrote more at 100,000 than 60 did in the same conditions (173.5 against
 * 165.2, two loads side by side): where the search index's merges fall moves more than the
 * larger groups save. */
#define SYNC_GROUP_FROM 1000
#define SYNC_GROUP_PAGES 60
#define SYNC_GROUP_MS 30000

struct run {
    const struct config *c;
    sqlite3 *db;
    struct gong_client *g;
    struct progress *p;
    struct sync_summary *s;
    struct store *st;
    struct fetcher *f;    /* sends every request (one in flight) */
    struct checkpoint cp; /* where the run stands; saved with each page */
    struct buf req;       /* request body or query string */
    struct buf body;      /* response body */
    long budget_saved;    /* requests already added to request_budget */
    char today[16];       /* the UTC day the budget is counted against */
    struct progress_counts pc;
    int deferred;    /* indexes dropped for a first load, to build when its calls are stored */
    int group;       /* a first load's calls phase: pages may share a transaction */
    int open;        /* a page transaction is open: pages stored, not committed yet */
    int open_pages;  /* pages stored in it */
    int64_t open_ms; /* when it began */
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

/* Add the requests sent since the last save to today's budget row (inside a transaction).
 * *sent is the count to remember once the transaction commits. */
static int save_budget(struct run *r, long *sent, struct err *e)
{
    long delta;
    sqlite3_stmt *st = NULL;
    int rc;

    *sent = fetcher_stats(r->f)->requests;
    delta = *sent - r->budget_saved;
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
    return rc;
}

/* What a page transaction writes besides the checkpoint and the budget. */
typedef int (*page_fn)(struct run *r, void *arg, struct err *e);

/* End the transaction page_commit() began: the requests spent, then COMMIT; rc != 0 (or a
 * failure here) rolls back every page since BEGIN instead. */
static int page_end(struct run *r, int rc, struct err *e)
{
    long sent = 0;

    r->open = 0;
    if (!rc)
        rc = save_budget(r, &sent, e);
    if (!(rc = db_end(r->db, rc, e)))
        r->budget_saved = sent;
    return rc;
}

/* 1 when the open transaction takes no more pages: not grouping, or the group is full. */
static int group_full(const struct run *r)
{
    return !r->group || r->cp.calls_done < SYNC_GROUP_FROM || r->open_pages >= SYNC_GROUP_PAGES ||
           isotime_now_ms() - r->open_ms >= SYNC_GROUP_MS;
}

/* The one page transaction: BEGIN IMMEDIATE (unless a group is open), fn(r, arg) when fn
 * is given, the checkpoint when save_cp, then the requests spent and COMMIT unless the
 * page joins a group (see the top). Any failure rolls back, here and only here: a failed
 * page rolls back its whole group. */
static int page_commit(struct run *r, page_fn fn, void *arg, int save_cp, struct err *e)
{
    int rc;

    if (!r->open) {
        if ((rc = db_begin(r->db, e)))
            return rc;
        r->open = 1;
        r->open_pages = 0;
        r->open_ms = isotime_now_ms();
    }
    rc = fn ? fn(r, arg, e) : ERR_OK;
    if (!rc && save_cp)
        rc = checkpoint_save(r->db, &r->cp, e);
    r->open_pages++;
    return rc || group_full(r) ? page_end(r, rc, e) : ERR_OK;
}

/* Commit the open group, if any (its pages are whole, each with its checkpoint). */
static int group_commit(struct run *r, struct err *e)
{
    return r->open ? page_end(r, ERR_OK, e) : ERR_OK;
}

static long batches(long n)
{
    return n > 0 ? (n + SYNC_BATCH - 1) / SYNC_BATCH : 0;
}

/* Redraw with the queue's count and the requests still needed, by the model --plan uses:
 * the window's pages left, and one transcript batch per SYNC_BATCH calls due or still to
 * come from those pages. */
static void show_progress(struct run *r)
{
    struct progress_counts *pc = &r->pc;
    int64_t due = 0;
    char t[ISOTIME_MAX];
    long calls_left;

    now_iso(t);
    if (store_pending_count(r->st, t, &due, NULL) == ERR_OK)
        pc->transcripts_due = (long)due;
    pc->requests = fetcher_stats(r->f)->requests;
    calls_left = pc->calls_total > pc->calls_done ? pc->calls_total - pc->calls_done : 0;
    pc->requests_left = -1;
    if (pc->phase == PROGRESS_TRANSCRIPTS || pc->calls_total > 0)
        pc->requests_left =
            (pc->phase == PROGRESS_CALLS ? batches(calls_left) : 0) +
            (r->s->transcripts_skipped ? 0 : batches(calls_left + pc->transcripts_due));
    progress_update(r->p, pc);
}

/* The mirror's calls whose transcript Gong does not have yet (what --status counts). */
static long count_waiting(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    long n = 0;

    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM transcript_status WHERE state = 'waiting'", -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
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

static int collect(struct run *r, int post, const char *path, parse_fn parse, void **page,
                   struct err *e);

/* GET (query in r->req) or POST (body in r->req) path through the fetch thread, wait, and
 * parse the answer (see collect()). *page is NULL when Gong answered "nothing found". */
static int fetch(struct run *r, int post, const char *path, parse_fn parse, void **page,
                 struct err *e)
{
    int rc;

    *page = NULL;
    if ((rc = fetcher_submit(r->f, post, path, r->req.len ? r->req.data : NULL, e)))
        return rc;
    return collect(r, post, path, parse, page, e);
}

/* A 403 on an endpoint the mirror can do without (users, transcripts). */
static int is_forbidden(int rc, const struct err *e)
{
    return rc == ERR_AUTH && e->http_status == 403;
}

/* ---- users ------------------------------------------------------------------------- */

struct users_put {
    const struct parse_users_page *page;
    struct store_counts n;
};

static int put_users(struct run *r, void *arg, struct err *e)
{
    struct users_put *u = arg;

    return store_put_users(r->st, u->page, &u->n, e);
}

/* Mirror /v2/users, page by page; once all are stored the window's checkpoint says so. */
static int sync_users(struct run *r, struct err *e)
{
    char *cursor = NULL;
    int rc = ERR_OK;

    if (r->cp.users_done)
        return ERR_OK;
    for (;;) {
        const char *q[] = {"cursor", cursor, NULL};
        struct users_put u = {0};

        if ((rc = request_query(q, &r->req, e)))
            break;
        rc = fetch(r, 0, "/v2/users", parse_users_v, (void **)&u.page, e);
        if (is_forbidden(rc, e)) {
            r->s->users_skipped = 1;
            snprintf(r->s->left_out, sizeof r->s->left_out,
                     "users (token lacks api:users:read; rep names come from call parties)");
            progress_message(r->p, 1, "users skipped: %s", e->msg);
            err_clear(e);
            rc = ERR_OK;
            break;
        }
        if (rc || !u.page)
            break;
        free(cursor);
        cursor = u.page->cursor ? strdup(u.page->cursor) : NULL;
        r->cp.users_done = !cursor;
        rc = page_commit(r, put_users, &u, !cursor, e);
        r->s->users += u.n.n_new + u.n.n_updated;
        parse_users_free((struct parse_users_page *)u.page);
        if (rc || !cursor)
            break;
    }
    free(cursor);
    return rc;
}

/* ---- transcripts ------------------------------------------------------------------- */

struct transcripts_put {
    const struct parse_transcripts_page *page;
    struct store_counts n;
};

static int put_transcripts(struct run *r, void *arg, struct err *e)
{
    struct transcripts_put *t = arg;
    char now[ISOTIME_MAX];

    now_iso(now);
    return store_put_transcripts(r->st, t->page, now, &t->n, e);
}

struct waiting_put {
    const char *const *ids;
    size_t n;
};

static int put_waiting(struct run *r, void *arg, struct err *e)
{
    struct waiting_put *w = arg;

    return store_mark_waiting(r->st, w->ids, w->n, isotime_now_ms(), e);
}

/* One batch of due transcripts (up to SYNC_BATCH call ids) and how far it got. */
struct tbatch {
    char **ids; /* one block: the array and its strings (store_due_transcripts) */
    size_t n;
    unsigned char *got; /* ids[i] came back */
    char *cursor;       /* the batch's next page; NULL: none */
};

static void tbatch_release(struct tbatch *b)
{
    free(b->ids);
    free(b->got);
    free(b->cursor);
    memset(b, 0, sizeof *b);
}

static int in_batch(const struct tbatch *b, const char *id)
{
    for (size_t i = 0; b && i < b->n; i++)
        if (strcmp(b->ids[i], id) == 0)
            return 1;
    return 0;
}

/* The transcripts due now, less those of batch skip (asked for, not stored yet). */
static int due_count(struct run *r, const struct tbatch *skip, int64_t *due, struct err *e)
{
    char t[ISOTIME_MAX];
    int rc;

    now_iso(t);
    if ((rc = store_pending_count(r->st, t, due, e)))
        return rc;
    *due -= skip ? (int64_t)skip->n : 0;
    return ERR_OK;
}

/* Fill b with the next SYNC_BATCH due transcripts, in the queue's order, less those of
 * skip. b->n is 0 when none are due. */
static int tbatch_fill(struct run *r, struct tbatch *b, const struct tbatch *skip, struct err *e)
{
    char t[ISOTIME_MAX];
    size_t n = 0, k = 0;
    int rc;

    memset(b, 0, sizeof *b);
    now_iso(t);
    if ((rc = store_due_transcripts(r->st, t, SYNC_BATCH + (skip ? skip->n : 0), &b->ids, &n, e)))
        return rc;
    for (size_t i = 0; i < n && k < SYNC_BATCH; i++)
        if (!in_batch(skip, b->ids[i]))
            b->ids[k++] = b->ids[i];
    b->n = k;
    if (k && !(b->got = calloc(k, 1))) {
        tbatch_release(b);
        return err_set(e, ERR_NOMEM, "transcript batch: out of memory");
    }
    return ERR_OK;
}

/* ---- calls ------------------------------------------------------------------------- */

struct calls_put {
    const struct parse_calls_page *page;
    struct store_counts n;
};

static int put_calls(struct run *r, void *arg, struct err *e)
{
    struct calls_put *cl = arg;
    char t[ISOTIME_MAX];

    now_iso(t);
    return store_put_calls(r->st, cl->page, r->c->include_private, t, &cl->n, e);
}

static void count_calls(struct run *r, const struct store_counts *n)
{
    r->s->calls_new += n->n_new;
    r->s->calls_updated += n->n_updated;
    r->s->calls_unchanged += n->n_unchanged;
}

/* Start the window's page sequence again from its first page. */
static void restart_pages(struct checkpoint *cp)
{
    checkpoint_set_cursor(cp, NULL, NULL);
    cp->pages_done = 0;
    cp->calls_done = 0;
}

/* 1 when every extensive page of the open window is stored. */
static int calls_complete(const struct checkpoint *cp)
{
    return cp->pages_done > 0 && !cp->cursor;
}

/* Build the indexes the first load went without, once its calls are stored. */
static int build_indexes(struct run *r, struct err *e)
{
    int64_t t0 = isotime_now_ms();
    int built, rc;

    r->group = 0;
    if ((rc = group_commit(r, e)))
        return rc;
    progress_message(r->p, 0, "building the indexes the first load went without");
    if ((rc = bulk_build(r->db, &built, e)))
        return rc;
    r->deferred = 0;
    store_defer_facts(r->st, 0);
    progress_message(r->p, 0, "built %d indexes in %.1f s", built,
                     (double)(isotime_now_ms() - t0) / 1000.0);
    return ERR_OK;
}

/* ---- the pipeline ------------------------------------------------------------------ */
/* The calls phase and the transcript drain keep one request in flight while the answer
 * before it is parsed and stored. What to ask next is decided when an answer arrives,
 * before it is stored: the batch's next page, else a transcript batch when enough are due
 * (SYNC_BATCH while extensive pages remain, then any), else the window's next extensive
 * page. The calls of a page not stored yet are not due, and the batch just received is
 * left out of the next one, so every request is one the serial order would have sent;
 * only their order differs (the next extensive page goes out while the last one is
 * stored). A page is stored with its checkpoint as before, so a run stopped at any point
 * resumes exactly: an answer fetched but not stored is asked for again. */

enum { ASK_NONE, ASK_CALLS, ASK_TRANSCRIPTS };

struct pipe {
    int calls;          /* the calls phase (extensive pages may be asked for) */
    int flight;         /* ASK_*: what is in flight */
    struct tbatch tb;   /* the batch in flight, or just received */
    struct tbatch next; /* a batch decided while tb is being stored */
};

/* Submit the request in r->req. */
static int submit(struct run *r, int what, struct pipe *pp, struct err *e)
{
    const char *path = what == ASK_CALLS ? "/v2/calls/extensive" : "/v2/calls/transcript";
    int rc = fetcher_submit(r->f, 1, path, r->req.data, e);

    pp->flight = rc ? ASK_NONE : what;
    return rc;
}

/* Ask for the window's next extensive page (from the checkpoint's cursor). */
static int ask_calls(struct run *r, struct pipe *pp, struct err *e)
{
    struct checkpoint *cp = &r->cp;
    struct request_extensive q = {
        .from_ms = cp->window_from, .to_ms = cp->window_to, .workspace = r->c->workspace};
    int rc;

    if (!cp->cursor) {
        cp->cursor_started = isotime_now_ms();
        restart_pages(cp);
    }
    q.cursor = cp->cursor;
    if ((rc = request_extensive(&q, &r->req, e)))
        return rc;
    return submit(r, ASK_CALLS, pp, e);
}

/* Ask for pp->tb's next page (its cursor) or first page. */
static int ask_transcripts(struct run *r, struct pipe *pp, struct err *e)
{
    int rc = request_transcripts(pp->tb.ids, pp->tb.n, pp->tb.cursor, &r->req, e);

    return rc ? rc : submit(r, ASK_TRANSCRIPTS, pp, e);
}

/* Decide and send the next request (see above). skip: the batch just received, whose
 * transcripts are not stored yet; a new batch goes to pp->next (or pp->tb when skip is
 * NULL). Nothing is sent when nothing is left to ask. */
static int ask_next(struct run *r, struct pipe *pp, struct tbatch *skip, struct err *e)
{
    int more_calls = pp->calls && !calls_complete(&r->cp);
    struct tbatch *b = skip ? &pp->next : &pp->tb;
    int64_t due = 0;
    int rc;

    pp->flight = ASK_NONE;
    if (!r->s->transcripts_skipped) {
        if ((rc = due_count(r, skip, &due, e)))
            return rc;
        if (due >= (more_calls ? SYNC_BATCH : 1)) {
            if ((rc = tbatch_fill(r, b, skip, e)))
                return rc;
            if (b->n) {
                rc = request_transcripts(b->ids, b->n, NULL, &r->req, e);
                return rc ? rc : submit(r, ASK_TRANSCRIPTS, pp, e);
            }
        }
    }
    return more_calls ? ask_calls(r, pp, e) : ERR_OK;
}

/* Collect the answer in flight and parse it; a body that does not parse is asked for
 * again (r->req still holds its request). *page is NULL when Gong found nothing. */
static int collect(struct run *r, int post, const char *path, parse_fn parse, void **page,
                   struct err *e)
{
    struct gong_result res = {0};
    int rc = ERR_OK;

    *page = NULL;
    for (int attempt = 0; attempt <= MALFORMED_RETRIES; attempt++) {
        if (attempt && (rc = fetcher_submit(r->f, post, path, r->req.data, e)))
            return rc;
        if ((rc = fetcher_wait(r->f, &r->body, &res, e)))
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

/* A transcript answer arrived: ask for what comes next, then store it (and, at the batch's
 * end, mark what Gong did not return as waiting). */
static int on_transcripts(struct run *r, struct pipe *pp, struct err *e)
{
    struct transcripts_put tp = {0};
    struct tbatch *b = &pp->tb;
    int rc, last;

    pp->flight = ASK_NONE;
    rc = collect(r, 1, "/v2/calls/transcript", parse_transcripts_v, (void **)&tp.page, e);
    if (is_forbidden(rc, e)) {
        r->s->transcripts_skipped = 1;
        snprintf(r->s->left_out, sizeof r->s->left_out,
                 "transcripts (token lacks api:calls:read:transcript; they stay queued)");
        progress_message(r->p, 1, "transcripts skipped: %s", e->msg);
        err_clear(e);
        tbatch_release(b);
        return ask_next(r, pp, NULL, e);
    }
    if (rc)
        return rc;
    for (size_t i = 0; tp.page && i < tp.page->n_items; i++)
        for (size_t j = 0; j < b->n; j++)
            if (!b->got[j] && strcmp(b->ids[j], tp.page->items[i].call_id) == 0)
                b->got[j] = 1;
    free(b->cursor);
    b->cursor = tp.page && tp.page->cursor ? strdup(tp.page->cursor) : NULL;
    last = !b->cursor;
    rc = last ? ask_next(r, pp, b, e) : ask_transcripts(r, pp, e);
    if (!rc && tp.page)
        rc = page_commit(r, put_transcripts, &tp, 0, e);
    r->s->transcripts += tp.n.n_new + tp.n.n_updated;
    r->pc.transcripts = r->s->transcripts;
    parse_transcripts_free((struct parse_transcripts_page *)tp.page);
    if (!rc && last) { /* what Gong did not return is not ready yet: ask again later */
        struct waiting_put w = {(const char *const *)b->ids, 0};

        for (size_t j = 0; j < b->n; j++)
            if (!b->got[j]) {
                char *tmp = b->ids[w.n];

                b->ids[w.n++] = b->ids[j];
                b->ids[j] = tmp;
            }
        if (w.n)
            rc = page_commit(r, put_waiting, &w, 0, e);
        r->pc.transcripts_done += (long)b->n;
    }
    if (last) { /* the batch decided meanwhile (if any) is the one in flight */
        tbatch_release(b);
        *b = pp->next;
        memset(&pp->next, 0, sizeof pp->next);
    }
    show_progress(r);
    return rc;
}

/* An extensive page arrived: move the checkpoint, ask for what comes next, store the page
 * with the checkpoint; restart the window when Gong says the cursor expired or the
 * window's count moved under the cursor. */
static int on_calls(struct run *r, struct pipe *pp, int *restarts, int *moved, struct err *e)
{
    struct checkpoint *cp = &r->cp;
    struct calls_put cl = {0};
    int reread, rc;

    pp->flight = ASK_NONE;
    rc = collect(r, 1, "/v2/calls/extensive", parse_calls_v, (void **)&cl.page, e);
    if (rc == ERR_CURSOR && ++*restarts <= CURSOR_RESTARTS) {
        progress_message(r->p, 0, "paging cursor expired; restarting the window");
        err_clear(e);
        restart_pages(cp);
        r->pc.calls_done = 0;
        return ask_calls(r, pp, e);
    }
    if (rc)
        return rc;
    if (!cl.page) { /* no calls in the window: that is complete, too */
        cp->pages_done = 1;
        cp->calls_total = 0;
        if ((rc = page_commit(r, NULL, NULL, 1, e)) == ERR_OK && r->deferred)
            rc = build_indexes(r, e);
        return rc;
    }
    /* Gong's cursor is an offset: a call that vanished (or arrived) since the first page
     * shifts the later records, and one would be skipped. Read the window again; the
     * pages already stored are unchanged, so this costs requests only. */
    reread = cp->pages_done > 0 && cl.page->total_records != cp->calls_total &&
             ++*moved <= CURSOR_RESTARTS;
    if (reread) {
        progress_message(r->p, 0,
                         "the window's call count changed from %" PRId64 " to %" PRId64
                         " while paging; reading it again",
                         cp->calls_total, cl.page->total_records);
        restart_pages(cp);
    } else {
        if (cp->pages_done == 0)
            cp->calls_total = cl.page->total_records;
        cp->pages_done++;
        cp->calls_done += (int64_t)cl.page->n_calls;
        rc = checkpoint_set_cursor(cp, cl.page->cursor, e);
    }
    if (!rc)
        rc = reread ? ask_calls(r, pp, e) : ask_next(r, pp, NULL, e);
    if (!rc)
        rc = page_commit(r, put_calls, &cl, 1, e);
    count_calls(r, &cl.n);
    parse_calls_free((struct parse_calls_page *)cl.page);
    if (rc)
        return rc;
    r->pc.calls_done = (long)cp->calls_done;
    r->pc.calls_total = (long)cp->calls_total;
    if (calls_complete(cp)) /* what is left is the transcripts' drain */
        r->pc.phase = PROGRESS_TRANSCRIPTS;
    show_progress(r);
    if (calls_complete(cp) && r->deferred) /* overlaps the request in flight, if any */
        rc = build_indexes(r, e);
    return rc;
}

/* Run the pipeline until nothing is left to ask: the window's extensive pages with the
 * transcripts due meanwhile (calls 1), or the transcripts due (calls 0). */
static int pump(struct run *r, int calls, struct err *e)
{
    struct pipe pp = {.calls = calls};
    int restarts = 0, moved = 0, rc;

    if (calls && calls_complete(&r->cp))
        return ERR_OK;
    if (!calls && r->s->transcripts_skipped)
        return ERR_OK;
    if (calls && (rc = bulk_defer(r->db, &r->deferred, e))) /* a first load: see bulk.h */
        return rc;
    if (r->deferred) {
        store_defer_facts(r->st, 1);
        store_defer_grams(r->st, 1); /* for the whole run: backfill_grams writes them after */
    }
    r->group = calls && r->deferred;
    rc = calls ? ask_calls(r, &pp, e) : ask_next(r, &pp, NULL, e);
    while (!rc && pp.flight != ASK_NONE)
        rc = pp.flight == ASK_CALLS ? on_calls(r, &pp, &restarts, &moved, e)
                                    : on_transcripts(r, &pp, e);
    if (fetcher_busy(r->f)) { /* stopped with a request in flight: count it, drop it */
        struct gong_result res;
        struct err ignore = {0};

        fetcher_wait(r->f, &r->body, &res, &ignore);
    }
    tbatch_release(&pp.tb);
    tbatch_release(&pp.next);
    r->group = 0;
    if (r->open) { /* stopped between pages (Ctrl-C, an API error): keep what is stored */
        struct err ignore = {0};
        int end = group_commit(r, rc ? &ignore : e);

        rc = rc ? rc : end;
    }
    return rc;
}

/* The open-deal calls from before from, after call id last, at most SYNC_BATCH: the
 * statement --refresh-deals reads and --plan counts. */
static const char refresh_sql[] =
    "SELECT c.id FROM calls c JOIN deals d ON d.call_id = c.id AND d.timing = 'Now' "
    "WHERE c.started < ?1 AND c.id > ?2 AND d.stage IS NOT NULL "
    "AND lower(d.stage) NOT IN ('closedwon', 'closedlost') AND lower(d.stage) "
    "NOT LIKE 'closed%' GROUP BY c.id ORDER BY c.id";

/* --refresh-deals: re-read calls from before the window whose deal is still open. The
 * pages go through the same transaction helper, without touching the checkpoint. */
static int refresh_deals(struct run *r, int64_t from, struct err *e)
{
    char from_iso[ISOTIME_MAX], last[64] = "";
    sqlite3_stmt *sel = NULL;
    char *sql = NULL;
    int rc = ERR_OK;

    isotime_format(from, 1, from_iso);
    sql = sqlite3_mprintf("%s LIMIT %d", refresh_sql, SYNC_BATCH);
    if (!sql)
        return err_set(e, ERR_NOMEM, "refresh deals: out of memory");
    rc = db_prepare(r->db, sql, &sel, e);
    sqlite3_free(sql);
    if (rc)
        return rc;
    for (;;) {
        char *ids[SYNC_BATCH];
        size_t n = 0;
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
            struct request_extensive q = {.call_ids = ids, .n_ids = n, .cursor = cursor};
            struct calls_put cl = {0};

            if ((rc = request_extensive(&q, &r->req, e)))
                break;
            if ((rc = fetch(r, 1, "/v2/calls/extensive", parse_calls_v, (void **)&cl.page, e)) ||
                !cl.page)
                break;
            rc = page_commit(r, put_calls, &cl, 0, e);
            count_calls(r, &cl.n);
            r->s->deals_refreshed += (long)cl.page->n_calls;
            free(cursor);
            cursor = cl.page->cursor ? strdup(cl.page->cursor) : NULL;
            parse_calls_free((struct parse_calls_page *)cl.page);
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

int sync_window(const struct config *c, const struct checkpoint *cp, int64_t now_ms, int64_t *from,
                int64_t *to, int *resume, struct err *e)
{
    int open = checkpoint_is_open(cp);

    *resume = 0;
    if (c->from_ms >= 0)
        *from = c->from_ms;
    else if (open)
        *from = cp->window_from; /* an interrupted window is continued */
    else if (cp->last_to >= 0)
        *from = cp->last_to - c->overlap_ms;
    else
        return err_set(e, ERR_USAGE,
                       "the first run into a new database needs --from (e.g. --from 2024-01-01)");
    *to = c->to_ms >= 0 ? c->to_ms : now_ms / 1000 * 1000;
    /* the identical command line continues the open window: its end was fixed when it
     * began, and --to left at "now" means that end */
    if (open && *from == cp->window_from && (c->to_ms < 0 || c->to_ms == cp->window_to)) {
        *to = cp->window_to;
        *resume = 1;
    }
    if (*from >= *to)
        return err_set(e, ERR_USAGE, "nothing to do: the window start is not before its end");
    return ERR_OK;
}

int sync_check(const struct config *c, sqlite3 *db, struct err *e)
{
    struct checkpoint cp;
    int64_t from, to;
    int resume, rc;

    checkpoint_init(&cp);
    if (db && (rc = checkpoint_load(db, &cp, e)))
        return rc;
    rc = sync_window(c, &cp, isotime_now_ms(), &from, &to, &resume, e);
    checkpoint_release(&cp);
    return rc;
}

static int load_budget(sqlite3 *db, const char *today, long *used, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *used = 0;
    if (db_prepare(db, "SELECT requests FROM request_budget WHERE day = ?1", &st, e))
        return ERR_DB;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *used = (long)sqlite3_column_int64(st, 0);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? ERR_OK : db_error(db, e, "read budget");
    sqlite3_finalize(st);
    return rc;
}

/* Open (or continue) the window and say which. The window is recorded before the first
 * request, so a run stopped at any point is continued by the same command. */
static int begin_window(struct run *r, struct err *e)
{
    struct sync_summary *s = r->s;
    char a[ISOTIME_MAX], b[ISOTIME_MAX];
    int64_t from, to;
    int rc;

    if ((rc = sync_window(r->c, &r->cp, isotime_now_ms(), &from, &to, &s->resumed, e)))
        return rc;
    s->window_from = from;
    s->window_to = to;
    isotime_format(from, -1, a);
    isotime_format(to, -1, b);
    snprintf(s->window, sizeof s->window, "%s .. %s", a, b);
    if (!s->resumed) {
        checkpoint_open_window(&r->cp, from, to);
        progress_message(r->p, 0, "mirroring %s into %s", s->window, r->c->db_path);
        return page_commit(r, NULL, NULL, 1, e);
    }
    if (r->cp.cursor && isotime_now_ms() - r->cp.cursor_started >= SYNC_CURSOR_TTL_MS) {
        progress_message(r->p, 0,
                         "resuming the window %s .. %s (%" PRId64
                         " calls already stored; the paging cursor is too old, so its pages "
                         "are read again)",
                         a, b, r->cp.calls_done);
        restart_pages(&r->cp);
    } else {
        progress_message(r->p, 0, "resuming the window %s .. %s (%" PRId64 " calls already stored)",
                         a, b, r->cp.calls_done);
    }
    r->pc.calls_done = (long)r->cp.calls_done;
    r->pc.calls_total = r->cp.calls_total > 0 ? (long)r->cp.calls_total : 0;
    return ERR_OK;
}

int sync_run(const struct config *c, sqlite3 *db, struct gong_client *g, struct progress *p,
             struct sync_summary *s, struct err *e)
{
    struct run r = {.c = c, .db = db, .g = g, .p = p, .s = s};
    int rc;

    memset(s, 0, sizeof *s);
    s->window_from = s->window_to = -1;
    checkpoint_init(&r.cp);
    buf_init(&r.req, 0);
    buf_init(&r.body, 0);
    utc_day(r.today);
    /* a page dirtied by many page transactions is copied into the file once per checkpoint:
     * fewer, larger checkpoints write each such page fewer times (sqlite3_close checkpoints
     * what is left). 64 -> 256 MiB: 20,000 calls wrote 138.9 -> 128.7 KB a call; 256 MiB ->
     * 1 GiB: 20,000 calls 127.8 -> 123.8, 100,000 calls 223 -> 197 (a group of 20 pages fills
     * ~200 MB of WAL there, so at 256 MiB nearly every group was checkpointed whole) */
    if ((rc = db_exec(db, "PRAGMA wal_autocheckpoint = " SYNC_WAL_PAGES, e)) ||
        (rc = checkpoint_load(db, &r.cp, e)))
        goto done;
    if ((rc = store_open(db, &r.st, e)))
        goto done;
    if (!(r.f = fetcher_new(g, e))) {
        rc = e->code;
        store_free(r.st);
        r.st = NULL;
        goto done;
    }
    s->transcripts_skipped = c->no_transcripts;
    if ((rc = begin_window(&r, e)))
        goto done;
    if ((rc = sync_users(&r, e)))
        goto done;
    if ((rc = pump(&r, 1, e)))
        goto done;
    r.pc.phase = PROGRESS_TRANSCRIPTS;
    show_progress(&r);
    if ((rc = pump(&r, 0, e)))
        goto done;
    if (c->refresh_deals && (rc = refresh_deals(&r, s->window_from, e)))
        goto done;
    /* the window is complete: later runs start from its end minus the overlap */
    checkpoint_complete(&r.cp);
    rc = page_commit(&r, NULL, NULL, 1, e);
done:
    if (r.st) { /* count what the failed page cost, too */
        struct err ignore = {0};

        page_commit(&r, NULL, NULL, 0, &ignore);
        s->transcripts_waiting = count_waiting(db);
    }
    store_free(r.st);
    fetcher_free(r.f);
    checkpoint_release(&r.cp);
    buf_release(&r.req);
    buf_release(&r.body);
    return rc;
}

long sync_budget_left(const struct config *c, sqlite3 *db, struct err *e)
{
    char today[16];
    long used = 0;

    utc_day(today);
    if (db && load_budget(db, today, &used, e))
        return -1;
    return c->daily_budget - used > 0 ? c->daily_budget - used : 0;
}

/* ---- --plan ------------------------------------------------------------------------ */

/* First column of the first row of sql (with ?1 = a text, ?2 = b text, when given). */
static int64_t count_sql(sqlite3 *db, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;

    if (!db || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (a)
        sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Gong's totalRecords for GET path?query; 0 when Gong has none; *forbidden on a 403. */
static int count_records(struct gong_client *g, const char *path, const char *const *pairs,
                         struct buf *q, struct buf *body, int64_t *total, int *forbidden,
                         struct err *e)
{
    struct gong_result res = {0};
    int rc;

    *total = 0;
    *forbidden = 0;
    if ((rc = request_query(pairs, q, e)))
        return rc;
    rc = gong_get(g, path, q->data, body, &res, e);
    if (is_forbidden(rc, e)) {
        *forbidden = 1;
        err_clear(e);
        return ERR_OK;
    }
    if (rc || res.empty)
        return rc;
    return parse_total_records(body->data, body->len, total, e);
}

static int64_t pages_of(int64_t n)
{
    return (n + SYNC_BATCH - 1) / SYNC_BATCH;
}

int sync_plan(const struct config *c, sqlite3 *db, struct gong_client *g, FILE *out, struct err *e)
{
    struct buf q, body;
    struct checkpoint cp;
    char a[ISOTIME_MAX], b[ISOTIME_MAX], fa[ISOTIME_MAX], fb[ISOTIME_MAX], now[ISOTIME_MAX];
    char wall[32];
    int64_t from, to, total = 0, users = 0, user_pages = 0, call_pages = 0, due = 0,
                      transcript_batches = 0, refresh = 0, requests;
    int resume, forbidden, rc;
    double secs;

    buf_init(&q, 0);
    buf_init(&body, 0);
    checkpoint_init(&cp);
    if (db && (rc = checkpoint_load(db, &cp, e)))
        goto done;
    if ((rc = sync_window(c, &cp, isotime_now_ms(), &from, &to, &resume, e)))
        goto done;
    isotime_format(from, 0, a);
    isotime_format(to, 0, b);
    isotime_format(from, 1, fa);
    isotime_format(to, 1, fb);
    now_iso(now);
    {
        const char *pairs[] = {"fromDateTime", a,   "toDateTime", b, "workspaceId",
                               c->workspace,   NULL};

        if ((rc = count_records(g, "/v2/calls", pairs, &q, &body, &total, &forbidden, e)))
            goto done;
    }
    /* users: one request per page, none when this window's users are already stored */
    if (!(resume && cp.users_done)) {
        const char *pairs[] = {NULL};

        if ((rc = count_records(g, "/v2/users", pairs, &q, &body, &users, &forbidden, e)))
            goto done;
        user_pages = users > 0 ? pages_of(users) : 1;
    }
    /* extensive pages: those the window still needs (one request even when it is empty) */
    call_pages = total > 0 ? pages_of(total) : 1;
    if (resume && calls_complete(&cp))
        call_pages = 0;
    else if (resume && cp.cursor && isotime_now_ms() - cp.cursor_started < SYNC_CURSOR_TTL_MS)
        call_pages = call_pages > cp.pages_done ? call_pages - cp.pages_done : 1;
    /* transcripts: the queue's due calls, plus the window's calls not mirrored yet, in
     * batches of SYNC_BATCH */
    if (!c->no_transcripts) {
        int64_t in_mirror = count_sql(db,
                                      "SELECT count(*) FROM calls WHERE coalesce(scheduled, "
                                      "started) >= ?1 AND coalesce(scheduled, started) < ?2",
                                      fa, fb);

        due = count_sql(db,
                        "SELECT count(*) FROM transcript_status WHERE state = 'pending' OR "
                        "(state = 'waiting' AND next_try <= ?1)",
                        now, NULL);
        if (resume && calls_complete(&cp))
            in_mirror = total;
        due += total > in_mirror ? total - in_mirror : 0;
        transcript_batches = pages_of(due);
    }
    if (c->refresh_deals) {
        char *sql = sqlite3_mprintf("SELECT count(*) FROM (%s)", refresh_sql);

        refresh = sql ? pages_of(count_sql(db, sql, fa, "")) : 0;
        sqlite3_free(sql);
    }
    requests = user_pages + call_pages + transcript_batches + refresh;
    secs = c->rate > 0 ? (double)requests / c->rate : 0;
    progress_format_duration(secs, wall, sizeof wall);
    fprintf(out, "window      %s .. %s%s\n", a, b,
            resume ? " (resuming: its end was fixed when it began)" : "");
    fprintf(out, "calls       %" PRId64 "%s\n", total, resume ? "" : "");
    fprintf(out,
            "requests    about %" PRId64 " (%" PRId64 " users pages, %" PRId64
            " extensive pages, %" PRId64 " transcript batches for %" PRId64 " calls",
            requests, user_pages, call_pages, transcript_batches, due);
    if (c->refresh_deals)
        fprintf(out, ", %" PRId64 " refresh batches", refresh);
    fprintf(out, ")\n");
    fprintf(out,
            "wall time   about %s at %.3g requests/s\n"
            "budget      %.1f%% of %ld requests/day\n",
            c->rate > 0 ? wall : "(no pacing)", c->rate,
            100.0 * (double)requests / (double)c->daily_budget, c->daily_budget);
done:
    checkpoint_release(&cp);
    buf_release(&q);
    buf_release(&body);
    return rc;
}
