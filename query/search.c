/* search: the ranked search over the FTS5 sentence index (see search.h).
 *
 * search_window.c reads the matching sentences the filters keep, newest first, with their
 * phrase counts (search_rank.h scores them: bm25, at most SEARCH_RANK_WINDOW of them for a
 * top-N query); rowid >> 20 is the call's number in search_calls, rowid & 0xFFFFF the
 * sentence's line in the stored transcript. Here the window is read back best first. The current
 * call's transcript is inflated once and its line starts kept, with its parties, until a
 * hit in another call comes. Before anything is read the index tables are checked to be
 * exactly the ones callmine creates, so a crafted file cannot make the search run views or
 * foreign modules in their place. */
#include "search.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cmd.h"
#include "numset.h"
#include "search_index.h"
#include "search_rank.h"
#include "search_window.h"
#include "transcript.h"
#include "zblob.h"

#include "banned.h"

struct party {
    char *speaker_id, *name, *aff;
};

struct run {
    sqlite3 *db;
    const struct search_opts *o;
    struct search_terms *terms;
    sqlite3_stmt *tr, *pa, *ca; /* a transcript; a call's parties; a call by number */
    struct zblob_codec *z;
    /* the call at hand */
    struct buf call_id;
    int has_text;
    struct buf text; /* its inflated transcript */
    size_t *lines;   /* start of each line */
    size_t n_lines, c_lines;
    struct party *parties;
    size_t n_parties;
    /* the sentence at hand */
    struct buf un, snippet;
};

/* The CREATE statement of the index as sql/002-semantic.sql writes it, spaces removed. */
static const char index_sql[] =
    "CREATEVIRTUALTABLEsearch_sentencesUSINGfts5(text,content='',columnsize=0,"
    "tokenize='unicode61remove_diacritics2')";

/* s without ASCII whitespace equals want. */
static int same_sql(const char *s, const char *want)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            continue;
        if (*s != *want++)
            return 0;
    }
    return *want == '\0';
}

int search_check_index(sqlite3 *db, struct err *e)
{
    static const char *const shadow[] = {"search_calls", "search_sentences_data",
                                         "search_sentences_idx", "search_sentences_config"};
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK, step;

    if ((rc = cmd_prepare(db, "SELECT type, sql FROM sqlite_schema WHERE name = ?1", &st, e)))
        return rc;
    sqlite3_bind_text(st, 1, "search_sentences", -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        rc = err_set(e, ERR_NOTFOUND,
                     "search: this mirror has no search index (exported with "
                     "--no-search-index?): grep searches without one");
    } else if (!sqlite3_column_text(st, 1) ||
               !same_sql((const char *)sqlite3_column_text(st, 1), index_sql)) {
        rc = err_set(e, ERR_NOTFOUND,
                     "search: the file's search_sentences is not callmine's search index: "
                     "refusing to read it");
    }
    for (size_t i = 0; i < sizeof shadow / sizeof *shadow && !rc; i++) {
        const char *type;

        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, shadow[i], -1, SQLITE_STATIC);
        step = sqlite3_step(st);
        type = step == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        if (!type || strcmp(type, "table") != 0)
            rc = err_set(e, ERR_NOTFOUND,
                         "search: the file's search index is damaged ('%s' is %s, not a table)",
                         shadow[i], type ? type : "missing");
    }
    sqlite3_finalize(st);
    return rc;
}

static void forget_call(struct run *r)
{
    for (size_t i = 0; i < r->n_parties; i++) {
        free(r->parties[i].speaker_id);
        free(r->parties[i].name);
        free(r->parties[i].aff);
    }
    free(r->parties);
    r->parties = NULL;
    r->n_parties = 0;
    r->n_lines = 0;
    r->has_text = 0;
    buf_reset(&r->call_id);
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);

    return s ? strdup(s) : NULL;
}

static int load_parties(struct run *r, const char *call_id, struct err *e)
{
    int step, rc = ERR_OK;

    sqlite3_bind_text(r->pa, 1, call_id, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(r->pa)) == SQLITE_ROW) {
        struct party *p = realloc(r->parties, (r->n_parties + 1) * sizeof *p);

        if (!p) {
            rc = err_set(e, ERR_NOMEM, "search: out of memory");
            break;
        }
        r->parties = p;
        p += r->n_parties++;
        p->speaker_id = dup_col(r->pa, 0);
        p->name = dup_col(r->pa, 1);
        p->aff = dup_col(r->pa, 2);
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "search: read parties: %s", sqlite3_errmsg(r->db));
    sqlite3_reset(r->pa);
    return rc;
}

/* Make call_id the call at hand: its transcript inflated and split, its parties read. A
 * transcript that is missing or corrupt leaves has_text 0 (its hits are stale). */
