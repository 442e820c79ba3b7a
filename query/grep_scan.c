/* grep_scan: grep's worker threads (see grep_scan.h for the batches they fill).
 *
 * Per batch, a worker sorts the calls by id and reads their transcripts in key order with
 * one cursor that steps from one wanted row to the next and seeks again after GREP_SKIP
 * unwanted rows (a lookup per call would descend the b-tree every time); only the rows
 * wanted load their blobs. Each transcript is inflated and handed to grep_text.c. The
 * workers and the main thread meet under g->mu: a worker takes the next batch number when
 * its slot has been printed, and broadcasts when the batch is done. */
#include "grep_scan.h"

#include <stdlib.h>
#include <string.h>

#include "grep_text.h"
#include "zblob.h"

#include "banned.h"

#define GREP_SKIP 16 /* rows stepped over before seeking again */

struct grep_worker {
    struct grep *g;
    pthread_t tid;
    sqlite3 *db;
    sqlite3_stmt *scan;
    const char *target; /* the call id the scan is waiting for */
    struct zblob_codec *z;
    struct buf text;
    struct grep_text *t;
};

/* Scan one call's transcript (the scan statement's current row) into batch b at slot
 * position i. A transcript that does not inflate is counted and skipped. */
static int scan_call(struct grep_worker *w, struct grep_batch *b, size_t i, struct err *e)
{
    struct grep *g = w->g;
    sqlite3_stmt *st = w->scan;

    if (sqlite3_column_type(st, 1) != SQLITE_INTEGER || sqlite3_column_int64(st, 1) < 0 ||
        zblob_inflate(w->z, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                      (size_t)sqlite3_column_int64(st, 1), &w->text, NULL)) {
        pthread_mutex_lock(&g->mu);
        g->corrupt++;
        pthread_mutex_unlock(&g->mu);
        return ERR_OK;
    }
    return grep_text_scan(w->t, b, i, w->text.data ? w->text.data : "", w->text.len, e);
}

/* cm_target(call_id): 1 when call_id is the one the worker's scan waits for, so that the
 * scan loads the blobs of wanted rows only. */
static void sql_target(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const struct grep_worker *w = sqlite3_user_data(ctx);
    const char *id = (const char *)sqlite3_value_text(argv[0]);

    (void)argc;
    sqlite3_result_int(ctx, id && w->target && strcmp(id, w->target) == 0);
}

static const char scan_sql[] =
    "SELECT call_id, CASE WHEN cm_target(call_id) THEN size END, "
    "CASE WHEN cm_target(call_id) THEN body END FROM transcripts WHERE call_id >= ?1 "
    "ORDER BY call_id";

/* Scan the n calls of batch b. Their transcripts are read in key order with one cursor that
 * steps from one wanted row to the next (cheap when call ids follow time, as Gong's do) and
 * seeks again after GREP_SKIP unwanted rows: a lookup per call would descend the b-tree
 * every time. */
