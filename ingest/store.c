/* store: the parsed pages of parse.h written into the mirror's tables (sqlite3 only).
 *
 * All statements are prepared once by store_open() and reset after every use; values are
 * bound, never formatted into SQL. Nothing here begins or ends a transaction: the caller
 * wraps each API page (and its checkpoint) in one. Change detection keeps repeated runs
 * from writing anything: a call is skipped when its raw JSON digest is the one stored, a
 * user when its raw JSON is byte-identical, a transcript when its compressed body, size
 * and monologues are identical, and the transcript queue's transitions only fire on a
 * real change of state. A transcript's n-gram filter (grams.h, table transcript_grams) is
 * written with it (during a first load, after it: store_defer_grams), and also when an
 * unchanged transcript has lost its row; so are its sentences in the search index
 * (search_index.h), the replaced text's removed first.
 *
 * Transcript retry times (next_try, last_try) are written with milliseconds always
 * (2024-03-01T17:01:12.000Z) so that they compare as text with a `now` normalised the same
 * way. */
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "db.h"
#include "facts.h"
#include "grams.h"
#include "isotime.h"
#include "metrics.h"
#include "search_index.h"
#include "zblob.h"

#include "banned.h"

enum {
    S_USER_GET,
    S_USER_PUT,
    S_CALL_GET,
    S_CALL_PUT,
    S_RAW_PUT,
    S_TOC_HAS,
    S_DEL_PARTIES,
    S_DEL_CRM,
    S_DEL_DEALS,
    S_DEL_TOPICS,
    S_DEL_STRUCTURE,
    S_DEL_TRACKERS,
    S_DEL_OCCURRENCES,
    S_DEL_SPEAKERS,
    S_DEL_STATS,
    S_DEL_KEY_POINTS,
    S_DEL_ACTION_ITEMS,
    S_INS_PARTY,
    S_INS_CRM,
    S_INS_DEAL,
    S_INS_TOPIC,
    S_INS_STRUCTURE,
    S_INS_TRACKER,
    S_INS_OCCURRENCE,
    S_INS_SPEAKER,
    S_INS_STAT,
    S_INS_KEY_POINT,
    S_INS_ACTION_ITEM,
    S_QUEUE,
    S_TR_GET,
    S_TR_PUT,
    S_GRAMS_PUT,
    S_TS_DONE,
    S_TS_GET,
    S_TS_WAIT,
    S_DUE,
    S_PENDING,
    S_PARTIES_OF,
    S_TR_BODY,
    S_METRICS_PUT,
    S_CRM_USER_PUT,
    S_FACTS_PUT,
    S_DIRTY_PEOPLE,
    S_PERSON_ADD,
    S_COUNT
};

