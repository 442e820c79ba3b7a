/* analysis: the analyses of callmine-query (SQL files) and the tables they read.
 *
 * An analysis is one SQL file: the built-in ones from sql/analyses/ (embedded at build),
 * the user's from --analyses DIR, else $XDG_CONFIG_HOME/callmine/analyses/, else
 * ~/.config/callmine/analyses/ (a user file named like a built-in one replaces it). Its
 * leading comment block is its documentation:
 *
 *     -- NAME: the one-line definition that `analyze --list` shows
 *     --
 *     -- The full definition, as many lines as it takes.
 *     -- @by: rep            the grouping when --by is not given (default: rep)
 *     -- @args: PATTERN      the analysis needs a pattern argument (bound as :pattern)
 *     -- @when-by rep|call: rep, rep_email
 *                           these result columns apply only to these groupings
 *     -- @unless-by rep: reps
 *                           these result columns do not apply to these groupings
 *
 * `analyze` prints only the columns that apply to the grouping; the lines starting with @
 * are notes for the program, left out of `analyze NAME --help`.
 * (`-- @needs: conv`, which older versions needed before reading temp.conv, is accepted and
 * ignored: conv is now a view over call_metrics, see scope.h.)
 * The file may hold several statements; all run in order and the last one's rows are the
 * result: one row per group, starting with the columns "group" and calls. Parameters bound
 * by name where a statement has them: :pattern, :flags ('i' with -i, else ''), :speaker
 * ('rep', 'customer' or 'all'), :by (the grouping's name). Before an analysis with @args
 * runs, the pattern's hits per call are in temp.mention_hits for (:pattern, :flags,
 * :speaker), found by grep's own engine (mention_scan.h, scope.h).
 *
 * The tables and views an analysis reads (scope, stage_outcomes, and for older user files
 * conv and conv_speakers) are described in scope.h; per-call measures come from the
 * mirror's call_metrics and call_facts (sql/002-semantic.sql), joined on call_id.
 *
 * Outcome: the deal's Now stage (none without a Now deal), whatever --deal-timing says. A
 * stage named in the stages file takes the outcome given there;
 * otherwise a stage that reads "closedwon" or "closedlost" once lowercased and stripped of
 * spaces, '_' and '-' is won or lost ("Closed Won", "closed_lost"); anything else is open.
 * The stages file (--stages FILE, else $XDG_CONFIG_HOME/callmine/stages.conf, else
 * ~/.config/callmine/stages.conf when it exists) has lines `won = STAGE, STAGE`,
 * `lost = STAGE, ...` or `open = STAGE, ...`, stages compared ignoring case; '#' starts a
 * comment. */
#ifndef CALLMINE_ANALYSIS_H
#define CALLMINE_ANALYSIS_H

#include <stddef.h>

#include <sqlite3.h>

#include "err.h"
#include "filter.h"

#define ANALYSIS_MAX_FILE ((size_t)1 << 20) /* bytes of one user analysis file */

struct analysis {
    char *name;    /* NAME: [a-z0-9_-]+ */
    char *summary; /* the one-line definition */
    char *text;    /* the SQL */
    char *by;      /* the default grouping */
    int needs_pattern;
    char *origin; /* "built-in" or the file's path */
    size_t n_rules;
    struct analysis_rule {
        int when;   /* 1: @when-by, 0: @unless-by */
        char *bys;  /* groupings separated by '|' */
        char *cols; /* column names separated by ',' */
    } rules[8];
};

struct analysis_set {
    struct analysis *a; /* sorted by name */
    size_t n;
};

/* The groupings of --by, as accepted by analysis_group(). */
/* Load the built-in analyses and the user's (from dir, or the default folder when dir is
 * NULL; a missing default folder is no error). ERR_USAGE for a bad user file (named), ERR_IO
 * for an unreadable dir. The set is released with analysis_set_release. */
int analysis_set_load(struct analysis_set *set, const char *dir, struct err *e);
void analysis_set_release(struct analysis_set *set);
const struct analysis *analysis_find(const struct analysis_set *set, const char *name);

/* Parse an analysis' header comment into a (its text copied). ERR_USAGE naming name when the
 * first line is not a comment. */
int analysis_parse(const char *name, const char *text, const char *origin, struct analysis *a,
                   struct err *e);
void analysis_release(struct analysis *a);

/* 1 when the result column col of a applies to the grouping by (see @when-by and
 * @unless-by above), else 0. */
int analysis_column_applies(const struct analysis *a, const char *col, const char *by);

/* Apply the stages file path (stages_apply in stages.h) when it is not NULL; when it is, the
 * default file that cmd_open_db applied stays. ERR_USAGE for a missing or bad file. */
int analysis_stages(sqlite3 *db, const char *path, struct err *e);

struct analysis_params {
    const char *pattern; /* NULL when none */
    const char *flags;   /* "i" or "" */
    const char *speaker; /* "rep", "customer" or "all" */
    const char *by;
    size_t *corrupt; /* NULL, or add the transcripts the pattern scan skipped as corrupt */
};

/* For an analysis with @args and a pattern, fill temp.mention_hits (mention_scan_fill) when
 * it does not hold the pattern yet; then run every statement of a but the last, and prepare
 * and bind the last into *last for the caller to step and finalize. ERR_DB naming the
 * analysis on failure (*last NULL), ERR_USAGE for a bad pattern. */
int analysis_run(sqlite3 *db, const struct analysis *a, const struct analysis_params *p,
                 sqlite3_stmt **last, struct err *e);

#endif
