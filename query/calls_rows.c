/* calls_rows: the rows `calls` lists, read in one pass over the stored facts and put in start
 * order in memory, or by SQLite's sorter past a cap (see calls_rows.h).
 *
 * Why: the stored facts are clustered by call id, a random Gong number, so listing them in
 * start order by looking each call up (as `calls` did, walking a selection keyed by start)
 * cost a descent of the 44 MB table and one of call_metrics per row: at 100,000 calls 0.28 s
 * of the 0.56 s the listing took. Reading both in their own order costs 0.07 s, and ordering
 * 100,000 rows in memory, by two text keys, about 20 ms, where SQLite's sorter, which copies
 * every row into its records and compares them in the VDBE's record format, took 0.13 s.
 *
 * A row is kept as one record in an arena: per column a type byte, then 8 bytes for a
 * number, or a 4-byte length, the bytes and a NUL for text or a blob. The sort keys (start
 * and id, each NULL or text) point into the arena once it no longer moves. A key of any other
 * type (a hand-written row) is left to SQLite's sorter, so the order is always the one
 * ORDER BY started, call_id gives: NULL first, then the bytes (the BINARY collation).
 *
 * With --deal-timing call, --company-size and --owner read the TimeOfCall row of the call's
 * deal, which call_facts does not keep: its rows that meet them are read once into a hash
 * set, and the statement asks the SQL function TOC_FN whether a call and deal id are in it
 * (filter_facts_sql). SQLite's own list of them, an index built row by row, cost 0.1 s for
 * the 31,000 rows of --company-size 1000+ at 100,000 calls; the set and its lookups 0.03 s. */
#include "calls_rows.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "strset.h"

#include "banned.h"

const char *const calls_rows_names[CALLS_ROWS_SHOWN] = {
    "id",      "started",      "duration",  "rep",   "stage",     "amount",
    "outcome", "company_name", "deal_name", "title", "sentences", "url"};

/* A row's sort key: the start and the id (NULL, or text in the arena) with their first
 * KEY_PREFIX bytes copied in, so most comparisons read only the keys' own array (a stored
 * start has 24 bytes and an id about 20: the whole key). */
#define KEY_PREFIX 24

struct keypart {
    const unsigned char *s; /* NULL for a NULL */
    uint32_t n;
    unsigned char pre[KEY_PREFIX];
};

struct rowkey {
    size_t off; /* the record's offset in the arena */
    struct keypart start, id;
};

/* The TimeOfCall rows an at-call company size or owner term keeps, as keys of toc_key's
 * form, behind the SQL function TOC_FN. */
#define TOC_FN "calls_toc_match"

struct toc {
    struct strset keys;
    struct buf key; /* scratch */
};

struct calls_rows {
    sqlite3 *db;
    struct toc *toc;  /* registered as TOC_FN while not NULL */
    sqlite3_stmt *st; /* the sorted statement being stepped; NULL when the rows are in memory */
    struct buf arena; /* the records */
    struct rowkey *keys;
    size_t n, cap, at; /* rows held, keys allocated, the next row to give */
    size_t max_bytes;
    int in_memory;
};

/* Into k: a call id and a deal id as one key: the call id's length and bytes, then the deal
 * id's type (so NULL, text and a blob never meet) and bytes. */
static int toc_key(struct buf *k, sqlite3_value *call, sqlite3_value *deal, struct err *e)
{
    const unsigned char *c = sqlite3_value_text(call), *d = NULL;
    uint32_t nc = (uint32_t)sqlite3_value_bytes(call), nd = 0;
    unsigned char type = (unsigned char)sqlite3_value_type(deal);
    int rc;

    if (type == SQLITE_BLOB) {
        d = sqlite3_value_blob(deal);
        nd = (uint32_t)sqlite3_value_bytes(deal);
    } else if (type != SQLITE_NULL) {
        d = sqlite3_value_text(deal);
        nd = (uint32_t)sqlite3_value_bytes(deal);
    }
    buf_reset(k);
    if ((rc = buf_append(k, &nc, sizeof nc, e)) || (nc && (rc = buf_append(k, c, nc, e))) ||
        (rc = buf_append(k, &type, 1, e)))
        return rc;
    return nd ? buf_append(k, d, nd, e) : ERR_OK;
}

