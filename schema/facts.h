/* facts: keeping call_facts_stored equal to call_facts_live (sql/004-facts.sql).
 *
 * call_facts_live is the one computing definition of a call's facts (rep, deal, owner,
 * outcome, measures); call_facts_stored holds its rows and call_facts reads them. Whatever
 * writes the tables the live view reads refreshes the stored rows of the calls it touched,
 * in the same transaction: the ingest's pages (ingest/store.c), the backfill, a first
 * load's end (facts_rebuild), export's copy. meta 'facts' = 'rebuild' marks a file whose
 * stored table is not complete (a first load in progress, or killed): callmine-query then
 * reads call_facts_live, and the next ingest (or --upgrade) rebuilds the table. */
#ifndef CALLMINE_FACTS_H
#define CALLMINE_FACTS_H

#include <sqlite3.h>

#include "err.h"

/* Upsert the stored facts of the call bound as ?1 from call_facts_live; a row whose every
 * column is unchanged is not rewritten (no page dirtied). A call that is not in calls is
 * left alone (the ingest never deletes calls). */
extern const char facts_refresh_sql[];

/* The same for every call in temp.facts_dirty(call_id) (facts_dirty_create), which it then
 * empties. */
int facts_refresh_dirty(sqlite3 *db, struct err *e);

/* CREATE TEMP TABLE IF NOT EXISTS facts_dirty(call_id TEXT PRIMARY KEY). */
int facts_dirty_create(sqlite3 *db, struct err *e);

/* Replace the whole stored table with call_facts_live's rows, written in call_id order (one
 * sorted pass), and delete meta 'facts'. In the caller's transaction. */
int facts_rebuild(sqlite3 *db, struct err *e);

/* Mark the stored table as incomplete (meta 'facts' = 'rebuild'), in the caller's
 * transaction: a first load that does not refresh per page. */
int facts_mark_rebuild(sqlite3 *db, struct err *e);

/* *yes: meta 'facts' says the stored table must be rebuilt. */
int facts_pending(sqlite3 *db, int *yes, struct err *e);

#endif
