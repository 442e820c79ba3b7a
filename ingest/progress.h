/* progress: what callmine-ingest tells the person watching, on stderr.
 *
 * On a terminal a one-line bar redrawn at most ten times a second: calls done of the
 * total, transcripts, requests per second and an ETA. Otherwise (a pipe, a log file, CI)
 * a plain log line every few seconds. --quiet silences both; messages still print. */
#ifndef CALLMINE_PROGRESS_H
#define CALLMINE_PROGRESS_H

#include <stdio.h>

struct progress_counts {
    long calls_done;      /* calls stored or confirmed unchanged this run */
    long calls_total;     /* Gong's totalRecords for the window, 0 when unknown */
    long transcripts;     /* transcripts stored this run */
    long transcripts_due; /* still to fetch */
    long requests;        /* HTTP requests sent this run */
};

struct progress;

/* mode: 2 bar, 1 log lines, 0 quiet. Never fails (falls back to quiet on OOM). */
struct progress *progress_new(int mode, FILE *out);
void progress_free(struct progress *p); /* NULL ok; ends the bar line */

/* Report new counts; redraws when due. */
void progress_update(struct progress *p, const struct progress_counts *c);

/* Print a message line (clears the bar first). Printed even in quiet mode when important. */
void progress_message(struct progress *p, int important, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Seconds since progress_new. */
double progress_elapsed(const struct progress *p);

/* Format seconds as 4m12s / 1h03m / 12s into out. */
void progress_format_duration(double s, char *out, size_t n);

#endif