/* TOC_FN(call_id, deal_id): 1 when the set holds the pair, else 0. */
static void toc_match(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct toc *t = sqlite3_user_data(ctx);
    struct err e = {0};

    (void)argc;
    if (toc_key(&t->key, argv[0], argv[1], &e)) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_int(ctx, strset_has(&t->keys, t->key.data, t->key.len));
}

static void toc_free(struct toc *t)
{
    if (!t)
        return;
    strset_release(&t->keys);
    buf_release(&t->key);
    free(t);
}

/* Read the TimeOfCall rows the filter's at-call terms keep (filter_facts_toc_sql) into a
 * hash set, one pass over deals, and register TOC_FN over it. */
static int toc_open(struct calls_rows *r, const struct filter *f, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc, step;

    buf_init(&q, 0);
    if (!(r->toc = calloc(1, sizeof *r->toc))) {
        rc = err_set(e, ERR_NOMEM, "calls: out of memory");
        goto done;
    }
    strset_init(&r->toc->keys);
    buf_init(&r->toc->key, 0);
    if ((rc = filter_facts_toc_sql(f, &q, e)))
        goto done;
    if (sqlite3_prepare_v2(r->db, q.data, (int)q.len, &st, NULL) != SQLITE_OK) {
        rc = err_set(e, ERR_DB, "calls: %s", sqlite3_errmsg(r->db));
        goto done;
    }
    if ((rc = filter_bind(f, st, e)))
        goto done;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = toc_key(&r->toc->key, sqlite3_column_value(st, 0), sqlite3_column_value(st, 1),
                          e)) ||
            (rc = strset_add(&r->toc->keys, r->toc->key.data, r->toc->key.len, e)))
            goto done;
    if (step != SQLITE_DONE) {
        rc = err_set(e, ERR_DB, "calls: %s", sqlite3_errmsg(r->db));
        goto done;
    }
    if (sqlite3_create_function_v2(r->db, TOC_FN, 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, r->toc,
                                   toc_match, NULL, NULL, NULL) != SQLITE_OK)
        rc = err_set(e, ERR_DB, "calls: %s", sqlite3_errmsg(r->db));
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

/* The statement: every column from call_facts (stage and amount in the timing) and the
 * call's sentences, for the calls the filter selects; sorted adds the ORDER BY. */
static int prepare(struct calls_rows *r, const struct filter *f, int sorted, struct err *e)
{
    struct buf q;
    int now = f->timing == FILTER_TIMING_NOW, rc;

    buf_init(&q, 0);
    if ((rc = buf_printf(&q, e,
                         "SELECT cf.call_id AS id, cf.started AS started, "
                         "cf.duration AS duration, cf.rep_name AS rep, cf.%s AS stage, "
                         "cf.%s AS amount, cf.outcome AS outcome, "
                         "cf.company_name AS company_name, cf.deal_name AS deal_name, "
                         "cf.title AS title, m.sentences AS sentences, cf.url AS url, "
                         "coalesce(cf.rep_id, cf.rep_email), cf.deal_id, cf.has_transcript "
                         "FROM call_facts cf LEFT JOIN call_metrics m ON m.call_id = cf.call_id "
                         "WHERE ",
                         now ? "stage" : "stage_at_call", now ? "amount" : "amount_at_call")) ||
        (rc = filter_facts_sql(f, r->toc ? TOC_FN : NULL, &q, e)) ||
        (sorted && (rc = buf_puts(&q, " ORDER BY cf.started, cf.call_id", e))))
        goto done;
    if (sqlite3_prepare_v2(r->db, q.data, (int)q.len, &r->st, NULL) != SQLITE_OK) {
        rc = err_set(e, ERR_DB, "calls: %s", sqlite3_errmsg(r->db));
        goto done;
    }
    rc = filter_bind(f, r->st, e);
done:
    buf_release(&q);
    return rc;
}

/* Append the current row of st to the arena as one record: the row's size is summed first,
 * so the arena grows once per row. Each column is read through sqlite3_column_value, one
 * call that takes the connection's mutex where sqlite3_column_type, _text and _bytes take it
 * three times (the value is unprotected, which is safe here: this connection is used by
 * this thread alone). */
