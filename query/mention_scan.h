/* mention_scan: the hits of one pattern in every call of the scope, found by grep's own
 * engine, into temp.mention_hits (scope.h) for the pattern analyses to join.
 *
 * The candidates are the calls of temp.scope_ids with a non-empty transcript, in id order
 * (the order transcripts are stored in, so the scan reads the file forward). grep's n-gram
 * filter pass (grep_index.h) drops the calls whose transcript cannot hold the pattern's
 * required literals; grep's worker threads (grep_scan.h) inflate and search the others in
 * count mode, the same match loop and sentence-hit rule as `grep -c` with the same -i and
 * --speaker. So a call's hits here are what `grep -c` prints for it, by construction, and
 * the pattern analyses cost about what `grep -c` costs. */
#ifndef CALLMINE_MENTION_SCAN_H
#define CALLMINE_MENTION_SCAN_H

#include <sqlite3.h>
#include <stddef.h>

#include "err.h"

/* Unless temp.mention_scans already lists (pattern, flags, speaker), scan the scope's calls
 * for pattern and add a temp.mention_hits row (pattern, flags, speaker, call_id, hits) for
 * each call with at least one hit (a call without a row has none), then list the key in
 * temp.mention_scans. flags is "i" (caseless) or "" ('c' is accepted as mention_count takes
 * it); speaker is "rep", "customer" or "all". The workers open db's main file read-only on
 * connections of their own. *corrupt (may be NULL) counts the transcripts that could not be
 * inflated and were skipped, as grep skips them. ERR_USAGE for a bad pattern, flags or
 * speaker, ERR_DB, ERR_NOMEM. */
int mention_scan_fill(sqlite3 *db, const char *pattern, const char *flags, const char *speaker,
                      size_t *corrupt, struct err *e);

#endif
