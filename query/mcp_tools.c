/* mcp_tools: dispatch, arguments, and the tools over calls (see mcp_tools.h): status,
 * list_values, find_calls. */
#include "mcp_tools.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcp_schema.h"
#include "search.h"

#include "banned.h"

int64_t mcp_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_progress(void *p)
{
    const struct mcp_tools *t = p;

    return mcp_now_ms() >= t->deadline_ms;
}

int mcp_interrupted(struct mcp_tools *t)
{
    return sqlite3_errcode(t->db) == SQLITE_INTERRUPT || mcp_now_ms() >= t->deadline_ms;
}

int mcp_db_error(struct mcp_tools *t, const char *what, struct err *e)
{
    if (mcp_interrupted(t))
        return err_set(e, ERR_USAGE,
                       "%s: stopped after %d s (the time bound of one call): narrow the "
                       "filters (from, to, rep, stage) or ask for less",
                       what, MCP_CALL_MS / 1000);
    return err_set(e, ERR_DB, "%s: %s", what, sqlite3_errmsg(t->db));
}

/* ---- arguments ------------------------------------------------------------------------ */

static int is_filter(const char *key)
{
    for (size_t i = 0; i < mcp_n_filter_args; i++)
        if (strcmp(key, mcp_filter_args[i].name) == 0)
            return 1;
    return 0;
}

int mcp_args_check(const cJSON *args, const char *const *allowed, int filters, struct err *e)
{
    const cJSON *a;
    char list[200] = "";
    size_t n = 0;

    if (args && !cJSON_IsObject(args))
        return err_set(e, ERR_USAGE, "arguments must be a JSON object");
    cJSON_ArrayForEach(a, args)
    {
        int ok = filters && is_filter(a->string);

        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(a->string, allowed[i]) == 0;
        if (ok)
            continue;
        for (size_t i = 0; allowed[i]; i++)
            n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s%s",
                                  i ? ", " : "", allowed[i]);
        return err_set(e, ERR_USAGE, "unknown argument '%.40s': this tool takes %s%s%s", a->string,
                       n ? list : "no arguments", filters ? (n ? " and " : "") : "",
                       filters ? "the filters (from, to, rep, stage, outcome, ...)" : "");
    }
    return ERR_OK;
}

int mcp_args_filters(struct mcp_tools *t, const cJSON *args, struct filter *f, struct err *e)
{
    static const struct option opts[] = {FILTER_LONG_OPTIONS, {NULL, 0, NULL, 0}};
    int rc;

    for (size_t i = 0; i < mcp_n_filter_args; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, mcp_filter_args[i].name);
        const struct option *o = opts;
        char num[64];
        const char *s;

        if (!v || cJSON_IsNull(v))
            continue;
        while (o->name && strcmp(o->name, mcp_filter_args[i].option) != 0)
            o++;
        if (!o->name)
            return err_set(e, ERR_USAGE, "filter '%s' is not available in this callmine",
                           mcp_filter_args[i].name);
        if (cJSON_IsString(v)) {
            s = v->valuestring;
        } else if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
            snprintf(num, sizeof num, "%.17g", v->valuedouble);
            s = num;
        } else {
            return err_set(e, ERR_USAGE, "argument '%s': give a string", mcp_filter_args[i].name);
        }
        if ((rc = filter_option(f, o->val, s, e)))
            return err_wrap(e, "argument '%s'", mcp_filter_args[i].name);
    }
    return filter_validate(f, t->db, e);
}

int mcp_arg_string(const cJSON *args, const char *key, int required, const char **out,
                   struct err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);

    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return required ? err_set(e, ERR_USAGE, "argument '%s' is required", key) : ERR_OK;
    if (!cJSON_IsString(v) || (required && !*v->valuestring))
        return err_set(e, ERR_USAGE, "argument '%s': give a non-empty string", key);
    *out = v->valuestring;
    return ERR_OK;
}

int mcp_arg_limit(const cJSON *args, const char *key, size_t dflt, size_t max, size_t *out,
                  struct err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);

    *out = dflt;
    if (!v || cJSON_IsNull(v))
        return ERR_OK;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
        v->valuedouble > (double)max)
        return err_set(e, ERR_USAGE, "argument '%s': give a whole number from 1 to %zu", key, max);
    *out = (size_t)v->valuedouble;
    return ERR_OK;
}

int mcp_arg_bool(const cJSON *args, const char *key, int dflt, int *out, struct err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);

    *out = dflt;
    if (!v || cJSON_IsNull(v))
        return ERR_OK;
    if (!cJSON_IsBool(v))
        return err_set(e, ERR_USAGE, "argument '%s': give true or false", key);
    *out = cJSON_IsTrue(v);
    return ERR_OK;
}

