/* transcript: encoding and iterating the one-sentence-per-line text (see transcript.h). */
#include "transcript.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

#include "banned.h"

int transcript_append(struct buf *b, int64_t start_ms, int64_t end_ms, const char *speaker,
                      const char *text, size_t text_len, struct err *e)
{
    const char *p = text, *end = text + text_len;
    int rc;

    char head[64];
    size_t n = text_put_int(head, start_ms);

    head[n++] = '\t';
    n += text_put_int(head + n, end_ms);
    head[n++] = '\t';
    if ((rc = buf_append(b, head, n, e)) || (speaker && (rc = buf_puts(b, speaker, e))) ||
        (rc = buf_putc(b, '\t', e)))
        return rc;
    while (p < end) {
        const char *q = p;

        while (q < end && *q != '\\' && *q != '\n' && *q != '\r')
            q++;
        if ((rc = buf_append(b, p, (size_t)(q - p), e)))
            return rc;
        if (q == end)
            break;
        rc = buf_append(b, *q == '\\' ? "\\\\" : *q == '\n' ? "\\n" : "\\r", 2, e);
        if (rc)
            return rc;
        p = q + 1;
    }
    return buf_putc(b, '\n', e);
}

/* Parse a signed decimal field ending at a tab; advances *p past the tab.
 * Fuzzing found (tests/fuzz/regress/transcript/int64-times-read-back-as-malformed): the
 * digit loop used to stop below INT64_MAX / 10, so a line transcript_append wrote for a
 * time of 10^18 ms or more (parse.c clamps an out-of-range Gong time to INT64_MIN /
 * INT64_MAX) read back as malformed. Every int64 is now read back; only a value beyond
 * int64 is refused. */
static int field_int(const char **p, const char *end, int64_t *v)
{
    const char *q = *p;
    int neg = 0;
    uint64_t x = 0, limit;

    if (q < end && *q == '-') {
        neg = 1;
        q++;
    }
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (q >= end || *q < '0' || *q > '9')
        return 0;
    while (q < end && *q >= '0' && *q <= '9') {
        unsigned d = (unsigned)(*q++ - '0');

        if (x > (limit - d) / 10)
            return 0; /* beyond int64 */
        x = x * 10 + d;
    }
    if (q >= end || *q != '\t')
        return 0;
    *v = neg ? (x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x) : (int64_t)x;
    *p = q + 1;
    return 1;
}

int transcript_next(const char *s, size_t len, size_t *pos, struct transcript_line *ln)
{
    const char *p, *end, *nl, *tab;

    if (*pos >= len)
        return 0;
    p = s + *pos;
    nl = memchr(p, '\n', len - *pos);
    end = nl ? nl : s + len;
    *pos = (size_t)(end - s) + (nl ? 1 : 0);
    if (!field_int(&p, end, &ln->start_ms) || !field_int(&p, end, &ln->end_ms))
        return -1;
    tab = memchr(p, '\t', (size_t)(end - p));
    if (!tab)
        return -1;
    ln->speaker = p;
    ln->speaker_len = (size_t)(tab - p);
    ln->text = tab + 1;
    ln->text_len = (size_t)(end - tab - 1);
    ln->escaped = memchr(ln->text, '\\', ln->text_len) != NULL;
    return 1;
}

int transcript_unescape(const char *text, size_t n, struct buf *out, struct err *e)
{
    const char *p = text, *end = text + n;
    int rc;

    buf_reset(out);
    if ((rc = buf_reserve(out, n, e)))
        return rc;
    while (p < end) {
        const char *q = memchr(p, '\\', (size_t)(end - p));

        if (!q)
            q = end;
        memcpy(out->data + out->len, p, (size_t)(q - p));
        out->len += (size_t)(q - p);
        if (q == end)
            break;
        if (q + 1 < end) {
            char c = q[1];

            out->data[out->len++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c;
            p = q + 2;
        } else { /* a lone trailing backslash: keep it */
            out->data[out->len++] = '\\';
            p = q + 1;
        }
    }
    out->data[out->len] = '\0';
    return ERR_OK;
}
