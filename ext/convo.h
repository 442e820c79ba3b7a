/* convo: one call's conversation as the analyses see it, read from the mirror.
 *
 * A struct convo loads a call's transcript (inflated, as stored: see transcript.h) and its
 * parties' sides, then cuts the sentences into turns (one speaker's consecutive sentences,
 * joined while the gap before a sentence is under gap_ms) and sums them per speaker, with
 * schema/metrics.c: the code the ingest computes call_metrics with. It keeps its prepared
 * statements and buffers between calls, so one struct serves a whole scan; it belongs to
 * one statement of one connection at a time. Used by analysis_fn.c, and
 * built into bin/callmine.so, so it calls SQLite through sqlite3ext.h. */
#ifndef CALLMINE_CONVO_H
#define CALLMINE_CONVO_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"
#include "metrics.h"

/* Sides, as metrics.h defines them. */
enum {
    CONVO_UNKNOWN = METRICS_UNKNOWN,
    CONVO_REP = METRICS_REP,
    CONVO_CUSTOMER = METRICS_CUSTOMER
};

/* The parties (m.p), turns (m.t) and speakers (m.s) are metrics.h's: the stored
 * call_metrics and these SQL functions share one definition. */
struct convo {
    sqlite3 *db;
    sqlite3_stmt *st_text, *st_parties; /* prepared on first use, finalized by release */
    struct zblob_codec *z;
    struct buf text;       /* the inflated transcript */
    struct metrics_conv m; /* its parties, turns and speakers */
};

void convo_init(struct convo *c, sqlite3 *db);
void convo_release(struct convo *c); /* finalizes the statements: call before sqlite3_close */

/* Load the transcript of call_id into c->text. SQLITE_ROW when loaded, SQLITE_DONE when the
 * call has none, else an SQLite error code with *msg (sqlite3_mprintf'd, may be NULL on
 * SQLITE_NOMEM; the caller sqlite3_frees it). */
int convo_load_text(struct convo *c, sqlite3_value *call_id, char **msg);

/* Inflate a stored (body, size) pair into c->text; call_id names the call in messages.
 * SQLITE_OK or an error code with *msg as above. */
int convo_inflate(struct convo *c, const void *body, int n_body, sqlite3_int64 size, int size_type,
                  const char *call_id, char **msg);

/* Load the sides of call_id's parties into c->m.p. SQLITE_OK or an error code with *msg. */
int convo_load_parties(struct convo *c, sqlite3_value *call_id, char **msg);

/* The party of speaker id spk[0..n), or -1. */
int convo_party_of(const struct convo *c, const char *spk, size_t n);

/* Cut c->text into c->m.t (then c->m.s with convo_speakers). SQLITE_OK, SQLITE_NOMEM, or
 * SQLITE_CORRUPT with *msg naming call_id when a line is malformed. */
int convo_turns(struct convo *c, int64_t gap_ms, const char *call_id, char **msg);
int convo_speakers(struct convo *c);

/* The side's name: "rep", "customer", or NULL. */
const char *convo_side_name(int side);

#endif
