/* search_window: the window of matching sentences, phase 1 of a search (see search_window.h).
 *
 * The scan is one statement over search_sentences: MATCH ?1, callmine_keep(rowid >> 20) when
 * a filter is set, and for a phrase a rowid range (?2, ?3) read forwards. Slices are ranges
 * of call numbers, so rowid >= lo << 20 and < hi << 20 is every sentence of those calls. A
 * split slice reads the older half here and the newer half on the peer's thread, then puts
 * the newer half after the older: the same rows in the same order as one forward read, so
 * the window and its ranking do not depend on whether a slice was split. The peer opens its
 * own read transaction: if the ingest commits between the two, the peer may see sentences the
 * first connection does not; search.c drops a hit whose call or sentence it cannot read back,
 * as it drops any stale entry. */
#include "search_window.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "cmd.h"
#include "numset.h"
#include "search_index.h"

#include "banned.h"

/* Slices of at least this many calls are split over two connections. At 100,000 calls a rare
 * phrase's last slice spans ~94,000 calls and costs ~35 ms; splitting costs a connection (~1
 * ms) and a thread, so shorter slices stay on one. */
#define SPLIT_CALLS 8192

/* The second connection and what its thread read. */
struct peer {
    sqlite3 *db;
    sqlite3_stmt *st;
    struct search_rank w;
    int64_t lo, hi; /* the call numbers it reads */
    int rc;
    struct err e;
    pthread_t tid;
};

struct window {
    sqlite3 *db;
    const struct search_opts *o;
    int all;            /* no filter: every call is kept */
    struct numset keep; /* the calls the filters select (when any filter is set) */
    struct buf sql;     /* the scan */
    sqlite3_stmt *st;
    struct peer peer;
    int peer_tried;
};

/* callmine_keep(num): whether the call numbered num is one the filters select. */
static void sql_keep(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_result_int(ctx, numset_has(sqlite3_user_data(ctx), sqlite3_value_int64(argv[0])));
}

static int register_keep(sqlite3 *db, struct numset *keep, struct err *e)
{
    if (sqlite3_create_function(db, "callmine_keep", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, keep,
                                sql_keep, NULL, NULL) != SQLITE_OK)
        return err_set(e, ERR_DB, "search: %s", sqlite3_errmsg(db));
    return ERR_OK;
}

/* The numbers of the calls the filters select, into set. */
static int select_calls(sqlite3 *db, const struct search_opts *o, const char *cond,
                        struct numset *set, struct err *e)
{
    sqlite3_stmt *st = NULL;
    struct buf q;
    int rc, step, added;

    buf_init(&q, 0);
    if ((rc = buf_printf(&q, e,
                         "SELECT search_calls.num FROM calls JOIN search_calls ON "
                         "search_calls.call_id = calls.id WHERE %s",
                         cond)) ||
        (rc = cmd_prepare(db, q.data, &st, e)) || (rc = filter_bind(o->f, st, e)))
        goto done;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = numset_add(set, sqlite3_column_int64(st, 0), &added, e)))
            goto done;
    if (step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "search: select calls: %s", sqlite3_errmsg(db));
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

static int prepare_scan(sqlite3 *db, const struct window *x, sqlite3_stmt **st, struct err *e)
{
    int rc = cmd_prepare(db, x->sql.data, st, e);

    if (!rc)
        sqlite3_bind_text(*st, 1, x->o->query, -1, SQLITE_STATIC);
    return rc;
}

/* The matching sentences the filters keep, newest first, or (sliced) oldest first within
 * the rowids bound to ?2 and ?3. The filters are evaluated once per call (into x->keep,
 * tested by callmine_keep in the scan), not once per matching sentence: a stage filter on
 * 'the' would otherwise run its subqueries millions of times. */
