/* filter: the FILTERS every callmine-query command takes, compiled into one SQL condition over
 * the `calls` table with named, bound parameters.
 *
 * A command parses its options with getopt_long, passing FILTER_LONG_OPTIONS in its table and
 * every option code it does not know to filter_option(). It then writes filter_sql() into
 * its own statement, where the table `calls` must be in scope under that very name (no
 * alias), prepares it and calls filter_bind(). User values are only ever bound, never
 * formatted into SQL; --where is the one raw SQL text, and it is the user's own (it runs on a
 * read-only, defensive connection). */
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
    {                                                                                              \
        "where", 1, NULL, FILTER_OPT_WHERE                                                         \
    }

enum filter_timing { FILTER_TIMING_CALL, FILTER_TIMING_NOW };

struct filter {
    int has_from, has_to;
    int64_t from_ms, to_ms; /* from inclusive, to exclusive */
    char *rep;              /* lowercase (ASCII) needle, or NULL */
    char **stages;          /* exact values, compared case-insensitively */
    size_t n_stages;
    int has_min_amount, has_max_amount;
    double min_amount, max_amount; /* inclusive */
    char *owner;                   /* lowercase (ASCII), or NULL */
    int has_size;
    int64_t size_min, size_max; /* employees, inclusive; size_max < 0: no upper bound */
    enum filter_timing timing;
    char *where; /* the --where conditions joined with AND, or NULL */
};

/* The help text on FILTERS that every command's --help prints. */
extern const char filter_help[];

void filter_init(struct filter *f);
void filter_release(struct filter *f);

/* filter_option()'s answer for an option that is not a filter (not an ERR_* code). */
#define FILTER_PASS (-1)

/* Apply one parsed option. ERR_OK when done, ERR_USAGE (with a message naming the option)
 * when arg is bad, FILTER_PASS when opt is not a filter option. */
int filter_option(struct filter *f, int opt, const char *arg, struct err *e);

/* Whether any filter on deals is set (stage, amounts, owner, company size). */
int filter_has_deal_terms(const struct filter *f);

/* Append the condition over `calls` to b: "1" when no filter is set. */
int filter_sql(const struct filter *f, struct buf *b, struct err *e);

/* Append the condition that picks the deal rows of alias (a `deals` row, e.g. "d") that the
 * --deal-timing reads: TimeOfCall, else Now for calls with no TimeOfCall row; or Now. */
int filter_deal_rows(const struct filter *f, const char *alias, struct buf *b, struct err *e);

/* Append a scalar subquery giving column col (a trusted identifier) of the call's deal as
 * --deal-timing reads it; with several deals, the largest amount first, then deal_id. */
int filter_deal_column(const struct filter *f, const char *col, struct buf *b, struct err *e);

/* The SQL expression (over `calls`) naming the call's rep: the primary user's name in users,
 * else that user's party name, else the first internal party's name. */
extern const char filter_rep_expr[];

/* Bind the filter's parameters present in st (by name, :f_...). */
int filter_bind(const struct filter *f, sqlite3_stmt *st, struct err *e);

/* Check that --where compiles against db as one condition over calls. ERR_USAGE naming
 * SQLite's complaint otherwise. */
int filter_validate(const struct filter *f, sqlite3 *db, struct err *e);

#endif
