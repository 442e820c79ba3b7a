/* convo: one call's conversation read from the mirror (see convo.h).
 *
 * Turns are cut in one pass over the stored lines, without copying sentence text: a
 * sentence joins the current turn when it has the same speaker id (two unknown speakers are
 * the same) and starts less than gap_ms after the turn's end. Sides come from the parties
 * table: the first party (by ord) with the speaker id decides. Per-speaker sums are then
 * taken over the turns, speakers kept in order of first appearance (a linear search: calls
 * have a handful of speakers). Memory is sqlite3_malloc'd, text buffers are buf's. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3

#include <string.h>

#include "convo.h"
#include "err.h"
#include "transcript.h"
#include "zblob.h"

#include "banned.h"

void convo_init(struct convo *c, sqlite3 *db)
{
    memset(c, 0, sizeof *c);
    c->db = db;
    buf_init(&c->text, 0);
    buf_init(&c->pmeta, 0);
    buf_init(&c->tmp, 0);
}

void convo_release(struct convo *c)
{
    sqlite3_finalize(c->st_text);
    sqlite3_finalize(c->st_parties);
    zblob_codec_free(c->z);
    buf_release(&c->text);
    buf_release(&c->pmeta);
    buf_release(&c->tmp);
    sqlite3_free(c->p);
    sqlite3_free(c->t);
    sqlite3_free(c->s);
    convo_init(c, c->db);
}

/* Grow *arr (of elements of size sz) to hold n + 1; 0 or -1 out of memory. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    void *p;
    size_t want;

    if (n < *cap)
        return 0;
    want = *cap ? *cap * 2 : 16;
    p = sqlite3_realloc64(*arr, (sqlite3_uint64)(want * sz));
    if (!p)
        return -1;
    *arr = p;
    *cap = want;
    return 0;
}

static int prepare(struct convo *c, sqlite3_stmt **st, const char *sql, char **msg)
{
    if (*st) {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
        return SQLITE_OK;
    }
    if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) == SQLITE_OK)
        return SQLITE_OK;
    *st = NULL;
    *msg = sqlite3_mprintf("read transcript: %s", sqlite3_errmsg(c->db));
    return SQLITE_ERROR;
}

int convo_inflate(struct convo *c, const void *body, int n_body, sqlite3_int64 size, int size_type,
                  const char *call_id, char **msg)
{
    struct err e = {0};
    int rc;

    *msg = NULL;
    if (!c->z && !(c->z = zblob_codec_new(1)))
        return SQLITE_NOMEM;
    if (size_type != SQLITE_INTEGER || size < 0 || (n_body > 0 && !body)) {
        *msg = sqlite3_mprintf("transcript of call %s is corrupt", call_id);
        return SQLITE_CORRUPT;
    }
    if (size >= sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, -1)) {
        *msg = sqlite3_mprintf("transcript of call %s is too big (%lld bytes)", call_id,
                               (long long)size);
        return SQLITE_TOOBIG;
    }
    rc = zblob_inflate(c->z, body ? body : "", (size_t)(n_body > 0 ? n_body : 0), (size_t)size,
                       &c->text, &e);
    if (rc == ERR_NOMEM)
        return SQLITE_NOMEM;
    if (rc) {
        *msg = sqlite3_mprintf("transcript of call %s is corrupt", call_id);
        return SQLITE_CORRUPT;
    }
    return SQLITE_OK;
}

int convo_load_text(struct convo *c, sqlite3_value *call_id, char **msg)
{
    int rc;

    *msg = NULL;
    if ((rc = prepare(c, &c->st_text, "SELECT body, size FROM main.transcripts WHERE call_id = ?1",
                      msg)))
        return rc;
    if ((rc = sqlite3_bind_value(c->st_text, 1, call_id)) != SQLITE_OK)
        return rc;
    rc = sqlite3_step(c->st_text);
    if (rc == SQLITE_DONE)
        return SQLITE_DONE;
    if (rc != SQLITE_ROW) {
        *msg = sqlite3_mprintf("read transcript: %s", sqlite3_errmsg(c->db));
        return rc;
    }
    rc = convo_inflate(c, sqlite3_column_blob(c->st_text, 0), sqlite3_column_bytes(c->st_text, 0),
                       sqlite3_column_int64(c->st_text, 1), sqlite3_column_type(c->st_text, 1),
                       (const char *)sqlite3_value_text(call_id), msg);
    sqlite3_reset(c->st_text);
    return rc == SQLITE_OK ? SQLITE_ROW : rc;
}

static int side_of(const char *aff, size_t n)
{
    if (n == 8 && sqlite3_strnicmp(aff, "Internal", 8) == 0)
        return CONVO_REP;
    if (n == 8 && sqlite3_strnicmp(aff, "External", 8) == 0)
        return CONVO_CUSTOMER;
    return CONVO_UNKNOWN;
}

int convo_load_parties(struct convo *c, sqlite3_value *call_id, char **msg)
{
    struct err e = {0};
    int rc;

    *msg = NULL;
    c->np = 0;
    buf_reset(&c->pmeta);
    if ((rc = prepare(c, &c->st_parties,
                      "SELECT speaker_id, affiliation FROM main.parties WHERE call_id = ?1 "
                      "AND speaker_id IS NOT NULL AND speaker_id <> '' ORDER BY ord",
                      msg)))
        return rc;
    if ((rc = sqlite3_bind_value(c->st_parties, 1, call_id)) != SQLITE_OK)
        return rc;
    while ((rc = sqlite3_step(c->st_parties)) == SQLITE_ROW) {
        const char *spk = (const char *)sqlite3_column_text(c->st_parties, 0);
        size_t spk_len = (size_t)sqlite3_column_bytes(c->st_parties, 0);
        const char *aff = (const char *)sqlite3_column_text(c->st_parties, 1);
        size_t aff_len = aff ? (size_t)sqlite3_column_bytes(c->st_parties, 1) : 0;
        struct convo_party *p;

        if (!spk || convo_party_of(c, spk, spk_len) >= 0)
            continue; /* the first party with a speaker id decides */
        if (grow((void **)&c->p, &c->cp, c->np, sizeof *c->p))
            return SQLITE_NOMEM;
        p = &c->p[c->np];
        p->spk = c->pmeta.len;
        p->spk_len = spk_len;
        if (buf_append(&c->pmeta, spk, spk_len, &e))
            return SQLITE_NOMEM;
        p->aff = c->pmeta.len;
        p->aff_len = aff_len;
        if (aff_len && buf_append(&c->pmeta, aff, aff_len, &e))
            return SQLITE_NOMEM;
        p->side = aff ? side_of(aff, aff_len) : CONVO_UNKNOWN;
        c->np++;
    }
    sqlite3_reset(c->st_parties);
    if (rc != SQLITE_DONE) {
        *msg = sqlite3_mprintf("read parties: %s", sqlite3_errmsg(c->db));
        return rc;
    }
    return SQLITE_OK;
}

