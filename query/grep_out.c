/* grep_out: printing grep's hits (see grep_out.h).
 *
 * Text output is built in a buffer flushed every 64 KiB; rows go through out.h. The heading
 * of a call reads its metadata (title, started, url, rep, stage as --deal-timing says) with
 * one statement, stepped once per call that has hits. */
#include "grep_out.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct grep_out {
    struct grep *g;
    struct buf ob;
    struct out *o;               /* rows for --format */
    size_t total;                /* hits printed */
    size_t n_sentences, n_calls; /* sentences and calls with printed hits */
    size_t counted_call;         /* the last call counted in n_calls */
    int more;                    /* --max-hits left out hits known to exist */
    size_t last_call, last_idx;
    sqlite3 *db;        /* the main thread's connection */
    sqlite3_stmt *meta; /* title, started, url, rep, stage of one call */
    size_t meta_call;   /* the call meta is stepped on, or GREP_NONE */
};

#define C_HEAD "\033[1;35m"
#define C_TIME "\033[32m"
#define C_MATCH "\033[1;31m"
#define C_OFF "\033[0m"

enum { M_TITLE, M_STARTED, M_URL, M_REP, M_STAGE };

/* Step pr->meta onto the call's row (the columns stay valid until the next call). */
static int load_meta(struct grep_out *pr, size_t call, struct err *e)
{
    int step;

    if (pr->meta_call == call)
        return ERR_OK;
    sqlite3_reset(pr->meta);
    sqlite3_bind_text(pr->meta, 1, grep_cand_id(pr->g, call), -1, SQLITE_STATIC);
    step = sqlite3_step(pr->meta);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return err_set(e, ERR_DB, "grep: read call: %s", sqlite3_errmsg(pr->db));
    pr->meta_call = step == SQLITE_ROW ? call : GREP_NONE;
    return ERR_OK;
}

/* A metadata column of the loaded call, or NULL. */
static const char *meta(const struct grep_out *pr, int col)
{
    return pr->meta_call == GREP_NONE ? NULL : (const char *)sqlite3_column_text(pr->meta, col);
}

static int put_meta(struct grep_out *pr, const char *v, const char *sep, struct err *e)
{
    if (!v || !*v)
        return ERR_OK;
    return buf_puts(&pr->ob, sep, e) || out_safe_text(&pr->ob, v, strlen(v), e)
               ? err_set(e, ERR_NOMEM, "grep: out of memory")
               : ERR_OK;
}

static int heading(struct grep_out *pr, size_t call, struct err *e)
{
    const char *title, *started;
    int rc;

    if ((rc = load_meta(pr, call, e)))
        return rc;
    title = meta(pr, M_TITLE), started = meta(pr, M_STARTED);
    if (pr->last_call != GREP_NONE && (rc = buf_putc(&pr->ob, '\n', e)))
        return rc;
    if ((rc = buf_puts(&pr->ob, pr->g->color ? C_HEAD : "", e)) ||
        (rc =
             out_safe_text(&pr->ob, title ? title : "(untitled)", title ? strlen(title) : 10, e)) ||
        (rc = buf_puts(&pr->ob, pr->g->color ? C_OFF : "", e)))
        return rc;
    if (started && (rc = buf_printf(&pr->ob, e, " · %.10s", started)))
        return rc;
    if ((rc = put_meta(pr, meta(pr, M_REP), " · ", e)) ||
        (rc = put_meta(pr, meta(pr, M_STAGE), " · ", e)) ||
        (rc = put_meta(pr, grep_cand_id(pr->g, call), " · id ", e)))
        return rc;
    return buf_putc(&pr->ob, '\n', e);
}

/* How many of a rec's matches may still be printed under --max-hits. */
static size_t allowed(const struct grep_out *pr, size_t n)
{
    size_t max = pr->g->max_hits;

    if (!max)
        return n;
    return pr->total >= max ? 0 : n < max - pr->total ? n : max - pr->total;
}

