/* backfill: the per-transcript rows a schema migration cannot compute in SQL.
 *
 * Migration 002 (sql/002-semantic.sql) adds tables derived from each transcript
 * (call_metrics; the search index) and leaves meta 'backfill' behind. The backfill fills
 * them for every stored transcript that lacks them, in passes (one per derived table), each
 * in batches of BACKFILL_BATCH transcripts committed one transaction each: a kill -9 loses
 * at most one batch, and the next run carries on with the transcripts still lacking rows.
 * When every pass is done, meta 'backfill' is deleted and callmine-query reads the file.
 * The ingest keeps the rows current itself afterwards (store.c), so a file without meta
 * 'backfill' is never scanned again. Every ingest run calls backfill_run first;
 * `callmine-ingest --upgrade` calls backfill_upgrade, which sends no request. */
#ifndef CALLMINE_BACKFILL_H
#define CALLMINE_BACKFILL_H

#include <sqlite3.h>
#include <stdio.h>

#include "err.h"
#include "progress.h"

#define BACKFILL_BATCH 500 /* transcripts per transaction */

struct backfill_summary {
    int ran;        /* meta 'backfill' was present: the passes ran */
    long filled;    /* transcripts given their rows (the most any pass filled) */
    long skipped;   /* transcripts that could not be read (corrupt): no rows, a warning each
                     * (the most any pass skipped) */
    double seconds; /* wall time of the passes */
};

/* Run every pass on db (a migrated mirror, no transaction open) if meta 'backfill' is
 * present, then delete it. Progress and warnings go to p. Stops between transcripts when
 * *stop becomes non-zero (ERR_INTERRUPT; what is committed stays). s is filled either way.
 * ERR_DB / ERR_IO (disk full) / ERR_NOMEM on failure. */
int backfill_run(sqlite3 *db, struct progress *p, volatile int *stop, struct backfill_summary *s,
                 struct err *e);

/* A first load (bulk.h) leaves meta 'grams' and no transcript_grams rows for the
 * transcripts it stored (store_defer_grams): if meta 'grams' is present, write the rows of
 * every transcript that lacks one, in call id order, in batches of BACKFILL_BATCH, then
 * delete it. Called after a run's transcripts are stored and before the next run's
 * requests (a load stopped earlier). grep reads a transcript without a row in full
 * meanwhile, so answers do not change. Stops and errors as backfill_run. */
int backfill_grams(sqlite3 *db, struct progress *p, volatile int *stop, struct err *e);

/* --upgrade: migrate the mirror at path to this binary's schema, run the backfill, refresh
 * the planner's statistics (db_optimize), and print what was done on out, one line each
 * (out NULL: silent).
 * ERR_USAGE when there is no file at path; otherwise as db_open_rw and backfill_run. */
int backfill_upgrade(const char *path, struct progress *p, volatile int *stop, FILE *out,
                     struct err *e);

#endif
