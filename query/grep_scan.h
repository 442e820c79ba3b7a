/* grep_scan: the scanning half of `callmine-query grep` (see cmd_grep.c for the whole).
 *
 * The candidate calls (struct grep, grep.h: ids in output order, already thinned by
 * grep_index.c) are cut into batches of GREP_BATCH calls. grep_scan_start() starts g->threads
 * worker threads, each with its own read-only connection, matcher (grep_text.h) and codec; a worker
 * takes the next batch, inflates its calls' transcripts and records their hits as recs in the
 * batch. The caller (the main thread) takes the finished batches in order with grep_scan_wait() and
 * hands each back with grep_scan_done(), so at most GREP_WINDOW batches per thread are in flight
 * whatever the size of the mirror, and the output does not depend on the thread count. */
#ifndef CALLMINE_GREP_SCAN_H
#define CALLMINE_GREP_SCAN_H

#include <stddef.h>

#include "err.h"
#include "grep.h"

/* Set up the batch slots and start the workers. On failure everything started is stopped
 * again (grep_scan_stop is still safe to call). */
int grep_scan_start(struct grep *g, struct err *e);

/* Wait until batch k (taken in order from 0) is finished; borrowed until grep_scan_done. Its
 * rc and e say whether scanning it failed. */
const struct grep_batch *grep_scan_wait(struct grep *g, size_t k);

/* Give batch k's slot back to the workers. */
void grep_scan_done(struct grep *g, size_t k);

/* Stop the workers (they finish the batch at hand), join them and free the slots. */
void grep_scan_stop(struct grep *g);

#endif
