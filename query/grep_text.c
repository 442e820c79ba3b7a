/* grep_text: matching one transcript's text for grep (see grep_text.h).
 *
 * The pattern's required literals (re_literal_find) skip transcripts that cannot match
 * without running the regex; the text is validated as UTF-8 once (invalid bytes become
 * U+FFFD); then each sentence's unescaped text is matched as its own subject, so ^ and $
 * anchor at the sentence's ends and no match spans two sentences, and only sentences
 * containing a literal reach PCRE2. Without context the scan jumps from one literal
 * occurrence to the next; with context it walks every line, remembering line offsets. A
 * hit is one non-empty match; a sentence whose only matches are empty (a pattern such as
 * ^) gives one hit. Parties (speaker names and affiliations) are read only for calls with
 * hits, or for every call with --speaker. */
#include "grep_text.h"

#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "text.h"
#include "transcript.h"

#include "banned.h"

struct party {
    size_t spk, spk_len, name, name_len, aff, aff_len; /* offsets into grep_text.pmeta */
    int role;
};

struct hit { /* a match found while scanning, before it becomes a rec */
    size_t idx, line_off, s, e;
};

struct grep_text {
    const struct grep *g;
    sqlite3 *db;
    sqlite3_stmt *get_p; /* a call's parties */
    struct re *re;
    struct buf un, fixed, pmeta;
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

/* ---- parties, matches and recs --------------------------------------------------------- */

static int load_parties(struct grep_text *w, const char *id, struct err *e)
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
        p->role = metrics_side(aff, aff ? (size_t)sqlite3_column_bytes(st, 2) : 0);
        p->name = p->aff = GREP_NONE;
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

static const struct party *find_party(const struct grep_text *w, const char *spk, size_t n)
{
    for (size_t i = 0; n && i < w->np; i++)
        if (w->p[i].spk_len == n && memcmp(w->pmeta.data + w->p[i].spk, spk, n) == 0)
            return &w->p[i];
    return NULL;
}

/* The sentence re_sentence_hits is searching, for add_hit. */
struct sentence {
    struct grep_text *w;
    size_t idx, line_off;
    struct err *e;
};

/* re_hit_fn: append one hit of the sentence to w->h. */
static int add_hit(void *arg, size_t ms, size_t me)
{
    struct sentence *st = arg;
    struct grep_text *w = st->w;

    if (GROW(w->h, w->ch, w->nh))
        return err_set(st->e, ERR_NOMEM, "grep: out of memory");
    w->h[w->nh++] = (struct hit){st->idx, st->line_off, ms, me};
    return 0;
}

/* Append sentence idx (at line offset off) to the batch as a rec, with its hits from
 * w->h[*hi..] when it is a hit sentence. */
static int add_rec(struct grep_text *w, struct grep_batch *b, size_t call, const char *text,
                   size_t len, size_t idx, size_t off, size_t *hi, struct err *e)
{
    struct transcript_line ln;
    const struct party *p;
    struct grep_rec *r;
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
    r->role = p ? p->role : GREP_ANY;
    r->name = r->aff = GREP_NONE;
    r->spk = b->arena.len, r->spk_len = ln.speaker_len;
    if ((rc = buf_append(&b->arena, ln.speaker, ln.speaker_len, e)))
        return rc;
    if (p && p->name != GREP_NONE) {
        r->name = b->arena.len, r->name_len = p->name_len;
        if ((rc = buf_append(&b->arena, w->pmeta.data + p->name, p->name_len, e)))
            return rc;
    }
    if (p && p->aff != GREP_NONE) {
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
        b->m[b->nm++] = (struct grep_match){w->h[*hi].s, w->h[*hi].e};
        r->m_count++;
        (*hi)++;
    }
    return ERR_OK;
}

/* Turn the hits of a call into recs: the hit sentences and, with -C, their context. */
static int emit_recs(struct grep_text *w, struct grep_batch *b, size_t call, const char *text,
                     size_t len, struct err *e)
{
    size_t hi = 0, next = 0, C = (size_t)w->g->context;
    int rc;

    if (!w->parties_loaded && (rc = load_parties(w, grep_cand_id(w->g, call), e)))
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
static int scan_line(struct grep_text *w, size_t idx, size_t line_off,
                     const struct transcript_line *ln, size_t limit, struct err *e)
{
    struct sentence st;
    const char *s = ln->text;
    size_t n = ln->text_len;
    int rc;

    if (w->g->speaker != GREP_ANY) {
        const struct party *p = find_party(w, ln->speaker, ln->speaker_len);

        if (!p || p->role != (int)w->g->speaker)
            return ERR_OK;
    }
    if (ln->escaped) {
        if ((rc = transcript_unescape(s, n, &w->un, e)))
            return rc;
        s = w->un.data, n = w->un.len;
    }
    st = (struct sentence){w, idx, line_off, e};
    return re_sentence_hits(w->re, s, n, limit - w->nh, add_hit, &st, e) < 0 ? e->code : ERR_OK;
}

/* Without context: jump from one occurrence of the prefilter's literals to the next and
 * search only the lines they fall in. idx is then the line's offset (increasing). */
static int scan_jumping(struct grep_text *w, const char *text, size_t len, size_t limit,
                        size_t first, struct err *e)
{
    struct transcript_line ln;
    size_t from = 0, p, start, pos;
    int rc;

    while (w->nh < limit && from < len) {
        p = first != GREP_NONE ? first : re_literal_find(w->re, text, len, from);
        first = GREP_NONE;
        if (p >= len)
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
static int scan_lines(struct grep_text *w, const char *text, size_t len, size_t limit, int pre,
                      size_t first, struct err *e)
{
    struct transcript_line ln;
    size_t pos = 0, lit = first, C = (size_t)w->g->context;
    int r, rc, have_lit = first != GREP_NONE;

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

static const char parties_sql[] =
    "SELECT p.speaker_id, coalesce(p.name, (SELECT nullif(trim(ifnull(u.first_name, '') || ' ' "
    "|| ifnull(u.last_name, '')), '') FROM users u WHERE u.id = p.user_id)), p.affiliation "
    "FROM parties p WHERE p.call_id = ?1 AND p.speaker_id IS NOT NULL ORDER BY p.ord";

int grep_text_new(const struct grep *g, sqlite3 *db, struct grep_text **out, struct err *e)
{
    struct grep_text *w = calloc(1, sizeof *w);
    int rc;

    *out = NULL;
    if (!w)
        return err_set(e, ERR_NOMEM, "grep: out of memory");
    w->g = g;
    w->db = db;
    buf_init(&w->un, 0);
    buf_init(&w->fixed, 0);
    buf_init(&w->pmeta, 0);
    if ((rc = cmd_prepare(db, parties_sql, &w->get_p, e))) {
        grep_text_free(w);
        return rc;
    }
    w->re = re_clone(g->re);
    if (!w->re) {
        grep_text_free(w);
        return err_set(e, ERR_NOMEM, "grep: out of memory");
    }
    *out = w;
    return ERR_OK;
}

void grep_text_free(struct grep_text *w)
{
    if (!w)
        return;
    sqlite3_finalize(w->get_p);
    re_free(w->re);
    buf_release(&w->un);
    buf_release(&w->fixed);
    buf_release(&w->pmeta);
    free(w->p);
    free(w->h);
    free(w->lines);
    free(w);
}

int grep_text_scan(struct grep_text *w, struct grep_batch *b, size_t i, const char *text,
                   size_t len, struct err *e)
{
    const struct grep *g = w->g;
    size_t call = b->k * GREP_BATCH + i, limit;
    const char *id = grep_cand_id(g, call);
    int pre = re_has_prefilter(w->re), rc = ERR_OK;
    size_t first = GREP_NONE; /* the first literal occurrence, once known */

    w->nh = w->nl = 0;
    w->parties_loaded = 0;
    limit = g->mode == GREP_LIST ? 1 : g->max_hits ? g->max_hits : SIZE_MAX;
    if (pre && (first = re_literal_find(w->re, text, len, 0)) >= len)
        return ERR_OK; /* none of the literals every match needs is there */
    if (!text_utf8_valid(text, len)) {
        if ((rc = text_utf8_repair(text, len, &w->fixed, e)))
            return rc;
        text = w->fixed.data, len = w->fixed.len;
        first = GREP_NONE; /* offsets moved */
    }
    if (g->speaker != GREP_ANY && (rc = load_parties(w, id, e)))
        return rc;
    rc = pre && !g->context ? scan_jumping(w, text, len, limit, first, e)
                            : scan_lines(w, text, len, limit, pre, first, e);
    if (rc)
        return err_wrap(e, "grep: call '%s'", id);
    b->counts[i] = w->nh;
    b->rec_first[i] = b->nr;
    if (w->nh && (g->mode == GREP_TEXT || g->mode == GREP_ROWS))
        rc = emit_recs(w, b, call, text, len, e);
    b->rec_count[i] = b->nr - b->rec_first[i];
    return rc;
}
