/* parse: turn Gong's JSON pages into the plain structs of parse.h, with cJSON.
 *
 * jsonwalk.c parses a page one member and one array element at a time, so each record's
 * exact bytes are known (calls_raw keeps them) without a second parser; here each element is
 * handed to its kind's mapper (map_user, map_call, map_transcript), which fills one struct
 * from the cJSON tree. The rest of this file is those mappers and the field readers they
 * share.
 *
 * Each page owns a small arena (bump allocator over 64 KiB chunks) that holds its struct
 * arrays, a copy of each record's raw bytes, normalised times and re-printed JSON values;
 * users and extensive pages keep the elements' cJSON trees alive and borrow their strings,
 * so a field costs no allocation of its own. Transcript pages encode each transcript into
 * one shared text buffer and free its tree at once, so a page never holds more than one
 * transcript's tree.
 *
 * Every array walk follows cJSON's linked list (never cJSON_GetArrayItem, which is linear
 * per call), so a page parses in time linear in its size. */
#include "parse.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "isotime.h"
#include "jsonwalk.h"
#include "text.h"
#include "transcript.h"

#include "banned.h"

/* ---- page memory ------------------------------------------------------------------------ */

#define CHUNK_MIN ((size_t)64 << 10)

struct chunk {
    struct chunk *next;
    size_t cap, used;
    max_align_t data[];
};

struct parse_mem {
    struct chunk *chunks;
    cJSON *root;        /* the top-level object: its members, and the kept elements */
    void *recs;         /* the page's records (malloc'd, grows while walking) */
    size_t cap_recs;    /* records recs has room for */
    struct buf text;    /* transcripts: the encoded lines of every transcript */
    struct buf mono;    /* transcripts: the monologue JSON of every transcript */
    struct buf scratch; /* JSON re-printing */
};

static void mem_free(struct parse_mem *m)
{
    struct chunk *c, *next;

    if (!m)
        return;
    for (c = m->chunks; c; c = next) {
        next = c->next;
        free(c);
    }
    cJSON_Delete(m->root);
    free(m->recs);
    buf_release(&m->text);
    buf_release(&m->mono);
    buf_release(&m->scratch);
    free(m);
}

static struct parse_mem *mem_new(void)
{
    struct parse_mem *m = calloc(1, sizeof *m);

    if (!m)
        return NULL;
    buf_init(&m->text, 0);
    buf_init(&m->mono, 0);
    buf_init(&m->scratch, 0);
    return m;
}

/* n bytes aligned for any type, zeroed; NULL on out of memory. */
static void *mem_alloc(struct parse_mem *m, size_t n)
{
    struct chunk *c = m->chunks;
    void *p;

    if (n > SIZE_MAX - 64)
        return NULL;
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;

        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        if (cap > CHUNK_MIN && m->chunks) { /* a big block: keep the current chunk in front */
            c->next = m->chunks->next;
            m->chunks->next = c;
        } else {
            c->next = m->chunks;
            m->chunks = c;
        }
    }
    p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

/* ---- parsing context: sticky out-of-memory error and warnings ---------------------------- */

struct cx {
    struct parse_mem *m;
    struct parse_warnings *w;
    const char *what; /* the endpoint, for messages: "/v2/users" */
    int nomem;        /* sticky: an allocation failed */
};

