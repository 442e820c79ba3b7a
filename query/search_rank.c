/* search_rank: the window of matching sentences and its bm25 scores (see search_rank.h).
 *
 * callmine_tf's blob: the index's row count (8 bytes, native order), then one uint16 per
 * query phrase (native order): its instances in the row, capped at 65535. */
#include "search_rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define K1 1.2

static void tf_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc,
                  sqlite3_value **argv)
{
    unsigned char out[8 + 2 * SEARCH_RANK_PHRASES];
    uint16_t tf[SEARCH_RANK_PHRASES] = {0};
    sqlite3_int64 rows = 0;
    int np = api->xPhraseCount(fts), ni = 0, rc;

    (void)argc, (void)argv;
    if (np > SEARCH_RANK_PHRASES)
        np = SEARCH_RANK_PHRASES;
    if ((rc = api->xRowCount(fts, &rows)) != SQLITE_OK ||
        (rc = api->xInstCount(fts, &ni)) != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    for (int i = 0; i < ni; i++) {
        int phrase = 0, col = 0, off = 0;

        if ((rc = api->xInst(fts, i, &phrase, &col, &off)) != SQLITE_OK) {
            sqlite3_result_error_code(ctx, rc);
            return;
        }
        if (phrase >= 0 && phrase < np && tf[phrase] < UINT16_MAX)
            tf[phrase]++;
    }
    memcpy(out, &rows, 8);
    memcpy(out + 8, tf, 2 * (size_t)np);
    sqlite3_result_blob(ctx, out, 8 + 2 * np, SQLITE_TRANSIENT);
}

/* callmine_longest_phrase(search_sentences): the most tokens in one phrase of the query. */
static void longest_phrase_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                              int argc, sqlite3_value **argv)
{
    int np = api->xPhraseCount(fts), longest = 0;

    (void)argc, (void)argv;
    for (int i = 0; i < np; i++)
        if (api->xPhraseSize(fts, i) > longest)
            longest = api->xPhraseSize(fts, i);
    sqlite3_result_int(ctx, longest);
}

int search_rank_register(sqlite3 *db, struct err *e)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (!api || api->iVersion < 2 ||
        api->xCreateFunction(api, "callmine_tf", NULL, tf_fn, NULL) != SQLITE_OK ||
        api->xCreateFunction(api, "callmine_longest_phrase", NULL, longest_phrase_fn, NULL) !=
            SQLITE_OK)
        return err_set(e, ERR_DB, "search: this SQLite library has no FTS5");
    return ERR_OK;
}

void search_rank_init(struct search_rank *r)
{
    memset(r, 0, sizeof *r);
    r->phrases = -1;
}

void search_rank_release(struct search_rank *r)
{
    free(r->c);
    free(r->tf);
    search_rank_init(r);
}

/* Room for `more` rows past r->n (r->phrases already known). ERR_NOMEM. */
static int reserve(struct search_rank *r, size_t more, struct err *e)
{
    size_t cap = r->cap ? r->cap : 1024;
    struct search_rank_cand *c;
    uint16_t *t;

    if (r->n + more <= r->cap)
        return ERR_OK;
    while (cap < r->n + more)
        cap *= 2;
    c = realloc(r->c, cap * sizeof *c);
    if (c)
        r->c = c;
    t = c ? realloc(r->tf, cap * (size_t)(r->phrases > 0 ? r->phrases : 1) * 2) : NULL;
    if (!t)
        return err_set(e, ERR_NOMEM, "search: out of memory");
    r->tf = t, r->cap = cap;
    return ERR_OK;
}

