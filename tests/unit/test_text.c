/* test_text: UTF-8 validation, stepping and repair, and JSON string quoting (schema/text.h),
 * on the edge cases: overlongs, surrogates, truncated and 4-byte sequences, U+FFFD itself,
 * the limits U+007F/U+0080, U+07FF/U+0800, U+FFFF/U+10000, U+10FFFF/U+110000, and control
 * characters in JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text.h"

#define R TEXT_FFFD

/* Valid UTF-8 cases and the code point of their first sequence (0: not checked). */
static const struct {
    const char *s;
    int ok;
    size_t first_len;
    uint32_t first_cp;
} utf8_cases[] = {
    {"", 1, 0, 0},
    {"plain ascii text, long enough for the 16-byte fast path", 1, 1, 'p'},
    {"\x7F", 1, 1, 0x7F},
    {"\xC2\x80", 1, 2, 0x80},
    {"caf\xC3\xA9", 1, 1, 'c'},
    {"\xDF\xBF", 1, 2, 0x7FF},
    {"\xE0\xA0\x80", 1, 3, 0x800},
    {"\xE4\xBB\xB7\xE6\xA0\xBC", 1, 3, 0x4EF7},
    {"\xED\x9F\xBF", 1, 3, 0xD7FF}, /* just below the surrogates */
    {"\xEE\x80\x80", 1, 3, 0xE000}, /* just above them */
    {R, 1, 3, 0xFFFD},              /* U+FFFD itself is valid */
    {"\xEF\xBF\xBF", 1, 3, 0xFFFF},
    {"\xF0\x90\x80\x80", 1, 4, 0x10000},
    {"\xF0\x9F\x98\x80", 1, 4, 0x1F600},
    {"\xF4\x8F\xBF\xBF", 1, 4, 0x10FFFF},
    {"abcdefghijklmnopqrstuvwxyz\xF0\x9F\x98\x80", 1, 1, 'a'},
    {"\xC3", 0, 0, 0},                                 /* truncated 2-byte */
    {"\xE4\xBB", 0, 0, 0},                             /* truncated 3-byte */
    {"\xF0\x9F\x98", 0, 0, 0},                         /* truncated 4-byte */
    {"abcdefghijklmnopqrstuvwxyz\xE4\xBB", 0, 1, 'a'}, /* truncated after the fast path */
    {"\x80", 0, 0, 0},                                 /* a stray continuation byte */
    {"\xC3\x28", 0, 0, 0},                             /* a lead without its continuation */
    {"\xC0\xAF", 0, 0, 0},                             /* overlong '/' */
    {"\xC1\xBF", 0, 0, 0},                             /* overlong U+007F */
    {"\xE0\x80\xAF", 0, 0, 0},                         /* overlong 3-byte */
    {"\xE0\x9F\xBF", 0, 0, 0},                         /* overlong U+07FF */
    {"\xF0\x80\x80\xAF", 0, 0, 0},                     /* overlong 4-byte */
    {"\xF0\x8F\xBF\xBF", 0, 0, 0},                     /* overlong U+FFFF */
    {"\xED\xA0\x80", 0, 0, 0},                         /* surrogate U+D800 */
    {"\xED\xBF\xBF", 0, 0, 0},                         /* surrogate U+DFFF */
    {"\xED\xA0\xBD\xED\xB8\x80", 0, 0, 0},             /* a surrogate pair (CESU-8) */
    {"\xF4\x90\x80\x80", 0, 0, 0},                     /* U+110000 */
    {"\xF5\x80\x80\x80", 0, 0, 0},
    {"\xF8\x88\x80\x80\x80", 0, 0, 0}, /* 5-byte form */
    {"\xFE", 0, 0, 0},
    {"\xFF", 0, 0, 0},
};

static void test_valid(void)
{
    for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
        const char *s = utf8_cases[i].s;
        size_t n = strlen(s), k;
        uint32_t cp = 0xDEAD;

        CHECK(text_utf8_valid(s, n) == utf8_cases[i].ok);
        if (!n)
            continue;
        k = text_utf8_seq((const unsigned char *)s, n, &cp);
        CHECK(k == utf8_cases[i].first_len);
        if (k)
            CHECK(cp == utf8_cases[i].first_cp);
        else
            CHECK(cp == 0xDEAD); /* untouched */
    }
    /* the length bounds the read: a valid sequence cut by n is invalid */
    CHECK(text_utf8_valid("\xF0\x9F\x98\x80", 3) == 0);
    CHECK(text_utf8_valid("ab\xC3\xA9", 3) == 0);
    CHECK(text_utf8_valid("nul\0byte", 8) == 1); /* U+0000 is valid UTF-8 */
    /* an invalid byte at every position of a long ASCII run */
    {
        char s[70];

        memset(s, 'x', sizeof s);
        for (size_t i = 0; i < sizeof s; i++) {
            s[i] = (char)0x80;
            if (text_utf8_valid(s, sizeof s)) {
                CHECK(!"invalid byte missed");
                break;
            }
            s[i] = 'x';
        }
        CHECK(text_utf8_valid(s, sizeof s));
    }
}

