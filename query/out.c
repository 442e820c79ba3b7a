/* out: result writers (table, CSV, TSV, JSON, JSON lines, Markdown) and the text helpers the
 * commands share: terminal-safe text, mm:ss, colour (UTF-8 and JSON strings: text.h).
 *
 * Tables buffer up to OUT_TABLE_BUFFER_ROWS rows (or 16 MiB of cell text) to size their
 * columns, then stream the remaining rows with those widths. Every other format streams.
 * Output goes through one struct buf per writer that is flushed to the FILE every 64 KiB. */
#include "out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "text.h"

#include "banned.h"

#define OUT_FLUSH_AT ((size_t)64 << 10)
#define OUT_TABLE_BUFFER_BYTES ((size_t)16 << 20)

struct tcell { /* a rendered table cell in the arena */
    size_t off, len, width;
    int numeric, null;
};

struct out {
    FILE *fp;
    enum out_format f;
    int flags;
    size_t ncols;
    char **names;
    struct buf ob; /* pending output */
    size_t rows;   /* rows written so far */
    /* table buffering */
    int streaming;    /* widths fixed, rows go straight out */
    struct buf arena; /* rendered cell text of buffered rows */
    struct tcell *cells;
    size_t ncells, capcells;
    size_t *width; /* per column */
    int *numeric;  /* per column: every non-NULL cell is a number */
    struct buf scratch;
    /* fitting a terminal (OUT_TRUNCATE) */
    size_t limit;   /* the terminal's width in columns; 0: no fitting */
    int *shrink;    /* per column: free text that may be cut */
    int *under;     /* per column: printed on a line of its own under each row */
    int expanded;   /* every row prints as a record */
    size_t records; /* records printed */
};

int out_parse_format(const char *s, enum out_format *f, struct err *e)
{
    static const char *const names[] = {"table", "csv", "tsv", "json", "jsonl", "markdown"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *f = (enum out_format)i;
            return ERR_OK;
        }
    }
    if (strcmp(s, "md") == 0) {
        *f = OUT_MARKDOWN;
        return ERR_OK;
    }
    return err_set(e, ERR_USAGE, "unknown format '%s': choose one of %s", s, OUT_FORMATS);
}

int out_safe_text(struct buf *b, const char *s, size_t n, struct err *e)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    int rc;

    while (i < n) {
        unsigned char c = p[i];
        uint32_t cp = c;
        size_t k = 1;
        char esc[12];
        const char *rep = NULL;

        if (c >= 0x20 && c < 0x7F) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            k = text_utf8_seq(p + i, n - i, &cp);
            if (k && cp >= 0xA0) {
                i += k;
                continue;
            }
            if (k) {
                snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
                rep = esc;
            } else {
                rep = "\xEF\xBF\xBD";
                k = 1;
            }
        } else if (c == '\n') {
            rep = "\\n";
        } else if (c == '\r') {
            rep = "\\r";
        } else if (c == '\t') {
            rep = "\\t";
        } else {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            rep = esc;
        }
        if ((rc = buf_append(b, s + run, i - run, e)) || (rc = buf_puts(b, rep, e)))
            return rc;
        i += k;
        run = i;
    }
    return buf_append(b, s + run, n - run, e);
}

void out_format_double(double d, char out[32])
{
    /* A whole number under 1e15 (amounts, mostly): "%.15g" writes its digits, which read
     * back exactly, then ".0"; written without printf, which costs ~1 us a number. -0 keeps
     * its sign through printf. */
    if (fabs(d) < 1e15 && d == (double)(int64_t)d && !(d == 0 && signbit(d))) {
        size_t n = text_put_int(out, (int64_t)d);

        memcpy(out + n, ".0", 3);
        return;
    }
    if (isnan(d)) {
        snprintf(out, 32, "null");
        return;
    }
    if (isinf(d)) {
        snprintf(out, 32, "%s", d < 0 ? "-1e999" : "1e999");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            break;
    }
    if (!strpbrk(out, ".en"))
        snprintf(out + strlen(out), 32 - strlen(out), ".0");
}

