/* cmd_grep: `callmine-query grep PATTERN [FILTERS]` searches transcript sentences with PCRE2.
 *
 * The filter SQL picks the candidate calls (those with a transcript, oldest first). They are
 * cut into batches of GREP_BATCH calls; worker threads (one per core by default), each with
 * its own read-only connection, matcher (re_clone) and codec, take the next batch, inflate
 * each transcript and record its hits; the main thread prints finished batches in order, so
 * the output does not depend on the thread count. At most GREP_WINDOW batches per thread are
 * in flight, which bounds memory whatever the size of the mirror.
 *
 * Per transcript: the pattern's required literal (re_literal_find) skips transcripts that
 * cannot match without running the regex; the text is validated as UTF-8 once (invalid
 * bytes become U+FFFD); then each sentence's unescaped text is matched as its own subject,
 * so ^ and $ anchor at the sentence's ends and no match spans two sentences, and only
 * sentences containing the literal reach PCRE2. A hit is one non-empty match; a sentence
 * whose only matches are empty (a pattern such as ^) gives one hit. */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "filter.h"
#include "re.h"
#include "transcript.h"
#include "zblob.h"

#include "banned.h"

#define GREP_BATCH 32 /* calls per batch */
#define GREP_WINDOW 4 /* batches in flight per thread */
#define GREP_MAX_THREADS 16
#define GREP_SKIP 16 /* rows stepped over before seeking again */
#define NONE SIZE_MAX

static const char grep_help_head[] =
    "Usage: callmine-query grep [OPTIONS] PATTERN [FILTERS]\n"
    "\n"
    "Search the transcripts of the calls that match FILTERS for PATTERN, a PCRE2 regular\n"
    "expression (UTF-8, by code point). Each sentence is searched on its own: the pattern sees\n"
    "only the spoken text, ^ and $ anchor at the sentence's ends, and a match never spans two\n"
    "sentences. Output, like ripgrep: a heading per call (title, date, rep, stage, id), then\n"
    "  mm:ss Speaker (rep|customer): sentence\n"
    "with the match highlighted on a terminal; context sentences end the label with '-'.\n"
    "\n"
    "  -e, --regexp PATTERN    the pattern (for one that starts with '-')\n"
    "  -i, --ignore-case       match case-insensitively\n"
    "  --speaker rep|customer|all  search what reps (Internal), customers (External) or\n"
    "                          everyone (default) said; unknown speakers only with all\n"
    "  -C, --context N         also print N sentences before and after each hit\n"
    "  -c, --count             call_id<TAB>hits for each call with hits\n"
    "  -l, --files-with-matches   only the ids of calls with hits\n"
    "  --max-hits N            stop after N hits in total\n"
    "  --color auto|always|never   highlight (default auto: on a terminal, unless NO_COLOR)\n"
    "  -j, --threads N         worker threads (default: one per core)\n"
    "  --format jsonl|json|table|csv|tsv|markdown   one row per hit instead of text:\n"
    "                          call_id, title, started, speaker_id, speaker_name, affiliation,\n"
    "                          start_ms, text (the whole sentence), match, url; with -c:\n"
    "                          call_id, title, count; with -l: call_id\n"
    "\n";

static const char grep_help_tail[] =
    "\n"
    "Exit status 0 whether or not anything matched; 2 for a bad pattern (PCRE2's message and\n"
    "offset) or a pattern too complex to finish (it stops within seconds).\n"
    "\n"
    "Examples:\n"
    "  callmine-query grep -i 'pric(e|ing)|discount' --speaker customer -C 1\n"
    "  callmine-query grep -c '\\bcompetitor\\b' --stage closedlost\n"
    "  callmine-query grep --format jsonl -i 'budget' --from 2024-01-01 | jq .match\n";

enum mode { MODE_TEXT, MODE_ROWS, MODE_COUNT, MODE_LIST };
enum role { ROLE_ANY = 0, ROLE_REP = 1, ROLE_CUSTOMER = 2 };

struct rec {     /* a sentence to print: a hit or context */
    size_t call; /* index into grep.cands */
    size_t idx;  /* sentence number within the call */
    int64_t start_ms;
    size_t spk, spk_len;                 /* offsets into the batch arena */
    size_t name, name_len, aff, aff_len; /* NONE when unknown */
    int role;
    size_t text, text_len;
    size_t m_first, m_count; /* matches in batch.m */
};

struct match {
    size_t s, e; /* byte offsets within the sentence text */
};

struct batch {
    size_t k; /* batch number held */
    int done;
    struct buf arena;
    struct rec *r;
    size_t nr, cr;
    struct match *m;
    size_t nm, cm;
    size_t counts[GREP_BATCH];
    int rc;
    struct err e;
};

struct grep {
    const struct cmd_ctx *c;
    struct filter f;
    const char *pattern;
    int flags, context, color;
    enum role speaker;
    enum mode mode;
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
    size_t corrupt;
    struct batch *slots;
    size_t n_slots;
};

struct party {
    size_t spk, spk_len, name, name_len, aff, aff_len; /* offsets into worker.pmeta */
    int role;
};

struct hit { /* a match found while scanning, before it becomes a rec */
    size_t idx, line_off, s, e;
};

struct worker {
    struct grep *g;
    pthread_t tid;
    sqlite3 *db;
    sqlite3_stmt *scan, *get_p;
    const char *target; /* the call id the scan is waiting for */
    struct re *re;
    struct zblob_codec *z;
    struct buf text, un, fixed, pmeta;
    struct party *p;
    size_t np, cp;
    int parties_loaded;
    struct hit *h;
    size_t nh, ch;
    size_t *lines; /* line start offsets, for context */
    size_t nl, cl;
};

