/* check.h: the unit-test harness. CHECK(cond) counts a check and prints file:line when it
 * fails; CHECK_DONE(name) prints "name: N passed, M failed" and gives main's exit status. */
#ifndef CALLMINE_CHECK_H
#define CALLMINE_CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (cond) {                                                                          \
            check_passed++;                                                                  \
        } else {                                                                             \
            check_failed++;                                                                  \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);         \
        }                                                                                    \
    } while (0)

#define CHECK_DONE(name)                                                                     \
    (printf("%s: %d passed, %d failed\n", (name), check_passed, check_failed),               \
     check_failed ? 1 : 0)

#endif