void out_mmss(int64_t ms, char out[24])
{
    int64_t s = ms < 0 ? 0 : ms / 1000;

    snprintf(out, 24, "%02lld:%02lld", (long long)(s / 60), (long long)(s % 60));
}

int out_want_color(int fd, const char *mode)
{
    const char *nc;

    if (mode && strcmp(mode, "always") == 0)
        return 1;
    if (mode && strcmp(mode, "never") == 0)
        return 0;
    nc = getenv("NO_COLOR");
    return isatty(fd) && !(nc && *nc);
}

int out_flush_buf(FILE *fp, struct buf *b, struct err *e)
{
    if (b->len && fwrite(b->data, 1, b->len, fp) != b->len) {
        buf_reset(b);
        return err_set(e, ERR_IO, "write output: failed");
    }
    buf_reset(b);
    return ERR_OK;
}

static int put_hex_blob(struct buf *b, const unsigned char *p, size_t n, struct err *e)
{
    static const char hex[] = "0123456789abcdef";
    int rc;

    if ((rc = buf_reserve(b, 2 * n + 3, e)))
        return rc;
    b->data[b->len++] = 'x';
    b->data[b->len++] = '\'';
    for (size_t i = 0; i < n; i++) {
        b->data[b->len++] = hex[p[i] >> 4];
        b->data[b->len++] = hex[p[i] & 15];
    }
    b->data[b->len++] = '\'';
    b->data[b->len] = '\0';
    return ERR_OK;
}

void out_number_text(const struct out_cell *c, char out[32])
{
    if (c->type == SQLITE_INTEGER)
        out[text_put_int(out, c->i)] = '\0';
    else
        out_format_double(c->d, out);
}

int out_json_cell(struct buf *b, const struct out_cell *c, struct err *e)
{
    char num[32];
    struct buf tmp;
    int rc;

    switch (c->type) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: out_number_text(c, num); return buf_puts(b, num, e);
    case SQLITE_TEXT: return text_json_string(b, c->s ? c->s : "", c->s ? c->n : 0, e);
    case SQLITE_BLOB:
        buf_init(&tmp, 0);
        rc = put_hex_blob(&tmp, (const unsigned char *)c->s, c->n, e);
        if (!rc)
            rc = text_json_string(b, tmp.data, tmp.len, e);
        buf_release(&tmp);
        return rc;
    default: return buf_puts(b, "null", e);
    }
}

/* ---- writer lifecycle --------------------------------------------------------------- */

struct out *out_new(FILE *fp, enum out_format f, int flags)
{
    struct out *o = calloc(1, sizeof *o);

    if (!o)
        return NULL;
    o->fp = fp;
    o->f = f;
    o->flags = flags;
    if (flags & OUT_TRUNCATE)
        o->limit = (size_t)out_term_width(fileno(fp));
    buf_init(&o->ob, 0);
    buf_init(&o->arena, (size_t)1 << 30);
    buf_init(&o->scratch, 0);
    return o;
}

static void free_columns(struct out *o)
{
    for (size_t i = 0; i < o->ncols; i++)
        free(o->names[i]);
    free(o->names);
    free(o->width);
    free(o->numeric);
    free(o->shrink);
    free(o->under);
    free(o->cells);
    o->names = NULL;
    o->width = NULL;
    o->numeric = NULL;
    o->shrink = NULL;
    o->under = NULL;
    o->expanded = 0;
    o->records = 0;
    o->cells = NULL;
    o->ncols = o->ncells = o->capcells = 0;
}

void out_free(struct out *o)
{
    if (!o)
        return;
    free_columns(o);
    buf_release(&o->ob);
    buf_release(&o->arena);
    buf_release(&o->scratch);
    free(o);
}

static int maybe_flush(struct out *o, struct err *e)
{
    return o->ob.len >= OUT_FLUSH_AT ? out_flush_buf(o->fp, &o->ob, e) : ERR_OK;
}

/* ---- delimited formats -------------------------------------------------------------- */

