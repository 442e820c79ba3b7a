/* ext: the SQL functions (see ext.h), one source built twice.
 *
 * As bin/callmine.so it is a loadable extension: sqlite3ext.h routes every sqlite3_* call
 * through the API table SQLite hands to sqlite3_callmine_init, and -fvisibility=hidden
 * keeps every other symbol (re_*, buf_*, err_*) private. Built into callmine-query with
 * -DSQLITE_CORE, the same calls go straight to the linked SQLite.
 *
 * Compiled patterns are cached per statement with sqlite3_set_auxdata, so a constant
 * pattern is compiled once per query. Subjects are checked for valid UTF-8 once per call,
 * then matched without PCRE2's own check. transcript_text and transcript_sentences read
 * the main database's transcripts table with a statement prepared per call (a cached one
 * would keep sqlite3_close from closing the connection) and inflate the sqlar blob with a
 * decompressor kept per connection. Memory of our own comes from sqlite3_malloc; text
 * built by the shared buf/zblob code is malloc'd and handed over with free. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_fn.h"
#include "buf.h"
#include "casefold.h"
#include "err.h"
#include "ext.h"
#include "re.h"
#include "text.h"
#include "transcript.h"
#include "zblob.h"

#include "banned.h"

/* ---- regular expressions -------------------------------------------------------------- */

/* A compiled pattern as cached in a statement's auxdata, with the flags it was built for. */
struct cached_re {
    struct re *re;
    int flags;
};

static void cached_re_free(void *p)
{
    struct cached_re *c = p;

    if (c) {
        re_free(c->re);
        sqlite3_free(c);
    }
}

/* Report an error from re.c. */
static void result_err(sqlite3_context *ctx, const struct err *e)
{
    if (e->code == ERR_NOMEM)
        sqlite3_result_error_nomem(ctx);
    else
        sqlite3_result_error(ctx, e->msg, -1);
}

/* The compiled pattern of argument i, cached or compiled now. When *fresh is set the
 * caller passes it to sqlite3_set_auxdata as its last step. NULL after reporting an
 * error (bad pattern, out of memory). */
static struct cached_re *pattern_arg(sqlite3_context *ctx, sqlite3_value **argv, int i, int flags,
                                     int *fresh)
{
    struct cached_re *c = sqlite3_get_auxdata(ctx, i);
    const char *pattern;
    struct err e = {0};

    *fresh = 0;
    if (c && c->flags == flags)
        return c;
    pattern = (const char *)sqlite3_value_text(argv[i]);
    c = pattern ? sqlite3_malloc(sizeof *c) : NULL;
    if (!c) {
        sqlite3_result_error_nomem(ctx);
        return NULL;
    }
    c->flags = flags;
    if (re_compile(pattern, flags, &c->re, &e) != ERR_OK) {
        sqlite3_free(c);
        result_err(ctx, &e);
        return NULL;
    }
    *fresh = 1;
    return c;
}

/* Parse the optional flags argument of fn: 'i' caseless, 'c' case-sensitive. 0 on
 * success; -1 after reporting an error. */
static int flags_arg(sqlite3_context *ctx, int argc, sqlite3_value **argv, int i, const char *fn,
                     int *flags)
{
    const unsigned char *f;
    char msg[128];

    *flags = 0;
    if (argc <= i)
        return 0;
    f = sqlite3_value_text(argv[i]);
    if (!f) {
        sqlite3_result_error_nomem(ctx);
        return -1;
    }
    for (; *f; f++) {
        if (*f == 'i') {
            *flags |= RE_CASELESS;
        } else if (*f == 'c') {
            *flags &= ~RE_CASELESS;
        } else {
            snprintf(msg, sizeof msg, "%s: unknown flag '%c' (flags: i caseless, c case-sensitive)",
                     fn, *f >= 0x20 && *f < 0x7f ? *f : '?');
            sqlite3_result_error(ctx, msg, -1);
            return -1;
        }
    }
    return 0;
}

