/* test_strset: the set of byte strings the `calls` count line counts distinct values with,
 * and looks TimeOfCall rows up in. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "strset.h"

#include "banned.h"

int main(void)
{
    struct strset s;
    struct err e = {0};
    char key[32];
    int ok = 1;

    strset_init(&s);
    CHECK(s.len == 0);
    CHECK(!strset_has(&s, "", 0)); /* an empty set, no table yet */
    CHECK(strset_add(&s, "d1", 2, &e) == ERR_OK && s.len == 1);
    CHECK(strset_add(&s, "d1", 2, &e) == ERR_OK && s.len == 1); /* a duplicate */
    CHECK(strset_add(&s, "d", 1, &e) == ERR_OK && s.len == 2);  /* a prefix is another value */
    CHECK(strset_add(&s, "", 0, &e) == ERR_OK && s.len == 3);   /* so is the empty string */
    CHECK(strset_add(&s, "a\0b", 3, &e) == ERR_OK && strset_add(&s, "a\0c", 3, &e) == ERR_OK &&
          s.len == 5); /* bytes after a NUL count */
    /* growth: 10,000 distinct values, each added twice, survive every rehash */
    for (int i = 0; i < 10000 && ok; i++) {
        int n = snprintf(key, sizeof key, "call-%d", i);

        ok = strset_add(&s, key, (size_t)n, &e) == ERR_OK &&
             strset_add(&s, key, (size_t)n, &e) == ERR_OK;
    }
    CHECK(ok && s.len == 10005);
    /* membership: every value added, nothing else (a prefix, a longer value, other bytes
     * after a NUL) */
    for (int i = 0; i < 10000 && ok; i++) {
        int n = snprintf(key, sizeof key, "call-%d", i);

        ok = strset_has(&s, key, (size_t)n) && !strset_has(&s, key, 5) &&
             (n = snprintf(key, sizeof key, "call-%dx", i)) > 0 && !strset_has(&s, key, (size_t)n);
    }
    CHECK(ok);
    CHECK(strset_has(&s, "d1", 2) && strset_has(&s, "d", 1) && strset_has(&s, "", 0));
    CHECK(strset_has(&s, "a\0b", 3) && !strset_has(&s, "a\0d", 3) && !strset_has(&s, "a", 1));
    CHECK(s.cap >= 2 * s.len);
    strset_release(&s);
    CHECK(s.len == 0 && s.cap == 0);
    strset_release(&s); /* twice is harmless */
    return CHECK_DONE("test_strset");
}