static const char *const sql[S_COUNT] = {
    [S_USER_GET] = "SELECT raw, email FROM users WHERE id = ?1",
    [S_USER_PUT] =
        "INSERT INTO users(id, email, first_name, last_name, title, manager_id, active, "
        "created, phone_number, extension, trusted_email, email_aliases, raw) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
        "ON CONFLICT(id) DO UPDATE SET email = excluded.email, "
        "first_name = excluded.first_name, last_name = excluded.last_name, "
        "title = excluded.title, manager_id = excluded.manager_id, active = excluded.active, "
        "created = excluded.created, phone_number = excluded.phone_number, "
        "extension = excluded.extension, trusted_email = excluded.trusted_email, "
        "email_aliases = excluded.email_aliases, raw = excluded.raw",
    [S_CALL_GET] = "SELECT (SELECT digest FROM calls_raw WHERE call_id = ?1), "
                   "EXISTS (SELECT 1 FROM calls WHERE id = ?1)",
    [S_CALL_PUT] =
        "INSERT INTO calls(id, url, title, scheduled, started, duration, direction, scope, "
        "system, media, language, workspace_id, primary_user_id, purpose, is_private, "
        "sdr_disposition, client_unique_id, custom_data, meeting_url, calendar_event_id, "
        "brief, outcome_id, outcome_category, outcome_name, questions_company, "
        "questions_non_company, first_mirrored, last_changed) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
        "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?27) "
        "ON CONFLICT(id) DO UPDATE SET url = excluded.url, title = excluded.title, "
        "scheduled = excluded.scheduled, started = excluded.started, "
        "duration = excluded.duration, direction = excluded.direction, "
        "scope = excluded.scope, system = excluded.system, media = excluded.media, "
        "language = excluded.language, workspace_id = excluded.workspace_id, "
        "primary_user_id = excluded.primary_user_id, purpose = excluded.purpose, "
        "is_private = excluded.is_private, sdr_disposition = excluded.sdr_disposition, "
        "client_unique_id = excluded.client_unique_id, custom_data = excluded.custom_data, "
        "meeting_url = excluded.meeting_url, calendar_event_id = excluded.calendar_event_id, "
        "brief = excluded.brief, outcome_id = excluded.outcome_id, "
        "outcome_category = excluded.outcome_category, outcome_name = excluded.outcome_name, "
        "questions_company = excluded.questions_company, "
        "questions_non_company = excluded.questions_non_company, "
        "last_changed = excluded.last_changed",
    [S_RAW_PUT] = "INSERT INTO calls_raw(call_id, size, body, digest) VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT(call_id) DO UPDATE SET size = excluded.size, "
                  "body = excluded.body, digest = excluded.digest",
    [S_TOC_HAS] = "SELECT EXISTS (SELECT 1 FROM crm_fields WHERE call_id = ?1 AND "
                  "timing = 'TimeOfCall') OR EXISTS (SELECT 1 FROM deals WHERE call_id = ?1 "
                  "AND timing = 'TimeOfCall')",
    [S_DEL_PARTIES] = "DELETE FROM parties WHERE call_id = ?1",
    [S_DEL_CRM] = "DELETE FROM crm_fields WHERE call_id = ?1 AND timing IS NOT 'TimeOfCall'",
    [S_DEL_DEALS] = "DELETE FROM deals WHERE call_id = ?1 AND timing IS NOT 'TimeOfCall'",
    [S_DEL_TOPICS] = "DELETE FROM topics WHERE call_id = ?1",
    [S_DEL_STRUCTURE] = "DELETE FROM call_structure WHERE call_id = ?1",
    [S_DEL_TRACKERS] = "DELETE FROM trackers WHERE call_id = ?1",
    [S_DEL_OCCURRENCES] = "DELETE FROM tracker_occurrences WHERE call_id = ?1",
    [S_DEL_SPEAKERS] = "DELETE FROM speakers WHERE call_id = ?1",
    [S_DEL_STATS] = "DELETE FROM interaction_stats WHERE call_id = ?1",
    [S_DEL_KEY_POINTS] = "DELETE FROM key_points WHERE call_id = ?1",
    [S_DEL_ACTION_ITEMS] = "DELETE FROM action_items WHERE call_id = ?1",
    [S_INS_PARTY] = "INSERT INTO parties(call_id, ord, party_id, speaker_id, user_id, name, "
                    "email, title, affiliation, phone_number, methods) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [S_INS_CRM] = "INSERT INTO crm_fields(call_id, party_ord, system, object_type, object_id, "
                  "timing, name, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    /* ord (?13): the position in Gong's order among the rows of this timing, counted by
     * put_crm (the call's rows of the timing were deleted first, or the timing is written
     * whole); put_crm also skips what deals_key would refuse, so the insert needs no index */
    [S_INS_DEAL] = "INSERT INTO deals(call_id, timing, system, deal_id, deal_name, stage, "
                   "amount, owner, close_date, company_id, company_name, company_size, ord) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                   "ON CONFLICT DO NOTHING",
    [S_INS_TOPIC] = "INSERT INTO topics(call_id, name, duration) VALUES (?1, ?2, ?3)",
    [S_INS_STRUCTURE] = "INSERT INTO call_structure(call_id, ord, name, duration) "
                        "VALUES (?1, ?2, ?3, ?4)",
    [S_INS_TRACKER] = "INSERT INTO trackers(call_id, tracker_id, name, type, count) "
                      "VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_INS_OCCURRENCE] = "INSERT INTO tracker_occurrences(call_id, tracker_id, start_s, "
                         "speaker_id, ord) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_INS_SPEAKER] = "INSERT INTO speakers(call_id, speaker, user_id, talk_time) "
                      "VALUES (?1, ?2, ?3, ?4)",
    [S_INS_STAT] = "INSERT INTO interaction_stats(call_id, name, value) VALUES (?1, ?2, ?3)",
    [S_INS_KEY_POINT] = "INSERT INTO key_points(call_id, ord, text) VALUES (?1, ?2, ?3)",
    [S_INS_ACTION_ITEM] = "INSERT INTO action_items(call_id, ord, start_s, end_s, speaker_id, "
                          "snippet) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_QUEUE] = "INSERT INTO transcript_status(call_id, state) VALUES (?1, ?2) "
                "ON CONFLICT(call_id) DO UPDATE SET state = excluded.state "
                "WHERE (state = 'private' AND excluded.state = 'pending') "
                "OR (state IN ('pending', 'waiting') AND excluded.state = 'private')",
    [S_TR_GET] = "SELECT size, body, monologues, "
                 "EXISTS (SELECT 1 FROM transcript_grams WHERE call_id = ?1), "
                 "EXISTS (SELECT 1 FROM call_metrics WHERE call_id = ?1) "
                 "FROM transcripts WHERE call_id = ?1",
    [S_TR_PUT] = "INSERT INTO transcripts(call_id, size, body, sentences, monologues, fetched) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                 "ON CONFLICT(call_id) DO UPDATE SET size = excluded.size, "
                 "body = excluded.body, sentences = excluded.sentences, "
                 "monologues = excluded.monologues, fetched = excluded.fetched",
    [S_GRAMS_PUT] = "INSERT INTO transcript_grams(call_id, bits) VALUES (?1, ?2) "
                    "ON CONFLICT(call_id) DO UPDATE SET bits = excluded.bits",
    [S_TS_DONE] = "INSERT INTO transcript_status(call_id, state, attempts, next_try, last_try) "
                  "VALUES (?1, 'done', 0, NULL, ?2) "
                  "ON CONFLICT(call_id) DO UPDATE SET state = 'done', next_try = NULL, "
                  "last_try = excluded.last_try WHERE state <> 'done'",
    [S_TS_GET] = "SELECT state, attempts FROM transcript_status WHERE call_id = ?1",
    [S_TS_WAIT] = "INSERT INTO transcript_status(call_id, state, attempts, next_try, last_try) "
                  "VALUES (?1, 'waiting', ?2, ?3, ?4) "
                  "ON CONFLICT(call_id) DO UPDATE SET state = 'waiting', "
                  "attempts = excluded.attempts, next_try = excluded.next_try, "
                  "last_try = excluded.last_try",
    [S_DUE] = "SELECT s.call_id FROM transcript_status AS s "
              "LEFT JOIN calls AS c ON c.id = s.call_id "
              "WHERE s.state = 'pending' OR (s.state = 'waiting' AND s.next_try <= ?1) "
              "ORDER BY c.started, s.call_id LIMIT ?2",
    [S_PENDING] = "SELECT count(*) FROM transcript_status "
                  "WHERE state = 'pending' OR (state = 'waiting' AND next_try <= ?1)",
    [S_PARTIES_OF] = "SELECT speaker_id, affiliation, user_id FROM parties WHERE call_id = ?1 "
                     "AND speaker_id IS NOT NULL AND speaker_id <> '' ORDER BY ord",
    [S_TR_BODY] = "SELECT size, body FROM transcripts WHERE call_id = ?1",
    [S_METRICS_PUT] =
        "INSERT INTO call_metrics(call_id, sentences, rep_speaker_id, rep_user_id, rep_talk_ms, "
        "customer_talk_ms, other_talk_ms, rep_questions, customer_questions, rep_longest_ms, "
        "customer_longest_ms, switches, rep_replies, rep_reply_ms, first_ms, last_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
        "ON CONFLICT(call_id) DO UPDATE SET sentences = excluded.sentences, "
        "rep_speaker_id = excluded.rep_speaker_id, rep_user_id = excluded.rep_user_id, "
        "rep_talk_ms = excluded.rep_talk_ms, customer_talk_ms = excluded.customer_talk_ms, "
        "other_talk_ms = excluded.other_talk_ms, rep_questions = excluded.rep_questions, "
        "customer_questions = excluded.customer_questions, "
        "rep_longest_ms = excluded.rep_longest_ms, "
        "customer_longest_ms = excluded.customer_longest_ms, switches = excluded.switches, "
        "rep_replies = excluded.rep_replies, rep_reply_ms = excluded.rep_reply_ms, "
        "first_ms = excluded.first_ms, last_ms = excluded.last_ms",
    /* a changed name or e-mail is rewritten, an identical row is not */
    [S_CRM_USER_PUT] = "INSERT INTO crm_users(crm_id, system, name, email) VALUES (?1, ?2, ?3, ?4) "
                       "ON CONFLICT(crm_id) DO UPDATE SET system = excluded.system, "
                       "name = excluded.name, email = excluded.email "
                       "WHERE system IS NOT excluded.system OR name IS NOT excluded.name "
                       "OR email IS NOT excluded.email",
    [S_FACTS_PUT] = facts_refresh_sql,
    /* the calls whose stored facts name a person or CRM owner in temp.facts_people: as
     * their rep (by user id), or as their deal's owner (the owner value, or the CRM user it
     * names, matched to an e-mail or a CRM id) */
    [S_DIRTY_PEOPLE] = "INSERT OR IGNORE INTO temp.facts_dirty(call_id) SELECT f.call_id FROM "
                       "call_facts_stored f WHERE f.rep_id IN (SELECT k FROM temp.facts_people) "
                       "OR f.owner IN (SELECT k FROM temp.facts_people) "
                       "OR lower(f.owner) IN (SELECT lower(k) FROM temp.facts_people) "
                       "OR f.owner IN (SELECT cu.crm_id FROM crm_users cu WHERE lower(cu.email) IN "
                       "(SELECT lower(k) FROM temp.facts_people))",
    [S_PERSON_ADD] = "INSERT OR IGNORE INTO temp.facts_people(k) VALUES (?1)",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
    struct zblob_codec *z;
    struct buf zbuf;    /* the compressed blob being written */
    int bind_rc;        /* first failing sqlite3_bind_* result since the last step */
    int last_rc;        /* SQLite's result of the last failed step */
    char last_msg[160]; /* and its message, kept before the reset */

    unsigned char grams[GRAMS_BYTES]; /* the n-gram filter being written */
    struct metrics_conv mc, mc_old;   /* a call's conversation; its parties before a re-store */
    struct buf text;                  /* an inflated transcript */
    struct search_index *search;      /* the FTS5 sentence index (search_index.h) */
    unsigned char *deal_dup;          /* per deals row of the call being written: skipped */
    size_t deal_cap;
    int facts_deferred;     /* a first load: call_facts_stored is built at its end (facts.h) */
    int grams_deferred;     /* a first load: transcript_grams written at its end (backfill.h) */
    int people_changed;     /* temp.facts_people has rows: a user or CRM user changed */
    int facts_batch;        /* a transcripts page is being stored: refresh at its end */
    struct buf facts_later; /* those calls' ids, each ended by a NUL */
};

/* ---- statement helpers ------------------------------------------------------------------- */

static void bind_rc(struct store *s, int rc)
{
    if (rc != SQLITE_OK && s->bind_rc == SQLITE_OK)
        s->bind_rc = rc;
}

static void b_null(struct store *s, sqlite3_stmt *st, int i)
{
    bind_rc(s, sqlite3_bind_null(st, i));
}

static void b_text(struct store *s, sqlite3_stmt *st, int i, const char *v)
{
    bind_rc(s, v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i));
}

static void b_textn(struct store *s, sqlite3_stmt *st, int i, const char *v, size_t n)
{
    bind_rc(s, v ? sqlite3_bind_text64(st, i, v, n, SQLITE_STATIC, SQLITE_UTF8)
                 : sqlite3_bind_null(st, i));
}

static void b_blob(struct store *s, sqlite3_stmt *st, int i, const void *p, size_t n)
{
    /* a NULL pointer would bind NULL; an empty blob must stay a (zero-length) blob */
    bind_rc(s, sqlite3_bind_blob64(st, i, p ? p : "", n, SQLITE_STATIC));
}

static void b_int(struct store *s, sqlite3_stmt *st, int i, int64_t v)
{
    bind_rc(s, sqlite3_bind_int64(st, i, v));
}

static void b_i64(struct store *s, sqlite3_stmt *st, int i, struct parse_i64 v)
{
    bind_rc(s, v.set ? sqlite3_bind_int64(st, i, v.v) : sqlite3_bind_null(st, i));
}

static void b_f64(struct store *s, sqlite3_stmt *st, int i, struct parse_f64 v)
{
    bind_rc(s, v.set ? sqlite3_bind_double(st, i, v.v) : sqlite3_bind_null(st, i));
}

/* A CRM value with its JSON type kept as SQLite's. */
static void b_value(struct store *s, sqlite3_stmt *st, int i, const struct deals_value *v)
{
    if (!v) {
        b_null(s, st, i);
        return;
    }
    switch (v->type) {
    case DEALS_V_INT:
    case DEALS_V_BOOL: b_int(s, st, i, v->i); break;
    case DEALS_V_REAL: bind_rc(s, sqlite3_bind_double(st, i, v->d)); break;
    case DEALS_V_TEXT:
    case DEALS_V_JSON: b_textn(s, st, i, v->s, v->len); break;
    default: b_null(s, st, i);
    }
}

/* Record a failed step's code and message, then reset. */
static int step_failed(struct store *s, sqlite3_stmt *st, int rc)
{
    s->last_rc = rc;
    snprintf(s->last_msg, sizeof s->last_msg, "%s", sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    return ERR_DB;
}

static int bind_failed(struct store *s, sqlite3_stmt *st)
{
    s->last_rc = s->bind_rc;
    snprintf(s->last_msg, sizeof s->last_msg, "bind: %s", sqlite3_errstr(s->bind_rc));
    s->bind_rc = SQLITE_OK;
    sqlite3_reset(st);
    return ERR_DB;
}

/* Run a statement that returns no rows (or whose rows are not wanted), then reset it. */
static int run(struct store *s, sqlite3_stmt *st)
{
    int rc;

    if (s->bind_rc != SQLITE_OK)
        return bind_failed(s, st);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return step_failed(s, st, rc);
    sqlite3_reset(st);
    return ERR_OK;
}

/* Step a query: *row is 1 with a row to read (reset it after reading), 0 when done (already
 * reset). */
static int query(struct store *s, sqlite3_stmt *st, int *row)
{
    int rc;

    *row = 0;
    if (s->bind_rc != SQLITE_OK)
        return bind_failed(s, st);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *row = 1;
        return ERR_OK;
    }
    if (rc != SQLITE_DONE)
        return step_failed(s, st, rc);
    sqlite3_reset(st);
    return ERR_OK;
}

/* The error of the last failed step: "what: why"; disk full is ERR_IO. */
static int fail(struct store *s, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct store *s, struct err *e, const char *fmt, ...)
{
    char what[192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    switch (s->last_rc & 0xff) {
    case SQLITE_FULL: return err_set(e, ERR_IO, "%s: disk full (%s)", what, s->last_msg);
    case SQLITE_NOMEM: return err_set(e, ERR_NOMEM, "%s: out of memory", what);
    default: return err_set(e, ERR_DB, "%s: %s", what, s->last_msg);
    }
}

/* ---- open / free ------------------------------------------------------------------------- */

int store_open(sqlite3 *db, struct store **out, struct err *e)
{
    struct store *s;
    int rc;

    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s)
        return err_set(e, ERR_NOMEM, "open store: out of memory");
    s->db = db;
    buf_init(&s->zbuf, 0);
    buf_init(&s->text, 0);
    buf_init(&s->facts_later, 0);
    metrics_conv_init(&s->mc);
    metrics_conv_init(&s->mc_old);
    s->z = zblob_codec_new(ZBLOB_LEVEL);
    if (!s->z) {
        store_free(s);
        return err_set(e, ERR_NOMEM, "open store: out of memory");
    }
    if ((rc = facts_dirty_create(db, e)) ||
        (rc = db_exec(db,
                      "CREATE TEMP TABLE IF NOT EXISTS facts_people(k TEXT PRIMARY KEY) "
                      "WITHOUT ROWID",
                      e))) {
        store_free(s);
        return err_wrap(e, "open store");
    }
    for (int i = 0; i < S_COUNT; i++) {
        if ((rc = db_prepare(db, sql[i], &s->st[i], e))) {
            store_free(s);
            return err_wrap(e, "open store");
        }
    }
    if ((rc = search_index_open(db, &s->search, e))) {
        store_free(s);
        return err_wrap(e, "open store");
    }
    *out = s;
    return ERR_OK;
}

void store_free(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    zblob_codec_free(s->z);
    search_index_free(s->search);
    buf_release(&s->zbuf);
    buf_release(&s->text);
    buf_release(&s->facts_later);
    metrics_conv_release(&s->mc);
    metrics_conv_release(&s->mc_old);
    free(s->deal_dup);
    free(s);
}

/* now_iso in the fixed-width form the retry times are stored in (ms always). */
static int retry_time(const char *now_iso, char out[ISOTIME_MAX], struct err *e)
{
    int64_t ms;

    if (isotime_parse(now_iso, 0, &ms, e))
        return err_wrap(e, "store: now");
    isotime_format(ms, 1, out);
    return ERR_OK;
}

/* ---- call facts (facts.h) ---------------------------------------------------------------- */

void store_defer_facts(struct store *s, int deferred)
{
    s->facts_deferred = deferred;
}

/* Refresh call_id's stored facts from call_facts_live, unless a first load defers them;
 * while a transcripts page is stored, at the page's end (flush_facts). */
static int refresh_facts(struct store *s, const char *call_id, struct err *e)
{
    sqlite3_stmt *st = s->st[S_FACTS_PUT];

    if (s->facts_deferred)
        return ERR_OK;
    if (s->facts_batch)
        return buf_append(&s->facts_later, call_id, strlen(call_id) + 1, e);
    b_text(s, st, 1, call_id);
    if (run(s, st))
        return fail(s, e, "store call '%.40s': call facts", call_id);
    return ERR_OK;
}

/* A person the stored facts may name changed: a Gong user (its id, and its e-mail before
 * and after) or a CRM user (its id). NULL and empty keys are ignored. */
static int person_changed(struct store *s, const char *key, struct err *e)
{
    sqlite3_stmt *st = s->st[S_PERSON_ADD];

    if (s->facts_deferred || !key || !*key)
        return ERR_OK;
    b_text(s, st, 1, key);
    if (run(s, st))
        return fail(s, e, "store: note a changed person");
    s->people_changed = 1;
    return ERR_OK;
}

/* Refresh the facts of every call whose stored facts name a changed person (as rep or as
 * deal owner), once per page: the invariant holds for the other calls before the page, so
 * their stored rep_id and owner say which calls can name them. */
static int refresh_people(struct store *s, struct err *e)
{
    int rc;

    if (!s->people_changed)
        return ERR_OK;
    s->people_changed = 0;
    if (run(s, s->st[S_DIRTY_PEOPLE]))
        return fail(s, e, "store: calls naming changed people");
    if ((rc = db_exec(s->db, "DELETE FROM temp.facts_people", e)))
        return err_wrap(e, "store: calls naming changed people");
    return facts_refresh_dirty(s->db, e);
}

/* ---- users ------------------------------------------------------------------------------- */

static int put_user(struct store *s, const struct parse_user *u, struct store_counts *c,
                    struct err *e)
{
    sqlite3_stmt *st = s->st[S_USER_GET];
    int row, rc, same = 0, exists = 0;

    b_text(s, st, 1, u->id);
    if ((rc = query(s, st, &row)))
        return fail(s, e, "store user '%.40s': read", u->id);
    if (row) {
        const void *old = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);

        exists = 1;
        same = old && n == u->raw_len && memcmp(old, u->raw, n) == 0;
        /* the e-mail it had may have resolved a deal owner's name */
        rc = same ? ERR_OK : person_changed(s, (const char *)sqlite3_column_text(st, 1), e);
        sqlite3_reset(st);
        if (rc)
            return rc;
    }
    if (same) {
        c->n_unchanged++;
        return ERR_OK;
    }
    st = s->st[S_USER_PUT];
    b_text(s, st, 1, u->id);
    b_text(s, st, 2, u->email);
    b_text(s, st, 3, u->first_name);
    b_text(s, st, 4, u->last_name);
    b_text(s, st, 5, u->title);
    b_text(s, st, 6, u->manager_id);
    b_i64(s, st, 7, u->active);
    b_text(s, st, 8, u->created);
    b_text(s, st, 9, u->phone_number);
    b_text(s, st, 10, u->extension);
    b_text(s, st, 11, u->trusted_email);
    b_text(s, st, 12, u->email_aliases);
    b_textn(s, st, 13, u->raw, u->raw_len);
    if ((rc = run(s, st)))
        return fail(s, e, "store user '%.40s'", u->id);
    if ((rc = person_changed(s, u->id, e)) || (rc = person_changed(s, u->email, e)))
        return rc;
    if (exists)
        c->n_updated++;
    else
        c->n_new++;
    return ERR_OK;
}