/* The array p (of *cap elements of sz bytes) with room for element n: p itself when it has
 * room already or when memory runs out (then *cap stays <= n), else the grown block. */
static void *grow_array(void *p, size_t *cap, size_t n, size_t sz)
{
    size_t c = *cap ? *cap * 2 : 64;
    void *q;

    if (n < *cap)
        return p;
    q = realloc(p, c * sz);
    if (!q)
        return p;
    *cap = c;
    return q;
}

/* Make room for arr[n]: 0, or 1 on out of memory (arr is kept). */
#define GROW(arr, cap, n) ((arr) = grow_array((arr), &(cap), (n), sizeof *(arr)), (n) >= (cap))

static const char *cand_id(const struct grep *g, size_t call)
{
    return g->ids.data + g->cands[call];
}

/* ---- worker: scanning ------------------------------------------------------------------ */

static int load_parties(struct worker *w, const char *id, struct err *e)
{
    sqlite3_stmt *st = w->get_p;
    int rc = ERR_OK, step;

    w->np = 0;
    buf_reset(&w->pmeta);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW && !rc) {
        struct party *p;
        const char *aff = (const char *)sqlite3_column_text(st, 2);

        if (GROW(w->p, w->cp, w->np)) {
            rc = err_set(e, ERR_NOMEM, "grep: out of memory");
            break;
        }
        p = &w->p[w->np++];
        p->role = !aff                               ? ROLE_ANY
                  : strcasecmp(aff, "Internal") == 0 ? ROLE_REP
                  : strcasecmp(aff, "External") == 0 ? ROLE_CUSTOMER
                                                     : ROLE_ANY;
        p->name = p->aff = NONE;
        p->name_len = p->aff_len = 0;
        for (int col = 0; col < 3 && !rc; col++) {
            const char *v = (const char *)sqlite3_column_text(st, col);
            size_t n = (size_t)sqlite3_column_bytes(st, col), off = w->pmeta.len;

            if (!v)
                continue;
            rc = buf_append(&w->pmeta, v, n, e) || buf_putc(&w->pmeta, '\0', e);
            if (col == 0)
                p->spk = off, p->spk_len = n;
            else if (col == 1)
                p->name = off, p->name_len = n;
            else
                p->aff = off, p->aff_len = n;
        }
    }
    if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = err_set(e, ERR_DB, "grep: read parties: %s", sqlite3_errmsg(w->db));
    else if (rc && rc != ERR_NOMEM)
        rc = err_set(e, ERR_NOMEM, "grep: out of memory");
    sqlite3_reset(st);
    w->parties_loaded = 1;
    return rc;
}

static const struct party *find_party(const struct worker *w, const char *spk, size_t n)
{
    for (size_t i = 0; n && i < w->np; i++)
        if (w->p[i].spk_len == n && memcmp(w->pmeta.data + w->p[i].spk, spk, n) == 0)
            return &w->p[i];
    return NULL;
}

/* Find the matches of one sentence's text; appends them to w->h. -1 on a matching error. */
static int match_sentence(struct worker *w, size_t idx, size_t line_off, const char *s, size_t n,
                          size_t limit, struct err *e)
{
    size_t start = 0, ms, me, first_empty = NONE, before = w->nh;
    int r;

    while (start <= n && w->nh - before < limit) {
        r = re_next(w->re, s, n, start, &ms, &me, e);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        if (me > ms) {
            if (GROW(w->h, w->ch, w->nh))
                return err_set(e, ERR_NOMEM, "grep: out of memory"), -1;
            w->h[w->nh++] = (struct hit){idx, line_off, ms, me};
            start = me;
            continue;
        }
        if (first_empty == NONE)
            first_empty = ms;
        if (ms >= n)
            break;
        start = ms + 1; /* past one code point */
        while (start < n && ((unsigned char)s[start] & 0xC0) == 0x80)
            start++;
    }
    if (w->nh == before && first_empty != NONE) {
        if (GROW(w->h, w->ch, w->nh))
            return err_set(e, ERR_NOMEM, "grep: out of memory"), -1;
        w->h[w->nh++] = (struct hit){idx, line_off, first_empty, first_empty};
    }
    return 0;
}

/* Append sentence idx (at line offset off) to the batch as a rec, with its hits from
 * w->h[*hi..] when it is a hit sentence. */
