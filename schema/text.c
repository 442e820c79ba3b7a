/* text: UTF-8 and JSON string quoting (see text.h).
 *
 * One decoder, text_utf8_seq, decides what valid UTF-8 is; validation, repair and quoting
 * all go through it for every byte >= 0x80, and copy runs of plain bytes in one append. */
#include "text.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

size_t text_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
    uint32_t c = p[0];
    size_t len;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, c &= 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, c &= 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, c &= 0x07;
    else
        return 0; /* a continuation byte, an overlong 2-byte lead, or beyond U+10FFFF */
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
        return 0; /* overlong, a surrogate, or beyond U+10FFFF */
    *cp = c;
    return len;
}

int text_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    uint32_t cp;

    while (i < n) {
        while (n - i >= 16) { /* ASCII fast path */
            uint64_t a, b;

            memcpy(&a, p + i, 8);
            memcpy(&b, p + i + 8, 8);
            if ((a | b) & 0x8080808080808080ull)
                break;
            i += 16;
        }
        if (i >= n)
            break;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        if (!(k = text_utf8_seq(p + i, n - i, &cp)))
            return 0;
        i += k;
    }
    return 1;
}

size_t text_utf8_count(const char *s, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

size_t text_utf8_prefix(const char *s, size_t n, size_t k)
{
    size_t i = 0;

    for (; i < n && k; k--)
        i = text_utf8_next(s, n, i);
    return i;
}

int text_utf8_repair(const char *s, size_t n, struct buf *out, struct err *e)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    int rc;

    buf_reset(out);
    if ((rc = buf_reserve(out, n, e)))
        return rc;
    while (i < n) {
        uint32_t cp;
        size_t k = p[i] < 0x80 ? 1 : text_utf8_seq(p + i, n - i, &cp);

        if (k) {
            i += k;
            continue;
        }
        if ((rc = buf_append(out, s + run, i - run, e)) || (rc = buf_puts(out, TEXT_FFFD, e)))
            return rc;
        run = ++i;
    }
    return buf_append(out, s + run, n - run, e);
}

int text_json_string(struct buf *b, const char *s, size_t n, struct err *e)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    int rc;

    if ((rc = buf_reserve(b, n + 2, e)) || (rc = buf_putc(b, '"', e)))
        return rc;
    while (i < n) {
        unsigned char c = p[i];
        char esc[8];
        const char *rep;
        uint32_t cp;
        size_t k;

        if (c >= 0x20 && c != '"' && c != '\\') {
            if (c < 0x80) {
                i++;
                continue;
            }
            if ((k = text_utf8_seq(p + i, n - i, &cp))) {
                i += k;
                continue;
            }
            rep = TEXT_FFFD;
        } else if (c == '"' || c == '\\') {
            rep = c == '"' ? "\\\"" : "\\\\";
        } else if (c == '\n' || c == '\r' || c == '\t') {
            rep = c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
        } else {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            rep = esc;
        }
        if ((rc = buf_append(b, s + run, i - run, e)) || (rc = buf_puts(b, rep, e)))
            return rc;
        run = ++i;
    }
    if ((rc = buf_append(b, s + run, n - run, e)))
        return rc;
    return buf_putc(b, '"', e);
}

size_t text_put_int(char *out, int64_t v)
{
    char tmp[24];
    size_t n = 0, len = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    return len;
}
