/* grams: a per-transcript n-gram filter, so grep can skip a transcript that cannot contain
 * a pattern's required literals without inflating it.
 *
 * The filter is a bit array (a Bloom filter with one hash per n-gram): one bit per hashed
 * trigram and one per hashed 4-gram (three or four consecutive bytes) of the sentence TEXT
 * fields of a stored transcript (the line format of transcript.h, escapes left as stored),
 * never across two sentences. Before hashing, ASCII letters are lowercased and the two
 * non-ASCII characters that match an ASCII letter case-insensitively, U+212A KELVIN SIGN
 * and U+017F LATIN SMALL LETTER LONG S, count as k and s; every other byte is hashed as it
 * is. A literal is looked up the same way: if one of its n-grams' bits is clear, the
 * literal occurs in no sentence of the transcript. The 4-grams cut the false positives of
 * words whose trigrams are all common (willow: wil, ill, llo, low).
 *
 * What the answer covers: a byte-exact (case-sensitive) literal, and an ASCII literal
 * searched case-insensitively (letters of any case, plus the Kelvin sign and the long s).
 * A case-insensitive literal with non-ASCII letters (é also matches É) is NOT covered:
 * the caller must not use the filter for it. A literal containing a backslash, CR or LF is
 * not covered either (they are escaped in the stored text). Uses only libc. */
#ifndef CALLMINE_GRAMS_H
#define CALLMINE_GRAMS_H

#include <stddef.h>

/* The stored filter's size: 960 bytes, so a transcript_grams row (id and bits) stays on its
 * b-tree page (a WITHOUT ROWID row spills to an overflow page past 1,002 bytes). Readers
 * ignore rows of another size, but a row of this size hashed another way would hide
 * matches: changing the size or the hash needs a migration that empties transcript_grams.
 * Measured on the fake data (34 KB of stored text a call): 43% of the bits set on average,
 * 51% at most; 4% false positives on average over 236 names and phrases. */
#define GRAMS_BITS 7680u
#define GRAMS_BYTES (GRAMS_BITS / 8u)

/* Clear bits (nbits / 8 bytes; nbits a multiple of 8) and set the bits of the n-grams of
 * the sentence texts in the len bytes of stored transcript text at text. Malformed lines
 * (fewer than three tabs: grep never searches them) add nothing. */
void grams_build(const char *text, size_t len, unsigned char *bits, size_t nbits);

/* 0 when the literal lit[0..len) cannot occur in any sentence of the transcript whose
 * filter is bits (built with the same nbits): one of its n-grams is missing. 1 when it may
 * (always for literals of fewer than three bytes after folding). See above for which
 * literals the answer holds for. */
int grams_may_contain(const unsigned char *bits, size_t nbits, const char *lit, size_t len);

/* The share of bits set, 0..1 (for measurements). */
double grams_fill(const unsigned char *bits, size_t nbits);

#endif
