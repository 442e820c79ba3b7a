/* grep_out: printing grep's finished batches (grep_scan.h), in order, on the main thread.
 *
 * Text (the default): a heading per call (title, date, rep, stage, id), then one line per
 * hit or context sentence, `mm:ss Speaker (rep|customer): sentence`, with the matches
 * highlighted when g->color is set, `--` between non-adjacent context groups. With
 * --format: one row per hit through out.h (call_id, title, started, speaker_id,
 * speaker_name, affiliation, start_ms, text, match, url), or per call with -c (call_id,
 * title, count) and -l (call_id). --max-hits is applied here, counting printed hits. */
#ifndef CALLMINE_GREP_OUT_H
#define CALLMINE_GREP_OUT_H

#include <stdio.h>

#include <sqlite3.h>

#include "err.h"
#include "grep.h"

struct grep_out;

/* A printer for g on g->fp (stdout when NULL), reading call metadata through db (the main thread's
 * connection, which must outlive it). *out is NULL on failure; free with grep_out_free. */
int grep_out_open(struct grep *g, sqlite3 *db, struct grep_out **out, struct err *e);

/* Print batch b (the next in order); *stop is set once --max-hits is reached. */
int grep_out_batch(struct grep_out *o, const struct grep_batch *b, int *stop, struct err *e);

/* End the rows (if any) and flush what is buffered to stdout. */
int grep_out_finish(struct grep_out *o, struct err *e);

/* Print the totals on fp (stderr): "N hits in S sentences of C calls" (with -c or -l, "N hits
 * in C calls"), and when --max-hits stopped the output early, a notice: "stopped at N hits:
 * --max-hits N for more", saying "(there may be more)" when no hit beyond the limit was seen
 * but unscanned is set (calls were left unscanned). */
void grep_out_totals(const struct grep_out *o, int unscanned, FILE *fp);

void grep_out_free(struct grep_out *o); /* NULL ok */

#endif
