/* grep_text: matching one transcript's text for grep, one matcher per worker thread.
 *
 * A matcher holds its own compiled pattern (re_clone), a statement reading a call's parties
 * on the worker's connection, and the buffers it reuses from call to call. It turns the
 * matches found in a transcript into the batch's recs (grep_scan.h): the hit sentences,
 * and with -C their context, each with its speaker's name and affiliation. */
#ifndef CALLMINE_GREP_TEXT_H
#define CALLMINE_GREP_TEXT_H

#include <sqlite3.h>
#include <stddef.h>

#include "err.h"
#include "grep.h"

struct grep_text;

/* A matcher for g reading parties through db (which must outlive it). *out is NULL on
 * failure; free with grep_text_free. */
int grep_text_new(const struct grep *g, sqlite3 *db, struct grep_text **out, struct err *e);
void grep_text_free(struct grep_text *t); /* NULL ok */

/* Search the inflated transcript text[0..len) (the line format of transcript.h) of call i of
 * batch b: sets b->counts[i] and, for text and row output, appends the recs. ERR_USAGE when
 * the pattern is too complex for the text, ERR_NOMEM, ERR_DB reading parties. */
int grep_text_scan(struct grep_text *t, struct grep_batch *b, size_t i, const char *text,
                   size_t len, struct err *e);

#endif
