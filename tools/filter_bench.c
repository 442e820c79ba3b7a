/* filter_bench: the CPU cost of a FILTER's selection alone, without printing any row.
 *
 *     filter_bench MIRROR.db [REPS] -- [FILTERS]
 *
 * Opens MIRROR.db as callmine-query does (cmd_open_db: read-only, the SQL functions, the
 * stages config, TEMP VIEW call_facts), then REPS times (default 3) counts the calls the
 * filter selects with `SELECT count(*) FROM calls WHERE <filter>`, timing each with the
 * process CPU clock. Prints one line: the count, then the first, the fastest and the median
 * CPU time of a run in milliseconds. The first run reads every page from the OS (as a
 * command does, once), later ones find them in SQLite's own cache when it holds them. Built on the
 * fly, not part of callmine (FILTER_BENCH_PLAN=1 prints the statement's query plan instead;
 * FILTER_BENCH_PRAGMA runs its SQL first, e.g. "PRAGMA mmap_size = 0" as `calls` reads;
 * FILTER_BENCH_FACTS=1 counts `SELECT count(*) FROM call_facts cf WHERE <filter_facts_sql>`,
 * the condition `calls` lists with):
 *
 *     make && cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DSQLITE_CORE \
 *        -Ischema -Iquery -Ibuild/gen tools/filter_bench.c \
 *        $(ls build/query/*.o | grep -v /main.o) build/schema/*.o build/gen/embedded.o \
 *        $(pkg-config --libs sqlite3 libpcre2-8 libdeflate) -lpthread -lm -o build/filter_bench */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "filter.h"

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

int main(int argc, char **argv)
{
    static const struct option longopts[] = {FILTER_LONG_OPTIONS, {NULL, 0, NULL, 0}};
    struct cmd_ctx c = {0};
    struct filter f;
    struct err e = {0};
    struct buf q;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    double ms[64], first_ms = 0;
    long long n = -1;
    int reps = 3, opt, first = 1, facts = getenv("FILTER_BENCH_FACTS") != NULL;

    if (argc < 2) {
        fprintf(stderr, "usage: filter_bench MIRROR.db [REPS] -- [FILTERS]\n");
        return 2;
    }
    c.db_path = argv[1];
    if (argc > 2 && strcmp(argv[2], "--") != 0)
        reps = atoi(argv[2]);
    if (reps < 1 || reps > 64)
        reps = 3;
    for (first = 2; first < argc && strcmp(argv[first], "--") != 0; first++)
        ;
    filter_init(&f);
    buf_init(&q, 0);
    /* the filters as their own argument vector, argv[0] in front */
    if (first < argc)
        argv[first] = argv[0];
    else
        first = argc - 1, argv[first] = argv[0];
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc - first, argv + first, ":", longopts, NULL)) != -1) {
        if (opt == '?' || opt == ':' || filter_option(&f, opt, optarg, &e)) {
            fprintf(stderr, "filter_bench: %s\n", e.msg[0] ? e.msg : "bad option");
            return 2;
        }
    }
    if (cmd_open_db(&c, &db, &e) ||
        (getenv("FILTER_BENCH_PRAGMA") && db_exec(db, getenv("FILTER_BENCH_PRAGMA"), &e)) ||
        (facts ? buf_puts(&q, "SELECT count(*) FROM call_facts cf WHERE ", &e) ||
                     filter_facts_sql(&f, NULL, &q, &e)
               : buf_puts(&q, "SELECT count(*) FROM calls WHERE ", &e) || filter_sql(&f, &q, &e)) ||
        cmd_prepare(db, q.data, &st, &e) || filter_bind(&f, st, &e)) {
        fprintf(stderr, "filter_bench: %s\n", e.msg);
        return 1;
    }
    if (getenv("FILTER_BENCH_PLAN")) { /* the plan instead of the timing */
        sqlite3_stmt *eqp = NULL;
        char *sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", q.data);

        if (cmd_prepare(db, sql, &eqp, &e) || filter_bind(&f, eqp, &e)) {
            fprintf(stderr, "filter_bench: %s\n", e.msg);
            return 1;
        }
        printf("%s\n", q.data);
        while (sqlite3_step(eqp) == SQLITE_ROW)
            printf("%3d %3d %s\n", sqlite3_column_int(eqp, 0), sqlite3_column_int(eqp, 1),
                   (const char *)sqlite3_column_text(eqp, 3));
        sqlite3_finalize(eqp);
        sqlite3_free(sql);
        reps = 0;
    }
    for (int i = 0; i < reps; i++) {
        double t = cpu_ms();

        sqlite3_reset(st);
        if (sqlite3_step(st) != SQLITE_ROW) {
            fprintf(stderr, "filter_bench: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        n = sqlite3_column_int64(st, 0);
        ms[i] = cpu_ms() - t;
        if (i == 0)
            first_ms = ms[0];
    }
    qsort(ms, (size_t)reps, sizeof ms[0], cmp_double);
    if (reps)
        printf("%lld calls, first %.1f ms, fastest %.1f ms, median %.1f ms CPU\n", n, first_ms,
               ms[0], ms[reps / 2]);
    sqlite3_finalize(st);
    sqlite3_close(db);
    buf_release(&q);
    filter_release(&f);
    return 0;
}
