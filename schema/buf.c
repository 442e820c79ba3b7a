/* buf: growable, capped byte buffers (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : BUF_DEFAULT_MAX;
}

void buf_release(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int buf_reserve(struct buf *b, size_t n, struct err *e)
{
    size_t need, cap;
    char *p;

    if (!b->max)
        b->max = BUF_DEFAULT_MAX;
    if (n > b->max || b->len > b->max - n) {
        buf_release(b);
        return err_set(e, ERR_NOMEM, "buffer: more than %zu bytes", b->max);
    }
    need = b->len + n + 1;
    if (need <= b->cap)
        return ERR_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (!p) {
        buf_release(b);
        return err_set(e, ERR_NOMEM, "buffer: out of memory growing to %zu bytes", cap);
    }
    b->data = p;
    b->cap = cap;
    return ERR_OK;
}

int buf_append(struct buf *b, const void *p, size_t n, struct err *e)
{
    int rc = buf_reserve(b, n, e);

    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return ERR_OK;
}

int buf_puts(struct buf *b, const char *s, struct err *e)
{
    return buf_append(b, s, strlen(s), e);
}

int buf_putc(struct buf *b, char c, struct err *e)
{
    return buf_append(b, &c, 1, e);
}

int buf_printf(struct buf *b, struct err *e, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return err_set(e, ERR_PARSE, "buffer: bad format");
    rc = buf_reserve(b, (size_t)n, e);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return ERR_OK;
}

char *buf_steal(struct buf *b, size_t *len_out)
{
    char *p = b->data;

    if (len_out)
        *len_out = b->len;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
