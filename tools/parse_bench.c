/* parse_bench: the CPU cost of ingest/parse.c on saved API pages.
 *
 *     parse_bench users|calls|transcripts FILE [REPS]
 *
 * Reads FILE (a response body as the server sent it) once, then parses it REPS times
 * (default 20) with parse_users_page, parse_calls_page or parse_transcripts_page, timing
 * each parse with the process CPU clock. Prints one line: the kind, the body's bytes, the
 * records parsed, the fastest and the median CPU time of a parse in milliseconds, and the
 * median's throughput in MB/s. Built on the fly, not part of callmine:
 *
 *     make && cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Ischema -Iingest -Ibuild/gen \
 *        $(pkg-config --cflags libcjson) tools/parse_bench.c ingest/parse.c ingest/jsonwalk.c \
 *        ingest/deals.c build/schema/*.o build/gen/embedded.o \
 *        $(pkg-config --libs libcjson sqlite3 libdeflate) -lz -lm -o build/parse_bench */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"

static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Parse body once as kind; the records count, or -1 with the error printed. */
static long parse_once(const char *kind, const char *body, size_t len)
{
    struct err e = {0};
    long n = -1;

    if (strcmp(kind, "users") == 0) {
        struct parse_users_page *p = NULL;

        if (parse_users_page(body, len, &p, &e) == ERR_OK)
            n = (long)p->n_users;
        parse_users_free(p);
    } else if (strcmp(kind, "calls") == 0) {
        struct parse_calls_page *p = NULL;

        if (parse_calls_page(body, len, &p, &e) == ERR_OK)
            n = (long)p->n_calls;
        parse_calls_free(p);
    } else {
        struct parse_transcripts_page *p = NULL;

        if (parse_transcripts_page(body, len, &p, &e) == ERR_OK)
            n = (long)p->n_items;
        parse_transcripts_free(p);
    }
    if (n < 0)
        fprintf(stderr, "parse_bench: %s\n", e.msg);
    return n;
}

int main(int argc, char **argv)
{
    FILE *f;
    char *body;
    long size, n = 0;
    int reps = argc > 3 ? atoi(argv[3]) : 20;
    double *t;

    if (argc < 3 ||
        (strcmp(argv[1], "users") && strcmp(argv[1], "calls") && strcmp(argv[1], "transcripts")) ||
        reps < 1) {
        fprintf(stderr, "usage: parse_bench users|calls|transcripts FILE [REPS]\n");
        return 2;
    }
    if (!(f = fopen(argv[2], "rb")) || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) || !(body = malloc((size_t)size + 1)) ||
        fread(body, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "parse_bench: cannot read '%s'\n", argv[2]);
        return 1;
    }
    fclose(f);
    t = calloc((size_t)reps, sizeof *t);
    if (!t)
        return 1;
    for (int i = 0; i < reps; i++) {
        double t0 = cpu_ms();

        if ((n = parse_once(argv[1], body, (size_t)size)) < 0)
            return 1;
        t[i] = cpu_ms() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    printf("%s %ld bytes, %ld records: min %.2f ms, median %.2f ms (%.0f MB/s)\n", argv[1], size, n,
           t[0], t[reps / 2], (double)size / 1e6 / (t[reps / 2] / 1e3));
    free(t);
    free(body);
    return 0;
}
