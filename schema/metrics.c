/* metrics: sides, turns and the call_metrics row of one transcript (see metrics.h).
 *
 * Turns are cut in one pass over the stored lines without copying sentence text; speakers
 * are then summed over the turns, found by a linear search (calls have a handful of
 * speakers), and the row is summed over the speakers by side, exactly as
 * tools/dev/fill_metrics.sql sums transcript_speakers(). */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "transcript.h"

#include "banned.h"

/* ---- saturating int64 arithmetic (hostile times must not overflow) ---------------------- */

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

/* ---- parties ------------------------------------------------------------------------------ */

void metrics_conv_init(struct metrics_conv *m)
{
    memset(m, 0, sizeof *m);
    buf_init(&m->pmeta, 0);
    buf_init(&m->tmp, 0);
}

void metrics_conv_release(struct metrics_conv *m)
{
    buf_release(&m->pmeta);
    buf_release(&m->tmp);
    free(m->p);
    free(m->t);
    free(m->s);
    metrics_conv_init(m);
}

/* Grow *arr (of elements of size sz) to hold n + 1; ERR_NOMEM on failure. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz, struct err *e)
{
    void *p;
    size_t want;

    if (n < *cap)
        return ERR_OK;
    want = *cap ? *cap * 2 : 16;
    if (want > ((size_t)-1) / sz || !(p = realloc(*arr, want * sz)))
        return err_set(e, ERR_NOMEM, "conversation measures: out of memory");
    *arr = p;
    *cap = want;
    return ERR_OK;
}

static int ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

int metrics_side(const char *aff, size_t n)
{
    if (aff && n == 8 && ieq(aff, "Internal", 8))
        return METRICS_REP;
    if (aff && n == 8 && ieq(aff, "External", 8))
        return METRICS_CUSTOMER;
    return METRICS_UNKNOWN;
}

void metrics_parties_reset(struct metrics_conv *m)
{
    m->np = 0;
    buf_reset(&m->pmeta);
}

int metrics_party_of(const struct metrics_conv *m, const char *spk, size_t n)
{
    for (size_t i = 0; n && i < m->np; i++)
        if (m->p[i].spk_len == n && memcmp(m->pmeta.data + m->p[i].spk, spk, n) == 0)
            return (int)i;
    return -1;
}

int metrics_add_party(struct metrics_conv *m, const char *spk, size_t spk_len, const char *aff,
                      size_t aff_len, const char *uid, size_t uid_len, struct err *e)
{
    struct metrics_party *p;
    int rc;

    if (!spk || !spk_len || metrics_party_of(m, spk, spk_len) >= 0)
        return ERR_OK; /* the first party with a speaker id decides */
    if ((rc = grow((void **)&m->p, &m->cp, m->np, sizeof *m->p, e)))
        return rc;
    p = &m->p[m->np];
    memset(p, 0, sizeof *p);
    p->spk = m->pmeta.len;
    p->spk_len = spk_len;
    if ((rc = buf_append(&m->pmeta, spk, spk_len, e)))
        return rc;
    p->aff = m->pmeta.len;
    p->aff_len = aff ? aff_len : 0;
    if (p->aff_len && (rc = buf_append(&m->pmeta, aff, aff_len, e)))
        return rc;
    p->uid = m->pmeta.len;
    p->uid_len = uid ? uid_len : 0;
    p->has_uid = uid != NULL;
    if (p->uid_len && (rc = buf_append(&m->pmeta, uid, uid_len, e)))
        return rc;
    p->side = metrics_side(aff, aff_len);
    m->np++;
    return ERR_OK;
}

/* ---- questions ---------------------------------------------------------------------------- */

/* 1 when s[0..n) ends in a question mark once trailing ASCII white space is dropped. */
static int ends_in_question(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;

    while (n && (u[n - 1] == ' ' || u[n - 1] == '\t' || u[n - 1] == '\n' || u[n - 1] == '\r'))
        n--;
    if (n >= 1 && u[n - 1] == '?')
        return 1;
    if (n >= 3 && u[n - 3] == 0xEF && u[n - 2] == 0xBC && u[n - 1] == 0x9F) /* U+FF1F */
        return 1;
    return n >= 2 && u[n - 2] == 0xD8 && u[n - 1] == 0x9F; /* U+061F */
}

int metrics_is_question(struct metrics_conv *m, const char *text, size_t n, int escaped)
{
    if (!escaped || transcript_unescape(text, n, &m->tmp, NULL) != ERR_OK)
        return ends_in_question(text, n);
    return ends_in_question(m->tmp.data, m->tmp.len);
}

/* ---- turns and speakers ------------------------------------------------------------------- */

/* Close turn t: its side and the gap since the latest turn with a known side. */
static void close_turn(const struct metrics_conv *m, struct metrics_turn *t, int *last_side,
                       int64_t *last_end)
{
    t->side = t->party >= 0 ? m->p[t->party].side : METRICS_UNKNOWN;
    t->prev_side = *last_side;
    t->has_gap = *last_side != METRICS_UNKNOWN;
    t->gap_ms = t->has_gap ? sat_sub(t->start_ms, *last_end) : 0;
    if (t->side != METRICS_UNKNOWN) {
        *last_side = t->side;
        *last_end = t->end_ms;
    }
}

int metrics_turns(struct metrics_conv *m, const char *text, size_t len, int64_t gap_ms,
                  struct err *e)
{
    struct transcript_line ln;
    struct metrics_turn *cur = NULL;
    size_t pos = 0;
    int64_t last_end = 0, line = 0;
    int r, rc, last_side = METRICS_UNKNOWN;