static int add_rec(struct worker *w, struct batch *b, size_t call, const char *text, size_t len,
                   size_t idx, size_t off, size_t *hi, struct err *e)
{
    struct transcript_line ln;
    const struct party *p;
    struct rec *r;
    size_t pos = off;
    const char *s;
    size_t n;
    int rc;

    if (transcript_next(text, len, &pos, &ln) != 1)
        return ERR_OK;
    if (ln.escaped) {
        if ((rc = transcript_unescape(ln.text, ln.text_len, &w->un, e)))
            return rc;
        s = w->un.data, n = w->un.len;
    } else {
        s = ln.text, n = ln.text_len;
    }
    if (GROW(b->r, b->cr, b->nr))
        return err_set(e, ERR_NOMEM, "grep: out of memory");
    r = &b->r[b->nr++];
    memset(r, 0, sizeof *r);
    r->call = call, r->idx = idx, r->start_ms = ln.start_ms;
    r->m_first = b->nm;
    p = find_party(w, ln.speaker, ln.speaker_len);
    r->role = p ? p->role : ROLE_ANY;
    r->name = r->aff = NONE;
    r->spk = b->arena.len, r->spk_len = ln.speaker_len;
    if ((rc = buf_append(&b->arena, ln.speaker, ln.speaker_len, e)))
        return rc;
    if (p && p->name != NONE) {
        r->name = b->arena.len, r->name_len = p->name_len;
        if ((rc = buf_append(&b->arena, w->pmeta.data + p->name, p->name_len, e)))
            return rc;
    }
    if (p && p->aff != NONE) {
        r->aff = b->arena.len, r->aff_len = p->aff_len;
        if ((rc = buf_append(&b->arena, w->pmeta.data + p->aff, p->aff_len, e)))
            return rc;
    }
    r->text = b->arena.len, r->text_len = n;
    if ((rc = buf_append(&b->arena, s, n, e)))
        return rc;
    while (*hi < w->nh && w->h[*hi].idx == idx) {
        if (GROW(b->m, b->cm, b->nm))
            return err_set(e, ERR_NOMEM, "grep: out of memory");
        b->m[b->nm++] = (struct match){w->h[*hi].s, w->h[*hi].e};
        r->m_count++;
        (*hi)++;
    }
    return ERR_OK;
}

/* Turn the hits of a call into recs: the hit sentences and, with -C, their context. */
static int emit_recs(struct worker *w, struct batch *b, size_t call, const char *text, size_t len,
                     struct err *e)
{
    size_t hi = 0, next = 0, C = (size_t)w->g->context;
    int rc;

    if (!w->parties_loaded && (rc = load_parties(w, cand_id(w->g, call), e)))
        return rc;
    while (hi < w->nh) {
        size_t h = w->h[hi].idx, from = h > C ? h - C : 0, to = h + C;

        if (!C) {
            if ((rc = add_rec(w, b, call, text, len, h, w->h[hi].line_off, &hi, e)))
                return rc;
            continue;
        }
        /* extend the window while later hits fall inside its after-context */
        for (size_t j = hi; j < w->nh && w->h[j].idx <= to; j++)
            to = w->h[j].idx + C;
        if (to >= w->nl)
            to = w->nl - 1;
        for (size_t i = from > next ? from : next; i <= to; i++)
            if ((rc = add_rec(w, b, call, text, len, i, w->lines[i], &hi, e)))
                return rc;
        next = to + 1;
    }
    return ERR_OK;
}

/* Search one line (numbered idx, starting at line_off) unless --speaker rules it out. */
static int scan_line(struct worker *w, size_t idx, size_t line_off,
                     const struct transcript_line *ln, size_t limit, struct err *e)
{
    const char *s = ln->text;
    size_t n = ln->text_len;
    int rc;

    if (w->g->speaker != ROLE_ANY) {
        const struct party *p = find_party(w, ln->speaker, ln->speaker_len);

        if (!p || p->role != (int)w->g->speaker)
            return ERR_OK;
    }
    if (ln->escaped) {
        if ((rc = transcript_unescape(s, n, &w->un, e)))
            return rc;
        s = w->un.data, n = w->un.len;
    }
    return match_sentence(w, idx, line_off, s, n, limit - w->nh, e) ? e->code : ERR_OK;
}

/* Without context: jump from one occurrence of the prefilter's literals to the next and
 * search only the lines they fall in. idx is then the line's offset (increasing). */
static int scan_jumping(struct worker *w, const char *text, size_t len, size_t limit, struct err *e)
{
    struct transcript_line ln;
    size_t from = 0, p, start, pos;
    int rc;

    while (w->nh < limit && from < len) {
        if ((p = re_literal_find(w->re, text, len, from)) >= len)
            break;
        for (start = p; start > from && text[start - 1] != '\n'; start--)
            ;
        pos = start;
        if (transcript_next(text, len, &pos, &ln) == 1 &&
            (rc = scan_line(w, start, start, &ln, limit, e)))
            return rc;
        from = pos;
    }
    return ERR_OK;
}

/* Every line in turn (for context, or when the pattern has no prefilter); lines without a
 * literal occurrence are still skipped when there is a prefilter. */
static int scan_lines(struct worker *w, const char *text, size_t len, size_t limit, int pre,
                      struct err *e)
{
    struct transcript_line ln;
    size_t pos = 0, lit = 0, C = (size_t)w->g->context;
    int r, rc, have_lit = 0;

    for (size_t idx = 0;; idx++) {
        size_t line_off = pos;

        if ((r = transcript_next(text, len, &pos, &ln)) == 0)
            break;
        if (C) {
            if (GROW(w->lines, w->cl, w->nl))
                return err_set(e, ERR_NOMEM, "grep: out of memory");
            w->lines[w->nl++] = line_off;
        }
        if (w->nh >= limit) { /* enough hits: only after-context lines are still needed */
            if (!C || idx > w->h[w->nh - 1].idx + C)
                break;
            continue;
        }
        if (r < 0)
            continue;
        if (pre && (!have_lit || lit < line_off)) { /* the next occurrence at or after here */
            lit = re_literal_find(w->re, text, len, line_off);
            have_lit = 1;
        }
        if (pre && lit >= pos)
            continue;
        if ((rc = scan_line(w, idx, line_off, &ln, limit, e)))
            return rc;
    }
    return ERR_OK;
}

/* Scan one call's transcript (the scan statement's current row) into batch b at slot
 * position i. */