/* 1 when any of the argc arguments is NULL. */
static int any_null(int argc, sqlite3_value **argv)
{
    int i;

    for (i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
            return 1;
    return 0;
}

/* The text of argument i and its length in bytes; NULL after reporting out of memory. */
static const char *text_arg(sqlite3_context *ctx, sqlite3_value **argv, int i, size_t *len)
{
    const char *s = (const char *)sqlite3_value_text(argv[i]);

    if (!s) {
        sqlite3_result_error_nomem(ctx);
        return NULL;
    }
    *len = (size_t)sqlite3_value_bytes(argv[i]);
    return s;
}

enum { DO_LIKE, DO_COUNT, DO_SUBSTR };

/* The common body of the matching functions: text at argument it, pattern at ip, flags
 * at argument 2 when present. */
static void match_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv, int it, int ip, int what,
                     const char *fn)
{
    struct cached_re *c;
    struct err e = {0};
    const char *s;
    size_t len, pos = 0, ms = 0, me = 0;
    sqlite3_int64 n = 0;
    int flags, fresh, rc = 0;

    if (any_null(argc, argv) || flags_arg(ctx, argc, argv, 2, fn, &flags))
        return;
    if (!(c = pattern_arg(ctx, argv, ip, flags, &fresh)))
        return;
    if (!(s = text_arg(ctx, argv, it, &len)))
        goto done;
    if (!text_utf8_valid(s, len)) { /* never matches */
        if (what == DO_LIKE || what == DO_COUNT)
            sqlite3_result_int(ctx, 0);
        goto done;
    }
    while ((rc = re_each(c->re, s, len, &pos, &ms, &me, &e)) == 1) {
        n++;
        if (what != DO_COUNT)
            break;
    }
    if (rc < 0)
        result_err(ctx, &e);
    else if (what == DO_SUBSTR && n)
        sqlite3_result_text64(ctx, s + ms, me - ms, SQLITE_TRANSIENT, SQLITE_UTF8);
    else if (what != DO_SUBSTR)
        sqlite3_result_int64(ctx, what == DO_COUNT ? n : n > 0);
done:
    if (fresh) /* after this call, c belongs to SQLite */
        sqlite3_set_auxdata(ctx, ip, c, cached_re_free);
}

/* regexp(pattern, text): what `text REGEXP pattern` calls. */
static void regexp_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    match_fn(ctx, argc, argv, 1, 0, DO_LIKE, "regexp");
}

/* regexp_like(text, pattern[, flags]) */
static void regexp_like_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    match_fn(ctx, argc, argv, 0, 1, DO_LIKE, "regexp_like");
}

/* regexp_count(text, pattern[, flags]) */
static void regexp_count_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    match_fn(ctx, argc, argv, 0, 1, DO_COUNT, "regexp_count");
}

/* regexp_substr(text, pattern[, flags]) */
static void regexp_substr_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    match_fn(ctx, argc, argv, 0, 1, DO_SUBSTR, "regexp_substr");
}

/* ---- transcripts ---------------------------------------------------------------------- */

/* Per-connection state of the transcript readers: a decompressor, made on first use. */
struct reader {
    sqlite3 *db;
    struct zblob_codec *z;
};

static void reader_free(void *p)
{
    struct reader *r = p;

    if (r) {
        zblob_codec_free(r->z);
        sqlite3_free(r);
    }
}

/* Inflate the (body, size) columns ib, ib + 1 of st's current row into out. call_id names
 * the call in messages. SQLITE_OK, SQLITE_NOMEM, or SQLITE_ERROR with *msg set
 * (sqlite3_mprintf'd). */
static int inflate_row(struct reader *r, sqlite3_stmt *st, int ib, const char *call_id,
                       struct buf *out, char **msg)
{
    const void *body;
    sqlite3_int64 size;
    int n_body, rc, size_type;
    struct err e = {0};