static int put_record(struct buf *a, sqlite3_stmt *st, struct err *e)
{
    int types[CALLS_ROWS_COLUMNS], rc;
    uint32_t lens[CALLS_ROWS_COLUMNS];
    const void *data[CALLS_ROWS_COLUMNS];
    int64_t ints[CALLS_ROWS_COLUMNS];
    double reals[CALLS_ROWS_COLUMNS];
    size_t need = 0;
    unsigned char *p;

    for (int i = 0; i < CALLS_ROWS_COLUMNS; i++) {
        sqlite3_value *v = sqlite3_column_value(st, i);

        types[i] = sqlite3_value_type(v);
        need += 1;
        if (types[i] == SQLITE_INTEGER) {
            ints[i] = sqlite3_value_int64(v);
            need += sizeof ints[i];
        } else if (types[i] == SQLITE_FLOAT) {
            reals[i] = sqlite3_value_double(v);
            need += sizeof reals[i];
        } else if (types[i] == SQLITE_TEXT || types[i] == SQLITE_BLOB) {
            /* the text (or blob) first, then its length: the documented order */
            data[i] = types[i] == SQLITE_TEXT ? (const void *)sqlite3_value_text(v)
                                              : sqlite3_value_blob(v);
            lens[i] = (uint32_t)sqlite3_value_bytes(v);
            need += sizeof lens[i] + lens[i] + 1;
        } else {
            types[i] = SQLITE_NULL;
        }
    }
    if ((rc = buf_reserve(a, need, e)))
        return rc;
    p = (unsigned char *)a->data + a->len;
    for (int i = 0; i < CALLS_ROWS_COLUMNS; i++) {
        *p++ = (unsigned char)types[i];
        if (types[i] == SQLITE_INTEGER) {
            memcpy(p, &ints[i], sizeof ints[i]);
            p += sizeof ints[i];
        } else if (types[i] == SQLITE_FLOAT) {
            memcpy(p, &reals[i], sizeof reals[i]);
            p += sizeof reals[i];
        } else if (types[i] == SQLITE_TEXT || types[i] == SQLITE_BLOB) {
            memcpy(p, &lens[i], sizeof lens[i]);
            p += sizeof lens[i];
            if (lens[i])
                memcpy(p, data[i], lens[i]);
            p += lens[i];
            *p++ = '\0';
        }
    }
    a->len += need;
    a->data[a->len] = '\0';
    return ERR_OK;
}

/* Decode the record at p into cells; returns the byte after it. */
static const unsigned char *get_record(const unsigned char *p, struct out_cell *cells)
{
    for (int i = 0; i < CALLS_ROWS_COLUMNS; i++) {
        struct out_cell *c = &cells[i];
        uint32_t n;

        memset(c, 0, sizeof *c);
        c->type = *p++;
        switch (c->type) {
        case SQLITE_INTEGER:
            memcpy(&c->i, p, sizeof c->i);
            p += sizeof c->i;
            break;
        case SQLITE_FLOAT:
            memcpy(&c->d, p, sizeof c->d);
            p += sizeof c->d;
            break;
        case SQLITE_TEXT:
        case SQLITE_BLOB:
            memcpy(&n, p, sizeof n);
            p += sizeof n;
            c->s = (const char *)p;
            c->n = n;
            p += (size_t)n + 1;
            break;
        default: c->type = SQLITE_NULL;
        }
    }
    return p;
}

/* The BINARY collation: the common bytes, then the shorter first; NULL before any text. The
 * copied prefixes decide unless both values are longer and share it. */
static int cmp_part(const struct keypart *a, const struct keypart *b)
{
    uint32_t n = a->n < b->n ? a->n : b->n;
    int c;

    if (!a->s || !b->s)
        return (a->s != NULL) - (b->s != NULL);
    c = memcmp(a->pre, b->pre, n < KEY_PREFIX ? n : KEY_PREFIX);
    if (!c && n > KEY_PREFIX)
        c = memcmp(a->s + KEY_PREFIX, b->s + KEY_PREFIX, n - KEY_PREFIX);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

static int cmp_keys(const void *pa, const void *pb)
{
    const struct rowkey *a = pa, *b = pb;
    int c = cmp_part(&a->start, &b->start);

    return c ? c : cmp_part(&a->id, &b->id);
}

/* One key column of a record at *p (a cell as get_record reads it) into k; 0 when the
 * cell is neither NULL nor text. Advances *p past the cell. */
static int key_cell(const unsigned char **p, struct keypart *k)
{
    int type = *(*p)++;

    k->s = NULL;
    k->n = 0;
    if (type == SQLITE_NULL)
        return 1;
    if (type != SQLITE_TEXT)
        return 0;
    memcpy(&k->n, *p, sizeof k->n);
    k->s = *p + sizeof k->n;
    memcpy(k->pre, k->s, k->n < KEY_PREFIX ? k->n : KEY_PREFIX);
    *p = k->s + k->n + 1;
    return 1;
}

/* Point each key at its record's id and start (the first two cells); 0 when a key is
 * neither NULL nor text. */
static int fill_keys(struct calls_rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct rowkey *k = &r->keys[i];
        const unsigned char *p = (const unsigned char *)r->arena.data + k->off;

        if (!key_cell(&p, &k->id) || !key_cell(&p, &k->start))
            return 0;
    }
    return 1;
}

