/* html: escaping, in-memory results and tables for `report` (see html.h).
 *
 * Results are small (one row per group; longer ones are cut at a cap and the rest only
 * counted), so they are copied out of SQLite: a value keeps its type, its number and its
 * text. Escaping validates UTF-8 itself (one pass, no allocation) rather than trusting the
 * mirror. */
#include "html.h"
#include "out.h"
#include "text.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int oom(struct err *e)
{
    return err_set(e, ERR_NOMEM, "report: out of memory");
}

void html_rs_free(struct html_rs *rs)
{
    for (size_t i = 0; rs->names && i < rs->ncol; i++)
        free(rs->names[i]);
    for (size_t i = 0; rs->v && i < rs->nrow * rs->ncol; i++)
        free(rs->v[i].s);
    free(rs->names);
    free(rs->v);
    memset(rs, 0, sizeof *rs);
}

int html_rs_load(struct html_rs *rs, sqlite3_stmt *st, struct err *e)
{
    return html_rs_load_max(rs, st, SIZE_MAX, 1, e);
}

int html_rs_load_max(struct html_rs *rs, sqlite3_stmt *st, size_t max, int count_rest,
                     struct err *e)
{
    int rc;

    memset(rs, 0, sizeof *rs);
    rs->ncol = (size_t)sqlite3_column_count(st);
    if (!(rs->names = calloc(rs->ncol ? rs->ncol : 1, sizeof *rs->names)))
        return oom(e);
    for (size_t i = 0; i < rs->ncol; i++)
        if (!(rs->names[i] = strdup(sqlite3_column_name(st, (int)i))))
            return oom(e);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rs->nrow >= max) {
            rs->more++;
            if (!count_rest)
                return ERR_OK;
            continue;
        }
        if (rs->nrow == rs->cap) {
            size_t cap = rs->cap ? rs->cap * 2 : 64;
            struct html_val *v = realloc(rs->v, cap * (rs->ncol ? rs->ncol : 1) * sizeof *v);

            if (!v)
                return oom(e);
            rs->v = v;
            rs->cap = cap;
        }
        for (size_t i = 0; i < rs->ncol; i++) {
            struct html_val *v = &rs->v[rs->nrow * rs->ncol + i];
            const unsigned char *t;

            v->type = sqlite3_column_type(st, (int)i);
            v->d = sqlite3_column_double(st, (int)i);
            v->s = NULL;
            if (v->type == SQLITE_BLOB)
                v->type = SQLITE_TEXT;
            if (v->type != SQLITE_NULL) {
                t = sqlite3_column_text(st, (int)i);
                if (!(v->s = strndup(t ? (const char *)t : "",
                                     (size_t)sqlite3_column_bytes(st, (int)i)))) {
                    rs->nrow++;
                    return oom(e);
                }
            }
        }
        rs->nrow++;
    }
    if (rc != SQLITE_DONE)
        return err_set(e, ERR_DB, "%s", sqlite3_errmsg(sqlite3_db_handle(st)));
    return ERR_OK;
}

int html_rs_col(const struct html_rs *rs, const char *name)
{
    for (size_t i = 0; i < rs->ncol; i++)
        if (strcmp(rs->names[i], name) == 0)
            return (int)i;
    return -1;
}

const struct html_val *html_rs_at(const struct html_rs *rs, size_t r, int c)
{
    static const struct html_val null_val = {SQLITE_NULL, 0, NULL};

    if (c < 0 || r >= rs->nrow || (size_t)c >= rs->ncol)
        return &null_val;
    return &rs->v[r * rs->ncol + (size_t)c];
}

double html_rs_num(const struct html_rs *rs, size_t r, int c)
{
    const struct html_val *v = html_rs_at(rs, r, c);

    return v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT ? v->d : NAN;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0; C1 controls count as
 * invalid too. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    uint32_t c;
    size_t len = text_utf8_seq(p, n, &c);

    return len && c >= 0x80 && c < 0xA0 ? 0 : len;
}

