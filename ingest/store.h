/* store: write parsed pages into the mirror (SQLite only).
 *
 * Every function works inside the caller's transaction: store never begins, commits or
 * rolls back (one transaction per API page, together with the sync checkpoint). Statements
 * are prepared once in store_open() and reset after each use; values are always bound.
 *
 * Errors: ERR_DB with SQLite's message naming what failed ("store call '123': ..."),
 * ERR_IO "... disk full" when SQLite reports SQLITE_FULL, ERR_NOMEM when out of memory.
 * After an error the caller rolls the transaction back. */
#ifndef CALLMINE_STORE_H
#define CALLMINE_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "parse.h"

/* Transcript retry backoff: a call asked for whose transcript Gong did not return waits
 * STORE_BACKOFF_FIRST_MS << (attempts - 1), at most STORE_BACKOFF_MAX_MS: 1 h, 2 h, 4 h,
 * 8 h, 16 h, 32 h, 64 h, 128 h, then 7 days for every later attempt. */
#define STORE_BACKOFF_FIRST_MS (3600LL * 1000)
#define STORE_BACKOFF_MAX_MS (7LL * 86400 * 1000)

struct store;

/* What a put did; the put functions ADD to these counters (start them at zero). */
struct store_counts {
    long n_new;       /* rows that did not exist */
    long n_updated;   /* rows that existed and changed */
    long n_unchanged; /* rows identical to what was stored: nothing written */
};

/* Prepare every statement on db (a migrated mirror, see db_open_rw). *out is NULL on
 * failure. The store borrows db: free the store before closing db. */
int store_open(sqlite3 *db, struct store **out, struct err *e);
void store_free(struct store *s); /* NULL ok */

/* Upsert the page's users. A user whose stored raw JSON is byte-identical is unchanged
 * (nothing written). */
int store_put_users(struct store *s, const struct parse_users_page *p, struct store_counts *c,
                    struct err *e);

/* Store the page's calls. A call whose calls_raw digest equals the stored one is unchanged
 * and nothing of it is written. Otherwise: calls is upserted (first_mirrored kept,
 * last_changed = now_iso), calls_raw replaced (zlib/sqlar, size = raw length), and every
 * child row replaced -- except the call's TimeOfCall rows of crm_fields and deals, which
 * are written only when the call has none yet (a TimeOfCall snapshot never changes).
 * Then, for changed and unchanged calls alike, the transcript queue: a call not yet in
 * transcript_status is added as 'pending', or 'private' when it is private and
 * !include_private; a 'private' call becomes 'pending' when include_private (or when it is
 * no longer private); a 'pending'/'waiting' call that is now private becomes 'private'
 * unless include_private. These transitions are idempotent: a repeated page writes
 * nothing. now_iso is stored UTC text (isotime_format).
 * With a changed call also: deals.ord (the position among the call's deal rows of that
 * timing, in Gong's order), crm_users from its party-level CRM objects of type User, and,
 * when the parties now give some speaker another side or user id and the call has a
 * transcript, its call_metrics row computed again. */
int store_put_calls(struct store *s, const struct parse_calls_page *p, int include_private,
                    const char *now_iso, struct store_counts *c, struct err *e);

/* The call ids whose transcript is due: state 'pending', or 'waiting' with next_try <=
 * now_iso; oldest call first (calls.started, calls unknown to the calls table first), at
 * most limit. On success *ids is one malloc'd block holding *n pointers and the strings
 * they point to: free(*ids) releases all. *ids is NULL when *n is 0 or on failure. */
int store_due_transcripts(struct store *s, const char *now_iso, size_t limit, char ***ids,
                          size_t *n, struct err *e);

/* Store the page's transcripts: compressed with zblob into transcripts(size, body), with
 * sentences, monologues and fetched = now_iso, and its call_metrics row
 * (store_put_metrics). A transcript identical to the stored one (same size, body and
 * monologues) is left untouched (its derived rows are written only when missing). Each call's
 * transcript_status becomes 'done' (next_try cleared, last_try = now_iso) unless it already is. */
int store_put_transcripts(struct store *s, const struct parse_transcripts_page *p,
                          const char *now_iso, struct store_counts *c, struct err *e);

/* Index call_id's stored transcript text in the search index (search_index.h) unless it is
 * indexed already: the backfill's search pass. */
int store_put_search(struct store *s, const char *call_id, const char *text, size_t len,
                     struct err *e);

/* Write call_id's n-gram filter (grams.h, table transcript_grams) from its transcript text
 * (len bytes in the stored line format): the backfill's pass after a first load. */
int store_put_grams(struct store *s, const char *call_id, const char *text, size_t len,
                    struct err *e);

/* Compute call_id's call_metrics row (metrics.h) from its transcript text (len bytes in the
 * stored line format, transcript.h) and the call's parties as stored now, and upsert it.
 * A call without parties yet gets every speaker of unknown side; store_put_calls measures
 * the transcript again when the call's parties change. ERR_PARSE naming the call for a
 * malformed line. store_put_transcripts calls this for every new or changed transcript
 * (and for an unchanged one that has no row); the backfill for stored ones. */
int store_put_metrics(struct store *s, const char *call_id, const char *text, size_t len,
                      struct err *e);

/* The ids were asked for and Gong returned no transcript: each call in state 'pending' or
 * 'waiting' (or not yet queued) becomes 'waiting' with attempts + 1, last_try = now and
 * next_try = now + backoff(attempts) (STORE_BACKOFF_*). Calls already 'done' or 'private'
 * are left alone. now_ms: milliseconds since the epoch. */
int store_mark_waiting(struct store *s, const char *const *ids, size_t n, int64_t now_ms,
                       struct err *e);

/* Keep call_facts_stored equal to call_facts_live (schema/facts.h): every put refreshes the
 * stored facts of the calls it changed (a call page's calls, and those naming a CRM user it
 * renamed; a transcript's call; the calls naming a changed user), in the caller's
 * transaction. With deferred 1 (a first load, bulk.h) nothing is refreshed: bulk_build
 * builds the table once. Starts at 0. */
void store_defer_facts(struct store *s, int deferred);

/* With deferred 1 (a first load, bulk.h) new transcripts get no transcript_grams row: the
 * ingest writes them all at the load's end, in call id order (backfill_grams). Starts at 0. */
void store_defer_grams(struct store *s, int deferred);

/* How many transcripts store_due_transcripts() would return without a limit. */
int store_pending_count(struct store *s, const char *now_iso, int64_t *n, struct err *e);

/* The backoff before attempt number attempts + 1, in ms (attempts >= 1). */
int64_t store_backoff_ms(int64_t attempts);

#endif
