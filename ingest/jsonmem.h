/* jsonmem: cJSON's allocator for the ingest, an arena per tree.
 *
 * A page of 100 transcripts is a tree of a few hundred thousand cJSON nodes and strings,
 * each a malloc and a free of its own; that was the largest CPU cost of the ingest. With
 * these hooks the thread that called jsonmem_install() allocates cJSON's memory by bumping
 * a pointer through large chunks, and frees it all at once: a free only counts down, and
 * when nothing allocated in the arena is live any more (the page's tree was deleted) the
 * arena starts over in its largest chunk. Other threads, and any allocation made while
 * the arena is over JSONMEM_CAP bytes (several trees kept alive at once), use malloc.
 *
 * cJSON's printer uses the same hooks: its results are freed with cJSON_free(), never
 * free(). */
#ifndef CALLMINE_JSONMEM_H
#define CALLMINE_JSONMEM_H

#include <stddef.h>

#define JSONMEM_CHUNK (1u << 20) /* the first chunk, bytes; each next one doubles */
#define JSONMEM_CAP (256u << 20) /* above this many bytes in chunks, allocate with malloc */

/* Install the hooks (cJSON_InitHooks) and give the calling thread its arena. Call once,
 * from main(), before any other thread starts. */
void jsonmem_install(void);

/* The hooks themselves (for tests): malloc-like and free-like. */
void *jsonmem_alloc(size_t n);
void jsonmem_free(void *p);

/* Bytes held in the calling thread's chunks and allocations live in them (tests). */
size_t jsonmem_held(void);
size_t jsonmem_live(void);

#endif
