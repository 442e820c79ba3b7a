/* mcp_sql: the MCP tools sql_query and describe_schema (see mcp_tools.h).
 *
 * sql_query is read-only by construction, twice over: the connection is opened read-only
 * (SQLite refuses every write to the file), and while the statement is prepared and run an
 * authorizer allows only reading: SELECT, reads of columns, functions (but load_extension
 * and the like), recursive CTEs and a few PRAGMAs that only report. One statement per call;
 * rows come back as arrays in column order, bounded in rows, bytes and time.
 * describe_schema reads the tables and views of the file with their columns and gives the
 * documented ones their meaning from the table below. */
#include <stdio.h>
#include <string.h>

#include "mcp_tools.h"

#include "banned.h"

/* ---- sql_query ------------------------------------------------------------------------- */

static int authorize(void *ud, int action, const char *a, const char *b, const char *db,
                     const char *trigger)
{
    static const char *const pragmas[] = {"table_info",   "table_xinfo",   "index_list",
                                          "index_info",   "index_xinfo",   "foreign_key_list",
                                          "user_version", "function_list", "collation_list"};
    static const char *const denied_fns[] = {"load_extension", "fts3_tokenizer", "readfile",
                                             "writefile", "edit"};

    (void)ud, (void)db, (void)trigger;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE: return SQLITE_OK;
    case SQLITE_FUNCTION:
        for (size_t i = 0; b && i < sizeof denied_fns / sizeof *denied_fns; i++)
            if (strcmp(b, denied_fns[i]) == 0)
                return SQLITE_DENY;
        return SQLITE_OK;
    case SQLITE_PRAGMA:
        if (b) /* PRAGMA x = value, or x(arg) that sets */
            for (size_t i = 0; i < 5; i++)
                if (a && strcmp(a, pragmas[i]) == 0)
                    return SQLITE_OK;
        for (size_t i = 0; !b && a && i < sizeof pragmas / sizeof *pragmas; i++)
            if (strcmp(a, pragmas[i]) == 0)
                return SQLITE_OK;
        return SQLITE_DENY;
    default: return SQLITE_DENY;
    }
}

static int sql_rows(struct mcp_tools *t, sqlite3_stmt *st, size_t limit, struct mcp_json *j,
                    struct err *e)
{
    int cols = sqlite3_column_count(st), step, truncated = 0;
    size_t n = 0;

    mcp_json_obj(j);
    mcp_json_key(j, "columns");
    mcp_json_arr(j);
    for (int i = 0; i < cols; i++)
        mcp_json_cstr(j, sqlite3_column_name(st, i), 0);
    mcp_json_arr_end(j);
    mcp_json_key(j, "rows");
    mcp_json_arr(j);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mcp_json_mark m = mcp_json_mark(j);

        if (n == limit) {
            truncated = 1;
            break;
        }
        mcp_json_arr(j);
        for (int i = 0; i < cols; i++) {
            struct out_cell c;

            out_cell_from_stmt(st, i, &c);
            mcp_json_cell(j, &c, mcp_json_key_redactable(sqlite3_column_name(st, i)));
        }
        mcp_json_arr_end(j);
        if (mcp_json_over(j)) {
            mcp_json_rollback(j, m);
            truncated = 1;
            break;
        }
        n++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        if (!mcp_interrupted(t) || n == 0)
            return mcp_db_error(t, "sql_query", e);
        truncated = 1; /* the time bound cut it: the rows so far */
    }
    mcp_json_arr_end(j);
    mcp_json_key(j, "truncated");
    mcp_json_bool(j, truncated);
    mcp_json_obj_end(j);
    return ERR_OK;
}