static void test_next(void)
{
    const char *s = "a\xC3\xA9\xE4\xBB\xB7\xF0\x9F\x98\x80z";
    size_t n = strlen(s);

    CHECK(text_utf8_next(s, n, 0) == 1);
    CHECK(text_utf8_next(s, n, 1) == 3);
    CHECK(text_utf8_next(s, n, 3) == 6);
    CHECK(text_utf8_next(s, n, 6) == 10);
    CHECK(text_utf8_next(s, n, 10) == 11);
    CHECK(text_utf8_next("\xE4\xBB\xB7", 2, 0) == 2); /* never past n */
    CHECK(text_utf8_next("\x80\x80x", 3, 0) == 2);    /* stray continuations go with it */
}

static void test_count_prefix(void)
{
    const char *s = "a\xC3\xA9\xE4\xBB\xB7\xF0\x9F\x98\x80z"; /* a é 价 😀 z: 11 bytes */

    CHECK(text_utf8_count("", 0) == 0);
    CHECK(text_utf8_count(s, 11) == 5);
    CHECK(text_utf8_count(s, 3) == 2);
    CHECK(text_utf8_prefix(s, 11, 0) == 0);
    CHECK(text_utf8_prefix(s, 11, 1) == 1);
    CHECK(text_utf8_prefix(s, 11, 2) == 3);
    CHECK(text_utf8_prefix(s, 11, 3) == 6);
    CHECK(text_utf8_prefix(s, 11, 4) == 10);
    CHECK(text_utf8_prefix(s, 11, 5) == 11);
    CHECK(text_utf8_prefix(s, 11, 99) == 11); /* fewer code points than asked */
    CHECK(text_utf8_prefix(s, 8, 4) == 8);    /* never past n */
    CHECK(text_utf8_count(s, text_utf8_prefix(s, 11, 3)) == 3);
}

static int repair_is(const char *s, size_t n, const char *want)
{
    struct buf b;
    struct err e = {0};
    int ok;

    buf_init(&b, 0);
    ok = text_utf8_repair(s, n, &b, &e) == ERR_OK && b.len == strlen(want) &&
         memcmp(b.data ? b.data : "", want, b.len) == 0;
    if (ok) /* the result is always valid, and repairing it again changes nothing */
        ok = text_utf8_valid(b.data ? b.data : "", b.len);
    if (!ok)
        fprintf(stderr, "  repair: got '%s' want '%s'\n", b.data ? b.data : "(null)", want);
    buf_release(&b);
    return ok;
}

static void test_repair(void)
{
    struct buf b;
    struct err e = {0};

    CHECK(repair_is("", 0, ""));
    CHECK(repair_is("plain", 5, "plain"));
    CHECK(repair_is("a\xFFz\xE2\x82\xAC", 6, "a" R "z\xE2\x82\xAC"));
    CHECK(repair_is(R, 3, R));                                   /* U+FFFD stays as it is */
    CHECK(repair_is("cut\xE2\x82", 5, "cut" R R));               /* one per byte */
    CHECK(repair_is("\xF0\x9F\x98", 3, R R R));                  /* truncated 4-byte */
    CHECK(repair_is("\xF0\x9F\x98\x80", 4, "\xF0\x9F\x98\x80")); /* whole 4-byte */
    CHECK(repair_is("\xC0\xAF", 2, R R));                        /* overlong */
    CHECK(repair_is("\xED\xA0\x80", 3, R R R));                  /* surrogate */
    CHECK(repair_is("\xF4\x90\x80\x80", 4, R R R R));            /* > U+10FFFF */
    CHECK(repair_is("\xC3(x", 3, R "(x"));                       /* the next byte is kept */
    /* a NUL byte is valid and kept; the buffer is reset first */
    buf_init(&b, 0);
    CHECK(text_utf8_repair("nul\0\xFF", 5, &b, &e) == ERR_OK && b.len == 7 &&
          memcmp(b.data, "nul\0" R, 7) == 0);
    CHECK(buf_puts(&b, "old", &e) == ERR_OK);
    CHECK(text_utf8_repair("new", 3, &b, &e) == ERR_OK && b.len == 3 && !strcmp(b.data, "new"));
    /* a failed append (the buffer's maximum) reports ERR_NOMEM */
    buf_release(&b);
    buf_init(&b, 4);
    CHECK(text_utf8_repair("abcdefgh", 8, &b, &e) == ERR_NOMEM && e.code == ERR_NOMEM);
    buf_release(&b);
}

