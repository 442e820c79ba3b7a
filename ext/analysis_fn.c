/* analysis_fn: transcript_turns and transcript_speakers (see analysis_fn.h).
 *
 * Both tables share one implementation, told apart by the module's client data: a cursor
 * holds a struct convo, reads the transcripts (one call, or every call in key order), and
 * for each call builds all of its rows at once (a call has a few hundred turns at most),
 * which xColumn then reads. The single-call statement is prepared once per cursor and
 * reset for each call, so a join over 20,000 calls prepares nothing per call.
 * mention_count lives in mention.c. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3

#include <stdint.h>
#include <string.h>

#include "analysis_fn.h"
#include "convo.h"
#include "err.h"
#include "keysum.h"
#include "mention.h"

#include "banned.h"

/* ---- the two tables --------------------------------------------------------------------- */

enum { MODE_TURNS, MODE_SPEAKERS };

/* Visible columns per mode; the two hidden argument columns (call, gap) follow them. */
static const char *const schema[] = {
    "CREATE TABLE x(call_id TEXT, idx INTEGER, speaker_id TEXT, affiliation TEXT, side TEXT,"
    " start_ms INTEGER, end_ms INTEGER, talk_ms INTEGER, sentences INTEGER, questions INTEGER,"
    " prev_side TEXT, gap_ms INTEGER, call HIDDEN, gap HIDDEN)",
    "CREATE TABLE x(call_id TEXT, speaker_id TEXT, affiliation TEXT, side TEXT, talk_ms INTEGER,"
    " sentences INTEGER, questions INTEGER, turns INTEGER, longest_turn_ms INTEGER,"
    " switches INTEGER, reply_ms INTEGER, first_ms INTEGER, last_ms INTEGER,"
    " call HIDDEN, gap HIDDEN)",
};
static const int n_visible[] = {12, 13};

static const int mode_turns = MODE_TURNS, mode_speakers = MODE_SPEAKERS;

struct tv_vtab {
    sqlite3_vtab base;
    sqlite3 *db;
    int mode;
};

struct tv_cursor {
    sqlite3_vtab_cursor base;
    struct convo cv;
    sqlite3_stmt *one; /* the single-call transcript lookup, kept between filters */
    sqlite3_stmt *all; /* every transcript (idxNum without a call) */
    sqlite3_stmt *st;  /* which of the two is being read */
    struct buf call_id;
    int64_t gap_ms;
    size_t row, n_rows;
    sqlite3_int64 rowid;
    int eof;
};

static int tv_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **err)
{
    int mode = *(const int *)aux, rc;
    struct tv_vtab *v;

    (void)argc, (void)argv, (void)err;
    *out = NULL;
    if ((rc = sqlite3_declare_vtab(db, schema[mode])) != SQLITE_OK)
        return rc;
    if (!(v = sqlite3_malloc(sizeof *v)))
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->db = db;
    v->mode = mode;
    *out = &v->base;
    return SQLITE_OK;
}

static int tv_disconnect(sqlite3_vtab *vt)
{
    sqlite3_free(vt);
    return SQLITE_OK;
}

/* idxNum bit 1: argv holds the call id; bit 2: argv holds gap_ms (after the call id). */
static int tv_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
    const struct tv_vtab *v = (const struct tv_vtab *)vt;
    int call_col = n_visible[v->mode], gap_col = call_col + 1, call = -1, gap = -1, n = 0;

    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];

        if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
            continue;
        if (c->iColumn == call_col)
            call = i;
        else if (c->iColumn == gap_col)
            gap = i;
        else if (c->iColumn == 0 && call < 0 &&
                 sqlite3_stricmp(sqlite3_vtab_collation(info, i), "BINARY") == 0)
            call = i; /* call_id = X, still checked by SQLite itself */
    }
    info->idxNum = 0;
    if (call >= 0) {
        info->aConstraintUsage[call].argvIndex = ++n;
        info->aConstraintUsage[call].omit = info->aConstraint[call].iColumn == call_col;
        info->idxNum |= 1;
    }
    if (gap >= 0) {
        info->aConstraintUsage[gap].argvIndex = ++n;
        info->aConstraintUsage[gap].omit = 1;
        info->idxNum |= 2;
    }
    info->estimatedCost = call >= 0 ? 1000 : 1e10;
    info->estimatedRows = call >= 0 ? 100 : 10000000;
    if (call >= 0 && v->mode == MODE_TURNS && info->nOrderBy == 1 &&
        info->aOrderBy[0].iColumn == 1 && !info->aOrderBy[0].desc)
        info->orderByConsumed = 1; /* one call's turns come in spoken order */
    return SQLITE_OK;
}