/* Count a warning in *counter (cx->w->n_null or n_skipped); keep the text of the first. */
static void warn(struct cx *cx, size_t *counter, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn(struct cx *cx, size_t *counter, const char *fmt, ...)
{
    va_list ap;

    (*counter)++;
    if (cx->w->first[0])
        return;
    va_start(ap, fmt);
    vsnprintf(cx->w->first, ERR_MSG_MAX, fmt, ap);
    va_end(ap);
}

static void *cx_alloc(struct cx *cx, size_t n, size_t size)
{
    void *p;

    if (size && n > SIZE_MAX / size) {
        cx->nomem = 1;
        return NULL;
    }
    p = mem_alloc(cx->m, n * size);
    if (!p)
        cx->nomem = 1;
    return p;
}

static const char *cx_strndup(struct cx *cx, const char *s, size_t n)
{
    char *p = cx_alloc(cx, n + 1, 1);

    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- cJSON accessors ----------------------------------------------------------------------- */

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

/* The first element of an array (NULL for anything that is not an array). */
static const cJSON *first(const cJSON *a)
{
    return cJSON_IsArray(a) ? a->child : NULL;
}

static size_t count(const cJSON *a)
{
    size_t n = 0;

    for (const cJSON *x = first(a); x; x = x->next)
        n++;
    return n;
}

/* d truncated toward zero into int64; 0 when not finite or out of range. */
static int trunc_i64(double d, int64_t *out)
{
    if (!isfinite(d))
        return 0;
    d = trunc(d);
    if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return 0;
    *out = (int64_t)d;
    return 1;
}

/* A whole number that int64 holds. */
static int whole_i64(double d, int64_t *out)
{
    return isfinite(d) && d == trunc(d) && trunc_i64(d, out);
}

/* A JSON number, or a string holding a plain decimal number (deals_number_text). */
static int num_of(const cJSON *v, double *d)
{
    if (cJSON_IsNumber(v)) {
        *d = v->valuedouble;
        return isfinite(*d);
    }
    if (cJSON_IsString(v))
        return deals_number_text(v->valuestring, strlen(v->valuestring), d);
    return 0;
}

/* A text field: a string as is; an integral number a double holds exactly (|n| <= 2^53)
 * as decimal text (ids sent as numbers); NULL for anything else. */
static const char *text_of(struct cx *cx, const cJSON *v)
{
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        int64_t i;
        char tmp[32];
        int n;

        if (fabs(d) <= 9007199254740992.0 && whole_i64(d, &i)) {
            n = snprintf(tmp, sizeof tmp, "%lld", (long long)i);
            return cx_strndup(cx, tmp, (size_t)n);
        }
    }
    return NULL;
}

static const char *get_text(struct cx *cx, const cJSON *o, const char *k)
{
    return text_of(cx, get(o, k));
}

/* Integers: numbers and numeric strings, fractions truncated toward zero. */
static struct parse_i64 get_int(const cJSON *o, const char *k)
{
    struct parse_i64 r = {0, 0};
    double d;

    if (num_of(get(o, k), &d) && trunc_i64(d, &r.v))
        r.set = 1;
    return r;
}

static struct parse_f64 get_real(const cJSON *o, const char *k)
{
    struct parse_f64 r = {0, 0};

    if (num_of(get(o, k), &r.v))
        r.set = 1;
    return r;
}

/* Booleans: true/false, the numbers 0/1, the strings "true"/"false". */
static struct parse_i64 get_bool(const cJSON *o, const char *k)
{
    struct parse_i64 r = {0, 0};
    const cJSON *v = get(o, k);

    if (cJSON_IsBool(v)) {
        r.set = 1;
        r.v = cJSON_IsTrue(v) ? 1 : 0;
    } else if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1)) {
        r.set = 1;
        r.v = v->valuedouble == 1;
    } else if (cJSON_IsString(v) &&
               (!strcmp(v->valuestring, "true") || !strcmp(v->valuestring, "false"))) {
        r.set = 1;
        r.v = v->valuestring[0] == 't';
    }
    return r;
}

/* A date-time: a string with Z or an offset, normalised to UTC text; as leniency, epoch
 * seconds (10 digits) or milliseconds (13 digits) sent as a number. Anything else that is
 * not null is warned about and read as NULL. who names the owner ("call '123'"). */
static const char *get_time(struct cx *cx, const cJSON *o, const char *k, const char *who)
{
    const cJSON *v = get(o, k);
    char out[ISOTIME_MAX];
    int64_t ms;

    if (!v || cJSON_IsNull(v))
        return NULL;
    if (cJSON_IsString(v)) {
        if (isotime_normalize(v->valuestring, out, NULL) == ERR_OK)
            return cx_strndup(cx, out, strlen(out));
        warn(cx, &cx->w->n_null, "%s: bad %s time '%.60s' read as null", who, k, v->valuestring);
        return NULL;
    }
    if (cJSON_IsNumber(v) && whole_i64(v->valuedouble, &ms)) {
        if (ms >= 1000000000LL && ms < 10000000000LL)
            ms *= 1000;
        if (ms >= 1000000000000LL && ms < 10000000000000LL) {
            isotime_format(ms, 1, out);
            return cx_strndup(cx, out, strlen(out));
        }
    }
    warn(cx, &cx->w->n_null, "%s: bad %s time (not a date-time string) read as null", who, k);
    return NULL;
}

/* ---- JSON re-printing (arrays and objects stored as JSON text) ---------------------------- */

