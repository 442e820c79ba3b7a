/* mcp: `callmine-query mcp [--redact] [--no-sql]`, a read-only Model Context Protocol
 * server on stdin/stdout for AI assistants (Claude Desktop, IDE agents, any MCP host).
 *
 * The loop reads one JSON-RPC message per line (mcp_rpc.h), answers requests in order and
 * ends when stdin closes. Methods: initialize (revisions 2025-06-18 and 2025-11-25; another
 * requested revision gets 2025-11-25, the newest with the handshake), ping, tools/list,
 * tools/call, and the 2026-07-28 revision's server/discover; a request of any method may
 * name its revision in params._meta (io.modelcontextprotocol/protocolVersion), and one this
 * server does not speak gets -32022 with the supported ones. Notifications get no answer.
 * Bad JSON gets -32700 and the loop goes on; an unknown method -32601; a tool's failure is
 * a result with isError and a message saying what to fix (mcp_tools.h). Logs go to stderr
 * only: one line at the start and one per tool call. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mcp_json.h"
#include "mcp_rpc.h"
#include "mcp_tools.h"
#include "text.h"
#include "version.h"

#include "banned.h"

static const char mcp_help[] =
    "Usage: callmine-query [--db FILE] mcp [--redact] [--no-sql]\n"
    "\n"
    "Serve the mirror to an AI assistant over the Model Context Protocol: JSON-RPC on\n"
    "stdin/stdout (one message per line), logs on stderr, until stdin closes. The file is\n"
    "opened read-only; every tool is read-only and bounded (rows, about 256 KB and 5 s a call).\n"
    "Tools: status, describe_schema, list_values, find_calls, get_call, search_transcripts,\n"
    "grep_transcripts, run_analysis, sql_query.\n"
    "\n"
    "  --redact   mask e-mail addresses and phone numbers in every result\n"
    "  --no-sql   leave out sql_query (only the fixed tools)\n"
    "\n"
    "Claude Desktop (claude_desktop_config.json):\n"
    "  {\"mcpServers\": {\"callmine\": {\"command\": \"/usr/local/bin/callmine-query\",\n"
    "    \"args\": [\"--db\", \"/home/you/callmine.db\", \"mcp\", \"--redact\"]}}}\n";

static const char instructions[] =
    "callmine answers questions about a team's recorded sales calls (a local, read-only "
    "mirror of Gong). Start with status to see the period covered. To find what was said, use "
    "search_transcripts (ranked, FTS5 query syntax) or grep_transcripts (regex, exhaustive); "
    "filter by rep, stage, outcome (won/lost/open), amount (min_amount) or dates on any tool. "
    "list_values shows exact stage and rep names; find_calls and get_call read calls; "
    "run_analysis gives talk ratio, questions, mentions and more; sql_query runs read-only SQL "
    "(describe_schema lists the tables; start from call_facts).";

struct server {
    struct mcp_tools *tools;
    struct mcp_json j, result;
    size_t calls;
};

/* Add "resultType": "complete" for a 2026-07-28 request, then close the object. */
static void end_result(struct mcp_json *j, const struct mcp_request *r)
{
    if (r->version && strcmp(r->version, MCP_RPC_STATELESS) == 0) {
        mcp_json_key(j, "resultType");
        mcp_json_cstr(j, "complete", 0);
    }
    mcp_json_obj_end(j);
}

static void server_info(struct mcp_json *j)
{
    mcp_json_key(j, "serverInfo");
    mcp_json_obj(j);
    mcp_json_key(j, "name");
    mcp_json_cstr(j, "callmine", 0);
    mcp_json_key(j, "title");
    mcp_json_cstr(j, "callmine: your Gong calls, offline", 0);
    mcp_json_key(j, "version");
    mcp_json_cstr(j, CALLMINE_VERSION, 0);
    mcp_json_obj_end(j);
    mcp_json_key(j, "instructions");
    mcp_json_cstr(j, instructions, 0);
}

static void capabilities(struct mcp_json *j)
{
    mcp_json_key(j, "capabilities");
    mcp_json_obj(j);
    mcp_json_key(j, "tools");
    mcp_json_obj(j);
    mcp_json_key(j, "listChanged");
    mcp_json_bool(j, 0);
    mcp_json_obj_end(j);
    mcp_json_obj_end(j);
}

