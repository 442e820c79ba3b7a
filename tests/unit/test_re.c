/* test_re: unit tests of ext/re.c, the PCRE2 wrapper.
 *
 * Covers compile errors with offsets, matching (empty matches, anchors, caseless, code
 * points), UTF-8 validation cross-checked against PCRE2's own validator, the required
 * literal (a table of patterns, then a randomized soundness check: every match found must
 * contain the literal), the prefilter search, the limits on catastrophic backtracking and
 * re_clone. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "err.h"
#include "re.h"
#include "text.h"

#include "banned.h"

#ifndef LIT_FUZZ_ROUNDS
#define LIT_FUZZ_ROUNDS 20000 /* patterns tried by test_literal_sound */
#endif

static struct re *must_compile(const char *pat, int flags)
{
    struct err e = {0};
    struct re *re = NULL;

    if (re_compile(pat, flags, &re, &e) != ERR_OK) {
        fprintf(stderr, "compile '%s': %s\n", pat, e.msg);
        exit(1);
    }
    return re;
}

/* The first match of pat in s as "start-end", "none" or "error". */
static const char *first(const char *pat, int flags, const char *s)
{
    static char out[64];
    struct err e = {0};
    struct re *re = must_compile(pat, flags);
    size_t ms = 0, me = 0;
    int rc = re_next(re, s, strlen(s), 0, &ms, &me, &e);

    if (rc == 1)
        snprintf(out, sizeof out, "%zu-%zu", ms, me);
    else
        snprintf(out, sizeof out, "%s", rc == 0 ? "none" : "error");
    re_free(re);
    return out;
}

/* Count non-overlapping matches with re_each, the loop regexp_count runs. */
static int count(const char *pat, int flags, const char *s)
{
    struct err e = {0};
    struct re *re = must_compile(pat, flags);
    size_t len = strlen(s), pos = 0, ms, me;
    int n = 0;

    while (re_each(re, s, len, &pos, &ms, &me, &e) == 1)
        n++;
    re_free(re);
    return n;
}

/* re_sentence_hits' callback: records the ranges as "s-e," into a string. */
struct ranges {
    char text[128];
    int stop_at; /* fail on this hit (from 1), 0: never */
    int n;
};

static int record_hit(void *arg, size_t ms, size_t me)
{
    struct ranges *r = arg;
    size_t k = strlen(r->text);

    if (++r->n == r->stop_at)
        return 1;
    snprintf(r->text + k, sizeof r->text - k, "%zu-%zu,", ms, me);
    return 0;
}

/* The hits of pat in s (at most max), with their ranges in got. */
static int64_t hits(const char *pat, const char *s, size_t max, struct ranges *got)
{
    struct err e = {0};
    struct re *re = must_compile(pat, 0);
    int64_t n;

    memset(got, 0, sizeof *got);
    n = re_sentence_hits(re, s, strlen(s), max, record_hit, got, &e);
    re_free(re);
    return n;
}

static void test_sentence_hits(void)
{
    struct ranges r;
    struct err e = {0};
    struct re *re;

    CHECK(hits("a", "banana", SIZE_MAX, &r) == 3 && strcmp(r.text, "1-2,3-4,5-6,") == 0);
    CHECK(hits("a", "banana", 2, &r) == 2 && strcmp(r.text, "1-2,3-4,") == 0);
    CHECK(hits("a", "xyz", SIZE_MAX, &r) == 0 && r.text[0] == '\0');
    /* only empty matches: one hit, at the first */
    CHECK(hits("^", "abc", SIZE_MAX, &r) == 1 && strcmp(r.text, "0-0,") == 0);
    CHECK(hits("$", "abc", SIZE_MAX, &r) == 1 && strcmp(r.text, "3-3,") == 0);
    CHECK(hits("x*", "abc", SIZE_MAX, &r) == 1 && strcmp(r.text, "0-0,") == 0);
    CHECK(hits("^", "", SIZE_MAX, &r) == 1 && strcmp(r.text, "0-0,") == 0);
    /* empty matches beside non-empty ones do not count */
    CHECK(hits("x*", "axxbx", SIZE_MAX, &r) == 2 && strcmp(r.text, "1-3,4-5,") == 0);
    /* stepping past an empty match goes one code point, not one byte */
    CHECK(hits("b?", "\xF0\x9F\x98\x80\x62", SIZE_MAX, &r) == 1 && strcmp(r.text, "4-5,") == 0);
    CHECK(hits("a", "banana", 0, &r) == 0 && r.n == 0);
    /* a callback that fails stops the search */
    re = must_compile("a", 0);
    memset(&r, 0, sizeof r);
    r.stop_at = 2;
    CHECK(re_sentence_hits(re, "banana", 6, SIZE_MAX, record_hit, &r, &e) == -1 && r.n == 2);
    CHECK(re_sentence_hits(re, "banana", 6, SIZE_MAX, NULL, NULL, &e) == 3);
    re_free(re);
}

