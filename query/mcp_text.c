/* mcp_text: the MCP tools over transcripts and analyses (see mcp_tools.h): get_call,
 * search_transcripts, grep_transcripts, run_analysis.
 *
 * get_call and grep_transcripts reuse the commands' own JSON (show --format json, grep
 * --format jsonl, the latter written to a memory stream), parsed back and written out again
 * through mcp_json so that --redact and the byte budget apply to them like to the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grep_scan.h"
#include "mcp_tools.h"
#include "re.h"
#include "scope.h"
#include "search.h"

#include "banned.h"

static int speaker_arg(const cJSON *args, int *role, const char **name, struct err *e)
{
    const char *s;
    int rc;

    *role = 0;
    *name = "all";
    if ((rc = mcp_arg_string(args, "speaker", 0, &s, e)) || !s)
        return rc;
    if (strcmp(s, "rep") == 0)
        *role = 1;
    else if (strcmp(s, "customer") == 0)
        *role = 2;
    else if (strcmp(s, "all") != 0)
        return err_set(e, ERR_USAGE, "argument 'speaker': give rep, customer or all");
    *name = s;
    return ERR_OK;
}

/* ---- get_call -------------------------------------------------------------------------- */

int mcp_tool_get_call(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e)
{
    static const char *const allowed[] = {"call_id", "cursor", "limit", NULL};
    struct buf out;
    cJSON *root = NULL;
    const cJSON *c;
    const char *id;
    size_t first, next = 0, limit;
    int rc;

    buf_init(&out, 0);
    if ((rc = mcp_args_check(args, allowed, 0, e)) ||
        (rc = mcp_arg_string(args, "call_id", 1, &id, e)) ||
        (rc = mcp_arg_cursor(args, &first, e)) ||
        (rc = mcp_arg_limit(args, "limit", 2000, 5000, &limit, e)))
        goto done;
    /* the page leaves room for redaction's placeholders and the re-escaping */
    if ((rc = cmd_show_json(t->db, id, first, limit, MCP_RESULT_BYTES * 3 / 4, &out, &next, e))) {
        if (rc == ERR_NOTFOUND)
            err_set(e, ERR_NOTFOUND, "no call '%.60s' in the mirror (find_calls lists calls)", id);
        else if (mcp_interrupted(t))
            rc = mcp_db_error(t, "get_call", e);
        goto done;
    }
    if (!(root = cJSON_ParseWithLength(out.data, out.len)) || !cJSON_IsObject(root)) {
        rc = err_set(e, ERR_PARSE, "get_call: the call's JSON did not parse");
        goto done;
    }
    mcp_json_obj(j);
    cJSON_ArrayForEach(c, root)
    {
        mcp_json_key(j, c->string);
        mcp_json_cjson(j, c, c->string);
    }
    mcp_json_key(j, "next_cursor");
    if (next) {
        char cur[32];

        snprintf(cur, sizeof cur, "%zu", next);
        mcp_json_cstr(j, cur, 0);
    } else {
        mcp_json_null(j);
    }
    mcp_json_obj_end(j);
done:
    cJSON_Delete(root);
    buf_release(&out);
    return rc;
}

/* ---- search_transcripts ---------------------------------------------------------------- */

struct search_ctx {
    struct mcp_json *j;
    int full; /* the byte budget was reached */
};

static int on_hit(void *p, const struct search_hit *h, struct err *e)
{
    struct search_ctx *x = p;
    struct mcp_json *j = x->j;
    struct mcp_json_mark m = mcp_json_mark(j);

    mcp_json_obj(j);
    mcp_json_key(j, "call_id");
    mcp_json_cstr(j, h->call_id, 0);
    mcp_json_key(j, "title");
    mcp_json_cstr(j, h->title, 1);
    mcp_json_key(j, "started");
    mcp_json_cstr(j, h->started, 0);
    mcp_json_key(j, "speaker_id");
    mcp_json_str(j, h->speaker_id, h->speaker_id_len, 0);
    mcp_json_key(j, "speaker_name");
    mcp_json_cstr(j, h->speaker_name, 1);
    mcp_json_key(j, "affiliation");
    mcp_json_cstr(j, h->affiliation, 1);
    mcp_json_key(j, "start_ms");
    mcp_json_int(j, h->start_ms);
    mcp_json_key(j, "text");
    mcp_json_str(j, h->text, h->text_len, 1);
    mcp_json_key(j, "snippet");
    mcp_json_cstr(j, h->snippet, 1);
    mcp_json_key(j, "score");
    mcp_json_double(j, h->score);
    mcp_json_key(j, "url");
    mcp_json_cstr(j, h->url, 0);
    mcp_json_obj_end(j);
    if (mcp_json_over(j)) {
        mcp_json_rollback(j, m);
        x->full = 1;
        return err_set(e, ERR_INTERRUPT, "full");
    }
    return ERR_OK;
}

