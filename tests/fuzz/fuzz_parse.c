/* fuzz_parse: Gong's JSON pages -> rows, end to end (parse.h, deals.h, store.h).
 *
 * The first byte picks the page kind (users, extensive calls, transcripts, or a list's
 * count); the rest is the body. A page that parses is checked, then stored into an
 * in-memory mirror inside a transaction that is rolled back after each input:
 *   - parsing never crashes, and fails only with ERR_PARSE (or ERR_NOMEM);
 *   - each user's and call's raw bytes are one JSON object cJSON accepts, they stand in the
 *     body in order, one after the other, and a call's digest is that of its raw bytes;
 *   - the counts of warnings add up: every element of the page's array is a record or a
 *     skipped one;
 *   - each transcript's text reads back as exactly `sentences` well-formed lines, and its
 *     monologues are a JSON array whose counts add up to `sentences`;
 *   - the deals helpers agree with themselves on every CRM value (an amount is finite, a
 *     close date is stored UTC text that reads back as itself, deals_derive is repeatable);
 *   - storing a parsed page never fails, a call's calls_raw inflates back to its raw bytes,
 *     and storing the same page again (ids unique) changes nothing at all. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "deals.h"
#include "fuzz.h"
#include "isotime.h"
#include "parse.h"
#include "store.h"
#include "transcript.h"
#include "zblob.h"

#include "banned.h"

#define NOW_ISO "2024-03-01T00:00:00Z"

static sqlite3 *db;
static struct store *st;
static struct zblob_codec *zc;

static void setup(void)
{
    struct err e = {0};

    if (db)
        return;
    if (db_open_rw(":memory:", &db, &e) != ERR_OK || store_open(db, &st, &e) != ERR_OK) {
        fprintf(stderr, "fuzz_parse: setup: %s\n", e.msg);
        abort();
    }
    if (!(zc = zblob_codec_new(ZBLOB_LEVEL)))
        abort();
}

static void store_failed(const char *what, const struct err *e)
{
    fprintf(stderr, "fuzz_parse: %s failed on a parsed page: %s\n", what, e->msg);
    abort();
}

/* A page that failed to parse: with ERR_PARSE and a message naming the endpoint, or on
 * out of memory. */
static void check_parse_error(int rc, const struct err *e)
{
    FUZZ_CHECK(rc == ERR_PARSE || rc == ERR_NOMEM);
    FUZZ_CHECK(rc == ERR_NOMEM || strncmp(e->msg, "malformed JSON from /v2/", 24) == 0);
}

/* raw[0..n) is one JSON object, and it stands in body[*at..len): *at moves past it, so the
 * records' bytes are checked to come in order without overlapping. */
static void check_raw_object(const char *body, size_t len, size_t *at, const char *raw, size_t n)
{
    cJSON *j = cJSON_ParseWithLength(raw, n);
    size_t i = *at;

    FUZZ_CHECK(j != NULL);
    FUZZ_CHECK(cJSON_IsObject(j));
    cJSON_Delete(j);
    while (i + n <= len && memcmp(body + i, raw, n) != 0)
        i++;
    FUZZ_CHECK(i + n <= len); /* found, after the previous record */
    *at = i + n;
}

/* The elements of the page's array as cJSON reads the whole body: every one is a record
 * or counted as skipped. */
static void check_counts(const char *body, size_t len, const char *key, size_t n,
                         const struct parse_warnings *w)
{
    cJSON *j = cJSON_ParseWithLength(body, len);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key);

    if (cJSON_IsArray(a)) /* (nesting deep enough for cJSON to refuse the whole body aside) */
        FUZZ_CHECK((size_t)cJSON_GetArraySize(a) == n + w->n_skipped);
    cJSON_Delete(j);
}

/* Is ids[0..n) free of repeats? (quadratic; pages from the fuzzer are small) */
static int unique(const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(ids[i], ids[j]) == 0)
                return 0;
    return 1;
}

static int64_t changes(void)
{
    return sqlite3_total_changes64(db);
}

static void check_value(const struct deals_value *v)
{
    double d;
    int64_t i, ms;
    char out[ISOTIME_MAX], again[ISOTIME_MAX];

    if (deals_amount(v, &d))
        FUZZ_CHECK(isfinite(d));
    if (deals_size(v, &i) && v->type == DEALS_V_INT)
        FUZZ_CHECK(i == v->i);
    if (deals_close_date(v, out)) {
        FUZZ_CHECK(memchr(out, '\0', ISOTIME_MAX) != NULL);
        FUZZ_CHECK(isotime_parse(out, 0, &ms, NULL) == ERR_OK);
        isotime_format(ms, 1, again);
        FUZZ_CHECK(strcmp(out, again) == 0);
    }
    if (v->type == DEALS_V_TEXT || v->type == DEALS_V_JSON) {
        FUZZ_CHECK(v->s && v->s[v->len] == '\0');
        if (deals_number_text(v->s, v->len, &d))
            FUZZ_CHECK(isfinite(d));
    }
}