static void test_compile_errors(void)
{
    struct err e = {0};
    struct re *re = (struct re *)&e; /* must be set to NULL on failure */

    CHECK(re_compile("a(b", 0, &re, &e) == ERR_USAGE);
    CHECK(re == NULL);
    CHECK(strncmp(e.msg, "bad pattern at offset 3: ", 25) == 0);
    CHECK(strstr(e.msg, "missing closing parenthesis") != NULL);

    CHECK(re_compile("ab[", 0, &re, &e) == ERR_USAGE);
    CHECK(strncmp(e.msg, "bad pattern at offset 3: ", 25) == 0);

    CHECK(re_compile("x**", 0, &re, &e) == ERR_USAGE);
    CHECK(strncmp(e.msg, "bad pattern at offset 2: ", 25) == 0);

    /* invalid UTF-8 in the pattern */
    CHECK(re_compile("ab\xff", 0, &re, &e) == ERR_USAGE);
    CHECK(strncmp(e.msg, "bad pattern at offset 2: ", 25) == 0);

    /* \C could split a code point: refused */
    CHECK(re_compile("a\\Cb", 0, &re, &e) == ERR_USAGE);
    CHECK(re == NULL);
}

static void test_matches(void)
{
    CHECK(strcmp(first("b", 0, "abc"), "1-2") == 0);
    CHECK(strcmp(first("x", 0, "abc"), "none") == 0);
    CHECK(strcmp(first("^Q[0-9]", 0, "Q3 plan"), "0-2") == 0);
    CHECK(strcmp(first("^plan", 0, "Q3 plan"), "none") == 0);
    CHECK(strcmp(first("plan$", 0, "Q3 plan"), "3-7") == 0);
    CHECK(strcmp(first("", 0, "abc"), "0-0") == 0);
    CHECK(strcmp(first("x*", 0, ""), "0-0") == 0);
    CHECK(strcmp(first("PRICE", RE_CASELESS, "the price is"), "4-9") == 0);
    CHECK(strcmp(first("PRICE", 0, "the price is"), "none") == 0);
    /* code points, not bytes */
    CHECK(strcmp(first("^.$", 0, "\xF0\x9F\x98\x80"), "0-4") == 0); /* U+1F600 */
    CHECK(strcmp(first("^..$", 0, "\xC3\xA9t"), "0-3") == 0);       /* "ét" */
    CHECK(strcmp(first("^.$", 0, "\xE4\xBB\xB7"), "0-3") == 0);     /* 价 */
    CHECK(strcmp(first("\xC3\x89T\xC3\x89", RE_CASELESS, "un \xC3\xA9t\xC3\xA9"), "3-8") ==
          0);                                                     /* ÉTÉ caseless finds été */
    CHECK(strcmp(first("^\\w+$", 0, "caf\xC3\xA9"), "0-5") == 0); /* UCP: é is a word char */
    CHECK(strcmp(first("\\bprice\\b", 0, "pricey price"), "7-12") == 0);
    CHECK(strcmp(first("k", RE_CASELESS, "\xE2\x84\xAA"), "0-3") == 0); /* Kelvin sign */

    /* start offset */
    {
        struct err e = {0};
        struct re *re = must_compile("a", 0);
        size_t ms, me;

        CHECK(re_next(re, "aXa", 3, 1, &ms, &me, &e) == 1 && ms == 2 && me == 3);
        CHECK(re_next(re, "aXa", 3, 3, &ms, &me, &e) == 0);
        CHECK(re_next(re, "aXa", 3, 4, &ms, &me, &e) == 0); /* past the end */
        CHECK(re_next(re, NULL, 0, 0, &ms, &me, &e) == 0);
        re_free(re);
    }
    /* embedded NUL is part of the subject */
    {
        struct err e = {0};
        struct re *re = must_compile("b", 0);
        size_t ms, me;

        CHECK(re_next(re, "a\0b", 3, 0, &ms, &me, &e) == 1 && ms == 2);
        re_free(re);
    }

    CHECK(count("a", 0, "banana") == 3);
    CHECK(count("ana", 0, "banana") == 1); /* non-overlapping */
    CHECK(count("x*", 0, "axb") == 4);     /* '' 'x' '' '' as Perl and Python count */
    CHECK(count("", 0, "") == 1);
    CHECK(count("", 0, "\xC3\xA9\xE4\xBB\xB7") == 3); /* one per code point boundary */
    CHECK(count("\\b(price|pricing|discount)\\b", RE_CASELESS,
                "Pricing? The PRICE, a discount, discounts, price.") == 4);
}