static void initialize(struct mcp_json *j, const struct mcp_request *r)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->params, "protocolVersion");
    const char *want = cJSON_IsString(v) ? v->valuestring : NULL;

    mcp_json_obj(j);
    mcp_json_key(j, "protocolVersion");
    mcp_json_cstr(j,
                  want && mcp_rpc_supported(want) && strcmp(want, MCP_RPC_STATELESS) != 0
                      ? want
                      : MCP_RPC_HANDSHAKE_LATEST,
                  0);
    capabilities(j);
    server_info(j);
    end_result(j, r);
}

static void discover(struct mcp_json *j, const struct mcp_request *r)
{
    mcp_json_obj(j);
    mcp_json_key(j, "supportedVersions");
    mcp_json_arr(j);
    for (size_t i = 0; mcp_rpc_versions[i]; i++)
        mcp_json_cstr(j, mcp_rpc_versions[i], 0);
    mcp_json_arr_end(j);
    capabilities(j);
    server_info(j);
    end_result(j, r);
}

/* tools/call: the tool's structured result, or its failure as an isError result. */
static int call_tool(struct server *s, const struct mcp_request *r, struct mcp_json *j,
                     struct err *e)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(r->params, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(r->params, "arguments");
    struct err te = {0};
    int64_t t0 = mcp_now_ms();
    int rc;

    (void)e;
    mcp_json_reset(&s->result);
    if (!cJSON_IsString(name))
        rc = err_set(&te, ERR_USAGE, "tools/call needs params.name, a tool's name");
    else
        rc = mcp_tools_call(s->tools, name->valuestring, cJSON_IsNull(args) ? NULL : args,
                            &s->result, &te);
    mcp_json_obj(j);
    mcp_json_key(j, "content");
    mcp_json_arr(j);
    mcp_json_obj(j);
    mcp_json_key(j, "type");
    mcp_json_cstr(j, "text", 0);
    mcp_json_key(j, "text");
    if (rc)
        mcp_json_cstr(j, te.msg, 0);
    else
        mcp_json_str(j, s->result.b.data ? s->result.b.data : "{}", s->result.b.len, 0);
    mcp_json_obj_end(j);
    mcp_json_arr_end(j);
    if (!rc) {
        mcp_json_key(j, "structuredContent");
        mcp_json_raw(j, s->result.b.data ? s->result.b.data : "{}",
                     s->result.b.data ? s->result.b.len : 2);
    }
    mcp_json_key(j, "isError");
    mcp_json_bool(j, rc != ERR_OK);
    end_result(j, r);
    s->calls++;
    fprintf(stderr, "callmine-query mcp: %s: %s (%lld ms, %zu bytes)%s%s\n",
            cJSON_IsString(name) ? name->valuestring : "?", rc ? "error" : "ok",
            (long long)(mcp_now_ms() - t0), rc ? 0 : s->result.b.len, rc ? ": " : "",
            rc ? te.msg : "");
    return ERR_OK;
}