int search_rank_add(struct search_rank *r, int64_t rowid, const void *tf, size_t n, struct err *e)
{
    int np = n >= 8 ? (int)((n - 8) / 2) : 0;
    int rc;

    if (r->phrases < 0) {
        r->phrases = np;
        if (n >= 8)
            memcpy(&r->rows, tf, 8);
    }
    if ((rc = reserve(r, 1, e)))
        return rc;
    r->c[r->n].rowid = rowid;
    r->c[r->n].score = 0;
    r->c[r->n].nth = 0;
    for (int i = 0; i < r->phrases; i++) {
        uint16_t v = 0;

        if (i < np)
            memcpy(&v, (const unsigned char *)tf + 8 + 2 * i, 2);
        r->tf[r->n * (size_t)r->phrases + (size_t)i] = v;
    }
    r->n++;
    return ERR_OK;
}

int search_rank_append(struct search_rank *r, const struct search_rank *from, struct err *e)
{
    size_t np;
    int rc;

    if (from->n == 0)
        return ERR_OK;
    if (r->phrases < 0) {
        r->phrases = from->phrases;
        r->rows = from->rows;
    }
    if (from->phrases != r->phrases)
        return err_set(e, ERR_DB, "search: two reads of one query counted different phrases");
    if ((rc = reserve(r, from->n, e)))
        return rc;
    np = (size_t)r->phrases;
    memcpy(r->c + r->n, from->c, from->n * sizeof *r->c);
    if (np)
        memcpy(r->tf + r->n * np, from->tf, from->n * np * 2);
    r->n += from->n;
    return ERR_OK;
}

void search_rank_drop(struct search_rank *r, size_t from, size_t k)
{
    size_t np = (size_t)(r->phrases > 0 ? r->phrases : 0);

    if (k == 0 || from >= r->n)
        return;
    if (k > r->n - from)
        k = r->n - from;
    memmove(r->c + from, r->c + from + k, (r->n - from - k) * sizeof *r->c);
    if (np)
        memmove(r->tf + from * np, r->tf + (from + k) * np, (r->n - from - k) * np * 2);
    r->n -= k;
}

/* Best first; among equal scores a call's first sentence before any call's second, then the
 * newest: so a word said in many calls does not fill the page from one call. */
static int by_score(const void *a, const void *b)
{
    const struct search_rank_cand *x = a, *y = b;

    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    if (x->nth != y->nth)
        return x->nth > y->nth ? 1 : -1;
    return x->rowid < y->rowid ? 1 : x->rowid > y->rowid ? -1 : 0;
}

/* Calls together, each call's best first: to number each sentence within its call. */
static int by_call(const void *a, const void *b)
{
    const struct search_rank_cand *x = a, *y = b;
    int64_t cx = x->rowid >> 20, cy = y->rowid >> 20;

    if (cx != cy)
        return cx < cy ? -1 : 1;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->rowid < y->rowid ? 1 : x->rowid > y->rowid ? -1 : 0;
}

void search_rank_sort(struct search_rank *r)
{
    double idf[SEARCH_RANK_PHRASES];
    double n_rows = (double)(r->rows > 0 ? r->rows : (int64_t)r->n);

    for (int i = 0; i < r->phrases; i++) {
        size_t df = 0;

        for (size_t k = 0; k < r->n; k++)
            df += r->tf[k * (size_t)r->phrases + (size_t)i] > 0;
        idf[i] = log((n_rows - (double)df + 0.5) / ((double)df + 0.5));
        if (idf[i] <= 0)
            idf[i] = 1e-6;
    }
    for (size_t k = 0; k < r->n; k++) {
        double s = 0;

        for (int i = 0; i < r->phrases; i++) {
            double tf = r->tf[k * (size_t)r->phrases + (size_t)i];

            s += idf[i] * tf * (K1 + 1) / (tf + K1);
        }
        r->c[k].score = s;
    }
    if (r->n == 0) /* nothing to order (and qsort must not be given NULL) */
        return;
    qsort(r->c, r->n, sizeof *r->c, by_call);
    for (size_t k = 0; k < r->n; k++)
        r->c[k].nth = k && r->c[k].rowid >> 20 == r->c[k - 1].rowid >> 20 &&
                              r->c[k].score == r->c[k - 1].score
                          ? r->c[k - 1].nth + 1
                          : 0;
    qsort(r->c, r->n, sizeof *r->c, by_score);
}
