/* show_json: `callmine-query show CALL_ID --format json` (see show.h).
 *
 * One object. The members CONTRACT.md fixes come first and keep their meaning: id, title,
 * started, duration (seconds), url, primary_user_id, parties[], deals[] (each snapshot a
 * row, TimeOfCall first), transcript[] (last, streamed in spoken order). Added members: rep,
 * rep_email, rep_id, rep_source, outcome, call_outcome, brief, key_points, action_items,
 * trackers, topics, transcript_status; deals[] rows add close_date and owner_name. With
 * s->to_buf the transcript is cut into pages (cmd_show_json). */
#include <math.h>
#include <string.h>

#include "show.h"

#include "text.h"

#include "banned.h"

static int jkey(struct buf *b, const char *key, struct err *e)
{
    return buf_printf(b, e, ",\"%s\":", key);
}

/* Column col of st as a JSON value. */
static int jcol(struct buf *b, sqlite3_stmt *st, int col, struct err *e)
{
    struct out_cell cell;

    out_cell_from_stmt(st, col, &cell);
    return out_json_cell(b, &cell, e);
}

/* Append "[...]" with one object per row of sql (bound to the call id), members named by
 * names[] from the columns in order; a name starting with '=' takes the column as seconds
 * and writes it as whole milliseconds. */
static int json_rows(struct show *s, const char *sql, const char *const *names, int n,
                     struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc, step = SQLITE_DONE, first = 1;

    if ((rc = show_prepare(s, sql, &st, e)))
        return rc;
    rc = buf_putc(&s->ob, '[', e);
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = buf_puts(&s->ob, first ? "{" : ",{", e);
        first = 0;
        for (int i = 0; i < n && !rc; i++) {
            const char *name = names[i][0] == '=' ? names[i] + 1 : names[i];

            rc = buf_printf(&s->ob, e, "%s\"%s\":", i ? "," : "", name);
            if (rc)
                break;
            if (names[i][0] == '=' && sqlite3_column_type(st, i) != SQLITE_NULL)
                rc = buf_printf(&s->ob, e, "%lld", llround(sqlite3_column_double(st, i) * 1000));
            else
                rc = jcol(&s->ob, st, i, e);
        }
        if (!rc)
            rc = buf_putc(&s->ob, '}', e);
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "show: %s", sqlite3_errmsg(s->db));
    if (!rc)
        rc = buf_putc(&s->ob, ']', e);
    sqlite3_finalize(st);
    return rc;
}

/* The head: the call's own members, each "name": column of the call row. */
static int head(struct show *s, struct err *e)
{
    static const struct {
        const char *name;
        int col;
    } m[] = {
        /* clang-format off */
        {"id", SHOW_C_ID},
        {"title", SHOW_C_TITLE},
        {"started", SHOW_C_STARTED},
        {"duration", SHOW_C_DURATION},
        {"url", SHOW_C_URL},
        {"primary_user_id", SHOW_C_PRIMARY_USER},
        {"rep", SHOW_C_REP_NAME},
        {"rep_email", SHOW_C_REP_EMAIL},
        {"rep_id", SHOW_C_REP_ID},
        {"rep_source", SHOW_C_REP_SOURCE},
        {"outcome", SHOW_C_OUTCOME},
        {"brief", SHOW_C_BRIEF},
        /* clang-format on */
    };
    sqlite3_stmt *c = s->call;
    int rc = buf_putc(&s->ob, '{', e);

    for (size_t i = 0; i < sizeof m / sizeof m[0] && !rc; i++)
        rc = buf_printf(&s->ob, e, "%s\"%s\":", i ? "," : "", m[i].name) ||
             jcol(&s->ob, c, m[i].col, e);
    if (rc)
        return err_set(e, ERR_NOMEM, "show: out of memory");
    if ((rc = jkey(&s->ob, "call_outcome", e)))
        return rc;
    if (sqlite3_column_type(c, SHOW_C_CALL_OUTCOME) == SQLITE_NULL &&
        sqlite3_column_type(c, SHOW_C_CALL_OUTCOME_CATEGORY) == SQLITE_NULL)
        return buf_puts(&s->ob, "null", e);
    rc = buf_puts(&s->ob, "{\"name\":", e) || jcol(&s->ob, c, SHOW_C_CALL_OUTCOME, e) ||
         buf_puts(&s->ob, ",\"category\":", e) ||
         jcol(&s->ob, c, SHOW_C_CALL_OUTCOME_CATEGORY, e) || buf_putc(&s->ob, '}', e);
    return rc ? err_set(e, ERR_NOMEM, "show: out of memory") : ERR_OK;
}

static int status(struct show *s, struct err *e)
{
    sqlite3_stmt *c = s->call;
    char note[256];
    const char *why = show_transcript_note(s, note);
    int has = sqlite3_column_int(c, SHOW_C_HAS_TRANSCRIPT), rc;

    rc = jkey(&s->ob, "transcript_status", e) || buf_puts(&s->ob, "{\"state\":", e);
    if (!rc && sqlite3_column_type(c, SHOW_C_TS_STATE) == SQLITE_NULL)
        rc = buf_puts(&s->ob, has ? "\"done\"" : "null", e);
    else if (!rc)
        rc = jcol(&s->ob, c, SHOW_C_TS_STATE, e);
    rc = rc || buf_puts(&s->ob, ",\"attempts\":", e) || jcol(&s->ob, c, SHOW_C_TS_ATTEMPTS, e) ||
         buf_puts(&s->ob, ",\"next_try\":", e) || jcol(&s->ob, c, SHOW_C_TS_NEXT_TRY, e) ||
         buf_puts(&s->ob, ",\"last_try\":", e) || jcol(&s->ob, c, SHOW_C_TS_LAST_TRY, e) ||
         buf_puts(&s->ob, ",\"note\":", e) ||
         (why ? text_json_string(&s->ob, why, strlen(why), e) : buf_puts(&s->ob, "null", e)) ||
         buf_putc(&s->ob, '}', e);
    return rc ? err_set(e, ERR_NOMEM, "show: out of memory") : ERR_OK;
}