static int scan_call(struct worker *w, struct batch *b, size_t i, struct err *e)
{
    struct grep *g = w->g;
    size_t call = b->k * GREP_BATCH + i, limit, len;
    const char *id = cand_id(g, call), *text;
    int pre = re_has_prefilter(w->re), rc = ERR_OK;
    sqlite3_stmt *st = w->scan;

    w->nh = w->nl = 0;
    w->parties_loaded = 0;
    limit = g->mode == MODE_LIST ? 1 : g->max_hits ? g->max_hits : SIZE_MAX;
    if (sqlite3_column_type(st, 1) != SQLITE_INTEGER || sqlite3_column_int64(st, 1) < 0 ||
        zblob_inflate(w->z, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                      (size_t)sqlite3_column_int64(st, 1), &w->text, NULL)) {
        pthread_mutex_lock(&g->mu);
        g->corrupt++;
        pthread_mutex_unlock(&g->mu);
        return ERR_OK;
    }
    text = w->text.data ? w->text.data : "", len = w->text.len;
    if (pre && re_literal_find(w->re, text, len, 0) >= len)
        goto done; /* none of the literals every match needs is there */
    if (!re_valid_utf8(text, len)) {
        if ((rc = out_utf8_repair(text, len, &w->fixed, e)))
            goto done;
        text = w->fixed.data, len = w->fixed.len;
    }
    if (g->speaker != ROLE_ANY && (rc = load_parties(w, id, e)))
        goto done;
    rc = pre && !g->context ? scan_jumping(w, text, len, limit, e)
                            : scan_lines(w, text, len, limit, pre, e);
    if (rc) {
        err_wrap(e, "grep: call '%s'", id);
        goto done;
    }
    b->counts[i] = w->nh;
    if (w->nh && (g->mode == MODE_TEXT || g->mode == MODE_ROWS))
        rc = emit_recs(w, b, call, text, len, e);
done:
    return rc;
}

/* cm_target(call_id): 1 when call_id is the one the worker's scan waits for, so that the
 * scan loads the blobs of wanted rows only. */
static void sql_target(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const struct worker *w = sqlite3_user_data(ctx);
    const char *id = (const char *)sqlite3_value_text(argv[0]);

    (void)argc;
    sqlite3_result_int(ctx, id && w->target && strcmp(id, w->target) == 0);
}

static const char scan_sql[] =
    "SELECT call_id, CASE WHEN cm_target(call_id) THEN size END, "
    "CASE WHEN cm_target(call_id) THEN body END FROM transcripts WHERE call_id >= ?1 "
    "ORDER BY call_id";

/* Scan the n calls of batch b. Their transcripts are read in key order with one cursor that
 * steps from one wanted row to the next (cheap when call ids follow time, as Gong's do) and
 * seeks again after GREP_SKIP unwanted rows: a lookup per call would descend the b-tree
 * every time. */
