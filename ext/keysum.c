/* keysum: the aggregate key_sums(key, v1[, v2 ...]), sums per distinct key without a sort
 * (see keysum.h).
 *
 * SQLite groups by sorting: GROUP BY a, b over a join of ~600,000 rows (the topics or
 * trackers of 100,000 calls) spends most of its time in the sorter. key_sums keeps one group's
 * keys in a hash table instead, so a query groups by the outer column only (which an index can
 * deliver in order, with no sort at all) and gets the inner grouping from the aggregate.
 *
 * Each value column is summed as SQLite's sum() sums it: integers exactly while every
 * non-NULL input is an integer, otherwise a double (every input added as a double, in input
 * order); NULL when no input was non-NULL; "integer overflow" as sum() reports it. Keys
 * compare as GROUP BY compares them with the BINARY collation: NULL is one key, a number
 * equals the same number whatever its type, text and blobs compare by their bytes. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keysum.h"

#include "banned.h"

#define KEYSUM_MAX_VALUES 8

enum { KEY_NULL, KEY_NUM, KEY_TEXT, KEY_BLOB }; /* in SQLite's sort order */

struct sum {
    sqlite3_int64 i; /* exact sum while approx is 0 */
    double r;        /* every input added as a double */
    int cnt, approx, overflow;
};

struct entry {
    int cls;    /* KEY_* */
    int is_int; /* KEY_NUM: the number is the integer i (else the double d) */
    sqlite3_int64 i;
    double d;
    char *bytes; /* KEY_TEXT, KEY_BLOB: sqlite3_malloc'd */
    int len;
    struct sum v[KEYSUM_MAX_VALUES];
};

struct keysum {
    struct entry *e; /* in first-seen order */
    size_t n, cap;
    size_t *slot; /* hash slots: index + 1 into e, 0 empty */
    size_t n_slot;
    int n_val;
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;

    for (size_t k = 0; k < n; k++)
        h = (h ^ c[k]) * 1099511628211u;
    return h;
}

static uint64_t entry_hash(const struct entry *x)
{
    uint64_t h = hash_bytes(14695981039346656037u, &x->cls, sizeof x->cls);

    if (x->cls == KEY_NUM)
        return x->is_int ? hash_bytes(h, &x->i, sizeof x->i) : hash_bytes(h, &x->d, sizeof x->d);
    return x->cls == KEY_NULL ? h : hash_bytes(h, x->bytes, (size_t)x->len);
}

static int entry_same(const struct entry *a, const struct entry *b)
{
    if (a->cls != b->cls)
        return 0;
    if (a->cls == KEY_NUM)
        return a->is_int == b->is_int && (a->is_int ? a->i == b->i : a->d == b->d);
    return a->cls == KEY_NULL ||
           (a->len == b->len && memcmp(a->bytes, b->bytes, (size_t)a->len) == 0);
}

/* The key of v into x (x->bytes borrowed from v until copied). A double that holds an
 * integer exactly is keyed as that integer, so 3 and 3.0 are one key as in GROUP BY. */
static void key_of(sqlite3_value *v, struct entry *x)
{
    memset(x, 0, sizeof *x);
    switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: x->cls = KEY_NULL; break;
    case SQLITE_INTEGER:
        x->cls = KEY_NUM;
        x->is_int = 1;
        x->i = sqlite3_value_int64(v);
        break;
    case SQLITE_FLOAT:
        x->cls = KEY_NUM;
        x->d = sqlite3_value_double(v);
        if (x->d >= -9.2e18 && x->d <= 9.2e18 && x->d == (double)(sqlite3_int64)x->d) {
            x->is_int = 1;
            x->i = (sqlite3_int64)x->d;
        }
        break;
    case SQLITE_TEXT:
        x->cls = KEY_TEXT;
        x->bytes = (char *)sqlite3_value_text(v);
        x->len = sqlite3_value_bytes(v);
        break;
    default:
        x->cls = KEY_BLOB;
        x->bytes = (char *)sqlite3_value_blob(v);
        x->len = sqlite3_value_bytes(v);
        break;
    }
}

static int rehash(struct keysum *k, size_t n_slot)
{
    size_t *slot = sqlite3_malloc64(n_slot * sizeof *slot);

    if (!slot)
        return SQLITE_NOMEM;
    memset(slot, 0, n_slot * sizeof *slot);
    for (size_t i = 0; i < k->n; i++) {
        size_t s = (size_t)(entry_hash(&k->e[i]) & (n_slot - 1));

        while (slot[s])
            s = (s + 1) & (n_slot - 1);
        slot[s] = i + 1;
    }
    sqlite3_free(k->slot);
    k->slot = slot;
    k->n_slot = n_slot;
    return SQLITE_OK;
}

/* The entry for key x, added when new (its bytes copied). NULL when out of memory. */
static struct entry *find_or_add(struct keysum *k, struct entry *x)
{
    uint64_t h = entry_hash(x);
    size_t s;

    if ((k->n + 1) * 2 > k->n_slot && rehash(k, k->n_slot ? k->n_slot * 2 : 16) != SQLITE_OK)
        return NULL;
    for (s = (size_t)(h & (k->n_slot - 1)); k->slot[s]; s = (s + 1) & (k->n_slot - 1))
        if (entry_same(&k->e[k->slot[s] - 1], x))
            return &k->e[k->slot[s] - 1];
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        struct entry *e = sqlite3_realloc64(k->e, cap * sizeof *e);