static int json_number(struct buf *b, double d, struct err *e)
{
    char tmp[40];
    int64_t i;

    if (!isfinite(d))
        return buf_puts(b, "null", e);
    if (fabs(d) < 1e15 && whole_i64(d, &i)) {
        snprintf(tmp, sizeof tmp, "%lld", (long long)i);
    } else {
        snprintf(tmp, sizeof tmp, "%.15g", d);
        if (strtod(tmp, NULL) != d)
            snprintf(tmp, sizeof tmp, "%.17g", d);
        for (char *q = tmp; *q; q++) /* a locale's decimal comma becomes JSON's point */
            if (*q != '-' && *q != '+' && *q != 'e' && (*q < '0' || *q > '9'))
                *q = '.';
    }
    return buf_puts(b, tmp, e);
}

static int json_write(struct buf *b, const cJSON *v, struct err *e)
{
    int rc = ERR_OK;

    if (cJSON_IsString(v))
        return text_json_string(b, v->valuestring, strlen(v->valuestring), e);
    if (cJSON_IsNumber(v))
        return json_number(b, v->valuedouble, e);
    if (cJSON_IsTrue(v))
        return buf_puts(b, "true", e);
    if (cJSON_IsFalse(v))
        return buf_puts(b, "false", e);
    if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int obj = cJSON_IsObject(v);

        if ((rc = buf_putc(b, obj ? '{' : '[', e)))
            return rc;
        for (const cJSON *x = v->child; x; x = x->next) {
            if (x != v->child && (rc = buf_putc(b, ',', e)))
                return rc;
            if (obj) {
                const char *k = x->string ? x->string : "";

                if ((rc = text_json_string(b, k, strlen(k), e)) || (rc = buf_putc(b, ':', e)))
                    return rc;
            }
            if ((rc = json_write(b, x, e)))
                return rc;
        }
        return buf_putc(b, obj ? '}' : ']', e);
    }
    return buf_puts(b, "null", e);
}

/* v printed as compact JSON into the page's memory; NULL on out of memory. */
static const char *json_text(struct cx *cx, const cJSON *v, size_t *len)
{
    struct buf *s = &cx->m->scratch;

    buf_reset(s);
    if (json_write(s, v, NULL) != ERR_OK) {
        cx->nomem = 1;
        return NULL;
    }
    *len = s->len;
    return cx_strndup(cx, s->data ? s->data : "", s->len);
}

/* A JSON-array column: an array as JSON text, a lone string as a one-element array. */
static const char *get_json_array(struct cx *cx, const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    struct buf *s = &cx->m->scratch;
    size_t len;

    if (cJSON_IsArray(v))
        return json_text(cx, v, &len);
    if (cJSON_IsString(v)) {
        buf_reset(s);
        if (buf_putc(s, '[', NULL) ||
            text_json_string(s, v->valuestring, strlen(v->valuestring), NULL) ||
            buf_putc(s, ']', NULL)) {
            cx->nomem = 1;
            return NULL;
        }
        return cx_strndup(cx, s->data, s->len);
    }
    return NULL;
}

uint64_t parse_fnv1a64(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void parse_digest_hex(const void *p, size_t n, char out[17])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t h = parse_fnv1a64(p, n);

    for (int i = 15; i >= 0; i--) {
        out[i] = hex[h & 15];
        h >>= 4;
    }
    out[16] = '\0';
}

/* ---- one page walk, one mapper per kind ---------------------------------------------------- */

#define NO_ID (-1) /* a mapper's answer for an element without an id */

/* A page kind: its array and how one element becomes one record. */
struct kind {
    const char *what; /* the endpoint, for messages */
    const char *key;  /* the top-level array of records */
    const char *id;   /* what a record without an id lacks, for the warning */
    size_t size;      /* bytes of one record */
    int keep_tree;    /* records borrow the element's cJSON strings: keep the tree */
    /* Fill rec (zeroed) from the element el, an object whose exact bytes are raw[0..n):
     * ERR_OK when kept, NO_ID when it has no id (skipped), else an ERR_* code. */
    int (*map)(struct cx *cx, const cJSON *el, const char *raw, size_t n, void *rec, struct err *e);
};

/* What a walk found, for the page struct. */
struct walk {
    void *recs;
    size_t n;
    const char *cursor;
    int64_t total;
};

/* take's state while jsonwalk_page runs. */
struct taker {
    struct cx *cx;
    const struct kind *k;
    size_t n; /* records kept so far */
};

/* jsonwalk_fn: element i of the page's array, at raw[0..n), mapped into the next record or
 * skipped with a warning. */