static int text_rec(struct grep_out *pr, const struct grep_batch *b, const struct grep_rec *r,
                    size_t nm, struct err *e)
{
    struct buf *o = &pr->ob;
    const char *text = b->arena.data + r->text;
    const char *on = pr->g->color ? C_MATCH : "", *off = pr->g->color ? C_OFF : "";
    size_t at = 0;
    char t[24];
    int rc;

    if (r->call != pr->last_call) {
        if ((rc = heading(pr, r->call, e)))
            return rc;
        pr->last_call = r->call;
    } else if (pr->g->context && r->idx != pr->last_idx + 1 && (rc = buf_puts(o, "--\n", e))) {
        return rc;
    }
    pr->last_idx = r->idx;
    out_mmss(r->start_ms, t);
    if ((rc = buf_printf(o, e, "%s%s%s ", pr->g->color ? C_TIME : "", t, off)))
        return rc;
    if (r->name != GREP_NONE)
        rc = out_safe_text(o, b->arena.data + r->name, r->name_len, e);
    else if (r->spk_len)
        rc = buf_puts(o, "speaker ", e) || out_safe_text(o, b->arena.data + r->spk, r->spk_len, e);
    else
        rc = buf_puts(o, "unknown speaker", e);
    if (!rc && r->role)
        rc = buf_puts(o, r->role == GREP_REP ? " (rep)" : " (customer)", e);
    if (!rc)
        rc = buf_puts(o, r->m_count ? ": " : "- ", e);
    for (size_t j = 0; j < nm && !rc; j++) {
        const struct grep_match *m = &b->m[r->m_first + j];

        rc = out_safe_text(o, text + at, m->s - at, e) || buf_puts(o, on, e) ||
             out_safe_text(o, text + m->s, m->e - m->s, e) || buf_puts(o, off, e);
        at = m->e;
    }
    if (!rc)
        rc = out_safe_text(o, text + at, r->text_len - at, e) || buf_putc(o, '\n', e);
    return rc ? err_set(e, ERR_NOMEM, "grep: out of memory") : ERR_OK;
}

static struct out_cell text_cell(const char *s, size_t n)
{
    struct out_cell c = {.type = s ? SQLITE_TEXT : SQLITE_NULL, .s = s, .n = n};

    return c;
}

static struct out_cell str_cell(const char *s)
{
    return text_cell(s, s ? strlen(s) : 0);
}

static int row_recs(struct grep_out *pr, const struct grep_batch *b, const struct grep_rec *r,
                    size_t nm, struct err *e)
{
    const char *a = b->arena.data;
    int rc;

    if ((rc = load_meta(pr, r->call, e)))
        return rc;
    for (size_t j = 0; j < nm; j++) {
        const struct grep_match *m = &b->m[r->m_first + j];
        struct out_cell cells[10] = {
            str_cell(grep_cand_id(pr->g, r->call)),
            str_cell(meta(pr, M_TITLE)),
            str_cell(meta(pr, M_STARTED)),
            text_cell(r->spk_len ? a + r->spk : NULL, r->spk_len),
            text_cell(r->name != GREP_NONE ? a + r->name : NULL, r->name_len),
            text_cell(r->aff != GREP_NONE ? a + r->aff : NULL, r->aff_len),
            {.type = SQLITE_INTEGER, .i = r->start_ms},
            text_cell(a + r->text, r->text_len),
            text_cell(a + r->text + m->s, m->e - m->s),
            str_cell(meta(pr, M_URL)),
        };

        if ((rc = out_row(pr->o, cells, e)))
            return rc;
    }
    return ERR_OK;
}

/* Count (-c) and list (-l) lines for the calls of a batch. */
static int per_call(struct grep_out *pr, const struct grep_batch *b, int *stop, struct err *e)
{
    const struct grep *g = pr->g;
    int rc = ERR_OK;

    for (size_t i = 0; i < GREP_BATCH && !rc && !*stop; i++) {
        size_t call = b->k * GREP_BATCH + i, n;
        const char *id;

        if (call >= g->n_cands || !b->counts[i])
            continue;
        id = grep_cand_id(g, call);
        n = allowed(pr, b->counts[i]);
        if (n < b->counts[i])
            pr->more = 1;
        pr->total += n;
        pr->n_calls++;
        *stop = g->max_hits && pr->total >= g->max_hits;
        for (size_t i2 = i + 1; *stop && i2 < GREP_BATCH && !pr->more; i2++)
            pr->more = b->k * GREP_BATCH + i2 < g->n_cands && b->counts[i2] > 0;
        if (pr->o) {
            struct out_cell cells[3] = {
                str_cell(id), str_cell(NULL), {.type = SQLITE_INTEGER, .i = (int64_t)n}};

            if (g->mode == GREP_COUNT) {
                if ((rc = load_meta(pr, call, e)))
                    break;
                cells[1] = str_cell(meta(pr, M_TITLE));
            }
            rc = out_row(pr->o, cells, e); /* -l writes only the first */
            continue;
        }
        rc = out_safe_text(&pr->ob, id, strlen(id), e);
        if (!rc)
            rc = g->mode == GREP_COUNT ? buf_printf(&pr->ob, e, "\t%zu\n", n)
                                       : buf_putc(&pr->ob, '\n', e);
    }
    return rc;
}