static int window_open(struct window *x, int sliced, struct err *e)
{
    struct buf cond;
    int rc;

    buf_init(&cond, 0);
    x->all = !filter_is_set(x->o->f);
    if ((rc = filter_sql(x->o->f, &cond, e)))
        goto done;
    if (!x->all && ((rc = select_calls(x->db, x->o, cond.data, &x->keep, e)) ||
                    (rc = register_keep(x->db, &x->keep, e))))
        goto done;
    if ((rc = buf_printf(&x->sql, e,
                         "SELECT rowid, callmine_tf(search_sentences) FROM search_sentences "
                         "WHERE search_sentences MATCH ?1%s%s",
                         x->all ? "" : " AND callmine_keep(rowid >> 20)",
                         sliced ? " AND rowid >= ?2 AND rowid < ?3 ORDER BY rowid"
                                : " ORDER BY rowid DESC")))
        goto done;
    rc = prepare_scan(x->db, x, &x->st, e);
done:
    buf_release(&cond);
    return rc;
}

/* The second connection, at the first slice long enough to split. Any failure leaves it
 * closed, and every slice is then read on the first connection: the same rows, later. */
static void peer_open(struct window *x)
{
    struct peer *p = &x->peer;
    struct err ignored;

    if (x->peer_tried)
        return;
    x->peer_tried = 1;
    search_rank_init(&p->w);
    if (!x->o->open_peer || x->o->open_peer(x->o->peer_ctx, &p->db, &ignored))
        return;
    if (search_rank_register(p->db, &ignored) ||
        (!x->all && register_keep(p->db, &x->keep, &ignored)) ||
        prepare_scan(p->db, x, &p->st, &ignored)) {
        sqlite3_finalize(p->st);
        sqlite3_close(p->db);
        p->st = NULL;
        p->db = NULL;
    }
}

/* Every matching row of calls [lo, hi) into w, oldest first. */
static int read_rows(sqlite3 *db, sqlite3_stmt *st, int64_t lo, int64_t hi, struct search_rank *w,
                     struct err *e)
{
    int rc = ERR_OK, step;

    sqlite3_bind_int64(st, 2, lo << SEARCH_INDEX_SHIFT);
    sqlite3_bind_int64(st, 3, hi << SEARCH_INDEX_SHIFT);
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = search_rank_add(w, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
                                  (size_t)sqlite3_column_bytes(st, 1), e)))
            break;
    sqlite3_reset(st);
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "search: %s", sqlite3_errmsg(db));
    return rc;
}

static void *peer_main(void *arg)
{
    struct peer *p = arg;

    p->rc = read_rows(p->db, p->st, p->lo, p->hi, &p->w, &p->e);
    return NULL;
}

/* Every matching row of calls [lo, hi) into w, oldest first: a long slice in two halves at
 * once, the newer on the peer's thread. */
static int read_slice(struct window *x, int64_t lo, int64_t hi, struct search_rank *w,
                      struct err *e)
{
    struct peer *p = &x->peer;
    int rc;

    if (hi - lo >= SPLIT_CALLS)
        peer_open(x);
    if (!p->db || hi - lo < SPLIT_CALLS)
        return read_rows(x->db, x->st, lo, hi, w, e);
    p->w.n = 0;
    p->lo = lo + (hi - lo) / 2;
    p->hi = hi;
    p->rc = ERR_OK;
    if (pthread_create(&p->tid, NULL, peer_main, p) != 0)
        return read_rows(x->db, x->st, lo, hi, w, e);
    rc = read_rows(x->db, x->st, lo, p->lo, w, e);
    pthread_join(p->tid, NULL);
    if (!rc && p->rc) {
        *e = p->e;
        rc = p->rc;
    }
    return rc ? rc : search_rank_append(w, &p->w, e);
}

/* The newest matches into the window, in one read newest first. */
static int read_newest(struct window *x, struct search_rank *w, struct search_totals *t,
                       struct err *e)
{
    size_t cap = x->o->limit ? SEARCH_RANK_WINDOW : SIZE_MAX;
    int rc = ERR_OK, step;

