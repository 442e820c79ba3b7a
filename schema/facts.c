/* facts: keeping call_facts_stored equal to call_facts_live (see facts.h). */
#include "facts.h"

#include <stddef.h>

#include "db.h"

#include "banned.h"

/* The upsert's tail: every column but call_id replaced, only when one of them differs. */
#define UPSERT_TAIL                                                                                \
    "ON CONFLICT(call_id) DO UPDATE SET started = excluded.started, title = excluded.title, "      \
    "duration = excluded.duration, url = excluded.url, scope = excluded.scope, is_private = "      \
    "excluded.is_private, rep_id = excluded.rep_id, rep_name = excluded.rep_name, rep_email "      \
    "= excluded.rep_email, rep_source = excluded.rep_source, deal_id = excluded.deal_id, "         \
    "deal_name = excluded.deal_name, stage = excluded.stage, amount = excluded.amount, "           \
    "close_date = excluded.close_date, owner = excluded.owner, owner_name = "                      \
    "excluded.owner_name, company_name = excluded.company_name, company_size = "                   \
    "excluded.company_size, stage_at_call = excluded.stage_at_call, amount_at_call = "             \
    "excluded.amount_at_call, outcome = excluded.outcome, has_transcript = "                       \
    "excluded.has_transcript, talk_ratio = excluded.talk_ratio, longest_monologue_s = "            \
    "excluded.longest_monologue_s, questions_rep = excluded.questions_rep, "                       \
    "questions_customer = excluded.questions_customer, patience_s = excluded.patience_s, "         \
    "interactivity = excluded.interactivity WHERE call_facts_stored.started IS NOT "               \
    "excluded.started OR call_facts_stored.title IS NOT excluded.title OR "                        \
    "call_facts_stored.duration IS NOT excluded.duration OR call_facts_stored.url IS NOT "         \
    "excluded.url OR call_facts_stored.scope IS NOT excluded.scope OR "                            \
    "call_facts_stored.is_private IS NOT excluded.is_private OR call_facts_stored.rep_id IS "      \
    "NOT excluded.rep_id OR call_facts_stored.rep_name IS NOT excluded.rep_name OR "               \
    "call_facts_stored.rep_email IS NOT excluded.rep_email OR call_facts_stored.rep_source "       \
    "IS NOT excluded.rep_source OR call_facts_stored.deal_id IS NOT excluded.deal_id OR "          \
    "call_facts_stored.deal_name IS NOT excluded.deal_name OR call_facts_stored.stage IS "         \
    "NOT excluded.stage OR call_facts_stored.amount IS NOT excluded.amount OR "                    \
    "call_facts_stored.close_date IS NOT excluded.close_date OR call_facts_stored.owner IS "       \
    "NOT excluded.owner OR call_facts_stored.owner_name IS NOT excluded.owner_name OR "            \
    "call_facts_stored.company_name IS NOT excluded.company_name OR "                              \
    "call_facts_stored.company_size IS NOT excluded.company_size OR "                              \
    "call_facts_stored.stage_at_call IS NOT excluded.stage_at_call OR "                            \
    "call_facts_stored.amount_at_call IS NOT excluded.amount_at_call OR "                          \
    "call_facts_stored.outcome IS NOT excluded.outcome OR call_facts_stored.has_transcript "       \
    "IS NOT excluded.has_transcript OR call_facts_stored.talk_ratio IS NOT "                       \
    "excluded.talk_ratio OR call_facts_stored.longest_monologue_s IS NOT "                         \
    "excluded.longest_monologue_s OR call_facts_stored.questions_rep IS NOT "                      \
    "excluded.questions_rep OR call_facts_stored.questions_customer IS NOT "                       \
    "excluded.questions_customer OR call_facts_stored.patience_s IS NOT excluded.patience_s "      \
    "OR call_facts_stored.interactivity IS NOT excluded.interactivity"
const char facts_refresh_sql[] =
    "INSERT INTO call_facts_stored SELECT * FROM call_facts_live WHERE call_id = ?1 " UPSERT_TAIL;

int facts_dirty_create(sqlite3 *db, struct err *e)
{
    return db_exec(db,
                   "CREATE TEMP TABLE IF NOT EXISTS facts_dirty(call_id TEXT PRIMARY KEY) "
                   "WITHOUT ROWID",
                   e);
}

int facts_refresh_dirty(sqlite3 *db, struct err *e)
{
    /* the dirty ids drive the view (CROSS JOIN keeps them the outer loop): one lookup per
     * call, in call_id order */
    static const char sql[] =
        "INSERT INTO call_facts_stored SELECT f.* FROM temp.facts_dirty x "
        "CROSS JOIN call_facts_live f ON f.call_id = x.call_id WHERE 1 " UPSERT_TAIL
        "; DELETE FROM temp.facts_dirty";

    return db_exec(db, sql, e) ? err_wrap(e, "refresh call facts") : ERR_OK;
}

int facts_rebuild(sqlite3 *db, struct err *e)
{
    static const char sql[] = "DELETE FROM call_facts_stored; "
                              "INSERT INTO call_facts_stored SELECT * FROM call_facts_live "
                              "ORDER BY call_id; "
                              "DELETE FROM meta WHERE key = 'facts'";

    return db_exec(db, sql, e) ? err_wrap(e, "build call facts") : ERR_OK;
}

int facts_mark_rebuild(sqlite3 *db, struct err *e)
{
    return db_exec(db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('facts', 'rebuild')", e)
               ? err_wrap(e, "mark call facts")
               : ERR_OK;
}

int facts_pending(sqlite3 *db, int *yes, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *yes = 0;
    if (db_prepare(db, "SELECT 1 FROM meta WHERE key = 'facts'", &st, e))
        return err_wrap(e, "read meta");
    rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW;
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? ERR_OK : db_error(db, e, "read meta");
    sqlite3_finalize(st);
    return rc;
}
