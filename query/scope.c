/* scope: the TEMP tables the analyses read (see scope.h).
 *
 * Everything is SQL: the filter's condition (filter.h) picks the calls, its deal-column
 * subqueries read the deal as --deal-timing says, and UPDATEs fill what depends on columns
 * already computed. The statements run inside one transaction on the TEMP schema (the main
 * database is never written: the connection is read-only). */
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

/* The rep who ran the call: the internal speaker with the most talk in Gong's stats. */
static const char runner_sql[] =
    "coalesce((SELECT sp.user_id FROM speakers sp WHERE sp.call_id = calls.id "
    "AND ifnull(sp.user_id, '') <> '' ORDER BY sp.talk_time DESC, sp.user_id LIMIT 1), "
    "calls.primary_user_id)";

/* The outcome of deal row d: the stages file's word for its stage, else won or lost for
 * closedwon/closedlost spelled any way, else open. */
#define OUTCOME_OF_D                                                                               \
    "coalesce((SELECT so.outcome FROM stage_outcomes so WHERE so.stage = d.stage), "               \
    "CASE replace(replace(replace(lower(trim(ifnull(d.stage, ''))), ' ', ''), '_', ''), '-', "     \
    "'') WHEN 'closedwon' THEN 'won' WHEN 'closedlost' THEN 'lost' ELSE 'open' END)"

static const char outcome_sql[] =
    /* a blob-heavy WITHOUT ROWID table: one scan, never a seek per call */
    "UPDATE scope SET has_transcript = 1 "
    "WHERE call_id IN (SELECT call_id FROM transcripts WHERE size > 0);"
    "UPDATE scope SET (deal_id, deal_name, stage, amount, company_name, company_size) = "
    "(SELECT d.deal_id, d.deal_name, d.stage, d.amount, d.company_name, d.company_size "
    "FROM deals d WHERE d.rowid = scope.deal_rowid) WHERE deal_rowid IS NOT NULL;"
    "UPDATE scope SET "
    "rep = coalesce((SELECT nullif(trim(ifnull(u.first_name, '') || ' ' || "
    "ifnull(u.last_name, '')), '') FROM users u WHERE u.id = scope.rep_user_id), "
    "(SELECT p.name FROM parties p WHERE p.call_id = scope.call_id "
    "AND p.user_id = scope.rep_user_id AND p.name IS NOT NULL ORDER BY p.ord LIMIT 1), "
    "primary_rep), "
    "rep_email = coalesce((SELECT u.email FROM users u WHERE u.id = scope.rep_user_id), "
    "(SELECT p.email FROM parties p WHERE p.call_id = scope.call_id "
    "AND p.user_id = scope.rep_user_id AND p.email IS NOT NULL ORDER BY p.ord LIMIT 1)), "
    "outcome = coalesce((SELECT " OUTCOME_OF_D " FROM deals d WHERE d.call_id = scope.call_id "
    "AND d.deal_id = scope.deal_id ORDER BY d.timing = 'Now' DESC LIMIT 1), "
    "(SELECT " OUTCOME_OF_D " FROM deals d WHERE d.call_id = scope.call_id "
    "ORDER BY d.timing = 'Now' DESC, d.amount IS NULL, d.amount DESC, d.deal_id LIMIT 1)), "
    "size_band = CASE WHEN NOT has_deal THEN 'no deal' WHEN company_size IS NULL THEN 'unknown' "
    "WHEN company_size < 50 THEN '1-49' WHEN company_size < 200 THEN '50-199' "
    "WHEN company_size < 1000 THEN '200-999' WHEN company_size < 5000 THEN '1000-4999' "
    "ELSE '5000+' END;"
    "CREATE INDEX temp.scope_call ON scope(call_id);";

/* Append ", <deal column col> AS deal_col". */
static int deal_col(struct buf *q, const struct filter *f, const char *col, struct err *e)
{
    int rc;

    if ((rc = buf_puts(q, ", ", e)) || (rc = filter_deal_column(f, col, q, e)))
        return rc;
    return buf_printf(q, e, " AS deal_%s", col);
}

int scope_build(sqlite3 *db, const struct filter *f, struct err *e)
{
    static const char *const deal_cols[] = {"deal_id", "deal_name",    "stage",
                                            "amount",  "company_name", "company_size"};
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc;

    buf_init(&q, 0);
    if ((rc = exec(db,
                   "DROP TABLE IF EXISTS temp.scope; DROP TABLE IF EXISTS temp.conv; "
                   "DROP TABLE IF EXISTS temp.conv_speakers",
                   e)))
        goto done;
    if ((rc = buf_printf(
             &q, e,
             "CREATE TEMP TABLE scope AS SELECT calls.id AS call_id, calls.title AS title, "
             "calls.url AS url, calls.started AS started, calls.duration AS duration, "
             "(ifnull(calls.scope, '') = 'External' COLLATE NOCASE OR EXISTS (SELECT 1 FROM "
             "parties p WHERE p.call_id = calls.id AND p.affiliation = 'External' COLLATE NOCASE)) "
             "AS external, 0 AS has_transcript, "
             "calls.primary_user_id AS primary_user_id, %s AS primary_rep, %s AS rep_user_id, "
             "CAST(NULL AS TEXT) AS rep, CAST(NULL AS TEXT) AS rep_email, "
             "EXISTS (SELECT 1 FROM deals d WHERE d.call_id = calls.id) AS has_deal",
             filter_primary_expr, runner_sql)))
        goto done;
    if ((rc = deal_col(&q, f, "rowid", e)))
        goto done;
    for (size_t i = 0; i < sizeof deal_cols / sizeof deal_cols[0]; i++)
        if ((rc = buf_printf(&q, e, ", NULL AS %s", deal_cols[i])))
            goto done;
    if ((rc = buf_puts(&q,
                       ", CAST(NULL AS TEXT) AS outcome, CAST(NULL AS TEXT) AS size_band, "
                       "substr(calls.started, 1, 7) AS month, "
                       "date(calls.started, '-6 days', 'weekday 1') AS week, "
                       "CAST(NULL AS TEXT) AS grp, CAST(NULL AS TEXT) AS grp_key "
                       "FROM calls WHERE ",
                       e)) ||
        (rc = filter_sql(f, &q, e)) || (rc = buf_puts(&q, " ORDER BY calls.id", e)))
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
    rc = exec(db, outcome_sql, e);
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

static const struct grouping {
    const char *by, *grp, *key;
} groupings[] = {
    {"rep", "ifnull(rep, '(unknown)')", "CASE WHEN rep IS NULL THEN '~' ELSE lower(rep) END"},
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
        if (!(rc = buf_printf(&q, e, "UPDATE scope SET grp = %s, grp_key = %s", groupings[i].grp,
                              groupings[i].key)))
            rc = exec(db, q.data, e);
        buf_release(&q);
        return rc;
    }
    return err_set(e, ERR_USAGE, "--by '%s': choose one of %s", by, SCOPE_BY_NAMES);
}

