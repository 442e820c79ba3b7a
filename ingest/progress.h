/* progress: what callmine-ingest tells the person watching, on stderr.
 *
 * On a terminal a one-line bar redrawn at most ten times a second, never wider than the
 * terminal (it follows SIGWINCH): in the calls phase the window's calls stored of Gong's
 * total, transcripts, requests per second and an ETA; in the transcript phase that
 * follows, transcripts asked for of those due. The ETA is the requests the run still needs
 * divided by this run's own request rate (the pace the server and --rate allow), so a
 * resumed run's ETA is its own and the transcript phase has its own. Messages print above the bar
 * (the bar is cleared, the message printed, the bar redrawn). Otherwise (a pipe, a log file, CI) a
 * plain log line every few seconds. --quiet silences both; important messages still print. */
#ifndef CALLMINE_PROGRESS_H
#define CALLMINE_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

enum progress_phase {
    PROGRESS_CALLS,      /* extensive pages (transcripts fetched in between) */
    PROGRESS_TRANSCRIPTS /* the transcripts still due once every page is stored */
};

struct progress_counts {
    enum progress_phase phase;
    long calls_done;       /* the window's calls stored, by this and earlier runs */
    long calls_total;      /* Gong's totalRecords for the window, 0 when unknown */
    long transcripts;      /* transcripts stored this run */
    long transcripts_done; /* transcripts asked for this run (stored, or not ready yet) */
    long transcripts_due;  /* still to ask for */
    long requests;         /* HTTP requests sent this run */
    long requests_left;    /* the requests the run still needs (sync.c's estimate); -1 unknown */
};

struct progress;

/* mode: 2 bar, 1 log lines, 0 quiet. Never fails (falls back to quiet on OOM). */
struct progress *progress_new(int mode, FILE *out);
void progress_free(struct progress *p); /* NULL ok; ends the bar line */

/* Report new counts; redraws when due (and at once after a resize). */
void progress_update(struct progress *p, const struct progress_counts *c);

/* Print a message line above the bar. Printed even in quiet mode when important. */
void progress_message(struct progress *p, int important, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A verbose log line (no newline) printed above the bar; for gong.c's log callback. */
void progress_log(void *p, const char *line);

/* Seconds since progress_new. */
double progress_elapsed(const struct progress *p);

/* Format seconds as 4m12s / 1h03m / 12s into out. */
void progress_format_duration(double s, char *out, size_t n);

/* The bar's text for counts c, rate rps (requests/s) and eta (text), fitted to a terminal
 * of cols columns: at most cols - 1 characters (so it never wraps), dropping the rate,
 * the transcript count and the bar itself, in that order, when room runs out. ASCII. */
void progress_format_bar(const struct progress_counts *c, double rps, const char *eta, int cols,
                         char *out, size_t n);

#endif
