/* mention: mention_count(call_id, pattern[, flags[, speaker]]), the hits of a pattern in one
 * call's sentences, counted as grep counts them (see analysis_fn.h).
 *
 * The function keeps its compiled pattern and a struct convo in the auxiliary data of its
 * pattern argument: they live as long as the statement that calls it, and the convo's
 * statements are finalized with it. Per call, the pattern's literal prefilter
 * (re_literal_find) skips transcripts and lines that cannot match without running the
 * regex; a transcript with invalid UTF-8 is repaired (U+FFFD) before matching, as grep does.
 * A per-connection memo remembers the hits per call for the latest pattern, so the report's
 * several analyses of one pattern search each transcript once. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3

#include <stdint.h>
#include <string.h>

#include "convo.h"
#include "err.h"
#include "mention.h"
#include "re.h"
#include "text.h"
#include "transcript.h"

#include "banned.h"

struct mention {
    struct re *re;
    int flags;
    struct convo cv;
    struct buf fixed; /* the transcript with invalid UTF-8 replaced */
    struct buf un;    /* an unescaped sentence */
};

static void mention_free(void *p)
{
    struct mention *m = p;

    if (m) {
        re_free(m->re);
        convo_release(&m->cv);
        buf_release(&m->fixed);
        buf_release(&m->un);
        sqlite3_free(m);
    }
}

/* Count the hits in m->cv.text for speakers of side want (CONVO_UNKNOWN: everyone). */
static int64_t count_hits(struct mention *m, int want, struct err *e)
{
    const char *text = m->cv.text.data ? m->cv.text.data : "";
    size_t len = m->cv.text.len, from = 0, p, start, pos;
    int pre = re_has_prefilter(m->re);
    struct transcript_line ln;
    int64_t total = 0, h;

    if (pre && re_literal_find(m->re, text, len, 0) >= len)
        return 0;
    if (!text_utf8_valid(text, len)) {
        if (text_utf8_repair(text, len, &m->fixed, e))
            return -1;
        text = m->fixed.data ? m->fixed.data : "", len = m->fixed.len;
    }
    while (from < len) {
        if (pre) { /* jump to the next line holding one of the literals */
            if ((p = re_literal_find(m->re, text, len, from)) >= len)
                break;
            for (start = p; start > from && text[start - 1] != '\n'; start--)
                ;
        } else {
            start = from;
        }
        pos = start;
        if (transcript_next(text, len, &pos, &ln) == 1) {
            int party = want ? convo_party_of(&m->cv, ln.speaker, ln.speaker_len) : -1;
            const char *s = ln.text;
            size_t n = ln.text_len;

            if (want == CONVO_UNKNOWN || (party >= 0 && m->cv.m.p[party].side == want)) {
                if (ln.escaped) {
                    if (transcript_unescape(ln.text, ln.text_len, &m->un, e))
                        return -1;
                    s = m->un.data, n = m->un.len;
                }
                if ((h = re_sentence_hits(m->re, s, n, SIZE_MAX, NULL, NULL, e)) < 0)
                    return -1;
                total += h;
            }
        }
        if (pos <= from)
            break;
        from = pos;
    }
    return total;
}

/* ---- the memo: hits per call for the latest (pattern, flags, speaker) ----------------- */

#define MEMO_MAX 4000000 /* calls remembered at most */

struct memo_slot {
    char *id;     /* the call id (sqlite3_malloc'd); NULL: an empty slot */
    int64_t hits; /* -1: the call has no transcript */
};

/* Per connection: the report runs several analyses with one pattern over the same calls,
 * and each would otherwise inflate and search every transcript again. Valid while the
 * key is the same and the main database has not changed (SQLITE_FCNTL_DATA_VERSION, checked
 * once per statement). */
struct memo {
    char *pattern; /* sqlite3_malloc'd */
    int flags, want;
    unsigned int version;
    struct memo_slot *slot;
    size_t cap, n;
};

static void memo_clear(struct memo *mm)
{
    for (size_t i = 0; i < mm->cap; i++)
        sqlite3_free(mm->slot[i].id);
    sqlite3_free(mm->slot);
    sqlite3_free(mm->pattern);
    mm->slot = NULL;
    mm->pattern = NULL;
    mm->cap = mm->n = 0;
}

