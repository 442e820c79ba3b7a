/* test_grams: the per-transcript n-gram filter: only sentence texts count (not times or
 * speaker ids, not across sentences, not malformed lines), escapes are taken as stored, ASCII
 * case and the Kelvin sign and long s fold, short literals always may, and no false negative
 * ever: a property test over random transcripts and literals (random case, folded letters,
 * non-ASCII, tabs, escapes) and several filter sizes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "grams.h"
#include "transcript.h"

#define NB GRAMS_BITS

static unsigned char bits[GRAMS_BYTES];

static int may(const char *lit)
{
    return grams_may_contain(bits, NB, lit, strlen(lit));
}

static void build(const char *text)
{
    grams_build(text, strlen(text), bits, NB);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void test_fields(void)
{
    build("1000\t2000\tspk4711\tWe looked at the Northwind pricing.\n"
          "2000\t3500\t\tNo speaker here\n"
          "3500\t4000\tspk99\tsecond LINE\n");
    CHECK(may("Northwind"));
    CHECK(may("northwind pricing"));
    CHECK(may("NORTHWIND"));
    CHECK(may("We looked"));
    CHECK(may("pricing."));
    CHECK(may("no speaker"));
    CHECK(may("line"));
    /* times and speaker ids are not text */
    CHECK(!may("spk4711"));
    CHECK(!may("1000"));
    CHECK(!may("2000\t"));
    /* never across two sentences */
    CHECK(!may("pricing.No"));
    CHECK(!may("here second"));
    CHECK(!may("absent"));
    CHECK(!may("Northwinds"));
    /* fewer than three bytes: always */
    CHECK(may(""));
    CHECK(may("zq"));
    CHECK(grams_may_contain(bits, NB, "zqx", 2));
    CHECK(grams_fill(bits, NB) > 0.0 && grams_fill(bits, NB) < 0.05);
}

static void test_malformed_and_empty(void)
{
    build("");
    CHECK(grams_fill(bits, NB) == 0.0);
    CHECK(!may("abc"));
    CHECK(may("ab"));
    /* a line with fewer than three tabs is never searched by grep: it adds nothing */
    build("garbage line zyxwvut\n1\t2\tonly two tabs zyxwvut\n5\t6\t\tgood text\n");
    CHECK(!may("zyxwvut"));
    CHECK(may("good text"));
    /* the last line needs no LF; a tab inside the text is text */
    build("1\t2\ts\tcol one\tcol two");
    CHECK(may("one\tcol"));
    CHECK(may("col two"));
}

static void test_escapes(void)
{
    /* stored text: price\nlist and C:\\path (a newline and a backslash, escaped) */
    build("1\t2\ts\tprice\\nlist and C:\\\\path\n");
    CHECK(may("price"));
    CHECK(may("list and"));
    CHECK(may("path"));
    CHECK(may("C:")); /* short */
    /* re.c's literals never hold a backslash, CR or LF, so the stored form is enough */
    CHECK(!may("pricelist"));
}

static void test_folding(void)
{
    build("1\t2\ts\tWe use \xE2\x84\xAAubernetes and \xC5\xBFSO, M\xC3\xBCller said\n");
    /* the Kelvin sign and the long s match k and s caselessly (as in PCRE2) */
    CHECK(may("kubernetes"));
    CHECK(may("KUBERNETES"));
    CHECK(may("\xE2\x84\xAAubernetes"));
    CHECK(may("sso"));
    CHECK(may("\xC5\xBFso"));
    /* non-ASCII bytes as they are; ASCII around them folds */
    CHECK(may("M\xC3\xBCller"));
    CHECK(may("m\xC3\xBCLLER"));
    /* a caseless literal with non-ASCII letters is not covered (so grep does not ask) */
    CHECK(!may("M\xC3\x9CLLER"));
}

/* A random sentence text: words of ASCII letters in random case, digits, punctuation,
 * non-ASCII letters, the Kelvin sign and long s, tabs and escapes, as stored. */