/* PCRE2's own verdict on the UTF-8 validity of s. */
static int pcre2_valid(const char *s, size_t len)
{
    static pcre2_code *code;
    static pcre2_match_data *md;
    int errcode, rc;
    PCRE2_SIZE off;

    if (!code) {
        code = pcre2_compile((PCRE2_SPTR) "x", 1, PCRE2_UTF, &errcode, &off, NULL);
        md = pcre2_match_data_create(1, NULL);
    }
    if (!s) { /* release */
        pcre2_match_data_free(md);
        pcre2_code_free(code);
        code = NULL;
        return 0;
    }
    rc = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
    return rc >= 0 || rc == PCRE2_ERROR_NOMATCH;
}

static void test_utf8(void)
{
    static const struct {
        const char *s;
        int ok;
    } cases[] = {
        {"", 1},
        {"plain ascii text long enough for the 16-byte fast path", 1},
        {"caf\xC3\xA9", 1},
        {"\xE4\xBB\xB7\xE6\xA0\xBC", 1},
        {"\xF0\x9F\x98\x80", 1},
        {"\xF4\x8F\xBF\xBF", 1}, /* U+10FFFF */
        {"\xEF\xBF\xBF", 1},     /* U+FFFF */
        {"\xC3", 0},             /* truncated */
        {"abcdefghijklmnopqrstuvwxyz\xE4\xBB", 0},
        {"\x80", 0},     /* stray continuation */
        {"\xC0\xAF", 0}, /* overlong '/' */
        {"\xC1\xBF", 0},
        {"\xE0\x80\xAF", 0},     /* overlong */
        {"\xED\xA0\x80", 0},     /* surrogate U+D800 */
        {"\xF0\x80\x80\xAF", 0}, /* overlong */
        {"\xF4\x90\x80\x80", 0}, /* U+110000 */
        {"\xF5\x80\x80\x80", 0},
        {"\xFF", 0},
        {"\xFE", 0},
    };
    size_t i, k;
    unsigned seed = 12345;
    char buf[64];

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].s);

        CHECK(text_utf8_valid(cases[i].s, len) == cases[i].ok);
        CHECK(pcre2_valid(cases[i].s, len) == cases[i].ok);
    }
    /* Random byte strings biased towards UTF-8 structure: our validator must agree with
     * PCRE2's, since matching skips PCRE2's check on its word. */
    for (i = 0; i < 200000; i++) {
        size_t len;
        int agree;

        seed = seed * 1103515245u + 12345u;
        len = (seed >> 16) % 24;
        for (k = 0; k < len; k++) {
            unsigned r;

            seed = seed * 1103515245u + 12345u;
            r = seed >> 16;
            switch (r % 6) {
            case 0: buf[k] = (char)('a' + r % 26); break;
            case 1:
            case 2: buf[k] = (char)(0x80 | ((r >> 3) & 0x3F)); break;
            case 3: buf[k] = (char)(0xC0 | ((r >> 3) & 0x1F)); break;
            case 4: buf[k] = (char)(0xE0 | ((r >> 3) & 0x0F)); break;
            default: buf[k] = (char)(0xF0 | ((r >> 3) & 0x0F));
            }
        }
        agree = text_utf8_valid(buf, len) == pcre2_valid(buf, len);
        if (!agree) {
            fprintf(stderr, "utf8 disagreement at case %zu (len %zu)\n", i, len);
            CHECK(agree);
            break;
        }
    }
    CHECK(1); /* the agreement loop as one check */
    pcre2_valid(NULL, 0);
}