    *msg = NULL;
    if (!r->z && !(r->z = zblob_codec_new(1)))
        return SQLITE_NOMEM;
    size_type = sqlite3_column_type(st, ib + 1); /* before any conversion */
    size = sqlite3_column_int64(st, ib + 1);
    body = sqlite3_column_blob(st, ib);
    n_body = sqlite3_column_bytes(st, ib);
    if (size_type != SQLITE_INTEGER || size < 0 || (n_body > 0 && !body)) {
        *msg = sqlite3_mprintf("transcript of call %s is corrupt", call_id);
        return *msg ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    if (size >= sqlite3_limit(r->db, SQLITE_LIMIT_LENGTH, -1)) {
        *msg = sqlite3_mprintf("transcript of call %s is too big (%lld bytes)", call_id,
                               (long long)size);
        return *msg ? SQLITE_TOOBIG : SQLITE_NOMEM;
    }
    buf_release(out);
    buf_init(out, (size_t)size + 1);
    rc = zblob_inflate(r->z, body ? body : "", (size_t)n_body, (size_t)size, out, &e);
    if (rc == ERR_NOMEM)
        return SQLITE_NOMEM;
    if (rc) {
        *msg = sqlite3_mprintf("transcript of call %s is corrupt", call_id);
        return *msg ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    return SQLITE_OK;
}

/* transcript_text(call_id): the stored text of the call's transcript, or NULL. */
static void transcript_text_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct reader *r = sqlite3_user_data(ctx);
    sqlite3_stmt *st = NULL;
    struct buf out;
    char *msg = NULL;
    int rc;

    buf_init(&out, 0);
    if (argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    rc = sqlite3_prepare_v2(r->db,
                            "SELECT call_id, body, size FROM main.transcripts "
                            "WHERE call_id = ?1",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) {
        msg = sqlite3_mprintf("transcript_text: %s", sqlite3_errmsg(r->db));
        goto done;
    }
    if ((rc = sqlite3_bind_value(st, 1, argv[0])) != SQLITE_OK)
        goto done;
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) { /* no transcript: NULL */
        rc = SQLITE_OK;
        goto done;
    }
    if (rc != SQLITE_ROW) {
        msg = sqlite3_mprintf("transcript_text: %s", sqlite3_errmsg(r->db));
        goto done;
    }
    rc = inflate_row(r, st, 1, (const char *)sqlite3_column_text(st, 0), &out, &msg);
    if (rc == SQLITE_OK) {
        sqlite3_result_text64(ctx, out.data, out.len, free, SQLITE_UTF8);
        out.data = NULL; /* handed over to SQLite */
        out.len = out.cap = 0;
    }
done:
    if (rc == SQLITE_NOMEM)
        sqlite3_result_error_nomem(ctx);
    else if (rc == SQLITE_TOOBIG && !msg)
        sqlite3_result_error_toobig(ctx);
    else if (rc != SQLITE_OK)
        sqlite3_result_error(ctx, msg ? msg : sqlite3_errstr(rc), -1);
    sqlite3_free(msg);
    sqlite3_finalize(st);
    buf_release(&out);
}

/* ---- transcript_sentences: one row per sentence --------------------------------------- */

enum { TS_CALL_ID, TS_IDX, TS_START_MS, TS_END_MS, TS_SPEAKER_ID, TS_TEXT, TS_ARG };

struct ts_vtab {
    sqlite3_vtab base;
    struct reader r;
};

struct ts_cursor {
    sqlite3_vtab_cursor base;
    sqlite3_stmt *st;     /* the transcripts rows being read */
    struct buf call_id;   /* the current row's call id */
    struct buf text;      /* its inflated transcript */
    struct buf unescaped; /* the current sentence's text, when it carries escapes */
    int have_unescaped;
    size_t pos; /* offset of the next line in text */
    struct transcript_line ln;
    sqlite3_int64 idx; /* the sentence's position in its call, from 0 */
    sqlite3_int64 rowid;
    int eof;
};

static int ts_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **err)
{
    struct ts_vtab *v;
    int rc;

    (void)aux, (void)argc, (void)argv, (void)err;
    *out = NULL;
    rc = sqlite3_declare_vtab(db, "CREATE TABLE x(call_id TEXT, idx INTEGER, start_ms INTEGER,"
                                  " end_ms INTEGER, speaker_id TEXT, text TEXT, arg HIDDEN)");
    if (rc != SQLITE_OK)
        return rc;
    v = sqlite3_malloc(sizeof *v);
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->r.db = db;
    *out = &v->base;
    return SQLITE_OK;
}

