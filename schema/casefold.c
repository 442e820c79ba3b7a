/* casefold: Unicode simple case folding of UTF-8 (see casefold.h).
 *
 * ASCII folds by arithmetic; every other code point is looked up by binary search in the
 * generated table of Unicode's C and S entries (casefold_table.h, 1,454 pairs). Decoding is
 * text.h's text_utf8_seq, so what counts as valid UTF-8 is the one rule of the project. */
#include "casefold.h"

#include <stdlib.h>
#include <string.h>

#include "casefold_table.h"
#include "text.h"

#include "banned.h"

uint32_t casefold_cp(uint32_t cp)
{
    size_t lo = 0, hi = sizeof casefold_table / sizeof casefold_table[0];

    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp < casefold_table[0][0])
        return cp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (casefold_table[mid][0] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sizeof casefold_table / sizeof casefold_table[0] && casefold_table[lo][0] == cp
               ? casefold_table[lo][1]
               : cp;
}

/* Write cp (at most U+10FFFF) as UTF-8 at out; returns its length. */
static size_t put_utf8(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;

    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t casefold_utf8(const char *s, size_t n, char *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0, len;
    uint32_t cp;

    while (i < n) {
        if (p[i] < 0x80) {
            out[o++] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
            i++;
        } else if ((len = text_utf8_seq(p + i, n - i, &cp)) == 0) {
            out[o++] = (char)p[i++]; /* not UTF-8: the byte as it is */
        } else {
            uint32_t f = casefold_cp(cp);

            if (f == cp) {
                memcpy(out + o, p + i, len);
                o += len;
            } else {
                o += put_utf8(f, out + o);
            }
            i += len;
        }
    }
    return o;
}

int casefold_changes(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, len;
    uint32_t cp;

    while (i < n) {
        if (p[i] < 0x80) {
            if (p[i] >= 'A' && p[i] <= 'Z')
                return 1;
            i++;
        } else if ((len = text_utf8_seq(p + i, n - i, &cp)) == 0) {
            i++;
        } else {
            if (casefold_cp(cp) != cp)
                return 1;
            i += len;
        }
    }
    return 0;
}

char *casefold_dup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(CASEFOLD_MAX(n) + 1);

    if (d)
        d[casefold_utf8(s, n, d)] = '\0';
    return d;
}