static void check_call(const struct parse_call *c)
{
    char digest[17];
    struct deals_row *rows;
    size_t n;

    FUZZ_CHECK(c->id != NULL);
    parse_digest_hex(c->raw, c->raw_len, digest);
    FUZZ_CHECK(strcmp(digest, c->digest) == 0);
    FUZZ_CHECK(c->n_deals <= deals_max_rows(c->crm, c->n_crm));
    for (size_t i = 0; i < c->n_crm; i++)
        for (size_t j = 0; j < c->crm[i].n_fields; j++)
            check_value(&c->crm[i].fields[j].v);
    for (size_t i = 0; i < c->n_deals; i++) {
        const struct deals_row *r = &c->deals[i];

        FUZZ_CHECK(r->timing != NULL);
        if (r->has_amount)
            FUZZ_CHECK(isfinite(r->amount));
        FUZZ_CHECK(memchr(r->close_date_iso, '\0', ISOTIME_MAX) != NULL);
    }
    rows = calloc(deals_max_rows(c->crm, c->n_crm) + 1, sizeof *rows);
    if (!rows)
        abort();
    n = deals_derive(c->crm, c->n_crm, rows);
    FUZZ_CHECK(n == c->n_deals);
    free(rows);
}

/* calls_raw of call c inflates back to its raw bytes. */
static void check_calls_raw(const struct parse_call *c)
{
    sqlite3_stmt *q = NULL;
    struct buf out;
    struct err e = {0};

    buf_init(&out, 0);
    FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT size, body, digest FROM calls_raw WHERE call_id = ?1",
                                  -1, &q, NULL) == SQLITE_OK);
    sqlite3_bind_text(q, 1, c->id, -1, SQLITE_STATIC);
    FUZZ_CHECK(sqlite3_step(q) == SQLITE_ROW);
    FUZZ_CHECK(zblob_inflate(zc, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1),
                             (size_t)sqlite3_column_int64(q, 0), &out, &e) == ERR_OK);
    FUZZ_CHECK(out.len == c->raw_len && (out.len == 0 || memcmp(out.data, c->raw, out.len) == 0));
    FUZZ_CHECK(strcmp((const char *)sqlite3_column_text(q, 2), c->digest) == 0);
    sqlite3_finalize(q);
    buf_release(&out);
}

static void fuzz_users(const char *body, size_t len)
{
    struct parse_users_page *p = NULL;
    struct store_counts c = {0};
    struct err e = {0};
    const char **ids;
    int rc = parse_users_page(body, len, &p, &e);
    int64_t before;

    if (rc) {
        check_parse_error(rc, &e);
        FUZZ_CHECK(p == NULL);
        return;
    }
    ids = calloc(p->n_users + 1, sizeof *ids);
    if (!ids)
        abort();
    check_counts(body, len, "users", p->n_users, &p->warnings);
    for (size_t i = 0, at = 0; i < p->n_users; i++) {
        FUZZ_CHECK(p->users[i].id != NULL);
        check_raw_object(body, len, &at, p->users[i].raw, p->users[i].raw_len);
        ids[i] = p->users[i].id;
    }
    if (db_begin(db, &e))
        store_failed("begin", &e);
    if (store_put_users(st, p, &c, &e))
        store_failed("store_put_users", &e);
    FUZZ_CHECK((size_t)(c.n_new + c.n_updated + c.n_unchanged) == p->n_users);
    if (unique(ids, p->n_users)) {
        struct store_counts c2 = {0};

        before = changes();
        if (store_put_users(st, p, &c2, &e))
            store_failed("store_put_users (again)", &e);
        FUZZ_CHECK((size_t)c2.n_unchanged == p->n_users && changes() == before);
    }
    db_rollback(db);
    free(ids);
    parse_users_free(p);
}

static void fuzz_calls(const char *body, size_t len, int include_private)
{
    struct parse_calls_page *p = NULL;
    struct store_counts c = {0};
    struct err e = {0};
    const char **ids;
    int rc = parse_calls_page(body, len, &p, &e);
    int64_t before;

    if (rc) {
        check_parse_error(rc, &e);
        FUZZ_CHECK(p == NULL);
        return;
    }
    ids = calloc(p->n_calls + 1, sizeof *ids);
    if (!ids)
        abort();
    check_counts(body, len, "calls", p->n_calls, &p->warnings);
    for (size_t i = 0, at = 0; i < p->n_calls; i++) {
        check_raw_object(body, len, &at, p->calls[i].raw, p->calls[i].raw_len);
        check_call(&p->calls[i]);
        ids[i] = p->calls[i].id;
    }
    if (db_begin(db, &e))
        store_failed("begin", &e);
    if (store_put_calls(st, p, include_private, NOW_ISO, &c, &e))
        store_failed("store_put_calls", &e);
    FUZZ_CHECK((size_t)(c.n_new + c.n_updated + c.n_unchanged) == p->n_calls);
    if (unique(ids, p->n_calls)) {
        struct store_counts c2 = {0};

        for (size_t i = 0; i < p->n_calls; i++)
            check_calls_raw(&p->calls[i]);
        before = changes();
        if (store_put_calls(st, p, include_private, NOW_ISO, &c2, &e))
            store_failed("store_put_calls (again)", &e);
        FUZZ_CHECK((size_t)c2.n_unchanged == p->n_calls && changes() == before);
    }
    db_rollback(db);
    free(ids);
    parse_calls_free(p);
}