int store_put_users(struct store *s, const struct parse_users_page *p, struct store_counts *c,
                    struct err *e)
{
    int rc;

    for (size_t i = 0; i < p->n_users; i++)
        if ((rc = put_user(s, &p->users[i], c, e)))
            return rc;
    return refresh_people(s, e);
}

/* ---- call_metrics ------------------------------------------------------------------------ */

/* Load call_id's parties as stored now into m, in Gong's order (metrics.h: the first party
 * with a speaker id decides its side). */
static int load_parties(struct store *s, const char *call_id, struct metrics_conv *m, struct err *e)
{
    sqlite3_stmt *st = s->st[S_PARTIES_OF];
    int row, rc;

    metrics_parties_reset(m);
    b_text(s, st, 1, call_id);
    for (;;) {
        const char *spk, *aff, *uid;

        if (query(s, st, &row))
            return fail(s, e, "measure call '%.40s': read parties", call_id);
        if (!row)
            return ERR_OK;
        spk = (const char *)sqlite3_column_text(st, 0);
        aff = (const char *)sqlite3_column_text(st, 1);
        uid = (const char *)sqlite3_column_text(st, 2);
        rc = metrics_add_party(m, spk, spk ? (size_t)sqlite3_column_bytes(st, 0) : 0, aff,
                               aff ? (size_t)sqlite3_column_bytes(st, 1) : 0, uid,
                               uid ? (size_t)sqlite3_column_bytes(st, 2) : 0, e);
        if (rc) {
            sqlite3_reset(st);
            return err_wrap(e, "measure call '%.40s'", call_id);
        }
    }
}