int mcp_arg_cursor(const cJSON *args, size_t *out, struct err *e)
{
    const char *s;
    char *end = NULL;
    int rc;

    *out = 0;
    if ((rc = mcp_arg_string(args, "cursor", 0, &s, e)) || !s)
        return rc;
    *out = (size_t)strtoull(s, &end, 10);
    if (!*s || *s == '-' || *end || *out > ((size_t)1 << 40))
        return err_set(e, ERR_USAGE,
                       "argument 'cursor': pass back the next_cursor of the previous page");
    return ERR_OK;
}

/* ---- status --------------------------------------------------------------------------- */

static int tool_status(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e)
{
    static const char *const none[] = {NULL};
    static const char sql[] =
        "SELECT (SELECT count(*) FROM calls), (SELECT min(started) FROM calls), "
        "(SELECT max(started) FROM calls), (SELECT count(*) FROM transcripts), "
        "(SELECT count(*) FROM users), "
        "(SELECT max(finished) FROM runs WHERE outcome = 'done'), "
        "(SELECT outcome FROM runs ORDER BY id DESC LIMIT 1)";
    static const char *const names[] = {"calls", "first_call", "last_call", "transcripts", "users"};
    sqlite3_stmt *st = NULL;
    struct out_cell c;
    struct err ignored = {0};
    int rc;

    if ((rc = mcp_args_check(args, none, 0, e)))
        return rc;
    if (sqlite3_prepare_v2(t->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = mcp_db_error(t, "status", e);
        sqlite3_finalize(st);
        return rc;
    }
    mcp_json_obj(j);
    for (int i = 0; i < 5; i++) {
        mcp_json_key(j, names[i]);
        out_cell_from_stmt(st, i, &c);
        mcp_json_cell(j, &c, 0);
    }
    mcp_json_key(j, "search_index");
    mcp_json_bool(j, search_check_index(t->db, &ignored) == ERR_OK);
    mcp_json_key(j, "last_sync");
    out_cell_from_stmt(st, 5, &c);
    mcp_json_cell(j, &c, 0);
    mcp_json_key(j, "last_sync_outcome");
    out_cell_from_stmt(st, 6, &c);
    mcp_json_cell(j, &c, 0);
    mcp_json_obj_end(j);
    sqlite3_finalize(st);
    return ERR_OK;
}

/* ---- list_values ---------------------------------------------------------------------- */

/* The SELECT for a field (value, calls) around the filter's condition over `calls`: *head
 * comes before the condition, *tail after it. 0 for an unknown field. */
static int values_sql(const char *field, int at_call, const char **head, const char **tail)
{
#define FACTS " FROM calls JOIN call_facts f ON f.call_id = calls.id WHERE ("
#define GROUP ") GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT :lim"
    static const struct {
        const char *field, *head;
    } t[] = {
        {"rep", "SELECT f.rep_name, count(*)" FACTS},
        {"stage", "SELECT f.stage, count(*)" FACTS},
        {"stage_at_call", "SELECT f.stage_at_call, count(*)" FACTS},
        {"owner", "SELECT coalesce(f.owner_name, f.owner), count(*)" FACTS},
        {"company", "SELECT f.company_name, count(*)" FACTS},
        {"tracker", "SELECT x.name, count(DISTINCT x.call_id) FROM calls JOIN trackers x ON "
                    "x.call_id = calls.id WHERE x.count > 0 AND ("},
        {"topic", "SELECT x.name, count(DISTINCT x.call_id) FROM calls JOIN topics x ON "
                  "x.call_id = calls.id WHERE x.duration > 0 AND ("},
    };

    if (strcmp(field, "stage_at_call") == 0)
        return 0;
    if (at_call && strcmp(field, "stage") == 0)
        field = "stage_at_call";
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcmp(t[i].field, field) == 0) {
            *head = t[i].head;
            *tail = GROUP;
            return 1;
        }
    return 0;
#undef FACTS
#undef GROUP
}

