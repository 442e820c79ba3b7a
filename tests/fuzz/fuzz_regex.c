/* fuzz_regex: the PCRE2 wrapper and its literal prefilter (re.h).
 *
 * Input: one flags byte (bit 0: RE_CASELESS), one byte choosing a start offset, the
 * pattern up to the first NUL byte, then the subject. Checks:
 *   - re_compile never crashes; it fails only with ERR_USAGE or ERR_NOMEM and *out NULL;
 *   - text_utf8_valid agrees with a plain reference validator;
 *   - re_next over the subject (repaired to valid UTF-8 first, as callers do) gives
 *     ordered ranges inside the subject, and a clone finds the same first match;
 *   - re_required_literal: when the pattern matches the subject, the subject contains the
 *     literal (case-insensitively when *caseless, where k also stands for the Kelvin sign
 *     and s for the long s, as in PCRE2's caseless matching);
 *   - re_literal_find: every match [s, e) found from offset `from` has a literal
 *     occurrence starting in [from, e), so the prefilter never skips a match; its offset
 *     is a first occurrence (searching again from there, or from half-way, gives it again)
 *     and the required literal occurs from there on. */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "re.h"
#include "text.h"

#include "banned.h"

#define MAX_PATTERN 1024
#define MAX_SUBJECT 4096
#define MAX_MATCHES 32

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid (RFC 3629). */
static size_t ref_utf8(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

/* Replace each invalid byte of s[0..n) by '?' in place; returns whether it was valid. */
static int ref_repair(char *s, size_t n)
{
    int ok = 1;

    for (size_t i = 0; i < n;) {
        size_t k = ref_utf8((const unsigned char *)s + i, n - i);

        if (k) {
            i += k;
        } else {
            s[i++] = '?';
            ok = 0;
        }
    }
    return ok;
}

/* Bytes literal lit spans in s at p, or 0 when it does not occur there. */
static size_t occurs_at(const char *lit, size_t ln, int caseless, const char *s, size_t n, size_t p)
{
    size_t q = p;

    if (!caseless)
        return ln <= n - p && memcmp(s + p, lit, ln) == 0 ? ln : 0;
    for (size_t j = 0; j < ln; j++) {
        unsigned char c;

        if (q >= n)
            return 0;
        c = (unsigned char)s[q];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c == (unsigned char)lit[j]) {
            q++;
        } else if (lit[j] == 'k' && n - q >= 3 && memcmp(s + q, "\xE2\x84\xAA", 3) == 0) {
            q += 3;
        } else if (lit[j] == 's' && n - q >= 2 && memcmp(s + q, "\xC5\xBF", 2) == 0) {
            q += 2;
        } else {
            return 0;
        }
    }
    return q - p;
}

/* The first occurrence of lit starting in s[from..n), or n. */
static size_t naive_find(const char *lit, size_t ln, int caseless, const char *s, size_t n,
                         size_t from)
{
    for (size_t p = from; p < n; p++)
        if (occurs_at(lit, ln, caseless, s, n, p))
            return p;
    return n;
}

