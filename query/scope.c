/* scope: the TEMP objects the analyses and the report read (see scope.h).
 *
 * One table holds data: temp.scope_ids, the ids of the calls the filter's condition
 * (filter.h) selects, with the three columns of the calls row the scope needs beside
 * call_facts', in a temporary file. The rest are views over it and the mirror's semantic
 * layer (call_facts, call_metrics), so a query over scope streams the mirror call by call in
 * id order: SQLite flattens the views into the query, and evaluates a column's subqueries
 * only for the columns a query reads. scope_calls has every column but the grouping; scope
 * adds grp and grp_key, and is re-created for each grouping. The main database is never
 * written: the connection is read-only, and TEMP objects live in the temporary database. */
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
/* SQL around macros, laid out as SQL: */
/* clang-format off */
static const char start_sql[] =
    "DROP VIEW IF EXISTS temp.scope; DROP VIEW IF EXISTS temp.conv; "
    "DROP VIEW IF EXISTS temp.conv_speakers; DROP VIEW IF EXISTS temp.scope_calls; "
    "DROP VIEW IF EXISTS temp.scope_base; DROP TABLE IF EXISTS temp.scope_rows; "
    "DROP TABLE IF EXISTS temp.scope_ids; DROP TABLE IF EXISTS temp.mention_hits; "
    "DROP TABLE IF EXISTS temp.scope_stats; "
    "DROP TABLE IF EXISTS temp.scope_people; DROP TABLE IF EXISTS temp.mention_scans; "
    "CREATE TEMP TABLE scope_ids(call_id TEXT PRIMARY KEY, rid INTEGER NOT NULL, "
    "primary_user_id TEXT, discovery INTEGER, gong_questions INTEGER) WITHOUT ROWID; "
    "CREATE TEMP TABLE mention_hits(pattern TEXT, flags TEXT, speaker TEXT, call_id TEXT, "
    "hits INTEGER, PRIMARY KEY(pattern, flags, speaker, call_id)) WITHOUT ROWID; "
    "CREATE TEMP TABLE mention_scans(pattern TEXT, flags TEXT, speaker TEXT, "
    "PRIMARY KEY(pattern, flags, speaker)) WITHOUT ROWID; "
    "CREATE TEMP TABLE scope_people(id TEXT PRIMARY KEY, name TEXT, email TEXT, label TEXT) "
    "WITHOUT ROWID; "
    "INSERT OR IGNORE INTO scope_people SELECT u.id, " USER_NAME("u") ", u.email, "
    USER_NAME("u") " FROM users u WHERE u.id IS NOT NULL; "
    "UPDATE scope_people SET label = name || ' <' || coalesce(email, id) || '>' "
    "WHERE lower(name) IN (SELECT lower(name) FROM scope_people WHERE name IS NOT NULL "
    "GROUP BY lower(name) HAVING count(*) > 1);";
/* clang-format on */

/* Every scope walks temp.scope_ids in call id order, the order of every per-call table it
 * reads (the stored facts, call_metrics, interaction_stats, parties, topics, trackers are
 * all keyed by call id first), so each lookup lands on the page the previous one read; the
 * calls table, in arrival order, is read once when the ids are listed (its three columns
 * the scope needs beside call_facts' are copied into scope_ids). Walking in arrival order
 * made every lookup a random read: the report's scope table took 1.47 s at 100,000 calls,
 * 0.67 s in id order.
 *
 * The call's columns, its deal as it stands (Now) and outcome are read from call_facts
 * (temp.call_facts: the stored facts, with the stages file's outcome; stages.h), joined as f
 * on its primary key. The rep's id and source come from call_metrics m and the primary user,
 * its name and e-mail from the Gong user (temp.scope_people ru), with call_facts' party
 * fallback from f when the user has none (coalesce stops at the first value): exactly
 * call_facts' rep, which a test checks call by call. SQLite (3.40) drops an unread LEFT
 * JOIN on a primary key only from a query that is not an aggregate, so every analysis makes
 * these lookups; in id order they cost little. */