/* Do a and b give every speaker id the same side and user id? */
static int same_parties(const struct metrics_conv *a, const struct metrics_conv *b)
{
    if (a->np != b->np)
        return 0;
    for (size_t i = 0; i < a->np; i++) {
        const struct metrics_party *x = &a->p[i], *y = &b->p[i];

        if (x->spk_len != y->spk_len || x->side != y->side || x->has_uid != y->has_uid ||
            x->uid_len != y->uid_len ||
            memcmp(a->pmeta.data + x->spk, b->pmeta.data + y->spk, x->spk_len) != 0 ||
            (x->uid_len && memcmp(a->pmeta.data + x->uid, b->pmeta.data + y->uid, x->uid_len)))
            return 0;
    }
    return 1;
}

static void b_opt(struct store *s, sqlite3_stmt *st, int i, int has, int64_t v)
{
    if (has)
        b_int(s, st, i, v);
    else
        b_null(s, st, i);
}

/* Compute the row from text with the parties in s->mc and upsert it. */
static int put_metrics_row(struct store *s, const char *call_id, const char *text, size_t len,
                           struct err *e)
{
    sqlite3_stmt *st = s->st[S_METRICS_PUT];
    struct metrics m;
    int rc;

    if ((rc = metrics_compute(&s->mc, text, len, &m, e)))
        return err_wrap(e, "measure call '%.40s': transcript", call_id);
    b_text(s, st, 1, call_id);
    b_int(s, st, 2, m.sentences);
    b_textn(s, st, 3, m.rep_speaker_id, m.rep_speaker_len);
    b_textn(s, st, 4, m.rep_user_id, m.rep_user_len);
    b_int(s, st, 5, m.rep_talk_ms);
    b_int(s, st, 6, m.customer_talk_ms);
    b_int(s, st, 7, m.other_talk_ms);
    b_int(s, st, 8, m.rep_questions);
    b_int(s, st, 9, m.customer_questions);
    b_opt(s, st, 10, m.has_rep_longest, m.rep_longest_ms);
    b_opt(s, st, 11, m.has_customer_longest, m.customer_longest_ms);
    b_int(s, st, 12, m.switches);
    b_int(s, st, 13, m.rep_replies);
    b_int(s, st, 14, m.rep_reply_ms);
    b_opt(s, st, 15, m.has_span, m.first_ms);
    b_opt(s, st, 16, m.has_span, m.last_ms);
    if (run(s, st))
        return fail(s, e, "store call_metrics of call '%.40s'", call_id);
    return ERR_OK;
}

