/* search_rank: bm25 over the sentence index without FTS5's full scans.
 *
 * FTS5's own rank (ORDER BY rank) computes bm25 for every matching row and sorts them all,
 * and its idf counts each phrase's rows with a scan of the whole doclist: for a word in a
 * third of 7 million sentences that is seconds. Here an auxiliary function,
 * callmine_tf(search_sentences), gives each matching row's instance count per query phrase
 * (and the index's row count); the caller reads the newest matches, at most a window of
 * them, and scores them in C (callmine_longest_phrase(search_sentences) tells it whether
 * the query has a phrase of several tokens, which FTS5 reads backwards at half speed):
 *
 *     score = sum over phrases i of idf_i * tf_i * (k1 + 1) / (tf_i + k1),  k1 = 1.2
 *     idf_i = ln((N - n_i + 0.5) / (n_i + 0.5)), at least 1e-6 (FTS5's bm25 idf)
 *
 * with N the index's rows and n_i the rows of the window that contain phrase i (exactly
 * FTS5's n_i when the window holds every match of an OR of words; a lower bound
 * otherwise). The length term of bm25 drops out: the index keeps no sentence lengths
 * (columnsize=0), so every sentence counts as average, as FTS5's bm25 also does on it. */
#ifndef CALLMINE_SEARCH_RANK_H
#define CALLMINE_SEARCH_RANK_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "err.h"

#define SEARCH_RANK_WINDOW 20000 /* matching sentences ranked for a top-N query */
#define SEARCH_RANK_PHRASES 32   /* phrases counted per query (more count as absent) */

struct search_rank_cand {
    int64_t rowid;
    double score;
    size_t nth; /* its place among its call's sentences of the same score (0: the first) */
};

struct search_rank {
    struct search_rank_cand *c; /* the window, sorted best first by search_rank_sort */
    size_t n, cap;
    uint16_t *tf; /* n * phrases instance counts */
    int phrases;
    int64_t rows; /* N: the index's rows */
};

/* Register callmine_tf and callmine_longest_phrase on db's FTS5 (once per connection is
 * enough; again is harmless).
 * ERR_DB when db has no FTS5. */
int search_rank_register(sqlite3 *db, struct err *e);

void search_rank_init(struct search_rank *r);
void search_rank_release(struct search_rank *r);

/* Add a matching row: its rowid and the callmine_tf blob of the row. ERR_NOMEM. */
int search_rank_add(struct search_rank *r, int64_t rowid, const void *tf, size_t n, struct err *e);

/* Add every row of from after r's own, in from's order (rows of the same query, read over
 * another range of rowids, e.g. on another connection). ERR_NOMEM. */
int search_rank_append(struct search_rank *r, const struct search_rank *from, struct err *e);

/* Remove the k rows of the window from position from on (added order). */
void search_rank_drop(struct search_rank *r, size_t from, size_t k);

/* Score every row of the window and sort best first; among equal scores each call's first
 * sentence comes before any call's second (and so on), then the larger rowid (newer). */
void search_rank_sort(struct search_rank *r);

#endif
