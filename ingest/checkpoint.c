/* checkpoint: the sync_state keys, loaded and saved as one struct (see checkpoint.h).
 * Values are stored as decimal text (integers) or the cursor text, as earlier versions
 * stored them, so older mirrors resume unchanged; NULL means absent. */
#include "checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

#include "banned.h"

enum {
    K_WINDOW_FROM,
    K_WINDOW_TO,
    K_CURSOR_STARTED,
    K_PAGES,
    K_CALLS,
    K_TOTAL,
    K_USERS,
    K_LAST_FROM,
    K_LAST_TO,
    K_CURSOR,
    K_COUNT
};

static const char *const keys[K_COUNT] = {
    "window_from", "window_to",  "cursor_started",      "pages_done",        "calls_done",
    "calls_total", "users_done", "last_completed_from", "last_completed_to", "cursor"};

void checkpoint_init(struct checkpoint *cp)
{
    memset(cp, 0, sizeof *cp);
    cp->window_from = cp->window_to = -1;
    cp->calls_total = -1;
    cp->last_from = cp->last_to = -1;
}

void checkpoint_release(struct checkpoint *cp)
{
    free(cp->cursor);
    checkpoint_init(cp);
}

/* The int64 fields in key order (K_WINDOW_FROM .. K_LAST_TO; users_done apart). */
static int64_t *field(struct checkpoint *cp, int k)
{
    switch (k) {
    case K_WINDOW_FROM: return &cp->window_from;
    case K_WINDOW_TO: return &cp->window_to;
    case K_CURSOR_STARTED: return &cp->cursor_started;
    case K_PAGES: return &cp->pages_done;
    case K_CALLS: return &cp->calls_done;
    case K_TOTAL: return &cp->calls_total;
    case K_LAST_FROM: return &cp->last_from;
    case K_LAST_TO: return &cp->last_to;
    default: return NULL;
    }
}

int checkpoint_load(sqlite3 *db, struct checkpoint *cp, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK, step;

    checkpoint_release(cp);
    if (db_prepare(db, "SELECT key, value FROM sync_state", &st, e))
        return ERR_DB;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        int k;

        if (!key || !v)
            continue;
        for (k = 0; k < K_COUNT && strcmp(keys[k], key) != 0; k++)
            ;
        if (k == K_CURSOR) {
            if ((rc = checkpoint_set_cursor(cp, v, e)))
                break;
        } else if (k == K_USERS) {
            cp->users_done = atoi(v) != 0;
        } else if (k < K_COUNT) {
            *field(cp, k) = strtoll(v, NULL, 10);
        }
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_error(db, e, "read the sync checkpoint");
    sqlite3_finalize(st);
    if (rc)
        checkpoint_release(cp);
    return rc;
}

int checkpoint_save(sqlite3 *db, const struct checkpoint *cp, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK;

    if (db_prepare(db,
                   "INSERT INTO sync_state(key, value) VALUES (?1, ?2) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   &st, e))
        return ERR_DB;
    for (int k = 0; k < K_COUNT && !rc; k++) {
        char v[32];
        const char *text = v;

        if (k == K_CURSOR) {
            text = cp->cursor;
        } else if (k == K_USERS) {
            snprintf(v, sizeof v, "%d", cp->users_done);
        } else {
            int64_t x = *field((struct checkpoint *)cp, k);

            /* a window bound or a completed window that is absent is stored as NULL */
            if (x < 0 && k != K_TOTAL)
                text = NULL;
            else
                snprintf(v, sizeof v, "%lld", (long long)x);
        }
        sqlite3_bind_text(st, 1, keys[k], -1, SQLITE_STATIC);
        if (text)
            sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 2);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_error(db, e, "save the sync checkpoint");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int checkpoint_set_cursor(struct checkpoint *cp, const char *cursor, struct err *e)
{
    free(cp->cursor);
    cp->cursor = NULL;
    if (!cursor)
        return ERR_OK;
    cp->cursor = strdup(cursor);
    return cp->cursor ? ERR_OK : err_set(e, ERR_NOMEM, "checkpoint: out of memory");
}

void checkpoint_open_window(struct checkpoint *cp, int64_t from, int64_t to)
{
    free(cp->cursor);
    cp->cursor = NULL;
    cp->window_from = from;
    cp->window_to = to;
    cp->cursor_started = 0;
    cp->pages_done = 0;
    cp->calls_done = 0;
    cp->calls_total = -1;
    cp->users_done = 0;
}

void checkpoint_complete(struct checkpoint *cp)
{
    cp->last_from = cp->window_from;
    cp->last_to = cp->window_to;
    checkpoint_open_window(cp, -1, -1);
}

int checkpoint_is_open(const struct checkpoint *cp)
{
    return cp->window_from >= 0 && cp->window_to > cp->window_from;
}