static const char conv_sql[] =
    "CREATE TEMP TABLE conv_speakers AS SELECT t.* FROM scope s, "
    "transcript_speakers(s.call_id) t WHERE s.has_transcript;"
    "CREATE INDEX temp.conv_speakers_call ON conv_speakers(call_id);"
    "CREATE TEMP TABLE conv AS SELECT s.call_id AS call_id, "
    "CAST(total(cs.talk_ms) FILTER (WHERE cs.side = 'rep') AS INTEGER) AS rep_ms, "
    "CAST(total(cs.talk_ms) FILTER (WHERE cs.side = 'customer') AS INTEGER) AS cust_ms, "
    "CAST(total(cs.talk_ms) FILTER (WHERE cs.side IS NULL) AS INTEGER) AS other_ms, "
    "CAST(total(cs.questions) FILTER (WHERE cs.side = 'rep') AS INTEGER) AS rep_questions, "
    "CAST(total(cs.questions) FILTER (WHERE cs.side = 'customer') AS INTEGER) "
    "AS cust_questions, "
    "max(cs.longest_turn_ms) FILTER (WHERE cs.side = 'rep') AS rep_longest_ms, "
    "max(cs.longest_turn_ms) FILTER (WHERE cs.side = 'customer') AS cust_longest_ms, "
    "CAST(total(cs.switches) FILTER (WHERE cs.side IS NOT NULL) AS INTEGER) AS switches, "
    "CAST(total(cs.reply_ms) FILTER (WHERE cs.side = 'rep') AS INTEGER) AS rep_reply_ms, "
    "CAST(total(cs.switches) FILTER (WHERE cs.side = 'rep') AS INTEGER) AS rep_replies, "
    "min(cs.first_ms) AS first_ms, max(cs.last_ms) AS last_ms, "
    "CASE WHEN s.duration > 0 THEN s.duration / 60.0 "
    "ELSE (max(cs.last_ms) - min(cs.first_ms)) / 60000.0 END AS minutes, "
    "CAST(NULL AS TEXT) AS top_speaker_id, CAST(NULL AS TEXT) AS top_user_id, "
    "CAST(NULL AS TEXT) AS top_name, CAST(NULL AS TEXT) AS top_email "
    "FROM scope s JOIN conv_speakers cs ON cs.call_id = s.call_id GROUP BY s.call_id;"
    "CREATE INDEX temp.conv_call ON conv(call_id);"
    "UPDATE conv SET top_speaker_id = (SELECT cs.speaker_id FROM conv_speakers cs "
    "WHERE cs.call_id = conv.call_id AND cs.side = 'rep' "
    "ORDER BY cs.talk_ms DESC, cs.speaker_id LIMIT 1);"
    "UPDATE conv SET top_user_id = (SELECT p.user_id FROM parties p "
    "WHERE p.call_id = conv.call_id AND p.speaker_id = conv.top_speaker_id "
    "ORDER BY p.ord LIMIT 1) WHERE top_speaker_id IS NOT NULL;"
    "UPDATE conv SET top_name = coalesce((SELECT nullif(trim(ifnull(u.first_name, '') || ' ' "
    "|| ifnull(u.last_name, '')), '') FROM users u WHERE u.id = conv.top_user_id), "
    "(SELECT p.name FROM parties p WHERE p.call_id = conv.call_id "
    "AND p.speaker_id = conv.top_speaker_id ORDER BY p.ord LIMIT 1)), "
    "top_email = coalesce((SELECT u.email FROM users u WHERE u.id = conv.top_user_id), "
    "(SELECT p.email FROM parties p WHERE p.call_id = conv.call_id "
    "AND p.speaker_id = conv.top_speaker_id ORDER BY p.ord LIMIT 1)) "
    "WHERE top_speaker_id IS NOT NULL;";

int scope_conv(sqlite3 *db, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int exists, rc;

    if (sqlite3_prepare_v2(db, "SELECT 1 FROM temp.sqlite_master WHERE name = 'conv'", -1, &st,
                           NULL) != SQLITE_OK)
        return err_set(e, ERR_DB, "build the conversation table: %s", sqlite3_errmsg(db));
    exists = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (exists)
        return ERR_OK;
    if ((rc = exec(db, "BEGIN", e)))
        return rc;
    if ((rc = exec(db, conv_sql, e))) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return err_wrap(e, "transcript measures");
    }
    return exec(db, "COMMIT", e);
}
