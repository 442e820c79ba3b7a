/* rpage: the building blocks the sections of the report share (report.c, report_talk.c):
 * appending escaped text, running an analysis over the report's scope into memory, tables
 * and bar charts of its rows, section headings, and a few prepared queries.
 *
 * Every function appends to r->h and returns ERR_OK or an error code with e set (ERR_DB
 * naming what failed, ERR_NOMEM); nothing is printed. */
#ifndef CALLMINE_RPAGE_H
#define CALLMINE_RPAGE_H

#include <stddef.h>
#include <time.h>

#include <sqlite3.h>

#include "html.h"
#include "report.h"
#include "svg.h"

#define RPAGE_MAX_ROWS 200 /* rows of one table; more are counted, not shown */
#define RPAGE_MAX_BARS 40  /* groups in one chart; more are listed in the table only */

int rpage_put(struct report *r, const char *s, struct err *e);
int rpage_text(struct report *r, const char *s, struct err *e); /* escaped; NULL: nothing */

/* Prepare sql on the report's connection. ERR_DB with SQLite's message. */
int rpage_prepare(struct report *r, const char *sql, sqlite3_stmt **st, struct err *e);

/* Run the analysis name of set over db's scope regrouped by p->by, into rs: its first max
 * rows, the rest counted in rs->more when count_rest (else rs->more is 1 when there was one).
 * ERR_USAGE when set has no such analysis, ERR_DB naming it. The one runner of both the
 * report's threads (rpage_run, report_pre.c). */
int rpage_analysis(sqlite3 *db, const struct analysis_set *set, const char *name,
                   const struct analysis_params *p, size_t max, int count_rest, struct html_rs *rs,
                   struct err *e);

/* Run the analysis name grouped by by (with pattern for the pattern analyses) into rs: its
 * first max rows, the rest counted in rs->more (see html_rs_load_max). ERR_USAGE when the
 * analysis is missing, ERR_DB naming it. rs is initialised here; free it with html_rs_free. */
int rpage_run(struct report *r, const char *name, const char *by, const char *pattern, size_t max,
              struct html_rs *rs, struct err *e);

/* The same without counting the rows past max (rs->more is 1 when there was one): for an
 * analysis whose rows are costly (real-rep --by call reads a transcript per row). */
int rpage_run_head(struct report *r, const char *name, const char *by, size_t max,
                   struct html_rs *rs, struct err *e);

/* rs as a table of cols (NULL: all; headers and units by html.h, the column "group" headed
 * group_label, NULL: "Group"), then how many rows it left out. */
int rpage_table(struct report *r, const struct html_rs *rs, const char *const *cols,
                const char *group_label, struct err *e);

/* An <h2 id="id"> heading, and under it the definition line def (NULL: none). */
int rpage_section(struct report *r, const char *id, const char *heading, const char *def,
                  struct err *e);

/* Horizontal bars of columns cols[0..c->n_series) of rs, one bar per row (at most
 * RPAGE_MAX_BARS), labelled by its column label_col. */
int rpage_bars(struct report *r, const struct html_rs *rs, const char *label_col,
               struct svg_chart *c, const char *const *cols, struct err *e);

/* Drop the rows of rs whose column col is NULL, not a number, or not above 0. */
void rpage_keep(struct html_rs *rs, const char *col);

/* A measuring aid: when the environment sets CALLMINE_REPORT_TIMES, print on stderr the wall
 * and CPU seconds (this thread's) spent since the previous mark (the first mark starts the
 * clock), labelled what; otherwise nothing. rpage_run marks each analysis it runs, or waits
 * for ("(ahead)": run on report_pre's thread). */
void rpage_mark(const char *what);

/* The clock's time in seconds (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID): for the marks. */
double rpage_clock(clockid_t clock);

#endif
