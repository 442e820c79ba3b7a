/* mcp_tools: the MCP server's tools, each a thin layer over code the commands use.
 *
 *   status, describe_schema, list_values, find_calls, sql_query   SQL on the connection
 *   get_call            cmd_show_json (show --format json), the transcript in pages
 *   search_transcripts  search.h          grep_transcripts  grep_execute (grep --format jsonl)
 *   run_analysis        analysis.h and scope.h, as `analyze` runs them
 *
 * Arguments arrive as a parsed JSON object; the FILTERS are named fields turned into the
 * command-line options of filter.h. Every call is bounded: rows (each tool's limit), bytes
 * (MCP_RESULT_BYTES of structured result; the rows past it are dropped and `truncated`
 * says so) and time (MCP_CALL_MS: a progress handler interrupts SQLite, grep stops between
 * batches, PCRE2 has its own limits). The connection is opened read-only with the defences
 * of every command (db_open_ro); sql_query adds an authorizer that allows reads only.
 * A tool failure is a message for the caller to act on (an MCP isError result), never a
 * protocol error. Files: mcp_tools.c (dispatch, arguments, calls and values), mcp_sql.c
 * (sql_query, describe_schema), mcp_text.c (get_call, search, grep, analyses). */
#ifndef CALLMINE_MCP_TOOLS_H
#define CALLMINE_MCP_TOOLS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "analysis.h"
#include "cmd.h"
#include "err.h"
#include "filter.h"
#include "mcp_json.h"

#define MCP_RESULT_BYTES ((size_t)256 << 10) /* structured result of one call, about */
#define MCP_CALL_MS 5000                     /* time of one call, about */

struct mcp_tools {
    struct cmd_ctx c; /* the database path, for code that opens its own connections */
    sqlite3 *db;
    int redact, sql;
    struct analysis_set analyses;
    const char **analysis_names;
    int64_t deadline_ms; /* the progress handler interrupts SQLite past it */
    int stages_loaded;
};

/* Open the mirror at c->db_path read-only and load the analyses. *out is NULL on failure
 * (the message says why: no such file, not a mirror, ...). */
int mcp_tools_open(const struct cmd_ctx *c, int redact, int sql, struct mcp_tools **out,
                   struct err *e);
void mcp_tools_free(struct mcp_tools *t); /* NULL ok */

/* Write the tools/list result's member "tools": [...] into the object j has open. */
void mcp_tools_list(struct mcp_tools *t, struct mcp_json *j);

/* Run tool name with args (a JSON object, or NULL for none) and write its structured
 * result (one JSON object) to j. On failure j is to be ignored and e says what to fix. */
int mcp_tools_call(struct mcp_tools *t, const char *name, const cJSON *args, struct mcp_json *j,
                   struct err *e);

/* ---- shared by mcp_tools.c, mcp_sql.c and mcp_text.c -------------------------------- */

/* Monotonic milliseconds. */
int64_t mcp_now_ms(void);

/* Check that args holds only the keys in allowed[] (NULL-terminated) and, when filters,
 * the FILTERS; ERR_USAGE naming the unknown key and what is accepted. */
int mcp_args_check(const cJSON *args, const char *const *allowed, int filters, struct err *e);

/* Apply the FILTERS in args to f (initialised by the caller) and check them against db. */
int mcp_args_filters(struct mcp_tools *t, const cJSON *args, struct filter *f, struct err *e);

/* A string argument: *out NULL when absent; ERR_USAGE when required and absent or not a
 * (non-empty) string. */
int mcp_arg_string(const cJSON *args, const char *key, int required, const char **out,
                   struct err *e);

/* A whole-number argument in [1, max], dflt when absent. */
int mcp_arg_limit(const cJSON *args, const char *key, size_t dflt, size_t max, size_t *out,
                  struct err *e);

/* A boolean argument, dflt when absent. */
int mcp_arg_bool(const cJSON *args, const char *key, int dflt, int *out, struct err *e);

/* A cursor: a decimal offset produced by this server; 0 when absent. */
int mcp_arg_cursor(const cJSON *args, size_t *out, struct err *e);

/* The error for a failed SQLite step or prepare on t->db: says so when the time bound
 * interrupted it. */
int mcp_db_error(struct mcp_tools *t, const char *what, struct err *e);

/* 1 when the last error on t->db was the time bound's interrupt. */
int mcp_interrupted(struct mcp_tools *t);

int mcp_tool_sql(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e);
int mcp_tool_describe(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e);
int mcp_tool_get_call(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e);
int mcp_tool_search(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e);
int mcp_tool_grep(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e);
int mcp_tool_analysis(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e);

#endif