static int tv_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
    const struct tv_vtab *v = (const struct tv_vtab *)vt;
    struct tv_cursor *c = sqlite3_malloc(sizeof *c);

    *out = NULL;
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    convo_init(&c->cv, v->db);
    buf_init(&c->call_id, 0);
    c->eof = 1;
    *out = &c->base;
    return SQLITE_OK;
}

static int tv_close(sqlite3_vtab_cursor *cur)
{
    struct tv_cursor *c = (struct tv_cursor *)cur;

    convo_release(&c->cv);
    sqlite3_finalize(c->one);
    sqlite3_finalize(c->all);
    buf_release(&c->call_id);
    sqlite3_free(c);
    return SQLITE_OK;
}

/* Record msg (sqlite3_mprintf'd; NULL: out of memory unless rc says otherwise) as the error. */
static int tv_error(struct tv_cursor *c, int rc, char *msg)
{
    sqlite3_vtab *vt = c->base.pVtab;

    if (!msg)
        return rc == SQLITE_OK ? SQLITE_NOMEM : rc;
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = msg;
    return rc;
}

/* Build the rows of the transcript row st is on. */
static int tv_build(struct tv_cursor *c)
{
    const struct tv_vtab *v = (const struct tv_vtab *)c->base.pVtab;
    sqlite3_stmt *st = c->st;
    struct err e = {0};
    char *msg = NULL;
    int rc;

    buf_reset(&c->call_id);
    if (buf_puts(&c->call_id,
                 sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "", &e))
        return SQLITE_NOMEM;
    rc = convo_inflate(&c->cv, sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1),
                       sqlite3_column_int64(st, 2), sqlite3_column_type(st, 2), c->call_id.data,
                       &msg);
    if (rc == SQLITE_OK)
        rc = convo_load_parties(&c->cv, sqlite3_column_value(st, 0), &msg);
    if (rc == SQLITE_OK)
        rc = convo_turns(&c->cv, c->gap_ms, c->call_id.data, &msg);
    if (rc == SQLITE_OK && v->mode == MODE_SPEAKERS)
        rc = convo_speakers(&c->cv);
    if (rc != SQLITE_OK)
        return tv_error(c, rc, msg);
    c->row = 0;
    c->n_rows = v->mode == MODE_SPEAKERS ? c->cv.m.ns : c->cv.m.nt;
    return SQLITE_OK;
}

/* Move to the next row, reading further transcripts as needed; sets eof at the end. */
static int tv_advance(struct tv_cursor *c)
{
    int rc;

    c->rowid++;
    if (++c->row < c->n_rows)
        return SQLITE_OK;
    for (;;) {
        rc = sqlite3_step(c->st);
        if (rc == SQLITE_DONE) {
            c->eof = 1;
            return SQLITE_OK;
        }
        if (rc != SQLITE_ROW)
            return tv_error(c, rc, sqlite3_mprintf("%s", sqlite3_errmsg(c->cv.db)));
        if ((rc = tv_build(c)) != SQLITE_OK)
            return rc;
        if (c->n_rows)
            return SQLITE_OK;
    }
}

static int tv_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                     sqlite3_value **argv)
{
    struct tv_cursor *c = (struct tv_cursor *)cur;
    sqlite3 *db = c->cv.db;
    sqlite3_stmt **slot = idx_num & 1 ? &c->one : &c->all;
    int rc, a = 0;

    (void)idx_str, (void)argc;
    c->eof = 1;
    c->row = c->n_rows = 0;
    c->rowid = 0;
    c->gap_ms = ANALYSIS_FN_GAP_MS;
    if (c->st)
        sqlite3_reset(c->st);
    c->st = NULL;
    if ((idx_num & 1) && sqlite3_value_type(argv[a++]) == SQLITE_NULL)
        return SQLITE_OK; /* no call: no rows */
    if (idx_num & 2) {
        if (sqlite3_value_type(argv[a]) != SQLITE_INTEGER || sqlite3_value_int64(argv[a]) < 0)
            return tv_error(c, SQLITE_ERROR,
                            sqlite3_mprintf("gap_ms must be an integer of at least 0"));
        c->gap_ms = sqlite3_value_int64(argv[a]);
    }
    if (!*slot) {
        const char *sql = idx_num & 1 ? "SELECT call_id, body, size FROM main.transcripts "
                                        "WHERE call_id = ?1"
                                      : "SELECT call_id, body, size FROM main.transcripts "
                                        "ORDER BY call_id";

        if ((rc = sqlite3_prepare_v2(db, sql, -1, slot, NULL)) != SQLITE_OK)
            return tv_error(c, rc, sqlite3_mprintf("%s", sqlite3_errmsg(db)));
    }
    c->st = *slot;
    sqlite3_reset(c->st);
    if ((idx_num & 1) && (rc = sqlite3_bind_value(c->st, 1, argv[0])) != SQLITE_OK)
        return rc;
    c->eof = 0;
    c->rowid = -1;
    return tv_advance(c);
}

