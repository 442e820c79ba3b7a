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

static int is_points(const char *col)
{
    return strcmp(col, "won_minus_lost") == 0 || strcmp(col, "diff_low") == 0 ||
           strcmp(col, "diff_high") == 0;
}

static int is_percent(const char *col)
{
    return ends_with(col, "share") || ends_with(col, "ratio") || ends_with(col, "_low") ||
           ends_with(col, "_high") || strcmp(col, "in_band") == 0 || strcmp(col, "coverage") == 0 ||
           strcmp(col, "share_of_time") == 0 || ends_with(col, "win_rate");
}

int html_is_date(const char *col)
{
    return strcmp(col, "first_call") == 0 || strcmp(col, "last_call") == 0 ||
           strcmp(col, "newest_call") == 0 || strcmp(col, "started") == 0 ||
           strcmp(col, "last_sync") == 0 || strcmp(col, "synced_to") == 0 ||
           strcmp(col, "close_date") == 0;
}

/* Seconds shown as m:ss (durations of talk), not patience (fractions of a second). */
static int is_clock(const char *col)
{
    return ends_with(col, "_s") && !strstr(col, "patience");
}

static const struct label {
    const char *col, *text;
} labels[] = {
    {"group", "Group"},
    {"calls", "Calls"},
    {"external_calls", "External calls"},
    {"reps", "Reps"},
    {"weeks", "Weeks"},
    {"calls_per_week", "Calls a week"},
    {"calls_per_rep_week", "Calls a rep a week"},
    {"first_call", "First call"},
    {"last_call", "Last call"},
    {"rep", "Rep"},
    {"rep_email", "E-mail"},
    {"talk_ratio", "Talk ratio"},
    {"gong_talk_ratio", "Gong's talk ratio"},
    {"gong_calls", "Calls with Gong's stat"},
    {"flag", "Flag"},
    {"rep_hours", "Rep talk"},
    {"customer_hours", "Customer talk"},
    {"rep_questions_per_call", "Rep questions a call"},
    {"customer_questions_per_call", "Customer questions a call"},
    {"discovery_calls", "Discovery calls"},
    {"discovery_rep_questions_per_call", "Rep questions a discovery call"},
    {"in_band", "Discovery calls in 11-14"},
    {"gong_rep_questions_per_call", "Gong's questions a call"},
    {"longest_monologue_s", "Longest monologue"},
    {"max_monologue_s", "Longest monologue of all"},
    {"longest_story_s", "Longest customer story"},
    {"max_story_s", "Longest story of all"},
    {"gong_longest_monologue_s", "Gong's longest monologue"},
    {"gong_longest_story_s", "Gong's longest story"},
    {"patience_s", "Patience"},
    {"pauses", "Pauses"},
    {"gong_patience_s", "Gong's patience"},
    {"switches_per_min", "Switches a minute"},
    {"interactivity", "Interactivity"},
    {"gong_interactivity", "Gong's interactivity"},
    {"calls_with_hit", "Calls with a hit"},
    {"share", "Share of calls"},
    {"share_low", "95% low"},
    {"share_high", "95% high"},
    {"hits", "Hits"},
    {"hits_per_call", "Hits a call"},
    {"won_calls", "Won calls"},
    {"won_with_hit", "Won with a hit"},
    {"won_share", "Won share"},
    {"won_low", "Won 95% low"},
    {"won_high", "Won 95% high"},
    {"lost_calls", "Lost calls"},
    {"lost_with_hit", "Lost with a hit"},
    {"lost_share", "Lost share"},
    {"lost_low", "Lost 95% low"},
    {"lost_high", "Lost 95% high"},
    {"won_minus_lost", "Won minus lost"},
    {"diff_low", "Difference 95% low"},
    {"diff_high", "Difference 95% high"},
    {"significant", "Significant"},
    {"tracker", "Tracker"},
    {"topic", "Topic"},
    {"calls_with_topic", "Calls with the topic"},
    {"minutes_per_call", "Minutes a call"},
    {"share_of_time", "Share of topic time"},
    {"handed_off", "Handed off"},
    {"primary_user", "Owner in Gong"},
    {"real_rep", "Who ran it"},
    {"real_rep_email", "Their e-mail"},
    {"real_rep_share", "Their share of rep talk"},
    {"title", "Title"},
    {"url", "Link"},
    {"transcripts", "Transcripts"},
    {"empty", "Empty transcripts"},
    {"coverage", "Coverage"},
    {"waiting", "Waiting for Gong"},
    {"private", "Private"},
    {"newest_call", "Newest call"},
    {"newest_call_age_days", "Its age"},
    {"last_sync", "Last sync"},
    {"synced_to", "Synced up to"},
    {"last_sync_age_days", "Its age"},
    {"last_run_outcome", "Last run"},
    {"amount", "Amount"},
    {"deals", "Deals"},
    {"stage", "Stage"},
    {"outcome", "Outcome"},
    {"win_rate", "Win rate"},
};

const char *html_label(const char *col, char out[64])
{
    size_t n;

    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(labels[i].col, col) == 0)
            return labels[i].text;
    snprintf(out, 64, "%s", col); /* a user analysis' own column: its name, readably */
    for (n = 0; out[n]; n++)
        if (out[n] == '_')
            out[n] = ' ';
    if (out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 'a' + 'A');
    return out;
}

/* Drop a leading minus from a number that prints as zero ("-0", "-0.0"). */
static void no_negative_zero(char *num)
{
    if (num[0] == '-' && strspn(num + 1, "0.") == strcspn(num + 1, "%% ptsh"))
        memmove(num, num + 1, strlen(num));
}

