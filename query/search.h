/* search: ranked full-text search over transcript sentences (the index of search_index.h).
 *
 * search_run() asks FTS5 for the sentences matching an FTS5 query that the FILTERS keep and
 * ranks them best first by bm25 (search_rank.h: score higher is better; ties newest
 * first; a top-N query ranks the newest SEARCH_RANK_WINDOW matches when more match). For each
 * candidate it reads the sentence back from the stored transcript (one inflate per call, kept while
 * the next hits are in the same call), names its speaker from the call's parties, drops it when
 * --speaker excludes that side, finds the query's words in it (search_terms.h) and builds the
 * snippet. A hit whose sentence does not contain any query word (an entry the index kept for text
 * that is gone) is dropped. The caller gets each hit through a callback, so the command prints and
 * the MCP server collects them the same way. Used by cmd_search.c and the MCP tools. */
#ifndef CALLMINE_SEARCH_H
#define CALLMINE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "err.h"
#include "filter.h"
#include "search_terms.h"

enum search_role { SEARCH_ANY = 0, SEARCH_REP = 1, SEARCH_CUSTOMER = 2 };

/* One hit; every pointer is borrowed until the callback returns. Text is UTF-8 as stored
 * (not necessarily valid: escape it for output). */
struct search_hit {
    const char *call_id, *title, *started, *url; /* title, started, url may be NULL */
    const char *speaker_id;                      /* NULL when the sentence has none */
    size_t speaker_id_len;
    const char *speaker_name; /* NULL when unknown */
    const char *affiliation;  /* as stored (Internal, External, ...), or NULL */
    int role;                 /* SEARCH_REP, SEARCH_CUSTOMER, or SEARCH_ANY (other) */
    int64_t start_ms;
    const char *text; /* the sentence */
    size_t text_len;
    const struct search_span *spans; /* the query's words in text */
    size_t n_spans;
    const char *snippet; /* NUL-terminated, the words wrapped in the markers */
    double score;        /* bm25 (search_rank.h): higher is better */
};

/* Return ERR_OK to go on, or an error code (with e filled) to stop the search with it. */
typedef int (*search_hit_fn)(void *ctx, const struct search_hit *h, struct err *e);

struct search_opts {
    const char *query;      /* FTS5 syntax */
    const struct filter *f; /* the FILTERS (validated by the caller) */
    enum search_role speaker;
    size_t limit;         /* hits at most (0: no limit) */
    const char *on, *off; /* snippet markers, e.g. "**" and "**" */
    /* Optional: open a second connection to the same mirror, set up as the first (read-only,
     * the same pragmas and functions, a read transaction begun), on which a phrase's long
     * slices are read half and half on two threads (search_window.h). NULL: one thread. */
    int (*open_peer)(void *peer_ctx, sqlite3 **db, struct err *e);
    void *peer_ctx;
};

struct search_totals {
    size_t hits, calls; /* hits given, distinct calls among them */
    int more;           /* stopped at the limit with more candidates left */
    size_t matches;     /* matching sentences ranked (the filters kept them) */
    int capped;         /* more matched than the window ranks: the newest were ranked */
    size_t stale;       /* candidates dropped: sentence gone or without the query's words */
};

/* Run the search on db (a connection from cmd_open_db). ERR_USAGE for a query FTS5 refuses
 * (the message says what is wrong), ERR_NOTFOUND when the file has no search index, ERR_DB
 * when a read fails (also when db is interrupted, e.g. by a progress handler), or the code
 * fn returned. */
int search_run(sqlite3 *db, const struct search_opts *o, search_hit_fn fn, void *ctx,
               struct search_totals *t, struct err *e);

/* Check that db has a usable search index: ERR_NOTFOUND saying why not. */
int search_check_index(sqlite3 *db, struct err *e);

#endif