static int take(void *arg, const cJSON *el, size_t i, const char *raw, size_t n, struct err *e)
{
    struct taker *t = arg;
    struct cx *cx = t->cx;
    struct parse_mem *m = cx->m;
    const struct kind *k = t->k;
    char *rec;
    int rc;

    if (!cJSON_IsObject(el)) {
        warn(cx, &cx->w->n_skipped, "%s[%zu] is not an object: skipped", k->key, i);
        return ERR_OK;
    }
    if (t->n == m->cap_recs) {
        size_t cap = m->cap_recs ? 2 * m->cap_recs : 128;
        void *p = cap <= SIZE_MAX / k->size ? realloc(m->recs, cap * k->size) : NULL;

        if (!p)
            return err_set(e, ERR_NOMEM, "parse %s: out of memory", k->what);
        m->recs = p;
        m->cap_recs = cap;
    }
    rec = (char *)m->recs + t->n * k->size;
    memset(rec, 0, k->size);
    if ((rc = k->map(cx, el, raw, n, rec, e)) > 0)
        return rc;
    if (cx->nomem)
        return err_set(e, ERR_NOMEM, "parse %s: out of memory", k->what);
    if (rc == NO_ID)
        warn(cx, &cx->w->n_skipped, "%s[%zu] has no %s: skipped", k->key, i, k->id);
    else
        t->n++;
    return ERR_OK;
}

/* records.cursor (copied; NULL when absent, null or empty) and records.totalRecords. */
static void read_records(struct cx *cx, const cJSON *root, const char **cursor, int64_t *total)
{
    const cJSON *rec = get(root, "records");
    const cJSON *c = get(rec, "cursor");
    struct parse_i64 t = get_int(rec, "totalRecords");

    *cursor = NULL;
    if (cJSON_IsString(c) && c->valuestring[0])
        *cursor = cx_strndup(cx, c->valuestring, strlen(c->valuestring));
    *total = t.set ? t.v : -1;
}

/* Walk a page of kind k into m (the page's memory), counting warnings in *wn. */
static int walk_page(const struct kind *k, const char *body, size_t len, struct parse_mem *m,
                     struct parse_warnings *wn, struct walk *w, struct err *e)
{
    struct cx cx = {m, wn, k->what, 0};
    struct taker t = {&cx, k, 0};
    int rc;

    memset(w, 0, sizeof *w);
    if ((rc = jsonwalk_page(body, len, k->what, k->key, k->keep_tree, take, &t, &m->root, e)))
        return rc;
    read_records(&cx, m->root, &w->cursor, &w->total);
    if (cx.nomem)
        return err_set(e, ERR_NOMEM, "parse %s: out of memory", k->what);
    if (!k->keep_tree) { /* nothing borrows from it: free it now */
        cJSON_Delete(m->root);
        m->root = NULL;
    }
    w->recs = m->recs;
    w->n = t.n;
    return ERR_OK;
}

/* ---- users ------------------------------------------------------------------------------- */

static int map_user(struct cx *cx, const cJSON *u, const char *raw, size_t n, void *rec,
                    struct err *e)
{
    struct parse_user *r = rec;
    char who[64];

    (void)e;
    if (!(r->id = get_text(cx, u, "id")))
        return NO_ID;
    snprintf(who, sizeof who, "user '%.40s'", r->id);
    r->email = get_text(cx, u, "emailAddress");
    r->first_name = get_text(cx, u, "firstName");
    r->last_name = get_text(cx, u, "lastName");
    r->title = get_text(cx, u, "title");
    r->manager_id = get_text(cx, u, "managerId");
    r->active = get_bool(u, "active");
    r->created = get_time(cx, u, "created", who);
    r->phone_number = get_text(cx, u, "phoneNumber");
    r->extension = get_text(cx, u, "extension");
    r->trusted_email = get_text(cx, u, "trustedEmailAddress");
    r->email_aliases = get_json_array(cx, u, "emailAliases");
    r->raw = cx_strndup(cx, raw, n);
    r->raw_len = n;
    return ERR_OK;
}

static const struct kind users_kind = {"/v2/users", "users", "id", sizeof(struct parse_user),
                                       1,           map_user};

/* ---- extensive calls --------------------------------------------------------------------- */

static void crm_value(struct cx *cx, const cJSON *v, struct deals_value *out)
{
    memset(out, 0, sizeof *out);
    if (cJSON_IsString(v)) {
        out->type = DEALS_V_TEXT;
        out->s = v->valuestring;
        out->len = strlen(v->valuestring);
    } else if (cJSON_IsBool(v)) {
        out->type = DEALS_V_BOOL;
        out->i = cJSON_IsTrue(v) ? 1 : 0;
    } else if (cJSON_IsNumber(v)) {
        if (whole_i64(v->valuedouble, &out->i)) {
            out->type = DEALS_V_INT;
        } else {
            out->type = DEALS_V_REAL;
            out->d = v->valuedouble;
        }
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        out->s = json_text(cx, v, &out->len);
        out->type = out->s ? DEALS_V_JSON : DEALS_V_NULL;
    } /* null, missing: DEALS_V_NULL */
}

