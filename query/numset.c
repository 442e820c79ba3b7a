/* numset: a set of 64-bit numbers (see numset.h). */
#include "numset.h"

#include <stdlib.h>

#include "banned.h"

static size_t slot_of(int64_t num, size_t cap)
{
    return (size_t)((uint64_t)num * 0x9E3779B97F4A7C15u % cap);
}

int numset_add(struct numset *s, int64_t num, int *added, struct err *e)
{
    size_t i;

    *added = 0;
    if (num == 0) {
        *added = !s->zero;
        s->zero = 1;
        return ERR_OK;
    }
    if ((s->n + 1) * 2 > s->cap) {
        struct numset g = {.cap = s->cap ? s->cap * 2 : 64, .zero = s->zero};

        if (!(g.v = calloc(g.cap, sizeof *g.v)))
            return err_set(e, ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < s->cap; k++)
            if (s->v[k]) {
                int ignored;

                numset_add(&g, s->v[k], &ignored, e);
            }
        free(s->v);
        *s = g;
    }
    for (i = slot_of(num, s->cap); s->v[i]; i = (i + 1) % s->cap)
        if (s->v[i] == num)
            return ERR_OK;
    s->v[i] = num;
    s->n++;
    *added = 1;
    return ERR_OK;
}

int numset_has(const struct numset *s, int64_t num)
{
    if (num == 0)
        return s->zero;
    if (!s->cap)
        return 0;
    for (size_t i = slot_of(num, s->cap); s->v[i]; i = (i + 1) % s->cap)
        if (s->v[i] == num)
            return 1;
    return 0;
}

void numset_release(struct numset *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
    s->zero = 0;
}
