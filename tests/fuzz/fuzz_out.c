/* fuzz_out: the result writers and text helpers of callmine-query (out.h).
 *
 * Input: a format byte (low 3 bits: the format; bit 3: OUT_TRUNCATE), a column count, the
 * column names, then rows of typed cells (NULL, integer, real from any 64-bit pattern,
 * text and blob from arbitrary bytes). The rows go through a writer into memory; then:
 *   - JSON and JSON lines: valid UTF-8 with no raw control character but the line breaks,
 *     cJSON parses it, one object per row with one member per column, and each value is
 *     the cell's (text that is valid UTF-8 without NUL exactly; numbers exactly);
 *   - CSV (RFC 4180) and TSV parse back to exactly the names and cells written (NULL and
 *     the empty string told apart);
 *   - table and Markdown: valid UTF-8 with no control character but the line breaks, one
 *     line per row (plus the header lines), and in Markdown ncols + 1 unescaped pipes per
 *     line;
 *   - text_json_string, out_safe_text and text_utf8_repair on the raw bytes of each text cell
 *     keep the same promises on their own, and out_format_double reads back exactly. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "out.h"
#include "text.h"

#include "banned.h"

#define MAX_COLS 6
#define MAX_ROWS 48

/* Length of the valid UTF-8 sequence at s[0..n) and its code point, 0 when invalid. */
static size_t ref_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, *cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, *cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, *cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = *cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && (*cp < 0x800 || (*cp >= 0xD800 && *cp <= 0xDFFF))) ||
        (len == 4 && (*cp < 0x10000 || *cp > 0x10FFFF)))
        return 0;
    return len;
}

static int valid_utf8(const char *s, size_t n)
{
    uint32_t cp;

    for (size_t i = 0, k; i < n; i += k)
        if (!(k = ref_utf8((const unsigned char *)s + i, n - i, &cp)))
            return 0;
    return 1;
}

/* Valid UTF-8 without C0 controls (but LF), DEL or C1 controls: safe for a terminal. */
static void check_terminal_safe(const char *s, size_t n)
{
    uint32_t cp;

    for (size_t i = 0, k; i < n; i += k) {
        k = ref_utf8((const unsigned char *)s + i, n - i, &cp);
        FUZZ_CHECK(k != 0);
        FUZZ_CHECK(cp == '\n' || (cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0)));
    }
}

struct cellbuf {
    struct out_cell c;
    char *own; /* the cell's bytes (exact size) */
};

/* The text a number cell is written as (out.h: shortest round trip, ".0" for whole reals). */
static void number_text(const struct out_cell *c, char out[32])
{
    if (c->type == SQLITE_INTEGER)
        snprintf(out, 32, "%lld", (long long)c->i);
    else
        out_format_double(c->d, out);
}

/* ---- JSON --------------------------------------------------------------------------------- */

static void check_json_value(const cJSON *v, const struct out_cell *c)
{
    switch (c->type) {
    case SQLITE_NULL: FUZZ_CHECK(cJSON_IsNull(v)); break;
    case SQLITE_INTEGER: FUZZ_CHECK(cJSON_IsNumber(v) && v->valuedouble == (double)c->i); break;
    case SQLITE_FLOAT:
        if (isnan(c->d))
            FUZZ_CHECK(cJSON_IsNull(v));
        else
            FUZZ_CHECK(cJSON_IsNumber(v) && v->valuedouble == c->d);
        break;
    case SQLITE_TEXT:
        FUZZ_CHECK(cJSON_IsString(v));
        if (valid_utf8(c->s, c->n) && !memchr(c->s, '\0', c->n))
            FUZZ_CHECK(strlen(v->valuestring) == c->n && memcmp(v->valuestring, c->s, c->n) == 0);
        break;
    case SQLITE_BLOB:
        FUZZ_CHECK(cJSON_IsString(v) && strlen(v->valuestring) == 2 * c->n + 3);
        FUZZ_CHECK(v->valuestring[0] == 'x' && v->valuestring[1] == '\'');
        break;
    }
}

static void check_json_row(const cJSON *o, const struct cellbuf *cells, size_t ncols)
{
    const cJSON *m;
    size_t i = 0;

    FUZZ_CHECK(cJSON_IsObject(o));
    for (m = o->child; m; m = m->next, i++) {
        FUZZ_CHECK(i < ncols);
        check_json_value(m, &cells[i].c);
    }
    FUZZ_CHECK(i == ncols);
}

