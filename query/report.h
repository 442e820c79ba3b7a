/* report: the HTML page of `callmine-query report` (see report.c for what it shows).
 *
 * The caller opens the mirror, builds temp.scope (scope.h) and loads the analyses; the page
 * is then appended to r->h in one go, for the caller to write out. */
#ifndef CALLMINE_REPORT_H
#define CALLMINE_REPORT_H

#include <stddef.h>

#include <sqlite3.h>

#include "analysis.h"
#include "buf.h"
#include "err.h"
#include "html.h"

struct report_pre;

struct report {
    sqlite3 *db;                    /* read-only, with temp.scope built */
    const struct analysis_set *set; /* the analyses the page runs (borrowed) */
    const char *title;              /* the page title (UTF-8) */
    const char *filters;            /* the filter options as given, for display; "" none */
    const char *const *mentions;    /* patterns to chart by outcome (borrowed) */
    size_t n_mentions;
    int caseless;        /* match the patterns ignoring case */
    const char *speaker; /* rep, customer or all */
    struct buf h;        /* the page, appended to */
    long long n_calls;   /* the calls in scope (set by report_page) */
    char **reps;         /* the reps' labels, in the page's order (report_calls.h) */
    size_t n_reps;
    struct html_rs act_rep; /* activity by rep, run once for the three sections that show it */
    struct report_pre *pre; /* analyses run ahead on a second thread (report_pre.h), or NULL */
};

/* Append the whole page to r->h. ERR_DB naming the analysis that failed, ERR_NOMEM. */
int report_page(struct report *r, struct err *e);

/* Free what report_page allocated in r (not r->h). */
void report_release(struct report *r);

#endif