int store_put_metrics(struct store *s, const char *call_id, const char *text, size_t len,
                      struct err *e)
{
    int rc;

    if ((rc = load_parties(s, call_id, &s->mc, e)) ||
        (rc = put_metrics_row(s, call_id, text, len, e)))
        return rc;
    return refresh_facts(s, call_id, e);
}

/* The call's parties (as loaded in s->mc) changed: measure its stored transcript again,
 * if it has one. */
static int remeasure(struct store *s, const char *call_id, struct err *e)
{
    sqlite3_stmt *st = s->st[S_TR_BODY];
    sqlite3_int64 size;
    int row, rc;

    b_text(s, st, 1, call_id);
    if (query(s, st, &row))
        return fail(s, e, "measure call '%.40s': read transcript", call_id);
    if (!row)
        return ERR_OK;
    size = sqlite3_column_int64(st, 0);
    rc = size < 0 || sqlite3_column_type(st, 0) != SQLITE_INTEGER
             ? err_set(e, ERR_PARSE, "size is not a length")
             : zblob_inflate(s->z, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                             (size_t)size, &s->text, e);
    sqlite3_reset(st);
    if (rc)
        return err_wrap(e, "measure call '%.40s': stored transcript", call_id);
    return put_metrics_row(s, call_id, s->text.data, s->text.len, e);
}

/* ---- calls ------------------------------------------------------------------------------- */

static int is_toc(const char *timing)
{
    return timing && strcmp(timing, "TimeOfCall") == 0;
}

static int put_call_row(struct store *s, const struct parse_call *c, const char *now_iso)
{
    sqlite3_stmt *st = s->st[S_CALL_PUT];

    b_text(s, st, 1, c->id);
    b_text(s, st, 2, c->url);
    b_text(s, st, 3, c->title);
    b_text(s, st, 4, c->scheduled);
    b_text(s, st, 5, c->started);
    b_i64(s, st, 6, c->duration);
    b_text(s, st, 7, c->direction);
    b_text(s, st, 8, c->scope);
    b_text(s, st, 9, c->system);
    b_text(s, st, 10, c->media);
    b_text(s, st, 11, c->language);
    b_text(s, st, 12, c->workspace_id);
    b_text(s, st, 13, c->primary_user_id);
    b_text(s, st, 14, c->purpose);
    b_i64(s, st, 15, c->is_private);
    b_text(s, st, 16, c->sdr_disposition);
    b_text(s, st, 17, c->client_unique_id);
    b_text(s, st, 18, c->custom_data);
    b_text(s, st, 19, c->meeting_url);
    b_text(s, st, 20, c->calendar_event_id);
    b_text(s, st, 21, c->brief);
    b_text(s, st, 22, c->outcome_id);
    b_text(s, st, 23, c->outcome_category);
    b_text(s, st, 24, c->outcome_name);
    b_i64(s, st, 25, c->questions_company);
    b_i64(s, st, 26, c->questions_non_company);
    b_text(s, st, 27, now_iso);
    return run(s, st);
}

