/* test_casefold: Unicode simple case folding (casefold.h) of code points and UTF-8 text. */
#include <stdlib.h>
#include <string.h>

#include "casefold.h"
#include "check.h"

#include "banned.h"

/* Whether folding s gives want, and casefold_changes agrees on whether it changed. */
static int folds(const char *s, const char *want)
{
    char *got = casefold_dup(s);
    int ok =
        got && strcmp(got, want) == 0 && casefold_changes(s, strlen(s)) == (strcmp(s, want) != 0);

    if (!ok)
        fprintf(stderr, "  casefold('%s') = '%s', want '%s'\n", s, got ? got : "(null)", want);
    free(got);
    return ok;
}

int main(void)
{
    char out[CASEFOLD_MAX(16) + 1];
    size_t n;

    /* code points: ASCII, Latin, Greek, Cyrillic, and the ones left alone */
    CHECK(casefold_cp('A') == 'a' && casefold_cp('z') == 'z' && casefold_cp('@') == '@');
    CHECK(casefold_cp(0xC7) == 0xE7);       /* Ç -> ç */
    CHECK(casefold_cp(0x104) == 0x105);     /* Ą -> ą */
    CHECK(casefold_cp(0x3A3) == 0x3C3);     /* Σ -> σ */
    CHECK(casefold_cp(0x3C2) == 0x3C3);     /* final ς -> σ */
    CHECK(casefold_cp(0x3C3) == 0x3C3);     /* σ itself */
    CHECK(casefold_cp(0x414) == 0x434);     /* Д -> д */
    CHECK(casefold_cp(0x212A) == 'k');      /* KELVIN SIGN */
    CHECK(casefold_cp(0x1E9E) == 0xDF);     /* ẞ -> ß (the S entry) */
    CHECK(casefold_cp(0xDF) == 0xDF);       /* ß stays: simple folding, not ss */
    CHECK(casefold_cp(0x130) == 0x130);     /* İ: Turkic (T) and full (F) rules are left out */
    CHECK(casefold_cp(0x10400) == 0x10428); /* DESERET: beyond the BMP */
    CHECK(casefold_cp(0x4EF7) == 0x4EF7 && casefold_cp(0x10FFFF) == 0x10FFFF);

    /* text */
    CHECK(folds("Dąbrowska", "dąbrowska"));
    CHECK(folds("DĄBROWSKA", "dąbrowska"));
    CHECK(folds("GONÇALO", "gonçalo"));
    CHECK(folds("ΟΔΥΣΣΕΥΣ", "οδυσσευσ"));
    CHECK(folds("Οδυσσευς", "οδυσσευσ")); /* final sigma folds as σ, so both spellings meet */
    CHECK(folds("ЖУКОВ", "жуков"));
    CHECK(folds("Straße", "straße"));
    CHECK(folds("STRASSE", "strasse")); /* not equal to Straße's folding */
    CHECK(folds("already folded 价格 😀", "already folded 价格 😀"));
    CHECK(folds("", ""));
    /* bytes that are not UTF-8 pass through unchanged, the rest still folds */
    CHECK(folds("A\xff"
                "B\xc3",
                "a\xff"
                "b\xc3"));
    CHECK(folds("\xe2\x82"
                "Ä",
                "\xe2\x82"
                "ä"));
    /* growth: U+023A (2 bytes) folds to U+2C65 (3 bytes) */
    n = casefold_utf8("\xc8\xba\xc8\xba", 4, out);
    CHECK(n == 6 && memcmp(out, "\xe2\xb1\xa5\xe2\xb1\xa5", 6) == 0 && n <= CASEFOLD_MAX(4));
    /* shrinking: KELVIN SIGN (3 bytes) folds to k */
    n = casefold_utf8("\xe2\x84\xaa", 3, out);
    CHECK(n == 1 && out[0] == 'k');
    CHECK(casefold_changes("abc", 3) == 0 && casefold_changes("aBc", 3) == 1);
    CHECK(casefold_changes("\xc3\xa9", 2) == 0 && casefold_changes("\xc3\x89", 2) == 1);
    return CHECK_DONE("test_casefold");
}