static void check_json(const char *s, size_t n, int lines, const struct cellbuf *cells,
                       size_t ncols, size_t nrows)
{
    uint32_t cp;

    for (size_t i = 0, k; i < n; i += k) {
        k = ref_utf8((const unsigned char *)s + i, n - i, &cp);
        FUZZ_CHECK(k != 0);
        FUZZ_CHECK(cp >= 0x20 || cp == '\n');
    }
    if (!lines) {
        cJSON *j = cJSON_ParseWithLength(s, n);
        const cJSON *row;
        size_t r = 0;

        FUZZ_CHECK(cJSON_IsArray(j));
        for (row = j->child; row; row = row->next, r++) {
            FUZZ_CHECK(r < nrows);
            check_json_row(row, cells + r * ncols, ncols);
        }
        FUZZ_CHECK(r == nrows);
        cJSON_Delete(j);
        return;
    }
    for (size_t r = 0, at = 0; r < nrows; r++) {
        const char *nl = memchr(s + at, '\n', n - at);
        cJSON *j;

        FUZZ_CHECK(nl != NULL);
        j = cJSON_ParseWithLength(s + at, (size_t)(nl - (s + at)));
        FUZZ_CHECK(j != NULL);
        check_json_row(j, cells + r * ncols, ncols);
        cJSON_Delete(j);
        at = (size_t)(nl - s) + 1;
        if (r + 1 == nrows)
            FUZZ_CHECK(at == n);
    }
    if (nrows == 0)
        FUZZ_CHECK(n == 0);
}

/* ---- CSV and TSV -------------------------------------------------------------------------- */

/* One parsed field: bytes, and whether it was quoted (CSV) or \N (TSV: null). */
struct field {
    char *s;
    size_t n;
    int quoted, null;
};

/* Read one CSV record (fields end at ',' and the record at CRLF) from s[*at..n) into f;
 * returns the field count, or -1 when the text is not RFC 4180. */
static int csv_record(const char *s, size_t n, size_t *at, struct field *f, int max)
{
    size_t i = *at;
    int k = 0;

    for (;;) {
        struct field *x = &f[k];

        if (k >= max)
            return -1;
        x->s = malloc(n - i + 1);
        if (!x->s)
            abort();
        x->n = 0;
        x->quoted = x->null = 0;
        k++;
        if (i < n && s[i] == '"') {
            x->quoted = 1;
            for (i++;; i++) {
                if (i >= n)
                    return -1;
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        x->s[x->n++] = '"';
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
                x->s[x->n++] = s[i];
            }
        } else {
            while (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
                if (s[i] == '"')
                    return -1; /* a quote in an unquoted field */
                x->s[x->n++] = s[i++];
            }
        }
        if (i < n && s[i] == ',') {
            i++;
            continue;
        }
        if (i + 1 < n && s[i] == '\r' && s[i + 1] == '\n') {
            *at = i + 2;
            return k;
        }
        return -1;
    }
}

/* Read one TSV record (fields end at TAB, the record at LF; \\ \t \n \r escaped, \N NULL). */
static int tsv_record(const char *s, size_t n, size_t *at, struct field *f, int max)
{
    size_t i = *at;
    int k = 0;

    for (;;) {
        struct field *x = &f[k];

        if (k >= max)
            return -1;
        x->s = malloc(n - i + 1);
        if (!x->s)
            abort();
        x->n = 0;
        x->quoted = x->null = 0;
        k++;
        if (i + 1 < n && s[i] == '\\' && s[i + 1] == 'N' &&
            (i + 2 >= n || s[i + 2] == '\t' || s[i + 2] == '\n')) {
            x->null = 1;
            i += 2;
        } else {
            while (i < n && s[i] != '\t' && s[i] != '\n') {
                if (s[i] == '\r')
                    return -1; /* must be escaped */
                if (s[i] == '\\') {
                    char c = i + 1 < n ? s[i + 1] : '\0';

                    if (c == '\\' || c == 't' || c == 'n' || c == 'r')
                        x->s[x->n++] = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : '\\';
                    else
                        return -1; /* a stray backslash */
                    i += 2;
                    continue;
                }
                x->s[x->n++] = s[i++];
            }
        }
        if (i < n && s[i] == '\t') {
            i++;
            continue;
        }
        if (i < n && s[i] == '\n') {
            *at = i + 1;
            return k;
        }
        return -1;
    }
}