static int tool_values(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e)
{
    static const char *const allowed[] = {"field", "limit", NULL};
    struct filter f;
    struct buf cond, q;
    sqlite3_stmt *st = NULL;
    const char *field, *head = NULL, *tail = NULL;
    size_t limit, n = 0;
    int rc, step, truncated = 0;

    filter_init(&f);
    buf_init(&cond, 0);
    buf_init(&q, 0);
    if ((rc = mcp_args_check(args, allowed, 1, e)) ||
        (rc = mcp_arg_string(args, "field", 1, &field, e)) ||
        (rc = mcp_arg_limit(args, "limit", 50, 500, &limit, e)) ||
        (rc = mcp_args_filters(t, args, &f, e)))
        goto done;
    if (!values_sql(field, f.timing == FILTER_TIMING_CALL, &head, &tail)) {
        rc = err_set(e, ERR_USAGE,
                     "argument 'field': '%.40s' is not one of rep, stage, owner, company, "
                     "tracker, topic",
                     field);
        goto done;
    }
    if ((rc = buf_puts(&q, head, e)) || (rc = filter_sql(&f, &cond, e)) ||
        (rc = buf_puts(&q, cond.data, e)) || (rc = buf_puts(&q, tail, e)))
        goto done;
    if (sqlite3_prepare_v2(t->db, q.data, -1, &st, NULL) != SQLITE_OK) {
        rc = mcp_db_error(t, "list_values", e);
        goto done;
    }
    if ((rc = filter_bind(&f, st, e)))
        goto done;
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":lim"), (sqlite3_int64)limit + 1);
    mcp_json_obj(j);
    mcp_json_key(j, "field");
    mcp_json_cstr(j, field, 0);
    mcp_json_key(j, "values");
    mcp_json_arr(j);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mcp_json_mark m = mcp_json_mark(j);
        struct out_cell c;

        if (n == limit) {
            truncated = 1;
            break;
        }
        mcp_json_obj(j);
        mcp_json_key(j, "value");
        out_cell_from_stmt(st, 0, &c);
        if (c.type != SQLITE_NULL && c.type != SQLITE_TEXT)
            c.type = SQLITE_NULL; /* a hostile file's non-text value */
        mcp_json_cell(j, &c, 1);
        mcp_json_key(j, "calls");
        mcp_json_int(j, sqlite3_column_int64(st, 1));
        mcp_json_obj_end(j);
        if (mcp_json_over(j)) {
            mcp_json_rollback(j, m);
            truncated = 1;
            break;
        }
        n++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = mcp_db_error(t, "list_values", e);
        goto done;
    }
    mcp_json_arr_end(j);
    mcp_json_key(j, "truncated");
    mcp_json_bool(j, truncated);
    mcp_json_obj_end(j);
done:
    sqlite3_finalize(st);
    filter_release(&f);
    buf_release(&cond);
    buf_release(&q);
    return rc;
}

/* ---- find_calls ----------------------------------------------------------------------- */

static int count_calls(struct mcp_tools *t, const struct filter *f, const char *cond,
                       int64_t *total, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc;

    buf_init(&q, 0);
    if ((rc = buf_printf(&q, e, "SELECT count(*) FROM calls WHERE %s", cond)))
        goto done;
    if (sqlite3_prepare_v2(t->db, q.data, -1, &st, NULL) != SQLITE_OK ||
        ((rc = filter_bind(f, st, e)) == ERR_OK && sqlite3_step(st) != SQLITE_ROW)) {
        rc = rc ? rc : mcp_db_error(t, "find_calls", e);
        goto done;
    }
    *total = sqlite3_column_int64(st, 0);
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

static int tool_find(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    static const char *const cols[] = {"call_id", "title",   "started",      "rep_name", "stage",
                                       "amount",  "outcome", "company_name", "url"};
    struct filter f;
    struct buf cond, q;
    sqlite3_stmt *st = NULL;
    size_t limit, offset, n = 0;
    int64_t total = 0;
    int rc, step, truncated = 0;

    filter_init(&f);
    buf_init(&cond, 0);
    buf_init(&q, 0);
    if ((rc = mcp_args_check(args, allowed, 1, e)) ||
        (rc = mcp_arg_limit(args, "limit", 25, 200, &limit, e)) ||
        (rc = mcp_arg_cursor(args, &offset, e)) || (rc = mcp_args_filters(t, args, &f, e)) ||
        (rc = filter_sql(&f, &cond, e)))
        goto done;
    /* the count and the page from one snapshot, while an ingest may commit */
    if ((rc = db_exec(t->db, "BEGIN", e)) || (rc = count_calls(t, &f, cond.data, &total, e)))
        goto done;
    if ((rc = buf_printf(&q, e,
                         "SELECT f.call_id, f.title, f.started, f.rep_name, %s, %s, f.outcome, "
                         "f.company_name, f.url FROM calls JOIN call_facts f ON f.call_id = "
                         "calls.id WHERE %s ORDER BY calls.started DESC, calls.id "
                         "LIMIT :lim OFFSET :off",
                         f.timing == FILTER_TIMING_CALL ? "f.stage_at_call" : "f.stage",
                         f.timing == FILTER_TIMING_CALL ? "f.amount_at_call" : "f.amount",
                         cond.data)))
        goto done;
    if (sqlite3_prepare_v2(t->db, q.data, -1, &st, NULL) != SQLITE_OK) {
        rc = mcp_db_error(t, "find_calls", e);
        goto done;
    }
    if ((rc = filter_bind(&f, st, e)))
        goto done;
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":lim"), (sqlite3_int64)limit);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":off"), (sqlite3_int64)offset);
    mcp_json_obj(j);
    mcp_json_key(j, "calls");
    mcp_json_arr(j);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mcp_json_mark m = mcp_json_mark(j);
        struct out_cell c;

        mcp_json_obj(j);
        for (int i = 0; i < 9; i++) {
            mcp_json_key(j, cols[i]);
            out_cell_from_stmt(st, i, &c);
            if (i == 5 && c.type != SQLITE_NULL && c.type != SQLITE_INTEGER &&
                c.type != SQLITE_FLOAT)
                c.type = SQLITE_NULL; /* amount: a number or nothing */
            else if (i != 5 && c.type != SQLITE_NULL && c.type != SQLITE_TEXT)
                c.type = SQLITE_TEXT, c.s = (const char *)sqlite3_column_text(st, i),
                c.n = (size_t)sqlite3_column_bytes(st, i);
            mcp_json_cell(j, &c, mcp_json_key_redactable(cols[i]));
        }
        mcp_json_obj_end(j);
        if (mcp_json_over(j)) {
            mcp_json_rollback(j, m);
            truncated = 1;
            break;
        }
        n++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE && !truncated) {
        rc = mcp_db_error(t, "find_calls", e);
        goto done;
    }
    mcp_json_arr_end(j);
    mcp_json_key(j, "total");
    mcp_json_int(j, total);
    mcp_json_key(j, "next_cursor");
    if ((int64_t)(offset + n) < total) {
        char cur[32];

        snprintf(cur, sizeof cur, "%zu", offset + n);
        mcp_json_cstr(j, cur, 0);
    } else {
        mcp_json_null(j);
    }
    mcp_json_key(j, "truncated");
    mcp_json_bool(j, truncated);
    mcp_json_obj_end(j);