/* The required literal of pat as a string ("(none)" when there is none). */
static const char *lit(const char *pat, int flags)
{
    static char out[128];
    struct re *re = must_compile(pat, flags);
    size_t n;
    int ci;
    const char *l = re_required_literal(re, &n, &ci);

    if (!l)
        snprintf(out, sizeof out, "(none)");
    else
        snprintf(out, sizeof out, "%s%.*s", ci ? "i:" : "", (int)n, l);
    re_free(re);
    return out;
}

static void test_required_literal(void)
{
    static const struct {
        const char *pat;
        int flags;
        const char *want;
    } cases[] = {
        {"competitor", 0, "competitor"},
        {"Acme Corp", RE_CASELESS, "i:acme corp"},
        {"budget.*approval", 0, "approval"},
        {"^Q[0-9] plan", 0, " plan"},
        {"\\bprice\\b", 0, "price"},
        {"\\bprice\\b", RE_CASELESS, "i:price"},
        {"\\b(price|pricing|discount)\\b", RE_CASELESS, "(none)"},
        {"price|cost", 0, "(none)"},
        {"(?:a|b)cdef", 0, "cdef"},
        {"colou?r", 0, "colo"},
        {"ab*cde", 0, "cde"},
        {"abc+de", 0, "abc"},
        {"ab{2}cd", 0, "ab"},
        {"a{0,2}bcd", 0, "bcd"},
        {"x\\.y\\.zz", 0, "x.y.zz"},
        {"\\Qa.b|c\\E", 0, "a.b|c"},
        {"\\Qab\\E?x", 0, "a"},
        {"\\d{3}-\\d{4} call", 0, " call"},
        {"[a|b]+ words", 0, " words"},
        {"[[:alpha:]]+ words", 0, " words"},
        {"foo\\d|bar", 0, "(none)"},
        {"(a)\\1 rest", 0, "a"}, /* the group; stops at the backreference */
        {"\\x41BCD", 0, "(none)"},
        {"abc(?i)def", 0, "abc"},
        {"(?i)abc", 0, "(none)"},
        {"(?x) a b c", 0, "(none)"},
        {"(*UTF)abc", 0, "(none)"},
        {"(?:x(*ACCEPT)|)abc", 0, "(none)"},
        {"a(?#comment|here)bcd", 0, "(none)"},       /* comments: not followed */
        {"ask a question", RE_CASELESS, "i: a que"}, /* for ASCII-only searches: no k, s */
        {"discount", RE_CASELESS, "i:count"},
        {"discount", 0, "discount"},
        {"kiss", RE_CASELESS, "i:i"},
        {"x(?:abc|abd)", 0, "(none)"}, /* the set {abc, abd} beats x */
        {"caf\xC3\xA9 au lait", 0, "caf\xC3\xA9 au lait"},
        {"caf\xC3\xA9 au lait", RE_CASELESS, "i: au lait"},
        {"\xC3\xA9?t\xC3\xA9", 0, "t\xC3\xA9"},
        {"(ab)+cd", 0, "ab"},
        {"(ab)?cd", 0, "cd"},
        {"(?:abc|abd)", 0, "(none)"}, /* a set of two */
        {"(?:abc|abcd)", 0, "abc"},   /* abcd contains abc */
        {"(?:abc|abc)", 0, "abc"},
        {"a\\\\b", 0, "a"}, /* no backslash in literals */
        {"a\\nb", 0, "a"},
        {"a.b", 0, "a"},
        {"", 0, "(none)"},
        {".*", 0, "(none)"},
        {"[abc]", 0, "(none)"},
        {"a{,3}bc", 0, "(none)"}, /* 10.42 reads {,3} as text, newer versions not */
        {"(?<=pre)fix", 0, "fix"},
        {"\\p{Lu}+ Inc", 0, " Inc"},
        {"\\pL+ Inc", 0, " Inc"},
        {"x\\Ey", 0, "xy"},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = lit(cases[i].pat, cases[i].flags);

        if (strcmp(got, cases[i].want) != 0)
            fprintf(stderr, "literal of '%s': got '%s', want '%s'\n", cases[i].pat, got,
                    cases[i].want);
        CHECK(strcmp(got, cases[i].want) == 0);
    }
}

/* Randomized soundness: for random patterns over a small alphabet and random subjects,
 * whenever the regex matches, the subject contains the required literal. */