static int scan_batch(struct worker *w, struct batch *b, size_t n, struct err *e)
{
    const struct grep *g = w->g;
    size_t order[GREP_BATCH], t = 0, skipped = 0, base = b->k * GREP_BATCH;
    int seek = 1, rc = ERR_OK, step;

    for (size_t i = 0; i < n; i++) { /* insertion sort by id */
        size_t j = i;

        while (j > 0 && strcmp(cand_id(g, base + order[j - 1]), cand_id(g, base + i)) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    while (t < n && !rc) {
        const char *row;
        int cmp;

        w->target = cand_id(g, base + order[t]);
        if (seek) {
            sqlite3_reset(w->scan);
            sqlite3_bind_text(w->scan, 1, w->target, -1, SQLITE_STATIC);
            seek = 0, skipped = 0;
        }
        if ((step = sqlite3_step(w->scan)) != SQLITE_ROW) {
            if (step != SQLITE_DONE)
                rc = err_set(e, ERR_DB, "grep: read transcripts: %s", sqlite3_errmsg(w->db));
            break; /* no transcript at or after the target: none for the rest either */
        }
        row = (const char *)sqlite3_column_text(w->scan, 0);
        cmp = row ? strcmp(row, w->target) : -1;
        if (cmp < 0) {
            seek = ++skipped > GREP_SKIP;
        } else if (cmp > 0) { /* the target has no transcript; seek to the next one */
            t++;
            seek = 1;
        } else {
            rc = scan_call(w, b, order[t], e);
            t++;
            skipped = 0;
        }
    }
    sqlite3_reset(w->scan);
    w->target = NULL;
    return rc;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct grep *g = w->g;

    for (;;) {
        struct batch *b;
        size_t k;

        pthread_mutex_lock(&g->mu);
        while (!g->stop && g->next_batch < g->n_batches && g->next_batch >= g->printed + g->n_slots)
            pthread_cond_wait(&g->cv, &g->mu);
        if (g->stop || g->next_batch >= g->n_batches) {
            pthread_mutex_unlock(&g->mu);
            return NULL;
        }
        k = g->next_batch++;
        b = &g->slots[k % g->n_slots];
        b->k = k;
        pthread_mutex_unlock(&g->mu);

        b->nr = b->nm = 0;
        buf_reset(&b->arena);
        memset(b->counts, 0, sizeof b->counts);
        b->rc = scan_batch(w, b, k + 1 < g->n_batches ? GREP_BATCH : g->n_cands - k * GREP_BATCH,
                           &b->e);

        pthread_mutex_lock(&g->mu);
        b->done = 1;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
    }
}

static int worker_open(struct worker *w, struct grep *g, struct err *e)
{
    int rc;

    w->g = g;
    buf_init(&w->text, 0);
    buf_init(&w->un, 0);
    buf_init(&w->fixed, 0);
    buf_init(&w->pmeta, 0);
    if ((rc = cmd_open_db(g->c, &w->db, e)))
        return rc;
    /* one read transaction for the whole scan: no lock and change check per call */
    sqlite3_exec(w->db, "BEGIN", NULL, NULL, NULL);
    if (sqlite3_create_function(w->db, "cm_target", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, w,
                                sql_target, NULL, NULL) != SQLITE_OK)
        return db_error(w->db, e, "grep: register cm_target");
    if ((rc = cmd_prepare(w->db, scan_sql, &w->scan, e)) ||
        (rc = cmd_prepare(w->db,
                          "SELECT p.speaker_id, coalesce(p.name, (SELECT nullif(trim("
                          "ifnull(u.first_name, '') || ' ' || ifnull(u.last_name, '')), '') "
                          "FROM users u WHERE u.id = p.user_id)), p.affiliation FROM parties p "
                          "WHERE p.call_id = ?1 AND p.speaker_id IS NOT NULL ORDER BY p.ord",
                          &w->get_p, e)))
        return rc;
    w->re = re_clone(g->re);
    w->z = zblob_codec_new(ZBLOB_LEVEL);
    if (!w->re || !w->z)
        return err_set(e, ERR_NOMEM, "grep: out of memory");
    return ERR_OK;
}

static void worker_close(struct worker *w)
{
    sqlite3_finalize(w->scan);
    sqlite3_finalize(w->get_p);
    sqlite3_close(w->db);
    re_free(w->re);
    zblob_codec_free(w->z);
    buf_release(&w->text);
    buf_release(&w->un);
    buf_release(&w->fixed);
    buf_release(&w->pmeta);
    free(w->p);
    free(w->h);
    free(w->lines);
}

/* ---- printing (main thread) ------------------------------------------------------------ */

struct printer {
    struct grep *g;
    struct buf ob;
    struct out *o; /* rows for --format */
    size_t total;  /* hits printed */
    size_t last_call, last_idx;
    sqlite3 *db;        /* the main thread's connection */
    sqlite3_stmt *meta; /* title, started, url, rep, stage of one call */
    size_t meta_call;   /* the call meta is stepped on, or NONE */
};

#define C_HEAD "\033[1;35m"
#define C_TIME "\033[32m"
#define C_MATCH "\033[1;31m"
#define C_OFF "\033[0m"

enum { M_TITLE, M_STARTED, M_URL, M_REP, M_STAGE };

/* Step pr->meta onto the call's row (the columns stay valid until the next call). */
static int load_meta(struct printer *pr, size_t call, struct err *e)
{
    int step;

    if (pr->meta_call == call)
        return ERR_OK;
    sqlite3_reset(pr->meta);
    sqlite3_bind_text(pr->meta, 1, cand_id(pr->g, call), -1, SQLITE_STATIC);
    step = sqlite3_step(pr->meta);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return err_set(e, ERR_DB, "grep: read call: %s", sqlite3_errmsg(pr->db));
    pr->meta_call = step == SQLITE_ROW ? call : NONE;
    return ERR_OK;
}

/* A metadata column of the loaded call, or NULL. */
static const char *meta(const struct printer *pr, int col)
{
    return pr->meta_call == NONE ? NULL : (const char *)sqlite3_column_text(pr->meta, col);
}

static int put_meta(struct printer *pr, const char *v, const char *sep, struct err *e)
{
    if (!v || !*v)
        return ERR_OK;
    return buf_puts(&pr->ob, sep, e) || out_safe_text(&pr->ob, v, strlen(v), e)
               ? err_set(e, ERR_NOMEM, "grep: out of memory")
               : ERR_OK;
}

static int heading(struct printer *pr, size_t call, struct err *e)
{
    const char *title, *started;
    int rc;

    if ((rc = load_meta(pr, call, e)))
        return rc;
    title = meta(pr, M_TITLE), started = meta(pr, M_STARTED);
    if (pr->last_call != NONE && (rc = buf_putc(&pr->ob, '\n', e)))
        return rc;
    if ((rc = buf_puts(&pr->ob, pr->g->color ? C_HEAD : "", e)) ||
        (rc =
             out_safe_text(&pr->ob, title ? title : "(untitled)", title ? strlen(title) : 10, e)) ||
        (rc = buf_puts(&pr->ob, pr->g->color ? C_OFF : "", e)))
        return rc;
    if (started && (rc = buf_printf(&pr->ob, e, " · %.10s", started)))
        return rc;
    if ((rc = put_meta(pr, meta(pr, M_REP), " · ", e)) ||
        (rc = put_meta(pr, meta(pr, M_STAGE), " · ", e)) ||
        (rc = put_meta(pr, cand_id(pr->g, call), " · id ", e)))
        return rc;
    return buf_putc(&pr->ob, '\n', e);
}

/* How many of a rec's matches may still be printed under --max-hits. */
static size_t allowed(const struct printer *pr, size_t n)
{
    size_t max = pr->g->max_hits;

    if (!max)
        return n;
    return pr->total >= max ? 0 : n < max - pr->total ? n : max - pr->total;
}

static int text_rec(struct printer *pr, const struct batch *b, const struct rec *r, size_t nm,
                    struct err *e)
{
    struct buf *o = &pr->ob;
    const char *text = b->arena.data + r->text;
    const char *on = pr->g->color ? C_MATCH : "", *off = pr->g->color ? C_OFF : "";
    size_t at = 0;
    char t[24];
    int rc;

    if (r->call != pr->last_call) {
        if ((rc = heading(pr, r->call, e)))
            return rc;
        pr->last_call = r->call;
    } else if (pr->g->context && r->idx != pr->last_idx + 1 && (rc = buf_puts(o, "--\n", e))) {
        return rc;
    }
    pr->last_idx = r->idx;
    out_mmss(r->start_ms, t);
    if ((rc = buf_printf(o, e, "%s%s%s ", pr->g->color ? C_TIME : "", t, off)))
        return rc;
    if (r->name != NONE)
        rc = out_safe_text(o, b->arena.data + r->name, r->name_len, e);
    else if (r->spk_len)
        rc = buf_puts(o, "speaker ", e) || out_safe_text(o, b->arena.data + r->spk, r->spk_len, e);
    else
        rc = buf_puts(o, "unknown speaker", e);
    if (!rc && r->role)
        rc = buf_puts(o, r->role == ROLE_REP ? " (rep)" : " (customer)", e);
    if (!rc)
        rc = buf_puts(o, r->m_count ? ": " : "- ", e);
    for (size_t j = 0; j < nm && !rc; j++) {
        const struct match *m = &b->m[r->m_first + j];

        rc = out_safe_text(o, text + at, m->s - at, e) || buf_puts(o, on, e) ||
             out_safe_text(o, text + m->s, m->e - m->s, e) || buf_puts(o, off, e);
        at = m->e;
    }
    if (!rc)
        rc = out_safe_text(o, text + at, r->text_len - at, e) || buf_putc(o, '\n', e);
    return rc ? err_set(e, ERR_NOMEM, "grep: out of memory") : ERR_OK;
}

static struct out_cell text_cell(const char *s, size_t n)
{
    struct out_cell c = {.type = s ? SQLITE_TEXT : SQLITE_NULL, .s = s, .n = n};

    return c;
}

static struct out_cell str_cell(const char *s)
{
    return text_cell(s, s ? strlen(s) : 0);
}

static int row_recs(struct printer *pr, const struct batch *b, const struct rec *r, size_t nm,
                    struct err *e)
{
    const char *a = b->arena.data;
    int rc;

    if ((rc = load_meta(pr, r->call, e)))
        return rc;
    for (size_t j = 0; j < nm; j++) {
        const struct match *m = &b->m[r->m_first + j];
        struct out_cell cells[10] = {
            str_cell(cand_id(pr->g, r->call)),
            str_cell(meta(pr, M_TITLE)),
            str_cell(meta(pr, M_STARTED)),
            text_cell(r->spk_len ? a + r->spk : NULL, r->spk_len),
            text_cell(r->name != NONE ? a + r->name : NULL, r->name_len),
            text_cell(r->aff != NONE ? a + r->aff : NULL, r->aff_len),
            {.type = SQLITE_INTEGER, .i = r->start_ms},
            text_cell(a + r->text, r->text_len),
            text_cell(a + r->text + m->s, m->e - m->s),
            str_cell(meta(pr, M_URL)),
        };

        if ((rc = out_row(pr->o, cells, e)))
            return rc;
    }
    return ERR_OK;
}

/* Count (-c) and list (-l) lines for the calls of a batch. */
static int per_call(struct printer *pr, const struct batch *b, int *stop, struct err *e)
{
    const struct grep *g = pr->g;
    int rc = ERR_OK;

    for (size_t i = 0; i < GREP_BATCH && !rc && !*stop; i++) {
        size_t call = b->k * GREP_BATCH + i, n;
        const char *id;

        if (call >= g->n_cands || !b->counts[i])
            continue;
        id = cand_id(g, call);
        n = allowed(pr, b->counts[i]);
        pr->total += n;
        *stop = g->max_hits && pr->total >= g->max_hits;
        if (pr->o) {
            struct out_cell cells[3] = {
                str_cell(id), str_cell(NULL), {.type = SQLITE_INTEGER, .i = (int64_t)n}};

            if (g->mode == MODE_COUNT) {
                if ((rc = load_meta(pr, call, e)))
                    break;
                cells[1] = str_cell(meta(pr, M_TITLE));
            }
            rc = out_row(pr->o, cells, e); /* -l writes only the first */
            continue;
        }
        rc = out_safe_text(&pr->ob, id, strlen(id), e);
        if (!rc)
            rc = g->mode == MODE_COUNT ? buf_printf(&pr->ob, e, "\t%zu\n", n)
                                       : buf_putc(&pr->ob, '\n', e);
    }
    return rc;
}

/* Print a finished batch; *stop is set once --max-hits is reached. */
static int print_batch(struct printer *pr, const struct batch *b, int *stop, struct err *e)
{
    int rc = ERR_OK;

    if (pr->g->mode == MODE_COUNT || pr->g->mode == MODE_LIST)
        rc = per_call(pr, b, stop, e);
    for (size_t i = 0;
         i < b->nr && !rc && !*stop && pr->g->mode != MODE_COUNT && pr->g->mode != MODE_LIST; i++) {
        const struct rec *r = &b->r[i];
        size_t nm = allowed(pr, r->m_count);

        if (r->m_count && !nm)
            break;
        rc = pr->g->mode == MODE_TEXT ? text_rec(pr, b, r, nm, e) : row_recs(pr, b, r, nm, e);
        pr->total += nm;
        *stop = pr->g->max_hits && pr->total >= pr->g->max_hits;
    }
    if (!rc && pr->ob.len >= (64u << 10))
        rc = out_flush_buf(stdout, &pr->ob, e);
    return rc;
}

/* ---- running --------------------------------------------------------------------------- */

/* The ids of the calls the filters select, oldest first. A call without a transcript is
 * skipped by the worker that finds none (cheaper than asking here). */
static int load_cands(struct grep *g, sqlite3 *db, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc, step;

    buf_init(&q, 0);
    if ((rc = buf_puts(&q, "SELECT calls.id FROM calls WHERE ", e)) ||
        (rc = filter_sql(&g->f, &q, e)) ||
        (rc = buf_puts(&q, " ORDER BY calls.started, calls.id", e)) ||
        (rc = cmd_prepare(db, q.data, &st, e)) || (rc = filter_bind(&g->f, st, e)))
        goto done;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);

        if (!v)
            continue;
        if (GROW(g->cands, g->cap_cands, g->n_cands)) {
            rc = err_set(e, ERR_NOMEM, "grep: out of memory");
            goto done;
        }
        g->cands[g->n_cands++] = g->ids.len;
        if ((rc = buf_append(&g->ids, v, (size_t)sqlite3_column_bytes(st, 0) + 1, e)))
            goto done;
    }
    if (step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "grep: select calls: %s", sqlite3_errmsg(db));
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

/* The statement the printer reads a call's heading with. */
static int prepare_meta(struct printer *pr, struct err *e)
{
    struct buf q;
    int rc;

    buf_init(&q, 0);
    if (!(rc = buf_printf(&q, e, "SELECT calls.title, calls.started, calls.url, %s, ",
                          filter_rep_expr)) &&
        !(rc = filter_deal_column(&pr->g->f, "stage", &q, e)) &&
        !(rc = buf_puts(&q, " FROM calls WHERE calls.id = ?1", e)))
        rc = cmd_prepare(pr->db, q.data, &pr->meta, e);
    buf_release(&q);
    return rc;
}

/* Run the workers and print the batches in order. */
static int run(struct grep *g, sqlite3 *db, struct err *e)
{
    struct worker *w = NULL;
    struct printer pr = {.g = g, .last_call = NONE, .last_idx = NONE, .db = db, .meta_call = NONE};
    int started = 0, rc = ERR_OK, stop = 0;
    static const char *const hit_cols[] = {"call_id",      "title",       "started",  "speaker_id",
                                           "speaker_name", "affiliation", "start_ms", "text",
                                           "match",        "url"};
    static const char *const count_cols[] = {"call_id", "title", "count"};

    buf_init(&pr.ob, 0);
    if ((rc = prepare_meta(&pr, e)))
        return rc;
    g->n_batches = (g->n_cands + GREP_BATCH - 1) / GREP_BATCH;
    if (g->threads > (int)g->n_batches)
        g->threads = g->n_batches ? (int)g->n_batches : 1;
    g->n_slots = (size_t)g->threads * GREP_WINDOW;
    g->slots = calloc(g->n_slots, sizeof *g->slots);
    w = calloc((size_t)g->threads, sizeof *w);
    if (!g->slots || !w) {
        rc = err_set(e, ERR_NOMEM, "grep: out of memory");
        goto done;
    }
    for (size_t i = 0; i < g->n_slots; i++) {
        g->slots[i].k = NONE;
        buf_init(&g->slots[i].arena, (size_t)1 << 30);
    }
    if (g->c->format_set) {
        pr.o = out_new(stdout, g->c->format, 0);
        if (!pr.o) {
            rc = err_set(e, ERR_NOMEM, "grep: out of memory");
            goto done;
        }
        rc = g->mode == MODE_COUNT  ? out_begin(pr.o, 3, count_cols, e)
             : g->mode == MODE_LIST ? out_begin(pr.o, 1, count_cols, e)
                                    : out_begin(pr.o, 10, hit_cols, e);
        if (rc)
            goto done;
    }
    for (int i = 0; i < g->threads && g->n_batches; i++) {
        if ((rc = worker_open(&w[i], g, e)))
            goto done;
        if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
            rc = err_set(e, ERR_NOMEM, "grep: cannot start a thread");
            goto done;
        }
        started++;
    }
    for (size_t k = 0; k < g->n_batches && !stop && !rc; k++) {
        struct batch *b = &g->slots[k % g->n_slots];

        pthread_mutex_lock(&g->mu);
        while (!(b->done && b->k == k))
            pthread_cond_wait(&g->cv, &g->mu);
        pthread_mutex_unlock(&g->mu);
        if (b->rc) {
            *e = b->e;
            rc = b->rc;
        } else {
            rc = print_batch(&pr, b, &stop, e);
        }
        pthread_mutex_lock(&g->mu);
        b->done = 0;
        g->printed = k + 1;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
    }
done:
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    for (int i = 0; i < started; i++)
        pthread_join(w[i].tid, NULL);
    for (int i = 0; w && i < g->threads; i++)
        worker_close(&w[i]);
    if (!rc && pr.o)
        rc = out_end(pr.o, e);
    if (!rc)
        rc = out_flush_buf(stdout, &pr.ob, e);
    for (size_t i = 0; g->slots && i < g->n_slots; i++) {
        buf_release(&g->slots[i].arena);
        free(g->slots[i].r);
        free(g->slots[i].m);
    }
    free(g->slots);
    g->slots = NULL;
    free(w);
    out_free(pr.o);
    buf_release(&pr.ob);
    sqlite3_finalize(pr.meta);
    return rc;
}