    while ((step = sqlite3_step(x->st)) == SQLITE_ROW) {
        if (w->n == cap) {
            t->capped = 1;
            break;
        }
        if ((rc = search_rank_add(w, sqlite3_column_int64(x->st, 0), sqlite3_column_blob(x->st, 1),
                                  (size_t)sqlite3_column_bytes(x->st, 1), e)))
            return rc;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return err_set(e, ERR_DB, "search: %s", sqlite3_errmsg(x->db));
    return ERR_OK;
}

/* The next slice's width in calls, after `read` calls (the newest) gave `have` matches of
 * the `cap` the window holds: enough to fill the rest at the density seen so far, plus a
 * quarter, within 2x and 16x the last slice `span` (16x when nothing matched yet). */
static int64_t next_span(int64_t span, int64_t read, size_t have, size_t cap)
{
    int64_t lo = span * 2, hi = span * 16;
    double want;

    if (cap == SIZE_MAX || have == 0)
        return hi;
    want = (double)read * (double)(cap - have) / (double)have * 1.25;
    if (want >= (double)hi)
        return hi;
    return want > (double)lo ? (int64_t)want : lo;
}

/* The newest matches of a query with a phrase of several tokens, which FTS5 reads backwards
 * at about half the speed it reads forwards: the same window, read forwards in slices of calls
 * from the newest back, the oldest rows of the last slice dropped when the window overflows.
 * The first slice is the newest 1/256 of the calls; each next one is sized from the matches
 * seen so far to fill what the window still lacks (a quarter more, for luck), and grows by 2x
 * to 16x: every slice costs FTS5 a seek per token in each segment of the index, so a phrase
 * that few sentences hold is read in three slices rather than nine, and a common one still
 * stops within about twice the window. */
static int read_sliced(struct window *x, struct search_rank *w, struct search_totals *t,
                       struct err *e)
{
    size_t cap = x->o->limit ? SEARCH_RANK_WINDOW : SIZE_MAX;
    sqlite3_stmt *top = NULL;
    int64_t hi, span, top_hi;
    int rc = ERR_OK, step;

    if ((rc = cmd_prepare(x->db, "SELECT ifnull(max(num), -1) + 1 FROM search_calls", &top, e)))
        return rc;
    hi = sqlite3_step(top) == SQLITE_ROW ? sqlite3_column_int64(top, 0) : 0;
    sqlite3_finalize(top);
    span = hi / 256 > 0 ? hi / 256 : 1;
    top_hi = hi;
    while (hi > 0 && w->n < cap) {
        int64_t lo = hi - span > 0 ? hi - span : 0;
        size_t first = w->n;

        if ((rc = read_slice(x, lo, hi, w, e)))
            return rc;
        if (w->n > cap) { /* this slice's oldest rows fall out of the window */
            search_rank_drop(w, first, w->n - cap);
            t->capped = 1;
        } else if (w->n == cap && lo > 0) { /* full: did older calls match too? */
            sqlite3_bind_int64(x->st, 2, 0);
            sqlite3_bind_int64(x->st, 3, lo << SEARCH_INDEX_SHIFT);
            t->capped = (step = sqlite3_step(x->st)) == SQLITE_ROW;
            sqlite3_reset(x->st);
            if (step != SQLITE_ROW && step != SQLITE_DONE)
                return err_set(e, ERR_DB, "search: %s", sqlite3_errmsg(x->db));
        }
        hi = lo;
        span = next_span(span, top_hi - hi, w->n, cap);
    }
    return ERR_OK;
}

int search_window_read(sqlite3 *db, const struct search_opts *o, int phrase, struct search_rank *w,
                       struct search_totals *t, struct err *e)
{
    struct window x = {.db = db, .o = o};
    int rc;

    buf_init(&x.sql, 0);
    if (!(rc = window_open(&x, phrase, e)))
        rc = phrase ? read_sliced(&x, w, t, e) : read_newest(&x, w, t, e);
    t->matches = w->n;
    sqlite3_finalize(x.st);
    if (x.peer_tried) {
        sqlite3_finalize(x.peer.st);
        sqlite3_close(x.peer.db);
        search_rank_release(&x.peer.w);
    }
    if (!x.all) /* the function points at x.keep: gone with it */
        sqlite3_create_function(db, "callmine_keep", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
    numset_release(&x.keep);
    buf_release(&x.sql);
    return rc;
}
