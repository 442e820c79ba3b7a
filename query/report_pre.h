/* report_pre: some of the report's analyses run ahead on a second thread, with a second
 * read-only connection to the mirror, while the first thread builds the scope's table and
 * runs the rest (the machine's second core; `grep` uses it the same way, grep_scan.h).
 *
 * The second connection builds its own scope for the same filter, as the first does
 * (scope_build, scope_materialize: a TEMP table in a file of its own), and runs each job in
 * order, keeping each result (html_rs) until the page asks for it: the result the first
 * connection would compute, by the same code (rpage_analysis) over the same calls. rpage.c
 * asks here first (report_pre_take) and runs an analysis itself when it is not one of the
 * jobs. The scope is built twice (about 0.7 s more CPU at 100,000 calls), for a page that
 * takes the time of the longer of the two threads instead of their sum.
 *
 * A failure on the second thread is handed back, with its message, to whichever call takes
 * the job it stopped at, so the page fails as it would have without the thread. */
#ifndef CALLMINE_REPORT_PRE_H
#define CALLMINE_REPORT_PRE_H

#include <pthread.h>
#include <stddef.h>

#include "analysis.h"
#include "cmd.h"
#include "filter.h"
#include "html.h"

#define REPORT_PRE_MAX_JOBS 10

/* One analysis run ahead: its name, grouping, row cap (as rpage_run's max, the rows past it
 * counted) and, once done, its result or failure. */
struct report_pre_job {
    const char *name, *by;
    size_t max;
    int done, taken, rc;
    struct html_rs rs;
    struct err e;
};

struct report_pre {
    pthread_t tid;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;    /* the page no longer needs the results: stop after the current job */
    sqlite3 *db; /* the second connection while it is open (for sqlite3_interrupt) */
    const struct cmd_ctx *c;
    const struct filter *f;
    const char *stages;
    const struct analysis_set *set;
    const char *flags, *speaker; /* the parameters :flags and :speaker, as rpage_run binds */
    struct report_pre_job jobs[REPORT_PRE_MAX_JOBS];
    size_t n_jobs;
    double wall, cpu; /* the thread's seconds, for CALLMINE_REPORT_TIMES */
};

/* Start the thread on jobs n_jobs (name, by, max each), over the calls f selects, with the
 * mirror c names, the stages file stages (NULL: the default), the analyses of set and the
 * parameters flags and speaker. c, f, set and the strings are borrowed until report_pre_end.
 * p is initialised here. ERR_NOMEM, or ERR_IO when no thread could be started. */
int report_pre_start(struct report_pre *p, const struct cmd_ctx *c, const struct filter *f,
                     const char *stages, const struct analysis_set *set, const char *flags,
                     const char *speaker, const struct report_pre_job *jobs, size_t n_jobs,
                     struct err *e);

/* When name by with max is one of p's jobs not taken yet: wait for it, move its result into
 * rs (or its failure into *rc and e) and return 1. Else 0: the caller runs it. p may be
 * NULL or not started. */
int report_pre_take(struct report_pre *p, const char *name, const char *by, size_t max,
                    struct html_rs *rs, int *rc, struct err *e);

/* Stop the thread (interrupting its query), wait for it, and free the results not taken.
 * Safe on a p never started. */
void report_pre_end(struct report_pre *p);

#endif
