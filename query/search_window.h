/* search_window: phase 1 of a search (search.h), the window of matching sentences.
 *
 * It asks FTS5 for the sentences that match the query and that the FILTERS keep, the newest
 * first, with their phrase counts for bm25 (search_rank.h), and stops at SEARCH_RANK_WINDOW of
 * them for a top-N query. The filters are evaluated once per call, into a set of call numbers
 * that the scan tests per sentence. A query with a phrase of several tokens is read forwards
 * in slices of calls from the newest back (FTS5 reads phrases backwards at half speed); a long
 * slice is split in two halves read at once on two connections and threads when the caller
 * can open a second connection (search_opts.open_peer), since FTS5's seeks for a rare phrase
 * are mostly page reads that two cores do side by side. */
#ifndef CALLMINE_SEARCH_WINDOW_H
#define CALLMINE_SEARCH_WINDOW_H

#include <sqlite3.h>

#include "err.h"
#include "search.h"
#include "search_rank.h"

/* Fill w (initialized, empty) with the window for o on db, and t's matches and capped.
 * phrase: the query has a phrase of several tokens (read in slices). ERR_DB when a read fails
 * (also when db is interrupted), ERR_NOMEM. */
int search_window_read(sqlite3 *db, const struct search_opts *o, int phrase, struct search_rank *w,
                       struct search_totals *t, struct err *e);

#endif