#define SPEECH "(m.rep_speaker_id IS NOT NULL)"
#define REP_ID "(CASE WHEN " SPEECH " THEN m.rep_user_id ELSE s.primary_user_id END)"

/* A discovery call: Gong's purpose says Discovery, or the title names a discovery or an
 * intro(duction) call, the words reps give first meetings (see scope.h); computed from the
 * calls row when the scope's ids are listed. */
#define DISCOVERY                                                                                  \
    "(ifnull(calls.purpose, '') LIKE '%discovery%' OR ifnull(calls.title, '') LIKE "               \
    "'%discovery%' OR ifnull(calls.title, '') LIKE '%intro%')"

/* Gong's own interaction stats, by their names in interaction_stats, and the scope columns
 * they become. */
static const struct gong_stat {
    const char *name, *col;
} gong_stats[] = {
    {"Talk Ratio", "gong_talk_ratio"},
    {"Longest Monologue", "gong_longest_monologue_s"},
    {"Longest Customer Story", "gong_longest_story_s"},
    {"Patience", "gong_patience_s"},
    {"Interactivity", "gong_interactivity"},
};
#define N_GONG_STATS (sizeof gong_stats / sizeof gong_stats[0])

/* Where the scope reads Gong's stats, call by call: interaction_stats through its index
 * interaction_stats_call. A first load builds that index only at its end (ingest/bulk.h):
 * while the mirror lacks it (the load still running, or killed), each lookup would scan the
 * whole table, so scope_build copies the five stats into temp.scope_stats with the same
 * index instead, in the read transaction that lists the scope's ids. */
#define STATS_INDEXED "main.interaction_stats"
#define STATS_COPY "temp.scope_stats"

/* Make temp.scope_stats when the mirror has no interaction_stats_call. */
static int copy_stats_if_unindexed(sqlite3 *db, struct err *e)
{
    sqlite3_stmt *st = NULL;
    struct buf q;
    int rc, indexed;

    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM main.sqlite_schema WHERE type = 'index' AND "
                           "name = 'interaction_stats_call'",
                           -1, &st, NULL) != SQLITE_OK)
        return err_set(e, ERR_DB, "build the scope: %s", sqlite3_errmsg(db));
    rc = sqlite3_step(st);
    indexed = rc == SQLITE_ROW;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return err_set(e, ERR_DB, "build the scope: %s", sqlite3_errmsg(db));
    if (indexed)
        return ERR_OK;
    buf_init(&q, 0);
    rc = buf_puts(&q,
                  "CREATE TEMP TABLE scope_stats AS SELECT call_id, name, value FROM "
                  "main.interaction_stats WHERE name IN (",
                  e);
    for (size_t i = 0; i < N_GONG_STATS && !rc; i++)
        rc = buf_printf(&q, e, "%s'%s'", i ? ", " : "", gong_stats[i].name);
    if (!rc && !(rc = buf_puts(&q,
                               "); CREATE INDEX temp.scope_stats_call ON "
                               "scope_stats(call_id, name, value);",
                               e)))
        rc = exec(db, q.data, e);
    buf_release(&q);
    return rc;
}

/* STATS_COPY when scope_build made it, else STATS_INDEXED. */
static const char *stats_table(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int copy = 0;

    if (sqlite3_prepare_v2(db, "SELECT 1 FROM temp.sqlite_schema WHERE name = 'scope_stats'", -1,
                           &st, NULL) == SQLITE_OK)
        copy = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return copy ? STATS_COPY : STATS_INDEXED;
}

/* How the view reads the call's deal with --deal-timing call: its deal rows joined once per
 * call (the report, and a question that reads deal columns), or looked up in a subquery per
 * column read, so that a question that reads none (most per-rep analyses) pays no lookup.
 * In the Now timing every deal column is call_facts'. */
