/* numset: a set of 64-bit numbers (call numbers of the search index), for asking "is this
 * call one the filters keep?" once per matching sentence and for counting distinct calls.
 *
 * Open addressing with linear probing; the table doubles at half full. Reading (numset_has)
 * does not change the set, so threads may read one set at once while no one adds. */
#ifndef CALLMINE_NUMSET_H
#define CALLMINE_NUMSET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct numset {
    int64_t *v;
    size_t n, cap;
    int zero; /* 0 was added (kept apart: 0 marks free slots) */
};

/* Add num; *added is 1 when it was not there. ERR_NOMEM on failure. A zeroed struct is an
 * empty set. */
int numset_add(struct numset *s, int64_t num, int *added, struct err *e);

/* Whether num was added. */
int numset_has(const struct numset *s, int64_t num);

/* Free the table; the set is empty again. */
void numset_release(struct numset *s);

#endif