static size_t ctx_count(const cJSON *ctx)
{
    size_t n = 0;

    for (const cJSON *sys = first(ctx); sys; sys = sys->next)
        n += count(get(sys, "objects"));
    return n;
}

/* Append the objects of one context array to objs[*k..]. */
static void ctx_fill(struct cx *cx, const cJSON *ctx, int party_ord, struct deals_object *objs,
                     size_t *k)
{
    for (const cJSON *sys = first(ctx); sys; sys = sys->next) {
        const char *system = get_text(cx, sys, "system");

        for (const cJSON *o = first(get(sys, "objects")); o; o = o->next) {
            struct deals_object *d;
            struct deals_field *f;
            const cJSON *fields = get(o, "fields");
            size_t nf = 0;

            if (!cJSON_IsObject(o))
                continue;
            d = &objs[(*k)++];
            d->party_ord = party_ord;
            d->system = system;
            d->object_type = get_text(cx, o, "objectType");
            d->object_id = get_text(cx, o, "objectId");
            d->timing = get_text(cx, o, "timing");
            f = cx_alloc(cx, count(fields) + 1, sizeof *f);
            if (!f)
                return;
            for (const cJSON *x = first(fields); x; x = x->next) {
                if (!cJSON_IsObject(x))
                    continue;
                f[nf].name = get_text(cx, x, "name");
                crm_value(cx, get(x, "value"), &f[nf].v);
                nf++;
            }
            d->fields = f;
            d->n_fields = nf;
        }
    }
}

static void parse_parties(struct cx *cx, const cJSON *parties, struct parse_call *c, size_t *n_crm)
{
    size_t n = count(parties), k = 0;
    int ord = 0;

    c->parties = cx_alloc(cx, n + 1, sizeof *c->parties);
    if (!c->parties)
        return;
    for (const cJSON *p = first(parties); p; p = p->next, ord++) {
        struct parse_party *r = &c->parties[k];

        if (!cJSON_IsObject(p))
            continue;
        r->ord = ord;
        r->party_id = get_text(cx, p, "id");
        r->speaker_id = get_text(cx, p, "speakerId");
        r->user_id = get_text(cx, p, "userId");
        r->name = get_text(cx, p, "name");
        r->email = get_text(cx, p, "emailAddress");
        r->title = get_text(cx, p, "title");
        r->affiliation = get_text(cx, p, "affiliation");
        r->phone_number = get_text(cx, p, "phoneNumber");
        r->methods = get_json_array(cx, p, "methods");
        *n_crm += ctx_count(get(p, "context"));
        k++;
    }
    c->n_parties = k;
}

static void parse_crm(struct cx *cx, const cJSON *jc, struct parse_call *c, size_t n_crm)
{
    const cJSON *parties = get(jc, "parties");
    size_t k = 0, max;
    int ord = 0;

    c->crm = cx_alloc(cx, n_crm + 1, sizeof *c->crm);
    if (!c->crm)
        return;
    ctx_fill(cx, get(jc, "context"), -1, c->crm, &k);
    for (const cJSON *p = first(parties); p; p = p->next, ord++)
        if (cJSON_IsObject(p))
            ctx_fill(cx, get(p, "context"), ord, c->crm, &k);
    c->n_crm = k;
    max = deals_max_rows(c->crm, c->n_crm);
    c->deals = cx_alloc(cx, max + 1, sizeof *c->deals);
    if (c->deals)
        c->n_deals = deals_derive(c->crm, c->n_crm, c->deals);
}

static struct parse_named *parse_named(struct cx *cx, const cJSON *a, size_t *n)
{
    struct parse_named *r = cx_alloc(cx, count(a) + 1, sizeof *r);

    *n = 0;
    if (!r)
        return NULL;
    for (const cJSON *x = first(a); x; x = x->next) {
        if (!cJSON_IsObject(x))
            continue;
        r[*n].name = get_text(cx, x, "name");
        r[*n].duration = get_real(x, "duration");
        (*n)++;
    }
    return r;
}

