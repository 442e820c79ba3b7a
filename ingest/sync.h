/* sync: one ingest run, from the checkpoint in the database to a complete window.
 *
 * The order of work: users; then the window's extensive call pages, each stored in one
 * transaction together with the checkpoint (cursor, pages done) and the request budget
 * spent, queueing the calls' transcripts; transcripts fetched from that queue in batches
 * of up to 100 call ids; finally the window marked complete. A kill at any moment loses at
 * most the page in flight; the next run resumes from the checkpoint. */
#ifndef CALLMINE_SYNC_H
#define CALLMINE_SYNC_H

#include <sqlite3.h>

#include "config.h"
#include "err.h"
#include "gong.h"
#include "progress.h"

#define SYNC_BATCH 100             /* call ids per transcript or extensive request */
#define SYNC_CURSOR_TTL_MS 3000000 /* reuse a saved cursor only if younger (50 min) */

struct sync_summary {
    long calls_new, calls_updated, calls_unchanged;
    long transcripts;         /* stored this run */
    long transcripts_waiting; /* asked for, Gong had none yet */
    long users;               /* new or changed */
    long deals_refreshed;     /* calls re-read by --refresh-deals */
    int users_skipped;        /* 403 on /v2/users: names come from parties */
    int transcripts_skipped;  /* 403 on transcripts, or --no-transcripts */
    char window[80];          /* "2024-01-01 .. 2024-03-01" */
    char left_out[256];       /* what a partial scope left out, and why */
};

/* Mirror the window config asks for into db through g. Returns ERR_OK when the window is
 * complete; otherwise the error (progress is saved). s is filled either way. */
int sync_run(const struct config *c, sqlite3 *db, struct gong_client *g, struct progress *p,
             struct sync_summary *s, struct err *e);

/* --plan: count the window's calls with one request and print the estimate on out.
 * db may be NULL (no mirror yet). Writes nothing. */
int sync_plan(const struct config *c, sqlite3 *db, struct gong_client *g, FILE *out, struct err *e);

/* The window a run would mirror: [*from, *to) in ms. ERR_USAGE when a first run has no
 * --from. */
int sync_window(const struct config *c, sqlite3 *db, int64_t *from, int64_t *to, struct err *e);

/* Requests the daily budget still allows today (UTC), counting earlier runs; -1 on error. */
long sync_budget_left(const struct config *c, sqlite3 *db, struct err *e);

#endif