static int scan_batch(struct grep_worker *w, struct grep_batch *b, size_t n, struct err *e)
{
    const struct grep *g = w->g;
    size_t order[GREP_BATCH], t = 0, skipped = 0, base = b->k * GREP_BATCH;
    int seek = 1, rc = ERR_OK, step;

    for (size_t i = 0; i < n; i++) { /* insertion sort by id */
        size_t j = i;

        while (j > 0 &&
               strcmp(grep_cand_id(g, base + order[j - 1]), grep_cand_id(g, base + i)) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    while (t < n && !rc) {
        const char *row;
        int cmp;

        w->target = grep_cand_id(g, base + order[t]);
        if (seek) {
            sqlite3_reset(w->scan);
            sqlite3_bind_text(w->scan, 1, w->target, -1, SQLITE_STATIC);
            seek = 0, skipped = 0;
        }
        if ((step = sqlite3_step(w->scan)) != SQLITE_ROW) {
            if (step != SQLITE_DONE)
                rc = err_set(e, ERR_DB, "grep: read transcripts: %s", sqlite3_errmsg(w->db));
            break; /* no transcript at or after the target: none for the rest either */
        }
        row = (const char *)sqlite3_column_text(w->scan, 0);
        cmp = row ? strcmp(row, w->target) : -1;
        if (cmp < 0) {
            seek = ++skipped > GREP_SKIP;
        } else if (cmp > 0) { /* the target has no transcript; seek to the next one */
            t++;
            seek = 1;
        } else {
            rc = scan_call(w, b, order[t], e);
            t++;
            skipped = 0;
        }
    }
    sqlite3_reset(w->scan);
    w->target = NULL;
    return rc;
}

/* The thread: batches until there are none left or the main thread says stop. */
static void *worker_main(void *arg)
{
    struct grep_worker *w = arg;
    struct grep *g = w->g;

    for (;;) {
        struct grep_batch *b;
        size_t k;

        pthread_mutex_lock(&g->mu);
        while (!g->stop && g->next_batch < g->n_batches && g->next_batch >= g->printed + g->n_slots)
            pthread_cond_wait(&g->cv, &g->mu);
        if (g->stop || g->next_batch >= g->n_batches) {
            pthread_mutex_unlock(&g->mu);
            return NULL;
        }
        k = g->next_batch++;
        b = &g->slots[k % g->n_slots];
        b->k = k;
        pthread_mutex_unlock(&g->mu);

        b->nr = b->nm = 0;
        buf_reset(&b->arena);
        memset(b->counts, 0, sizeof b->counts);
        memset(b->rec_count, 0, sizeof b->rec_count);
        b->rc = scan_batch(w, b, k + 1 < g->n_batches ? GREP_BATCH : g->n_cands - k * GREP_BATCH,
                           &b->e);

        pthread_mutex_lock(&g->mu);
        b->done = 1;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
    }
}

static int worker_open(struct grep_worker *w, struct grep *g, struct err *e)
{
    int rc;

    w->g = g;
    buf_init(&w->text, 0);
    if ((rc = cmd_open_db(g->c, &w->db, e)))
        return rc;
    /* one read transaction for the whole scan: no lock and change check per call; and no
     * memory mapping (see GREP_NO_MMAP) */
    sqlite3_exec(w->db, GREP_NO_MMAP "BEGIN", NULL, NULL, NULL);
    if (sqlite3_create_function(w->db, "cm_target", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, w,
                                sql_target, NULL, NULL) != SQLITE_OK)
        return db_error(w->db, e, "grep: register cm_target");
    if ((rc = cmd_prepare(w->db, scan_sql, &w->scan, e)) ||
        (rc = grep_text_new(g, w->db, &w->t, e)))
        return rc;
    w->z = zblob_codec_new(ZBLOB_LEVEL);
    if (!w->z)
        return err_set(e, ERR_NOMEM, "grep: out of memory");
    return ERR_OK;
}

static void worker_close(struct grep_worker *w)
{
    grep_text_free(w->t);
    sqlite3_finalize(w->scan);
    sqlite3_close(w->db);
    zblob_codec_free(w->z);
    buf_release(&w->text);
}

/* ---- the pool -------------------------------------------------------------------------- */

int grep_scan_start(struct grep *g, struct err *e)
{
    int rc;

    g->n_batches = (g->n_cands + GREP_BATCH - 1) / GREP_BATCH;
    if (g->threads > (int)g->n_batches)
        g->threads = g->n_batches ? (int)g->n_batches : 1;
    g->n_slots = (size_t)g->threads * GREP_WINDOW;
    g->slots = calloc(g->n_slots, sizeof *g->slots);
    g->w = calloc((size_t)g->threads, sizeof *g->w);
    if (!g->slots || !g->w)
        return err_set(e, ERR_NOMEM, "grep: out of memory");
    for (size_t i = 0; i < g->n_slots; i++) {
        g->slots[i].k = GREP_NONE;
        buf_init(&g->slots[i].arena, (size_t)1 << 30);
    }
    for (int i = 0; i < g->threads && g->n_batches; i++) {
        if ((rc = worker_open(&g->w[i], g, e)))
            return rc;
        if (pthread_create(&g->w[i].tid, NULL, worker_main, &g->w[i]) != 0)
            return err_set(e, ERR_NOMEM, "grep: cannot start a thread");
        g->started++;
    }
    return ERR_OK;
}

const struct grep_batch *grep_scan_wait(struct grep *g, size_t k)
{
    struct grep_batch *b = &g->slots[k % g->n_slots];

    pthread_mutex_lock(&g->mu);
    while (!(b->done && b->k == k))
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    return b;
}

void grep_scan_done(struct grep *g, size_t k)
{
    pthread_mutex_lock(&g->mu);
    g->slots[k % g->n_slots].done = 0;
    g->printed = k + 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

void grep_scan_stop(struct grep *g)
{
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    for (int i = 0; i < g->started; i++)
        pthread_join(g->w[i].tid, NULL);
    g->started = 0;
    for (int i = 0; g->w && i < g->threads; i++)
        worker_close(&g->w[i]);
    free(g->w);
    g->w = NULL;
    for (size_t i = 0; g->slots && i < g->n_slots; i++) {
        buf_release(&g->slots[i].arena);
        free(g->slots[i].r);
        free(g->slots[i].m);
    }
    free(g->slots);
    g->slots = NULL;
}