/* Two deal ids deals_key holds the same: ifnull(deal_id, '') equal. */
static int same_deal_id(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static const int child_deletes[] = {
    S_DEL_PARTIES,   S_DEL_CRM,        S_DEL_DEALS,        S_DEL_TOPICS,
    S_DEL_STRUCTURE, S_DEL_TRACKERS,   S_DEL_OCCURRENCES,  S_DEL_SPEAKERS,
    S_DEL_STATS,     S_DEL_KEY_POINTS, S_DEL_ACTION_ITEMS,
};

/* Insert the call's CRM fields and deals; TimeOfCall ones only when has_toc is 0. */
static int put_crm(struct store *s, const struct parse_call *c, int has_toc, const char **what)
{
    sqlite3_stmt *st = s->st[S_INS_CRM];
    int rc;

    *what = "crm_fields";
    for (size_t i = 0; i < c->n_crm; i++) {
        const struct deals_object *o = &c->crm[i];

        if (has_toc && is_toc(o->timing))
            continue;
        for (size_t j = 0; j < o->n_fields; j++) {
            b_text(s, st, 1, c->id);
            if (o->party_ord < 0)
                b_null(s, st, 2);
            else
                b_int(s, st, 2, o->party_ord);
            b_text(s, st, 3, o->system);
            b_text(s, st, 4, o->object_type);
            b_text(s, st, 5, o->object_id);
            b_text(s, st, 6, o->timing);
            b_text(s, st, 7, o->fields[j].name);
            b_value(s, st, 8, &o->fields[j].v);
            if ((rc = run(s, st)))
                return rc;
        }
    }
    *what = "deals";
    st = s->st[S_INS_DEAL];
    for (size_t i = 0; i < c->n_deals; i++) {
        const struct deals_row *d = &c->deals[i];
        int64_t ord = 0;

        s->deal_dup[i] = 0;
        if (has_toc && is_toc(d->timing))
            continue;
        /* deals_key holds one row per call, timing and ifnull(deal_id, ''): a row is
         * skipped when an earlier one has its key (the first of a key is always written);
         * ord counts the rows of its timing written before it */
        for (size_t j = 0; j < i && !s->deal_dup[i]; j++) {
            const struct deals_row *x = &c->deals[j];

            if (strcmp(x->timing, d->timing) != 0)
                continue;
            if (same_deal_id(x->deal_id, d->deal_id))
                s->deal_dup[i] = 1;
            else if (!s->deal_dup[j])
                ord++;
        }
        if (s->deal_dup[i])
            continue;
        b_text(s, st, 1, c->id);
        b_text(s, st, 2, d->timing);
        b_text(s, st, 3, d->system);
        b_text(s, st, 4, d->deal_id);
        b_value(s, st, 5, d->deal_name);
        b_value(s, st, 6, d->stage);
        if (d->has_amount)
            bind_rc(s, sqlite3_bind_double(st, 7, d->amount));
        else
            b_null(s, st, 7);
        b_value(s, st, 8, d->owner);
        if (d->close_date_iso[0])
            b_text(s, st, 9, d->close_date_iso);
        else
            b_value(s, st, 9, d->close_date_raw);
        b_text(s, st, 10, d->company_id);
        b_value(s, st, 11, d->company_name);
        if (d->has_company_size)
            b_int(s, st, 12, d->company_size);
        else
            b_null(s, st, 12);
        b_int(s, st, 13, ord);
        if ((rc = run(s, st)))
            return rc;
    }
    return ERR_OK;
}

/* The value of the first field of o named like one of names (ASCII case ignored when
 * nocase), or NULL. */
static const struct deals_value *field_named(const struct deals_object *o, const char *const *names,
                                             int nocase)
{
    for (size_t j = 0; j < o->n_fields; j++)
        for (const char *const *n = names; o->fields[j].name && *n; n++)
            if (nocase ? strcasecmp(o->fields[j].name, *n) == 0
                       : strcmp(o->fields[j].name, *n) == 0)
                return &o->fields[j].v;
    return NULL;
}

/* Upsert crm_users from the call's party-level CRM objects of type User (Salesforce sends
 * the call's users so; deals name them as OwnerId): Name (or name, FullName) and Email (or
 * EmailAddress, any case), as migration 002 reads them from crm_fields. */
static int put_crm_users(struct store *s, const struct parse_call *c, const char **what)
{
    static const char *const name_keys[] = {"Name", "name", "FullName", NULL};
    static const char *const email_keys[] = {"email", "emailaddress", NULL};
    sqlite3_stmt *st = s->st[S_CRM_USER_PUT];
    int rc;

    *what = "crm_users";
    for (size_t i = 0; i < c->n_crm; i++) {
        const struct deals_object *o = &c->crm[i];

        if (o->party_ord < 0 || !o->object_id || !o->object_type ||
            strcmp(o->object_type, "User") != 0)
            continue;
        b_text(s, st, 1, o->object_id);
        b_text(s, st, 2, o->system);
        b_value(s, st, 3, field_named(o, name_keys, 0));
        b_value(s, st, 4, field_named(o, email_keys, 1));
        if ((rc = run(s, st)))
            return rc;
        /* a new or renamed CRM user names the owner of other calls' deals too */
        if (sqlite3_changes(s->db) > 0 && (rc = person_changed(s, o->object_id, NULL)))
            return rc;
    }
    return ERR_OK;
}

/* Insert every other child row of the call; *what names the table on failure. */
static int put_children(struct store *s, const struct parse_call *c, const char **what)
{
    sqlite3_stmt *st;
    int rc;

    *what = "parties";
    st = s->st[S_INS_PARTY];
    for (size_t i = 0; i < c->n_parties; i++) {
        const struct parse_party *p = &c->parties[i];

        b_text(s, st, 1, c->id);
        b_int(s, st, 2, p->ord);
        b_text(s, st, 3, p->party_id);
        b_text(s, st, 4, p->speaker_id);
        b_text(s, st, 5, p->user_id);
        b_text(s, st, 6, p->name);
        b_text(s, st, 7, p->email);
        b_text(s, st, 8, p->title);
        b_text(s, st, 9, p->affiliation);
        b_text(s, st, 10, p->phone_number);
        b_text(s, st, 11, p->methods);
        if ((rc = run(s, st)))
            return rc;
    }
    *what = "topics";
    st = s->st[S_INS_TOPIC];
    for (size_t i = 0; i < c->n_topics; i++) {
        b_text(s, st, 1, c->id);
        b_text(s, st, 2, c->topics[i].name);
        b_f64(s, st, 3, c->topics[i].duration);
        if ((rc = run(s, st)))
            return rc;
    }
    *what = "call_structure";
    st = s->st[S_INS_STRUCTURE];
    for (size_t i = 0; i < c->n_structure; i++) {
        b_text(s, st, 1, c->id);
        b_int(s, st, 2, (int64_t)i);
        b_text(s, st, 3, c->structure[i].name);
        b_f64(s, st, 4, c->structure[i].duration);
        if ((rc = run(s, st)))
            return rc;
    }
    *what = "trackers";
    st = s->st[S_INS_TRACKER];
    for (size_t i = 0; i < c->n_trackers; i++) {
        b_text(s, st, 1, c->id);
        b_text(s, st, 2, c->trackers[i].tracker_id);
        b_text(s, st, 3, c->trackers[i].name);
        b_text(s, st, 4, c->trackers[i].type);
        b_i64(s, st, 5, c->trackers[i].count);
        if ((rc = run(s, st)))
            return rc;
    }
    *what = "tracker_occurrences";
    st = s->st[S_INS_OCCURRENCE];
    for (size_t i = 0; i < c->n_occurrences; i++) {
        b_text(s, st, 1, c->id);
        b_text(s, st, 2, c->occurrences[i].tracker_id);
        b_f64(s, st, 3, c->occurrences[i].start_s);
        b_text(s, st, 4, c->occurrences[i].speaker_id);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)i);
        if ((rc = run(s, st)))
            return rc;
    }
    *what = "speakers";
    st = s->st[S_INS_SPEAKER];
    for (size_t i = 0; i < c->n_speakers; i++) {
        b_text(s, st, 1, c->id);
        b_text(s, st, 2, c->speakers[i].speaker);
        b_text(s, st, 3, c->speakers[i].user_id);
        b_f64(s, st, 4, c->speakers[i].talk_time);
        if ((rc = run(s, st)))
            return rc;
    }
    *what = "interaction_stats";
    st = s->st[S_INS_STAT];
    for (size_t i = 0; i < c->n_stats; i++) {
        b_text(s, st, 1, c->id);
        b_text(s, st, 2, c->stats[i].name);
        b_f64(s, st, 3, c->stats[i].value);
        if ((rc = run(s, st)))
            return rc;
    }
    *what = "key_points";
    st = s->st[S_INS_KEY_POINT];
    for (size_t i = 0; i < c->n_key_points; i++) {
        b_text(s, st, 1, c->id);
        b_int(s, st, 2, (int64_t)i);
        b_text(s, st, 3, c->key_points[i]);
        if ((rc = run(s, st)))
            return rc;
    }
    *what = "action_items";
    st = s->st[S_INS_ACTION_ITEM];
    for (size_t i = 0; i < c->n_action_items; i++) {
        const struct parse_action_item *a = &c->action_items[i];

        b_text(s, st, 1, c->id);
        b_int(s, st, 2, (int64_t)i);
        b_f64(s, st, 3, a->start_s);
        b_f64(s, st, 4, a->end_s);
        b_text(s, st, 5, a->speaker_id);
        b_text(s, st, 6, a->snippet);
        if ((rc = run(s, st)))
            return rc;
    }
    return ERR_OK;
}