done:
    sqlite3_finalize(st);
    if (!sqlite3_get_autocommit(t->db))
        sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL);
    filter_release(&f);
    buf_release(&cond);
    buf_release(&q);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------------------- */

int mcp_tools_open(const struct cmd_ctx *c, int redact, int sql, struct mcp_tools **out,
                   struct err *e)
{
    struct mcp_tools *t;
    int rc;

    *out = NULL;
    if (!(t = calloc(1, sizeof *t)))
        return err_set(e, ERR_NOMEM, "mcp: out of memory");
    t->c = *c;
    t->redact = redact;
    t->sql = sql;
    t->deadline_ms = INT64_MAX;
    if ((rc = cmd_open_db(&t->c, &t->db, e)) || (rc = analysis_set_load(&t->analyses, NULL, e)))
        goto fail;
    /* a server lives long: read with pread, so the pages a scan touched do not stay in its
     * resident set (cmd_open_db maps the file, which suits a command that exits) */
    sqlite3_exec(t->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
    if (!(t->analysis_names = calloc(t->analyses.n + 1, sizeof *t->analysis_names))) {
        rc = err_set(e, ERR_NOMEM, "mcp: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < t->analyses.n; i++)
        t->analysis_names[i] = t->analyses.a[i].name;
    sqlite3_progress_handler(t->db, 1000, on_progress, t);
    *out = t;
    return ERR_OK;
fail:
    mcp_tools_free(t);
    return rc;
}

void mcp_tools_free(struct mcp_tools *t)
{
    if (!t)
        return;
    sqlite3_close(t->db);
    analysis_set_release(&t->analyses);
    free(t->analysis_names);
    free(t);
}

void mcp_tools_list(struct mcp_tools *t, struct mcp_json *j)
{
    mcp_schema_tools(j, t->sql, t->analysis_names, t->analyses.n);
}

int mcp_tools_call(struct mcp_tools *t, const char *name, const cJSON *args, struct mcp_json *j,
                   struct err *e)
{
    static const struct {
        const char *name;
        int (*fn)(struct mcp_tools *, const cJSON *, struct mcp_json *, struct err *);
    } table[] = {
        {"status", tool_status},
        {"describe_schema", mcp_tool_describe},
        {"list_values", tool_values},
        {"find_calls", tool_find},
        {"get_call", mcp_tool_get_call},
        {"search_transcripts", mcp_tool_search},
        {"grep_transcripts", mcp_tool_grep},
        {"run_analysis", mcp_tool_analysis},
        {"sql_query", mcp_tool_sql},
    };
    int rc = ERR_NOTFOUND;

    if (args && !cJSON_IsObject(args))
        return err_set(e, ERR_USAGE, "arguments must be a JSON object");
    if (!mcp_schema_has_tool(name, t->sql))
        return err_set(e, ERR_NOTFOUND, "unknown tool '%.60s': tools/list names the tools", name);
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (strcmp(table[i].name, name) != 0)
            continue;
        t->deadline_ms = mcp_now_ms() + MCP_CALL_MS;
        rc = table[i].fn(t, args, j, e);
        t->deadline_ms = INT64_MAX;
        if (!rc)
            rc = mcp_json_status(j, e);
        break;
    }
    return rc;
}