        if (!e)
            return NULL;
        k->e = e;
        k->cap = cap;
    }
    if (x->cls == KEY_TEXT || x->cls == KEY_BLOB) {
        char *b = sqlite3_malloc(x->len ? x->len : 1);

        if (!b)
            return NULL;
        memcpy(b, x->bytes, (size_t)x->len);
        x->bytes = b;
    }
    k->e[k->n] = *x;
    k->slot[s] = ++k->n;
    return &k->e[k->n - 1];
}

/* sum()'s step: see the file comment. */
static void add(struct sum *s, sqlite3_value *v)
{
    int type = sqlite3_value_type(v);

    if (type == SQLITE_NULL)
        return;
    s->cnt++;
    if (type == SQLITE_INTEGER) {
        sqlite3_int64 x = sqlite3_value_int64(v);

        s->r += (double)x;
        if (!s->approx && !s->overflow) {
            if ((x > 0 && s->i > INT64_MAX - x) || (x < 0 && s->i < INT64_MIN - x))
                s->approx = s->overflow = 1;
            else
                s->i += x;
        }
    } else {
        s->r += sqlite3_value_double(v);
        s->approx = 1;
    }
}

static void step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct keysum *k = sqlite3_aggregate_context(ctx, sizeof *k);
    struct entry x, *e;

    if (!k) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (!k->n_val)
        k->n_val = argc - 1;
    key_of(argv[0], &x);
    if (!(e = find_or_add(k, &x))) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    for (int i = 1; i < argc; i++)
        add(&e->v[i - 1], argv[i]);
}

static int cmp_entry(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    int c;

    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->cls == KEY_NULL)
        return 0;
    if (a->cls == KEY_NUM) {
        double x = a->is_int ? (double)a->i : a->d, y = b->is_int ? (double)b->i : b->d;

        if (a->is_int && b->is_int)
            return a->i < b->i ? -1 : a->i > b->i;
        return x < y ? -1 : x > y;
    }
    c = memcmp(a->bytes, b->bytes, (size_t)(a->len < b->len ? a->len : b->len));
    return c ? c : a->len < b->len ? -1 : a->len > b->len;
}

/* A JSON string of n bytes of s (control characters, '"' and '\' escaped). */
static void json_string(sqlite3_str *out, const char *s, int n)
{
    sqlite3_str_appendchar(out, 1, '"');
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\')
            sqlite3_str_appendf(out, "\\%c", c);
        else if (c < 0x20)
            sqlite3_str_appendf(out, "\\u%04x", c);
        else
            sqlite3_str_appendchar(out, 1, (char)c);
    }
    sqlite3_str_appendchar(out, 1, '"');
}

/* A double as JSON that json_extract reads back as the same double (17 digits; +-9e999 for
 * the infinities, null for NaN). */
static void json_double(sqlite3_str *out, double d)
{
    if (isnan(d))
        sqlite3_str_appendall(out, "null");
    else if (isinf(d))
        sqlite3_str_appendall(out, d > 0 ? "9.0e999" : "-9.0e999");
    else
        sqlite3_str_appendf(out, "%!.17g", d);
}

static void release(struct keysum *k)
{
    for (size_t i = 0; i < k->n; i++)
        sqlite3_free(k->e[i].bytes);
    sqlite3_free(k->e);
    sqlite3_free(k->slot);
}

static void final(sqlite3_context *ctx)
{
    struct keysum *k = sqlite3_aggregate_context(ctx, 0);
    sqlite3_str *out;

    if (!k) { /* no row: an empty array */
        sqlite3_result_text(ctx, "[]", 2, SQLITE_STATIC);
        return;
    }
    for (size_t i = 0; i < k->n; i++)
        for (int j = 0; j < k->n_val; j++)
            if (k->e[i].v[j].overflow) {
                sqlite3_result_error(ctx, "integer overflow", -1);
                release(k);
                return;
            }
    if (k->n > 1)
        qsort(k->e, k->n, sizeof *k->e, cmp_entry);
    out = sqlite3_str_new(sqlite3_context_db_handle(ctx));
    sqlite3_str_appendchar(out, 1, '[');
    for (size_t i = 0; i < k->n; i++) {
        const struct entry *e = &k->e[i];

        sqlite3_str_appendall(out, i ? ",[" : "[");
        if (e->cls == KEY_NULL)
            sqlite3_str_appendall(out, "null");
        else if (e->cls == KEY_NUM && e->is_int)
            sqlite3_str_appendf(out, "%lld", e->i);
        else if (e->cls == KEY_NUM)
            json_double(out, e->d);
        else
            json_string(out, e->bytes, e->len);
        for (int j = 0; j < k->n_val; j++) {
            const struct sum *s = &e->v[j];

            sqlite3_str_appendchar(out, 1, ',');
            if (!s->cnt)
                sqlite3_str_appendall(out, "null");
            else if (s->approx)
                json_double(out, s->r);
            else
                sqlite3_str_appendf(out, "%lld", s->i);
        }
        sqlite3_str_appendchar(out, 1, ']');
    }
    sqlite3_str_appendchar(out, 1, ']');
    release(k);
    if (sqlite3_str_errcode(out)) {
        sqlite3_free(sqlite3_str_finish(out));
        sqlite3_result_error_nomem(ctx);
        return;
    }
    {
        int n = sqlite3_str_length(out);

        sqlite3_result_text(ctx, sqlite3_str_finish(out), n, sqlite3_free);
    }
}

int keysum_register(sqlite3 *db)
{
    int rc = SQLITE_OK;

    for (int n = 2; n <= KEYSUM_MAX_VALUES + 1 && rc == SQLITE_OK; n++)
        rc = sqlite3_create_function(db, "key_sums", n,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     NULL, step, final);
    return rc;
}