static int tv_next(sqlite3_vtab_cursor *cur)
{
    return tv_advance((struct tv_cursor *)cur);
}

static int tv_eof(sqlite3_vtab_cursor *cur)
{
    return ((struct tv_cursor *)cur)->eof;
}

static void result_text(sqlite3_context *ctx, const char *s, size_t n)
{
    if (s && n)
        sqlite3_result_text64(ctx, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

/* The speaker id, affiliation and side columns shared by both tables. */
static void who_column(const struct tv_cursor *c, sqlite3_context *ctx, int what, size_t spk,
                       size_t spk_len, int party, int side)
{
    const struct convo *cv = &c->cv;

    if (what == 0)
        result_text(ctx, cv->text.data + spk, spk_len);
    else if (what == 1 && party >= 0)
        result_text(ctx, cv->m.pmeta.data + cv->m.p[party].aff, cv->m.p[party].aff_len);
    else if (what == 2 && convo_side_name(side))
        sqlite3_result_text(ctx, convo_side_name(side), -1, SQLITE_STATIC);
}

static int tv_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    const struct tv_cursor *c = (const struct tv_cursor *)cur;
    const struct tv_vtab *v = (const struct tv_vtab *)cur->pVtab;
    int call_col = n_visible[v->mode];

    if (col == 0 || col == call_col) {
        sqlite3_result_text64(ctx, c->call_id.data, c->call_id.len, SQLITE_TRANSIENT, SQLITE_UTF8);
        return SQLITE_OK;
    }
    if (col == call_col + 1) {
        sqlite3_result_int64(ctx, c->gap_ms);
        return SQLITE_OK;
    }
    if (v->mode == MODE_TURNS) {
        const struct metrics_turn *t = &c->cv.m.t[c->row];
        const int64_t ints[] = {(int64_t)c->row, 0,         0,          0,
                                t->start_ms,     t->end_ms, t->talk_ms, t->sentences,
                                t->questions};

        if (col >= 2 && col <= 4)
            who_column(c, ctx, col - 2, t->spk, t->spk_len, t->party, t->side);
        else if (col == 10 && t->has_gap)
            sqlite3_result_text(ctx, convo_side_name(t->prev_side), -1, SQLITE_STATIC);
        else if (col == 11 && t->has_gap)
            sqlite3_result_int64(ctx, t->gap_ms);
        else if (col == 1 || (col >= 5 && col <= 9))
            sqlite3_result_int64(ctx, ints[col - 1]);
    } else {
        const struct metrics_speaker *s = &c->cv.m.s[c->row];
        const int64_t ints[] = {s->talk_ms,  s->sentences, s->questions, s->turns,  s->longest_ms,
                                s->switches, s->reply_ms,  s->first_ms,  s->last_ms};

        if (col >= 1 && col <= 3)
            who_column(c, ctx, col - 1, s->spk, s->spk_len, s->party, s->side);
        else if (col >= 4 && col <= 12)
            sqlite3_result_int64(ctx, ints[col - 4]);
    }
    return SQLITE_OK;
}

static int tv_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((const struct tv_cursor *)cur)->rowid;
    return SQLITE_OK;
}

static const sqlite3_module tv_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only */
    .xConnect = tv_connect,
    .xBestIndex = tv_best_index,
    .xDisconnect = tv_disconnect,
    .xDestroy = tv_disconnect,
    .xOpen = tv_open,
    .xClose = tv_close,
    .xFilter = tv_filter,
    .xNext = tv_next,
    .xEof = tv_eof,
    .xColumn = tv_column,
    .xRowid = tv_rowid,
};

/* ---- registration ----------------------------------------------------------------------- */

int analysis_fn_register(sqlite3 *db)
{
    int rc;

    rc = sqlite3_create_module_v2(db, "transcript_turns", &tv_module, (void *)&mode_turns, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_module_v2(db, "transcript_speakers", &tv_module, (void *)&mode_speakers,
                                      NULL);
    if (rc == SQLITE_OK)
        rc = mention_register(db);
    if (rc == SQLITE_OK)
        rc = keysum_register(db);
    return rc;
}