static int ts_disconnect(sqlite3_vtab *vt)
{
    struct ts_vtab *v = (struct ts_vtab *)vt;

    zblob_codec_free(v->r.z);
    sqlite3_free(v);
    return SQLITE_OK;
}

/* Plans: idxNum 1 reads one call (an equality on call_id or the function argument);
 * idxNum 0 reads every transcript. */
static int ts_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
    int i, eq = -1;

    (void)vt;
    for (i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];

        if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
            continue;
        if (c->iColumn == TS_ARG) {
            eq = i;
            break;
        }
        /* call_id = X looks the call up by binary equality: only with that collation */
        if (c->iColumn == TS_CALL_ID && eq < 0 &&
            sqlite3_stricmp(sqlite3_vtab_collation(info, i), "BINARY") == 0)
            eq = i;
    }
    if (eq >= 0) {
        info->aConstraintUsage[eq].argvIndex = 1;
        /* SQLite still checks call_id = X itself, with its own affinity rules */
        info->aConstraintUsage[eq].omit = info->aConstraint[eq].iColumn == TS_ARG;
        info->idxNum = 1;
        info->estimatedCost = 1000;
        info->estimatedRows = 500;
        /* one call, in spoken order: ORDER BY idx needs no sort */
        if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == TS_IDX && !info->aOrderBy[0].desc)
            info->orderByConsumed = 1;
    } else {
        info->idxNum = 0;
        info->estimatedCost = 1e10;
        info->estimatedRows = 10000000;
    }
    return SQLITE_OK;
}

static int ts_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
    struct ts_cursor *c = sqlite3_malloc(sizeof *c);

    (void)vt;
    *out = NULL;
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    buf_init(&c->call_id, 0);
    buf_init(&c->text, 0);
    buf_init(&c->unescaped, 0);
    c->eof = 1;
    *out = &c->base;
    return SQLITE_OK;
}

static int ts_close(sqlite3_vtab_cursor *cur)
{
    struct ts_cursor *c = (struct ts_cursor *)cur;

    sqlite3_finalize(c->st);
    buf_release(&c->call_id);
    buf_release(&c->text);
    buf_release(&c->unescaped);
    sqlite3_free(c);
    return SQLITE_OK;
}

/* Record an error on the cursor's table: msg is sqlite3_mprintf'd (NULL: out of memory). */
static int ts_error(struct ts_cursor *c, int rc, char *msg)
{
    sqlite3_vtab *vt = c->base.pVtab;

    if (!msg)
        return SQLITE_NOMEM;
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = msg;
    return rc;
}

