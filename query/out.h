/* out: the result writers of callmine-query and the text helpers the commands share.
 *
 * A writer takes rows of typed cells (SQLite's types) and prints them in one of six formats:
 * an aligned table (rows are buffered up to a limit to size the columns, then streamed),
 * RFC 4180 CSV, TSV (\t \n \r \\ escaped, NULL as \N), a JSON array, JSON lines, or a
 * Markdown table. JSON strings are quoted by text_json_string (text.h) for any input: control
 * characters become \u00XX and invalid UTF-8 becomes U+FFFD, so raw invalid bytes never reach
 * JSON. In the table and
 * Markdown formats NULL is shown as NULL and control characters as visible escapes, so
 * untrusted text cannot drive the terminal. */
#ifndef CALLMINE_OUT_H
#define CALLMINE_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "buf.h"
#include "err.h"

enum out_format { OUT_TABLE, OUT_CSV, OUT_TSV, OUT_JSON, OUT_JSONL, OUT_MARKDOWN };

#define OUT_FORMATS "table|csv|tsv|json|jsonl|markdown"
#define OUT_TRUNCATE 0x1           /* table: fit the terminal's width (out_term_width) */
#define OUT_TABLE_BUFFER_ROWS 1000 /* rows that size a table's columns before it streams */

/* One cell: type is SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL.
 * s/n are borrowed for the call to out_row (text: UTF-8, not necessarily valid). */
struct out_cell {
    int type;
    int64_t i;
    double d;
    const char *s;
    size_t n;
};

struct out;

/* Parse a --format value. ERR_USAGE naming the formats when s is not one of them. */
int out_parse_format(const char *s, enum out_format *f, struct err *e);

/* A writer to fp (borrowed). flags: OUT_TRUNCATE, for a table on a terminal: fit the width
 * out_term_width(fileno(fp)) gives by cutting the widest free-text columns with an ellipsis,
 * moving identifier and URL columns (id, *_id, *url*) other than the first to a line under
 * each row rather than cutting them, and printing each row as a record ("name  value" lines)
 * when even that does not fit. NULL on out of memory. */
struct out *out_new(FILE *fp, enum out_format f, int flags);
void out_free(struct out *o); /* NULL ok; does not flush: call out_end first */

/* Start a result with n columns named names[] (copied). */
int out_begin(struct out *o, size_t n, const char *const *names, struct err *e);
/* Write one row of n cells (as many as out_begin named). ERR_IO when the output fails. */
int out_row(struct out *o, const struct out_cell *cells, struct err *e);
/* Finish the result: flush a buffered table, close a JSON array. */
int out_end(struct out *o, struct err *e);

/* Step st to the end writing every row (columns named by SQLite); *rows counts them (may be
 * NULL). ERR_DB with SQLite's message on a failed step. */
int out_stmt(struct out *o, sqlite3_stmt *st, size_t *rows, struct err *e);

/* The cell of column col of the current row of st (borrowed until the next step). */
void out_cell_from_stmt(sqlite3_stmt *st, int col, struct out_cell *c);

/* Append a cell as a JSON value (null, number, string quoted by text_json_string; blobs as
 * "x'HEX'"). */
int out_json_cell(struct buf *b, const struct out_cell *c, struct err *e);

/* Format a double as the shortest text that reads back to the same value, with ".0" when it
 * would look like an integer (as SQLite prints REALs). out needs 32 bytes. */
void out_format_double(double d, char out[32]);

/* The plain text of a number cell (SQLITE_INTEGER as "%lld", SQLITE_FLOAT as
 * out_format_double), as SQLite's own text of the value. out needs 32 bytes. */
void out_number_text(const struct out_cell *c, char out[32]);

/* Append s[0..n) for a terminal: invalid UTF-8 becomes U+FFFD, C0/C1 control characters
 * and DEL become visible escapes (\n, \t, \r, \xNN, \u0085). */
int out_safe_text(struct buf *b, const char *s, size_t n, struct err *e);

/* Milliseconds as mm:ss (minutes may exceed 59): "07:05", "75:00". out needs 24 bytes. */
void out_mmss(int64_t ms, char out[24]);

/* Whether to colour output on fd: mode "always", "never", or "auto"/NULL (a terminal, and the
 * NO_COLOR environment variable unset or empty). */
int out_want_color(int fd, const char *mode);

/* The width of the terminal on fd in columns: $COLUMNS when it is a positive number, else the
 * terminal's own (TIOCGWINSZ), else 80. */
int out_term_width(int fd);

/* Write b's contents to fp and reset b. ERR_IO when fp fails. */
int out_flush_buf(FILE *fp, struct buf *b, struct err *e);

#endif
