/* request: the JSON bodies callmine-ingest POSTs to Gong, built with cJSON so every id,
 * time and cursor is escaped correctly. Only reads are ever requested. */
#ifndef CALLMINE_REQUEST_H
#define CALLMINE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* What one POST /v2/calls/extensive asks for: a date window [from_ms, to_ms), or, when
 * call_ids is non-NULL, those n_ids calls. workspace and cursor may be NULL. */
struct request_extensive {
    int64_t from_ms, to_ms; /* ms since the epoch, UTC; read only when call_ids is NULL */
    const char *workspace;
    char *const *call_ids;
    size_t n_ids;
    const char *cursor;
};

/* The body of POST /v2/calls/extensive for q. Asks for everything the mirror keeps:
 * Extended CRM context at both timings, parties, content, interaction, comments; never
 * media URLs. The body replaces out's contents. */
int request_extensive(const struct request_extensive *q, struct buf *out, struct err *e);

/* POST /v2/calls/transcript for n call ids (cursor may be NULL). */
int request_transcripts(char *const *call_ids, size_t n, const char *cursor, struct buf *out,
                        struct err *e);

/* The query string of GET /v2/users or GET /v2/calls: key=value pairs URL-encoded; a NULL
 * value leaves its key out. pairs is {key, value, key, value, ..., NULL}. */
int request_query(const char *const *pairs, struct buf *out, struct err *e);

#endif