/* Move to the next sentence, reading further rows as needed; sets eof at the end. */
static int ts_advance(struct ts_cursor *c)
{
    struct ts_vtab *v = (struct ts_vtab *)c->base.pVtab;
    struct err e = {0};
    char *msg = NULL;
    int rc;

    c->have_unescaped = 0;
    for (;;) {
        if (c->text.data) {
            rc = transcript_next(c->text.data, c->text.len, &c->pos, &c->ln);
            if (rc == 1) {
                c->idx++;
                c->rowid++;
                return SQLITE_OK;
            }
            if (rc < 0)
                return ts_error(c, SQLITE_ERROR,
                                sqlite3_mprintf("transcript of call %s is corrupt: line %lld is"
                                                " malformed",
                                                c->call_id.data, (long long)c->idx + 2));
        }
        rc = sqlite3_step(c->st);
        if (rc == SQLITE_DONE) {
            c->eof = 1;
            return SQLITE_OK;
        }
        if (rc != SQLITE_ROW)
            return ts_error(c, rc,
                            sqlite3_mprintf("transcript_sentences: %s", sqlite3_errmsg(v->r.db)));
        buf_reset(&c->call_id);
        if (sqlite3_column_type(c->st, 0) != SQLITE_NULL &&
            buf_puts(&c->call_id, (const char *)sqlite3_column_text(c->st, 0), &e))
            return SQLITE_NOMEM;
        if (!c->call_id.data && buf_puts(&c->call_id, "", &e))
            return SQLITE_NOMEM;
        rc = inflate_row(&v->r, c->st, 1, c->call_id.data, &c->text, &msg);
        if (rc != SQLITE_OK)
            return ts_error(c, rc, msg);
        c->pos = 0;
        c->idx = -1;
    }
}

static int ts_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                     sqlite3_value **argv)
{
    struct ts_cursor *c = (struct ts_cursor *)cur;
    struct ts_vtab *v = (struct ts_vtab *)cur->pVtab;
    const char *sql = idx_num == 1 ? "SELECT call_id, body, size FROM main.transcripts "
                                     "WHERE call_id = ?1"
                                   : "SELECT call_id, body, size FROM main.transcripts";
    int rc;

    (void)idx_str;
    sqlite3_finalize(c->st);
    c->st = NULL;
    buf_release(&c->text);
    c->eof = 1;
    c->rowid = 0;
    if (idx_num == 1 && (argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL))
        return SQLITE_OK; /* call_id = NULL: no rows */
    rc = sqlite3_prepare_v2(v->r.db, sql, -1, &c->st, NULL);
    if (rc != SQLITE_OK)
        return ts_error(c, rc,
                        sqlite3_mprintf("transcript_sentences: %s", sqlite3_errmsg(v->r.db)));
    if (idx_num == 1 && (rc = sqlite3_bind_value(c->st, 1, argv[0])) != SQLITE_OK)
        return rc;
    c->eof = 0;
    return ts_advance(c);
}

static int ts_next(sqlite3_vtab_cursor *cur)
{
    return ts_advance((struct ts_cursor *)cur);
}

static int ts_eof(sqlite3_vtab_cursor *cur)
{
    return ((struct ts_cursor *)cur)->eof;
}

static int ts_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    struct ts_cursor *c = (struct ts_cursor *)cur;
    const struct transcript_line *ln = &c->ln;
    struct err e = {0};

    switch (col) {
    case TS_CALL_ID:
    case TS_ARG:
        sqlite3_result_text64(ctx, c->call_id.data, c->call_id.len, SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
    case TS_IDX: sqlite3_result_int64(ctx, c->idx); break;
    case TS_START_MS: sqlite3_result_int64(ctx, ln->start_ms); break;
    case TS_END_MS: sqlite3_result_int64(ctx, ln->end_ms); break;
    case TS_SPEAKER_ID:
        if (ln->speaker_len)
            sqlite3_result_text64(ctx, ln->speaker, ln->speaker_len, SQLITE_TRANSIENT, SQLITE_UTF8);
        break; /* unknown speaker: NULL */
    case TS_TEXT:
        if (!ln->escaped) {
            sqlite3_result_text64(ctx, ln->text, ln->text_len, SQLITE_TRANSIENT, SQLITE_UTF8);
            break;
        }
        if (!c->have_unescaped) {
            if (transcript_unescape(ln->text, ln->text_len, &c->unescaped, &e) != ERR_OK)
                return SQLITE_NOMEM;
            c->have_unescaped = 1;
        }
        sqlite3_result_text64(ctx, c->unescaped.data, c->unescaped.len, SQLITE_TRANSIENT,
                              SQLITE_UTF8);
        break;
    default: break;
    }
    return SQLITE_OK;
}

