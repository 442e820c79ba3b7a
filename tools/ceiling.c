/* ceiling: this machine's ceiling for grep's inner loop, for tools/bench_query.py.
 *
 *     ceiling DB PATTERN [-i]
 *     ceiling --rss COMMAND [ARGS...]
 *
 * Loads every transcript blob of the mirror DB into memory, then, with 1 and with 2
 * threads, times (a) inflating every blob (libdeflate, as schema/zblob.c does) and (b)
 * inflating every blob and running PCRE2 (JIT, UTF + UCP as ext/re.c compiles, caseless
 * with -i) over the whole inflated text for all matches. Prints one JSON object:
 * {"bytes": inflated bytes, "blobs": N, "runs": [{"threads", "inflate_s", "scan_s",
 * "matches"}]}.
 *
 * With --rss it runs COMMAND (stdout to /dev/null) and prints its peak RSS in KiB (wait4's
 * ru_maxrss). A child's ru_maxrss also counts its parent's resident set when it was forked,
 * so the bench, a Python process of 20-30 MB, cannot measure a 10 MB grep itself; this
 * launcher is small. Built on the fly by the bench (not part of callmine). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <fcntl.h>
#include <libdeflate.h>
#include <pcre2.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct blob {
    unsigned char *body;
    size_t n, size;
};

static struct blob *blobs;
static size_t n_blobs, max_size;
static pcre2_code *code;

struct job {
    pthread_t tid;
    int k, nthreads, match;
    size_t matches;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    struct job *j = arg;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    unsigned char *out = malloc(max_size + 1);
    size_t got;

    if (!d || !md || !out) {
        fprintf(stderr, "ceiling: out of memory\n");
        exit(1);
    }
    for (size_t i = (size_t)j->k; i < n_blobs; i += (size_t)j->nthreads) {
        const struct blob *b = &blobs[i];
        const unsigned char *text = b->body;
        PCRE2_SIZE start = 0;

        if (b->n != b->size) {
            if (libdeflate_zlib_decompress(d, b->body, b->n, out, b->size, &got) !=
                    LIBDEFLATE_SUCCESS ||
                got != b->size) {
                fprintf(stderr, "ceiling: blob %zu does not inflate\n", i);
                exit(1);
            }
            text = out;
        }
        while (j->match && start <= b->size) {
            int rc = pcre2_jit_match(code, text, b->size, start, 0, md, NULL);
            PCRE2_SIZE *ov;

            if (rc < 0)
                break;
            ov = pcre2_get_ovector_pointer(md);
            j->matches++;
            start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
    }
    free(out);
    pcre2_match_data_free(md);
    libdeflate_free_decompressor(d);
    return NULL;
}

static double run(int nthreads, int match, size_t *matches)
{
    struct job jobs[2];
    double t0 = now();

    *matches = 0;
    for (int k = 0; k < nthreads; k++) {
        jobs[k] = (struct job){.k = k, .nthreads = nthreads, .match = match};
        pthread_create(&jobs[k].tid, NULL, work, &jobs[k]);
    }
    for (int k = 0; k < nthreads; k++) {
        pthread_join(jobs[k].tid, NULL);
        *matches += jobs[k].matches;
    }
    return now() - t0;
}

static int peak_rss(char **cmd)
{
    struct rusage ru;
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return 1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        if (null >= 0)
            dup2(null, 1);
        execvp(cmd[0], cmd);
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "ceiling: %s failed\n", cmd[0]);
        return 1;
    }
    printf("%ld\n", ru.ru_maxrss);
    return 0;
}

int main(int argc, char **argv)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t cap = 0, bytes = 0, matches;
    int errcode, caseless = argc > 3 && strcmp(argv[3], "-i") == 0;
    PCRE2_SIZE erroff;

    if (argc > 2 && strcmp(argv[1], "--rss") == 0)
        return peak_rss(argv + 2);
    if (argc < 3) {
        fprintf(stderr, "usage: ceiling DB PATTERN [-i] | ceiling --rss COMMAND [ARGS...]\n");
        return 2;
    }
    code = pcre2_compile((PCRE2_SPTR)argv[2], PCRE2_ZERO_TERMINATED,
                         PCRE2_UTF | PCRE2_UCP | (caseless ? PCRE2_CASELESS : 0), &errcode, &erroff,
                         NULL);
    if (!code || pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) != 0) {
        fprintf(stderr, "ceiling: pattern does not compile with the JIT\n");
        return 1;
    }
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT body, size FROM transcripts", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "ceiling: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        struct blob *b;

        if (n_blobs == cap) {
            struct blob *grown = realloc(blobs, (cap ? cap * 2 : 1024) * sizeof *blobs);

            if (!grown) {
                fprintf(stderr, "ceiling: out of memory\n");
                return 1;
            }
            blobs = grown;
            cap = cap ? cap * 2 : 1024;
        }
        b = &blobs[n_blobs++];
        b->n = n;
        b->size = (size_t)sqlite3_column_int64(st, 1);
        b->body = malloc(n ? n : 1);
        if (!b->body) {
            fprintf(stderr, "ceiling: out of memory\n");
            return 1;
        }
        memcpy(b->body, sqlite3_column_blob(st, 0), n);
        if (b->size > max_size)
            max_size = b->size;
        bytes += b->size;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    printf("{\"bytes\": %zu, \"blobs\": %zu, \"runs\": [", bytes, n_blobs);
    for (int t = 1; t <= 2; t++) {
        double inflate = 1e9, scan = 1e9, s;

        for (int rep = 0; rep < 3; rep++) { /* the best of three: the machine's ceiling */
            if ((s = run(t, 0, &matches)) < inflate)
                inflate = s;
            if ((s = run(t, 1, &matches)) < scan)
                scan = s;
        }
        printf("%s{\"threads\": %d, \"inflate_s\": %.4f, \"scan_s\": %.4f, \"matches\": %zu}",
               t > 1 ? ", " : "", t, inflate, scan, matches);
    }
    printf("]}\n");
    return 0;
}
