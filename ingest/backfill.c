/* backfill: fill the derived per-transcript rows of older mirrors (see backfill.h).
 *
 * A pass names what a transcript lacks (an SQL condition on transcripts t) and how to fill
 * it from the inflated text. Each batch selects the next transcripts, in call id order
 * after the last one seen, that still lack the pass's rows, inflates and fills them, and
 * commits. A transcript that cannot be inflated or read is skipped with a warning naming
 * the call (the file stays usable; its call simply has no measures); a database error
 * stops the run. */
#include "backfill.h"
#include "bulk.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "store.h"
#include "zblob.h"

#include "banned.h"

struct pass_ctx {
    struct store *st;
};

struct backfill_pass {
    const char *name;    /* in progress lines */
    const char *missing; /* SQL condition on transcripts t: t lacks this pass's rows */
    /* Fill the rows of call_id from its transcript text (stored line format). ERR_PARSE
     * for a transcript that cannot be read (skipped), anything else stops the run. */
    int (*fill)(struct pass_ctx *x, const char *call_id, const char *text, size_t len,
                struct err *e);
};

static int fill_metrics(struct pass_ctx *x, const char *call_id, const char *text, size_t len,
                        struct err *e)
{
    return store_put_metrics(x->st, call_id, text, len, e);
}

static int fill_search(struct pass_ctx *x, const char *call_id, const char *text, size_t len,
                       struct err *e)
{
    return store_put_search(x->st, call_id, text, len, e);
}

static int fill_grams(struct pass_ctx *x, const char *call_id, const char *text, size_t len,
                      struct err *e)
{
    return store_put_grams(x->st, call_id, text, len, e);
}

/* A first load's n-gram filters (backfill_grams): written in call id order, they append to
 * transcript_grams instead of landing on a random page of it each. */
static const struct backfill_pass grams_pass = {
    "grep's n-gram filters",
    "NOT EXISTS (SELECT 1 FROM transcript_grams g WHERE g.call_id = t.call_id)", fill_grams};

/* The passes, in order. To add one, write its fill function above and add a line here.
 * Nothing else changes: batching, progress, resuming and meta 'backfill' are shared. */
