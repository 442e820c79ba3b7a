/* fuzz.h: what every harness shares: a reader that takes typed values off the fuzzer's
 * bytes, and FUZZ_CHECK, which reports a broken invariant and aborts (so libFuzzer saves
 * the input, and the standalone replayer fails).
 *
 * The harnesses are built two ways: with clang -fsanitize=fuzzer (make fuzz), and with
 * $(CC) plus standalone.c, which replays the files named on the command line (make
 * test-fuzz-regress). */
#ifndef CALLMINE_FUZZ_H
#define CALLMINE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The unread part of the input. Reading past the end gives zeros / empty pieces. */
struct fz {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
    uint8_t v = 0;

    if (f->n) {
        v = f->p[0];
        f->p++;
        f->n--;
    }
    return v;
}

static inline uint64_t fz_u64(struct fz *f, int bytes)
{
    uint64_t v = 0;

    for (int i = 0; i < bytes; i++)
        v = v << 8 | fz_u8(f);
    return v;
}

/* Up to max bytes, the count taken from one length byte; *len gets it. */
static inline const uint8_t *fz_piece(struct fz *f, size_t max, size_t *len)
{
    size_t n = fz_u8(f);
    const uint8_t *p = f->p;

    if (n > max)
        n = max;
    if (n > f->n)
        n = f->n;
    f->p += n;
    f->n -= n;
    *len = n;
    return p;
}

/* A malloc'd copy of n bytes with no terminator, so that reading one byte too far is a
 * heap overflow ASan reports. */
static inline char *fz_dup_exact(const void *p, size_t n)
{
    char *d = malloc(n ? n : 1);

    if (!d)
        abort();
    if (n)
        memcpy(d, p, n);
    return d;
}

/* The same, NUL-terminated (for APIs that take C strings). */
static inline char *fz_strndup(const void *p, size_t n)
{
    char *d = malloc(n + 1);

    if (!d)
        abort();
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

#endif