static void free_fields(struct field *f, int k)
{
    for (int i = 0; i < k; i++)
        free(f[i].s);
}

/* A parsed field is what the cell was written as. */
static void check_field(const struct field *x, const struct out_cell *c, int tsv)
{
    char num[32];

    switch (c->type) {
    case SQLITE_NULL:
        if (tsv)
            FUZZ_CHECK(x->null);
        else
            FUZZ_CHECK(!x->quoted && x->n == 0);
        break;
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
        number_text(c, num);
        FUZZ_CHECK(!x->null && x->n == strlen(num) && memcmp(x->s, num, x->n) == 0);
        break;
    case SQLITE_TEXT:
        FUZZ_CHECK(!x->null && x->n == c->n && (c->n == 0 || memcmp(x->s, c->s, c->n) == 0));
        if (!tsv && c->n == 0)
            FUZZ_CHECK(x->quoted); /* "" is the empty string, nothing is NULL */
        break;
    case SQLITE_BLOB: FUZZ_CHECK(!x->null && x->n == 2 * c->n + 3); break;
    }
}

static void check_delimited(const char *s, size_t n, int tsv, char **names,
                            const struct cellbuf *cells, size_t ncols, size_t nrows)
{
    struct field f[MAX_COLS + 1];
    size_t at = 0;
    int k;

    k = tsv ? tsv_record(s, n, &at, f, MAX_COLS + 1) : csv_record(s, n, &at, f, MAX_COLS + 1);
    FUZZ_CHECK(k == (int)ncols);
    for (size_t i = 0; i < ncols; i++) {
        FUZZ_CHECK(!f[i].null && f[i].n == strlen(names[i]));
        FUZZ_CHECK(f[i].n == 0 || memcmp(f[i].s, names[i], f[i].n) == 0);
    }
    free_fields(f, k);
    for (size_t r = 0; r < nrows; r++) {
        k = tsv ? tsv_record(s, n, &at, f, MAX_COLS + 1) : csv_record(s, n, &at, f, MAX_COLS + 1);
        FUZZ_CHECK(k == (int)ncols);
        for (size_t i = 0; i < ncols; i++)
            check_field(&f[i], &cells[r * ncols + i].c, tsv);
        free_fields(f, k);
    }
    FUZZ_CHECK(at == n);
}

/* ---- table and Markdown ------------------------------------------------------------------- */

static void check_lines(const char *s, size_t n, size_t want_lines, int markdown, size_t ncols)
{
    size_t lines = 0, start = 0;

    check_terminal_safe(s, n);
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n')
            continue;
        if (markdown) { /* the cell separators: pipes not right after a backslash */
            size_t pipes = 0;

            /* As GFM's reference parser (cmark-gfm) splits cells: \| is always an escaped
             * pipe, whatever precedes the backslash. (So the cell text a\|b, written as
             * a\\|, stays one cell but renders as a|b: out.c leaves backslashes alone.) */
            for (size_t j = start; j < i; j++)
                pipes += s[j] == '|' && !(j > start && s[j - 1] == '\\');
            FUZZ_CHECK(pipes == ncols + 1);
        }
        lines++;
        start = i + 1;
    }
    FUZZ_CHECK(start == n); /* ends with a line break */
    FUZZ_CHECK(lines == want_lines);
}

/* ---- the helpers on their own ------------------------------------------------------------- */