static const struct backfill_pass passes[] = {
    {"call_metrics", "NOT EXISTS (SELECT 1 FROM call_metrics m WHERE m.call_id = t.call_id)",
     fill_metrics},
    {"search index", "NOT EXISTS (SELECT 1 FROM search_calls x WHERE x.call_id = t.call_id)",
     fill_search},
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* *present: meta holds key ('backfill', 'grams'). */
static int pending(sqlite3 *db, const char *key, int *present, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int step;

    *present = 0;
    if (db_prepare(db, "SELECT 1 FROM meta WHERE key = ?1", &st, e))
        return err_wrap(e, "backfill");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    *present = step == SQLITE_ROW;
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_error(db, e, "backfill: read meta");
    return ERR_OK;
}

/* How many transcripts lack pass ps's rows. */
static int count_missing(sqlite3 *db, const struct backfill_pass *ps, long *n, struct err *e)
{
    sqlite3_stmt *st = NULL;
    struct buf q;
    int rc;

    *n = 0;
    buf_init(&q, 0);
    if ((rc = buf_printf(&q, e, "SELECT count(*) FROM transcripts t WHERE %s", ps->missing)) ||
        (rc = db_prepare(db, q.data, &st, e)))
        goto done;
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = (long)sqlite3_column_int64(st, 0);
    else
        rc = db_error(db, e, "backfill: count transcripts");
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc ? err_wrap(e, "backfill %s", ps->name) : ERR_OK;
}

/* One batch of pass ps after call id last (updated), in one transaction. *n_rows: the
 * transcripts the batch read (0: the pass is done). */
static int run_batch(sqlite3 *db, const struct backfill_pass *ps, struct pass_ctx *x,
                     struct zblob_codec *z, struct buf *text, struct buf *last, long *n_rows,
                     struct progress *p, volatile int *stop, struct backfill_summary *s,
                     struct err *e)
{
    sqlite3_stmt *st = NULL;
    struct buf q;
    int rc, step = SQLITE_DONE;

    *n_rows = 0;
    buf_init(&q, 0);
    if ((rc = buf_printf(&q, e,
                         "SELECT t.call_id, t.size, t.body FROM transcripts t "
                         "WHERE t.call_id > ?1 AND %s ORDER BY t.call_id LIMIT %d",
                         ps->missing, BACKFILL_BATCH)) ||
        (rc = db_prepare(db, q.data, &st, e)) || (rc = db_begin(db, e)))
        goto done;
    sqlite3_bind_text(st, 1, last->data ? last->data : "", (int)last->len, SQLITE_TRANSIENT);
    while (!(stop && *stop) && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        sqlite3_int64 size = sqlite3_column_int64(st, 1);
        struct err fe = {0};

        (*n_rows)++;
        buf_reset(last);
        if (!id) /* never: NULL is not > ?1 */
            continue;
        if ((rc = buf_puts(last, id, e)))
            goto fail_row;
        if (sqlite3_column_type(st, 1) != SQLITE_INTEGER || size < 0)
            rc = err_set(&fe, ERR_PARSE, "size is not a length");
        else
            rc = zblob_inflate(z, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                               (size_t)size, text, &fe);
        if (!rc)
            rc = ps->fill(x, id, text->data, text->len, &fe);
        if (rc == ERR_PARSE) {
            progress_message(p, 1, "backfill %s: call '%.40s' skipped: %s", ps->name, id, fe.msg);
            s->skipped++;
            continue;
        }
        if (rc) {
            *e = fe;
            goto fail_row;
        }
        s->filled++;
    }
    if (!(stop && *stop) && step != SQLITE_DONE) {
        rc = db_error(db, e, "read transcripts");
        goto fail_row;
    }
    sqlite3_finalize(st);
    st = NULL;
    rc = db_commit(db, e);
    goto done;
fail_row:
    db_rollback(db);
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc ? err_wrap(e, "backfill %s", ps->name) : ERR_OK;
}

/* Run pass ps to the end (or until *stop). */
static int run_pass(sqlite3 *db, const struct backfill_pass *ps, struct pass_ctx *x,
                    struct progress *p, volatile int *stop, struct backfill_summary *s,
                    struct err *e)
{
    struct zblob_codec *z = zblob_codec_new(1);
    struct buf text, last;
    long total = 0, done = 0, n = 0;
    double t0 = now_s(), shown = t0;
    int rc;

    buf_init(&text, 0);
    buf_init(&last, 0);
    if (!z) {
        rc = err_set(e, ERR_NOMEM, "backfill: out of memory");
        goto done;
    }
    if ((rc = count_missing(db, ps, &total, e)))
        goto done;
    if (total)
        progress_message(p, 0, "backfill: computing %s for %ld stored transcripts", ps->name,
                         total);
    do {
        if ((rc = run_batch(db, ps, x, z, &text, &last, &n, p, stop, s, e)))
            goto done;
        done += n;
        if (now_s() - shown >= 2.0 && n) {
            shown = now_s();
            progress_message(p, 0, "backfill: %s %ld of %ld transcripts", ps->name, done, total);
        }
    } while (n && !(stop && *stop));
    if (stop && *stop) {
        rc = err_set(e, ERR_INTERRUPT, "interrupted: progress is saved, re-run to resume");
        goto done;
    }
    if (total)
        progress_message(p, 0, "backfill: %s for %ld transcripts in %.1fs", ps->name, done,
                         now_s() - t0);
done:
    zblob_codec_free(z);
    buf_release(&text);
    buf_release(&last);
    return rc;
}

/* If meta holds key: run the n passes of pv in order over one store, keep in *s the
 * transcripts given rows (each pass reads the same ones), then delete key (s->ran: it was
 * there). The one runner of the migration's passes and a first load's n-gram filters. */
static int run_marked(sqlite3 *db, const char *key, const struct backfill_pass *pv, size_t n,
                      struct progress *p, volatile int *stop, struct backfill_summary *s,
                      struct err *e)
{
    struct pass_ctx x = {0};
    char sql[64];
    int present, rc;

    if ((rc = pending(db, key, &present, e)) || !present)
        return rc;
    s->ran = 1;
    if ((rc = store_open(db, &x.st, e)))
        return err_wrap(e, "backfill");
    for (size_t i = 0; i < n && !rc; i++) {
        struct backfill_summary one = {0};

        rc = run_pass(db, &pv[i], &x, p, stop, &one, e);
        s->filled = one.filled > s->filled ? one.filled : s->filled;
        s->skipped = one.skipped > s->skipped ? one.skipped : s->skipped;
    }
    store_free(x.st);
    snprintf(sql, sizeof sql, "DELETE FROM meta WHERE key = '%s'", key);
    if (!rc && (rc = db_exec(db, sql, e)))
        err_wrap(e, "backfill: finish");
    return rc;
}

int backfill_run(sqlite3 *db, struct progress *p, volatile int *stop, struct backfill_summary *s,
                 struct err *e)
{
    double t0 = now_s();
    int rc;

    memset(s, 0, sizeof *s);
    rc = run_marked(db, "backfill", passes, sizeof passes / sizeof passes[0], p, stop, s, e);
    if (s->ran)
        s->seconds = now_s() - t0;
    return rc;
}

int backfill_grams(sqlite3 *db, struct progress *p, volatile int *stop, struct err *e)
{
    struct backfill_summary s = {0};

    return run_marked(db, "grams", &grams_pass, 1, p, stop, &s, e);
}

/* The schema version of the file at path, before any migration (0 for a new file). */
static int file_version(const char *path, int *version, struct err *e)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK;

    *version = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        rc = err_set(e, ERR_DB, "open '%s': %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    else if (sqlite3_step(st) == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    else
        rc = err_set(e, ERR_DB, "'%s' is not a SQLite database (or is corrupt)", path);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static void say(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(FILE *out, const char *fmt, ...)
{
    va_list ap;

    if (!out)
        return;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
}

int backfill_upgrade(const char *path, struct progress *p, volatile int *stop, FILE *out,
                     struct err *e)
{
    struct backfill_summary s;
    sqlite3 *db = NULL;
    double t0;
    int before = 0, built = 0, rc;

    if (access(path, F_OK) != 0)
        return err_set(e, ERR_USAGE, "--upgrade: no mirror at '%s' (give --db FILE)", path);
    if ((rc = file_version(path, &before, e)) || (rc = db_open_rw(path, &db, e)))
        return rc;
    if (before < DB_SCHEMA_VERSION)
        say(out, "callmine-ingest: migrated '%s' from schema version %d to %d\n", path, before,
            DB_SCHEMA_VERSION);
    else
        say(out, "callmine-ingest: '%s' is at schema version %d: no migration needed\n", path,
            DB_SCHEMA_VERSION);
    /* what a killed first load left undone: its deferred indexes and call facts (bulk.h) */
    if (!(rc = bulk_build(db, &built, e)) && built)
        say(out, "callmine-ingest: built %d indexes an earlier first load went without\n", built);
    if (!rc)
        rc = backfill_run(db, p, stop, &s, e);
    if (!rc)
        rc = backfill_grams(db, p, stop, e);
    if (!rc && s.ran)
        say(out,
            "callmine-ingest: computed the derived rows of %ld transcripts (%ld skipped) in "
            "%.1fs\n",
            s.filled, s.skipped, s.seconds);
    else if (!rc)
        say(out, "callmine-ingest: nothing to backfill\n");
    t0 = now_s();
    if (!rc && !(rc = db_optimize(db, e)))
        say(out, "callmine-ingest: refreshed the query planner's statistics in %.0f ms\n",
            (now_s() - t0) * 1000);
    if (!rc)
        say(out, "callmine-ingest: '%s' is ready for callmine-query; no request was sent\n", path);
    if (sqlite3_close(db) != SQLITE_OK && !rc)
        rc = err_set(e, ERR_DB, "close '%s': the database is still busy", path);
    return rc;
}
