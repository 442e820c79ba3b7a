/* search_index: writing the full-text search index (sql/002-semantic.sql, section 5).
 *
 * One FTS5 row per transcript sentence in search_sentences (contentless, no column sizes,
 * unicode61 with diacritics removed), rowid = num << SEARCH_INDEX_SHIFT | the sentence's
 * line number in the stored transcript (transcript.h, counting every line, malformed ones
 * included; those and empty sentences are not indexed). num is the call's row in
 * search_calls. What is indexed is each sentence's text unescaped, exactly as a reader gets
 * it from transcript_unescape.
 *
 * Invariant: a call has a search_calls row if and only if the sentences of its stored
 * transcript are in the index. A contentless table forgets the text, so removing a call's
 * sentences needs the text that was indexed: the transcript being replaced is at hand when
 * the ingest replaces it (search_index_remove takes its stored blob). A file without the
 * tables (export --no-search-index) gets an index that does nothing. Uses only SQLite and
 * zblob. */
#ifndef CALLMINE_SEARCH_INDEX_H
#define CALLMINE_SEARCH_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "err.h"

#define SEARCH_INDEX_SHIFT 20 /* sentences per call: at most 2^20; later lines go unindexed */
#define SEARCH_INDEX_MAX_LINES ((int64_t)1 << SEARCH_INDEX_SHIFT)

struct search_index;

/* Prepare the index writer on db (a read-write connection; the caller owns transactions).
 * When db has no search_sentences table the writer is disabled and every call below does
 * nothing. *out is NULL on failure; free with search_index_free. */
int search_index_open(sqlite3 *db, struct search_index **out, struct err *e);
void search_index_free(struct search_index *x); /* NULL ok */

/* 1 when the file has the index tables. */
int search_index_enabled(const struct search_index *x);

/* Index text[0..len) (transcript.h lines, UTF-8) as call_id's transcript. The call must
 * not be indexed already (remove it first when its transcript is replaced). ERR_DB or
 * ERR_NOMEM naming the call on failure. */
int search_index_add(struct search_index *x, const char *call_id, const char *text, size_t len,
                     struct err *e);

/* Remove call_id's sentences, given its stored transcript (blob and size as in
 * transcripts.body and .size) that was indexed. Nothing to do when the call is not indexed.
 * A blob that does not inflate cannot be removed word by word: the call's stale entries are
 * left under its number (readers drop a hit whose sentence does not contain the query's
 * words). */
int search_index_remove(struct search_index *x, const char *call_id, const void *blob,
                        size_t n_blob, int64_t size, struct err *e);

/* Index text as call_id's transcript unless the call is indexed already (an unchanged
 * transcript whose entries were lost). */
int search_index_ensure(struct search_index *x, const char *call_id, const char *text, size_t len,
                        struct err *e);

/* The backfill pass: index every stored transcript of db that is not indexed (older files,
 * files copied without the index), in transactions of `batch` transcripts (0: 500); when
 * db is already in a transaction, all in the caller's. *n counts the transcripts indexed;
 * transcripts that do not inflate are skipped and counted in *corrupt (may be NULL). */
int search_index_fill(sqlite3 *db, size_t batch, size_t *n, size_t *corrupt, struct err *e);

#endif