int convo_party_of(const struct convo *c, const char *spk, size_t n)
{
    for (size_t i = 0; n && i < c->np; i++)
        if (c->p[i].spk_len == n && memcmp(c->pmeta.data + c->p[i].spk, spk, n) == 0)
            return (int)i;
    return -1;
}

const char *convo_side_name(int side)
{
    return side == CONVO_REP ? "rep" : side == CONVO_CUSTOMER ? "customer" : NULL;
}

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

int convo_is_question(struct convo *c, const char *text, size_t n, int escaped)
{
    struct err e = {0};

    if (!escaped)
        return ends_in_question(text, n);
    if (transcript_unescape(text, n, &c->tmp, &e) != ERR_OK)
        return ends_in_question(text, n);
    return ends_in_question(c->tmp.data, c->tmp.len);
}

/* Close turn t: its side and the gap since the latest turn with a known side. */
static void close_turn(struct convo *c, struct convo_turn *t, int *last_side, int64_t *last_end)
{
    t->side = t->party >= 0 ? c->p[t->party].side : CONVO_UNKNOWN;
    t->prev_side = *last_side;
    t->has_gap = *last_side != CONVO_UNKNOWN;
    t->gap_ms = t->has_gap ? t->start_ms - *last_end : 0;
    if (t->side != CONVO_UNKNOWN) {
        *last_side = t->side;
        *last_end = t->end_ms;
    }
}