/* Write one changed call: its row, raw JSON and child rows. A call that was not in the
 * mirror (exists 0) has no child rows yet (they reference calls), so nothing is read or
 * deleted for it: a first load needs no index on the child tables' call_id (bulk.h). */
static int put_call(struct store *s, const struct parse_call *c, int exists, const char *now_iso,
                    struct err *e)
{
    sqlite3_stmt *st;
    const char *what = "calls";
    int rc, row, has_toc = 0;

    if (c->n_deals > s->deal_cap) {
        unsigned char *d = realloc(s->deal_dup, c->n_deals);

        if (!d)
            return err_set(e, ERR_NOMEM, "store call '%.40s': out of memory", c->id);
        s->deal_dup = d;
        s->deal_cap = c->n_deals;
    }
    if ((rc = put_call_row(s, c, now_iso)))
        goto db_fail;
    if ((rc = zblob_deflate(s->z, c->raw, c->raw_len, &s->zbuf, e)))
        return err_wrap(e, "store call '%.40s'", c->id);
    what = "calls_raw";
    st = s->st[S_RAW_PUT];
    b_text(s, st, 1, c->id);
    b_int(s, st, 2, (int64_t)c->raw_len);
    b_blob(s, st, 3, s->zbuf.data, s->zbuf.len);
    b_text(s, st, 4, c->digest);
    if ((rc = run(s, st)))
        goto db_fail;
    metrics_parties_reset(&s->mc_old);
    if (exists) {
        what = "read TimeOfCall snapshot";
        st = s->st[S_TOC_HAS];
        b_text(s, st, 1, c->id);
        if ((rc = query(s, st, &row)))
            goto db_fail;
        if (row) {
            has_toc = sqlite3_column_int(st, 0);
            sqlite3_reset(st);
        }
        if ((rc = load_parties(s, c->id, &s->mc_old, e)))
            return rc;
        what = "delete old rows";
        for (size_t i = 0; i < sizeof child_deletes / sizeof child_deletes[0]; i++) {
            st = s->st[child_deletes[i]];
            b_text(s, st, 1, c->id);
            if ((rc = run(s, st)))
                goto db_fail;
        }
    }
    if ((rc = put_children(s, c, &what)) || (rc = put_crm(s, c, has_toc, &what)) ||
        (rc = put_crm_users(s, c, &what)))
        goto db_fail;
    /* a transcript measured with other parties (or before the call had any) is measured
     * again with these */
    if ((rc = load_parties(s, c->id, &s->mc, e)))
        return rc;
    if (!same_parties(&s->mc, &s->mc_old) && (rc = remeasure(s, c->id, e)))
        return rc;
    return refresh_facts(s, c->id, e);
db_fail:
    return fail(s, e, "store call '%.40s': %s", c->id, what);
}

/* The transcript queue transitions of one call (see store.h). */
static int queue_transcript(struct store *s, const struct parse_call *c, int include_private,
                            struct err *e)
{
    sqlite3_stmt *st = s->st[S_QUEUE];
    int private = c->is_private.set && c->is_private.v && !include_private;

    b_text(s, st, 1, c->id);
    b_text(s, st, 2, private ? "private" : "pending");
    if (run(s, st))
        return fail(s, e, "store call '%.40s': queue transcript", c->id);
    return ERR_OK;
}

int store_put_calls(struct store *s, const struct parse_calls_page *p, int include_private,
                    const char *now_iso, struct store_counts *c, struct err *e)
{
    for (size_t i = 0; i < p->n_calls; i++) {
        const struct parse_call *call = &p->calls[i];
        sqlite3_stmt *st = s->st[S_CALL_GET];
        int row, rc, exists = 0, same = 0;

        b_text(s, st, 1, call->id);
        if (query(s, st, &row))
            return fail(s, e, "store call '%.40s': read", call->id);
        if (row) {
            const unsigned char *d = sqlite3_column_text(st, 0);

            same = d && strcmp((const char *)d, call->digest) == 0;
            exists = sqlite3_column_int(st, 1);
            sqlite3_reset(st);
        }
        if (same) {
            c->n_unchanged++;
        } else {
            if ((rc = put_call(s, call, exists, now_iso, e)))
                return rc;
            if (exists)
                c->n_updated++;
            else
                c->n_new++;
        }
        if ((rc = queue_transcript(s, call, include_private, e)))
            return rc;
    }
    return refresh_people(s, e);
}

/* ---- transcripts ------------------------------------------------------------------------- */

