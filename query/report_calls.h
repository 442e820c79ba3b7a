/* report_calls: the report's lists of calls (report.c orders the page): each rep's latest
 * calls, the newest calls, and the calls run by someone other than their owner in Gong.
 * Each list is bounded and says how many calls it left out; every title links to the call
 * in Gong. */
#ifndef CALLMINE_REPORT_CALLS_H
#define CALLMINE_REPORT_CALLS_H

#include "report.h"

#define REPORT_CALLS_PER_REP 10 /* calls listed under each rep */
#define REPORT_CALLS_NEWEST 50  /* calls in the list of the newest */

/* Load the reps' labels, in the order of `analyze activity --by rep` (at most
 * RPAGE_MAX_ROWS), into r->reps. ERR_DB, ERR_NOMEM. */
int report_calls_load_reps(struct report *r, struct err *e);

/* The position of the rep labelled label in r->reps (the anchor rep-N of their list), or -1. */
int report_calls_rep_index(const struct report *r, const char *label);

/* The section "reps": per rep, their REPORT_CALLS_PER_REP latest calls and their total. */
int report_calls_reps(struct report *r, struct err *e);

/* The section "calls": the REPORT_CALLS_NEWEST newest calls in scope and their total. */
int report_calls_newest(struct report *r, struct err *e);

/* The calls handed off (analysis real-rep), folded under a summary that counts them all. */
int report_calls_handoffs(struct report *r, struct err *e);

#endif