static void test_literal_sound(void)
{
    static const char *atoms[] = {
        "a",        "b",        "c",    "A",   "k",     "s",      ".",       "a?",     "b*",
        "c+",       "(a|b)",    "[ab]", "\\b", "x{2}",  "x{0,1}", "\\.",     "|",      "(?:ab)?",
        "\\Qa.\\E", "\xC3\xA9", "^",    "$",   " ",     "\\w",    "(?i:ab)", "(",      ")",
        "(?:",      "ab|",      "(?i)", "cab", "(?=b)", "+",      "{1,2}",   "\\Qk\\E"};
    static const char *alpha[] = {"a",        "b",       "c", "A", "k", "K",
                                  "s",        "S",       "x", ".", " ", "\xE2\x84\xAA",
                                  "\xC5\xBF", "\xC3\xA9"};
    unsigned seed = 777;
    int i, bad = 0, tried = 0, verified = 0;

    for (i = 0; i < LIT_FUZZ_ROUNDS && !bad; i++) {
        char pat[128] = "", subj[128];
        size_t plen = 0, slen, k, ms, me, litlen, off;
        int natoms, ci, flags, rc;
        struct err e = {0};
        struct re *re = NULL;
        const char *l;

        seed = seed * 1103515245u + 12345u;
        natoms = 1 + (int)((seed >> 16) % 6);
        for (k = 0; k < (size_t)natoms; k++) {
            const char *a;

            seed = seed * 1103515245u + 12345u;
            a = atoms[(seed >> 16) % (sizeof atoms / sizeof atoms[0])];
            if (plen + strlen(a) + 1 >= sizeof pat)
                break;
            memcpy(pat + plen, a, strlen(a) + 1);
            plen += strlen(a);
        }
        seed = seed * 1103515245u + 12345u;
        flags = (seed >> 16) & 1 ? RE_CASELESS : 0;
        if (re_compile(pat, flags, &re, &e) != ERR_OK)
            continue;
        l = re_required_literal(re, &litlen, &ci);
        for (k = 0; k < 20 && !bad; k++) {
            size_t j;

            seed = seed * 1103515245u + 12345u;
            j = (seed >> 16) % 12;
            slen = 0;
            while (j-- > 0) {
                const char *a;

                seed = seed * 1103515245u + 12345u;
                a = alpha[(seed >> 16) % (sizeof alpha / sizeof alpha[0])];
                memcpy(subj + slen, a, strlen(a));
                slen += strlen(a);
            }
            subj[slen] = '\0';
            rc = re_next(re, subj, slen, 0, &ms, &me, &e);
            tried++;
            if (rc != 1 || !re_has_prefilter(re))
                continue;
            off = re_literal_find(re, subj, slen, 0);
            verified++;
            {
                /* and through the 16-byte blocks: the same text between newlines */
                char padded[256];
                size_t pad = 37 + (size_t)(i % 5), padlen = pad + slen + 40;

                memset(padded, '\n', padlen);
                memcpy(padded + pad, subj, slen);
                if (re_literal_find(re, padded, padlen, pad / 2) >= pad + slen)
                    off = slen;
            }
            if (off >= slen || (l && litlen == 0)) {
                fprintf(stderr, "pattern '%s' (flags %d) matched '%s' without literal '%s'\n", pat,
                        flags, subj, l ? l : "(a set)");
                bad = 1;
            }
        }
        re_free(re);
    }
    CHECK(!bad);
    CHECK(tried > 10000);
    CHECK(verified > 2000);
}

/* All offsets where re_literal_find reports an occurrence, scanning s from the start. */
static size_t scan_all(struct re *re, const char *s, size_t *offs, size_t max)
{
    size_t len = strlen(s), from = 0, n = 0, at;

    while ((at = re_literal_find(re, s, len, from)) < len && n < max) {
        offs[n++] = at;
        from = at + 1;
    }
    return n;
}

