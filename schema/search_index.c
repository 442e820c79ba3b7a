/* search_index: the FTS5 sentence index written with each transcript (see search_index.h).
 *
 * Statements are prepared once and reset after use. A call's sentences are inserted one
 * row each (FTS5 buffers them in memory until the transaction commits); removal runs the
 * FTS5 'delete' command with the same rowids and texts, re-read from the stored blob. */
#include "search_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "transcript.h"
#include "zblob.h"

#include "banned.h"

enum { X_NUM_GET, X_NUM_PUT, X_INSERT, X_DELETE, X_COUNT };

static const char *const x_sql[X_COUNT] = {
    [X_NUM_GET] = "SELECT num FROM search_calls WHERE call_id = ?1",
    [X_NUM_PUT] = "INSERT INTO search_calls(call_id) VALUES (?1)",
    [X_INSERT] = "INSERT INTO search_sentences(rowid, text) VALUES (?1, ?2)",
    [X_DELETE] = "INSERT INTO search_sentences(search_sentences, rowid, text) "
                 "VALUES ('delete', ?1, ?2)",
};

struct search_index {
    sqlite3 *db;
    int enabled;
    sqlite3_stmt *st[X_COUNT];
    struct zblob_codec *z;
    struct buf text; /* an inflated transcript */
    struct buf un;   /* one unescaped sentence */
};

/* ERR_DB with SQLite's message, or ERR_IO saying that the disk is full (db_error). */
static int fail(struct search_index *x, struct err *e, const char *what, const char *call_id)
{
    char where[120];

    snprintf(where, sizeof where, "search index: %s '%.40s'", what, call_id);
    return db_error(x->db, e, where);
}

int search_index_open(sqlite3 *db, struct search_index **out, struct err *e)
{
    struct search_index *x;
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK;

    *out = NULL;
    if (!(x = calloc(1, sizeof *x)))
        return err_set(e, ERR_NOMEM, "search index: out of memory");
    x->db = db;
    buf_init(&x->text, 0);
    buf_init(&x->un, 0);
    if ((rc = db_prepare(db,
                         "SELECT count(*) FROM sqlite_schema WHERE name IN "
                         "('search_sentences', 'search_calls')",
                         &st, e)))
        goto fail;
    x->enabled = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 2;
    sqlite3_finalize(st);
    if (x->enabled) {
        if (!(x->z = zblob_codec_new(ZBLOB_LEVEL))) {
            rc = err_set(e, ERR_NOMEM, "search index: out of memory");
            goto fail;
        }
        for (int i = 0; i < X_COUNT; i++)
            if ((rc = db_prepare(db, x_sql[i], &x->st[i], e))) {
                err_wrap(e, "search index");
                goto fail;
            }
    }
    *out = x;
    return ERR_OK;
fail:
    search_index_free(x);
    return rc;
}

void search_index_free(struct search_index *x)
{
    if (!x)
        return;
    for (int i = 0; i < X_COUNT; i++)
        sqlite3_finalize(x->st[i]);
    zblob_codec_free(x->z);
    buf_release(&x->text);
    buf_release(&x->un);
    free(x);
}

int search_index_enabled(const struct search_index *x)
{
    return x && x->enabled;
}

