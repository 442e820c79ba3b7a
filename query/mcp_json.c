/* mcp_json: the MCP server's JSON writer (see mcp_json.h). */
#include "mcp_json.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "redact.h"

#include "banned.h"

void mcp_json_init(struct mcp_json *j, size_t budget, int redact)
{
    memset(j, 0, sizeof *j);
    buf_init(&j->b, 0);
    buf_init(&j->scratch, 0);
    j->budget = budget;
    j->redact = redact;
    j->first[0] = 1;
}

void mcp_json_release(struct mcp_json *j)
{
    buf_release(&j->b);
    buf_release(&j->scratch);
}

void mcp_json_reset(struct mcp_json *j)
{
    buf_reset(&j->b);
    j->depth = 0;
    j->first[0] = 1;
    j->rc = ERR_OK;
    j->redactions = 0;
}

static void put(struct mcp_json *j, const char *s, size_t n)
{
    struct err e;

    if (!j->rc && buf_append(&j->b, s, n, &e))
        j->rc = ERR_NOMEM;
}

/* The comma before a value or key, unless it follows a key. */
static void sep(struct mcp_json *j)
{
    if (j->b.len && j->b.data[j->b.len - 1] == ':')
        return;
    if (!j->first[j->depth])
        put(j, ",", 1);
    j->first[j->depth] = 0;
}

static void open_(struct mcp_json *j, char c)
{
    sep(j);
    put(j, &c, 1);
    if (j->depth + 1 >= MCP_JSON_DEPTH) {
        j->rc = ERR_NOMEM;
        return;
    }
    j->first[++j->depth] = 1;
}

static void close_(struct mcp_json *j, char c)
{
    if (j->depth > 0)
        j->depth--;
    put(j, &c, 1);
}

void mcp_json_obj(struct mcp_json *j)
{
    open_(j, '{');
}

void mcp_json_obj_end(struct mcp_json *j)
{
    close_(j, '}');
}

void mcp_json_arr(struct mcp_json *j)
{
    open_(j, '[');
}

void mcp_json_arr_end(struct mcp_json *j)
{
    close_(j, ']');
}

void mcp_json_key(struct mcp_json *j, const char *key)
{
    struct err e;

    sep(j);
    if (!j->rc && text_json_string(&j->b, key, strlen(key), &e))
        j->rc = ERR_NOMEM;
    put(j, ":", 1);
}

void mcp_json_str(struct mcp_json *j, const char *s, size_t n, int redactable)
{
    struct err e;
    size_t k = 0;

    if (!s) {
        mcp_json_null(j);
        return;
    }
    sep(j);
    if (j->rc)
        return;
    if (j->redact && redactable) {
        if (redact_text(s, n, &j->scratch, &k, &e)) {
            j->rc = ERR_NOMEM;
            return;
        }
        j->redactions += k;
        s = j->scratch.data ? j->scratch.data : "";
        n = j->scratch.len;
    }
    if (text_json_string(&j->b, s, n, &e))
        j->rc = ERR_NOMEM;
}

void mcp_json_cstr(struct mcp_json *j, const char *s, int redactable)
{
    mcp_json_str(j, s, s ? strlen(s) : 0, redactable);
}

void mcp_json_int(struct mcp_json *j, int64_t v)
{
    char num[32];

    sep(j);
    snprintf(num, sizeof num, "%lld", (long long)v);
    put(j, num, strlen(num));
}

void mcp_json_double(struct mcp_json *j, double v)
{
    char num[32];

    if (!isfinite(v)) { /* JSON has no infinities */
        mcp_json_null(j);
        return;
    }
    sep(j);
    out_format_double(v, num);
    put(j, num, strlen(num));
}

void mcp_json_bool(struct mcp_json *j, int v)
{
    sep(j);
    put(j, v ? "true" : "false", v ? 4 : 5);
}

void mcp_json_null(struct mcp_json *j)
{
    sep(j);
    put(j, "null", 4);
}

void mcp_json_raw(struct mcp_json *j, const char *s, size_t n)
{
    sep(j);
    put(j, s, n);
}

void mcp_json_cell(struct mcp_json *j, const struct out_cell *c, int redactable)
{
    struct err e;

    switch (c->type) {
    case SQLITE_INTEGER: mcp_json_int(j, c->i); return;
    case SQLITE_FLOAT: mcp_json_double(j, c->d); return;
    case SQLITE_TEXT: mcp_json_str(j, c->s ? c->s : "", c->s ? c->n : 0, redactable); return;
    case SQLITE_BLOB:
        sep(j);
        if (!j->rc && out_json_cell(&j->b, c, &e))
            j->rc = ERR_NOMEM;
        return;
    default: mcp_json_null(j);
    }
}

int mcp_json_key_redactable(const char *key)
{
    static const char *const keep[] = {"id",    "url",    "started",    "timing",
                                       "stage", "cursor", "next_cursor"};
    size_t n;

    if (!key)
        return 1;
    n = strlen(key);
    if (n >= 3 && strcmp(key + n - 3, "_id") == 0)
        return 0;
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        if (strcmp(key, keep[i]) == 0)
            return 0;
    return 1;
}

void mcp_json_cjson(struct mcp_json *j, const cJSON *v, const char *key)
{
    const cJSON *c;

    if (cJSON_IsObject(v)) {
        mcp_json_obj(j);
        cJSON_ArrayForEach(c, v)
        {
            mcp_json_key(j, c->string ? c->string : "");
            mcp_json_cjson(j, c, c->string);
        }
        mcp_json_obj_end(j);
    } else if (cJSON_IsArray(v)) {
        mcp_json_arr(j);
        cJSON_ArrayForEach(c, v)
        {
            mcp_json_cjson(j, c, key);
        }
        mcp_json_arr_end(j);
    } else if (cJSON_IsString(v)) {
        mcp_json_cstr(j, v->valuestring, mcp_json_key_redactable(key));
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;

        if (d == floor(d) && fabs(d) < 9007199254740992.0)
            mcp_json_int(j, (int64_t)d);
        else
            mcp_json_double(j, d);
    } else if (cJSON_IsBool(v)) {
        mcp_json_bool(j, cJSON_IsTrue(v));
    } else {
        mcp_json_null(j);
    }
}

struct mcp_json_mark mcp_json_mark(const struct mcp_json *j)
{
    struct mcp_json_mark m = {j->b.len, j->depth, j->first[j->depth]};

    return m;
}

void mcp_json_rollback(struct mcp_json *j, struct mcp_json_mark m)
{
    if (j->rc || m.len > j->b.len)
        return;
    j->b.len = m.len;
    if (j->b.data)
        j->b.data[m.len] = '\0';
    j->depth = m.depth;
    j->first[m.depth] = m.first;
}

int mcp_json_over(const struct mcp_json *j)
{
    return j->b.len > j->budget;
}

int mcp_json_status(const struct mcp_json *j, struct err *e)
{
    return j->rc ? err_set(e, ERR_NOMEM, "out of memory building the result") : ERR_OK;
}