static int parse_count_arg(const char *opt, const char *arg, long long max, long long *v,
                           struct err *e)
{
    char *end = NULL;

    *v = strtoll(arg, &end, 10);
    if (!*arg || *end || *v < 0 || *v > max)
        return err_set(e, ERR_USAGE, "grep: %s '%s': expected a whole number from 0 to %lld", opt,
                       arg, max);
    return ERR_OK;
}

static int parse_args(struct grep *g, struct cmd_ctx *c, int argc, char **argv, int *help,
                      const char **color, struct err *e)
{
    enum { OPT_SPEAKER = 0x3000, OPT_MAX_HITS, OPT_COLOR };
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS,
        FILTER_LONG_OPTIONS,
        {"regexp", 1, NULL, 'e'},
        {"ignore-case", 0, NULL, 'i'},
        {"context", 1, NULL, 'C'},
        {"count", 0, NULL, 'c'},
        {"files-with-matches", 0, NULL, 'l'},
        {"threads", 1, NULL, 'j'},
        {"speaker", 1, NULL, OPT_SPEAKER},
        {"max-hits", 1, NULL, OPT_MAX_HITS},
        {"color", 1, NULL, OPT_COLOR},
        {NULL, 0, NULL, 0},
    };
    long long v;
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":e:iC:clj:", longopts, NULL)) != -1) {
        rc = ERR_OK;
        switch (opt) {
        case CMD_OPT_HELP: *help = 1; return ERR_OK;
        case '?':
        case ':': return cmd_bad_option("grep", opt, argv, e);
        case 'e': g->pattern = optarg; break;
        case 'i': g->flags |= RE_CASELESS; break;
        case 'c': g->mode = MODE_COUNT; break;
        case 'l': g->mode = MODE_LIST; break;
        case 'C':
            rc = parse_count_arg("-C", optarg, 1000, &v, e);
            g->context = (int)v;
            break;
        case 'j':
            rc = parse_count_arg("--threads", optarg, GREP_MAX_THREADS, &v, e);
            if (!rc && v == 0)
                rc = err_set(e, ERR_USAGE, "grep: --threads must be at least 1");
            g->threads = (int)v;
            break;
        case OPT_MAX_HITS:
            rc = parse_count_arg("--max-hits", optarg, LLONG_MAX, &v, e);
            if (!rc && v == 0)
                rc = err_set(e, ERR_USAGE, "grep: --max-hits must be at least 1");
            g->max_hits = (size_t)v;
            break;
        case OPT_SPEAKER:
            if (strcmp(optarg, "rep") == 0)
                g->speaker = ROLE_REP;
            else if (strcmp(optarg, "customer") == 0)
                g->speaker = ROLE_CUSTOMER;
            else if (strcmp(optarg, "all") == 0)
                g->speaker = ROLE_ANY;
            else
                rc = err_set(e, ERR_USAGE, "grep: --speaker '%s': expected rep, customer or all",
                             optarg);
            break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
                rc = err_set(e, ERR_USAGE, "grep: --color '%s': expected auto, always or never",
                             optarg);
            *color = optarg;
            break;
        default:
            if ((rc = cmd_common_option(c, opt, optarg, e)) == ERR_NOTFOUND)
                rc = filter_option(&g->f, opt, optarg, e);
        }
        if (rc)
            return rc;
    }
    if (!g->pattern && optind < argc)
        g->pattern = argv[optind++];
    if (!g->pattern)
        return err_set(e, ERR_USAGE, "grep: give a PATTERN (see %s grep --help)", CMD_PROG);
    if (optind < argc)
        return err_set(e, ERR_USAGE, "grep: unexpected argument '%s' (see %s grep --help)",
                       argv[optind], CMD_PROG);
    return ERR_OK;
}

