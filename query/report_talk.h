/* report_talk: what was said, in the report: each --mention pattern (how often, by outcome
 * and by rep, won against lost, and example quotes linked to their calls in Gong), then
 * Gong's topics and trackers by outcome. */
#ifndef CALLMINE_REPORT_TALK_H
#define CALLMINE_REPORT_TALK_H

#include "report.h"

#define REPORT_TALK_QUOTES 4 /* example quotes per pattern */

/* Append the section "talk" (with its subsections mention-N, topics, trackers). */
int report_talk(struct report *r, struct err *e);

#endif
