/* strset: a set of byte strings, for counting distinct values in one pass (the `calls`
 * count line's deals and reps) without a second query, or for testing membership in a set
 * read once (the TimeOfCall rows an at-call filter keeps).
 *
 * Open addressing with linear probing on a 64-bit FNV-1a hash; the table doubles at half
 * full. Strings are copied into the set. Memory grows with the distinct values added (about
 * 24 bytes of table plus the string per value). */
#ifndef CALLMINE_STRSET_H
#define CALLMINE_STRSET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct strset {
    struct strset_slot *slots;
    size_t cap, len; /* slots, and strings held */
};

void strset_init(struct strset *s);
void strset_release(struct strset *s);

/* Add p[0..n) unless the set holds it; ERR_NOMEM on failure. */
int strset_add(struct strset *s, const void *p, size_t n, struct err *e);

/* Whether the set holds p[0..n). */
int strset_has(const struct strset *s, const void *p, size_t n);

#endif
