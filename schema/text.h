/* text: UTF-8 validation and repair, and JSON string quoting: the one copy both programs
 * and the extension use.
 *
 * Valid UTF-8 here is RFC 3629's: no overlong forms, no UTF-16 surrogates (U+D800..DFFF),
 * nothing above U+10FFFF, no truncated sequence. Repair replaces each byte that does not
 * start a valid sequence with U+FFFD (so "\xE2\x82" becomes two U+FFFD). JSON quoting
 * escapes what RFC 8259 requires (" \ and U+0000..U+001F, as \n \r \t or \u00XX) and repairs
 * invalid UTF-8 the same way, so its output is always valid JSON and valid UTF-8. And
 * integers in decimal without printf. Uses no library but buf.h. */
#ifndef CALLMINE_TEXT_H
#define CALLMINE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define TEXT_FFFD "\xEF\xBF\xBD" /* U+FFFD REPLACEMENT CHARACTER, 3 bytes */

/* Length (1..4) of the valid UTF-8 sequence at p (n >= 1 bytes left) with its code point in
 * *cp, or 0 when the bytes there are not valid UTF-8 (*cp is then untouched). */
size_t text_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp);

/* 1 when s[0..n) is valid UTF-8, else 0. Runs of ASCII go 16 bytes at a time. */
int text_utf8_valid(const char *s, size_t n);

/* The index of the next code point after the one starting at s[i] (i < n): i + 1 plus any
 * continuation bytes that follow, at most n. Steps past an empty regex match (inline: it
 * runs once per empty match). */
static inline size_t text_utf8_next(const char *s, size_t n, size_t i)
{
    for (i++; i < n && ((unsigned char)s[i] & 0xC0) == 0x80; i++)
        ;
    return i;
}

/* The code points in valid UTF-8 text s[0..n) (continuation bytes do not count): its width
 * in a terminal's columns, as the table and show writers measure it. */
size_t text_utf8_count(const char *s, size_t n);

/* The bytes of the first k code points of valid UTF-8 text s[0..n) (n when it has fewer). */
size_t text_utf8_prefix(const char *s, size_t n, size_t k);

/* Copy s[0..n) into out (reset first) with every byte that does not start a valid UTF-8
 * sequence replaced by U+FFFD. ERR_NOMEM on failure (out is then empty). */
int text_utf8_repair(const char *s, size_t n, struct buf *out, struct err *e);

/* Append s[0..n) to b as a quoted JSON string: " and \ escaped, \n \r \t for those controls
 * and \u00XX for the others (lowercase hex), invalid UTF-8 repaired as text_utf8_repair
 * does; everything else as is. ERR_NOMEM on failure. */
int text_json_string(struct buf *b, const char *s, size_t n, struct err *e);

/* Write v in decimal at out (room for 21 bytes), as "%lld" would, without a NUL; returns the
 * length. For numbers written once per row or sentence, where printf costs ~1 us each. */
size_t text_put_int(char *out, int64_t v);

#endif
