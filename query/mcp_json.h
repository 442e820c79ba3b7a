/* mcp_json: the JSON writer of the MCP server, with its byte budget and redaction.
 *
 * A writer appends one JSON value to a buffer: objects, arrays, keys and scalars, with the
 * commas placed for the caller. Strings are escaped by text_json_string (invalid UTF-8
 * becomes U+FFFD, control characters \u00XX). With redaction on, every string written as
 * redactable has its e-mail addresses and phone numbers replaced (redact.h); identifiers,
 * links and times are written as not redactable (mcp_json_key_redactable says which keys).
 * A tool marks the writer before each row and rolls back to the mark when the row went
 * past the budget, so a result is always whole JSON under the limit, with `truncated`. */
#ifndef CALLMINE_MCP_JSON_H
#define CALLMINE_MCP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "out.h"

#define MCP_JSON_DEPTH 32

struct mcp_json {
    struct buf b;  /* the JSON text */
    size_t budget; /* bytes a result may take (rows past it are rolled back) */
    int redact;    /* mask e-mail addresses and phone numbers in redactable strings */
    size_t redactions;
    struct buf scratch;
    int depth;
    unsigned char first[MCP_JSON_DEPTH]; /* no member written yet at this depth */
    int rc;                              /* the first failure (ERR_NOMEM); calls then do nothing */
};

struct mcp_json_mark {
    size_t len;
    int depth;
    unsigned char first;
};

void mcp_json_init(struct mcp_json *j, size_t budget, int redact);
void mcp_json_release(struct mcp_json *j);
void mcp_json_reset(struct mcp_json *j); /* empty again, same settings */

/* Containers and keys; a key is trusted ASCII (the server's own names). */
void mcp_json_obj(struct mcp_json *j);
void mcp_json_obj_end(struct mcp_json *j);
void mcp_json_arr(struct mcp_json *j);
void mcp_json_arr_end(struct mcp_json *j);
void mcp_json_key(struct mcp_json *j, const char *key);

/* Scalars. s may be NULL (null is written). */
void mcp_json_str(struct mcp_json *j, const char *s, size_t n, int redactable);
void mcp_json_cstr(struct mcp_json *j, const char *s, int redactable);
void mcp_json_int(struct mcp_json *j, int64_t v);
void mcp_json_double(struct mcp_json *j, double v);
void mcp_json_bool(struct mcp_json *j, int v);
void mcp_json_null(struct mcp_json *j);
/* Raw JSON text that is already one valid value. */
void mcp_json_raw(struct mcp_json *j, const char *s, size_t n);

/* A cell of out.h (SQLite's types) as a value; text redactable when redactable. */
void mcp_json_cell(struct mcp_json *j, const struct out_cell *c, int redactable);

/* A parsed value (from the server's own JSON output, re-emitted with redaction): strings
 * under keys that mcp_json_key_redactable refuses are left as they are. */
void mcp_json_cjson(struct mcp_json *j, const cJSON *v, const char *key);

/* 0 for keys whose values are identifiers, links or times (id, *_id, url, started, ...). */
int mcp_json_key_redactable(const char *key);

/* Mark the writer's state, and go back to a mark (what was written after it is dropped). */
struct mcp_json_mark mcp_json_mark(const struct mcp_json *j);
void mcp_json_rollback(struct mcp_json *j, struct mcp_json_mark m);

/* 1 when the text is past the budget. */
int mcp_json_over(const struct mcp_json *j);

/* ERR_OK, or ERR_NOMEM (with e filled) when a write failed. */
int mcp_json_status(const struct mcp_json *j, struct err *e);

#endif