static void check_helpers(const char *s, size_t n)
{
    struct buf b;
    struct err e = {0};
    cJSON *j;

    buf_init(&b, 0);
    FUZZ_CHECK(text_utf8_repair(s, n, &b, &e) == ERR_OK);
    FUZZ_CHECK(valid_utf8(b.data, b.len));
    if (valid_utf8(s, n))
        FUZZ_CHECK(b.len == n && (n == 0 || memcmp(b.data, s, n) == 0));
    buf_reset(&b);
    FUZZ_CHECK(out_safe_text(&b, s, n, &e) == ERR_OK);
    if (b.len) {
        FUZZ_CHECK(!memchr(b.data, '\n', b.len));
        check_terminal_safe(b.data, b.len);
    }
    buf_reset(&b);
    FUZZ_CHECK(text_json_string(&b, s, n, &e) == ERR_OK);
    FUZZ_CHECK(valid_utf8(b.data, b.len));
    for (size_t i = 0; i < b.len; i++)
        FUZZ_CHECK((unsigned char)b.data[i] >= 0x20);
    j = cJSON_ParseWithLength(b.data, b.len);
    FUZZ_CHECK(cJSON_IsString(j));
    if (valid_utf8(s, n) && !memchr(s, '\0', n))
        FUZZ_CHECK(strlen(j->valuestring) == n && memcmp(j->valuestring, s, n) == 0);
    cJSON_Delete(j);
    buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    uint8_t fb = fz_u8(&f);
    enum out_format fmt = (enum out_format)((fb & 7) % 6);
    int flags = fb & 8 ? OUT_TRUNCATE : 0;
    size_t ncols = fz_u8(&f) % MAX_COLS + 1, nrows = 0, n = 0;
    char *names[MAX_COLS];
    struct cellbuf *cells = calloc(MAX_ROWS * MAX_COLS, sizeof *cells);
    char *text = NULL;
    FILE *fp;
    struct out *o;
    struct err e = {0};

    if (!cells)
        abort();
    for (size_t i = 0; i < ncols; i++) {
        size_t len;
        const uint8_t *p = fz_piece(&f, 32, &len);

        names[i] = fz_strndup(p, len);
    }
    while (f.n && nrows < MAX_ROWS) {
        for (size_t i = 0; i < ncols; i++) {
            struct cellbuf *c = &cells[nrows * ncols + i];
            uint8_t t = fz_u8(&f);
            uint64_t bits;
            const uint8_t *p;
            size_t len;

            switch (t % 5) {
            case 0: c->c.type = SQLITE_NULL; break;
            case 1:
                c->c.type = SQLITE_INTEGER;
                c->c.i = (int64_t)fz_u64(&f, 8);
                break;
            case 2:
                c->c.type = SQLITE_FLOAT;
                bits = fz_u64(&f, 8);
                memcpy(&c->c.d, &bits, sizeof c->c.d);
                break;
            default:
                c->c.type = t % 5 == 3 ? SQLITE_TEXT : SQLITE_BLOB;
                p = fz_piece(&f, 255, &len);
                c->own = fz_dup_exact(p, len);
                c->c.s = c->own;
                c->c.n = len;
                if (c->c.type == SQLITE_TEXT)
                    check_helpers(c->own, len);
            }
        }
        nrows++;
    }
    fp = open_memstream(&text, &n);
    if (!fp)
        abort();
    o = out_new(fp, fmt, flags);
    if (!o)
        abort();
    FUZZ_CHECK(out_begin(o, ncols, (const char *const *)names, &e) == ERR_OK);
    for (size_t r = 0; r < nrows; r++) {
        struct out_cell row[MAX_COLS];

        for (size_t i = 0; i < ncols; i++)
            row[i] = cells[r * ncols + i].c;
        FUZZ_CHECK(out_row(o, row, &e) == ERR_OK);
    }
    FUZZ_CHECK(out_end(o, &e) == ERR_OK);
    out_free(o);
    fclose(fp);

    switch (fmt) {
    case OUT_JSON:
    case OUT_JSONL: check_json(text, n, fmt == OUT_JSONL, cells, ncols, nrows); break;
    case OUT_CSV:
    case OUT_TSV: check_delimited(text, n, fmt == OUT_TSV, names, cells, ncols, nrows); break;
    case OUT_TABLE: check_lines(text, n, nrows + 2, 0, ncols); break;
    case OUT_MARKDOWN: check_lines(text, n, nrows + 2, 1, ncols); break;
    }
    for (size_t r = 0; r < nrows; r++) {
        for (size_t i = 0; i < ncols; i++) {
            const struct out_cell *c = &cells[r * ncols + i].c;
            char num[32];

            if (c->type == SQLITE_FLOAT && isfinite(c->d)) {
                number_text(c, num);
                FUZZ_CHECK(strtod(num, NULL) == c->d);
            }
            free(cells[r * ncols + i].own);
        }
    }
    for (size_t i = 0; i < ncols; i++)
        free(names[i]);
    free(cells);
    free(text);
    return 0;
}
