/* strset: a set of byte strings (see strset.h). */
#include "strset.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct strset_slot {
    uint64_t hash;
    char *data; /* NULL: empty slot */
    size_t n;
};

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

void strset_init(struct strset *s)
{
    memset(s, 0, sizeof *s);
}

void strset_release(struct strset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i].data);
    free(s->slots);
    strset_init(s);
}

/* Double the table (or make the first one), rehashing every string into it. */
static int grow(struct strset *s, struct err *e)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    struct strset_slot *slots = calloc(cap, sizeof *slots);

    if (!slots)
        return err_set(e, ERR_NOMEM, "count distinct values: out of memory");
    for (size_t i = 0; i < s->cap; i++) {
        size_t j;

        if (!s->slots[i].data)
            continue;
        for (j = s->slots[i].hash & (cap - 1); slots[j].data; j = (j + 1) & (cap - 1))
            ;
        slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return ERR_OK;
}

/* The slot holding p[0..n) (hash h), else the empty slot where it would go; s->cap > 0. */
static size_t find(const struct strset *s, const void *p, size_t n, uint64_t h)
{
    size_t i;

    for (i = h & (s->cap - 1); s->slots[i].data; i = (i + 1) & (s->cap - 1))
        if (s->slots[i].hash == h && s->slots[i].n == n && memcmp(s->slots[i].data, p, n) == 0)
            break;
    return i;
}

int strset_add(struct strset *s, const void *p, size_t n, struct err *e)
{
    uint64_t h = fnv1a(p, n);
    size_t i;
    int rc;

    if ((s->len + 1) * 2 > s->cap && (rc = grow(s, e)))
        return rc;
    i = find(s, p, n, h);
    if (s->slots[i].data)
        return ERR_OK;
    s->slots[i].data = malloc(n + 1);
    if (!s->slots[i].data)
        return err_set(e, ERR_NOMEM, "count distinct values: out of memory");
    memcpy(s->slots[i].data, p, n);
    s->slots[i].data[n] = '\0';
    s->slots[i].hash = h;
    s->slots[i].n = n;
    s->len++;
    return ERR_OK;
}

int strset_has(const struct strset *s, const void *p, size_t n)
{
    return s->cap && s->slots[find(s, p, n, fnv1a(p, n))].data != NULL;
}
