/* scope: the TEMP objects the analyses and the report read (see scope.h).
 *
 * One table holds data: temp.scope_ids, the rowids of the calls the filter's condition
 * (filter.h) selects, in a temporary file. The rest are views over it and the mirror's
 * semantic layer (call_facts, call_metrics), so a query over scope streams the mirror call
 * by call, reading only the columns it uses: SQLite flattens the views into the query, and
 * call_facts' correlated lookups (the rep's name, the owner's) run only for the columns
 * asked for. scope_calls has every column but the grouping; scope adds grp and grp_key, and
 * is re-created for each grouping. The main database is never written: the connection is
 * read-only, and TEMP objects live in the temporary database. */
#include "scope.h"

#include <string.h>

#include "buf.h"

#include "banned.h"

static int exec(sqlite3 *db, const char *sql, struct err *e)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return err_set(e, ERR_DB, "build the scope: %s", sqlite3_errmsg(db));
    return ERR_OK;
}

/* A user's name as call_facts writes it. */
#define USER_NAME(u)                                                                               \
    "nullif(trim(ifnull(" u ".first_name, '') || ' ' || ifnull(" u ".last_name, '')), '')"

/* Drop what an earlier scope on this connection left; make the table of ids and the Gong
 * users with their labels: the name, with " <e-mail>" when two users share it. */
static const char start_sql[] =
    "DROP VIEW IF EXISTS temp.scope; DROP VIEW IF EXISTS temp.conv; "
    "DROP VIEW IF EXISTS temp.conv_speakers; DROP VIEW IF EXISTS temp.scope_calls; "
    "DROP TABLE IF EXISTS temp.scope_rows; DROP TABLE IF EXISTS temp.scope_ids; "
    "DROP TABLE IF EXISTS temp.scope_people; "
    "CREATE TEMP TABLE scope_ids(rid INTEGER PRIMARY KEY); "
    "CREATE TEMP TABLE scope_people(id TEXT PRIMARY KEY, name TEXT, email TEXT, label TEXT) "
    "WITHOUT ROWID; "
    "INSERT OR IGNORE INTO scope_people SELECT u.id, " USER_NAME("u") ", u.email, "
    USER_NAME("u") " FROM users u WHERE u.id IS NOT NULL; "
    "UPDATE scope_people SET label = name || ' <' || coalesce(email, id) || '>' "
    "WHERE lower(name) IN (SELECT lower(name) FROM scope_people WHERE name IS NOT NULL "
    "GROUP BY lower(name) HAVING count(*) > 1);";

/* The call's rep, spelled as call_facts spells it (sql/002-semantic.sql), each column a
 * lookup of its own so a query pays only for the columns it reads: the internal speaker
 * with the most talk (call_metrics m), else the primary user; named from users, else from
 * the call's party. A test checks scope against call_facts call by call. */
#define SPEECH "(m.rep_speaker_id IS NOT NULL)"
#define REP_ID "(CASE WHEN " SPEECH " THEN m.rep_user_id ELSE c.primary_user_id END)"
#define REP_PARTY(col)                                                                             \
    "(CASE WHEN " SPEECH " THEN (SELECT p." col " FROM parties p WHERE p.call_id = c.id "    \
    "AND p.speaker_id = m.rep_speaker_id ORDER BY p.ord LIMIT 1) "                                 \
    "ELSE (SELECT p." col " FROM parties p WHERE p.call_id = c.id "                                \
    "AND p.user_id = c.primary_user_id ORDER BY p.ord LIMIT 1) END)"
#define REP_USER(col) "(SELECT u." col " FROM temp.scope_people u WHERE u.id = " REP_ID ")"
#define REP_NAME "coalesce(" REP_USER("name") ", " REP_PARTY("name") ")"
#define REP_EMAIL "coalesce(" REP_USER("email") ", " REP_PARTY("email") ")"

/* The outcome of deal row d: the stages file's word for its stage, else won or lost for
 * closedwon/closedlost spelled any way (as call_facts), else open. */
#define OUTCOME_OF_D                                                                               \
    "coalesce((SELECT so.outcome FROM temp.stage_outcomes so WHERE so.stage = d.stage), "          \
    "CASE replace(replace(replace(lower(trim(ifnull(d.stage, ''))), ' ', ''), '_', ''), '-', "     \
    "'') WHEN 'closedwon' THEN 'won' WHEN 'closedlost' THEN 'lost' ELSE 'open' END)"

/* The call's deal rows: Now with ord 0; as --deal-timing call reads it, TimeOfCall ord 0
 * when the call has one, else Now ord 0 ('TimeOfCall' sorts after 'Now'). */
