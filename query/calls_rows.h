/* calls_rows: the rows `callmine-query calls` lists, in start order, read in one pass.
 *
 * One statement reads the stored facts (TEMP VIEW call_facts, stages.h) in their own order,
 * the call id's, with each row's sentences from call_metrics, and keeps the rows the filter
 * selects (filter_facts_sql). The rows are then put in start order (NULL first, then the
 * start, then the id: ORDER BY started, call_id) in memory, up to a cap on the bytes they
 * take; past it the same statement is run again with that ORDER BY, and SQLite's sorter,
 * which spills to temporary files, orders them instead. Either way a row is read once, not
 * looked up by its call id (a random Gong number, so each lookup was a descent of the
 * stored table from its root). Company size and owner at the call, which the stored facts do
 * not keep, are read from deals once, into a hash set the statement looks calls up in.
 *
 * Columns, in order: the CALLS_ROWS_SHOWN listed ones (id, started, duration, rep, stage,
 * amount, outcome, company_name, deal_name, title, sentences, url; stage and amount in the
 * filter's --deal-timing), then the rep's key (rep_id, else rep_email), deal_id and
 * has_transcript, which the count line reads. */
#ifndef CALLMINE_CALLS_ROWS_H
#define CALLMINE_CALLS_ROWS_H

#include <stddef.h>

#include <sqlite3.h>

#include "err.h"
#include "filter.h"
#include "out.h"

enum {
    CALLS_COL_ID = 0,
    CALLS_COL_STARTED,
    CALLS_COL_REP = 3,
    CALLS_COL_OUTCOME = 6,
    CALLS_ROWS_SHOWN = 12,
    CALLS_COL_REP_KEY = CALLS_ROWS_SHOWN,
    CALLS_COL_DEAL_ID,
    CALLS_COL_HAS_TRANSCRIPT,
    CALLS_ROWS_COLUMNS
};

/* The bytes of rows ordered in memory before SQLite's sorter takes over: the records and
 * their sort keys (at 100,000 calls 33 MB of records and 11.5 MB of keys, so 48 MiB holds
 * about 110,000 rows like those). Peak RSS for all 100,000: 66 MB. */
#define CALLS_ROWS_MAX_BYTES ((size_t)48 << 20)

/* The names of the shown columns, as `calls` prints them. */
extern const char *const calls_rows_names[CALLS_ROWS_SHOWN];

struct calls_rows;

/* Prepare the statement for filter f on db (which must hold TEMP VIEW call_facts, as
 * cmd_open_db leaves it) and, unless the rows take more than max_bytes, read and order them
 * all. On success *out is the reader (calls_rows_free frees it); on failure NULL, with
 * ERR_DB (SQLite's message) or ERR_NOMEM. Reading in a transaction keeps every row from one
 * snapshot. */
int calls_rows_open(sqlite3 *db, const struct filter *f, size_t max_bytes, struct calls_rows **out,
                    struct err *e);

/* The next row: *has_row 1 and cells[0..CALLS_ROWS_COLUMNS) filled (borrowed until the next
 * call or calls_rows_free), or *has_row 0 after the last. ERR_DB on a failed step. */
int calls_rows_next(struct calls_rows *r, struct out_cell *cells, int *has_row, struct err *e);

/* Whether the rows were ordered in memory (1) or by SQLite's sorter (0). For tests. */
int calls_rows_in_memory(const struct calls_rows *r);

void calls_rows_free(struct calls_rows *r);

#endif
