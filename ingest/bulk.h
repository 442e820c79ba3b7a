/* bulk: the secondary indexes a first load goes without.
 *
 * Inserting calls in Gong's time order into indexes keyed by the random call id dirties
 * about one index page per call in each of them at every page's commit, and each of those
 * pages is written twice (WAL, then checkpoint): write amplification that grows with the
 * mirror. A first load (the calls table still empty when the calls phase begins) drops the
 * indexes in bulk_deferred, which the ingest never reads while it stores new calls (store.c
 * reads and deletes child rows only for calls already in the mirror), and builds them when
 * the window's calls are all stored: one sorted pass each.
 *
 * Only indexes whose absence keeps every query linear are deferred: those the query tool
 * uses for one call's rows (show), in uncorrelated IN lists (filters by rep) or not at all
 * (tracker_occurrences_call: the table is appended in arrival order since schema 3, and no
 * command reads it).
 * The ones correlated subqueries need for every call (interaction_stats_call, topics_call,
 * trackers_call and deals_call, which analyses and call_facts read per call) are kept.
 * A load stopped before its end leaves them missing: the next ingest builds them when it
 * starts (bulk_build), and until then the query tool answers the same, a little slower
 * where it reads one call's key points, action items or structure (a table scan).
 *
 * The FTS5 search index (search_sentences) writes one segment per transaction and, with its
 * defaults (automerge 4, crisismerge 16), merges four segments of a level into one of the
 * next as it goes: every sentence is rewritten once per level, and the levels grow with the
 * mirror (log4 of the page count). A first load turns automerge off and lets a level fill
 * up to BULK_FTS_CRISISMERGE segments before they are merged in one pass (the "crisis"
 * merge): a sentence is rewritten about once up to 100,000 calls. bulk_build() puts FTS5's
 * defaults back (a later run's automerge then merges the larger levels step by step). */
#ifndef CALLMINE_BULK_H
#define CALLMINE_BULK_H

#include <sqlite3.h>

#include "err.h"

/* The search index's merge settings: during a first load, and FTS5's defaults after it. */
#define BULK_FTS_CRISISMERGE 64
#define BULK_FTS_AUTOMERGE 4
#define BULK_FTS_DEFAULT_CRISISMERGE 16

/* The deferred indexes, exactly as the migrations create them (sqlite_schema.sql). */
struct bulk_index {
    const char *name;
    const char *sql;
};
extern const struct bulk_index bulk_deferred[];
extern const unsigned bulk_n_deferred;

/* Drop the deferred indexes that exist, in one transaction, when the calls table is empty,
 * and turn the search index's automerge off (above). *dropped is how many indexes were
 * dropped (0: calls not empty, or none there). ERR_DB on failure, with nothing changed. */
int bulk_defer(sqlite3 *db, int *dropped, struct err *e);

/* Create the deferred indexes that are missing, in one transaction, and give them
 * planner statistics when the file has some; put the search index's merge settings back
 * when a first load left automerge off. *built is how many indexes (0: none missing).
 * ERR_DB (ERR_IO when the disk is full) on failure, with nothing changed. */
int bulk_build(sqlite3 *db, int *built, struct err *e);

#endif