int grep_out_batch(struct grep_out *pr, const struct grep_batch *b, int *stop, struct err *e)
{
    int rc = ERR_OK;

    if (pr->g->mode == GREP_COUNT || pr->g->mode == GREP_LIST)
        rc = per_call(pr, b, stop, e);
    /* call by call in output order (the workers scan a batch in id order) */
    for (size_t i = 0;
         i < GREP_BATCH && !rc && !*stop && pr->g->mode != GREP_COUNT && pr->g->mode != GREP_LIST;
         i++) {
        for (size_t j = 0; j < b->rec_count[i] && !rc && !*stop; j++) {
            const struct grep_rec *r = &b->r[b->rec_first[i] + j];
            size_t nm = allowed(pr, r->m_count);

            if (r->m_count && !nm) {
                pr->more = 1;
                *stop = 1;
                break;
            }
            rc = pr->g->mode == GREP_TEXT ? text_rec(pr, b, r, nm, e) : row_recs(pr, b, r, nm, e);
            pr->total += nm;
            if (nm) {
                pr->n_sentences++;
                if (r->call != pr->counted_call)
                    pr->n_calls++, pr->counted_call = r->call;
            }
            if (nm < r->m_count)
                pr->more = 1;
            *stop = pr->g->max_hits && pr->total >= pr->g->max_hits;
            if (*stop) /* are there hits after this one in the batch? */
                for (size_t i2 = i, j2 = j + 1; i2 < GREP_BATCH && !pr->more; i2++, j2 = 0)
                    for (; j2 < b->rec_count[i2] && !pr->more; j2++)
                        pr->more = b->r[b->rec_first[i2] + j2].m_count > 0;
        }
    }
    if (!rc && pr->ob.len >= (64u << 10))
        rc = out_flush_buf(pr->g->fp ? pr->g->fp : stdout, &pr->ob, e);
    return rc;
}

/* The statement the printer reads a call's heading with. */
static int prepare_meta(struct grep_out *pr, struct err *e)
{
    struct buf q;
    int rc;

    buf_init(&q, 0);
    if (!(rc = buf_printf(&q, e, "SELECT calls.title, calls.started, calls.url, %s, ",
                          filter_rep_expr)) &&
        !(rc = filter_deal_column(&pr->g->f, "stage", &q, e)) &&
        !(rc = buf_puts(&q, " FROM calls WHERE calls.id = ?1", e)))
        rc = cmd_prepare(pr->db, q.data, &pr->meta, e);
    buf_release(&q);
    return rc;
}

int grep_out_open(struct grep *g, sqlite3 *db, struct grep_out **out, struct err *e)
{
    static const char *const hit_cols[] = {"call_id",      "title",       "started",  "speaker_id",
                                           "speaker_name", "affiliation", "start_ms", "text",
                                           "match",        "url"};
    static const char *const count_cols[] = {"call_id", "title", "count"};
    struct grep_out *pr;
    int rc;

    *out = NULL;
    pr = calloc(1, sizeof *pr);
    if (!pr)
        return err_set(e, ERR_NOMEM, "grep: out of memory");
    pr->g = g;
    pr->db = db;
    pr->last_call = pr->last_idx = pr->meta_call = pr->counted_call = GREP_NONE;
    buf_init(&pr->ob, 0);
    if ((rc = prepare_meta(pr, e)))
        goto fail;
    if (g->c->format_set) {
        pr->o = out_new(g->fp ? g->fp : stdout, g->c->format, 0);
        if (!pr->o) {
            rc = err_set(e, ERR_NOMEM, "grep: out of memory");
            goto fail;
        }
        rc = g->mode == GREP_COUNT  ? out_begin(pr->o, 3, count_cols, e)
             : g->mode == GREP_LIST ? out_begin(pr->o, 1, count_cols, e)
                                    : out_begin(pr->o, 10, hit_cols, e);
        if (rc)
            goto fail;
    }
    *out = pr;
    return ERR_OK;
fail:
    grep_out_free(pr);
    return rc;
}

int grep_out_finish(struct grep_out *o, struct err *e)
{
    int rc = ERR_OK;

    if (o->o)
        rc = out_end(o->o, e);
    if (!rc)
        rc = out_flush_buf(o->g->fp ? o->g->fp : stdout, &o->ob, e);
    return rc;
}

void grep_out_totals(const struct grep_out *o, int unscanned, FILE *fp)
{
    const struct grep *g = o->g;

    if (g->mode == GREP_COUNT || g->mode == GREP_LIST)
        fprintf(fp, "%zu hit%s in %zu call%s\n", o->total, o->total == 1 ? "" : "s", o->n_calls,
                o->n_calls == 1 ? "" : "s");
    else
        fprintf(fp, "%zu hit%s in %zu sentence%s of %zu call%s\n", o->total,
                o->total == 1 ? "" : "s", o->n_sentences, o->n_sentences == 1 ? "" : "s",
                o->n_calls, o->n_calls == 1 ? "" : "s");
    if (g->max_hits && o->total >= g->max_hits && (o->more || unscanned))
        fprintf(fp, "stopped at %zu hits%s: --max-hits N for more\n", o->total,
                o->more ? "" : " (there may be more)");
}

void grep_out_free(struct grep_out *o)
{
    if (!o)
        return;
    out_free(o->o);
    buf_release(&o->ob);
    sqlite3_finalize(o->meta);
    free(o);
}
