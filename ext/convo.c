/* convo: one call's conversation read from the mirror (see convo.h).
 *
 * This file only reads: the transcript (inflated) and the parties (in Gong's order, so the
 * first party with a speaker id decides its side). Sides, turns and per-speaker sums are
 * schema/metrics.c's, shared with the ingest. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3

#include <string.h>

#include "convo.h"
#include "err.h"
#include "zblob.h"

#include "banned.h"

void convo_init(struct convo *c, sqlite3 *db)
{
    memset(c, 0, sizeof *c);
    c->db = db;
    buf_init(&c->text, 0);
    metrics_conv_init(&c->m);
}

void convo_release(struct convo *c)
{
    sqlite3_finalize(c->st_text);
    sqlite3_finalize(c->st_parties);
    zblob_codec_free(c->z);
    buf_release(&c->text);
    metrics_conv_release(&c->m);
    convo_init(c, c->db);
}

static int prepare(struct convo *c, sqlite3_stmt **st, const char *sql, char **msg)
{
    if (*st) {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
        return SQLITE_OK;
    }
    if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) == SQLITE_OK)
        return SQLITE_OK;
    *st = NULL;
    *msg = sqlite3_mprintf("read transcript: %s", sqlite3_errmsg(c->db));
    return SQLITE_ERROR;
}

int convo_inflate(struct convo *c, const void *body, int n_body, sqlite3_int64 size, int size_type,
                  const char *call_id, char **msg)
{
    struct err e = {0};
    int rc;

    *msg = NULL;
    if (!c->z && !(c->z = zblob_codec_new(1)))
        return SQLITE_NOMEM;
    if (size_type != SQLITE_INTEGER || size < 0 || (n_body > 0 && !body)) {
        *msg = sqlite3_mprintf("transcript of call %s is corrupt", call_id);
        return SQLITE_CORRUPT;
    }
    if (size >= sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, -1)) {
        *msg = sqlite3_mprintf("transcript of call %s is too big (%lld bytes)", call_id,
                               (long long)size);
        return SQLITE_TOOBIG;
    }
    rc = zblob_inflate(c->z, body ? body : "", (size_t)(n_body > 0 ? n_body : 0), (size_t)size,
                       &c->text, &e);
    if (rc == ERR_NOMEM)
        return SQLITE_NOMEM;
    if (rc) {
        *msg = sqlite3_mprintf("transcript of call %s is corrupt", call_id);
        return SQLITE_CORRUPT;
    }
    return SQLITE_OK;
}

int convo_load_text(struct convo *c, sqlite3_value *call_id, char **msg)
{
    int rc;

    *msg = NULL;
    if ((rc = prepare(c, &c->st_text, "SELECT body, size FROM main.transcripts WHERE call_id = ?1",
                      msg)))
        return rc;
    if ((rc = sqlite3_bind_value(c->st_text, 1, call_id)) != SQLITE_OK)
        return rc;
    rc = sqlite3_step(c->st_text);
    if (rc == SQLITE_DONE)
        return SQLITE_DONE;
    if (rc != SQLITE_ROW) {
        *msg = sqlite3_mprintf("read transcript: %s", sqlite3_errmsg(c->db));
        return rc;
    }
    rc = convo_inflate(c, sqlite3_column_blob(c->st_text, 0), sqlite3_column_bytes(c->st_text, 0),
                       sqlite3_column_int64(c->st_text, 1), sqlite3_column_type(c->st_text, 1),
                       (const char *)sqlite3_value_text(call_id), msg);
    sqlite3_reset(c->st_text);
    return rc == SQLITE_OK ? SQLITE_ROW : rc;
}

int convo_load_parties(struct convo *c, sqlite3_value *call_id, char **msg)
{
    struct err e = {0};
    int rc;

    *msg = NULL;
    metrics_parties_reset(&c->m);
    if ((rc = prepare(c, &c->st_parties,
                      "SELECT speaker_id, affiliation FROM main.parties "
                      "WHERE call_id = ?1 AND speaker_id IS NOT NULL AND speaker_id <> '' "
                      "ORDER BY ord",
                      msg)))
        return rc;
    if ((rc = sqlite3_bind_value(c->st_parties, 1, call_id)) != SQLITE_OK)
        return rc;
    while ((rc = sqlite3_step(c->st_parties)) == SQLITE_ROW) {
        sqlite3_stmt *st = c->st_parties;
        const char *spk = (const char *)sqlite3_column_text(st, 0);
        const char *aff = (const char *)sqlite3_column_text(st, 1);

        /* no user ids: the SQL functions do not show them */
        if (metrics_add_party(&c->m, spk, spk ? (size_t)sqlite3_column_bytes(st, 0) : 0, aff,
                              aff ? (size_t)sqlite3_column_bytes(st, 1) : 0, NULL, 0, &e)) {
            sqlite3_reset(st);
            return SQLITE_NOMEM;
        }
    }
    sqlite3_reset(c->st_parties);
    if (rc != SQLITE_DONE) {
        *msg = sqlite3_mprintf("read parties: %s", sqlite3_errmsg(c->db));
        return rc;
    }
    return SQLITE_OK;
}

int convo_party_of(const struct convo *c, const char *spk, size_t n)
{
    return metrics_party_of(&c->m, spk, n);
}

const char *convo_side_name(int side)
{
    return side == CONVO_REP ? "rep" : side == CONVO_CUSTOMER ? "customer" : NULL;
}

int convo_turns(struct convo *c, int64_t gap_ms, const char *call_id, char **msg)
{
    struct err e = {0};
    int rc;

    *msg = NULL;
    rc = metrics_turns(&c->m, c->text.data, c->text.len, gap_ms, &e);
    if (rc == ERR_NOMEM)
        return SQLITE_NOMEM;
    if (rc) {
        *msg = sqlite3_mprintf("transcript of call %s is corrupt: %s", call_id, e.msg);
        return SQLITE_CORRUPT;
    }
    return SQLITE_OK;
}

int convo_speakers(struct convo *c)
{
    return metrics_speakers(&c->m, c->text.data, NULL) ? SQLITE_NOMEM : SQLITE_OK;
}