int store_due_transcripts(struct store *s, const char *now_iso, size_t limit, char ***ids,
                          size_t *n, struct err *e)
{
    sqlite3_stmt *st = s->st[S_DUE];
    char now[ISOTIME_MAX];
    struct buf b;
    size_t k = 0, total;
    char **out, *str;
    int rc, row;

    *ids = NULL;
    *n = 0;
    if ((rc = retry_time(now_iso, now, e)))
        return rc;
    buf_init(&b, 0);
    b_text(s, st, 1, now);
    b_int(s, st, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    for (;;) {
        const char *id;

        if (query(s, st, &row)) {
            buf_release(&b);
            return fail(s, e, "read due transcripts");
        }
        if (!row)
            break;
        id = (const char *)sqlite3_column_text(st, 0);
        if (buf_append(&b, id ? id : "", id ? strlen(id) + 1 : 1, e)) {
            sqlite3_reset(st);
            return err_wrap(e, "read due transcripts");
        }
        k++;
    }
    if (k == 0) {
        buf_release(&b);
        return ERR_OK;
    }
    total = k * sizeof *out + b.len;
    out = malloc(total);
    if (!out) {
        buf_release(&b);
        return err_set(e, ERR_NOMEM, "read due transcripts: out of memory");
    }
    str = (char *)(out + k);
    memcpy(str, b.data, b.len);
    for (size_t i = 0; i < k; i++) {
        out[i] = str;
        str += strlen(str) + 1;
    }
    buf_release(&b);
    *ids = out;
    *n = k;
    return ERR_OK;
}

/* The n-gram filter of call_id's transcript (grams.h): grep skips the transcript,
 * uninflated, for a pattern whose literals it cannot contain. */
int store_put_grams(struct store *s, const char *call_id, const char *text, size_t len,
                    struct err *e)
{
    sqlite3_stmt *st = s->st[S_GRAMS_PUT];

    grams_build(text, len, s->grams, GRAMS_BITS);
    b_text(s, st, 1, call_id);
    b_blob(s, st, 2, s->grams, GRAMS_BYTES);
    if (run(s, st))
        return fail(s, e, "store transcript '%.40s': n-gram filter", call_id);
    return ERR_OK;
}

void store_defer_grams(struct store *s, int deferred)
{
    s->grams_deferred = deferred;
}

/* t's n-gram filter, unless a first load writes them all at its end. */
static int put_grams(struct store *s, const struct parse_transcript *t, struct err *e)
{
    return s->grams_deferred ? ERR_OK : store_put_grams(s, t->call_id, t->text, t->text_len, e);
}

int store_put_search(struct store *s, const char *call_id, const char *text, size_t len,
                     struct err *e)
{
    return search_index_ensure(s->search, call_id, text, len, e);
}

static int put_transcript(struct store *s, const struct parse_transcript *t, const char *now_iso,
                          struct store_counts *c, struct err *e)
{
    sqlite3_stmt *st = s->st[S_TR_GET];
    int rc, row, exists = 0, same = 0, has_grams = 0, has_metrics = 0;

    if ((rc = zblob_deflate(s->z, t->text, t->text_len, &s->zbuf, e)))
        return err_wrap(e, "store transcript '%.40s'", t->call_id);
    b_text(s, st, 1, t->call_id);
    if (query(s, st, &row))
        return fail(s, e, "store transcript '%.40s': read", t->call_id);
    if (row) {
        const void *body = sqlite3_column_blob(st, 1);
        size_t nb = (size_t)sqlite3_column_bytes(st, 1);
        const char *mono = (const char *)sqlite3_column_text(st, 2);

        exists = 1;
        same = sqlite3_column_int64(st, 0) == (int64_t)t->text_len && nb == s->zbuf.len &&
               (nb == 0 || memcmp(body, s->zbuf.data, nb) == 0) &&
               ((!mono && !t->monologues) ||
                (mono && t->monologues && strcmp(mono, t->monologues) == 0));
        has_grams = sqlite3_column_int(st, 3);
        has_metrics = sqlite3_column_int(st, 4);
        /* the search index forgets the text: remove the old one's sentences while it is here */
        rc = same ? ERR_OK
                  : search_index_remove(s->search, t->call_id, body, nb,
                                        sqlite3_column_int64(st, 0), e);
        sqlite3_reset(st);
        if (rc)
            return rc;
    }
    if (same) {
        c->n_unchanged++;
        if (!has_grams && (rc = put_grams(s, t, e))) /* the derived index was emptied */
            return rc;
        if (!has_metrics && (rc = store_put_metrics(s, t->call_id, t->text, t->text_len, e)))
            return rc;
        if ((rc = search_index_ensure(s->search, t->call_id, t->text, t->text_len, e)))
            return rc;
    } else {
        st = s->st[S_TR_PUT];
        b_text(s, st, 1, t->call_id);
        b_int(s, st, 2, (int64_t)t->text_len);
        b_blob(s, st, 3, s->zbuf.data, s->zbuf.len);
        b_int(s, st, 4, t->sentences);
        b_textn(s, st, 5, t->monologues, t->monologues_len);
        b_text(s, st, 6, now_iso);
        if (run(s, st))
            return fail(s, e, "store transcript '%.40s'", t->call_id);
        if ((rc = put_grams(s, t, e)) ||
            (rc = store_put_metrics(s, t->call_id, t->text, t->text_len, e)) ||
            (rc = search_index_add(s->search, t->call_id, t->text, t->text_len, e)))
            return rc;
        if (exists)
            c->n_updated++;
        else
            c->n_new++;
    }
    st = s->st[S_TS_DONE];
    b_text(s, st, 1, t->call_id);
    b_text(s, st, 2, now_iso);
    if (run(s, st))
        return fail(s, e, "store transcript '%.40s': status", t->call_id);
    return ERR_OK;
}

/* The facts of the calls a transcripts page stored, refreshed once their sentences are all
 * in the search index. Refreshed after each transcript instead, a 3,000-call first load
 * left its index in many small segments (FTS5 wrote out its pending sentences between
 * transcripts, not once a page) and the merges that followed wrote 34% more bytes a call
 * (168 against 127 KB) and left 31 MB of free pages. The likely cause is the statement
 * savepoint SQLite opens for the upsert, at which FTS5 flushes; a unit test storing one
 * small page in memory did not reproduce it, so tools/dev/ingest_cost.py is its check. */
static int flush_facts(struct store *s, struct err *e)
{
    const char *p = s->facts_later.data, *end = p + s->facts_later.len;
    int rc = ERR_OK;

    for (; p && p < end && !rc; p += strlen(p) + 1)
        rc = refresh_facts(s, p, e);
    buf_reset(&s->facts_later);
    return rc;
}

int store_put_transcripts(struct store *s, const struct parse_transcripts_page *p,
                          const char *now_iso, struct store_counts *c, struct err *e)
{
    int rc = ERR_OK;

    s->facts_batch = 1;
    for (size_t i = 0; i < p->n_items && !rc; i++)
        rc = put_transcript(s, &p->items[i], now_iso, c, e);
    s->facts_batch = 0;
    if (rc) {
        buf_reset(&s->facts_later);
        return rc;
    }
    return flush_facts(s, e);
}

int64_t store_backoff_ms(int64_t attempts)
{
    int64_t shift = attempts < 1 ? 0 : attempts - 1;
    int64_t ms;

    if (shift > 20)
        return STORE_BACKOFF_MAX_MS;
    ms = STORE_BACKOFF_FIRST_MS << shift;
    return ms < STORE_BACKOFF_MAX_MS ? ms : STORE_BACKOFF_MAX_MS;
}

int store_mark_waiting(struct store *s, const char *const *ids, size_t n, int64_t now_ms,
                       struct err *e)
{
    char now[ISOTIME_MAX], next[ISOTIME_MAX];

    isotime_format(now_ms, 1, now);
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = s->st[S_TS_GET];
        int64_t attempts = 0;
        int row, skip = 0;

        b_text(s, st, 1, ids[i]);
        if (query(s, st, &row))
            return fail(s, e, "mark transcript '%.40s' waiting: read", ids[i]);
        if (row) {
            const char *state = (const char *)sqlite3_column_text(st, 0);

            skip = state && (!strcmp(state, "done") || !strcmp(state, "private"));
            attempts = sqlite3_column_int64(st, 1);
            sqlite3_reset(st);
        }
        if (skip)
            continue;
        attempts = attempts < 0 ? 1 : attempts + 1;
        isotime_format(now_ms + store_backoff_ms(attempts), 1, next);
        st = s->st[S_TS_WAIT];
        b_text(s, st, 1, ids[i]);
        b_int(s, st, 2, attempts);
        b_text(s, st, 3, next);
        b_text(s, st, 4, now);
        if (run(s, st))
            return fail(s, e, "mark transcript '%.40s' waiting", ids[i]);
    }
    return ERR_OK;
}

int store_pending_count(struct store *s, const char *now_iso, int64_t *n, struct err *e)
{
    sqlite3_stmt *st = s->st[S_PENDING];
    char now[ISOTIME_MAX];
    int rc, row;

    *n = 0;
    if ((rc = retry_time(now_iso, now, e)))
        return rc;
    b_text(s, st, 1, now);
    if (query(s, st, &row))
        return fail(s, e, "count due transcripts");
    if (row) {
        *n = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return ERR_OK;
}