static int csv_field(struct buf *b, const struct out_cell *c, struct err *e)
{
    char num[32];
    int rc;

    if (c->type == SQLITE_NULL)
        return ERR_OK; /* an empty unquoted field; "" is the empty string */
    if (c->type == SQLITE_INTEGER || c->type == SQLITE_FLOAT) {
        out_number_text(c, num);
        return buf_puts(b, num, e);
    }
    if (c->type == SQLITE_BLOB)
        return put_hex_blob(b, (const unsigned char *)c->s, c->n, e);
    if ((rc = buf_putc(b, '"', e)))
        return rc;
    for (size_t i = 0; i < c->n; i++) {
        if (c->s[i] == '"' && (rc = buf_putc(b, '"', e)))
            return rc;
        if ((rc = buf_putc(b, c->s[i], e)))
            return rc;
    }
    return buf_putc(b, '"', e);
}

/* CSV quotes a text field only when it must (or is empty, to tell it from NULL). */
static int csv_text(struct buf *b, const char *s, size_t n, struct err *e)
{
    struct out_cell c = {.type = SQLITE_TEXT, .s = s, .n = n};

    if (n && !memchr(s, '"', n) && !memchr(s, ',', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n))
        return buf_append(b, s, n, e);
    return csv_field(b, &c, e);
}

static int tsv_text(struct buf *b, const char *s, size_t n, struct err *e)
{
    size_t run = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        const char *rep = s[i] == '\\'   ? "\\\\"
                          : s[i] == '\t' ? "\\t"
                          : s[i] == '\n' ? "\\n"
                          : s[i] == '\r' ? "\\r"
                                         : NULL;
        if (!rep)
            continue;
        if ((rc = buf_append(b, s + run, i - run, e)) || (rc = buf_append(b, rep, 2, e)))
            return rc;
        run = i + 1;
    }
    return buf_append(b, s + run, n - run, e);
}

static int tsv_field(struct buf *b, const struct out_cell *c, struct err *e)
{
    char num[32];

    switch (c->type) {
    case SQLITE_NULL: return buf_puts(b, "\\N", e);
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: out_number_text(c, num); return buf_puts(b, num, e);
    case SQLITE_BLOB: return put_hex_blob(b, (const unsigned char *)c->s, c->n, e);
    default: return tsv_text(b, c->s ? c->s : "", c->s ? c->n : 0, e);
    }
}

/* Markdown cell text: terminal-safe, with | and \ escaped (a\|b must not render a|b). */
static int md_text(struct out *o, struct buf *b, const char *s, size_t n, struct err *e)
{
    int rc;

    buf_reset(&o->scratch);
    if ((rc = out_safe_text(&o->scratch, s, n, e)))
        return rc;
    for (size_t i = 0; i < o->scratch.len; i++) {
        char ch = o->scratch.data[i];

        if ((ch == '|' || ch == '\\') && (rc = buf_putc(b, '\\', e)))
            return rc;
        if ((rc = buf_putc(b, o->scratch.data[i], e)))
            return rc;
    }
    return ERR_OK;
}

/* Render a cell for the table and Markdown formats into o->scratch. */
static int render_cell(struct out *o, const struct out_cell *c, struct err *e)
{
    char num[32];

    buf_reset(&o->scratch);
    switch (c->type) {
    case SQLITE_NULL: return buf_puts(&o->scratch, "NULL", e);
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: out_number_text(c, num); return buf_puts(&o->scratch, num, e);
    case SQLITE_BLOB: return buf_printf(&o->scratch, e, "<blob %zu bytes>", c->n);
    default: return out_safe_text(&o->scratch, c->s ? c->s : "", c->s ? c->n : 0, e);
    }
}

/* ---- table ------------------------------------------------------------------------- */

/* Table fitting (OUT_TRUNCATE, for a terminal of o->limit columns): when the natural widths
 * do not fit, the widest free-text columns shrink first (cells cut with an ellipsis, down
 * to OUT_FIT_MIN columns); when that is not enough, identifier and URL columns other than
 * the first move to a line of their own under each row (never cut, so they stay whole and
 * clickable); when even that is not enough, every row prints as a record, one line per
 * column ("name  value"), like psql's expanded mode. */
#define OUT_FIT_MIN 11 /* display columns a shrunk text column keeps, the ellipsis included */

