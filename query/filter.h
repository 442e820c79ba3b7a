/* filter: the FILTERS every callmine-query command takes, compiled into one SQL condition over
 * the `calls` table with named, bound parameters.
 *
 * A command parses its options with getopt_long, passing FILTER_LONG_OPTIONS in its table and
 * every option code it does not know to filter_option(). It then writes filter_sql() into
 * its own statement, where the table `calls` must be in scope under that very name (no
 * alias), prepares it and calls filter_bind(). User values are only ever bound, never
 * formatted into SQL; --where is the one raw SQL text, and it is the user's own (it runs on a
 * read-only, defensive connection).
 *
 * The condition reads the semantic layer (call_facts, deals.ord; schema version 2): the
 * call's rep and outcome come from call_facts as the connection sees it (with the stages
 * config, the TEMP VIEW that stages.h creates), and the deal terms from the call's deal, the
 * first Gong lists, in the snapshot --deal-timing names; so `calls`, every analysis and a
 * hand-written query over call_facts select the same calls. The connection must hold
 * temp.stage_outcomes (stages_apply() in stages.h creates it; cmd_open_db does so). */
#ifndef CALLMINE_FILTER_H
#define CALLMINE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"
#include "err.h"

enum {
    FILTER_OPT_FROM = 0x1000,
    FILTER_OPT_TO,
    FILTER_OPT_REP,
    FILTER_OPT_STAGE,
    FILTER_OPT_MIN_AMOUNT,
    FILTER_OPT_MAX_AMOUNT,
    FILTER_OPT_OWNER,
    FILTER_OPT_COMPANY_SIZE,
    FILTER_OPT_DEAL_TIMING,
    FILTER_OPT_WHERE,
    FILTER_OPT_OUTCOME,
    FILTER_OPT_PARTICIPANT,
    FILTER_OPT_END
};

/* Entries for a struct option table (getopt.h's required_argument is 1). */
#define FILTER_LONG_OPTIONS                                                                        \
    {"from", 1, NULL, FILTER_OPT_FROM}, {"to", 1, NULL, FILTER_OPT_TO},                            \
        {"rep", 1, NULL, FILTER_OPT_REP}, {"stage", 1, NULL, FILTER_OPT_STAGE},                    \
        {"min-amount", 1, NULL, FILTER_OPT_MIN_AMOUNT},                                            \
        {"max-amount", 1, NULL, FILTER_OPT_MAX_AMOUNT}, {"owner", 1, NULL, FILTER_OPT_OWNER},      \
        {"company-size", 1, NULL, FILTER_OPT_COMPANY_SIZE},                                        \
        {"deal-timing", 1, NULL, FILTER_OPT_DEAL_TIMING},                                          \
        {"outcome", 1, NULL, FILTER_OPT_OUTCOME},                                                  \
        {"participant", 1, NULL, FILTER_OPT_PARTICIPANT},                                          \
    {                                                                                              \
        "where", 1, NULL, FILTER_OPT_WHERE                                                         \
    }

/* Which CRM snapshot the deal terms read: Now (the deal as it stands, the default) or the
 * one taken at the call (TimeOfCall; a call without one is read through its Now snapshot). */
enum filter_timing { FILTER_TIMING_NOW, FILTER_TIMING_CALL };

/* Bits of struct filter.outcomes. */
enum { FILTER_WON = 1, FILTER_LOST = 2, FILTER_OPEN = 4 };

struct filter {
    int has_from, has_to;
    int64_t from_ms, to_ms; /* from inclusive, to exclusive */
    int64_t now_ms;         /* the instant relative WHEN forms count from (filter_init: now) */
    char *rep;              /* needle in simple case folding (casefold.h), or NULL */
    char *participant;      /* needle in simple case folding, or NULL */
    char **stages;          /* exact values, compared case-insensitively */
    size_t n_stages;
    int has_min_amount, has_max_amount;
    double min_amount, max_amount; /* inclusive */
    char *owner;                   /* in simple case folding, or NULL */
    int has_size;
    int64_t size_min, size_max; /* employees, inclusive; size_max < 0: no upper bound */
    int outcomes;               /* FILTER_WON | FILTER_LOST | FILTER_OPEN; 0: any */
    enum filter_timing timing;
    char *where; /* the --where conditions joined with AND, or NULL */
};