#define DEAL_NOW "FROM deals d WHERE d.call_id = c.id AND d.timing = 'Now' AND d.ord = 0"
#define DEAL_CALL                                                                                  \
    "FROM deals d WHERE d.call_id = c.id AND d.ord = 0 AND d.timing IN ('Now', 'TimeOfCall') "     \
    "ORDER BY d.timing DESC LIMIT 1"

/* The view of the calls in scope with every column but the grouping (see scope.h); deal is
 * DEAL_NOW or DEAL_CALL. */
static int calls_view(struct buf *q, const char *deal, struct err *e)
{
    return buf_printf(
        q, e,
        "CREATE TEMP VIEW scope_calls AS SELECT c.id AS call_id, c.title AS title, "
        "c.url AS url, c.started AS started, c.duration AS duration, "
        "c.is_private AS is_private, "
        "(ifnull(c.scope, '') = 'External' COLLATE NOCASE OR EXISTS (SELECT 1 FROM parties p "
        "WHERE p.call_id = c.id AND p.affiliation = 'External' COLLATE NOCASE)) AS external, "
        "ifnull(m.sentences > 0, 0) AS has_transcript, " REP_ID " AS rep_id, " REP_NAME
        " AS rep_name, " REP_EMAIL " AS rep_email, "
        "CASE WHEN " SPEECH " THEN 'speech' WHEN c.primary_user_id IS NOT NULL "
        "THEN 'primary' END AS rep_source, coalesce(" REP_ID ", " REP_PARTY("name") ") AS rep_key, "
        "coalesce((SELECT u.label FROM temp.scope_people u WHERE u.id = " REP_ID "), "
        REP_PARTY("name") ", " REP_EMAIL ", " REP_ID ", '(unknown)') AS rep_label, "
        REP_ID " AS rep_user_id, " REP_NAME " AS rep, c.primary_user_id AS primary_user_id, "
        "coalesce((SELECT u.name FROM temp.scope_people u WHERE u.id = c.primary_user_id), "
        "(SELECT p.name FROM parties p WHERE p.call_id = c.id "
        "AND p.user_id = c.primary_user_id AND p.name IS NOT NULL ORDER BY p.ord LIMIT 1)) "
        "AS primary_rep, "
        "EXISTS (SELECT 1 %s) AS has_deal, (SELECT d.deal_id %s) AS deal_id, "
        "(SELECT d.deal_name %s) AS deal_name, (SELECT d.stage %s) AS stage, "
        "(SELECT d.amount %s) AS amount, (SELECT d.company_name %s) AS company_name, "
        "(SELECT d.company_size %s) AS company_size, "
        "(SELECT d.owner " DEAL_NOW ") AS owner, (SELECT d.close_date " DEAL_NOW
        ") AS close_date, (SELECT " OUTCOME_OF_D " " DEAL_NOW ") AS outcome, "
        "ifnull((SELECT CASE WHEN d.company_size IS NULL THEN 'unknown' "
        "WHEN d.company_size < 50 THEN '1-49' WHEN d.company_size < 200 THEN '50-199' "
        "WHEN d.company_size < 1000 THEN '200-999' WHEN d.company_size < 5000 THEN '1000-4999' "
        "ELSE '5000+' END %s), 'no deal') AS size_band, "
        "substr(c.started, 1, 7) AS month, date(c.started, '-6 days', 'weekday 1') AS week "
        "FROM temp.scope_ids s JOIN calls c ON c.rowid = s.rid "
        "LEFT JOIN call_metrics m ON m.call_id = c.id;",
        deal, deal, deal, deal, deal, deal, deal, deal);
}

/* The views kept for user analyses written against the per-call table of older versions. */
static const char compat_sql[] =
    "CREATE TEMP VIEW conv AS SELECT s.call_id AS call_id, m.rep_talk_ms AS rep_ms, "
    "m.customer_talk_ms AS cust_ms, m.other_talk_ms AS other_ms, "
    "m.rep_questions AS rep_questions, m.customer_questions AS cust_questions, "
    "m.rep_longest_ms AS rep_longest_ms, m.customer_longest_ms AS cust_longest_ms, "
    "m.switches AS switches, m.rep_reply_ms AS rep_reply_ms, m.rep_replies AS rep_replies, "
    "m.first_ms AS first_ms, m.last_ms AS last_ms, "
    "CASE WHEN s.duration > 0 THEN s.duration / 60.0 "
    "ELSE (m.last_ms - m.first_ms) / 60000.0 END AS minutes, "
    "m.rep_speaker_id AS top_speaker_id, m.rep_user_id AS top_user_id, "
    "CASE WHEN s.rep_source = 'speech' THEN s.rep_name END AS top_name, "
    "CASE WHEN s.rep_source = 'speech' THEN s.rep_email END AS top_email "
    "FROM scope_calls s JOIN call_metrics m ON m.call_id = s.call_id WHERE m.sentences > 0;"
    "CREATE TEMP VIEW conv_speakers AS SELECT t.* FROM scope_calls s, "
    "transcript_speakers(s.call_id) t WHERE s.has_transcript;";