static void test_literal_find(void)
{
    struct re *re = must_compile("Acme Corp", RE_CASELESS);
    const char *s = "we talked to ACME CORP and acme corp";
    size_t offs[16];

    CHECK(re_has_prefilter(re));
    CHECK(re_literal_find(re, s, strlen(s), 0) == 13);
    CHECK(re_literal_find(re, s, strlen(s), 14) == 27);
    CHECK(re_literal_find(re, s, strlen(s), 28) == strlen(s));
    CHECK(re_literal_find(re, s, strlen(s), 0) == 13); /* from 0: a new scan */
    CHECK(re_literal_find(re, "acme cor", 8, 0) == 8);
    CHECK(re_literal_find(re, "", 0, 0) == 0);
    re_free(re);

    re = must_compile("zq", 0);
    CHECK(re_literal_find(re, "zzqzq", 5, 0) == 1);
    CHECK(re_literal_find(re, "zQ", 2, 0) == 2);
    CHECK(re_literal_find(re, "azq", 3, 0) == 1);
    CHECK(re_literal_find(re, "az", 2, 0) == 2);
    re_free(re);

    /* sets: any member counts; sequential scans see every occurrence once */
    re = must_compile("\\b(price|pricing|discount)\\b", RE_CASELESS);
    CHECK(re_has_prefilter(re));
    s = "a DISCOUNT on the Price, pricing, and discounts";
    CHECK(scan_all(re, s, offs, 16) == 4);
    CHECK(offs[0] == 2 && offs[1] == 18 && offs[2] == 25 && offs[3] == 38);
    s = "disco\xC5\xBF \xC5\xBF"
        "e disCOUNT"; /* not discount, then discount */
    CHECK(scan_all(re, s, offs, 16) == 1 && offs[0] == 12);
    s = "DI\xC5\xBF\xC5\xBF"
        "COUNT DI\xC5\xBF"
        "COUNT"; /* the long s matches s */
    CHECK(scan_all(re, s, offs, 16) == 1 && offs[0] == 12);
    re_free(re);

    re = must_compile("Zeta|alpha", 0);
    s = "alpha Zeta alpha ZETA zeta Zeta";
    CHECK(scan_all(re, s, offs, 16) == 4);
    CHECK(offs[0] == 0 && offs[1] == 6 && offs[2] == 11 && offs[3] == 27);
    CHECK(re_literal_find(re, "no", 2, 0) == 2);
    re_free(re);

    re = must_compile("a|b.", 0); /* b. gives b, a gives a */
    CHECK(re_has_prefilter(re));
    re_free(re);
    re = must_compile("a|.b", 0); /* .b gives b */
    CHECK(re_has_prefilter(re));
    re_free(re);
    re = must_compile("a|[bc]", 0); /* a class: no literal for that branch */
    CHECK(!re_has_prefilter(re));
    CHECK(re_literal_find(re, "xyz", 3, 1) == 1);
    re_free(re);
}

/* The prefilter's scan over a longer random text finds exactly what a naive search does. */
static void test_literal_scan_random(void)
{
    static const char *pats[] = {"ab", "Ab|zz", "(?:qa|xb|ab)c", "b a"};
    char text[4096];
    unsigned seed = 99;
    size_t i, p, len = sizeof text - 1;
    int f;

    for (i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        text[i] = "abAB zqxc"[(seed >> 16) % 9];
    }
    text[len] = '\0';
    for (p = 0; p < sizeof pats / sizeof pats[0]; p++) {
        for (f = 0; f < 2; f++) {
            struct re *re = must_compile(pats[p], f ? RE_CASELESS : 0);
            struct err e = {0};
            size_t offs[4096], n = scan_all(re, text, offs, 4096), k, from = 0, ms, me;
            int ok = 1;

            /* every regex match must lie on a line... here: contain a reported offset */
            while (from < len && re_next(re, text, len, from, &ms, &me, &e) == 1) {
                int seen = 0;

                for (k = 0; k < n; k++)
                    if (offs[k] >= ms && offs[k] < me)
                        seen = 1;
                if (!seen)
                    ok = 0;
                from = me > ms ? me : me + 1;
            }
            CHECK(ok);
            re_free(re);
        }
    }
}

static size_t encode_utf8(unsigned cp, char *b)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12);
        b[1] = (char)(0x80 | ((cp >> 6) & 63));
        b[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    b[0] = (char)(0xF0 | cp >> 18);
    b[1] = (char)(0x80 | ((cp >> 12) & 63));
    b[2] = (char)(0x80 | ((cp >> 6) & 63));
    b[3] = (char)(0x80 | (cp & 63));
    return 4;
}

/* The prefilter's caseless search assumes that, of all code points, an ASCII letter
 * matches caselessly only its two ASCII cases, plus U+212A for k and U+017F for s. Check it
 * against this PCRE2's Unicode tables, so an upgrade that changes it is noticed. */
