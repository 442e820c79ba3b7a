/* mcp_rpc: JSON-RPC framing on stdio for the MCP server (see mcp_rpc.h). */
#include "mcp_rpc.h"
#include "text.h"

#include <math.h>
#include <string.h>

#include "out.h"

#include "banned.h"

const char *const mcp_rpc_versions[] = {MCP_RPC_STATELESS, "2025-11-25", "2025-06-18", NULL};

int mcp_rpc_supported(const char *v)
{
    for (size_t i = 0; v && mcp_rpc_versions[i]; i++)
        if (strcmp(v, mcp_rpc_versions[i]) == 0)
            return 1;
    return 0;
}

int mcp_rpc_read(FILE *fp, struct buf *line)
{
    struct err e;
    int c, over = 0;

    buf_reset(line);
    while ((c = getc(fp)) != EOF && c != '\n') {
        if (over)
            continue;
        if (line->len >= MCP_RPC_MAX_LINE || buf_putc(line, (char)c, &e)) {
            over = 1;
            buf_reset(line);
        }
    }
    if (over)
        return -1;
    if (c == EOF && line->len == 0)
        return 0;
    if (line->len && line->data[line->len - 1] == '\r') /* a CRLF host */
        line->data[--line->len] = '\0';
    if (!line->data && buf_puts(line, "", &e))
        return -1;
    return 1;
}

int mcp_rpc_parse(const char *line, size_t len, struct mcp_request *r, char msg[160])
{
    const cJSON *v, *meta;

    memset(r, 0, sizeof *r);
    msg[0] = '\0';
    if (!(r->root = cJSON_ParseWithLength(line, len))) {
        snprintf(msg, 160, "parse error: the line is not JSON");
        return MCP_PARSE_ERROR;
    }
    if (!cJSON_IsObject(r->root)) {
        snprintf(msg, 160, "invalid request: expected one JSON-RPC object per line (no batches)");
        return MCP_INVALID_REQUEST;
    }
    v = cJSON_GetObjectItemCaseSensitive(r->root, "id");
    if (v && (cJSON_IsString(v) || cJSON_IsNumber(v)))
        r->id = v;
    else if (v && !cJSON_IsNull(v)) {
        snprintf(msg, 160, "invalid request: id must be a string or a number");
        return MCP_INVALID_REQUEST;
    }
    v = cJSON_GetObjectItemCaseSensitive(r->root, "jsonrpc");
    if (!cJSON_IsString(v) || strcmp(v->valuestring, "2.0") != 0) {
        snprintf(msg, 160, "invalid request: \"jsonrpc\" must be \"2.0\"");
        return MCP_INVALID_REQUEST;
    }
    v = cJSON_GetObjectItemCaseSensitive(r->root, "method");
    if (!cJSON_IsString(v)) {
        snprintf(msg, 160, "invalid request: \"method\" must be a string");
        return MCP_INVALID_REQUEST;
    }
    r->method = v->valuestring;
    v = cJSON_GetObjectItemCaseSensitive(r->root, "params");
    if (v && !cJSON_IsNull(v) && !cJSON_IsObject(v)) {
        snprintf(msg, 160, "invalid params: \"params\" must be an object");
        return MCP_INVALID_PARAMS;
    }
    r->params = cJSON_IsObject(v) ? v : NULL;
    meta = cJSON_GetObjectItemCaseSensitive(r->params, "_meta");
    v = cJSON_GetObjectItemCaseSensitive(meta, "io.modelcontextprotocol/protocolVersion");
    if (v) {
        if (!cJSON_IsString(v)) {
            snprintf(msg, 160, "invalid params: the protocol version in _meta must be a string");
            return MCP_INVALID_PARAMS;
        }
        r->version = v->valuestring;
    }
    return 0;
}

void mcp_rpc_release(struct mcp_request *r)
{
    cJSON_Delete(r->root);
    memset(r, 0, sizeof *r);
}

/* Append the id (or null) to b. */
static int put_id(struct buf *b, const cJSON *id, struct err *e)
{
    char num[64];

    if (cJSON_IsString(id))
        return text_json_string(b, id->valuestring, strlen(id->valuestring), e);
    if (cJSON_IsNumber(id)) {
        double d = id->valuedouble;

        if (d == floor(d) && fabs(d) < 9007199254740992.0)
            snprintf(num, sizeof num, "%lld", (long long)d);
        else
            snprintf(num, sizeof num, "%.17g", d);
        return buf_puts(b, num, e);
    }
    return buf_puts(b, "null", e);
}

static int rpc_send(FILE *fp, struct buf *b, struct err *e)
{
    int rc = buf_putc(b, '\n', e);

    if (!rc && (fwrite(b->data, 1, b->len, fp) != b->len || fflush(fp) != 0))
        rc = err_set(e, ERR_IO, "mcp: write to stdout: the host closed it");
    buf_release(b);
    return rc;
}

int mcp_rpc_result(FILE *fp, const cJSON *id, const char *result, size_t n, struct err *e)
{
    struct buf b;
    int rc;

    buf_init(&b, 0);
    if ((rc = buf_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":", e)) || (rc = put_id(&b, id, e)) ||
        (rc = buf_puts(&b, ",\"result\":", e)) || (rc = buf_append(&b, result, n, e)) ||
        (rc = buf_putc(&b, '}', e))) {
        buf_release(&b);
        return rc;
    }
    return rpc_send(fp, &b, e);
}

int mcp_rpc_error(FILE *fp, const cJSON *id, int code, const char *message, const char *data,
                  struct err *e)
{
    struct buf b;
    int rc;

    buf_init(&b, 0);
    if ((rc = buf_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":", e)) || (rc = put_id(&b, id, e)) ||
        (rc = buf_printf(&b, e, ",\"error\":{\"code\":%d,\"message\":", code)) ||
        (rc = text_json_string(&b, message, strlen(message), e)) ||
        (data && ((rc = buf_puts(&b, ",\"data\":", e)) || (rc = buf_puts(&b, data, e)))) ||
        (rc = buf_puts(&b, "}}", e))) {
        buf_release(&b);
        return rc;
    }
    return rpc_send(fp, &b, e);
}
