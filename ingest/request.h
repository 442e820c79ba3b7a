/* request: the JSON bodies callmine-ingest POSTs to Gong, built with cJSON so every id,
 * time and cursor is escaped correctly. Only reads are ever requested. */
#ifndef CALLMINE_REQUEST_H
#define CALLMINE_REQUEST_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* POST /v2/calls/extensive for a date window [from_iso, to_iso) (workspace may be NULL),
 * or, when call_ids is non-NULL, for those n ids. Asks for everything the mirror keeps:
 * Extended CRM context at both timings, parties, content, interaction, comments; never
 * media URLs. cursor may be NULL. The body replaces out's contents. */
int request_extensive(const char *from_iso, const char *to_iso, const char *workspace,
                      char *const *call_ids, size_t n, const char *cursor, struct buf *out,
                      struct err *e);

/* POST /v2/calls/transcript for n call ids (cursor may be NULL). */
int request_transcripts(char *const *call_ids, size_t n, const char *cursor, struct buf *out,
                        struct err *e);

/* The query string of GET /v2/users or GET /v2/calls: key=value pairs URL-encoded; a NULL
 * value leaves its key out. pairs is {key, value, key, value, ..., NULL}. */
int request_query(const char *const *pairs, struct buf *out, struct err *e);

#endif
