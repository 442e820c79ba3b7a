/* scope: the calls an analysis or the report reads, as TEMP objects on the read-only
 * connection, over the semantic layer (sql/002-semantic.sql: call_facts, call_metrics).
 *
 * The only thing copied is the list of calls the FILTERS select: temp.scope_ids, one row
 * per call (its id, the calls table's rowid and three small columns of the calls row), kept
 * in a temporary file (temp_store FILE), never in memory. Everything else is read from the
 * mirror through views, row by row, as a query streams: no transcript is inflated (the
 * per-call conversation measures are call_metrics' columns, computed when the transcript
 * was stored). Only the pattern analyses read text, through grep's n-gram filter and scan
 * (mention_scan.h) into temp.mention_hits.
 *
 *   scope   a TEMP VIEW, one row per call in scope:
 *           call_id, title, url, started, duration (seconds), is_private
 *           external       1: Gong's scope is External or a party is External
 *           has_transcript 1: a transcript with at least one sentence (call_facts)
 *           rep_id, rep_name, rep_email, rep_source
 *                          the call's rep, exactly call_facts' (the internal speaker with the
 *                          most talk in the transcript, else the primary user)
 *           rep_key        the rep as one person: rep_id, else the name (for counting people)
 *           rep_label      the rep's name, with " <e-mail>" added when two Gong users share
 *                          that name; '(unknown)' without a rep. --by rep groups by it
 *           rep_user_id, rep, primary_rep
 *                          older names kept for user analyses: rep_id, rep_name, and the
 *                          primary user's name (users, else the call's party of that user)
 *           primary_user_id
 *           has_deal, deal_id, deal_name, stage, amount, company_name, company_size
 *                          the call's deal (the first Gong lists, deals.ord = 0) as
 *                          --deal-timing reads it: now (default) the Now snapshot; call the
 *                          TimeOfCall snapshot, or the Now one for a call without any
 *           owner, owner_name, close_date
 *                          of the deal as it stands now (call_facts)
 *           outcome        won, lost, open, or NULL without a Now deal: the Now stage,
 *                          whatever --deal-timing says, through the stages file (analysis.h)
 *           size_band      1-49, 50-199, 200-999, 1000-4999, 5000+ employees, unknown, no deal
 *           month (YYYY-MM), week (its Monday, YYYY-MM-DD; UTC)
 *           discovery      1: a discovery call: Gong's purpose says Discovery, or the title
 *                          names a discovery or an intro call (the questions band is for these)
 *           has_metrics, sentences, rep_talk_ms, customer_talk_ms, rep_questions,
 *           customer_questions, rep_longest_ms, customer_longest_ms, switches, rep_replies,
 *           rep_reply_ms, first_ms, last_ms
 *                          the call's call_metrics row (NULL without a transcript)
 *           gong_questions, gong_talk_ratio, gong_longest_monologue_s, gong_longest_story_s,
 *           gong_patience_s, gong_interactivity
 *                          Gong's own stats for the call (calls.questions_company and
 *                          interaction_stats), where the mirror has them
 *           grp, grp_key   the group of the current grouping and its sort key
 *   scope_ids(call_id, rid, primary_user_id, discovery, gong_questions)
 *                          the calls in scope by id (rid: calls.rowid), with the columns of
 *                          the calls row the scope reads beside call_facts
 *   scope_calls            scope without grp and grp_key (a view over the mirror, or over
 *                          temp.scope_rows after scope_materialize)
 *   scope_base             scope_calls without Gong's stats (which the view looks up per
 *                          call)
 *   mention_hits(pattern, flags, speaker, call_id, hits)
 *                          the hits of a pattern per call, one row per call with at least one
 *                          hit (`grep -c`'s lines): filled by grep's engine (mention_scan.h)
 *                          before an analysis with a PATTERN runs, and read by the next ones
 *                          (the report breaks one pattern down four ways from one scan); a
 *                          call in scope without a row has no hit. Join it with
 *                          LEFT JOIN ... ifnull(h.hits, 0) over the calls with has_transcript
 *   mention_scans(pattern, flags, speaker)   the keys mention_hits holds
 *   scope_people(id, name, email, label)   Gong users with their labels
 *   stage_outcomes(stage, outcome)   the closed stages named in the stages file
 *   conv    a TEMP VIEW kept for user analyses written for older callmine (`@needs: conv` is
 *           accepted and ignored): one row per call in scope with a non-empty transcript,
 *           call_metrics under the old names: rep_ms, cust_ms, other_ms, rep_questions,
 *           cust_questions, rep_longest_ms, cust_longest_ms, switches, rep_reply_ms,
 *           rep_replies, first_ms, last_ms, minutes, top_speaker_id, top_user_id, top_name,
 *           top_email
 *   conv_speakers   a TEMP VIEW, transcript_speakers() of every call in scope with a
 *           transcript: it inflates each transcript when read (no built-in analysis does)
 *
 * An analysis reads the measures from scope's columns, or joins call_metrics (m.call_id =
 * s.call_id) or call_facts for anything else.
 * scope_build() makes them for one filter; scope_group() re-creates scope for one grouping,
 * so the report regroups without reading the filter again. */
#ifndef CALLMINE_SCOPE_H
#define CALLMINE_SCOPE_H

#include <sqlite3.h>

#include "err.h"
#include "filter.h"

/* The groupings of --by. */
#define SCOPE_BY_NAMES "rep|stage|month|week|outcome|company-size|call|all"

/* Set the connection up for scope queries, before any TEMP object is made: temporary
 * tables and sorts in files (temp_store FILE), the mirror read with pread rather than a
 * memory mapping (every mapped page touched stays in the resident set) through a page cache
 * of at most 32 MB. ERR_DB. */
int scope_connect(sqlite3 *db, struct err *e);

/* Build the scope for the calls f selects (grouped by 'all'); needs temp.stage_outcomes
 * (analysis_stages). With --deal-timing call and deals, the view joins each call's deal rows
 * once; without deals, each deal column (has_deal .. size_band) is a lookup of its own, made
 * only when read: the same values, cheaper for a question that reads no deal column, dearer
 * for one that reads several (scope_reads_deals tells them apart). In the Now timing every
 * deal column is call_facts', joined on its key either way. temp_store FILE is set by
 * cmd_open_db. ERR_DB with SQLite's message on failure. */
int scope_build(sqlite3 *db, const struct filter *f, int deals, struct err *e);

/* 1 when the SQL text sql (its comments left out) names a deal column of the scope, or the
 * grouping by reads one (stage, outcome, company-size); else 0. A guess of cost only: the
 * scope has every column either way. */
int scope_reads_deals(const char *sql, const char *by);

/* Compute the columns of the scope once into the TEMP table temp.scope_rows (in a file,
 * like every TEMP object here: temp_store FILE), for a caller that reads the scope many
 * times (the report); scope_calls then becomes a view over that table with every column in
 * its place, reading back the few left out of it (title, url, owner and close_date from
 * call_facts when read; the rest from the table's columns). With lazy_stats, Gong's stats
 * are left out too and looked up when read (for a caller whose passes read none).
 * ERR_DB on failure. */
int scope_materialize(sqlite3 *db, int lazy_stats, struct err *e);

/* Re-create temp.scope with grp and grp_key for the grouping by (one of SCOPE_BY_NAMES).
 * ERR_USAGE naming the choices for an unknown one. */
int scope_group(sqlite3 *db, const char *by, struct err *e);

/* 1 when by is one of SCOPE_BY_NAMES. */
int scope_by_valid(const char *by);

#endif