int cmd_grep(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    struct grep g = {.c = c, .mode = MODE_TEXT};
    const char *color = NULL;
    sqlite3 *db = NULL;
    int help = 0, rc;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    filter_init(&g.f);
    buf_init(&g.ids, (size_t)1 << 30);
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    g.threads = ncpu < 1 ? 1 : ncpu > GREP_MAX_THREADS ? GREP_MAX_THREADS : (int)ncpu;
    if ((rc = parse_args(&g, c, argc, argv, &help, &color, e)))
        goto done;
    if (help) {
        printf("%s%s%s", grep_help_head, filter_help, grep_help_tail);
        goto done;
    }
    if (g.mode == MODE_TEXT && c->format_set)
        g.mode = MODE_ROWS;
    if (g.mode != MODE_TEXT)
        g.context = 0;
    g.color = g.mode == MODE_TEXT && out_want_color(1, color);
    if ((rc = re_compile(g.pattern, g.flags, &g.re, e))) {
        err_wrap(e, "grep");
        goto done;
    }
    if ((rc = cmd_open_db(c, &db, e)) || (rc = db_exec(db, "BEGIN", e)) ||
        (rc = filter_validate(&g.f, db, e)) || (rc = load_cands(&g, db, e)))
        goto done;
    rc = run(&g, db, e);
    if (g.corrupt)
        fprintf(stderr,
                "%s: warning: skipped %zu transcript%s that could not be read "
                "(corrupt)\n",
                CMD_PROG, g.corrupt, g.corrupt == 1 ? "" : "s");
done:
    sqlite3_close(db);
    re_free(g.re);
    free(g.cands);
    buf_release(&g.ids);
    filter_release(&g.f);
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cv);
    return rc;
}