int mcp_tool_search(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e)
{
    static const char *const allowed[] = {"query", "speaker", "limit", NULL};
    struct search_opts o = {.on = "**", .off = "**"};
    struct search_ctx x = {.j = j};
    struct search_totals tot;
    struct filter f;
    const char *who;
    int rc, role;

    filter_init(&f);
    if ((rc = mcp_args_check(args, allowed, 1, e)) ||
        (rc = mcp_arg_string(args, "query", 1, &o.query, e)) ||
        (rc = speaker_arg(args, &role, &who, e)) ||
        (rc = mcp_arg_limit(args, "limit", 20, 100, &o.limit, e)) ||
        (rc = mcp_args_filters(t, args, &f, e)))
        goto done;
    o.f = &f;
    o.speaker = (enum search_role)role;
    mcp_json_obj(j);
    mcp_json_key(j, "hits");
    mcp_json_arr(j);
    rc = search_run(t->db, &o, on_hit, &x, &tot, e);
    if (rc == ERR_INTERRUPT && x.full) {
        rc = ERR_OK;
        tot.more = 1;
    }
    if (rc) {
        if (rc == ERR_DB && mcp_interrupted(t))
            rc = mcp_db_error(t, "search_transcripts", e);
        goto done;
    }
    mcp_json_arr_end(j);
    mcp_json_key(j, "calls");
    mcp_json_int(j, (int64_t)tot.calls);
    mcp_json_key(j, "more");
    mcp_json_bool(j, tot.more);
    mcp_json_key(j, "ranked_all");
    mcp_json_bool(j, !tot.capped);
    mcp_json_key(j, "truncated");
    mcp_json_bool(j, x.full);
    mcp_json_obj_end(j);
done:
    filter_release(&f);
    return rc;
}

/* ---- grep_transcripts ------------------------------------------------------------------ */

static int grep_setup(struct mcp_tools *t, struct grep *g, const cJSON *args, size_t *limit,
                      struct err *e)
{
    static const char *const allowed[] = {"pattern", "ignore_case", "speaker", "limit", NULL};
    const char *who;
    int rc, caseless, role;

    if ((rc = mcp_args_check(args, allowed, 1, e)) ||
        (rc = mcp_arg_string(args, "pattern", 1, &g->pattern, e)) ||
        (rc = mcp_arg_bool(args, "ignore_case", 0, &caseless, e)) ||
        (rc = speaker_arg(args, &role, &who, e)) ||
        (rc = mcp_arg_limit(args, "limit", 50, 500, limit, e)) ||
        (rc = mcp_args_filters(t, args, &g->f, e)))
        return rc;
    g->flags = caseless ? RE_CASELESS : 0;
    g->speaker = (enum grep_role)role;
    g->mode = GREP_ROWS;
    g->max_hits = *limit + 1; /* one more tells that there are more */
    g->deadline = time(NULL) + (MCP_CALL_MS + 999) / 1000;
    return ERR_OK;
}

/* Write the first limit JSON lines of text as hit objects. */
static int grep_hits(const char *text, size_t len, size_t limit, struct mcp_json *j, int *truncated,
                     struct err *e)
{
    const char *p = text, *end = text + len;
    size_t n = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ln = nl ? (size_t)(nl - p) : (size_t)(end - p);
        struct mcp_json_mark m = mcp_json_mark(j);
        cJSON *hit;

        if (n == limit) {
            *truncated = 1;
            break;
        }
        if (!(hit = cJSON_ParseWithLength(p, ln)))
            return err_set(e, ERR_PARSE, "grep_transcripts: a hit's JSON did not parse");
        mcp_json_cjson(j, hit, NULL);
        cJSON_Delete(hit);
        if (mcp_json_over(j)) {
            mcp_json_rollback(j, m);
            *truncated = 1;
            break;
        }
        n++;
        p += ln + 1;
    }
    return ERR_OK;
}

int mcp_tool_grep(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e)
{
    struct cmd_ctx c = t->c;
    struct grep g;
    char *text = NULL;
    size_t len = 0, limit = 0;
    FILE *fp = NULL;
    int rc, truncated = 0;

    c.format_set = 1;
    c.format = OUT_JSONL;
    grep_init(&g, &c);
    if ((rc = grep_setup(t, &g, args, &limit, e)))
        goto done;
    if (!(fp = open_memstream(&text, &len))) {
        rc = err_set(e, ERR_NOMEM, "grep_transcripts: out of memory");
        goto done;
    }
    g.fp = fp;
    rc = grep_execute(&g, e);
    if (fclose(fp) != 0 && !rc)
        rc = err_set(e, ERR_NOMEM, "grep_transcripts: out of memory");
    fp = NULL;
    if (rc)
        goto done;
    mcp_json_obj(j);
    mcp_json_key(j, "hits");
    mcp_json_arr(j);
    if ((rc = grep_hits(text ? text : "", len, limit, j, &truncated, e)))
        goto done;
    mcp_json_arr_end(j);
    mcp_json_key(j, "truncated");
    mcp_json_bool(j, truncated || g.timed_out);
    mcp_json_obj_end(j);
done:
    if (fp)
        fclose(fp);
    free(text);
    grep_release(&g);
    return rc;
}