static void parse_trackers(struct cx *cx, const cJSON *a, struct parse_call *c)
{
    size_t n_occ = 0;

    for (const cJSON *t = first(a); t; t = t->next)
        n_occ += count(get(t, "occurrences"));
    c->trackers = cx_alloc(cx, count(a) + 1, sizeof *c->trackers);
    c->occurrences = cx_alloc(cx, n_occ + 1, sizeof *c->occurrences);
    if (!c->trackers || !c->occurrences)
        return;
    for (const cJSON *t = first(a); t; t = t->next) {
        struct parse_tracker *r = &c->trackers[c->n_trackers];

        if (!cJSON_IsObject(t))
            continue;
        r->tracker_id = get_text(cx, t, "id");
        r->name = get_text(cx, t, "name");
        r->type = get_text(cx, t, "type");
        r->count = get_int(t, "count");
        c->n_trackers++;
        for (const cJSON *o = first(get(t, "occurrences")); o; o = o->next) {
            struct parse_occurrence *q = &c->occurrences[c->n_occurrences];

            if (!cJSON_IsObject(o))
                continue;
            q->tracker_id = r->tracker_id;
            q->start_s = get_real(o, "startTime");
            q->speaker_id = get_text(cx, o, "speakerId");
            c->n_occurrences++;
        }
    }
}

static void parse_interaction(struct cx *cx, const cJSON *in, struct parse_call *c)
{
    const cJSON *sp = get(in, "speakers"), *st = get(in, "interactionStats");
    const cJSON *q = get(in, "questions");

    c->speakers = cx_alloc(cx, count(sp) + 1, sizeof *c->speakers);
    c->stats = cx_alloc(cx, count(st) + 1, sizeof *c->stats);
    if (!c->speakers || !c->stats)
        return;
    for (const cJSON *x = first(sp); x; x = x->next) {
        struct parse_speaker *r = &c->speakers[c->n_speakers];

        if (!cJSON_IsObject(x))
            continue;
        r->speaker = get_text(cx, x, "id");
        r->user_id = get_text(cx, x, "userId");
        r->talk_time = get_real(x, "talkTime");
        c->n_speakers++;
    }
    for (const cJSON *x = first(st); x; x = x->next) {
        if (!cJSON_IsObject(x))
            continue;
        c->stats[c->n_stats].name = get_text(cx, x, "name");
        c->stats[c->n_stats].value = get_real(x, "value");
        c->n_stats++;
    }
    c->questions_company = get_int(q, "companyCount");
    c->questions_non_company = get_int(q, "nonCompanyCount");
}

static void parse_content(struct cx *cx, const cJSON *ct, struct parse_call *c)
{
    const cJSON *kp = get(ct, "keyPoints");
    const cJSON *ai = get(get(ct, "pointsOfInterest"), "actionItems");
    const cJSON *oc = get(ct, "callOutcome");

    c->brief = get_text(cx, ct, "brief");
    c->outcome_id = get_text(cx, oc, "id");
    c->outcome_category = get_text(cx, oc, "category");
    c->outcome_name = get_text(cx, oc, "name");
    c->topics = parse_named(cx, get(ct, "topics"), &c->n_topics);
    c->structure = parse_named(cx, get(ct, "structure"), &c->n_structure);
    parse_trackers(cx, get(ct, "trackers"), c);
    c->key_points = cx_alloc(cx, count(kp) + 1, sizeof *c->key_points);
    c->action_items = cx_alloc(cx, count(ai) + 1, sizeof *c->action_items);
    if (!c->key_points || !c->action_items)
        return;
    for (const cJSON *x = first(kp); x; x = x->next) {
        if (cJSON_IsObject(x))
            c->key_points[c->n_key_points++] = get_text(cx, x, "text");
        else if (cJSON_IsString(x)) /* lenient: a bare string */
            c->key_points[c->n_key_points++] = x->valuestring;
    }
    for (const cJSON *x = first(ai); x; x = x->next) {
        struct parse_action_item *r = &c->action_items[c->n_action_items];
        const cJSON *spk = get(x, "speakerID");

        if (!cJSON_IsObject(x))
            continue;
        if (!spk || cJSON_IsNull(spk))
            spk = get(x, "speakerId");
        r->start_s = get_real(x, "snippetStartTime");
        r->end_s = get_real(x, "snippetEndTime");
        r->speaker_id = text_of(cx, spk);
        r->snippet = get_text(cx, x, "snippet");
        c->n_action_items++;
    }
}