/* Read every row into the arena while they fit in max_bytes; *fits 0 when they did not (or
 * a key was not text), and then nothing is held. */
static int read_all(struct calls_rows *r, int *fits, struct err *e)
{
    int step, rc = ERR_OK;

    *fits = 0;
    while ((step = sqlite3_step(r->st)) == SQLITE_ROW) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 1024;
            struct rowkey *k = realloc(r->keys, cap * sizeof *k);

            if (!k)
                return err_set(e, ERR_NOMEM, "calls: out of memory");
            r->keys = k;
            r->cap = cap;
        }
        r->keys[r->n].off = r->arena.len;
        if ((rc = put_record(&r->arena, r->st, e)))
            return rc;
        r->n++;
        if (r->arena.len + r->cap * sizeof *r->keys > r->max_bytes)
            goto spill;
    }
    if (step != SQLITE_DONE)
        return err_set(e, ERR_DB, "calls: %s", sqlite3_errmsg(r->db));
    if (!fill_keys(r))
        goto spill;
    if (r->n)
        qsort(r->keys, r->n, sizeof *r->keys, cmp_keys);
    *fits = 1;
    return ERR_OK;
spill:
    buf_release(&r->arena);
    free(r->keys);
    r->keys = NULL;
    r->n = r->cap = 0;
    return ERR_OK;
}

int calls_rows_open(sqlite3 *db, const struct filter *f, size_t max_bytes, struct calls_rows **out,
                    struct err *e)
{
    struct calls_rows *r = calloc(1, sizeof *r);
    int rc, fits = 0;

    *out = NULL;
    if (!r)
        return err_set(e, ERR_NOMEM, "calls: out of memory");
    r->db = db;
    r->max_bytes = max_bytes;
    buf_init(&r->arena, SIZE_MAX);
    if ((filter_facts_needs_toc(f) && (rc = toc_open(r, f, e))) || (rc = prepare(r, f, 0, e)) ||
        (rc = read_all(r, &fits, e)))
        goto done;
    sqlite3_finalize(r->st);
    r->st = NULL;
    r->in_memory = fits;
    if (!fits)
        rc = prepare(r, f, 1, e);
done:
    if (rc) {
        calls_rows_free(r);
        return rc;
    }
    *out = r;
    return ERR_OK;
}

int calls_rows_next(struct calls_rows *r, struct out_cell *cells, int *has_row, struct err *e)
{
    int step;

    *has_row = 0;
    if (r->in_memory) {
        if (r->at == r->n)
            return ERR_OK;
        /* the records are read in key order, scattered over the arena: ask for one a few
         * rows ahead while this one is written */
        if (r->at + 8 < r->n)
            __builtin_prefetch(r->arena.data + r->keys[r->at + 8].off);
        get_record((const unsigned char *)r->arena.data + r->keys[r->at++].off, cells);
        *has_row = 1;
        return ERR_OK;
    }
    if ((step = sqlite3_step(r->st)) == SQLITE_DONE)
        return ERR_OK;
    if (step != SQLITE_ROW)
        return err_set(e, ERR_DB, "calls: %s", sqlite3_errmsg(r->db));
    for (int i = 0; i < CALLS_ROWS_COLUMNS; i++)
        out_cell_from_stmt(r->st, i, &cells[i]);
    *has_row = 1;
    return ERR_OK;
}

int calls_rows_in_memory(const struct calls_rows *r)
{
    return r->in_memory;
}

void calls_rows_free(struct calls_rows *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->st);
    if (r->toc) { /* no statement uses it any more: unregister, then free */
        sqlite3_create_function_v2(r->db, TOC_FN, 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL, NULL,
                                   NULL, NULL, NULL);
        toc_free(r->toc);
    }
    buf_release(&r->arena);
    free(r->keys);
    free(r);
}