int scope_connect(sqlite3 *db, struct err *e)
{
    /* a page cache of 32 MB: lookups into call_metrics and the per-call tables stay cached */
    /* temp_store = FILE is set by cmd_open_db (changing it here would drop the TEMP objects
     * it made) */
    return exec(db, "PRAGMA mmap_size = 0; PRAGMA cache_size = -32768", e);
}

int scope_build(sqlite3 *db, const struct filter *f, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc;

    buf_init(&q, 0);
    if ((rc = exec(db, "BEGIN", e)))
        return rc;
    if ((rc = exec(db, start_sql, e)))
        goto done;
    if ((rc = buf_puts(&q, "INSERT INTO temp.scope_ids SELECT calls.rowid FROM calls WHERE ",
                       e)) ||
        (rc = filter_sql(f, &q, e)))
        goto done;
    if (sqlite3_prepare_v2(db, q.data, -1, &st, NULL) != SQLITE_OK) {
        rc = err_set(e, ERR_DB, "build the scope: %s", sqlite3_errmsg(db));
        goto done;
    }
    if ((rc = filter_bind(f, st, e)))
        goto done;
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = err_set(e, ERR_DB, "build the scope: %s", sqlite3_errmsg(db));
        goto done;
    }
    buf_reset(&q);
    if ((rc = calls_view(&q, f->timing == FILTER_TIMING_CALL ? DEAL_CALL : DEAL_NOW, e)) ||
        (rc = buf_puts(&q, compat_sql, e)) || (rc = exec(db, q.data, e)) ||
        (rc = scope_group(db, "all", e)))
        goto done;
    rc = exec(db, "COMMIT", e);
done:
    sqlite3_finalize(st);
    if (rc)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    buf_release(&q);
    return rc;
}

int scope_materialize(sqlite3 *db, struct err *e)
{
    int rc;

    if ((rc = exec(db,
                   "BEGIN; DROP TABLE IF EXISTS temp.scope_rows; "
                   "CREATE TEMP TABLE scope_rows AS SELECT * FROM scope_calls; "
                   "DROP VIEW scope_calls; "
                   "CREATE TEMP VIEW scope_calls AS SELECT * FROM temp.scope_rows; COMMIT",
                   e)))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static const struct grouping {
    const char *by, *grp, *key;
} groupings[] = {
    {"rep", "rep_label", "CASE WHEN rep_label = '(unknown)' THEN '~' ELSE lower(rep_label) END"},
    {"stage",
     "CASE WHEN stage IS NOT NULL THEN stage WHEN has_deal THEN '(no stage)' ELSE '(no deal)' "
     "END",
     "CASE WHEN stage IS NULL THEN '~' ELSE lower(stage) END"},
    {"month", "ifnull(month, '(unknown)')", "ifnull(month, '~')"},
    {"week", "ifnull(week, '(unknown)')", "ifnull(week, '~')"},
    {"outcome", "ifnull(outcome, 'no deal')",
     "CASE outcome WHEN 'won' THEN '1' WHEN 'lost' THEN '2' WHEN 'open' THEN '3' ELSE '4' END"},
    {"company-size", "size_band",
     "CASE size_band WHEN '1-49' THEN '1' WHEN '50-199' THEN '2' WHEN '200-999' THEN '3' "
     "WHEN '1000-4999' THEN '4' WHEN '5000+' THEN '5' WHEN 'unknown' THEN '6' ELSE '7' END"},
    {"call", "call_id", "ifnull(started, '') || ' ' || call_id"},
    {"all", "'all'", "''"},
};

int scope_by_valid(const char *by)
{
    for (size_t i = 0; i < sizeof groupings / sizeof groupings[0]; i++)
        if (strcmp(groupings[i].by, by) == 0)
            return 1;
    return 0;
}

int scope_group(sqlite3 *db, const char *by, struct err *e)
{
    struct buf q;
    int rc;

    for (size_t i = 0; i < sizeof groupings / sizeof groupings[0]; i++) {
        if (strcmp(groupings[i].by, by) != 0)
            continue;
        buf_init(&q, 0);
        if (!(rc = buf_printf(&q, e,
                              "DROP VIEW IF EXISTS temp.scope; CREATE TEMP VIEW scope AS "
                              "SELECT *, %s AS grp, %s AS grp_key FROM scope_calls",
                              groupings[i].grp, groupings[i].key)))
            rc = exec(db, q.data, e);
        buf_release(&q);
        return rc;
    }
    return err_set(e, ERR_USAGE, "--by '%s': choose one of %s", by, SCOPE_BY_NAMES);
}