static int json_line(struct show *s, const struct transcript_line *ln, const char *text, size_t len,
                     struct err *e)
{
    struct buf *b = &s->ob;
    int rc;

    if (s->to_buf) { /* a page: lines [first, first + max_lines), within max_bytes */
        if (s->seen++ < s->first || s->next)
            return ERR_OK;
        if ((size_t)s->n_lines >= s->max_lines || (s->n_lines && b->len >= s->max_bytes)) {
            s->next = s->seen - 1;
            return ERR_OK;
        }
    }
    if ((rc = buf_puts(b, s->n_lines++ ? ",{\"speaker_id\":" : "{\"speaker_id\":", e)))
        return rc;
    rc = ln->speaker_len ? text_json_string(b, ln->speaker, ln->speaker_len, e)
                         : buf_puts(b, "null", e);
    if (rc ||
        (rc = buf_printf(b, e, ",\"start_ms\":%lld,\"end_ms\":%lld,\"text\":",
                         (long long)ln->start_ms, (long long)ln->end_ms)) ||
        (rc = text_json_string(b, text, len, e)) || (rc = buf_putc(b, '}', e)))
        return rc;
    return show_flush(s, e);
}

int show_json(struct show *s, struct err *e)
{
    static const char *const party_cols[] = {"speaker_id", "user_id", "name", "email",
                                             "affiliation"};
    static const char *const deal_cols[] = {
        "timing", "deal_id",      "deal_name",    "stage",      "amount",
        "owner",  "company_name", "company_size", "close_date", "owner_name"};
    static const char *const item_cols[] = {"=start_ms", "=end_ms", "speaker_id", "speaker_name",
                                            "text"};
    static const char *const tracker_cols[] = {"name", "type", "count"};
    static const char *const topic_cols[] = {"name", "duration"};
    struct buf q;
    int rc, found;

    buf_init(&q, 0);
    if ((rc = head(s, e)) || (rc = jkey(&s->ob, "parties", e)) ||
        (rc = json_rows(s,
                        "SELECT p.speaker_id, p.user_id, coalesce(p.name, (SELECT "
                        "nullif(trim(ifnull(u.first_name, '') || ' ' || ifnull(u.last_name, "
                        "'')), '') FROM users u WHERE u.id = p.user_id)), coalesce(p.email, "
                        "(SELECT u.email FROM users u WHERE u.id = p.user_id)), p.affiliation "
                        "FROM parties p WHERE p.call_id = ?1 ORDER BY p.ord",
                        party_cols, 5, e)))
        goto done;
    if ((rc = buf_printf(&q, e,
                         "SELECT d.timing, d.deal_id, d.deal_name, d.stage, d.amount, d.owner, "
                         "d.company_name, d.company_size, d.close_date, %s FROM deals d "
                         "WHERE d.call_id = ?1 ORDER BY d.timing = 'Now', d.deal_id",
                         show_owner_name_sql(s))) ||
        (rc = jkey(&s->ob, "deals", e)) || (rc = json_rows(s, q.data, deal_cols, 10, e)))
        goto done;
    if ((rc = jkey(&s->ob, "key_points", e)) || (rc = buf_putc(&s->ob, '[', e)))
        goto done;
    {
        sqlite3_stmt *st = NULL;
        int step = SQLITE_DONE, n = 0;

        rc = show_prepare(s, "SELECT text FROM key_points WHERE call_id = ?1 ORDER BY ord", &st, e);
        while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW)
            rc = buf_puts(&s->ob, n++ ? "," : "", e) || jcol(&s->ob, st, 0, e);
        if (!rc && step != SQLITE_DONE)
            rc = err_set(e, ERR_DB, "show: %s", sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        if (rc || (rc = buf_putc(&s->ob, ']', e)))
            goto done;
    }
    if ((rc = jkey(&s->ob, "action_items", e)) ||
        (rc = json_rows(s,
                        "SELECT a.start_s, a.end_s, a.speaker_id, (SELECT p.name FROM parties p "
                        "WHERE p.call_id = a.call_id AND p.speaker_id = a.speaker_id ORDER BY "
                        "p.ord LIMIT 1), a.snippet FROM action_items a WHERE a.call_id = ?1 "
                        "ORDER BY a.ord",
                        item_cols, 5, e)) ||
        (rc = jkey(&s->ob, "trackers", e)) ||
        (rc = json_rows(s,
                        "SELECT name, type, count FROM trackers WHERE call_id = ?1 "
                        "ORDER BY count DESC, name",
                        tracker_cols, 3, e)) ||
        (rc = jkey(&s->ob, "topics", e)) ||
        (rc = json_rows(s,
                        "SELECT name, duration FROM topics WHERE call_id = ?1 "
                        "ORDER BY duration DESC, name",
                        topic_cols, 2, e)) ||
        (rc = status(s, e)) || (rc = jkey(&s->ob, "transcript", e)) ||
        (rc = buf_putc(&s->ob, '[', e)))
        goto done;
    s->n_lines = 0;
    if ((rc = show_each_line(s, json_line, &found, e)))
        goto done;
    rc = buf_puts(&s->ob, s->to_buf ? "]}" : "]}\n", e);
done:
    buf_release(&q);
    return rc;
}
