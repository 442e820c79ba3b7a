/* buf: a growable byte buffer with a hard maximum size.
 *
 * Used for HTTP bodies, JSON text and transcript text. The data is always kept
 * NUL-terminated (the NUL is not counted in len) so it can be handed to string
 * functions. A failed append frees the data and leaves the buffer empty. */
#ifndef CALLMINE_BUF_H
#define CALLMINE_BUF_H

#include <stddef.h>

#include "err.h"

#define BUF_DEFAULT_MAX ((size_t)64 << 20) /* 64 MiB: the cap for one HTTP response */

struct buf {
    char *data; /* malloc'd, NUL-terminated; NULL while empty */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* appends beyond this fail with ERR_NOMEM; 0 means BUF_DEFAULT_MAX */
};

/* Start empty with the given maximum (0 = BUF_DEFAULT_MAX). Never fails. */
void buf_init(struct buf *b, size_t max);
/* Free the data; the buffer is empty and reusable afterwards. */
void buf_release(struct buf *b);
/* Forget the contents but keep the allocation. */
void buf_reset(struct buf *b);
/* Make room for n more bytes. ERR_NOMEM (data freed) past max or on malloc failure. */
int buf_reserve(struct buf *b, size_t n, struct err *e);
/* Append n bytes. */
int buf_append(struct buf *b, const void *p, size_t n, struct err *e);
/* Append a NUL-terminated string. */
int buf_puts(struct buf *b, const char *s, struct err *e);
/* Append one byte. */
int buf_putc(struct buf *b, char c, struct err *e);
/* Append printf-formatted text. */
int buf_printf(struct buf *b, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Hand the data over: returns it (malloc'd, NUL-terminated, caller frees) and leaves b empty.
 * Returns an allocated empty string when b is empty; NULL only on out of memory. */
char *buf_steal(struct buf *b, size_t *len_out);

#endif
