/* analysis_fn: transcript-level measures for the analyses, as SQL functions over a call's
 * sentences, registered by sqlite3_callmine_init (so also in bin/callmine.so).
 *
 *   transcript_turns(call_id[, gap_ms])     table-valued: one row per turn, in spoken order
 *   transcript_speakers(call_id[, gap_ms])  table-valued: one row per speaker of the call
 *   mention_count(call_id, pattern[, flags[, speaker]])
 *                                           hits of pattern in the call's sentences, or NULL
 *                                           when the call has no transcript
 *   key_sums(key, v1[, ...])                aggregate: sums per distinct key (keysum.h)
 *
 * A turn is one speaker's consecutive sentences, a sentence joining the turn when it starts
 * less than gap_ms (default 1000) after the turn's end. A speaker's side comes from the
 * call's parties (matched on speaker_id): 'rep' for affiliation Internal, 'customer' for
 * External, NULL otherwise (Unknown, no party, no speaker id). A question is a sentence
 * whose text ends, trailing white space aside, in '?', U+FF1F or U+061F.
 *
 * transcript_turns columns: call_id, idx (from 0), speaker_id, affiliation, side, start_ms,
 * end_ms (the largest sentence end), talk_ms (sum of sentence end - start), sentences,
 * questions, prev_side and gap_ms (the side of the latest earlier turn with a known side,
 * and start_ms minus that turn's end_ms; NULL for none).
 *
 * transcript_speakers columns: call_id, speaker_id (NULL for the unknown speaker), affiliation,
 * side, talk_ms, sentences, questions, turns, longest_turn_ms (the longest end - start of one
 * turn: the speaker's longest monologue), switches (turns of this speaker that follow the
 * other side's turn), reply_ms (the sum of gap_ms over those turns: reply_ms / switches is the
 * speaker's patience), first_ms, last_ms. Speakers come in order of
 * first appearance.
 *
 * mention_count counts hits as grep does: each sentence's unescaped text is its own subject
 * (invalid UTF-8 replaced by U+FFFD), a hit is one non-empty match, and a sentence whose only
 * matches are empty counts once. flags as regexp_count's ('i' caseless); speaker is 'all'
 * (default), 'rep' (Internal) or 'customer' (External).
 *
 * Without a call_id argument (or call_id = X constraint) the tables read every transcript. */
#ifndef CALLMINE_ANALYSIS_FN_H
#define CALLMINE_ANALYSIS_FN_H

#include <sqlite3.h>

#define ANALYSIS_FN_GAP_MS 1000 /* default gap that still joins a speaker's sentences */

/* Register the functions above on db. SQLITE_OK or an SQLite error code. */
int analysis_fn_register(sqlite3 *db);

#endif