static void random_text(struct buf *b, struct err *e)
{
    static const char *const pieces[] = {"pri",      "ce",
                                         "ing",      "dis",
                                         "count",    "Nor",
                                         "th",       "wind",
                                         "k",        "s",
                                         "K",        "S",
                                         " ",        " ",
                                         " ",        ".",
                                         ",",        "'",
                                         "\t",       "7",
                                         "42",       "\xC3\xA9",
                                         "\xC3\x89", "\xE2\x84\xAA",
                                         "\xC5\xBF", "\xE4\xB8\xAD",
                                         "\\n",      "\\\\",
                                         "\\r",      "a",
                                         "b",        "x",
                                         "q",        "z",
                                         "oo",       "ll"};
    int n = 1 + (int)rnd(25);

    for (int i = 0; i < n; i++) {
        const char *p = pieces[rnd(sizeof pieces / sizeof *pieces)];

        for (; *p; p++) {
            char c = *p;

            if (rnd(3) == 0 && c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            buf_putc(b, c, e);
        }
    }
}

static int contains(const char *h, size_t nh, const char *n, size_t nn)
{
    for (size_t i = 0; i + nn <= nh; i++)
        if (memcmp(h + i, n, nn) == 0)
            return 1;
    return 0;
}

static size_t utf8_len(unsigned char c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* A literal grep could be asked for that occurs in the stored text t[0..n) of one sentence:
 * a substring on character boundaries without a backslash, with ASCII letters in random
 * case and k/s as the Kelvin sign or long s at times (what a caseless match finds). */
static size_t random_literal(const char *t, size_t n, char *out, size_t cap)
{
    size_t starts[512], ns = 0, a, z, len = 0;

    for (size_t i = 0; i < n && ns < 512; i += utf8_len((unsigned char)t[i]))
        starts[ns++] = i;
    if (!ns)
        return 0;
    a = starts[rnd((unsigned)ns)];
    z = a;
    for (unsigned k = 1 + rnd(8); k && z < n; k--)
        z += utf8_len((unsigned char)t[z]);
    if (z > n)
        z = n;
    for (size_t i = a; i < z && len + 4 < cap;) {
        unsigned char c = (unsigned char)t[i];
        size_t cl = utf8_len(c);

        if (c == '\\')
            break;
        if ((c | 0x20) == 'k' && rnd(4) == 0) {
            memcpy(out + len, "\xE2\x84\xAA", 3), len += 3;
        } else if ((c | 0x20) == 's' && rnd(4) == 0) {
            memcpy(out + len, "\xC5\xBF", 2), len += 2;
        } else if (cl == 1 && (c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
            out[len++] = (char)(rnd(2) ? c ^ 0x20 : c);
        } else {
            memcpy(out + len, t + i, cl);
            len += cl;
        }
        i += cl;
    }
    return len;
}

static void test_no_false_negatives(void)
{
    static const size_t sizes[] = {8, 64, 1024, GRAMS_BITS, 16384};
    unsigned char *b = malloc(16384 / 8);
    struct buf text, sent;
    struct err e = {0};
    size_t checks = 0, misses = 0, absent = 0, passed_absent = 0;

    buf_init(&text, 0);
    buf_init(&sent, 0);
    for (int round = 0; round < 400 && b; round++) {
        size_t nb = sizes[round % 5], starts[40], lens[40], n_sent = 1 + rnd(40), pos;

        buf_reset(&text);
        for (size_t s = 0; s < n_sent; s++) {
            buf_printf(&text, &e, "%u\t%u\t%s\t", rnd(100000), rnd(100000), rnd(2) ? "spk" : "");
            starts[s] = text.len;
            buf_reset(&sent);
            random_text(&sent, &e);
            buf_append(&text, sent.data, sent.len, &e);
            lens[s] = sent.len;
            buf_putc(&text, '\n', &e);
        }
        grams_build(text.data, text.len, b, nb);
        for (int k = 0; k < 60; k++) {
            size_t s = rnd((unsigned)n_sent);
            char lit[64];
            size_t n = random_literal(text.data + starts[s], lens[s], lit, sizeof lit);

            checks++;
            if (!grams_may_contain(b, nb, lit, n)) {
                misses++;
                fprintf(stderr, "false negative: nbits %zu, literal '%.*s'\n", nb, (int)n, lit);
            }
        }
        /* literals that do not occur: most are ruled out when the filter is not full */
        if (nb == GRAMS_BITS) {
            for (int k = 0; k < 20; k++) {
                char lit[8];

                for (int i = 0; i < 7; i++)
                    lit[i] = (char)('a' + rnd(26));
                lit[7] = '\0';
                pos = 0;
                for (size_t s = 0; s < n_sent; s++)
                    pos |= (size_t)contains(text.data + starts[s], lens[s], lit, 7);
                if (pos)
                    continue;
                absent++;
                passed_absent += (size_t)grams_may_contain(b, nb, lit, 7);
            }
        }
    }
    CHECK(checks > 20000);
    CHECK(misses == 0);
    CHECK(absent > 1000 && passed_absent * 50 < absent); /* under 2% false positives */
    buf_release(&text);
    buf_release(&sent);
    free(b);
}

int main(void)
{
    test_fields();
    test_malformed_and_empty();
    test_escapes();
    test_folding();
    test_no_false_negatives();
    return CHECK_DONE("test_grams");
}
