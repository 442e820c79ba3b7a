/* search_terms: the words of an FTS5 query, found again in a sentence for highlighting.
 *
 * The index is contentless, so FTS5's snippet() and highlight() have no text to work on.
 * Instead the query's terms are read from its text (barewords and "quoted strings", minus
 * the operators AND OR NOT NEAR, column names, NEAR distances and {column sets}; a term
 * followed by * is a prefix) and folded by the index's own tokenizer (unicode61 with
 * remove_diacritics 2, taken from the connection's FTS5), and every sentence is tokenized
 * by the same tokenizer: a sentence token equal to a query token (or starting with a prefix
 * token) is a match. So case and accents are ignored exactly as the index ignores them,
 * and the byte offsets of the matches are the tokenizer's, on the original UTF-8. */
#ifndef CALLMINE_SEARCH_TERMS_H
#define CALLMINE_SEARCH_TERMS_H

#include <stddef.h>

#include <sqlite3.h>

#include "buf.h"
#include "err.h"

#define SEARCH_SNIPPET_MAX 240 /* bytes of sentence a snippet keeps, markers not counted */

struct search_span {
    size_t s, e; /* byte offsets of a matching token in the sentence */
};

struct search_terms;

/* Read the terms of query (FTS5 syntax, UTF-8) with db's unicode61 tokenizer. *out is NULL
 * on failure: ERR_DB when db has no FTS5, ERR_NOMEM. A query with no terms is no error
 * (nothing is then highlighted). Free with search_terms_free. */
int search_terms_new(sqlite3 *db, const char *query, struct search_terms **out, struct err *e);
void search_terms_free(struct search_terms *t); /* NULL ok */

/* The number of folded query tokens (for tests and diagnostics). */
size_t search_terms_count(const struct search_terms *t);

/* Find the query's tokens in text[0..n): *spans (owned by t, valid until the next call)
 * receives them in order, *n_spans their number. ERR_NOMEM on failure. */
int search_terms_match(struct search_terms *t, const char *text, size_t n,
                       const struct search_span **spans, size_t *n_spans, struct err *e);

/* Append to out (reset first) a snippet of text: the whole sentence when it is at most
 * SEARCH_SNIPPET_MAX bytes, else a window of about that size around the first span, cut at
 * token boundaries, with "…" where text was cut; each span wrapped in on/off. */
int search_terms_snippet(const char *text, size_t n, const struct search_span *spans,
                         size_t n_spans, const char *on, const char *off, struct buf *out,
                         struct err *e);

#endif
