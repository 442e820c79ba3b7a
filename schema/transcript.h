/* transcript: the stored transcript text format, written by ingest and read by query.
 *
 * One sentence per line, fields separated by TAB, lines ended by LF:
 *
 *     START_MS <TAB> END_MS <TAB> SPEAKER_ID <TAB> TEXT
 *
 * START_MS and END_MS are milliseconds from the call's start (as Gong sends them).
 * SPEAKER_ID is empty when Gong gave none. In TEXT a backslash is written as \\, a line
 * feed as \n and a carriage return as \r; everything else (tabs included) is verbatim
 * UTF-8, so the line splits on its first three tabs. Reading never allocates unless a
 * sentence carries escapes. */
#ifndef CALLMINE_TRANSCRIPT_H
#define CALLMINE_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct transcript_line {
    int64_t start_ms;
    int64_t end_ms;
    const char *speaker; /* borrowed from the text; not NUL-terminated */
    size_t speaker_len;  /* 0 when unknown */
    const char *text;    /* borrowed, as stored (escaped form); not NUL-terminated */
    size_t text_len;
    int escaped; /* text contains a backslash escape: use transcript_unescape */
};

/* Append one sentence as a line to b. text is raw UTF-8 of text_len bytes; speaker may be
 * NULL. ERR_NOMEM on failure. */
int transcript_append(struct buf *b, int64_t start_ms, int64_t end_ms, const char *speaker,
                      const char *text, size_t text_len, struct err *e);

/* Read the line starting at *pos of the len bytes at s into *ln and advance *pos past it.
 * Returns 1 for a line, 0 at the end, -1 for a malformed line (*pos still advances). */
int transcript_next(const char *s, size_t len, size_t *pos, struct transcript_line *ln);

/* Decode the stored (escaped) text of a line into out (reset first), NUL-terminated. */
int transcript_unescape(const char *text, size_t n, struct buf *out, struct err *e);

#endif