/* The next code point boundary after p. */
static size_t next_cp(const char *s, size_t n, size_t p)
{
    p++;
    while (p < n && ((unsigned char)s[p] & 0xC0) == 0x80)
        p++;
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    int flags = fz_u8(&f) & 1 ? RE_CASELESS : 0;
    uint8_t from_pick = fz_u8(&f);
    const uint8_t *nul = memchr(f.p, 0, f.n);
    size_t plen = nul ? (size_t)(nul - f.p) : f.n, slen;
    char *pattern, *subject;
    struct re *re = NULL, *clone;
    struct err e = {0};
    const char *lit;
    size_t litlen = 0, pos = 0, ms = 0, me = 0, first_s = 0, first_e = 0;
    int caseless = 0, rc, matched = 0;

    if (plen > MAX_PATTERN)
        return 0;
    pattern = fz_strndup(f.p, plen);
    f.p += plen, f.n -= plen;
    fz_u8(&f); /* the NUL */
    slen = f.n > MAX_SUBJECT ? MAX_SUBJECT : f.n;
    subject = fz_dup_exact(f.p, slen);

    rc = re_compile(pattern, flags, &re, &e);
    if (rc != ERR_OK) {
        FUZZ_CHECK(rc == ERR_USAGE || rc == ERR_NOMEM);
        FUZZ_CHECK(re == NULL && e.msg[0]);
        goto done;
    }
    {
        char *copy = fz_dup_exact(subject, slen);
        int ok = ref_repair(copy, slen);

        FUZZ_CHECK(text_utf8_valid(subject, slen) == ok);
        free(subject);
        subject = copy;
        FUZZ_CHECK(text_utf8_valid(subject, slen) == 1);
    }
    lit = re_required_literal(re, &litlen, &caseless);
    if (lit) {
        FUZZ_CHECK(litlen > 0 && re_has_prefilter(re)); /* lit need not be NUL-terminated */
        FUZZ_CHECK(!memchr(lit, '\\', litlen) && !memchr(lit, '\n', litlen) &&
                   !memchr(lit, '\r', litlen));
        FUZZ_CHECK(caseless == ((flags & RE_CASELESS) != 0));
        for (size_t i = 0; caseless && i < litlen; i++)
            FUZZ_CHECK(!(lit[i] >= 'A' && lit[i] <= 'Z') && (unsigned char)lit[i] < 0x80);
    }

    /* Every match, with the prefilter's answer from the same starting point. */
    for (int k = 0; k < MAX_MATCHES && pos <= slen; k++) {
        size_t from = pos;

        rc = re_next(re, subject, slen, pos, &ms, &me, &e);
        FUZZ_CHECK(rc >= -1 && rc <= 1);
        if (rc < 0) {
            FUZZ_CHECK(e.code == ERR_USAGE || e.code == ERR_NOMEM);
            break;
        }
        if (rc == 0)
            break;
        FUZZ_CHECK(from <= ms && ms <= me && me <= slen);
        if (!matched) {
            matched = 1;
            first_s = ms;
            first_e = me;
        }
        if (re_has_prefilter(re)) {
            size_t at = re_literal_find(re, subject, slen, from);

            if (!(at < me)) {
                fprintf(stderr, "match [%zu, %zu) from %zu but the prefilter says %zu\n", ms, me,
                        from, at);
                FUZZ_CHECK(!"the prefilter skips a match");
            }
        }
        pos = me > ms ? me : next_cp(subject, slen, me);
    }
    if (matched && lit) {
        if (naive_find(lit, litlen, caseless, subject, slen, 0) >= slen) {
            fprintf(stderr, "literal '%.*s' (caseless %d) not in a subject the pattern matches\n",
                    (int)litlen, lit, caseless);
            FUZZ_CHECK(!"required literal missing from a matching subject");
        }
    }
    /* The prefilter's offset is a first occurrence: searching again from it, or from any
     * point between the start and it, gives it again; and the required literal (a part
     * of what the prefilter searches for) occurs from there on. */
    if (re_has_prefilter(re)) {
        size_t froms[3] = {0, slen ? (size_t)from_pick % (slen + 1) : 0, first_s};

        for (int i = 0; i < 3; i++) {
            size_t from = froms[i], got, mid;

            while (from < slen && ((unsigned char)subject[from] & 0xC0) == 0x80)
                from++;
            got = re_literal_find(re, subject, slen, from);
            FUZZ_CHECK(got >= from && got <= slen);
            if (got == slen)
                continue;
            FUZZ_CHECK(re_literal_find(re, subject, slen, got) == got);
            mid = from + (got - from) / 2;
            FUZZ_CHECK(re_literal_find(re, subject, slen, mid) == got);
            if (lit && naive_find(lit, litlen, caseless, subject, slen, got) >= slen) {
                fprintf(stderr, "prefilter hit at %zu without the literal '%.*s' after it\n", got,
                        (int)litlen, lit);
                FUZZ_CHECK(!"re_literal_find reports an occurrence that is not there");
            }
        }
    }
    /* A clone matches the same way. */
    if ((clone = re_clone(re))) {
        size_t cs = 0, ce = 0;

        rc = re_next(clone, subject, slen, 0, &cs, &ce, &e);
        if (matched)
            FUZZ_CHECK(rc == 1 && cs == first_s && ce == first_e);
        else if (rc == 1)
            FUZZ_CHECK(!"a clone matches where the original did not");
        re_free(clone);
    }
done:
    re_free(re);
    free(pattern);
    free(subject);
    return 0;
}