struct deal_src {
    int call_timing; /* --deal-timing call (else every deal column comes from call_facts) */
    int joined;      /* the LEFT JOINs dn and dt; else subqueries over x */
};

/* The deal row a subquery reads, as x: the TimeOfCall row when the call has one, else the
 * Now row. */
static int lazy_from(struct buf *q, struct err *e)
{
    return buf_puts(q,
                    " FROM deals x WHERE x.call_id = s.call_id AND x.ord = 0 AND x.timing IN "
                    "('Now', 'TimeOfCall') ORDER BY x.timing = 'TimeOfCall' DESC LIMIT 1)",
                    e);
}

/* Append the expression of deal column col as the scope reads it: the Now row (f), or with
 * --deal-timing call the TimeOfCall row when the call has one, else the Now row. */
static int deal_col(struct buf *q, const struct deal_src *d, const char *col, struct err *e)
{
    int rc;

    if (!d->call_timing)
        return buf_printf(q, e, "f.%s", col);
    if (!d->joined)
        return (rc = buf_printf(q, e, "(SELECT x.%s", col)) ? rc : lazy_from(q, e);
    return buf_printf(q, e, "CASE WHEN dt.rowid IS NOT NULL THEN dt.%s ELSE dn.%s END", col, col);
}

/* The rest of "CASE WHEN size ..." for size_band: the bands of employees. */
static int bands(struct buf *q, const char *size, struct err *e)
{
    return buf_printf(q, e,
                      "IS NULL THEN 'unknown' WHEN %s < 50 THEN '1-49' WHEN %s < 200 THEN "
                      "'50-199' WHEN %s < 1000 THEN '200-999' WHEN %s < 5000 THEN '1000-4999' "
                      "ELSE '5000+' END",
                      size, size, size, size);
}

/* The columns has_deal .. size_band of scope_base. In the Now timing, all from call_facts
 * (a call has a deal when its outcome is not NULL); with --deal-timing call, the
 * TimeOfCall row when the call has one, else the Now row, joined once or looked up per
 * column read. owner, close_date and outcome are the Now deal's whatever the timing, as
 * call_facts has them. */
static int deal_columns(struct buf *q, const struct deal_src *d, struct err *e)
{
    static const char *const deal_cols[] = {"deal_id", "deal_name",    "stage",
                                            "amount",  "company_name", "company_size"};
    int rc;

    if (!d->call_timing)
        rc = buf_puts(q, "(f.outcome IS NOT NULL) AS has_deal", e);
    else if (d->joined)
        rc = buf_puts(q, "(dn.rowid IS NOT NULL OR dt.rowid IS NOT NULL) AS has_deal", e);
    else if (!(rc = buf_puts(q, "EXISTS (SELECT 1", e)) && !(rc = lazy_from(q, e)))
        rc = buf_puts(q, " AS has_deal", e);
    for (size_t i = 0; i < sizeof deal_cols / sizeof deal_cols[0] && !rc; i++)
        if (!(rc = buf_puts(q, ", ", e)) && !(rc = deal_col(q, d, deal_cols[i], e)))
            rc = buf_printf(q, e, " AS %s", deal_cols[i]);
    if (rc || (rc = buf_puts(q,
                             ", f.owner AS owner, f.close_date AS close_date, "
                             "f.outcome AS outcome, ",
                             e)))
        return rc;
    if (!d->call_timing) {
        if ((rc = buf_puts(q, "CASE WHEN f.outcome IS NULL THEN 'no deal' WHEN f.company_size ",
                           e)) ||
            (rc = bands(q, "f.company_size", e)))
            return rc;
        return buf_puts(q, " AS size_band", e);
    }
    if (d->joined) {
        if ((rc = buf_puts(q,
                           "CASE WHEN dn.rowid IS NULL AND dt.rowid IS NULL THEN 'no deal' "
                           "WHEN CASE WHEN dt.rowid IS NOT NULL THEN dt.company_size ELSE "
                           "dn.company_size END ",
                           e)) ||
            (rc = bands(q,
                        "(CASE WHEN dt.rowid IS NOT NULL THEN dt.company_size ELSE "
                        "dn.company_size END)",
                        e)))
            return rc;
        return buf_puts(q, " AS size_band", e);
    }
    if ((rc = buf_puts(q, "ifnull((SELECT CASE WHEN x.company_size ", e)) ||
        (rc = bands(q, "x.company_size", e)) || (rc = lazy_from(q, e)))
        return rc;
    return buf_puts(q, ", 'no deal') AS size_band", e);
}