/* Answer one request (r parsed); notifications get nothing. */
static int answer(struct server *s, const struct mcp_request *r, struct err *e)
{
    struct mcp_json *j = &s->j;
    int rc = ERR_OK;

    if (!r->id) /* notifications/initialized, notifications/cancelled, ...: nothing to say */
        return ERR_OK;
    if (r->version && !mcp_rpc_supported(r->version)) {
        struct buf data;
        struct err de;

        buf_init(&data, 0);
        buf_puts(&data, "{\"supported\":[", &de);
        for (size_t i = 0; mcp_rpc_versions[i]; i++)
            buf_printf(&data, &de, "%s\"%s\"", i ? "," : "", mcp_rpc_versions[i]);
        buf_puts(&data, "],\"requested\":", &de);
        text_json_string(&data, r->version, strlen(r->version), &de);
        buf_putc(&data, '}', &de);
        rc = mcp_rpc_error(stdout, r->id, MCP_UNSUPPORTED_VERSION, "Unsupported protocol version",
                           data.data, e);
        buf_release(&data);
        return rc;
    }
    mcp_json_reset(j);
    if (strcmp(r->method, "initialize") == 0) {
        initialize(j, r);
    } else if (strcmp(r->method, "server/discover") == 0) {
        discover(j, r);
    } else if (strcmp(r->method, "ping") == 0) {
        mcp_json_obj(j);
        end_result(j, r);
    } else if (strcmp(r->method, "tools/list") == 0) {
        mcp_json_obj(j);
        mcp_tools_list(s->tools, j);
        end_result(j, r);
    } else if (strcmp(r->method, "tools/call") == 0) {
        call_tool(s, r, j, e);
    } else {
        char msg[200];

        snprintf(msg, sizeof msg,
                 "Method not found: '%.80s' (this server answers initialize, ping, tools/list, "
                 "tools/call, server/discover)",
                 r->method);
        return mcp_rpc_error(stdout, r->id, MCP_METHOD_NOT_FOUND, msg, NULL, e);
    }
    if ((rc = mcp_json_status(j, e)))
        return mcp_rpc_error(stdout, r->id, MCP_INTERNAL_ERROR, e->msg, NULL, e);
    return mcp_rpc_result(stdout, r->id, j->b.data, j->b.len, e);
}

static int serve(struct server *s, struct err *e)
{
    struct buf line;
    int rc = ERR_OK, got;

    buf_init(&line, MCP_RPC_MAX_LINE + 1);
    while (!rc && (got = mcp_rpc_read(stdin, &line)) != 0) {
        struct mcp_request r;
        char msg[160];
        int code;

        if (got < 0) {
            rc = mcp_rpc_error(stdout, NULL, MCP_PARSE_ERROR,
                               "parse error: the message is over 16 MiB", NULL, e);
            continue;
        }
        if (line.len == 0)
            continue; /* a blank line between messages */
        code = mcp_rpc_parse(line.data, line.len, &r, msg);
        if (code)
            rc = mcp_rpc_error(stdout, r.id, code, msg, NULL, e);
        else
            rc = answer(s, &r, e);
        mcp_rpc_release(&r);
    }
    buf_release(&line);
    return rc;
}

int cmd_mcp(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    enum { OPT_REDACT = 0x3000, OPT_NO_SQL };
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS,
        {"redact", 0, NULL, OPT_REDACT},
        {"no-sql", 0, NULL, OPT_NO_SQL},
        {NULL, 0, NULL, 0},
    };
    struct server s = {0};
    int opt, rc, redact = 0, sql = 1;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (opt == CMD_OPT_HELP) {
            fputs(mcp_help, stdout);
            return ERR_OK;
        }
        if (opt == '?' || opt == ':')
            return cmd_bad_option("mcp", opt, argv, e);
        if (opt == OPT_REDACT)
            redact = 1;
        else if (opt == OPT_NO_SQL)
            sql = 0;
        else if ((rc = cmd_common_option(c, opt, optarg, e)))
            return rc;
    }
    if (optind < argc)
        return err_set(e, ERR_USAGE, "mcp: unexpected argument '%s' (see %s mcp --help)",
                       argv[optind], CMD_PROG);
    /* a host that goes away closes our stdout: end on the write error, not a signal */
    signal(SIGPIPE, SIG_IGN);
    if ((rc = mcp_tools_open(c, redact, sql, &s.tools, e)))
        return rc;
    mcp_json_init(&s.j, (size_t)-1, 0);
    mcp_json_init(&s.result, MCP_RESULT_BYTES, redact);
    fprintf(stderr, "callmine-query mcp: serving %s read-only%s%s (MCP on stdin/stdout)\n",
            c->db_path, redact ? ", e-mails and phone numbers masked" : "",
            sql ? "" : ", without sql_query");
    rc = serve(&s, e);
    fprintf(stderr, "callmine-query mcp: stdin closed after %zu tool call%s\n", s.calls,
            s.calls == 1 ? "" : "s");
    mcp_json_release(&s.j);
    mcp_json_release(&s.result);
    mcp_tools_free(s.tools);
    return rc;
}
