/* mcp_schema: what the MCP server's tools/list says: each tool's name, title, description,
 * inputSchema, outputSchema (JSON Schema, draft-07 keywords) and annotations (readOnlyHint
 * and the others of a local, read-only tool). The schemas are the contract of mcp_tools.c:
 * the SDK client test validates every tool result against its outputSchema. */
#ifndef CALLMINE_MCP_SCHEMA_H
#define CALLMINE_MCP_SCHEMA_H

#include <stddef.h>

#include "mcp_json.h"

/* The FILTERS as tool arguments: JSON name and the command-line option it stands for. */
struct mcp_filter_arg {
    const char *name;   /* from, to, rep, ..., deal_timing */
    const char *option; /* from, to, rep, ..., deal-timing */
};

extern const struct mcp_filter_arg mcp_filter_args[];
extern const size_t mcp_n_filter_args;

/* Write the member "tools": [...] into the object j has open. sql: include sql_query. analyses: the
 * names run_analysis takes (n of them; may be 0). */
void mcp_schema_tools(struct mcp_json *j, int sql, const char *const *analyses, size_t n);

/* 1 when name is one of the tools (sql_query only when sql). */
int mcp_schema_has_tool(const char *name, int sql);

#endif
