/* jsonmem: a bump allocator behind cJSON's hooks (see jsonmem.h).
 *
 * The arena is thread-local and exists only in the thread that installed the hooks; it is
 * a list of chunks, newest first, each twice the size of the one before. An allocation is
 * 16-byte aligned and carved from the newest chunk; a free finds the chunk that holds the
 * pointer (there are only a few) and counts the allocation as dead, or hands a pointer
 * from elsewhere to free(). When the live count reaches zero every chunk but the newest
 * (the largest) is released and the newest is reused from its start. */
#include "jsonmem.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>

#include "banned.h"

struct chunk {
    struct chunk *next;
    size_t size; /* bytes of data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

struct arena {
    struct chunk *chunks; /* newest (largest) first */
    size_t held;          /* bytes in all chunks */
    size_t live;          /* allocations not yet freed */
};

static _Thread_local struct arena *tl_arena;
static struct arena main_arena;

static struct chunk *holder(struct arena *a, const void *p)
{
    const unsigned char *q = p;

    for (struct chunk *c = a->chunks; c; c = c->next)
        if (q >= c->data && q < c->data + c->size)
            return c;
    return NULL;
}

void *jsonmem_alloc(size_t n)
{
    struct arena *a = tl_arena;
    struct chunk *c;
    size_t need = (n + 15) & ~(size_t)15;

    if (!a || n == 0 || need < n)
        return malloc(n);
    c = a->chunks;
    if (!c || c->size - c->used < need) {
        size_t size = c ? c->size * 2 : JSONMEM_CHUNK;

        while (size < need)
            size *= 2;
        if (a->held + size > JSONMEM_CAP)
            return malloc(n);
        c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = a->chunks;
        a->chunks = c;
        a->held += size;
    }
    c->used += need;
    a->live++;
    return c->data + c->used - need;
}

void jsonmem_free(void *p)
{
    struct arena *a = tl_arena;

    if (!p)
        return;
    if (!a || !holder(a, p)) {
        free(p);
        return;
    }
    if (--a->live > 0)
        return;
    /* nothing live: keep only the largest chunk, empty */
    while (a->chunks->next) {
        struct chunk *old = a->chunks->next;

        a->chunks->next = old->next;
        a->held -= old->size;
        free(old);
    }
    a->chunks->used = 0;
}

size_t jsonmem_held(void)
{
    return tl_arena ? tl_arena->held : 0;
}

size_t jsonmem_live(void)
{
    return tl_arena ? tl_arena->live : 0;
}

void jsonmem_install(void)
{
    cJSON_Hooks h = {.malloc_fn = jsonmem_alloc, .free_fn = jsonmem_free};

    tl_arena = &main_arena;
    cJSON_InitHooks(&h);
}