static void memo_free(void *p)
{
    if (p) {
        memo_clear(p);
        sqlite3_free(p);
    }
}

static size_t memo_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return (size_t)h;
}

/* The slot holding id, or the empty slot where it goes; NULL when the memo is empty. */
static struct memo_slot *memo_find(const struct memo *mm, const char *id, size_t n)
{
    size_t i;

    if (!mm->cap)
        return NULL;
    for (i = memo_hash(id, n) & (mm->cap - 1);; i = (i + 1) & (mm->cap - 1)) {
        struct memo_slot *s = &mm->slot[i];

        if (!s->id || (strncmp(s->id, id, n) == 0 && s->id[n] == '\0'))
            return s;
    }
}

/* Remember hits for id; silently forgets nothing and adds nothing on out of memory. */
static void memo_put(struct memo *mm, const char *id, size_t n, int64_t hits)
{
    struct memo_slot *s;

    if (mm->n >= MEMO_MAX)
        return;
    if (2 * (mm->n + 1) > mm->cap) { /* grow to keep the table at most half full */
        struct memo old = *mm;
        size_t cap = mm->cap ? mm->cap * 2 : 1024;

        if (!(mm->slot = sqlite3_malloc64(cap * sizeof *mm->slot))) {
            mm->slot = old.slot;
            return;
        }
        memset(mm->slot, 0, cap * sizeof *mm->slot);
        mm->cap = cap;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slot[i].id)
                *memo_find(mm, old.slot[i].id, strlen(old.slot[i].id)) = old.slot[i];
        sqlite3_free(old.slot);
    }
    s = memo_find(mm, id, n);
    if (s->id) {
        s->hits = hits;
        return;
    }
    if (!(s->id = sqlite3_malloc64(n + 1)))
        return;
    memcpy(s->id, id, n);
    s->id[n] = '\0';
    s->hits = hits;
    mm->n++;
}

/* Forget everything unless the memo is for this pattern, flags and speaker and (when
 * check_version) the database is unchanged since it was filled. */
static void memo_key(struct memo *mm, sqlite3 *db, const char *pattern, int flags, int want,
                     int check_version)
{
    unsigned int v = mm->version;

    /* the main database's change counter: commits by any connection, this one included
     * (TEMP tables do not count) */
    if (check_version &&
        sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK)
        v = mm->version + 1; /* unknown: start afresh */
    if (mm->pattern && strcmp(mm->pattern, pattern) == 0 && mm->flags == flags &&
        mm->want == want && v == mm->version)
        return;
    memo_clear(mm);
    mm->pattern = sqlite3_mprintf("%s", pattern);
    mm->flags = flags;
    mm->want = want;
    mm->version = v;
}

static int parse_flags(const unsigned char *f, int *flags)
{
    *flags = 0;
    for (; f && *f; f++) {
        if (*f == 'i')
            *flags |= RE_CASELESS;
        else if (*f == 'c')
            *flags &= ~RE_CASELESS;
        else
            return -1;
    }
    return 0;
}

/* The flags and speaker arguments of mention_count: 0, or -1 after reporting a bad one (or
 * with no result at all when an argument is NULL: the result is then NULL). */