static int json_is(const char *s, size_t n, const char *want)
{
    struct buf b;
    struct err e = {0};
    int ok;

    buf_init(&b, 0);
    ok = text_json_string(&b, s, n, &e) == ERR_OK && b.data && strcmp(b.data, want) == 0;
    if (!ok)
        fprintf(stderr, "  json: got %s want %s\n", b.data ? b.data : "(null)", want);
    buf_release(&b);
    return ok;
}

static void test_json(void)
{
    struct buf b;
    struct err e = {0};

    CHECK(json_is("", 0, "\"\""));
    CHECK(json_is("plain", 5, "\"plain\""));
    CHECK(json_is("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"")); /* / is not escaped */
    CHECK(json_is("\n\r\t", 3, "\"\\n\\r\\t\""));
    CHECK(json_is("\x01\x08\x0c\x1b\x1f", 5, "\"\\u0001\\u0008\\u000c\\u001b\\u001f\""));
    CHECK(json_is("\x7f \x20", 3, "\"\x7f  \""));         /* DEL and space as they are */
    CHECK(json_is("nul\0byte", 8, "\"nul\\u0000byte\"")); /* the length counts, not a NUL */
    CHECK(json_is("caf\xC3\xA9 \xE4\xBB\xB7 \xF0\x9F\x98\x80", 14,
                  "\"caf\xC3\xA9 \xE4\xBB\xB7 \xF0\x9F\x98\x80\""));
    CHECK(json_is("\xC2\x85", 2, "\"\xC2\x85\"")); /* C1 controls are valid JSON as is */
    CHECK(json_is(R, 3, "\"" R "\""));
    CHECK(json_is("bad\xFF!", 5, "\"bad" R "!\""));
    CHECK(json_is("cut\xE2\x82", 5, "\"cut" R R "\""));
    CHECK(json_is("\xF0\x9F\x98", 3, "\"" R R R "\""));
    CHECK(json_is("\xC0\xAF", 2, "\"" R R "\""));
    CHECK(json_is("\xED\xA0\x80", 3, "\"" R R R "\""));
    CHECK(json_is("\xF4\x90\x80\x80", 4, "\"" R R R R "\""));
    CHECK(json_is("\xC3\"", 2, "\"" R "\\\"\"")); /* a cut lead before an escape */
    /* appends: what is in the buffer stays */
    buf_init(&b, 0);
    CHECK(buf_puts(&b, "[", &e) == ERR_OK && text_json_string(&b, "x", 1, &e) == ERR_OK &&
          strcmp(b.data, "[\"x\"") == 0);
    buf_release(&b);
    buf_init(&b, 4);
    CHECK(text_json_string(&b, "abcdefgh", 8, &e) == ERR_NOMEM);
    buf_release(&b);
}

/* text_put_int writes what "%lld" writes, at the edges and in between. */
static void test_put_int(void)
{
    static const int64_t v[] = {0, 1, -1, 9, 10, -10, 1234567890123LL, INT64_MAX, INT64_MIN};
    char got[32], want[32];

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = text_put_int(got, v[i]);

        got[n] = '\0';
        snprintf(want, sizeof want, "%lld", (long long)v[i]);
        CHECK(n == strlen(want) && strcmp(got, want) == 0);
    }
    for (int64_t x = -100000; x <= 100000; x += 7) {
        size_t n = text_put_int(got, x * 99991);

        got[n] = '\0';
        snprintf(want, sizeof want, "%lld", (long long)(x * 99991));
        CHECK(strcmp(got, want) == 0);
    }
}

int main(void)
{
    test_valid();
    test_next();
    test_count_prefix();
    test_repair();
    test_json();
    test_put_int();
    return CHECK_DONE("test_text");
}
