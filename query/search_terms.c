/* search_terms: query terms and their highlighting in sentences (see search_terms.h).
 *
 * The lexer follows FTS5's query grammar closely enough to tell terms from syntax: a
 * bareword is a run of ASCII letters, digits, '_', 0x1A or bytes >= 0x80 (FTS5's own
 * rule); a string is "...", with "" for a quote. The tokenizer is found through
 * `SELECT fts5(?1)` (the documented way to reach the fts5_api of a connection). */
#include "search_terms.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define TOKEN_MAX 256 /* folded bytes of one token kept for comparison */

struct qtok {
    char *s; /* folded token */
    size_t n;
    int prefix;
};

struct search_terms {
    fts5_tokenizer tk;
    Fts5Tokenizer *tok;
    struct qtok *q;
    size_t nq, cq;
    struct search_span *sp;
    size_t nsp, csp;
    int prefix_next; /* while tokenizing a query term: its last token is a prefix */
    int rc;          /* an error inside a tokenizer callback */
};

static fts5_api *fts5_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return api;
}

static int is_bare(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '_' || c == 0x1A;
}

static int on_query_token(void *ctx, int flags, const char *tok, int n, int s, int e)
{
    struct search_terms *t = ctx;
    struct qtok *q;

    (void)s, (void)e;
    if (flags & FTS5_TOKEN_COLOCATED || n <= 0)
        return SQLITE_OK;
    if (t->nq == t->cq) {
        size_t cap = t->cq ? t->cq * 2 : 8;

        if (!(q = realloc(t->q, cap * sizeof *q)))
            return t->rc = SQLITE_NOMEM;
        t->q = q, t->cq = cap;
    }
    q = &t->q[t->nq];
    if (!(q->s = malloc((size_t)n)))
        return t->rc = SQLITE_NOMEM;
    memcpy(q->s, tok, (size_t)n);
    q->n = (size_t)n;
    q->prefix = 0;
    t->nq++;
    return SQLITE_OK;
}

/* Tokenize one term of the query into t->q; the last token is a prefix when prefix. */
static int add_term(struct search_terms *t, const char *s, size_t n, int prefix, struct err *e)
{
    size_t before = t->nq;

    if (!n)
        return ERR_OK;
    t->rc = SQLITE_OK;
    if (t->tk.xTokenize(t->tok, t, FTS5_TOKENIZE_QUERY, s, (int)n, on_query_token) != SQLITE_OK ||
        t->rc != SQLITE_OK)
        return err_set(e, ERR_NOMEM, "search: out of memory");
    if (prefix && t->nq > before)
        t->q[t->nq - 1].prefix = 1;
    return ERR_OK;
}

/* Skip spaces from p; returns the next character (0 at the end). */
static char peek(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
        (*p)++;
    return **p;
}

static int lex(struct search_terms *t, const char *query, struct err *e)
{
    const char *p = query;
    struct buf str;
    char last = 0; /* the last punctuation seen, for NEAR(a b, 10) */
    int rc = ERR_OK;

    buf_init(&str, 0);
    while (!rc && peek(&p)) {
        if (*p == '"') {
            buf_reset(&str);
            for (p++; *p; p++) {
                if (*p == '"' && p[1] == '"')
                    p++;
                else if (*p == '"')
                    break;
                if ((rc = buf_putc(&str, *p, e)))
                    break;
            }
            if (*p == '"')
                p++;
            if (!rc)
                rc = add_term(t, str.data ? str.data : "", str.len, peek(&p) == '*', e);
            last = 0;
        } else if (is_bare((unsigned char)*p)) {
            const char *s = p;
            size_t n;

            while (is_bare((unsigned char)*p))
                p++;
            n = (size_t)(p - s);
            if ((n == 3 && (memcmp(s, "AND", 3) == 0 || memcmp(s, "NOT", 3) == 0)) ||
                (n == 2 && memcmp(s, "OR", 2) == 0) || (n == 4 && memcmp(s, "NEAR", 4) == 0) ||
                peek(&p) == ':' || last == ',') {
                last = 0;
                continue; /* an operator, a column name or a NEAR distance */
            }
            rc = add_term(t, s, n, peek(&p) == '*', e);
            last = 0;
        } else if (*p == '{') { /* a column set: {a b}: */
            while (*p && *p != '}')
                p++;
            if (*p)
                p++;
        } else {
            last = *p++;
        }
    }
    buf_release(&str);
    return rc;
}