int html_escape(struct buf *b, const char *s, size_t n, struct err *e)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    int rc;

    while (i < n) {
        const char *rep = NULL;
        size_t k = utf8_len(p + i, n - i);

        switch (k == 1 ? p[i] : 0x100) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\t':
        case '\n': break;
        default:
            if (k == 0 || (k == 1 && (p[i] < 0x20 || p[i] == 0x7f)))
                rep = "\xEF\xBF\xBD";
        }
        if (!rep) {
            i += k ? k : 1;
            continue;
        }
        if ((rc = buf_append(b, s + run, i - run, e)) || (rc = buf_puts(b, rep, e)))
            return rc;
        i += k ? k : 1;
        run = i;
    }
    return buf_append(b, s + run, n - run, e);
}

int html_escape_str(struct buf *b, const char *s, struct err *e)
{
    return s ? html_escape(b, s, strlen(s), e) : ERR_OK;
}

int html_url_ok(const char *s)
{
    if (!s || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0))
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);

    return n >= m && strcmp(s + n - m, tail) == 0;
}

static int is_percent(const char *col)
{
    return ends_with(col, "share") || ends_with(col, "ratio") || ends_with(col, "_low") ||
           ends_with(col, "_high") || strcmp(col, "in_band") == 0 || strcmp(col, "coverage") == 0 ||
           strcmp(col, "won_minus_lost") == 0 || strcmp(col, "share_of_time") == 0;
}

int html_value(struct buf *b, const char *col, const struct html_val *v, struct err *e)
{
    char num[64];

    if (v->type == SQLITE_NULL)
        return ERR_OK;
    if (v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT) {
        if (is_percent(col))
            snprintf(num, sizeof num, "%.1f%%", v->d * 100);
        else if (v->type == SQLITE_INTEGER)
            return html_escape_str(b, v->s, e);
        else {
            char *z;

            snprintf(num, sizeof num, "%.2f", v->d);
            if ((z = strchr(num, '.'))) { /* drop trailing zeros: 14.10 -> 14.1, 3.00 -> 3 */
                char *end = num + strlen(num);

                while (end > z + 1 && end[-1] == '0')
                    *--end = '\0';
                if (end == z + 1)
                    *z = '\0';
            }
        }
        return buf_puts(b, num, e);
    }
    return html_escape_str(b, v->s, e);
}

int html_table(struct buf *b, const struct html_rs *rs, const char *const *cols, struct err *e)
{
    int idx[64], rc;
    size_t n = 0;

    if (cols) {
        for (; n < 64 && cols[n]; n++)
            idx[n] = html_rs_col(rs, cols[n]);
    } else {
        for (; n < rs->ncol && n < 64; n++)
            idx[n] = (int)n;
    }
    if ((rc = buf_puts(b, "<table><thead><tr>", e)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        const char *name = cols ? cols[i] : rs->names[i];

        if ((rc = buf_puts(b, "<th>", e)) || (rc = html_escape_str(b, name, e)) ||
            (rc = buf_puts(b, "</th>", e)))
            return rc;
    }
    if ((rc = buf_puts(b, "</tr></thead><tbody>\n", e)))
        return rc;
    for (size_t r = 0; r < rs->nrow; r++) {
        if ((rc = buf_puts(b, "<tr>", e)))
            return rc;
        for (size_t i = 0; i < n; i++) {
            const char *name = cols ? cols[i] : rs->names[i];
            const struct html_val *v = html_rs_at(rs, r, idx[i]);
            int numeric = v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT;

            if (strcmp(name, "url") == 0) {
                rc = html_url_ok(v->s) ? buf_puts(b, "<td><a href=\"", e) : buf_puts(b, "<td>", e);
                if (!rc && html_url_ok(v->s) && (!(rc = html_escape_str(b, v->s, e))))
                    rc = buf_puts(b, "\">open in Gong</a>", e);
                if (!rc)
                    rc = buf_puts(b, "</td>", e);
            } else {
                rc = buf_puts(b, numeric ? "<td class=\"n\">" : "<td><bdi>", e);
                if (!rc)
                    rc = html_value(b, name, v, e);
                if (!rc)
                    rc = buf_puts(b, numeric ? "</td>" : "</bdi></td>", e);
            }
            if (rc)
                return rc;
        }
        if ((rc = buf_puts(b, "</tr>\n", e)))
            return rc;
    }
    return buf_puts(b, "</tbody></table>\n", e);
}
