/* convo: one call's conversation as the analyses see it, read from the mirror.
 *
 * A struct convo loads a call's transcript (inflated, as stored: see transcript.h) and its
 * parties' sides, then cuts the sentences into turns (one speaker's consecutive sentences,
 * joined while the gap before a sentence is under gap_ms) and sums them per speaker. It
 * keeps its prepared statements and buffers between calls, so one struct serves a whole
 * scan; it belongs to one statement of one connection at a time. Used by analysis_fn.c, and
 * built into bin/callmine.so, so it calls SQLite through sqlite3ext.h. */
#ifndef CALLMINE_CONVO_H
#define CALLMINE_CONVO_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"

enum { CONVO_UNKNOWN = 0, CONVO_REP = 1, CONVO_CUSTOMER = 2 };

struct convo_party {
    size_t spk, spk_len; /* speaker id: offset and length in pmeta */
    size_t aff, aff_len; /* affiliation as stored (offset in pmeta), aff_len 0 when NULL */
    int side;            /* CONVO_* */
};

struct convo_turn {
    size_t spk, spk_len; /* speaker id: offset and length in text (spk_len 0: unknown) */
    int party;           /* index into p, or -1 */
    int side, prev_side; /* CONVO_*; prev_side: of the latest earlier turn with a known side */
    int has_gap;         /* there is such a turn: gap_ms is set */
    int64_t start_ms, end_ms, talk_ms, gap_ms;
    int64_t sentences, questions;
};

struct convo_speaker {
    size_t spk, spk_len; /* as in convo_turn */
    int party, side;
    int64_t talk_ms, sentences, questions, turns, longest_ms;
    int64_t switches, reply_ms, first_ms, last_ms; /* reply_ms: gaps before the switches */
};

struct convo {
    sqlite3 *db;
    sqlite3_stmt *st_text, *st_parties; /* prepared on first use, finalized by release */
    struct zblob_codec *z;
    struct buf text;  /* the inflated transcript */
    struct buf pmeta; /* the parties' speaker ids and affiliations */
    struct buf tmp;   /* an unescaped sentence */
    struct convo_party *p;
    size_t np, cp;
    struct convo_turn *t;
    size_t nt, ct;
    struct convo_speaker *s;
    size_t ns, cs;
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

/* Load the sides of call_id's parties into c->p. SQLITE_OK or an error code with *msg. */
int convo_load_parties(struct convo *c, sqlite3_value *call_id, char **msg);

/* The party of speaker id spk[0..n), or -1. */
int convo_party_of(const struct convo *c, const char *spk, size_t n);

/* Cut c->text into c->t (then c->s with convo_speakers). SQLITE_OK, SQLITE_NOMEM, or
 * SQLITE_CORRUPT with *msg naming call_id when a line is malformed. */
int convo_turns(struct convo *c, int64_t gap_ms, const char *call_id, char **msg);
int convo_speakers(struct convo *c);

/* 1 when the stored (escaped) sentence text ends, white space aside, in a question mark. */
int convo_is_question(struct convo *c, const char *text, size_t n, int escaped);

/* The side's name: "rep", "customer", or NULL. */
const char *convo_side_name(int side);

#endif