/* ---- run_analysis ---------------------------------------------------------------------- */

static int analysis_rows(struct mcp_tools *t, sqlite3_stmt *st, size_t limit, struct mcp_json *j,
                         int *truncated, struct err *e)
{
    int cols = sqlite3_column_count(st), step;
    size_t n = 0;

    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mcp_json_mark m = mcp_json_mark(j);

        if (n == limit) {
            *truncated = 1;
            return ERR_OK;
        }
        mcp_json_obj(j);
        for (int i = 0; i < cols; i++) {
            const char *name = sqlite3_column_name(st, i);
            struct out_cell c;

            mcp_json_key(j, name ? name : "");
            out_cell_from_stmt(st, i, &c);
            mcp_json_cell(j, &c, mcp_json_key_redactable(name));
        }
        mcp_json_obj_end(j);
        if (mcp_json_over(j)) {
            mcp_json_rollback(j, m);
            *truncated = 1;
            return ERR_OK;
        }
        n++;
    }
    return step == SQLITE_DONE ? ERR_OK : mcp_db_error(t, "run_analysis", e);
}

int mcp_tool_analysis(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e)
{
    static const char *const allowed[] = {"name",    "pattern", "ignore_case", "by",
                                          "speaker", "limit",   NULL};
    struct analysis_params p = {0};
    const struct analysis *a;
    struct filter f;
    struct re *re = NULL;
    sqlite3_stmt *st = NULL;
    const char *name;
    size_t limit;
    int rc, caseless, role, truncated = 0;

    filter_init(&f);
    if ((rc = mcp_args_check(args, allowed, 1, e)) ||
        (rc = mcp_arg_string(args, "name", 1, &name, e)) ||
        (rc = mcp_arg_string(args, "pattern", 0, &p.pattern, e)) ||
        (rc = mcp_arg_string(args, "by", 0, &p.by, e)) ||
        (rc = mcp_arg_bool(args, "ignore_case", 0, &caseless, e)) ||
        (rc = speaker_arg(args, &role, &p.speaker, e)) ||
        (rc = mcp_arg_limit(args, "limit", 100, 1000, &limit, e)) ||
        (rc = mcp_args_filters(t, args, &f, e)))
        goto done;
    if (!(a = analysis_find(&t->analyses, name))) {
        rc = err_set(e, ERR_USAGE,
                     "unknown analysis '%.40s': the name enum of run_analysis "
                     "lists them",
                     name);
        goto done;
    }
    if (a->needs_pattern && !p.pattern) {
        rc = err_set(e, ERR_USAGE, "analysis '%s' needs a pattern (a PCRE2 regex)", a->name);
        goto done;
    }
    if (p.pattern && (rc = re_compile(p.pattern, caseless ? RE_CASELESS : 0, &re, e))) {
        err_wrap(e, "argument 'pattern'");
        goto done;
    }
    p.flags = caseless ? "i" : "";
    if (!p.by)
        p.by = a->by;
    if (!scope_by_valid(p.by)) {
        rc = err_set(e, ERR_USAGE, "argument 'by': choose one of %s", SCOPE_BY_NAMES);
        goto done;
    }
    if ((!t->stages_loaded && (rc = analysis_stages(t->db, NULL, e))) ||
        (rc = scope_build(t->db, &f, scope_reads_deals(a->text, p.by), e)) ||
        (rc = scope_group(t->db, p.by, e)) || (rc = analysis_run(t->db, a, &p, &st, e))) {
        if (mcp_interrupted(t))
            rc = mcp_db_error(t, "run_analysis", e);
        goto done;
    }
    t->stages_loaded = 1;
    mcp_json_obj(j);
    mcp_json_key(j, "name");
    mcp_json_cstr(j, a->name, 0);
    mcp_json_key(j, "by");
    mcp_json_cstr(j, p.by, 0);
    mcp_json_key(j, "rows");
    mcp_json_arr(j);
    if ((rc = analysis_rows(t, st, limit, j, &truncated, e)))
        goto done;
    mcp_json_arr_end(j);
    mcp_json_key(j, "truncated");
    mcp_json_bool(j, truncated);
    mcp_json_obj_end(j);
done:
    sqlite3_finalize(st);
    re_free(re);
    filter_release(&f);
    return rc;
}
