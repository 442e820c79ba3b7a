/* grep: the data model `callmine-query grep` is built on (see cmd_grep.c for the whole).
 *
 * struct grep holds the settings, the candidate calls (ids in output order, already thinned
 * by grep_index.c) and the state the worker threads share with the main thread. The calls
 * are cut into batches of GREP_BATCH; a worker (grep_scan.h) fills a struct grep_batch with
 * each call's hit count and, for text and row output, its recs: the sentences to print
 * (hits, and context with -C) with their speakers and match ranges, found by the matcher
 * (grep_text.h); the main thread prints the batches in order (grep_out.h). */
#ifndef CALLMINE_GREP_H
#define CALLMINE_GREP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "cmd.h"
#include "err.h"
#include "filter.h"
#include "metrics.h"
#include "re.h"

#define GREP_BATCH 32 /* calls per batch */
#define GREP_WINDOW 4 /* batches in flight per thread */
#define GREP_MAX_THREADS 16
#define GREP_NONE SIZE_MAX
/* grep reads the mirror with pread, not a memory mapping (cmd_open_db's default): a scan
 * touches most of the file once, and every mapped page it touches stays in the process's
 * resident set (peak RSS grew with the mirror: 500 MB at 20,000 calls) and costs a page
 * fault, which measured dearer than the read (383 against 134 ms of CPU for a selective
 * grep of 20,000 calls on a 2-core VM). */
#define GREP_NO_MMAP "PRAGMA mmap_size = 0; "

enum grep_mode { GREP_TEXT, GREP_ROWS, GREP_COUNT, GREP_LIST };
/* --speaker, and a party's side as metrics_side (metrics.h) reads its affiliation */
enum grep_role {
    GREP_ANY = METRICS_UNKNOWN,
    GREP_REP = METRICS_REP,
    GREP_CUSTOMER = METRICS_CUSTOMER
};

struct grep_rec { /* a sentence to print: a hit or context */
    size_t call;  /* index into grep.cands */
    size_t idx;   /* sentence number within the call (its line offset without context) */
    int64_t start_ms;
    size_t spk, spk_len;                 /* offsets into the batch arena */
    size_t name, name_len, aff, aff_len; /* GREP_NONE when unknown */
    int role;
    size_t text, text_len;   /* the unescaped sentence */
    size_t m_first, m_count; /* matches in batch.m */
};

struct grep_match {
    size_t s, e; /* byte offsets within the sentence text */
};

struct grep_batch {
    size_t k; /* batch number held */
    int done;
    struct buf arena;
    struct grep_rec *r;
    size_t nr, cr;
    struct grep_match *m;
    size_t nm, cm;
    size_t counts[GREP_BATCH];    /* hits per call of the batch */
    size_t rec_first[GREP_BATCH]; /* each call's recs: r[rec_first[i] .. + rec_count[i]) */
    size_t rec_count[GREP_BATCH];
    int rc;
    struct err e;
};

struct grep {
    /* settings, fixed before grep_scan_start */
    const struct cmd_ctx *c;
    struct filter f;
    const char *pattern;
    int flags, context, color;
    enum grep_role speaker;
    enum grep_mode mode;
    size_t max_hits; /* 0: no limit */
    int threads;
    struct re *re;
    struct buf ids; /* the candidates' ids, NUL-terminated, one after another */
    size_t *cands;  /* offsets into ids, in output order */
    size_t n_cands, cap_cands, n_batches;
    /* shared between threads, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next_batch, printed;
    int stop;
    size_t corrupt; /* transcripts that could not be inflated */
    struct grep_batch *slots;
    size_t n_slots;
    struct grep_worker *w;
    int started;
    FILE *fp;        /* where grep_out writes; NULL: stdout */
    time_t deadline; /* stop before the next batch once the clock reaches it; 0: never */
    int timed_out;   /* the deadline stopped the scan */
};

/* The id of candidate call (NUL-terminated, borrowed from g->ids). */
static inline const char *grep_cand_id(const struct grep *g, size_t call)
{
    return g->ids.data + g->cands[call];
}

/* Start g with its defaults for the command context c (one thread per core, text mode);
 * release with grep_release. The settings are then filled in by the caller. (cmd_grep.c) */
void grep_init(struct grep *g, const struct cmd_ctx *c);
void grep_release(struct grep *g);

/* Append the call ids that st (a prepared SELECT of one id column) yields to g's candidates,
 * in its order. ERR_NOMEM or ERR_DB ("select calls: ...") on failure; st is not finalized. */
int grep_add_candidates(struct grep *g, sqlite3_stmt *st, struct err *e);

/* Compile the pattern, select and thin the candidate calls and print the hits (grep_out.h),
 * as `callmine-query grep` does; stops early at max_hits or the deadline. (cmd_grep.c) */
int grep_execute(struct grep *g, struct err *e);

#endif