static int load_call(struct run *r, const char *call_id, struct err *e)
{
    struct transcript_line ln;
    struct err ignored = {0};
    size_t pos = 0;
    int step, rc;

    if (r->call_id.data && strcmp(r->call_id.data, call_id) == 0)
        return ERR_OK;
    forget_call(r);
    if ((rc = buf_puts(&r->call_id, call_id, e)) || (rc = load_parties(r, call_id, e)))
        return rc;
    sqlite3_bind_text(r->tr, 1, call_id, -1, SQLITE_STATIC);
    step = sqlite3_step(r->tr);
    if (step == SQLITE_ROW && sqlite3_column_int64(r->tr, 0) >= 0 &&
        zblob_inflate(r->z, sqlite3_column_blob(r->tr, 1), (size_t)sqlite3_column_bytes(r->tr, 1),
                      (size_t)sqlite3_column_int64(r->tr, 0), &r->text, &ignored) == ERR_OK)
        r->has_text = 1;
    sqlite3_reset(r->tr);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return err_set(e, ERR_DB, "search: read transcript: %s", sqlite3_errmsg(r->db));
    while (r->has_text && pos < r->text.len && r->n_lines < (size_t)SEARCH_INDEX_MAX_LINES) {
        if (r->n_lines == r->c_lines) {
            size_t cap = r->c_lines ? r->c_lines * 2 : 256;
            size_t *p = realloc(r->lines, cap * sizeof *p);

            if (!p)
                return err_set(e, ERR_NOMEM, "search: out of memory");
            r->lines = p, r->c_lines = cap;
        }
        r->lines[r->n_lines++] = pos;
        if (transcript_next(r->text.data, r->text.len, &pos, &ln) == 0)
            break;
    }
    return ERR_OK;
}

static const struct party *find_party(const struct run *r, const char *id, size_t n)
{
    for (size_t i = 0; n && i < r->n_parties; i++) {
        const char *sid = r->parties[i].speaker_id;

        if (sid && strlen(sid) == n && memcmp(sid, id, n) == 0)
            return &r->parties[i];
    }
    return NULL;
}

static int role_of(const char *aff)
{
    if (aff && strcasecmp(aff, "Internal") == 0)
        return SEARCH_REP;
    if (aff && strcasecmp(aff, "External") == 0)
        return SEARCH_CUSTOMER;
    return SEARCH_ANY;
}

/* Fill h with sentence idx of the call at hand. *ok is 0 when the hit is to be dropped
 * (sentence gone, speaker excluded, no query word in it). */
static int fill_hit(struct run *r, int64_t idx, struct search_hit *h, int *ok, int *stale,
                    struct err *e)
{
    const struct party *p;
    struct transcript_line ln;
    size_t pos;
    int rc;

    *ok = 0;
    *stale = 1;
    if (!r->has_text || idx < 0 || (size_t)idx >= r->n_lines)
        return ERR_OK;
    pos = r->lines[idx];
    if (transcript_next(r->text.data, r->text.len, &pos, &ln) != 1)
        return ERR_OK;
    p = find_party(r, ln.speaker, ln.speaker_len);
    h->speaker_id = ln.speaker_len ? ln.speaker : NULL;
    h->speaker_id_len = ln.speaker_len;
    h->speaker_name = p ? p->name : NULL;
    h->affiliation = p ? p->aff : NULL;
    h->role = p ? role_of(p->aff) : SEARCH_ANY;
    h->start_ms = ln.start_ms;
    if (r->o->speaker != SEARCH_ANY && h->role != (int)r->o->speaker) {
        *stale = 0;
        return ERR_OK;
    }
    if ((rc = transcript_unescape(ln.text, ln.text_len, &r->un, e)))
        return rc;
    h->text = r->un.data;
    h->text_len = r->un.len;
    if ((rc = search_terms_match(r->terms, h->text, h->text_len, &h->spans, &h->n_spans, e)))
        return rc;
    if (!h->n_spans && search_terms_count(r->terms))
        return ERR_OK;
    if ((rc = search_terms_snippet(h->text, h->text_len, h->spans, h->n_spans, r->o->on, r->o->off,
                                   &r->snippet, e)))
        return rc;
    h->snippet = r->snippet.data ? r->snippet.data : "";
    *ok = 1;
    *stale = 0;
    return ERR_OK;
}

/* FTS5 parses the query when the statement first steps: try it on its own, so a bad query
 * is told apart from a failing read. *longest: the most tokens in one of its phrases (0 when
 * nothing matches). */
