/* isotime: ISO-8601 instants and durations, as Gong sends them and as we store them.
 *
 * Instants are int64 milliseconds since the Unix epoch (UTC). Parsing accepts what Gong
 * and users write: YYYY-MM-DD (midnight UTC), YYYY-MM-DDTHH:MM[:SS[.fff]] followed by Z
 * or an offset (+hh:mm, +hhmm, +hh); a finer fraction than milliseconds is cut (never
 * rounded). Stored text is UTC of one fixed width, milliseconds always:
 * 2024-03-01T17:01:12.000Z, 2024-03-01T17:01:12.345Z, so comparing the text compares the
 * instants. */
#ifndef CALLMINE_ISOTIME_H
#define CALLMINE_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define ISOTIME_MAX 32 /* room for any formatted instant, NUL included */

/* Parse an ISO-8601 date or date-time with offset into *ms. A date-time without Z or an
 * offset is refused (ERR_PARSE) unless allow_local is set, in which case it is read as UTC. */
int isotime_parse(const char *s, int allow_local, int64_t *ms, struct err *e);

/* Format ms as UTC text into out (ISOTIME_MAX bytes). with_ms: 1 always, 0 never,
 * -1 only when the milliseconds are not zero. */
void isotime_format(int64_t ms, int with_ms, char out[ISOTIME_MAX]);

/* Normalise Gong's text (any offset) to stored UTC text (fixed width, milliseconds always).
 * ERR_PARSE if it is not a date-time. */
int isotime_normalize(const char *s, char out[ISOTIME_MAX], struct err *e);

/* Milliseconds since the epoch, now. */
int64_t isotime_now_ms(void);

/* Parse a duration such as 2d, 36h, 90m, 45s, 1w (or a sum: 1d12h) into *ms. */
int isotime_parse_duration(const char *s, int64_t *ms, struct err *e);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian), and back. */
int64_t isotime_days_from_civil(int64_t y, unsigned m, unsigned d);
void isotime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
