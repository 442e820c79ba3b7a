/* checkpoint: where an ingest stands, as kept in the sync_state table.
 *
 * The only code that reads or writes sync_state. A checkpoint says which window is open
 * (its end fixed when it began), where the next extensive page starts, how much of the
 * window is stored, whether the window's users are done, and which window last completed.
 * Times are int64 ms since the epoch, never text. checkpoint_save() runs inside the
 * caller's transaction (the page's own), so the mirror and its checkpoint always agree. */
#ifndef CALLMINE_CHECKPOINT_H
#define CALLMINE_CHECKPOINT_H

#include <sqlite3.h>
#include <stdint.h>

#include "err.h"

struct checkpoint {
    int64_t window_from;    /* the open window [window_from, window_to); -1 when none */
    int64_t window_to;      /* fixed when the window began */
    char *cursor;           /* where the next extensive page starts; NULL = the first page */
    int64_t cursor_started; /* ms when the cursor's page sequence began (cursors expire) */
    int64_t pages_done;     /* extensive pages of the window stored in this sequence */
    int64_t calls_done;     /* calls of the window stored in this sequence */
    int64_t calls_total;    /* Gong's totalRecords for the window when the sequence began */
    int users_done;         /* the window's /v2/users pages are stored */
    int64_t last_from;      /* the last completed window; -1 when none yet */
    int64_t last_to;
};

/* A checkpoint with nothing open and nothing completed (never fails). */
void checkpoint_init(struct checkpoint *cp);

/* Free the cursor (NULL ok) and reset cp to checkpoint_init()'s state. */
void checkpoint_release(struct checkpoint *cp);

/* Read every key into cp (released first). ERR_DB/ERR_NOMEM; cp is then as init leaves it. */
int checkpoint_load(sqlite3 *db, struct checkpoint *cp, struct err *e);

/* Write every key of cp, inside the caller's transaction. ERR_DB or ERR_IO (disk full). */
int checkpoint_save(sqlite3 *db, const struct checkpoint *cp, struct err *e);

/* Replace cp's cursor by a copy of cursor (NULL clears it). ERR_NOMEM leaves it cleared. */
int checkpoint_set_cursor(struct checkpoint *cp, const char *cursor, struct err *e);

/* Open the window [from, to): no cursor, nothing done yet; the last completed window kept. */
void checkpoint_open_window(struct checkpoint *cp, int64_t from, int64_t to);

/* Close the open window as completed: last_from/last_to take its bounds. */
void checkpoint_complete(struct checkpoint *cp);

/* 1 when a window is open. */
int checkpoint_is_open(const struct checkpoint *cp);

#endif