static int check_query(sqlite3 *db, const char *query, int *longest, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc, step;

    *longest = 0;
    if ((rc = cmd_prepare(db,
                          "SELECT callmine_longest_phrase(search_sentences) FROM search_sentences "
                          "WHERE search_sentences MATCH ?1 LIMIT 1",
                          &st, e)))
        return rc;
    sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *longest = sqlite3_column_int(st, 0);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        const char *msg = sqlite3_errmsg(db);

        if (sqlite3_errcode(db) == SQLITE_INTERRUPT)
            rc = err_set(e, ERR_DB, "search: %s", msg);
        else
            rc = err_set(e, ERR_USAGE,
                         "search: bad query '%.60s': %s (QUERY is FTS5 syntax: words, "
                         "\"phrases\", OR, NOT, NEAR, prefix*; quote words with punctuation)",
                         query, strncmp(msg, "fts5: ", 6) == 0 ? msg + 6 : msg);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Phase 2: the window best first, read back and given to fn until the limit. */
static int give_hits(struct run *r, const struct search_rank *w, search_hit_fn fn, void *ctx,
                     struct search_totals *t, struct err *e)
{
    const struct search_opts *o = r->o;
    struct numset calls = {0};
    int rc = ERR_OK;

    for (size_t k = 0; k < w->n && !rc; k++) {
        int64_t rowid = w->c[k].rowid;
        struct search_hit h = {0};
        const char *call_id;
        int ok, stale, added, step;

        if (o->limit && t->hits >= o->limit) {
            t->more = 1;
            break;
        }
        sqlite3_bind_int64(r->ca, 1, rowid >> SEARCH_INDEX_SHIFT);
        if ((step = sqlite3_step(r->ca)) != SQLITE_ROW) {
            sqlite3_reset(r->ca);
            if (step != SQLITE_DONE)
                rc = err_set(e, ERR_DB, "search: read call: %s", sqlite3_errmsg(r->db));
            continue;
        }
        call_id = (const char *)sqlite3_column_text(r->ca, 0);
        if (call_id && !(rc = load_call(r, call_id, e)) &&
            !(rc = fill_hit(r, rowid & (SEARCH_INDEX_MAX_LINES - 1), &h, &ok, &stale, e))) {
            t->stale += (size_t)stale;
            if (ok) {
                h.call_id = call_id;
                h.title = (const char *)sqlite3_column_text(r->ca, 1);
                h.started = (const char *)sqlite3_column_text(r->ca, 2);
                h.url = (const char *)sqlite3_column_text(r->ca, 3);
                h.score = w->c[k].score;
                if (!(rc = fn(ctx, &h, e))) {
                    t->hits++;
                    if (!(rc = numset_add(&calls, rowid >> SEARCH_INDEX_SHIFT, &added, e)))
                        t->calls += (size_t)added;
                }
            }
        }
        sqlite3_reset(r->ca);
    }
    numset_release(&calls);
    return rc;
}

int search_run(sqlite3 *db, const struct search_opts *o, search_hit_fn fn, void *ctx,
               struct search_totals *t, struct err *e)
{
    struct run r = {.db = db, .o = o};
    struct search_rank w;
    int rc, longest;

    memset(t, 0, sizeof *t);
    search_rank_init(&w);
    buf_init(&r.call_id, 0);
    buf_init(&r.text, 0);
    buf_init(&r.un, 0);
    buf_init(&r.snippet, 0);
    if ((rc = search_check_index(db, e)) || (rc = search_rank_register(db, e)) ||
        (rc = check_query(db, o->query, &longest, e)) ||
        (rc = search_terms_new(db, o->query, &r.terms, e)))
        goto done;
    if (!(r.z = zblob_codec_new(ZBLOB_LEVEL))) {
        rc = err_set(e, ERR_NOMEM, "search: out of memory");
        goto done;
    }
    if ((rc = cmd_prepare(db, "SELECT size, body FROM transcripts WHERE call_id = ?1", &r.tr, e)) ||
        (rc = cmd_prepare(db,
                          "SELECT p.speaker_id, coalesce(p.name, (SELECT nullif(trim("
                          "ifnull(u.first_name, '') || ' ' || ifnull(u.last_name, '')), '') "
                          "FROM users u WHERE u.id = p.user_id)), p.affiliation "
                          "FROM parties p WHERE p.call_id = ?1 ORDER BY p.ord",
                          &r.pa, e)) ||
        (rc = cmd_prepare(db,
                          "SELECT c.call_id, calls.title, calls.started, calls.url "
                          "FROM search_calls c JOIN calls ON calls.id = c.call_id "
                          "WHERE c.num = ?1",
                          &r.ca, e)) ||
        (rc = search_window_read(db, o, longest > 1, &w, t, e)))
        goto done;
    search_rank_sort(&w);
    rc = give_hits(&r, &w, fn, ctx, t, e);
done:
    search_rank_release(&w);
    sqlite3_finalize(r.ca);
    sqlite3_finalize(r.tr);
    sqlite3_finalize(r.pa);
    forget_call(&r);
    free(r.lines);
    zblob_codec_free(r.z);
    search_terms_free(r.terms);
    buf_release(&r.call_id);
    buf_release(&r.text);
    buf_release(&r.un);
    buf_release(&r.snippet);
    return rc;
}