static void test_caseless_folds(void)
{
    char pat[2] = "a", b[4];
    int surprises = 0;
    unsigned cp;

    for (pat[0] = 'a'; pat[0] <= 'z'; pat[0]++) {
        struct re *re = must_compile(pat, RE_CASELESS);
        struct err e = {0};

        for (cp = 0; cp < 0x20000; cp++) { /* every cased script lies below U+20000 */
            size_t n, ms, me;
            unsigned lc = (unsigned)pat[0];

            if (cp >= 0xD800 && cp < 0xE000)
                continue;
            n = encode_utf8(cp, b);
            if (re_next(re, b, n, 0, &ms, &me, &e) != 1)
                continue;
            if (cp == lc || cp == lc - 32 || (lc == 'k' && cp == 0x212A) ||
                (lc == 's' && cp == 0x17F))
                continue;
            fprintf(stderr, "caseless '%c' also matches U+%04X\n", pat[0], cp);
            surprises++;
        }
        re_free(re);
    }
    CHECK(surprises == 0);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_limits(void)
{
    static const char *pats[] = {"(a+)+$", "(a|aa)+$", "(\\w+\\s?)+$", "(?:a*)*b"};
    char subj[64];
    size_t i;

    /* Under valgrind (which sets CALLMINE_NO_JIT) everything runs ~50 times slower. */
    double budget = getenv("CALLMINE_NO_JIT") ? 30.0 : 2.0;

    memset(subj, 'a', 40);
    subj[40] = '!';
    subj[41] = '\0';
    for (i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        struct err e = {0};
        struct re *re = must_compile(pats[i], 0);
        size_t ms, me;
        double t0 = now(), dt;
        int rc = re_next(re, subj, strlen(subj), 0, &ms, &me, &e);

        dt = now() - t0;
        CHECK(rc == -1 || rc == 0); /* some engines optimise the blow-up away */
        if (rc == -1) {
            CHECK(e.code == ERR_USAGE);
            CHECK(strncmp(e.msg, "pattern is too complex: ", 24) == 0);
        }
        CHECK(dt < budget);
        re_free(re);
    }
    /* The classic case must hit the limit, not quietly succeed or fail. */
    {
        struct err e = {0};
        struct re *re = must_compile("(a+)+$", 0);
        size_t ms, me;

        CHECK(re_next(re, subj, strlen(subj), 0, &ms, &me, &e) == -1);
        CHECK(strstr(e.msg, "match limit") != NULL);
        /* and the matcher still works afterwards */
        CHECK(re_next(re, "aaa", 3, 0, &ms, &me, &e) == 1 && ms == 0 && me == 3);
        re_free(re);
    }
}

static void test_clone(void)
{
    struct err e = {0};
    struct re *a = must_compile("PRICE", RE_CASELESS);
    struct re *b = re_clone(a);
    size_t ms, me, n;
    int ci;

    CHECK(b != NULL);
    re_free(a); /* the clone must not depend on the original */
    CHECK(re_next(b, "our price", 9, 0, &ms, &me, &e) == 1 && ms == 4 && me == 9);
    CHECK(re_required_literal(b, &n, &ci) != NULL && n == 5 && ci == 1);
    CHECK(re_literal_find(b, "our PRICE", 9, 0) == 4);
    re_free(b);

    /* a clone scans long buffers, 16 bytes at a time, like the original */
    a = must_compile("(?:xylophone|zither)s", 0);
    b = re_clone(a);
    {
        char *big = malloc(4096);
        size_t k;

        CHECK(big != NULL);
        memset(big, '.', 4096);
        memcpy(big + 4096 - 7, "zithers", 7); /* at the very end */
        CHECK(re_literal_find(a, big, 4096, 0) == 4096 - 7);
        CHECK(re_literal_find(b, big, 4096, 0) == 4096 - 7);
        for (k = 0; k + 11 <= 4096; k += 1000)
            memcpy(big + k, "xylophone", 9);
        CHECK(re_literal_find(b, big, 4096, 1) == 1000);
        free(big);
    }
    re_free(a);
    re_free(b);

    a = must_compile("a|b", 0);
    b = re_clone(a);
    CHECK(b != NULL && re_required_literal(b, &n, &ci) == NULL);
    re_free(a);
    re_free(b);
    re_free(NULL);
}

int main(void)
{
    test_compile_errors();
    test_matches();
    test_sentence_hits();
    test_utf8();
    test_required_literal();
    test_literal_sound();
    test_literal_find();
    test_literal_scan_random();
    test_caseless_folds();
    test_limits();
    test_clone();
    return CHECK_DONE("test_re");
}
