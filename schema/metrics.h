/* metrics: one call's conversation measures from its stored transcript (pure C, no SQLite).
 *
 * The one definition of sides, turns and the call_metrics row (sql/002-semantic.sql), used
 * by the ingest (store.c, backfill.c) when it stores a transcript and by the extension's
 * transcript_turns / transcript_speakers (ext/convo.c), so the stored measures and the
 * SQL functions cannot drift apart:
 *   - a speaker's side comes from the call's parties: the first party (in Gong's order)
 *     with that speaker id decides; affiliation Internal (any ASCII case) is the rep's
 *     side, External the customer's, anything else (Unknown, NULL, no party, no speaker
 *     id) neither;
 *   - a turn is one speaker's consecutive sentences (two unknown speakers are the same),
 *     a sentence joining the turn while it starts less than gap_ms after the turn's end;
 *   - talk is the sum of sentence durations (end - start); a question is a sentence whose
 *     text ends, trailing white space aside, in '?', U+FF1F or U+061F;
 *   - a switch is a turn of a known side after a turn of the other known side (turns of
 *     unknown side are skipped over); its gap is the pause since that turn's end.
 *
 * The text is the stored line format (transcript.h). Parties, turns and speakers are kept
 * in a struct metrics_conv reused from call to call; its memory is malloc'd. Arithmetic on
 * times saturates at the int64 limits instead of overflowing. */
#ifndef CALLMINE_METRICS_H
#define CALLMINE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define METRICS_GAP_MS 1000 /* a pause shorter than this keeps a speaker's turn going */

enum { METRICS_UNKNOWN = 0, METRICS_REP = 1, METRICS_CUSTOMER = 2 };

struct metrics_party {
    size_t spk, spk_len; /* speaker id: offset and length in pmeta */
    size_t aff, aff_len; /* affiliation as stored (offset in pmeta); aff_len 0 when NULL */
    size_t uid, uid_len; /* Gong user id (offset in pmeta); has_uid 0 when NULL */
    int has_uid;
    int side; /* METRICS_* */
};

struct metrics_turn {
    size_t spk, spk_len; /* speaker id: offset and length in the text (spk_len 0: unknown) */
    int party;           /* index into p, or -1 */
    int side, prev_side; /* METRICS_*; prev_side: of the latest earlier turn of known side */
    int has_gap;         /* there is such a turn: gap_ms is set */
    int64_t start_ms, end_ms, talk_ms, gap_ms;
    int64_t sentences, questions;
};

struct metrics_speaker {
    size_t spk, spk_len; /* as in metrics_turn */
    int party, side;
    int64_t talk_ms, sentences, questions, turns, longest_ms;
    int64_t switches, reply_ms, first_ms, last_ms; /* reply_ms: gaps before the switches */
};

/* A call's parties, turns and speakers. Fields are read by callers; change them only
 * through the functions below. */
struct metrics_conv {
    struct buf pmeta; /* the parties' speaker ids, affiliations and user ids */
    struct buf tmp;   /* an unescaped sentence */
    struct metrics_party *p;
    size_t np, cp;
    struct metrics_turn *t;
    size_t nt, ct;
    struct metrics_speaker *s;
    size_t ns, cs;
};

/* One call_metrics row (see sql/002-semantic.sql for each column's meaning). The two ids
 * are borrowed from the text and the conv given to metrics_compute (valid until either
 * changes); NULL with length 0 when absent. has_* 0 means the column is NULL. */
struct metrics {
    int64_t sentences;
    const char *rep_speaker_id, *rep_user_id;
    size_t rep_speaker_len, rep_user_len;
    int64_t rep_talk_ms, customer_talk_ms, other_talk_ms;
    int64_t rep_questions, customer_questions;
    int has_rep_longest, has_customer_longest;
    int64_t rep_longest_ms, customer_longest_ms;
    int64_t switches, rep_replies, rep_reply_ms;
    int has_span; /* first_ms and last_ms: the transcript has a sentence */
    int64_t first_ms, last_ms;
};

void metrics_conv_init(struct metrics_conv *m);    /* never fails */
void metrics_conv_release(struct metrics_conv *m); /* frees everything; m is empty again */

/* The side of an affiliation of n bytes (NULL: unknown): METRICS_REP for Internal,
 * METRICS_CUSTOMER for External (ASCII case ignored), else METRICS_UNKNOWN. */
int metrics_side(const char *aff, size_t n);

/* Forget the parties (before adding a call's). */
void metrics_parties_reset(struct metrics_conv *m);

/* Add the call's next party, in Gong's order. spk/aff/uid of the given lengths; aff or uid
 * NULL for SQL NULL. A party without a speaker id (NULL or empty), or with one an earlier
 * party had, is ignored: the first decides. ERR_NOMEM on failure. */
int metrics_add_party(struct metrics_conv *m, const char *spk, size_t spk_len, const char *aff,
                      size_t aff_len, const char *uid, size_t uid_len, struct err *e);

/* The index of the party with speaker id spk[0..n), or -1 (always -1 for n == 0). */
int metrics_party_of(const struct metrics_conv *m, const char *spk, size_t n);

/* 1 when the stored sentence text (escaped as transcript.h says when escaped is set) ends
 * in a question mark, trailing white space aside. */
int metrics_is_question(struct metrics_conv *m, const char *text, size_t n, int escaped);

/* Cut the len bytes of stored text into m->t, sides from the parties added. ERR_PARSE
 * "line N is malformed" for a line that is not START<TAB>END<TAB>SPEAKER<TAB>TEXT, or
 * ERR_NOMEM. The turns point into text: keep it while reading them. */
int metrics_turns(struct metrics_conv *m, const char *text, size_t len, int64_t gap_ms,
                  struct err *e);

/* Sum m->t (cut from text) into m->s, one speaker per speaker id in order of first
 * appearance. ERR_NOMEM on failure. */
int metrics_speakers(struct metrics_conv *m, const char *text, struct err *e);

/* The call_metrics row of the stored text, with the parties added (turns joined under
 * METRICS_GAP_MS): metrics_turns, metrics_speakers, then the sums over sides. The rep
 * speaker is the internal speaker with the most talk; on a tie the smallest speaker id
 * (byte order, as SQLite's BINARY collation). Errors as metrics_turns. */
int metrics_compute(struct metrics_conv *m, const char *text, size_t len, struct metrics *out,
                    struct err *e);

#endif
