/* grep_index: grep's n-gram filter pass (schema/grams.h, table transcript_grams).
 *
 * Before any transcript is read, the candidate calls whose stored filter rules out every
 * literal of the pattern's required set (re_literal_at) are dropped from g->cands, so they
 * are never read or inflated; the order of the others is kept. A call without a filter row
 * (or with one of another size) stays, so does every call when the pattern has no usable
 * literal set, and the pass gives up early when it keeps nearly every call it looks at.
 * grep's output is the same with and without the pass. */
#ifndef CALLMINE_GREP_INDEX_H
#define CALLMINE_GREP_INDEX_H

#include <sqlite3.h>
#include <stddef.h>

#include "err.h"
#include "grep.h"

/* Thin g->cands (read through db, the main thread's connection) as above; *dropped says how
 * many calls went. ERR_NOMEM, or ERR_DB when the filter table cannot be read. */
int grep_index_filter(struct grep *g, sqlite3 *db, size_t *dropped, struct err *e);

#endif