/* The help text on FILTERS that every command's --help prints. */
extern const char filter_help[];

/* Start with no filter (timing Now, now_ms the current time); filter_release frees. */
void filter_init(struct filter *f);
void filter_release(struct filter *f);

/* filter_option()'s answer for an option that is not a filter (not an ERR_* code). */
#define FILTER_PASS (-1)

/* Apply one parsed option. ERR_OK when done, ERR_USAGE (with a message naming the option
 * and the bad value) when arg is bad, FILTER_PASS when opt is not a filter option.
 * WHEN is YYYY-MM-DD (midnight UTC), a date-time with Z or an offset, Nd, Nw or Nm (N days,
 * weeks or calendar months before f->now_ms), today or yesterday (UTC midnights); amounts
 * are numbers with an optional k (thousand) or m (million) suffix: 50000, 50k, 1.5m. */
int filter_option(struct filter *f, int opt, const char *arg, struct err *e);

/* Whether any filter on the call's deal is set (stage, amounts, owner, company size). */
int filter_has_deal_terms(const struct filter *f);

/* Whether any filter is set (else filter_sql selects every call). */
int filter_is_set(const struct filter *f);

/* Append the condition over `calls` to b: "(1)" when no filter is set. Every term is a
 * non-correlated `calls.id IN (SELECT ...)` (or a comparison on calls' own columns), so
 * the plan stays linear in the mirror whatever the statistics. */
int filter_sql(const struct filter *f, struct buf *b, struct err *e);

/* Append the same condition as filter_sql, written over a row of call_facts named `cf`
 * instead of over `calls`: it selects the same calls (call_facts_stored holds one row per
 * call, equal to what call_facts_live computes from calls and deals), reading the stored
 * facts' own columns where they hold what a term compares (start, rep, the deal as it
 * stands, stage_at_call, amount_at_call, outcome) and non-correlated lists of call ids for
 * the rest (participants, company size and owner at the call, --where over calls), so one
 * pass over call_facts evaluates it. "(1)" when no filter is set.
 *
 * toc_fn, when not NULL, names an SQL function the caller registered on the connection:
 * toc_fn(call_id, deal_id) is 1 when a row of filter_facts_toc_sql's has that call id and
 * that deal id (NULL matching NULL, as IS compares), else 0. It then stands in for the list
 * of those rows (an index SQLite builds row by row, which a hash set read once beats). */
int filter_facts_sql(const struct filter *f, const char *toc_fn, struct buf *b, struct err *e);

/* Whether filter_facts_sql reads TimeOfCall rows by the terms call_facts does not keep at
 * the call (company size and owner, with --deal-timing call). */
int filter_facts_needs_toc(const struct filter *f);

/* Append a statement giving (call_id, deal_id) of every TimeOfCall row that meets the
 * company size and owner terms; its parameters are bound by filter_bind. */
int filter_facts_toc_sql(const struct filter *f, struct buf *b, struct err *e);

/* Append the condition that picks the deal rows of alias (a `deals` row, e.g. "d") that the
 * --deal-timing reads: with now, the Now rows; with call, the TimeOfCall rows, and the Now
 * rows of calls that have no TimeOfCall row. */
int filter_deal_rows(const struct filter *f, const char *alias, struct buf *b, struct err *e);

/* Append a scalar subquery over `calls` giving column col (a trusted identifier of deals,
 * or rowid) of the call's deal (the first Gong lists, deals.ord = 0, as call_facts reads
 * it) in the --deal-timing snapshot; NULL when the call has none. */
int filter_deal_column(const struct filter *f, const char *col, struct buf *b, struct err *e);

/* The SQL expression (over `calls`) naming the call's rep: call_facts.rep_name (the
 * internal speaker who talked most, else the primary user). */
extern const char filter_rep_expr[];

/* The SQL expression (over `calls`) naming the call's primary user (Gong's owner of the
 * call): the user's name in users, else that user's party name, else the first internal
 * party's name. Not the call's rep: see filter_rep_expr. */
extern const char filter_primary_expr[];

/* Bind the filter's parameters present in st (by name, :f_...). */
int filter_bind(const struct filter *f, sqlite3_stmt *st, struct err *e);

/* Check that --where compiles against db as one condition over calls. ERR_USAGE naming
 * SQLite's complaint otherwise. */
int filter_validate(const struct filter *f, sqlite3 *db, struct err *e);

#endif