int html_fmt_percent(double v, char out[32])
{
    double p = v * 100;

    if (isnan(v) || isinf(v))
        return snprintf(out, 32, "%s", ""), 0;
    snprintf(out, 32, fabs(p) < 0.05 ? "0%%" : fabs(p) < 9.95 ? "%.1f%%" : "%.0f%%", p);
    no_negative_zero(out);
    return 0;
}

int html_fmt_clock(double secs, char out[32])
{
    long long t;

    if (isnan(secs) || isinf(secs) || secs < 0)
        return snprintf(out, 32, "%s", ""), 0;
    t = llround(secs);
    if (t >= 3600)
        snprintf(out, 32, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, 32, "%lld:%02lld", t / 60, t % 60);
    return 0;
}

int html_fmt_money(double v, char out[32])
{
    double a = fabs(v);
    const char *sign = v < 0 ? "-" : "";

    if (isnan(v) || isinf(v))
        snprintf(out, 32, "%s", "");
    else if (a >= 999500000)
        snprintf(out, 32, "%s$%.1fB", sign, a / 1e9);
    else if (a >= 999500)
        snprintf(out, 32, "%s$%.1fM", sign, a / 1e6);
    else if (a >= 1000)
        snprintf(out, 32, "%s$%.0fk", sign, a / 1e3);
    else
        snprintf(out, 32, "%s$%.0f", sign, a);
    if (strstr(out, ".0M") || strstr(out, ".0B")) { /* $2.0M -> $2M */
        char *dot = strstr(out, ".0");

        memmove(dot, dot + 2, strlen(dot + 2) + 1);
    }
    no_negative_zero(out);
    return 0;
}

int html_fmt_count(long long n, char out[32])
{
    char tmp[32];
    size_t len, o = 0, lead;
    int neg = n < 0;

    snprintf(tmp, sizeof tmp, "%lld", neg ? -n : n);
    len = strlen(tmp);
    lead = len % 3 ? len % 3 : 3;
    if (neg)
        out[o++] = '-';
    for (size_t i = 0; i < len; i++) {
        if (i && (i - lead) % 3 == 0 && i >= lead)
            out[o++] = ',';
        out[o++] = tmp[i];
    }
    out[o] = '\0';
    return 0;
}

/* A plain number: at most 2 decimals (1 above 100), trailing zeros dropped, never -0. */
static void fmt_plain(double v, char num[64])
{
    char *z;

    snprintf(num, 64, fabs(v) >= 100 ? "%.1f" : "%.2f", v);
    if ((z = strchr(num, '.'))) { /* drop trailing zeros: 14.10 -> 14.1, 3.00 -> 3 */
        char *end = num + strlen(num);

        while (end > z + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == z + 1)
            *z = '\0';
    }
    no_negative_zero(num);
}

int html_value(struct buf *b, const char *col, const struct html_val *v, struct err *e)
{
    char num[64];

    if (v->type == SQLITE_NULL)
        return ERR_OK;
    if (v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT) {
        if (isnan(v->d) || isinf(v->d))
            return ERR_OK;
        if (is_points(col)) {
            snprintf(num, sizeof num, "%+.0f pts", v->d * 100);
            if (strncmp(num, "-0 ", 3) == 0 || strncmp(num, "+0 ", 3) == 0)
                snprintf(num, sizeof num, "0 pts");
        } else if (is_percent(col))
            html_fmt_percent(v->d, num);
        else if (is_clock(col))
            html_fmt_clock(v->d, num);
        else if (strstr(col, "patience"))
            snprintf(num, sizeof num, "%.1f s", v->d);
        else if (strcmp(col, "amount") == 0)
            html_fmt_money(v->d, num);
        else if (ends_with(col, "_hours"))
            snprintf(num, sizeof num, "%.1f h", v->d);
        else if (ends_with(col, "_days"))
            snprintf(num, sizeof num, "%.1f days", v->d);
        else if (v->type == SQLITE_INTEGER)
            html_fmt_count((long long)v->d, num);
        else
            fmt_plain(v->d, num);
        no_negative_zero(num);
        return buf_puts(b, num, e);
    }
    if (html_is_date(col) && v->s && strlen(v->s) >= 10) {
        if (strcmp(col, "last_sync") == 0 && strlen(v->s) >= 16) {
            snprintf(num, sizeof num, "%.10s %.5s UTC", v->s, v->s + 11);
            return html_escape_str(b, num, e);
        }
        return html_escape(b, v->s, 10, e);
    }
    return html_escape_str(b, v->s, e);
}

int html_table(struct buf *b, const struct html_rs *rs, const char *const *cols, struct err *e)
{
    return html_table_as(b, rs, cols, NULL, e);
}

int html_table_as(struct buf *b, const struct html_rs *rs, const char *const *cols,
                  const char *group_label, struct err *e)
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
    if ((rc = buf_puts(b, "<div class=\"tw\"><table><thead><tr>", e)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        const char *name = cols ? cols[i] : rs->names[i];
        char tmp[64];

        if ((rc = buf_puts(b, "<th>", e)) ||
            (rc = html_escape_str(
                 b, group_label && strcmp(name, "group") == 0 ? group_label : html_label(name, tmp),
                 e)) ||
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
                rc = buf_puts(b,
                              numeric              ? "<td class=\"n\">"
                              : html_is_date(name) ? "<td class=\"d\">"
                                                   : "<td><bdi>",
                              e);
                if (!rc)
                    rc = html_value(b, name, v, e);
                if (!rc)
                    rc = buf_puts(b, numeric || html_is_date(name) ? "</td>" : "</bdi></td>", e);
            }
            if (rc)
                return rc;
        }
        if ((rc = buf_puts(b, "</tr>\n", e)))
            return rc;
    }
    return buf_puts(b, "</tbody></table></div>\n", e);
}
