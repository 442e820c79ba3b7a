/* grams: the per-transcript n-gram filter (see grams.h).
 *
 * Both the text and a literal are read as a sequence of folded units: an ASCII letter
 * lowercased, the Kelvin sign (E2 84 AA) as 'k', the long s (C5 BF) as 's', any other
 * byte as it is. Folding a string that occurs in the text gives a string that occurs in
 * the folded text (a valid UTF-8 literal starts and ends on a character boundary, and the
 * two folded sequences cannot overlap another one), so every trigram and 4-gram of a
 * literal is set whenever the literal occurs. An n-gram's units, with n above them, make a
 * 64-bit key, multiplied by a 64-bit odd constant (Fibonacci hashing); the product's top
 * 32 bits are scaled to [0, nbits) by a multiply (Lemire's range reduction). */
#include "grams.h"

#include <stdint.h>
#include <string.h>

#include "banned.h"

/* The folded unit at p (p < end) in *u; returns the bytes it spans. */
static size_t fold_at(const unsigned char *p, const unsigned char *end, unsigned *u)
{
    unsigned c = *p;

    if (c - 'A' < 26u) {
        *u = c | 0x20u;
        return 1;
    }
    if (c == 0xE2 && end - p >= 3 && p[1] == 0x84 && p[2] == 0xAA) {
        *u = 'k';
        return 3;
    }
    if (c == 0xC5 && end - p >= 2 && p[1] == 0xBF) {
        *u = 's';
        return 2;
    }
    *u = c;
    return 1;
}

/* The bit of the n-gram whose units are the low 8n bits of v. */
static size_t bit_of(uint64_t v, unsigned n, size_t nbits)
{
    uint64_t h = ((v | (uint64_t)n << 32) * 0x9E3779B97F4A7C15ull) >> 32;

    return (size_t)((h * nbits) >> 32);
}

/* Set the bits of the n-grams of one sentence's text. */
static void add_text(const unsigned char *p, const unsigned char *end, unsigned char *bits,
                     size_t nbits)
{
    uint32_t w = 0; /* the last four units */
    unsigned u, have = 0;

    while (p < end) {
        size_t h;

        p += fold_at(p, end, &u);
        w = w << 8 | u;
        if (++have < 3)
            continue;
        h = bit_of(w & 0xFFFFFFu, 3, nbits);
        bits[h >> 3] |= (unsigned char)(1u << (h & 7));
        if (have < 4)
            continue;
        h = bit_of(w, 4, nbits);
        bits[h >> 3] |= (unsigned char)(1u << (h & 7));
    }
}

void grams_build(const char *text, size_t len, unsigned char *bits, size_t nbits)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + len;

    memset(bits, 0, nbits / 8);
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        const unsigned char *eol = nl ? nl : end, *t = p;

        for (int tabs = 0; tabs < 3 && t; tabs++) {
            t = memchr(t, '\t', (size_t)(eol - t));
            if (t)
                t++;
        }
        if (t) /* the text after the third tab; a malformed line adds nothing */
            add_text(t, eol, bits, nbits);
        p = nl ? nl + 1 : end;
    }
}

static int bit_set(const unsigned char *bits, size_t h)
{
    return (bits[h >> 3] >> (h & 7)) & 1;
}

int grams_may_contain(const unsigned char *bits, size_t nbits, const char *lit, size_t len)
{
    const unsigned char *p = (const unsigned char *)lit, *end = p + len;
    uint32_t w = 0;
    unsigned u, have = 0;

    while (p < end) {
        p += fold_at(p, end, &u);
        w = w << 8 | u;
        if (++have < 3)
            continue;
        if (!bit_set(bits, bit_of(w & 0xFFFFFFu, 3, nbits)))
            return 0;
        if (have >= 4 && !bit_set(bits, bit_of(w, 4, nbits)))
            return 0;
    }
    return 1;
}

double grams_fill(const unsigned char *bits, size_t nbits)
{
    size_t set = 0;

    for (size_t i = 0; i < nbits / 8; i++)
        set += (size_t)__builtin_popcount(bits[i]);
    return nbits ? (double)set / (double)nbits : 0.0;
}
