/* mcp_rpc: JSON-RPC 2.0 over newline-delimited JSON on stdio, as MCP's stdio transport
 * frames it: one message per line, UTF-8, no embedded newlines; nothing but messages on
 * stdout.
 *
 * mcp_rpc_read() takes the next line of input (at most MCP_RPC_MAX_LINE bytes; a longer one
 * is skipped whole and reported). mcp_rpc_parse() checks the envelope: a request has
 * "jsonrpc": "2.0", a string "method", an "id" that is a string or a number (none: a
 * notification) and "params" that is an object when present. The writers put one response
 * on one line and flush it. The protocol revisions the server speaks and the per-request
 * version of the 2026-07-28 revision (params._meta) are checked here too. */
#ifndef CALLMINE_MCP_RPC_H
#define CALLMINE_MCP_RPC_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

#define MCP_RPC_MAX_LINE ((size_t)16 << 20)

enum {
    MCP_PARSE_ERROR = -32700,
    MCP_INVALID_REQUEST = -32600,
    MCP_METHOD_NOT_FOUND = -32601,
    MCP_INVALID_PARAMS = -32602,
    MCP_INTERNAL_ERROR = -32603,
    MCP_UNSUPPORTED_VERSION = -32022
};

/* The revisions this server speaks, newest first, and the one an initialize gets when it
 * asks for another (the newest that has the initialize handshake). */
extern const char *const mcp_rpc_versions[];
#define MCP_RPC_STATELESS "2026-07-28" /* per-request version in _meta, server/discover */
#define MCP_RPC_HANDSHAKE_LATEST "2025-11-25"

/* Read the next line from fp into line (reset first, no newline). Returns 1 for a line, 0 at
 * the end of input, -1 for a line over the limit (skipped). */
int mcp_rpc_read(FILE *fp, struct buf *line);

struct mcp_request {
    cJSON *root;         /* owned */
    const cJSON *id;     /* NULL: a notification */
    const char *method;  /* borrowed from root */
    const cJSON *params; /* an object or NULL */
    const char *version; /* params._meta's protocol version, or NULL */
};

/* Parse line into r. Returns 0, or a JSON-RPC error code (MCP_PARSE_ERROR for text that is
 * not JSON, MCP_INVALID_REQUEST for a wrong envelope) with msg filled; r->id is set when
 * the envelope had a usable one. Release with mcp_rpc_release. */
int mcp_rpc_parse(const char *line, size_t len, struct mcp_request *r, char msg[160]);
void mcp_rpc_release(struct mcp_request *r);

/* 1 when v is one of mcp_rpc_versions. */
int mcp_rpc_supported(const char *v);

/* Write {"jsonrpc":"2.0","id":ID,"result":RESULT} (result: JSON text) on one line. */
int mcp_rpc_result(FILE *fp, const cJSON *id, const char *result, size_t n, struct err *e);

/* Write an error response; data (JSON text) may be NULL. id NULL writes "id": null. */
int mcp_rpc_error(FILE *fp, const cJSON *id, int code, const char *message, const char *data,
                  struct err *e);

#endif