/* Sum of the counts of a monologues array, or -1 when it is not [[n, "topic"|null], ...]. */
static int64_t monologue_total(const char *s, size_t n)
{
    cJSON *j = cJSON_ParseWithLength(s, n);
    int64_t total = 0;

    if (!cJSON_IsArray(j)) {
        cJSON_Delete(j);
        return -1;
    }
    for (const cJSON *m = j->child; m; m = m->next) {
        const cJSON *cnt = cJSON_GetArrayItem(m, 0), *topic = cJSON_GetArrayItem(m, 1);

        if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) != 2 || !cJSON_IsNumber(cnt) ||
            !(cJSON_IsString(topic) || cJSON_IsNull(topic))) {
            total = -1;
            break;
        }
        total += (int64_t)cnt->valuedouble;
    }
    cJSON_Delete(j);
    return total;
}

static void fuzz_transcripts(const char *body, size_t len)
{
    struct parse_transcripts_page *p = NULL;
    struct store_counts c = {0};
    struct err e = {0};
    const char **ids;
    int rc = parse_transcripts_page(body, len, &p, &e);
    int64_t before;

    if (rc) {
        check_parse_error(rc, &e);
        FUZZ_CHECK(p == NULL);
        return;
    }
    ids = calloc(p->n_items + 1, sizeof *ids);
    if (!ids)
        abort();
    check_counts(body, len, "callTranscripts", p->n_items, &p->warnings);
    for (size_t i = 0; i < p->n_items; i++) {
        const struct parse_transcript *t = &p->items[i];
        struct transcript_line ln;
        size_t pos = 0;
        int64_t lines = 0;
        int r;

        FUZZ_CHECK(t->call_id != NULL);
        ids[i] = t->call_id;
        FUZZ_CHECK(t->text[t->text_len] == '\0' && t->monologues[t->monologues_len] == '\0');
        while ((r = transcript_next(t->text, t->text_len, &pos, &ln)) == 1)
            lines++;
        FUZZ_CHECK(r == 0); /* never a malformed line */
        FUZZ_CHECK(lines == t->sentences);
        FUZZ_CHECK(monologue_total(t->monologues, t->monologues_len) == t->sentences);
    }
    if (db_begin(db, &e))
        store_failed("begin", &e);
    if (store_put_transcripts(st, p, NOW_ISO, &c, &e))
        store_failed("store_put_transcripts", &e);
    FUZZ_CHECK((size_t)(c.n_new + c.n_updated + c.n_unchanged) == p->n_items);
    if (unique(ids, p->n_items)) {
        struct store_counts c2 = {0};

        before = changes();
        if (store_put_transcripts(st, p, NOW_ISO, &c2, &e))
            store_failed("store_put_transcripts (again)", &e);
        FUZZ_CHECK((size_t)c2.n_unchanged == p->n_items && changes() == before);
    }
    db_rollback(db);
    free(ids);
    parse_transcripts_free(p);
}

/* A list's count (GET /v2/calls): fails only with ERR_PARSE; when found, it is the one cJSON
 * reads. */
static void fuzz_total(const char *body, size_t len)
{
    struct err e = {0};
    int64_t total = -1;
    int rc = parse_total_records(body, len, &total, &e);

    FUZZ_CHECK(rc == ERR_OK || rc == ERR_PARSE);
    if (rc == ERR_OK) {
        cJSON *j = cJSON_ParseWithLength(body, len);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(j, "records"), "totalRecords");

        FUZZ_CHECK(t != NULL);
        cJSON_Delete(j);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    uint8_t mode = fz_u8(&f);
    char *body;

    setup();
    body = fz_dup_exact(f.p, f.n); /* not NUL-terminated: parse must not need it */
    switch (mode & 3) {
    case 0: fuzz_users(body, f.n); break;
    case 1: fuzz_calls(body, f.n, (mode >> 2) & 1); break;
    case 2: fuzz_transcripts(body, f.n); break;
    default: fuzz_total(body, f.n);
    }
    free(body);
    return 0;
}