    m->nt = 0;
    if (!text)
        text = "", len = 0;
    while ((r = transcript_next(text, len, &pos, &ln)) != 0) {
        line++;
        if (r < 0)
            return err_set(e, ERR_PARSE, "line %lld is malformed", (long long)line);
        if (!cur || cur->spk_len != ln.speaker_len ||
            memcmp(text + cur->spk, ln.speaker, ln.speaker_len) != 0 ||
            sat_sub(ln.start_ms, cur->end_ms) >= gap_ms) {
            if (cur)
                close_turn(m, cur, &last_side, &last_end);
            if ((rc = grow((void **)&m->t, &m->ct, m->nt, sizeof *m->t, e)))
                return rc;
            cur = &m->t[m->nt++];
            memset(cur, 0, sizeof *cur);
            cur->spk = (size_t)(ln.speaker - text);
            cur->spk_len = ln.speaker_len;
            cur->party = metrics_party_of(m, ln.speaker, ln.speaker_len);
            cur->start_ms = ln.start_ms;
            cur->end_ms = ln.end_ms;
        }
        if (ln.end_ms > cur->end_ms)
            cur->end_ms = ln.end_ms;
        cur->talk_ms = sat_add(cur->talk_ms, sat_sub(ln.end_ms, ln.start_ms));
        cur->sentences++;
        cur->questions += metrics_is_question(m, ln.text, ln.text_len, ln.escaped);
    }
    if (cur)
        close_turn(m, cur, &last_side, &last_end);
    return ERR_OK;
}

int metrics_speakers(struct metrics_conv *m, const char *text, struct err *e)
{
    int rc;

    m->ns = 0;
    for (size_t i = 0; i < m->nt; i++) {
        const struct metrics_turn *t = &m->t[i];
        struct metrics_speaker *s = NULL;
        int64_t len = sat_sub(t->end_ms, t->start_ms);

        for (size_t k = 0; k < m->ns && !s; k++)
            if (m->s[k].spk_len == t->spk_len &&
                memcmp(text + m->s[k].spk, text + t->spk, t->spk_len) == 0)
                s = &m->s[k];
        if (!s) {
            if ((rc = grow((void **)&m->s, &m->cs, m->ns, sizeof *m->s, e)))
                return rc;
            s = &m->s[m->ns++];
            memset(s, 0, sizeof *s);
            s->spk = t->spk;
            s->spk_len = t->spk_len;
            s->party = t->party;
            s->side = t->side;
            s->first_ms = t->start_ms;
            s->longest_ms = len;
        }
        s->talk_ms = sat_add(s->talk_ms, t->talk_ms);
        s->sentences += t->sentences;
        s->questions += t->questions;
        s->turns++;
        if (len > s->longest_ms)
            s->longest_ms = len;
        if (t->side != METRICS_UNKNOWN && t->has_gap && t->prev_side != t->side) {
            s->switches++;
            s->reply_ms = sat_add(s->reply_ms, t->gap_ms);
        }
        if (t->end_ms > s->last_ms)
            s->last_ms = t->end_ms;
    }
    return ERR_OK;
}

/* ---- the call_metrics row ----------------------------------------------------------------- */

/* Is speaker id a[0..na) before b[0..nb) in SQLite's BINARY order? */
static int id_before(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);

    return c < 0 || (c == 0 && na < nb);
}

int metrics_compute(struct metrics_conv *m, const char *text, size_t len, struct metrics *out,
                    struct err *e)
{
    const struct metrics_speaker *rep = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if (!text)
        text = "", len = 0;
    if ((rc = metrics_turns(m, text, len, METRICS_GAP_MS, e)) ||
        (rc = metrics_speakers(m, text, e)))
        return rc;
    for (size_t i = 0; i < m->ns; i++) {
        const struct metrics_speaker *s = &m->s[i];

        out->sentences += s->sentences;
        if (!out->has_span || s->first_ms < out->first_ms)
            out->first_ms = s->first_ms;
        if (!out->has_span || s->last_ms > out->last_ms)
            out->last_ms = s->last_ms;
        out->has_span = 1;
        if (s->side == METRICS_UNKNOWN) {
            out->other_talk_ms = sat_add(out->other_talk_ms, s->talk_ms);
            continue;
        }
        out->switches += s->switches;
        if (s->side == METRICS_CUSTOMER) {
            out->customer_talk_ms = sat_add(out->customer_talk_ms, s->talk_ms);
            out->customer_questions += s->questions;
            if (!out->has_customer_longest || s->longest_ms > out->customer_longest_ms)
                out->customer_longest_ms = s->longest_ms;
            out->has_customer_longest = 1;
            continue;
        }
        out->rep_talk_ms = sat_add(out->rep_talk_ms, s->talk_ms);
        out->rep_questions += s->questions;
        if (!out->has_rep_longest || s->longest_ms > out->rep_longest_ms)
            out->rep_longest_ms = s->longest_ms;
        out->has_rep_longest = 1;
        out->rep_replies += s->switches;
        out->rep_reply_ms = sat_add(out->rep_reply_ms, s->reply_ms);
        if (!rep || s->talk_ms > rep->talk_ms ||
            (s->talk_ms == rep->talk_ms &&
             id_before(text + s->spk, s->spk_len, text + rep->spk, rep->spk_len)))
            rep = s;
    }
    if (rep) {
        const struct metrics_party *p = &m->p[rep->party];

        out->rep_speaker_id = text + rep->spk;
        out->rep_speaker_len = rep->spk_len;
        if (p->has_uid) {
            out->rep_user_id = m->pmeta.data ? m->pmeta.data + p->uid : "";
            out->rep_user_len = p->uid_len;
        }
    }
    return ERR_OK;
}