static int mention_args(sqlite3_context *ctx, int argc, sqlite3_value **argv, int *flags, int *want)
{
    const char *who;

    *flags = 0;
    *want = CONVO_UNKNOWN;
    for (int i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
            return -1;
    if (argc > 2 && parse_flags(sqlite3_value_text(argv[2]), flags)) {
        sqlite3_result_error(ctx, "mention_count: flags are 'i' (caseless) or 'c'", -1);
        return -1;
    }
    if (argc < 2 || argc > 4) {
        sqlite3_result_error(ctx, "mention_count: give call_id, pattern[, flags[, speaker]]", -1);
        return -1;
    }
    if (argc > 3 && (who = (const char *)sqlite3_value_text(argv[3])) != NULL) {
        if (strcmp(who, "rep") == 0)
            *want = CONVO_REP;
        else if (strcmp(who, "customer") == 0)
            *want = CONVO_CUSTOMER;
        else if (strcmp(who, "all") != 0) {
            sqlite3_result_error(ctx, "mention_count: speaker is rep, customer or all", -1);
            return -1;
        }
    }
    return 0;
}

/* A matcher for the pattern argument compiled with flags; NULL after reporting an error. */
static struct mention *mention_new(sqlite3_context *ctx, sqlite3_value **argv, int flags)
{
    const char *pattern = (const char *)sqlite3_value_text(argv[1]);
    struct mention *m = pattern ? sqlite3_malloc(sizeof *m) : NULL;
    struct err e = {0};

    if (!m) {
        sqlite3_result_error_nomem(ctx);
        return NULL;
    }
    memset(m, 0, sizeof *m);
    convo_init(&m->cv, sqlite3_context_db_handle(ctx));
    buf_init(&m->fixed, 0);
    buf_init(&m->un, 0);
    m->flags = flags;
    if (re_compile(pattern, flags, &m->re, &e) != ERR_OK) {
        sqlite3_result_error(ctx, e.msg, -1);
        mention_free(m);
        return NULL;
    }
    return m;
}

/* mention_count(call_id, pattern[, flags[, speaker]]) */
static void mention_count_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct mention *m = sqlite3_get_auxdata(ctx, 1);
    struct memo *mm = sqlite3_user_data(ctx);
    struct memo_slot *slot;
    const char *pattern, *id;
    size_t id_len;
    struct err e = {0};
    char *msg = NULL;
    int flags, fresh = 0, want, rc;
    int64_t hits;

    if (mention_args(ctx, argc, argv, &flags, &want))
        return;
    if (!m || m->flags != flags) {
        if (!(m = mention_new(ctx, argv, flags)))
            return;
        fresh = 1;
    }
    id = (const char *)sqlite3_value_text(argv[0]);
    id_len = (size_t)sqlite3_value_bytes(argv[0]);
    pattern = (const char *)sqlite3_value_text(argv[1]);
    if (mm && id && pattern) {
        memo_key(mm, sqlite3_context_db_handle(ctx), pattern, flags, want, fresh);
        if ((slot = memo_find(mm, id, id_len)) && slot->id) {
            if (slot->hits >= 0)
                sqlite3_result_int64(ctx, slot->hits);
            goto done;
        }
    }
    rc = convo_load_text(&m->cv, argv[0], &msg);
    if (rc == SQLITE_ROW && want != CONVO_UNKNOWN)
        rc = convo_load_parties(&m->cv, argv[0], &msg) == SQLITE_OK ? SQLITE_ROW : SQLITE_ERROR;
    if (rc == SQLITE_DONE) { /* no transcript: NULL */
        if (mm && id && pattern)
            memo_put(mm, id, id_len, -1);
        goto done;
    }
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_NOMEM && !msg)
            sqlite3_result_error_nomem(ctx);
        else
            sqlite3_result_error(ctx, msg ? msg : sqlite3_errstr(rc), -1);
        goto done;
    }
    if ((hits = count_hits(m, want, &e)) < 0) {
        if (e.code == ERR_NOMEM)
            sqlite3_result_error_nomem(ctx);
        else
            sqlite3_result_error(ctx, e.msg, -1);
        goto done;
    }
    sqlite3_result_int64(ctx, hits);
    if (mm && id && pattern)
        memo_put(mm, id, id_len, hits);
done:
    sqlite3_free(msg);
    if (fresh) /* after this call, m belongs to SQLite */
        sqlite3_set_auxdata(ctx, 1, m, mention_free);
}

int mention_register(sqlite3 *db)
{
    struct memo *mm = sqlite3_malloc(sizeof *mm);

    if (!mm)
        return SQLITE_NOMEM;
    memset(mm, 0, sizeof *mm);
    /* It reads the database: neither deterministic nor innocuous. One registration for
     * every arity, so the memo has one owner (freed with the connection, even on failure). */
    return sqlite3_create_function_v2(db, "mention_count", -1, SQLITE_UTF8, mm, mention_count_fn,
                                      NULL, NULL, memo_free);
}