/* The view scope_base: the calls in scope with every column but Gong's stats and the
 * grouping (see scope.h). One row per call: the deal rows are joined (or looked up) on their
 * unique (call_id, timing, ord = 0), so the join adds no row. */
static int base_view(struct buf *q, const struct deal_src *d, struct err *e)
{
    int rc;

    /* SQL around macros, laid out as SQL: */
    /* clang-format off */
    if ((rc = buf_puts(
             q,
             "CREATE TEMP VIEW scope_base AS SELECT s.call_id AS call_id, f.title AS title, "
             "f.url AS url, f.started AS started, f.duration AS duration, "
             "f.is_private AS is_private, "
             "CASE WHEN ifnull(f.scope, '') = 'External' COLLATE NOCASE THEN 1 ELSE EXISTS ("
             "SELECT 1 FROM parties p WHERE p.call_id = s.call_id AND p.affiliation = "
             "'External' COLLATE NOCASE) END AS external, "
             "ifnull(m.sentences > 0, 0) AS has_transcript, " REP_ID " AS rep_id, "
             "coalesce(ru.name, f.rep_name) AS rep_name, "
             "coalesce(ru.email, f.rep_email) AS rep_email, "
             "CASE WHEN " SPEECH " THEN 'speech' WHEN s.primary_user_id IS NOT NULL "
             "THEN 'primary' END AS rep_source, "
             /* without a user id the name is the party's (call_facts' fallback) */
             "coalesce(" REP_ID ", f.rep_name) AS rep_key, "
             "coalesce(ru.label, f.rep_name, f.rep_email, " REP_ID ", '(unknown)') AS rep_label, "
             REP_ID " AS rep_user_id, coalesce(ru.name, f.rep_name) AS rep, "
             "s.primary_user_id AS primary_user_id, "
             "coalesce(pu.name, "
             "(SELECT p.name FROM parties p WHERE p.call_id = s.call_id "
             "AND p.user_id = s.primary_user_id AND p.name IS NOT NULL ORDER BY p.ord LIMIT 1)) "
             "AS primary_rep, ",
             e)) ||
        (rc = deal_columns(q, d, e)))
        return rc;
    /* clang-format on */
    if ((rc = buf_puts(
             q,
             ", substr(f.started, 1, 7) AS month, date(f.started, '-6 days', 'weekday 1') AS week, "
             "s.discovery AS discovery, "
             "m.call_id IS NOT NULL AS has_metrics, m.sentences AS sentences, "
             "m.rep_talk_ms AS rep_talk_ms, m.customer_talk_ms AS customer_talk_ms, "
             "m.rep_questions AS rep_questions, m.customer_questions AS customer_questions, "
             "m.rep_longest_ms AS rep_longest_ms, m.customer_longest_ms AS customer_longest_ms, "
             "m.switches AS switches, m.rep_replies AS rep_replies, "
             "m.rep_reply_ms AS rep_reply_ms, m.first_ms AS first_ms, m.last_ms AS last_ms, "
             "s.gong_questions AS gong_questions "
             "FROM temp.scope_ids s LEFT JOIN temp.call_facts f ON f.call_id = s.call_id "
             "LEFT JOIN call_metrics m ON m.call_id = s.call_id "
             "LEFT JOIN temp.scope_people ru ON ru.id = " REP_ID " "
             "LEFT JOIN temp.scope_people pu ON pu.id = s.primary_user_id",
             e)))
        return rc;
    if (d->joined && d->call_timing &&
        (rc = buf_puts(q,
                       " LEFT JOIN deals dn ON dn.call_id = s.call_id AND "
                       "dn.timing = 'Now' AND dn.ord = 0 LEFT JOIN deals dt ON dt.call_id = "
                       "s.call_id AND dt.timing = 'TimeOfCall' AND dt.ord = 0",
                       e)))
        return rc;
    return buf_puts(q, ";", e);
}