static void parse_call(struct cx *cx, const cJSON *jc, struct parse_call *c)
{
    const cJSON *md = get(jc, "metaData");
    size_t n_crm = ctx_count(get(jc, "context"));
    char who[64];

    c->id = get_text(cx, md, "id");
    if (!c->id)
        return;
    snprintf(who, sizeof who, "call '%.40s'", c->id);
    c->url = get_text(cx, md, "url");
    c->title = get_text(cx, md, "title");
    c->scheduled = get_time(cx, md, "scheduled", who);
    c->started = get_time(cx, md, "started", who);
    c->duration = get_int(md, "duration");
    c->direction = get_text(cx, md, "direction");
    c->scope = get_text(cx, md, "scope");
    c->system = get_text(cx, md, "system");
    c->media = get_text(cx, md, "media");
    c->language = get_text(cx, md, "language");
    c->workspace_id = get_text(cx, md, "workspaceId");
    c->primary_user_id = get_text(cx, md, "primaryUserId");
    c->purpose = get_text(cx, md, "purpose");
    c->is_private = get_bool(md, "isPrivate");
    c->sdr_disposition = get_text(cx, md, "sdrDisposition");
    c->client_unique_id = get_text(cx, md, "clientUniqueId");
    c->custom_data = get_text(cx, md, "customData");
    c->meeting_url = get_text(cx, md, "meetingUrl");
    c->calendar_event_id = get_text(cx, md, "calendarEventId");
    parse_parties(cx, get(jc, "parties"), c, &n_crm);
    parse_crm(cx, jc, c, n_crm);
    parse_content(cx, get(jc, "content"), c);
    parse_interaction(cx, get(jc, "interaction"), c);
}

static int map_call(struct cx *cx, const cJSON *jc, const char *raw, size_t n, void *rec,
                    struct err *e)
{
    struct parse_call *c = rec;

    (void)e;
    parse_call(cx, jc, c);
    if (!c->id)
        return NO_ID;
    c->raw = cx_strndup(cx, raw, n);
    c->raw_len = n;
    parse_digest_hex(raw, n, c->digest);
    return ERR_OK;
}

static const struct kind calls_kind = {"/v2/calls/extensive",     "calls", "metaData.id",
                                       sizeof(struct parse_call), 1,       map_call};

/* ---- transcripts ------------------------------------------------------------------------- */

/* Milliseconds: a number or numeric string, truncated; 0 when missing or unreadable. */
static int64_t ms_of(const cJSON *v)
{
    double d;
    int64_t ms = 0;

    if (num_of(v, &d) && !trunc_i64(d, &ms))
        ms = d < 0 ? INT64_MIN : INT64_MAX;
    return ms;
}

/* Encode one callTranscripts item into m->text and its monologues into m->mono, each
 * followed by a NUL byte. */
static int encode_transcript(struct cx *cx, const cJSON *item, int64_t *sentences, struct err *e)
{
    struct buf *text = &cx->m->text, *mono = &cx->m->mono;
    int rc, first_mono = 1;

    *sentences = 0;
    if ((rc = buf_putc(mono, '[', e)))
        return rc;
    for (const cJSON *m = first(get(item, "transcript")); m; m = m->next) {
        const cJSON *topic = get(m, "topic");
        const char *spk;
        int64_t ns = 0;

        if (!cJSON_IsObject(m))
            continue;
        spk = get_text(cx, m, "speakerId");
        if (spk && strpbrk(spk, "\t\r\n"))
            spk = NULL; /* would break the line format */
        for (const cJSON *s = first(get(m, "sentences")); s; s = s->next) {
            const cJSON *t = get(s, "text");
            const char *txt = cJSON_IsString(t) ? t->valuestring : "";

            if (!cJSON_IsObject(s))
                continue;
            rc = transcript_append(text, ms_of(get(s, "start")), ms_of(get(s, "end")), spk, txt,
                                   strlen(txt), e);
            if (rc)
                return rc;
            ns++;
        }
        if ((rc = buf_printf(mono, e, "%s[%lld,", first_mono ? "" : ",", (long long)ns)))
            return rc;
        if (cJSON_IsString(topic))
            rc = text_json_string(mono, topic->valuestring, strlen(topic->valuestring), e);
        else
            rc = buf_puts(mono, "null", e);
        if (rc || (rc = buf_putc(mono, ']', e)))
            return rc;
        first_mono = 0;
        *sentences += ns;
    }
    if ((rc = buf_putc(mono, ']', e)) || (rc = buf_putc(mono, '\0', e)) ||
        (rc = buf_putc(text, '\0', e)))
        return rc;
    return ERR_OK;
}

/* Encode one callTranscripts item after the others in m->text and m->mono; its text and
 * monologues pointers are set once the page is done (the buffers still move). */
static int map_transcript(struct cx *cx, const cJSON *item, const char *raw, size_t n, void *rec,
                          struct err *e)
{
    struct parse_transcript *t = rec;
    size_t text0 = cx->m->text.len, mono0 = cx->m->mono.len;
    const char *id = get_text(cx, item, "callId");
    int rc;

