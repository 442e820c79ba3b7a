/* bulk: the secondary indexes a first load goes without.
 *
 * Inserting calls in Gong's time order into indexes keyed by the random call id dirties
 * about one index page per call in each of them at every page's commit, and each of those
 * pages is written twice (WAL, then checkpoint): write amplification that grows with the
 * mirror. A first load (the calls table still empty when the calls phase begins) drops the
 * indexes in bulk_deferred, which the ingest never reads while it stores new calls (store.c
 * reads and deletes child rows only for calls already in the mirror), and builds them when
 * the window's calls are all stored: one sorted pass each. It marks call_facts_stored and
 * transcript_grams for building at its end too (below).
 *
 * Only indexes whose absence keeps every query linear are deferred: those the query tool
 * uses for one call's rows (show), in uncorrelated IN lists (filters by rep), in joins
 * (topics_call, trackers_call: the topics and trackers analyses join the scope's calls to
 * them, which SQLite answers with one scan), or not at all (tracker_occurrences_call: the
 * table is appended in arrival order since schema 3, and no command reads it). Gong's stats
 * are read by a correlated subquery for every call; while interaction_stats_call is missing
 * the query tool's scope reads a temporary copy with that index instead (query/scope.c).
 * deals_call, which filters and call_facts read per call, is kept (a small tree: 2 rows a
 * call, no text). Deferring the three covering indexes saved 21 KB written a call at
 * 100,000 calls (bytes passed to write(), with the hashsize below: 143.0 -> 121.7).
 * A load stopped before its end leaves them missing: the next ingest builds them when it
 * starts (bulk_build), and until then the query tool answers the same, a little slower
 * where it reads one call's key points, action items, structure, topics or trackers (a
 * table scan) and where an analysis first copies Gong's stats.
 *
 * transcript_grams (grep's n-gram filters, a derived index: 960 bytes a transcript, keyed
 * by call id) is not written during a first load either (store_defer_grams): bulk_defer
 * leaves meta 'grams', and once the load's transcripts are stored backfill_grams inflates
 * them again and writes their rows in call id order, each appended instead of landing on a
 * random page (measured with the rows left out altogether: 10.6 KB written a call at 20,000
 * calls, 10.5 at 100,000). grep reads a transcript without a row in full meanwhile.
 *
 * The FTS5 search index (search_sentences) writes one segment per transaction and, with its
 * defaults (automerge 4, crisismerge 16), merges the segments of a level into one of the
 * next as they gather: every sentence is rewritten once per level, and the levels grow
 * with the mirror (log4 of the page count). A first load turns automerge off and lets a
 * level fill up to BULK_FTS_CRISISMERGE segments before they are merged in one pass (the
 * "crisis" merge): a sentence is rewritten about once up to 100,000 calls (measured at
 * 20,000 calls: CPU 2.63 -> 2.38 ms a call, 292 -> 246 KB written a call). bulk_build()
 * turns automerge on again, so later runs merge the large levels step by step; crisismerge
 * stays at BULK_FTS_CRISISMERGE, since FTS5's 16 would merge a first load's whole index in
 * the next run's first transaction (a level 0 of up to 63 segments, then a level 1 of 16).
 * Measured against it (0.4.2): no merge during the load and one merge of every segment once
 * its transcripts are stored writes each sentence twice at any size, but costs more below
 * 100,000 calls (KB written a call 106 -> 139 at 3,000, 128 -> 169 at 20,000, 223 -> 220 at
 * 100,000) and searched no faster; leaving the 158 segments of 100,000 calls unmerged made
 * a phrase search 3x slower.
 *
 * Those 158 segments came from the pending entries filling FTS5's hash (hashsize, 16 MB)
 * about twice in each transaction of a first load, so a level filled up to the crisis
 * merge twice by 100,000 calls. A first load raises hashsize to BULK_FTS_HASHSIZE, which
 * its entries do not fill (128 MB wrote the same segments): a segment is written only where
 * FTS5 must flush (a transaction's end), 22 at 20,000 calls and 61 at 100,000, below the
 * crisis merge (measured at 100,000 calls, one run each: 169.9 -> 143.0 KB a call passed to
 * write(), CPU 4.30 -> 3.59 ms a call, peak RSS 125 -> 132 MiB; phrase searches 5-15%
 * slower than over the 32 segments of 0.4.3). bulk_build() puts the schema's 16 MB back
 * for the small transactions of later runs. A first load past about 100,000 calls merges
 * again, once per 64 segments. */
#ifndef CALLMINE_BULK_H
#define CALLMINE_BULK_H

#include <sqlite3.h>

#include "err.h"

/* The search index's settings: crisismerge from a first load on, automerge after it
 * (FTS5's default; 0 during a first load); hashsize during a first load and after it (the
 * schema's, 002-semantic.sql). */
#define BULK_FTS_CRISISMERGE 64
#define BULK_FTS_AUTOMERGE 4
#define BULK_FTS_HASHSIZE (64 << 20)
#define BULK_FTS_HASHSIZE_AFTER (16 << 20)

/* The deferred indexes, exactly as the migrations create them (sqlite_schema.sql). */
struct bulk_index {
    const char *name;
    const char *sql;
};
extern const struct bulk_index bulk_deferred[];
extern const unsigned bulk_n_deferred;

/* Drop the deferred indexes that exist, in one transaction, when the calls table is empty,
 * turn the search index's automerge off and raise its hashsize (above), mark
 * call_facts_stored for a rebuild (facts_mark_rebuild: the load's pages do not refresh it)
 * and transcript_grams for backfill_grams (meta 'grams'). *dropped is how many indexes were
 * dropped (0: calls not empty, or none there). ERR_DB on failure, with nothing changed. */
int bulk_defer(sqlite3 *db, int *dropped, struct err *e);

/* Build call_facts_stored when it is marked for a rebuild (facts_rebuild, in call_id order),
 * create the deferred indexes that are missing, in one transaction, and give them planner
 * statistics when the file has some; when a first load left automerge off, turn the search
 * index's automerge on again and put its hashsize back. *built is how many indexes (0: none
 * missing). ERR_DB (ERR_IO when the disk is full) on failure, with nothing changed. */
int bulk_build(sqlite3 *db, int *built, struct err *e);

#endif