int mcp_tool_sql(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e)
{
    static const char *const allowed[] = {"sql", "limit", NULL};
    sqlite3_stmt *st = NULL;
    const char *sql, *tail = NULL;
    size_t limit;
    int rc;

    if ((rc = mcp_args_check(args, allowed, 0, e)) ||
        (rc = mcp_arg_string(args, "sql", 1, &sql, e)) ||
        (rc = mcp_arg_limit(args, "limit", 100, 1000, &limit, e)))
        return rc;
    sqlite3_set_authorizer(t->db, authorize, NULL);
    if (sqlite3_prepare_v2(t->db, sql, -1, &st, &tail) != SQLITE_OK) {
        rc = sqlite3_errcode(t->db) == SQLITE_AUTH ||
                     strncmp(sqlite3_errmsg(t->db), "not authorized", 14) == 0
                 ? err_set(e, ERR_USAGE,
                           "sql_query: not allowed: %s (only reading is: SELECT, WITH, and "
                           "PRAGMA table_info and the like)",
                           sqlite3_errmsg(t->db))
                 : err_set(e, ERR_USAGE, "sql_query: %s", sqlite3_errmsg(t->db));
        goto done;
    }
    if (!st) {
        rc = err_set(e, ERR_USAGE, "sql_query: no SQL statement given");
        goto done;
    }
    while (tail &&
           (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
        tail++;
    if (tail && *tail) {
        rc = err_set(e, ERR_USAGE, "sql_query: give one statement (more follows: '%.30s')", tail);
        goto done;
    }
    if (!sqlite3_stmt_readonly(st)) {
        rc = err_set(e, ERR_USAGE, "sql_query: the statement would write; the mirror is read-only");
        goto done;
    }
    rc = sql_rows(t, st, limit, j, e);
done:
    sqlite3_finalize(st);
    sqlite3_set_authorizer(t->db, NULL, NULL);
    return rc;
}

/* ---- describe_schema ------------------------------------------------------------------- */

static const struct {
    const char *table, *column, *meaning;
} meanings[] = {
    {"call_facts", "", "one row per call in a sales team's terms; start ad-hoc SQL here"},
    {"call_facts", "rep_name",
     "the call's rep: the internal speaker who talked most, else the "
     "primary user (rep_source says which)"},
    {"call_facts", "stage", "the deal's stage as it stands now (Gong's Now snapshot)"},
    {"call_facts", "amount", "the deal's amount now"},
    {"call_facts", "stage_at_call", "the deal's stage when the call took place"},
    {"call_facts", "amount_at_call", "the deal's amount when the call took place"},
    {"call_facts", "outcome", "won, lost or open: the deal's eventual result; NULL: no deal"},
    {"call_facts", "owner_name", "the deal owner resolved to a person, where the data allows"},
    {"call_facts", "company_size", "employees of the deal's company"},
    {"call_facts", "talk_ratio", "the rep side's share of talk time, 0..1"},
    {"call_facts", "longest_monologue_s", "the longest rep turn, seconds"},
    {"call_facts", "patience_s", "the rep's average pause before answering the customer, s"},
    {"call_facts", "interactivity", "side switches per minute"},
    {"calls", "", "one row per call, as Gong describes it"},
    {"calls", "started", "start time, ISO-8601 UTC with milliseconds"},
    {"calls", "duration", "seconds"},
    {"calls", "scope", "Internal or External (a customer took part)"},
    {"calls", "primary_user_id", "the Gong user who owns the call (users.id)"},
    {"users", "", "Gong users (the team)"},
    {"parties", "", "the people on each call"},
    {"parties", "affiliation", "Internal (the team, 'rep') or External (the customer)"},
    {"parties", "speaker_id", "the id transcript lines carry for this person"},
    {"deals", "", "one row per call, deal and CRM snapshot"},
    {"deals", "timing", "Now (the deal as it stands) or TimeOfCall (as it was at the call)"},
    {"deals", "ord", "0 for the call's own deal (the first Gong lists)"},
    {"crm_fields", "", "every CRM field Gong returned with a call, lossless"},
    {"transcripts", "",
     "compressed transcripts: transcript_text(call_id) gives the text, one "
     "sentence per line: START_MS TAB END_MS TAB SPEAKER_ID TAB TEXT"},
    {"call_metrics", "", "conversation measures computed once per transcript"},
    {"trackers", "", "Gong trackers (keywords, smart trackers) counted per call"},
    {"topics", "", "Gong topics and their duration per call"},
    {"search_calls", "", "the search index's call numbers (search_transcripts reads it)"},
    {"search_sentences", "", "the full-text index of transcript sentences (contentless FTS5)"},
};

static const char *meaning_of(const char *table, const char *column)
{
    for (size_t i = 0; i < sizeof meanings / sizeof *meanings; i++)
        if (strcmp(meanings[i].table, table) == 0 && strcmp(meanings[i].column, column) == 0)
            return meanings[i].meaning;
    return NULL;
}

int mcp_tool_describe(struct mcp_tools *t, const cJSON *args, struct mcp_json *j, struct err *e)
{
    static const char *const none[] = {NULL};
    sqlite3_stmt *tables = NULL, *cols = NULL;
    int rc, step;

    if ((rc = mcp_args_check(args, none, 0, e)))
        return rc;
    if (sqlite3_prepare_v2(t->db,
                           "SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') "
                           "AND name NOT LIKE 'sqlite!_%' ESCAPE '!' AND name NOT LIKE "
                           "'search!_sentences!_%' ESCAPE '!' ORDER BY type = 'view' DESC, name",
                           -1, &tables, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(t->db, "SELECT name, type FROM pragma_table_info(?1)", -1, &cols,
                           NULL) != SQLITE_OK) {
        rc = mcp_db_error(t, "describe_schema", e);
        goto done;
    }
    mcp_json_obj(j);
    mcp_json_key(j, "tables");
    mcp_json_arr(j);
    while ((step = sqlite3_step(tables)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(tables, 0);

        if (!name)
            continue;
        mcp_json_obj(j);
        mcp_json_key(j, "name");
        mcp_json_cstr(j, name, 0);
        mcp_json_key(j, "kind");
        mcp_json_cstr(j, (const char *)sqlite3_column_text(tables, 1), 0);
        if (meaning_of(name, "")) {
            mcp_json_key(j, "meaning");
            mcp_json_cstr(j, meaning_of(name, ""), 0);
        }
        mcp_json_key(j, "columns");
        mcp_json_arr(j);
        sqlite3_bind_text(cols, 1, name, -1, SQLITE_STATIC);
        while (sqlite3_step(cols) == SQLITE_ROW) {
            const char *c = (const char *)sqlite3_column_text(cols, 0);

            mcp_json_obj(j);
            mcp_json_key(j, "name");
            mcp_json_cstr(j, c ? c : "", 0);
            mcp_json_key(j, "type");
            mcp_json_cstr(j, (const char *)sqlite3_column_text(cols, 1), 0);
            mcp_json_key(j, "meaning");
            mcp_json_cstr(j, meaning_of(name, c ? c : ""), 0);
            mcp_json_obj_end(j);
        }
        sqlite3_reset(cols); /* a view that does not compile just has no columns */
        mcp_json_arr_end(j);
        mcp_json_obj_end(j);
    }
    if (step != SQLITE_DONE) {
        rc = mcp_db_error(t, "describe_schema", e);
        goto done;
    }
    mcp_json_arr_end(j);
    mcp_json_obj_end(j);
done:
    sqlite3_finalize(tables);
    sqlite3_finalize(cols);
    return rc;
}