int convo_turns(struct convo *c, int64_t gap_ms, const char *call_id, char **msg)
{
    const char *text = c->text.data ? c->text.data : "";
    struct transcript_line ln;
    struct convo_turn *cur = NULL;
    size_t pos = 0, line = 0;
    int64_t last_end = 0;
    int r, last_side = CONVO_UNKNOWN;

    *msg = NULL;
    c->nt = 0;
    while ((r = transcript_next(text, c->text.len, &pos, &ln)) != 0) {
        line++;
        if (r < 0) {
            *msg = sqlite3_mprintf("transcript of call %s is corrupt: line %lld is malformed",
                                   call_id, (long long)line);
            return SQLITE_CORRUPT;
        }
        if (!cur || cur->spk_len != ln.speaker_len ||
            memcmp(text + cur->spk, ln.speaker, ln.speaker_len) != 0 ||
            ln.start_ms - cur->end_ms >= gap_ms) {
            if (cur)
                close_turn(c, cur, &last_side, &last_end);
            if (grow((void **)&c->t, &c->ct, c->nt, sizeof *c->t))
                return SQLITE_NOMEM;
            cur = &c->t[c->nt++];
            memset(cur, 0, sizeof *cur);
            cur->spk = (size_t)(ln.speaker - text);
            cur->spk_len = ln.speaker_len;
            cur->party = convo_party_of(c, ln.speaker, ln.speaker_len);
            cur->start_ms = ln.start_ms;
            cur->end_ms = ln.end_ms;
        }
        if (ln.end_ms > cur->end_ms)
            cur->end_ms = ln.end_ms;
        cur->talk_ms += ln.end_ms - ln.start_ms;
        cur->sentences++;
        cur->questions += convo_is_question(c, ln.text, ln.text_len, ln.escaped);
    }
    if (cur)
        close_turn(c, cur, &last_side, &last_end);
    return SQLITE_OK;
}

int convo_speakers(struct convo *c)
{
    c->ns = 0;
    for (size_t i = 0; i < c->nt; i++) {
        const struct convo_turn *t = &c->t[i];
        struct convo_speaker *s = NULL;
        int64_t len = t->end_ms - t->start_ms;

        for (size_t k = 0; k < c->ns && !s; k++)
            if (c->s[k].spk_len == t->spk_len &&
                memcmp(c->text.data + c->s[k].spk, c->text.data + t->spk, t->spk_len) == 0)
                s = &c->s[k];
        if (!s) {
            if (grow((void **)&c->s, &c->cs, c->ns, sizeof *c->s))
                return SQLITE_NOMEM;
            s = &c->s[c->ns++];
            memset(s, 0, sizeof *s);
            s->spk = t->spk;
            s->spk_len = t->spk_len;
            s->party = t->party;
            s->side = t->side;
            s->first_ms = t->start_ms;
            s->longest_ms = len;
        }
        s->talk_ms += t->talk_ms;
        s->sentences += t->sentences;
        s->questions += t->questions;
        s->turns++;
        if (len > s->longest_ms)
            s->longest_ms = len;
        if (t->side != CONVO_UNKNOWN && t->has_gap && t->prev_side != t->side) {
            s->switches++;
            s->reply_ms += t->gap_ms;
        }
        if (t->end_ms > s->last_ms)
            s->last_ms = t->end_ms;
    }
    return SQLITE_OK;
}