/* Whether a column named name holds identifiers or links, never to be cut. */
static int protected_name(const char *name)
{
    size_t n = strlen(name);

    return strcmp(name, "id") == 0 || (n > 3 && strcmp(name + n - 3, "_id") == 0) ||
           strstr(name, "url") != NULL;
}

int out_term_width(int fd)
{
    const char *env = getenv("COLUMNS");
    struct winsize ws;
    char *end = NULL;
    long v;

    if (env && *env) {
        v = strtol(env, &end, 10);
        if (!*end && v > 0 && v < 100000)
            return (int)v;
    }
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static int pad(struct buf *b, size_t n, struct err *e)
{
    int rc = buf_reserve(b, n, e);

    if (rc)
        return rc;
    memset(b->data + b->len, ' ', n);
    b->len += n;
    b->data[b->len] = '\0';
    return ERR_OK;
}

/* Append cell text s[0..n) of display width w, cut to at most max columns with an ellipsis;
 * *shown is the width written. */
static int put_cut(struct buf *b, const char *s, size_t n, size_t w, size_t max, size_t *shown,
                   struct err *e)
{
    int rc;

    if (w <= max) {
        *shown = w;
        return buf_append(b, s, n, e);
    }
    *shown = max;
    if (!max)
        return ERR_OK;
    if ((rc = buf_append(b, s, text_utf8_prefix(s, n, max - 1), e)))
        return rc;
    return buf_puts(b, "\xE2\x80\xA6", e);
}

/* One row as a record: a rule with its number, then "name  value" per column. */
static int table_record(struct out *o, const struct tcell *cells, const char *base, struct err *e)
{
    size_t rule = o->limit < 40 ? o->limit : 40, lw = 0, shown;
    int rc;

    for (size_t i = 0; i < o->ncols; i++) {
        size_t w = text_utf8_count(o->names[i], strlen(o->names[i]));

        lw = w > lw ? w : lw;
    }
    if (lw > o->limit / 3)
        lw = o->limit / 3;
    if ((rc = buf_printf(&o->ob, e, "-[ %zu ]", ++o->records)))
        return rc;
    for (size_t k = 8; k < rule && !rc; k++)
        rc = buf_putc(&o->ob, '-', e);
    if (rc || (rc = buf_putc(&o->ob, '\n', e)))
        return rc;
    for (size_t i = 0; i < o->ncols; i++) {
        size_t avail = o->limit > lw + 2 ? o->limit - lw - 2 : 1;
        const struct tcell *c = &cells[i];

        buf_reset(&o->scratch);
        if ((rc = out_safe_text(&o->scratch, o->names[i], strlen(o->names[i]), e)) ||
            (rc = put_cut(&o->ob, o->scratch.data ? o->scratch.data : "", o->scratch.len,
                          text_utf8_count(o->scratch.data ? o->scratch.data : "", o->scratch.len),
                          lw, &shown, e)))
            return rc;
        if (c->width > avail && !o->shrink[i]) { /* whole, on a line of its own */
            rc = buf_putc(&o->ob, '\n', e) || buf_append(&o->ob, base + c->off, c->len, e);
        } else {
            rc = pad(&o->ob, lw + 2 - shown, e) ||
                 put_cut(&o->ob, base + c->off, c->len, c->width, avail, &shown, e);
        }
        if (rc || (rc = buf_putc(&o->ob, '\n', e)))
            return rc ? ERR_NOMEM : ERR_OK;
    }
    return maybe_flush(o, e);
}

/* Write one table line: cells[0..ncols) whose text lives at base + off; header: the column
 * names (the columns under the row are left out). */
static int table_line(struct out *o, const struct tcell *cells, const char *base, int header,
                      struct err *e)
{
    size_t last = 0, n_under = 0, shown;
    int rc, first = 1;

    if (o->expanded)
        return header ? ERR_OK : table_record(o, cells, base, e);
    for (size_t i = 0; i < o->ncols; i++) {
        if (o->under[i])
            n_under++;
        else
            last = i;
    }
    for (size_t i = 0; i < o->ncols; i++) {
        size_t w = o->width[i];
        const struct tcell *c = &cells[i];

        if (o->under[i])
            continue;
        if (!first && (rc = buf_puts(&o->ob, "  ", e)))
            return rc;
        first = 0;
        if (o->numeric[i] && c->width < w && (rc = pad(&o->ob, w - c->width, e)))
            return rc;
        rc = o->shrink[i] ? put_cut(&o->ob, base + c->off, c->len, c->width, w, &shown, e)
                          : buf_append(&o->ob, base + c->off, c->len, e);
        if (rc)
            return rc;
        shown = o->shrink[i] ? shown : c->width;
        if (!o->numeric[i] && i != last && shown < w && (rc = pad(&o->ob, w - shown, e)))
            return rc;
    }
    if ((rc = buf_putc(&o->ob, '\n', e)))
        return rc;
    for (size_t i = 0; i < o->ncols && !header; i++) {
        if (!o->under[i])
            continue;
        rc = buf_puts(&o->ob, "  ", e);
        if (!rc && n_under > 1)
            rc = out_safe_text(&o->ob, o->names[i], strlen(o->names[i]), e) ||
                 buf_puts(&o->ob, ": ", e);
        if (rc || (rc = buf_append(&o->ob, base + cells[i].off, cells[i].len, e)) ||
            (rc = buf_putc(&o->ob, '\n', e)))
            return rc ? ERR_NOMEM : ERR_OK;
    }
    return maybe_flush(o, e);
}

/* Append the rendered text of c (a cell of column col) to the arena and describe it in *t.
 * When fitting a terminal, a text cell wider than the terminal is cut there already. */
static int table_cell(struct out *o, size_t col, const struct out_cell *c, struct tcell *t,
                      struct err *e)
{
    size_t w, shown;
    int rc;

    if ((rc = render_cell(o, c, e)))
        return rc;
    w = text_utf8_count(o->scratch.data, o->scratch.len);
    t->off = o->arena.len;
    t->numeric = c->type == SQLITE_INTEGER || c->type == SQLITE_FLOAT;
    t->null = c->type == SQLITE_NULL;
    if (o->limit && !protected_name(o->names[col]) && !t->numeric) {
        if ((rc = put_cut(&o->arena, o->scratch.data, o->scratch.len, w, o->limit, &shown, e)))
            return rc;
        w = shown;
    } else if ((rc = buf_append(&o->arena, o->scratch.data, o->scratch.len, e))) {
        return rc;
    }
    t->len = o->arena.len - t->off;
    t->width = w;
    return ERR_OK;
}

static int table_header(struct out *o, struct err *e)
{
    struct tcell *h = calloc(o->ncols + 1, sizeof *h);
    struct buf names;
    int rc = ERR_OK, first = 1;

    buf_init(&names, 0);
    if (!h)
        return err_set(e, ERR_NOMEM, "table: out of memory");
    if (o->expanded)
        goto done;
    for (size_t i = 0; i < o->ncols && !rc; i++) {
        /* a column name comes from the (untrusted) SQL: terminal-safe like any cell */
        h[i].off = names.len;
        rc = out_safe_text(&names, o->names[i], strlen(o->names[i]), e);
        h[i].len = names.len - h[i].off;
        h[i].width = text_utf8_count(names.data ? names.data + h[i].off : "", h[i].len);
    }
    if (!rc)
        rc = table_line(o, h, names.data ? names.data : "", 1, e);
    for (size_t i = 0; i < o->ncols && !rc; i++) {
        if (o->under[i])
            continue;
        if (!first)
            rc = buf_puts(&o->ob, "  ", e);
        first = 0;
        for (size_t k = 0; k < o->width[i] && !rc; k++)
            rc = buf_putc(&o->ob, '-', e);
    }
    if (!rc)
        rc = buf_putc(&o->ob, '\n', e);
done:
    free(h);
    buf_release(&names);
    return rc;
}

/* The width of a table line with the current widths (columns under the row left out). */
static size_t table_total(const struct out *o)
{
    size_t total = 0, n = 0;

    for (size_t i = 0; i < o->ncols; i++) {
        if (o->under[i])
            continue;
        total += o->width[i];
        n++;
    }
    return total + (n ? 2 * (n - 1) : 0);
}

/* Shrink the widest free-text column, one display column at a time, until the table fits
 * o->limit or none can shrink further. */
static void table_shrink(struct out *o)
{
    size_t total = table_total(o);

    while (total > o->limit) {
        size_t best = o->ncols;

        for (size_t i = 0; i < o->ncols; i++)
            if (o->shrink[i] && !o->under[i] && o->width[i] > OUT_FIT_MIN &&
                (best == o->ncols || o->width[i] > o->width[best]))
                best = i;
        if (best == o->ncols)
            return;
        o->width[best]--;
        total--;
    }
}

/* Fit the columns to o->limit (see the comment at the top of this section). natural holds
 * the natural widths (ncols entries, used as scratch). */
static void table_fit(struct out *o, size_t *natural)
{
    memcpy(natural, o->width, o->ncols * sizeof *natural);
    for (size_t i = 0; i < o->ncols; i++)
        o->shrink[i] = !o->numeric[i] && !protected_name(o->names[i]);
    table_shrink(o);
    while (table_total(o) > o->limit) {
        size_t best = o->ncols;

        for (size_t i = 1; i < o->ncols; i++) /* the widest identifier or link but the first */
            if (!o->shrink[i] && !o->numeric[i] && !o->under[i] &&
                (best == o->ncols || o->width[i] > o->width[best]))
                best = i;
        if (best == o->ncols)
            break;
        o->under[best] = 1;
        memcpy(o->width, natural, o->ncols * sizeof *natural); /* shrink afresh without it */
        table_shrink(o);
    }
    if (table_total(o) > o->limit)
        o->expanded = 1;
}

/* Size the columns from the buffered rows, print the header and the buffered rows; later
 * rows stream with these widths. */
static int table_start_streaming(struct out *o, struct err *e)
{
    int rc;

    for (size_t i = 0; i < o->ncols; i++) {
        o->width[i] = text_utf8_count(o->names[i], strlen(o->names[i]));
        o->numeric[i] = o->ncells > 0;
    }
    for (size_t k = 0; k < o->ncells; k++) {
        size_t col = k % o->ncols;

        if (o->cells[k].width > o->width[col])
            o->width[col] = o->cells[k].width;
        if (!o->cells[k].null && !o->cells[k].numeric)
            o->numeric[col] = 0;
    }
    if (o->limit) {
        size_t *natural = malloc(o->ncols * sizeof *natural);

        if (!natural)
            return err_set(e, ERR_NOMEM, "table: out of memory");
        table_fit(o, natural);
        free(natural);
    }
    if ((rc = table_header(o, e)))
        return rc;
    for (size_t k = 0; k < o->ncells; k += o->ncols)
        if ((rc = table_line(o, &o->cells[k], o->arena.data, 0, e)))
            return rc;
    o->streaming = 1;
    o->ncells = 0;
    buf_reset(&o->arena);
    return ERR_OK;
}

/* Buffer a row, or print it at once when the widths are already fixed. */
static int table_row(struct out *o, const struct out_cell *cells, struct err *e)
{
    int rc;

    if (o->ncols == 0) /* nothing to show, and no division by zero below */
        return ERR_OK;

    if (o->streaming) {
        buf_reset(&o->arena);
        o->ncells = 0;
    }
    if (o->ncells + o->ncols > o->capcells) {
        size_t cap = o->capcells ? o->capcells * 2 : o->ncols * 64;
        struct tcell *p;

        while (cap < o->ncells + o->ncols)
            cap *= 2;
        p = realloc(o->cells, cap * sizeof *p);
        if (!p)
            return err_set(e, ERR_NOMEM, "table: out of memory");
        o->cells = p;
        o->capcells = cap;
    }
    for (size_t i = 0; i < o->ncols; i++)
        if ((rc = table_cell(o, i, &cells[i], &o->cells[o->ncells + i], e)))
            return rc;
    if (o->streaming)
        return table_line(o, o->cells, o->arena.data, 0, e);
    o->ncells += o->ncols;
    if (o->ncells / o->ncols >= OUT_TABLE_BUFFER_ROWS || o->arena.len >= OUT_TABLE_BUFFER_BYTES)
        return table_start_streaming(o, e);
    return ERR_OK;
}

/* ---- public row API ---------------------------------------------------------------- */

int out_begin(struct out *o, size_t n, const char *const *names, struct err *e)
{
    int rc = ERR_OK;

    free_columns(o);
    o->rows = 0;
    o->streaming = 0;
    buf_reset(&o->arena);
    o->names = calloc(n + 1, sizeof *o->names);
    o->width = calloc(n + 1, sizeof *o->width);
    o->numeric = calloc(n + 1, sizeof *o->numeric);
    o->shrink = calloc(n + 1, sizeof *o->shrink);
    o->under = calloc(n + 1, sizeof *o->under);
    if (!o->names || !o->width || !o->numeric || !o->shrink || !o->under)
        return err_set(e, ERR_NOMEM, "output: out of memory");
    for (size_t i = 0; i < n; i++) {
        o->names[i] = strdup(names[i] ? names[i] : "");
        if (!o->names[i])
            return err_set(e, ERR_NOMEM, "output: out of memory");
        o->ncols = i + 1;
    }
    o->ncols = n;
    switch (o->f) {
    case OUT_CSV:
        for (size_t i = 0; i < n && !rc; i++) {
            if (i)
                rc = buf_putc(&o->ob, ',', e);
            if (!rc)
                rc = csv_text(&o->ob, o->names[i], strlen(o->names[i]), e);
        }
        if (!rc)
            rc = buf_puts(&o->ob, "\r\n", e);
        break;
    case OUT_TSV:
        for (size_t i = 0; i < n && !rc; i++) {
            if (i)
                rc = buf_putc(&o->ob, '\t', e);
            if (!rc)
                rc = tsv_text(&o->ob, o->names[i], strlen(o->names[i]), e);
        }
        if (!rc)
            rc = buf_putc(&o->ob, '\n', e);
        break;
    case OUT_MARKDOWN:
        for (size_t i = 0; i < n && !rc; i++) {
            rc = buf_puts(&o->ob, "| ", e);
            if (!rc)
                rc = md_text(o, &o->ob, o->names[i], strlen(o->names[i]), e);
            if (!rc)
                rc = buf_putc(&o->ob, ' ', e);
        }
        if (!rc)
            rc = buf_puts(&o->ob, "|\n", e);
        for (size_t i = 0; i < n && !rc; i++)
            rc = buf_puts(&o->ob, "| --- ", e);
        if (!rc)
            rc = buf_puts(&o->ob, "|\n", e);
        break;
    case OUT_JSON: rc = buf_putc(&o->ob, '[', e); break;
    default: break;
    }
    return rc;
}

static int json_object(struct out *o, const struct out_cell *cells, struct err *e)
{
    int rc = buf_putc(&o->ob, '{', e);

    for (size_t i = 0; i < o->ncols && !rc; i++) {
        if (i)
            rc = buf_putc(&o->ob, ',', e);
        if (!rc)
            rc = text_json_string(&o->ob, o->names[i], strlen(o->names[i]), e);
        if (!rc)
            rc = buf_putc(&o->ob, ':', e);
        if (!rc)
            rc = out_json_cell(&o->ob, &cells[i], e);
    }
    return rc ? rc : buf_putc(&o->ob, '}', e);
}

int out_row(struct out *o, const struct out_cell *cells, struct err *e)
{
    int rc = ERR_OK;

    switch (o->f) {
    case OUT_TABLE: rc = table_row(o, cells, e); break;
    case OUT_CSV:
        for (size_t i = 0; i < o->ncols && !rc; i++) {
            if (i)
                rc = buf_putc(&o->ob, ',', e);
            if (!rc)
                rc = cells[i].type == SQLITE_TEXT && cells[i].n
                         ? csv_text(&o->ob, cells[i].s, cells[i].n, e)
                         : csv_field(&o->ob, &cells[i], e);
        }
        if (!rc)
            rc = buf_puts(&o->ob, "\r\n", e);
        break;
    case OUT_TSV:
        for (size_t i = 0; i < o->ncols && !rc; i++) {
            if (i)
                rc = buf_putc(&o->ob, '\t', e);
            if (!rc)
                rc = tsv_field(&o->ob, &cells[i], e);
        }
        if (!rc)
            rc = buf_putc(&o->ob, '\n', e);
        break;
    case OUT_JSON:
        rc = buf_puts(&o->ob, o->rows ? ",\n" : "\n", e);
        if (!rc)
            rc = json_object(o, cells, e);
        break;
    case OUT_JSONL:
        rc = json_object(o, cells, e);
        if (!rc)
            rc = buf_putc(&o->ob, '\n', e);
        break;
    case OUT_MARKDOWN:
        for (size_t i = 0; i < o->ncols && !rc; i++) {
            rc = buf_puts(&o->ob, "| ", e);
            if (!rc)
                rc = render_cell(o, &cells[i], e);
            for (size_t k = 0; k < o->scratch.len && !rc; k++) {
                if (o->scratch.data[k] == '|')
                    rc = buf_putc(&o->ob, '\\', e);
                if (!rc)
                    rc = buf_putc(&o->ob, o->scratch.data[k], e);
            }
            if (!rc)
                rc = buf_putc(&o->ob, ' ', e);
        }
        if (!rc)
            rc = buf_puts(&o->ob, "|\n", e);
        break;
    }
    if (rc)
        return rc;
    o->rows++;
    return maybe_flush(o, e);
}

int out_end(struct out *o, struct err *e)
{
    int rc = ERR_OK;

    if (o->f == OUT_TABLE && !o->streaming)
        rc = table_start_streaming(o, e);
    else if (o->f == OUT_JSON)
        rc = buf_puts(&o->ob, o->rows ? "\n]\n" : "]\n", e);
    if (rc)
        return rc;
    if ((rc = out_flush_buf(o->fp, &o->ob, e)))
        return rc;
    if (fflush(o->fp) != 0 || ferror(o->fp))
        return err_set(e, ERR_IO, "write output: failed");
    return ERR_OK;
}

void out_cell_from_stmt(sqlite3_stmt *st, int col, struct out_cell *c)
{
    memset(c, 0, sizeof *c);
    c->type = sqlite3_column_type(st, col);
    switch (c->type) {
    case SQLITE_INTEGER: c->i = sqlite3_column_int64(st, col); break;
    case SQLITE_FLOAT: c->d = sqlite3_column_double(st, col); break;
    case SQLITE_TEXT:
        c->s = (const char *)sqlite3_column_text(st, col);
        c->n = (size_t)sqlite3_column_bytes(st, col);
        if (!c->s)
            c->type = SQLITE_NULL;
        break;
    case SQLITE_BLOB:
        c->s = sqlite3_column_blob(st, col);
        c->n = (size_t)sqlite3_column_bytes(st, col);
        break;
    default: c->type = SQLITE_NULL;
    }
}

int out_stmt(struct out *o, sqlite3_stmt *st, size_t *rows, struct err *e)
{
    int n = sqlite3_column_count(st), rc, step;
    const char **names = calloc((size_t)n + 1, sizeof *names);
    struct out_cell *cells = calloc((size_t)n + 1, sizeof *cells);
    size_t count = 0;

    if (rows)
        *rows = 0;
    if (!names || !cells) {
        rc = err_set(e, ERR_NOMEM, "output: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++)
        names[i] = sqlite3_column_name(st, i);
    if ((rc = out_begin(o, (size_t)n, names, e)))
        goto done;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++)
            out_cell_from_stmt(st, i, &cells[i]);
        if ((rc = out_row(o, cells, e)))
            goto done;
        count++;
    }
    if (step != SQLITE_DONE) {
        rc = err_set(e, ERR_DB, "%s", sqlite3_errmsg(sqlite3_db_handle(st)));
        out_end(o, NULL);
        goto done;
    }
    rc = out_end(o, e);
done:
    if (rows)
        *rows = count;
    free(names);
    free(cells);
    return rc;
}
