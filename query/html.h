/* html: the HTML pieces of `report`: escaping, query results held in memory, tables.
 *
 * Everything written is escaped for use both as element text and as a quoted attribute
 * value (& < > " ' become entities); invalid UTF-8 becomes U+FFFD and control characters
 * other than tab and newline become U+FFFD, so no text from the mirror can close a tag,
 * open a script, or break the page's encoding. Links are written only for http(s) URLs. */
#ifndef CALLMINE_HTML_H
#define CALLMINE_HTML_H

#include <stddef.h>

#include <sqlite3.h>

#include "buf.h"
#include "err.h"

struct html_val {
    int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT (blobs as text), SQLITE_NULL */
    double d; /* the number for INTEGER and FLOAT */
    char *s;  /* the text form (malloc'd, NUL-terminated); NULL for NULL */
};

/* A query's result: nrow rows of ncol values, row-major; more rows past a cap are only
 * counted, in more. */
struct html_rs {
    size_t ncol, nrow, cap, more;
    char **names;
    struct html_val *v;
};

/* Step st to the end into rs (initialised here; free with html_rs_free). ERR_DB with
 * SQLite's message on a failed step, ERR_NOMEM. */
int html_rs_load(struct html_rs *rs, sqlite3_stmt *st, struct err *e);

/* The same, keeping the first max rows, so a result of any length costs at most max rows of
 * memory. With count_rest, st is stepped to its end and rs->more counts the rows left out;
 * without, stepping stops after max rows and rs->more is 1 when there was another. */
int html_rs_load_max(struct html_rs *rs, sqlite3_stmt *st, size_t max, int count_rest,
                     struct err *e);
void html_rs_free(struct html_rs *rs); /* NULL fields ok */

/* The index of the column named name, or -1. */
int html_rs_col(const struct html_rs *rs, const char *name);

/* The value at row r, column c (c may be -1: a NULL value). */
const struct html_val *html_rs_at(const struct html_rs *rs, size_t r, int c);

/* The number at row r, column c, or NAN when NULL or not a number. */
double html_rs_num(const struct html_rs *rs, size_t r, int c);

/* Append s[0..n) escaped (see above). */
int html_escape(struct buf *b, const char *s, size_t n, struct err *e);
int html_escape_str(struct buf *b, const char *s, struct err *e); /* s may be NULL: nothing */

/* 1 when s is an http:// or https:// URL without white space or control characters. */
int html_url_ok(const char *s);

/* Append one value as table-cell text for a person, its unit read from the column's name:
 * shares (names ending in share, ratio, _low, _high, win_rate; in_band, coverage,
 * share_of_time) as 43% (one decimal under 10%), won_minus_lost and its interval as +8 pts,
 * durations in seconds (names ending in _s, patience aside) as m:ss or h:mm:ss, patience as
 * 0.8 s, amount as $1.2M, *_hours as 5.5 h, *_days as 2.0 days, integers with thousands
 * separators, other reals with at most 2 decimals; dates (html_is_date) as YYYY-MM-DD.
 * Never "-0" or "NaN": NULL, NaN and infinities are an empty cell. */
int html_value(struct buf *b, const char *col, const struct html_val *v, struct err *e);

/* A column's header for a person ("Talk ratio" for talk_ratio): a known column's label, else
 * the name with spaces for '_' and a capital first letter, written into out. */
const char *html_label(const char *col, char out[64]);

/* 1 when col holds a date or time shown as YYYY-MM-DD (never wrapped: class "d"). */
int html_is_date(const char *col);

/* Number formats of html_value, into out (32 bytes; "" for NaN): a share 0..1 as percent, seconds
 * as m:ss or h:mm:ss, an amount as $1.2M, a count with thousands separators. Return 0. */
int html_fmt_percent(double v, char out[32]);
int html_fmt_clock(double secs, char out[32]);
int html_fmt_money(double v, char out[32]);
int html_fmt_count(long long n, char out[32]);

/* Append rs as a <table> in a <div class="tw"> (which scrolls sideways when the table is too
 * wide), the columns in cols (NULL-terminated names; NULL: all) under their html_label
 * headers. A column named url is shown as a link "open in Gong"; text cells are isolated for
 * bidirectional text (<bdi>); numeric cells (class "n") are right-aligned, dates (class
 * "d") never wrap. */
int html_table(struct buf *b, const struct html_rs *rs, const char *const *cols, struct err *e);

/* The same with the column "group" headed group_label (NULL: "Group"). */
int html_table_as(struct buf *b, const struct html_rs *rs, const char *const *cols,
                  const char *group_label, struct err *e);

#endif
