/* sync: one ingest run, from the checkpoint in the database to a complete window.
 *
 * The order of work: users; then the window's extensive call pages, each stored in one
 * transaction together with the checkpoint (cursor, pages done) and the request budget
 * spent, queueing the calls' transcripts; transcripts fetched from that queue in batches
 * of up to 100 call ids; finally the window marked complete. A kill at any moment loses at
 * most the page in flight; the identical command line resumes from the checkpoint. */
#ifndef CALLMINE_SYNC_H
#define CALLMINE_SYNC_H

#include <sqlite3.h>

#include "checkpoint.h"
#include "config.h"
#include "err.h"
#include "gong.h"
#include "progress.h"

#define SYNC_BATCH 100             /* call ids per transcript or extensive request */
#define SYNC_CURSOR_TTL_MS 3000000 /* reuse a saved cursor only if younger (50 min) */

struct sync_summary {
    long calls_new, calls_updated, calls_unchanged;
    long transcripts;         /* stored this run */
    long transcripts_waiting; /* the mirror's calls whose transcript Gong does not have yet */
    long users;               /* new or changed */
    long deals_refreshed;     /* calls re-read by --refresh-deals */
    int users_skipped;        /* 403 on /v2/users: names come from parties */
    int transcripts_skipped;  /* 403 on transcripts, or --no-transcripts */
    int resumed;              /* the run continued an open window */
    int64_t window_from;      /* the run's window [from, to) in ms; -1 before it is known */
    int64_t window_to;
    char window[80];    /* "2024-01-01 .. 2024-03-01", for messages */
    char left_out[256]; /* what a partial scope left out, and why */
};

/* Mirror the window config asks for into db through g. Returns ERR_OK when the window is
 * complete; otherwise the error (progress is saved). s is filled either way. */
int sync_run(const struct config *c, sqlite3 *db, struct gong_client *g, struct progress *p,
             struct sync_summary *s, struct err *e);

/* Check, reading only db (NULL: a new mirror), that a run could start: the window is
 * defined. ERR_USAGE naming what is missing (a first run without --from). Writes nothing. */
int sync_check(const struct config *c, sqlite3 *db, struct err *e);

/* --plan: count the window's calls and users (two requests) and print the requests the
 * run would make, reading db (may be NULL: no mirror yet) for what is already stored.
 * Writes nothing. */
int sync_plan(const struct config *c, sqlite3 *db, struct gong_client *g, FILE *out, struct err *e);

/* The window a run would mirror, given the checkpoint cp and the time now_ms: [*from, *to)
 * in ms. *resume is 1 when it is cp's open window, whose end was fixed when it began: a
 * command line without --to, and with no --from or the same --from, continues it.
 * ERR_USAGE when a first run has no --from or the window is empty. */
int sync_window(const struct config *c, const struct checkpoint *cp, int64_t now_ms, int64_t *from,
                int64_t *to, int *resume, struct err *e);

/* Requests the daily budget still allows today (UTC), counting earlier runs; -1 on error. */
long sync_budget_left(const struct config *c, sqlite3 *db, struct err *e);

#endif