/* The view scope_calls: scope_base and Gong's stats, each looked up only when a query reads
 * it. */
static int calls_view(struct buf *q, const char *stats, struct err *e)
{
    int rc = buf_puts(q, "CREATE TEMP VIEW scope_calls AS SELECT b.*", e);

    for (size_t i = 0; i < N_GONG_STATS && !rc; i++)
        rc = buf_printf(q, e,
                        ", (SELECT g.value FROM %s g WHERE g.call_id = b.call_id "
                        "AND g.name = '%s' LIMIT 1) AS %s",
                        stats, gong_stats[i].name, gong_stats[i].col);
    return rc ? rc : buf_puts(q, " FROM scope_base b;", e);
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

int scope_build(sqlite3 *db, const struct filter *f, int deals, struct err *e)
{
    struct deal_src d = {.call_timing = f->timing == FILTER_TIMING_CALL, .joined = deals};
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc;

    buf_init(&q, 0);
    if ((rc = exec(db, "BEGIN", e)))
        return rc;
    if ((rc = exec(db, start_sql, e)))
        goto done;
    if ((rc = buf_puts(&q,
                       "INSERT INTO temp.scope_ids SELECT calls.id, calls.rowid, "
                       "calls.primary_user_id, " DISCOVERY ", calls.questions_company "
                       "FROM calls WHERE +calls.id IS NOT NULL AND ",
                       e)) ||
        (rc = filter_sql(f, &q, e)) ||
        (rc = buf_puts(&q, " ORDER BY +calls.id", e))) /* appended in key order: faster */
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
    sqlite3_finalize(st);
    st = NULL;
    buf_reset(&q);
    if ((rc = copy_stats_if_unindexed(db, e)) || (rc = base_view(&q, &d, e)) ||
        (rc = calls_view(&q, stats_table(db), e)) || (rc = buf_puts(&q, compat_sql, e)) ||
        (rc = exec(db, q.data, e)) || (rc = scope_group(db, "all", e)))
        goto done;
    rc = exec(db, "COMMIT", e);
done:
    sqlite3_finalize(st);
    if (rc)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    buf_release(&q);
    return rc;
}

/* The columns scope_materialize leaves out of its table, and how scope_calls reads them back:
 * from call_facts (a lookup on its key, in the table's id order, made only by a query that
 * reads the column: a subquery, since SQLite drops an unread LEFT JOIN only from a query
 * that is not an aggregate), or from other columns of the table. Each is what scope_base
 * defines: title, url, owner and close_date are f's there too; rep_key is the rep's id, else
 * the name f gives (rep_name, since without an id no user is joined); rep_user_id and rep
 * are rep_id and rep_name; month is the start's first seven characters. A narrower table is
 * fewer pages for each of the report's twenty passes over it. */
#define FACT(col) "(SELECT f." col " FROM temp.call_facts f WHERE f.call_id = r.call_id)"
static const struct derived {
    const char *col, *expr;
} derived[] = {
    {"title", FACT("title")},
    {"url", FACT("url")},
    {"rep_key", "coalesce(r.rep_id, r.rep_name)"},
    {"rep_user_id", "r.rep_id"},
    {"rep", "r.rep_name"},
    {"owner", FACT("owner")},
    {"close_date", FACT("close_date")},
    {"month", "substr(r.started, 1, 7)"},
};
#define N_DERIVED (sizeof derived / sizeof derived[0])

/* How scope_calls reads col back (a derived column's expression, or with lazy_stats one of
 * Gong's stats as scope_calls' own lookup), into b; 0 when col is a column of the table. */
static int derived_expr(const char *col, int lazy_stats, const char *stats, struct buf *b,
                        struct err *e, int *rc)
{
    for (size_t i = 0; i < N_DERIVED; i++)
        if (strcmp(derived[i].col, col) == 0)
            return (*rc = buf_puts(b, derived[i].expr, e)), 1;
    for (size_t i = 0; lazy_stats && i < N_GONG_STATS; i++)
        if (strcmp(gong_stats[i].col, col) == 0)
            return (*rc = buf_printf(b, e,
                                     "(SELECT g.value FROM %s g WHERE g.call_id "
                                     "= r.call_id AND g.name = '%s' LIMIT 1)",
                                     stats, gong_stats[i].name)),
                   1;
    return 0;
}

/* The view scope_calls, written into the table scope_rows (but the derived columns), in id
 * order: Gong's stats are looked up call by call, each on the page of interaction_stats_call
 * the previous call read (pivoting them with a GROUP BY joined to the scope cost 0.15 s more
 * at 100,000 calls). scope_calls is then a view over the table with every column in its
 * place. */
int scope_materialize(sqlite3 *db, int lazy_stats, struct err *e)
{
    struct buf cols, view, table;
    sqlite3_stmt *st = NULL;
    const char *stats = stats_table(db);
    int rc = ERR_OK, n = 0, step = SQLITE_DONE;

    buf_init(&cols, 0);
    buf_init(&view, 0);
    buf_init(&table, 0);
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('scope_calls', 'temp')", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = err_set(e, ERR_DB, "build the scope: %s", sqlite3_errmsg(db));
        goto done;
    }
    rc = buf_puts(&view, "CREATE TEMP VIEW scope_calls AS SELECT ", e);
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);

        if (!col)
            continue;
        if ((rc = buf_puts(&view, n++ ? ", " : "", e)))
            break;
        if (derived_expr(col, lazy_stats, stats, &view, e, &rc)) {
            if (!rc)
                rc = buf_printf(&view, e, " AS %s", col);
            continue;
        }
        if (!(rc = buf_printf(&cols, e, "%s%s", cols.len ? ", " : "", col)))
            rc = buf_printf(&view, e, "r.%s AS %s", col, col);
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "build the scope: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    st = NULL;
    if (rc || (rc = buf_puts(&view, " FROM temp.scope_rows r", e)))
        goto done;
    if ((rc = buf_printf(&table, e,
                         "BEGIN; DROP TABLE IF EXISTS temp.scope_rows; CREATE TEMP TABLE "
                         "scope_rows AS SELECT %s FROM scope_calls; DROP VIEW scope_calls",
                         cols.data)) ||
        (rc = exec(db, table.data, e)) || (rc = exec(db, view.data, e)) ||
        (rc = exec(db, "COMMIT", e)))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
done:
    sqlite3_finalize(st);
    buf_release(&cols);
    buf_release(&view);
    buf_release(&table);
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

int scope_reads_deals(const char *sql, const char *by)
{
    static const char *const words[] = {"deal",  "stage",      "amount",  "company",
                                        "owner", "close_date", "outcome", "size_band"};

    if (strcmp(by, "stage") == 0 || strcmp(by, "outcome") == 0 || strcmp(by, "company-size") == 0)
        return 1;
    while (*sql) {
        if (sql[0] == '-' && sql[1] == '-') { /* a comment, to the end of its line */
            sql += strcspn(sql, "\n");
            continue;
        }
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            if (sqlite3_strnicmp(sql, words[i], (int)strlen(words[i])) == 0)
                return 1;
        sql++;
    }
    return 0;
}