    (void)raw, (void)n;
    if (!id)
        return NO_ID;
    t->call_id = cx_strndup(cx, id, strlen(id)); /* the element's tree goes next */
    if ((rc = encode_transcript(cx, item, &t->sentences, e))) {
        err_wrap(e, "parse %s: transcript of call '%.40s'", cx->what, id);
        return rc;
    }
    t->text_len = cx->m->text.len - text0 - 1;
    t->monologues_len = cx->m->mono.len - mono0 - 1;
    return ERR_OK;
}

static const struct kind transcripts_kind = {
    "/v2/calls/transcript", "callTranscripts", "callId", sizeof(struct parse_transcript), 0,
    map_transcript};

/* ---- the pages ------------------------------------------------------------------------------ */

/* A zeroed page struct of size bytes with its memory; NULL on out of memory. */
static void *page_new(size_t size, struct parse_mem **mem)
{
    void *p = calloc(1, size);

    if (p && !(*mem = mem_new())) {
        free(p);
        return NULL;
    }
    return p;
}

int parse_users_page(const char *body, size_t len, struct parse_users_page **out, struct err *e)
{
    struct parse_mem *m = NULL;
    struct parse_users_page *p = page_new(sizeof *p, &m);
    struct walk w;
    int rc;

    *out = NULL;
    if (!p)
        return err_set(e, ERR_NOMEM, "parse %s: out of memory", users_kind.what);
    p->mem = m;
    if ((rc = walk_page(&users_kind, body, len, m, &p->warnings, &w, e))) {
        parse_users_free(p);
        return rc;
    }
    p->users = w.recs, p->n_users = w.n, p->cursor = w.cursor, p->total_records = w.total;
    *out = p;
    return ERR_OK;
}

int parse_calls_page(const char *body, size_t len, struct parse_calls_page **out, struct err *e)
{
    struct parse_mem *m = NULL;
    struct parse_calls_page *p = page_new(sizeof *p, &m);
    struct walk w;
    int rc;

    *out = NULL;
    if (!p)
        return err_set(e, ERR_NOMEM, "parse %s: out of memory", calls_kind.what);
    p->mem = m;
    if ((rc = walk_page(&calls_kind, body, len, m, &p->warnings, &w, e))) {
        parse_calls_free(p);
        return rc;
    }
    p->calls = w.recs, p->n_calls = w.n, p->cursor = w.cursor, p->total_records = w.total;
    *out = p;
    return ERR_OK;
}

int parse_transcripts_page(const char *body, size_t len, struct parse_transcripts_page **out,
                           struct err *e)
{
    struct parse_mem *m = NULL;
    struct parse_transcripts_page *p = page_new(sizeof *p, &m);
    struct walk w;
    size_t to = 0, mo = 0;
    int rc;

    *out = NULL;
    if (!p)
        return err_set(e, ERR_NOMEM, "parse %s: out of memory", transcripts_kind.what);
    p->mem = m;
    /* The encoded text is about as long as the JSON: reserve once. */
    if ((rc = buf_reserve(&m->text, len, e)) ||
        (rc = walk_page(&transcripts_kind, body, len, m, &p->warnings, &w, e))) {
        parse_transcripts_free(p);
        return rc;
    }
    p->items = w.recs, p->n_items = w.n, p->cursor = w.cursor, p->total_records = w.total;
    for (size_t i = 0; i < p->n_items; i++) { /* each piece ends in a NUL */
        p->items[i].text = m->text.data + to;
        p->items[i].monologues = m->mono.data + mo;
        to += p->items[i].text_len + 1;
        mo += p->items[i].monologues_len + 1;
    }
    *out = p;
    return ERR_OK;
}

void parse_users_free(struct parse_users_page *p)
{
    if (p)
        mem_free(p->mem);
    free(p);
}

void parse_calls_free(struct parse_calls_page *p)
{
    if (p)
        mem_free(p->mem);
    free(p);
}

void parse_transcripts_free(struct parse_transcripts_page *p)
{
    if (p)
        mem_free(p->mem);
    free(p);
}

int parse_total_records(const char *body, size_t len, int64_t *total, struct err *e)
{
    cJSON *root = NULL;
    struct parse_i64 t;
    int rc;

    *total = 0;
    if ((rc = jsonwalk_object(body, len, "/v2/calls", &root, e)))
        return rc;
    t = get_int(get(root, "records"), "totalRecords");
    cJSON_Delete(root);
    if (!t.set)
        return err_set(e, ERR_PARSE, "malformed JSON from /v2/calls: no records.totalRecords");
    *total = t.v;
    return ERR_OK;
}