static int ts_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((struct ts_cursor *)cur)->rowid;
    return SQLITE_OK;
}

static const sqlite3_module ts_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only: transcript_sentences exists on every connection */
    .xConnect = ts_connect,
    .xBestIndex = ts_best_index,
    .xDisconnect = ts_disconnect,
    .xDestroy = ts_disconnect,
    .xOpen = ts_open,
    .xClose = ts_close,
    .xFilter = ts_filter,
    .xNext = ts_next,
    .xEof = ts_eof,
    .xColumn = ts_column,
    .xRowid = ts_rowid,
};

/* ---- case folding --------------------------------------------------------------------- */

/* casefold(text): the simple Unicode case folding of text (casefold.h), so `instr(casefold(
 * name), casefold(needle)) > 0` ignores case in any script; NULL gives NULL, a number is
 * folded as its text. Text already folded is returned as it is, without a second pass. */
static void casefold_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *s;
    char *out;
    int n;

    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    s = (const char *)sqlite3_value_text(argv[0]);
    if (!s) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    n = sqlite3_value_bytes(argv[0]);
    if (!casefold_changes(s, (size_t)n)) {
        sqlite3_result_text(ctx, s, n, SQLITE_TRANSIENT);
        return;
    }
    out = sqlite3_malloc64(CASEFOLD_MAX((sqlite3_uint64)n) + 1);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text64(ctx, out, casefold_utf8(s, (size_t)n, out), sqlite3_free, SQLITE_UTF8);
}

/* ---- registration --------------------------------------------------------------------- */

__attribute__((visibility("default"))) int sqlite3_callmine_init(sqlite3 *db, char **pzErrMsg,
                                                                 const sqlite3_api_routines *pApi)
{
    static const struct {
        const char *name;
        int n_arg;
        void (*fn)(sqlite3_context *, int, sqlite3_value **);
    } pure[] = {
        {"regexp", 2, regexp_fn},
        {"regexp_like", 2, regexp_like_fn},
        {"regexp_like", 3, regexp_like_fn},
        {"regexp_count", 2, regexp_count_fn},
        {"regexp_count", 3, regexp_count_fn},
        {"regexp_substr", 2, regexp_substr_fn},
        {"regexp_substr", 3, regexp_substr_fn},
        {"casefold", 1, casefold_fn},
    };
    const char *what = NULL;
    struct reader *r;
    size_t i;
    int rc = SQLITE_OK;

    SQLITE_EXTENSION_INIT2(pApi);
    for (i = 0; i < sizeof pure / sizeof pure[0]; i++) {
        rc = sqlite3_create_function(db, pure[i].name, pure[i].n_arg,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     pure[i].fn, NULL, NULL);
        if (rc != SQLITE_OK) {
            what = pure[i].name;
            goto done;
        }
    }
    /* It reads the database: neither deterministic nor innocuous (yet usable in views). */
    what = "transcript_text";
    r = sqlite3_malloc(sizeof *r);
    if (!r) {
        rc = SQLITE_NOMEM;
        goto done;
    }
    r->db = db;
    r->z = NULL;
    rc = sqlite3_create_function_v2(db, "transcript_text", 1, SQLITE_UTF8, r, transcript_text_fn,
                                    NULL, NULL, reader_free); /* frees r even on failure */
    if (rc != SQLITE_OK)
        goto done;
    what = "transcript_sentences";
    rc = sqlite3_create_module_v2(db, "transcript_sentences", &ts_module, NULL, NULL);
    if (rc == SQLITE_OK && (what = "analysis functions"))
        rc = analysis_fn_register(db);
done:
    if (rc != SQLITE_OK && pzErrMsg)
        *pzErrMsg = sqlite3_mprintf("callmine: cannot register %s: %s", what,
                                    rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
    return rc;
}
