/* progress: the progress bar and log lines of callmine-ingest (see progress.h). */
#include "progress.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define BAR_MAX 40   /* widest bar, brackets excluded */
#define BAR_MIN 8    /* narrower than this and the bar is left out */
#define LINE_MAX 512 /* longest line drawn, whatever the terminal's width */

struct progress {
    int mode; /* 2 bar, 1 log, 0 quiet */
    FILE *out;
    double start;  /* monotonic seconds */
    double last;   /* last redraw */
    int bar_shown; /* a bar is on the current line */
    int cols;      /* the terminal's width */
    int started;   /* the first counts arrived */
    int drawn;     /* columns of the bar last drawn */
    struct progress_counts c;
    struct sigaction old_winch;
};

static volatile sig_atomic_t resized;

/* The verbose HTTP lines come from the fetch thread (fetcher.h): drawing is serialised. */
static pthread_mutex_t draw_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_winch(int sig)
{
    (void)sig;
    resized = 1;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int term_cols(FILE *out)
{
    struct winsize ws;
    const char *env = getenv("COLUMNS");

    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    if (env && atoi(env) > 0)
        return atoi(env);
    return 80;
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
    if (mode == 2) {
        struct sigaction sa;

        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_winch;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGWINCH, &sa, &p->old_winch);
        p->cols = term_cols(out);
    }
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

/* Done and total of the phase c is in. */
static void phase_counts(const struct progress_counts *c, long *done, long *total)
{
    if (c->phase == PROGRESS_TRANSCRIPTS) {
        *done = c->transcripts_done;
        *total = c->transcripts_done + c->transcripts_due;
    } else {
        *done = c->calls_done;
        *total = c->calls_total;
    }
}

void progress_format_bar(const struct progress_counts *c, double rps, const char *eta, int cols,
                         char *out, size_t n)
{
    char count[64], extra[64], rate[32], tail[48], bar[BAR_MAX + 4];
    const char *label = c->phase == PROGRESS_TRANSCRIPTS ? "transcripts " : "calls ";
    long done, total;
    int room, used, width = 0;

    phase_counts(c, &done, &total);
    if (cols > LINE_MAX)
        cols = LINE_MAX;
    room = cols - 1; /* the last column would make some terminals wrap */
    if (total > 0)
        snprintf(count, sizeof count, "%ld/%ld", done, total);
    else
        snprintf(count, sizeof count, "%ld", done);
    if (c->phase == PROGRESS_TRANSCRIPTS)
        snprintf(extra, sizeof extra, "  %ld stored", c->transcripts);
    else
        snprintf(extra, sizeof extra, "  %ld transcripts", c->transcripts);
    snprintf(rate, sizeof rate, "  %.1f req/s", rps);
    snprintf(tail, sizeof tail, "  ETA %s", eta);
    used = (int)(strlen(label) + strlen(count) + strlen(tail));
    /* the narrowest bar is kept before the extras: the rate goes first, then the count */
    if (room - used >= BAR_MIN + 3)
        used += BAR_MIN + 3;
    if (used + (int)strlen(extra) <= room)
        used += (int)strlen(extra);
    else
        extra[0] = '\0';
    if (used + (int)strlen(rate) <= room)
        used += (int)strlen(rate);
    else
        rate[0] = '\0';
    if ((int)(strlen(label) + strlen(count) + strlen(tail)) + BAR_MIN + 3 <= room)
        used -= BAR_MIN + 3;
    /* the bar takes what is left: "[###...] " */
    width = room - used - 3;
    if (width > BAR_MAX)
        width = BAR_MAX;
    if (width >= BAR_MIN) {
        int fill = total > 0 ? (int)((double)width * (double)done / (double)total) : 0;

        if (fill > width)
            fill = width;
        if (fill < 0)
            fill = 0;
        bar[0] = '[';
        memset(bar + 1, '#', (size_t)fill);
        memset(bar + 1 + fill, '.', (size_t)(width - fill));
        bar[width + 1] = ']';
        bar[width + 2] = ' ';
        bar[width + 3] = '\0';
    } else {
        bar[0] = '\0';
    }
    snprintf(out, n, "%s%s%s%s%s%s", label, bar, count, extra, rate, tail);
    if (room >= 0 && strlen(out) > (size_t)room)
        out[room] = '\0';
}

/* The ETA: the requests still needed at this run's own request rate. */
static void format_eta(const struct progress *p, double t, char *out, size_t n)
{
    const struct progress_counts *c = &p->c;
    double el = t - p->start;

    snprintf(out, n, "?");
    if (c->requests_left == 0)
        snprintf(out, n, "0s");
    else if (c->requests_left > 0 && c->requests > 0 && el > 0)
        progress_format_duration((double)c->requests_left * el / (double)c->requests, out, n);
}

static void draw(struct progress *p, double t)
{
    const struct progress_counts *c = &p->c;
    double el = t - p->start, rps = el > 0 ? (double)c->requests / el : 0;
    char eta[32], elapsed[32], line[LINE_MAX + 1];

    format_eta(p, t, eta, sizeof eta);
    progress_format_duration(el, elapsed, sizeof elapsed);
    if (p->mode == 2) {
        if (resized) {
            resized = 0;
            p->cols = term_cols(p->out);
            /* a terminal that reflows its lines (tmux, VTE, kitty, iTerm2) has wrapped the
             * wider bar drawn before: go up to its first row and clear from there */
            if (p->bar_shown && p->drawn > p->cols)
                fprintf(p->out, "\r\033[%dA\033[J", (p->drawn - 1) / p->cols);
        }
        progress_format_bar(c, rps, eta, p->cols, line, sizeof line);
        fprintf(p->out, "\r\033[K%s", line);
        p->drawn = (int)strlen(line);
        p->bar_shown = 1;
    } else if (c->phase == PROGRESS_TRANSCRIPTS) {
        fprintf(p->out,
                "callmine-ingest: transcripts %ld/%ld asked (%ld stored), %ld requests, "
                "%.1f req/s, %s elapsed, ETA %s\n",
                c->transcripts_done, c->transcripts_done + c->transcripts_due, c->transcripts,
                c->requests, rps, elapsed, eta);
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
    int phase_changed;

    pthread_mutex_lock(&draw_lock);
    phase_changed = p->started && c->phase != p->c.phase;
    p->started = 1;
    p->c = *c;
    if (p->mode != 0 &&
        (t - p->last >= (p->mode == 2 ? 0.1 : 5.0) || phase_changed || (p->mode == 2 && resized))) {
        p->last = t;
        draw(p, t);
    }
    pthread_mutex_unlock(&draw_lock);
}

static void clear_bar(struct progress *p)
{
    if (p->bar_shown) {
        fputs("\r\033[K", p->out);
        p->bar_shown = 0;
        p->drawn = 0;
    }
}

/* Print line above the bar, then put the bar back. */
static void print_above(struct progress *p, const char *prefix, const char *line)
{
    pthread_mutex_lock(&draw_lock);
    clear_bar(p);
    fprintf(p->out, "%s%s\n", prefix, line);
    if (p->mode == 2 && p->started)
        draw(p, now_s());
    fflush(p->out);
    pthread_mutex_unlock(&draw_lock);
}

void progress_message(struct progress *p, int important, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (p->mode == 0 && !important)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    print_above(p, "callmine-ingest: ", line);
}

void progress_log(void *arg, const char *line)
{
    print_above(arg, "", line);
}

void progress_free(struct progress *p)
{
    if (!p)
        return;
    if (p->mode == 2 && p->bar_shown) {
        draw(p, now_s());
        fputc('\n', p->out);
    }
    if (p->mode == 2)
        sigaction(SIGWINCH, &p->old_winch, NULL);
    if (p->start > 0) /* the static quiet fallback (start 0) is not heap memory */
        free(p);
}
