/* progress: the progress bar and log lines of callmine-ingest (see progress.h). */
#include "progress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h"

struct progress {
    int mode; /* 2 bar, 1 log, 0 quiet */
    FILE *out;
    double start;  /* monotonic seconds */
    double last;   /* last redraw */
    int bar_shown; /* a bar is on the current line */
    struct progress_counts c;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress *progress_new(int mode, FILE *out)
{
    static struct progress quiet; /* fallback when out of memory */
    struct progress *p = calloc(1, sizeof *p);

    if (!p) {
        quiet.mode = 0;
        quiet.out = out;
        return &quiet;
    }
    p->mode = mode;
    p->out = out;
    p->start = now_s();
    return p;
}

void progress_format_duration(double s, char *out, size_t n)
{
    long t = s < 0 ? 0 : (long)(s + 0.5);

    if (t >= 3600)
        snprintf(out, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(out, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, n, "%lds", t);
}

double progress_elapsed(const struct progress *p)
{
    return now_s() - p->start;
}

static void clear_bar(struct progress *p)
{
    if (p->bar_shown) {
        fputs("\r\033[K", p->out);
        p->bar_shown = 0;
    }
}

static void draw(struct progress *p, double t)
{
    const struct progress_counts *c = &p->c;
    double el = t - p->start, rps = el > 0 ? (double)c->requests / el : 0;
    char eta[32] = "?", elapsed[32];

    progress_format_duration(el, elapsed, sizeof elapsed);
    if (c->calls_total > 0 && c->calls_done > 0 && c->calls_done <= c->calls_total)
        progress_format_duration(
            el * (double)(c->calls_total - c->calls_done) / (double)c->calls_done, eta, sizeof eta);
    if (p->mode == 2) {
        char bar[31];
        int fill =
            c->calls_total > 0 ? (int)(30.0 * (double)c->calls_done / (double)c->calls_total) : 0;

        if (fill > 30)
            fill = 30;
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(30 - fill));
        bar[30] = '\0';
        fprintf(p->out, "\r\033[K[%s] %ld/%ld calls  %ld transcripts  %.1f req/s  ETA %s", bar,
                c->calls_done, c->calls_total, c->transcripts, rps, eta);
        p->bar_shown = 1;
    } else {
        fprintf(p->out,
                "callmine-ingest: %ld/%ld calls, %ld transcripts (%ld to go), %ld requests, "
                "%.1f req/s, %s elapsed, ETA %s\n",
                c->calls_done, c->calls_total, c->transcripts, c->transcripts_due, c->requests, rps,
                elapsed, eta);
    }
    fflush(p->out);
}

void progress_update(struct progress *p, const struct progress_counts *c)
{
    double t = now_s();

    p->c = *c;
    if (p->mode == 0)
        return;
    if (t - p->last < (p->mode == 2 ? 0.1 : 5.0))
        return;
    p->last = t;
    draw(p, t);
}

void progress_message(struct progress *p, int important, const char *fmt, ...)
{
    va_list ap;

    if (p->mode == 0 && !important)
        return;
    clear_bar(p);
    fputs("callmine-ingest: ", p->out);
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    fflush(p->out);
    if (p->mode == 2)
        p->last = 0; /* redraw the bar at the next update */
}

void progress_free(struct progress *p)
{
    if (!p)
        return;
    if (p->mode == 2 && p->bar_shown) {
        draw(p, now_s());
        fputc('\n', p->out);
    }
    if (p->start > 0) /* the static quiet fallback (start 0) is not heap memory */
        free(p);
}
