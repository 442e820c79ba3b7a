/* scope: the TEMP tables every analysis reads, built on the read-only connection.
 *
 *   scope   one row per call the FILTERS select: call_id, title, url, started, duration
 *           (seconds), external (1: Gong's scope is External or a party is External),
 *           has_transcript (1: a transcript with at least one sentence), primary_user_id,
 *           primary_rep, rep_user_id, rep, rep_email (the rep who ran the call: the internal
 *           speaker with the most talk time in Gong's speaker stats, else the primary user),
 *           has_deal, deal_id, deal_name, stage, amount, company_name, company_size (the deal
 *           as --deal-timing reads it; with several, the largest amount), outcome (won, lost,
 *           open, or NULL without a deal: see analysis.h), size_band (1-49, 50-199,
 *           200-999, 1000-4999, 5000+ employees, unknown, no deal), month (YYYY-MM), week
 *           (its Monday, YYYY-MM-DD; UTC), grp and grp_key (the group and its sort key).
 *   stage_outcomes(stage, outcome)   the closed stages named in the stages file.
 *   conv_speakers   transcript_speakers() of every scope call with a transcript.
 *   conv    one row per such call: rep_ms, cust_ms (talk), rep_questions, cust_questions,
 *           rep_longest_ms, cust_longest_ms (longest monologue and customer story), switches
 *           (side changes), rep_reply_ms and rep_replies (patience = their ratio), minutes
 *           (the call's duration, else its transcript's span), top_speaker_id, top_user_id,
 *           top_name, top_email (the internal speaker with the most talk time).
 *
 * scope_build() makes scope (and drops conv, conv_speakers of an earlier scope);
 * scope_group() sets grp and grp_key for one grouping, so the report regroups without
 * rebuilding; scope_conv() builds conv_speakers and conv once per scope: it reads every
 * transcript in scope through transcript_speakers(). */
#ifndef CALLMINE_SCOPE_H
#define CALLMINE_SCOPE_H

#include <sqlite3.h>

#include "err.h"
#include "filter.h"

/* The groupings of --by. */
#define SCOPE_BY_NAMES "rep|stage|month|week|outcome|company-size|call|all"

/* Build temp.scope for the calls f selects; needs temp.stage_outcomes (analysis_stages). */
int scope_build(sqlite3 *db, const struct filter *f, struct err *e);

/* Set scope.grp and scope.grp_key for the grouping by (one of SCOPE_BY_NAMES). ERR_USAGE
 * naming the choices for an unknown one. */
int scope_group(sqlite3 *db, const char *by, struct err *e);

/* 1 when by is one of SCOPE_BY_NAMES. */
int scope_by_valid(const char *by);

/* Build temp.conv_speakers and temp.conv unless they exist for this scope. */
int scope_conv(sqlite3 *db, struct err *e);

#endif
