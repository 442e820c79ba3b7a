/* redact: replace e-mail addresses and phone numbers in text with placeholders, for
 * `callmine-query export --redact`. Pure functions over UTF-8 bytes; no state, no I/O.
 *
 * E-mail: local@domain.tld (ASCII local part of letters, digits and ._%+-; a domain of
 * dot-separated labels ending in a TLD of two or more letters) -> "[email]".
 * Phone: 7 to 15 digits, optionally led by + and grouped by spaces, - . ( ), standing alone
 * (not inside a word or a longer number) -> "[phone]". To spare other numbers: a bare run
 * of digits needs 10 or more; two groups need a leading + or ( or the 3-4 shape of a local
 * number (555-1234); ISO dates (2024-03-01), day-month-year dates (01.03.2024, 01-03-2024),
 * thousands grouped with dots (1.234.567) and amounts after a currency sign are left alone. */
#ifndef CALLMINE_REDACT_H
#define CALLMINE_REDACT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define REDACT_EMAIL "[email]"
#define REDACT_PHONE "[phone]"

/* Write s[0..n) to out (reset first) with every e-mail address and phone number replaced.
 * *count (may be NULL) receives the number of replacements. ERR_NOMEM on failure. */
int redact_text(const char *s, size_t n, struct buf *out, size_t *count, struct err *e);

#endif