int search_terms_new(sqlite3 *db, const char *query, struct search_terms **out, struct err *e)
{
    const char *args[] = {"remove_diacritics", "2"};
    struct search_terms *t;
    fts5_api *api = fts5_of(db);
    void *ud = NULL;
    int rc;

    *out = NULL;
    if (!api || api->iVersion < 2)
        return err_set(e, ERR_DB, "search: this SQLite library has no FTS5");
    if (!(t = calloc(1, sizeof *t)))
        return err_set(e, ERR_NOMEM, "search: out of memory");
    if (api->xFindTokenizer(api, "unicode61", &ud, &t->tk) != SQLITE_OK ||
        t->tk.xCreate(ud, args, 2, &t->tok) != SQLITE_OK) {
        t->tok = NULL;
        search_terms_free(t);
        return err_set(e, ERR_DB, "search: FTS5's unicode61 tokenizer is missing");
    }
    if ((rc = lex(t, query, e))) {
        search_terms_free(t);
        return rc;
    }
    *out = t;
    return ERR_OK;
}

void search_terms_free(struct search_terms *t)
{
    if (!t)
        return;
    if (t->tok)
        t->tk.xDelete(t->tok);
    for (size_t i = 0; i < t->nq; i++)
        free(t->q[i].s);
    free(t->q);
    free(t->sp);
    free(t);
}

size_t search_terms_count(const struct search_terms *t)
{
    return t ? t->nq : 0;
}

static int on_text_token(void *ctx, int flags, const char *tok, int n, int s, int e)
{
    struct search_terms *t = ctx;

    (void)flags;
    if (n <= 0 || s < 0 || e < s)
        return SQLITE_OK;
    for (size_t i = 0; i < t->nq; i++) {
        const struct qtok *q = &t->q[i];

        if ((size_t)n == q->n ? memcmp(tok, q->s, q->n) == 0
                              : q->prefix && (size_t)n > q->n && memcmp(tok, q->s, q->n) == 0) {
            if (t->nsp == t->csp) {
                size_t cap = t->csp ? t->csp * 2 : 16;
                struct search_span *sp = realloc(t->sp, cap * sizeof *sp);

                if (!sp)
                    return t->rc = SQLITE_NOMEM;
                t->sp = sp, t->csp = cap;
            }
            t->sp[t->nsp].s = (size_t)s;
            t->sp[t->nsp].e = (size_t)e;
            t->nsp++;
            break;
        }
    }
    return SQLITE_OK;
}

int search_terms_match(struct search_terms *t, const char *text, size_t n,
                       const struct search_span **spans, size_t *n_spans, struct err *e)
{
    t->nsp = 0;
    t->rc = SQLITE_OK;
    *spans = NULL;
    *n_spans = 0;
    if (t->nq && n &&
        (t->tk.xTokenize(t->tok, t, FTS5_TOKENIZE_DOCUMENT, text, (int)n, on_text_token) !=
             SQLITE_OK ||
         t->rc != SQLITE_OK))
        return err_set(e, ERR_NOMEM, "search: out of memory");
    *spans = t->sp;
    *n_spans = t->nsp;
    return ERR_OK;
}

/* Move i back to the start of the UTF-8 character it is in. */
static size_t char_start(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

int search_terms_snippet(const char *text, size_t n, const struct search_span *spans,
                         size_t n_spans, const char *on, const char *off, struct buf *out,
                         struct err *e)
{
    size_t from = 0, to = n, at;
    int rc = ERR_OK;

    buf_reset(out);
    if (n > SEARCH_SNIPPET_MAX) {
        size_t first = n_spans ? spans[0].s : 0, lead = SEARCH_SNIPPET_MAX / 4;

        from = first > lead ? char_start(text, first - lead) : 0;
        if (from) { /* start after a space, when there is one before the match */
            size_t sp = from;

            while (sp < first && text[sp] != ' ')
                sp++;
            if (sp < first)
                from = sp + 1;
        }
        to = from + SEARCH_SNIPPET_MAX < n ? char_start(text, from + SEARCH_SNIPPET_MAX) : n;
        if (n_spans && to < spans[0].e)
            to = spans[0].e;
        if (to < n) { /* end before a space, when there is one after the match */
            size_t sp = to;

            while (sp > first && text[sp] != ' ')
                sp--;
            if (sp > first && (!n_spans || sp >= spans[0].e))
                to = sp;
        }
    }
    if (from && (rc = buf_puts(out, "…", e)))
        return rc;
    at = from;
    for (size_t i = 0; i < n_spans && !rc; i++) {
        const struct search_span *sp = &spans[i];

        if (sp->s < at || sp->e > to)
            continue;
        rc = buf_append(out, text + at, sp->s - at, e) || buf_puts(out, on, e) ||
             buf_append(out, text + sp->s, sp->e - sp->s, e) || buf_puts(out, off, e);
        at = sp->e;
    }
    if (!rc)
        rc = buf_append(out, text + at, to - at, e);
    if (!rc && to < n)
        rc = buf_puts(out, "…", e);
    return rc ? err_set(e, ERR_NOMEM, "search: out of memory") : ERR_OK;
}