/* The call's number in *num, or 0 when it has none. */
static int get_num(struct search_index *x, const char *call_id, int64_t *num, struct err *e)
{
    sqlite3_stmt *st = x->st[X_NUM_GET];
    int step;

    sqlite3_bind_text(st, 1, call_id, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    *num = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return fail(x, e, "read call", call_id);
    return ERR_OK;
}

/* Run st (X_INSERT or X_DELETE) over every sentence of text under num. */
static int each_sentence(struct search_index *x, sqlite3_stmt *st, int64_t num, const char *text,
                         size_t len, const char *call_id, struct err *e)
{
    struct transcript_line ln;
    size_t pos = 0;
    int64_t idx = 0;
    int r, rc;

    for (; (r = transcript_next(text, len, &pos, &ln)) != 0 && idx < SEARCH_INDEX_MAX_LINES;
         idx++) {
        const char *s = ln.text;
        size_t n = ln.text_len;

        if (r < 0 || n == 0)
            continue;
        if (ln.escaped) {
            if ((rc = transcript_unescape(ln.text, ln.text_len, &x->un, e)))
                return err_wrap(e, "search index '%.40s'", call_id);
            s = x->un.data, n = x->un.len;
        }
        sqlite3_bind_int64(st, 1, num << SEARCH_INDEX_SHIFT | idx);
        sqlite3_bind_text(st, 2, s, (int)n, SQLITE_STATIC);
        r = sqlite3_step(st);
        sqlite3_reset(st);
        if (r != SQLITE_DONE)
            return fail(x, e, st == x->st[X_INSERT] ? "add sentence of" : "remove sentence of",
                        call_id);
    }
    return ERR_OK;
}

int search_index_add(struct search_index *x, const char *call_id, const char *text, size_t len,
                     struct err *e)
{
    sqlite3_stmt *st;
    int64_t num;
    int rc;

    if (!search_index_enabled(x))
        return ERR_OK;
    if ((rc = get_num(x, call_id, &num, e)))
        return rc;
    if (!num) {
        st = x->st[X_NUM_PUT];
        sqlite3_bind_text(st, 1, call_id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return fail(x, e, "number call", call_id);
        num = sqlite3_last_insert_rowid(x->db);
    }
    return each_sentence(x, x->st[X_INSERT], num, text, len, call_id, e);
}

int search_index_remove(struct search_index *x, const char *call_id, const void *blob,
                        size_t n_blob, int64_t size, struct err *e)
{
    struct err ignored = {0};
    int64_t num;
    int rc;

    if (!search_index_enabled(x))
        return ERR_OK;
    if ((rc = get_num(x, call_id, &num, e)) || !num)
        return rc;
    if (size < 0 || zblob_inflate(x->z, blob ? blob : "", n_blob, (size_t)size, &x->text, &ignored))
        return ERR_OK; /* see search_index.h: stale entries stay, readers drop them */
    return each_sentence(x, x->st[X_DELETE], num, x->text.data, x->text.len, call_id, e);
}

int search_index_ensure(struct search_index *x, const char *call_id, const char *text, size_t len,
                        struct err *e)
{
    int64_t num;
    int rc;

    if (!search_index_enabled(x))
        return ERR_OK;
    if ((rc = get_num(x, call_id, &num, e)) || num)
        return rc;
    return search_index_add(x, call_id, text, len, e);
}

int search_index_fill(sqlite3 *db, size_t batch, size_t *n, size_t *corrupt, struct err *e)
{
    struct search_index *x = NULL;
    sqlite3_stmt *st = NULL;
    struct buf id;
    size_t k = 0, bad = 0;
    int rc, step, done = 0, own_tx = sqlite3_get_autocommit(db);

    *n = 0;
    buf_init(&id, 0);
    if ((rc = search_index_open(db, &x, e)) || !x->enabled)
        goto out;
    if (batch == 0)
        batch = 500;
    if ((rc = db_prepare(db,
                         "SELECT t.call_id, t.size, t.body FROM transcripts t "
                         "WHERE t.call_id > ?1 AND NOT EXISTS (SELECT 1 FROM search_calls c "
                         "WHERE c.call_id = t.call_id) ORDER BY t.call_id LIMIT ?2",
                         &st, e)))
        goto out;
    if ((rc = buf_puts(&id, "", e)))
        goto out;
    while (!done) {
        size_t in_batch = 0;

        if (own_tx && (rc = db_begin(db, e)))
            goto out;
        sqlite3_bind_text(st, 1, id.data, (int)id.len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)batch);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            const char *cid = (const char *)sqlite3_column_text(st, 0);
            int64_t size = sqlite3_column_int64(st, 1);
            struct err ignored = {0};

            in_batch++;
            if (!cid)
                continue;
            buf_reset(&id);
            if ((rc = buf_puts(&id, cid, e)))
                break;
            if (size < 0 ||
                zblob_inflate(x->z, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                              (size_t)size, &x->text, &ignored)) {
                bad++;
                continue;
            }
            if ((rc = search_index_add(x, id.data, x->text.data, x->text.len, e)))
                break;
            k++;
        }
        if (!rc && step != SQLITE_ROW && step != SQLITE_DONE)
            rc = db_error(db, e, "search index: read transcripts");
        sqlite3_reset(st);
        if (rc) {
            if (own_tx)
                db_rollback(db);
            goto out;
        }
        if (own_tx && (rc = db_commit(db, e)))
            goto out;
        done = in_batch < batch;
    }
out:
    sqlite3_finalize(st);
    search_index_free(x);
    buf_release(&id);
    *n = k;
    if (corrupt)
        *corrupt = bad;
    return rc;
}
