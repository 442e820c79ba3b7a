/* show_text: the readable text of `callmine-query show` (see show.h).
 *
 * A header (title; start, duration as h:mm:ss and id; rep; outcome; participants; link),
 * the deal's two snapshots side by side (at the call, now), Gong's brief, key points,
 * action items, trackers and topics, then the transcript as `[mm:ss] Name (rep): text`, or
 * one line saying why there is none. Prose is wrapped at s->width columns when it is set (a
 * terminal); every value from the mirror goes through out_safe_text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "show.h"
#include "text.h"

#include "banned.h"

#define BOLD "\033[1m"
#define OFF "\033[0m"
#define LABEL_W 14 /* the label column of the deal table */

static int pad(struct buf *b, size_t n, struct err *e)
{
    int rc = ERR_OK;

    while (n-- && !rc)
        rc = buf_putc(b, ' ', e);
    return rc;
}

static int heading(struct show *s, const char *text, struct err *e)
{
    return buf_printf(&s->ob, e, "%s%s%s\n", s->color ? BOLD : "", text, s->color ? OFF : "");
}

/* Append safe text t[0..n) (already terminal-safe) wrapped at s->width: the first line
 * continues the current one, which is `at` columns wide; later lines start with indent
 * spaces. Ends with a newline. */
static int wrap(struct show *s, const char *t, size_t n, size_t at, size_t indent, struct err *e)
{
    size_t w = (size_t)s->width, i = 0;
    int rc = ERR_OK;

    if (!w || w <= indent + 10 || at + text_utf8_count(t, n) <= w)
        return buf_append(&s->ob, t, n, e) || buf_putc(&s->ob, '\n', e) ? ERR_NOMEM : ERR_OK;
    while (i < n && !rc) {
        size_t room = w > at ? w - at : 1, take = text_utf8_prefix(t + i, n - i, room), cut = take;

        if (i + take < n) { /* break at the last space that fits, if any */
            while (cut > 0 && t[i + cut] != ' ')
                cut--;
            if (cut == 0)
                cut = take;
        }
        rc = buf_append(&s->ob, t + i, cut, e) || buf_putc(&s->ob, '\n', e);
        i += cut;
        while (i < n && t[i] == ' ')
            i++;
        if (i < n && !rc) {
            rc = pad(&s->ob, indent, e);
            at = indent;
        }
    }
    return rc ? ERR_NOMEM : ERR_OK;
}

/* Append raw mirror text v[0..n) (NULL: empty) made safe, wrapped as wrap() does. */
static int wrap_raw(struct show *s, const char *v, size_t n, size_t at, size_t indent,
                    struct err *e)
{
    struct buf t;
    int rc;

    buf_init(&t, 0);
    rc = out_safe_text(&t, v ? v : "", v ? n : 0, e);
    if (!rc)
        rc = wrap(s, t.data ? t.data : "", t.len, at, indent, e);
    buf_release(&t);
    return rc;
}

/* A column of st as safe text appended to b, or dflt when NULL. */
static int safe_col(struct buf *b, sqlite3_stmt *st, int col, const char *dflt, struct err *e)
{
    const char *v = (const char *)sqlite3_column_text(st, col);

    if (!v)
        return buf_puts(b, dflt, e);
    return out_safe_text(b, v, (size_t)sqlite3_column_bytes(st, col), e);
}

/* An amount with thousands separators: 60000 -> "60,000", 1234.5 -> "1,234.50". */
static void money(double v, char out[48])
{
    char digits[40];
    double a = fabs(v);
    int cents = a != floor(a), n, k = 0;
    size_t o = 0;

    if (!isfinite(v) || a >= 1e15) {
        snprintf(out, 48, "%g", v);
        return;
    }
    n = snprintf(digits, sizeof digits, "%.0f", cents ? floor(a) : a);
    if (v < 0)
        out[o++] = '-';
    for (int i = 0; i < n; i++) {
        out[o++] = digits[i];
        k = n - i - 1;
        if (k && k % 3 == 0)
            out[o++] = ',';
    }
    out[o] = '\0';
    if (cents)
        snprintf(out + o, 48 - o, ".%02d", (int)lround((a - floor(a)) * 100) % 100);
}

/* ---- header --------------------------------------------------------------------------- */

static int header(struct show *s, struct err *e)
{
    sqlite3_stmt *c = s->call;
    struct buf *b = &s->ob;
    const char *src = (const char *)sqlite3_column_text(c, SHOW_C_REP_SOURCE);
    const char *outcome = (const char *)sqlite3_column_text(c, SHOW_C_OUTCOME);
    char t[32];
    int rc;

    rc = buf_puts(b, s->color ? BOLD : "", e) || safe_col(b, c, SHOW_C_TITLE, "(untitled)", e) ||
         buf_puts(b, s->color ? OFF "\n" : "\n", e) ||
         safe_col(b, c, SHOW_C_STARTED, "unknown start", e);
    if (!rc && sqlite3_column_type(c, SHOW_C_DURATION) != SQLITE_NULL) {
        show_hms(sqlite3_column_int64(c, SHOW_C_DURATION), t);
        rc = buf_printf(b, e, " · %s", t);
    }
    if (!rc && sqlite3_column_int(c, SHOW_C_PRIVATE))
        rc = buf_puts(b, " · private", e);
    rc = rc || buf_puts(b, " · id ", e) || safe_col(b, c, SHOW_C_ID, "", e) ||
         buf_puts(b, "\nRep: ", e) || safe_col(b, c, SHOW_C_REP_NAME, "unknown", e);
    if (!rc && sqlite3_column_type(c, SHOW_C_REP_EMAIL) != SQLITE_NULL)
        rc = buf_puts(b, " <", e) || safe_col(b, c, SHOW_C_REP_EMAIL, "", e) || buf_putc(b, '>', e);
    if (!rc && src)
        rc = buf_puts(b,
                      strcmp(src, "speech") == 0 ? " (the internal speaker who talked most)"
                                                 : " (the call's primary user)",
                      e);
    rc = rc || buf_puts(b, "\nOutcome: ", e) ||
         buf_puts(b,
                  !outcome                       ? "no deal"
                  : strcmp(outcome, "won") == 0  ? "won (the deal is closed won)"
                  : strcmp(outcome, "lost") == 0 ? "lost (the deal is closed lost)"
                  : strcmp(outcome, "open") == 0 ? "open (the deal is not closed)"
                                                 : outcome,
                  e);
    if (!rc && sqlite3_column_type(c, SHOW_C_CALL_OUTCOME) != SQLITE_NULL) {
        rc = buf_puts(b, " · Gong call outcome: ", e) || safe_col(b, c, SHOW_C_CALL_OUTCOME, "", e);
        if (!rc && sqlite3_column_type(c, SHOW_C_CALL_OUTCOME_CATEGORY) != SQLITE_NULL)
            rc = buf_puts(b, " (", e) || safe_col(b, c, SHOW_C_CALL_OUTCOME_CATEGORY, "", e) ||
                 buf_putc(b, ')', e);
    }
    if (!rc)
        rc = buf_putc(b, '\n', e);
    if (!rc && s->n_parties) {
        struct buf p;

        buf_init(&p, 0);
        for (size_t i = 0; i < s->n_parties && !rc; i++) {
            const struct show_party *q = &s->parties[i];

            rc = buf_puts(&p, i ? ", " : "", e) ||
                 (q->name ? out_safe_text(&p, q->name, strlen(q->name), e)
                          : buf_puts(&p, "(no name)", e)) ||
                 buf_puts(&p,
                          q->aff == 1   ? " (rep)"
                          : q->aff == 2 ? " (customer)"
                                        : "",
                          e);
        }
        rc = rc || buf_puts(b, "Participants: ", e) ||
             wrap(s, p.data ? p.data : "", p.len, 14, 2, e);
        buf_release(&p);
    }
    if (!rc && sqlite3_column_type(c, SHOW_C_URL) != SQLITE_NULL)
        rc = safe_col(b, c, SHOW_C_URL, "", e) || buf_putc(b, '\n', e);
    return rc ? err_set(e, ERR_NOMEM, "show: out of memory") : ERR_OK;
}

/* ---- deals ---------------------------------------------------------------------------- */

enum { ROW_NAME, ROW_STAGE, ROW_AMOUNT, ROW_CLOSE, ROW_OWNER, ROW_COMPANY, ROW_SIZE, N_ROWS };

/* The text of one field of a snapshot (columns from base) into t (reset first). */
static int field(sqlite3_stmt *st, int base, int row, struct buf *t, struct err *e)
{
    const unsigned char *name;
    char num[48];

    buf_reset(t);
    if (!sqlite3_column_int(st, base + SHOW_D_PRESENT))
        return buf_puts(t, row == ROW_NAME ? "(no snapshot)" : "", e);
    switch (row) {
    case ROW_NAME: return safe_col(t, st, base + SHOW_D_NAME, "(unnamed deal)", e);
    case ROW_STAGE: return safe_col(t, st, base + SHOW_D_STAGE, "-", e);
    case ROW_AMOUNT:
        if (sqlite3_column_type(st, base + SHOW_D_AMOUNT) == SQLITE_NULL)
            return buf_puts(t, "-", e);
        money(sqlite3_column_double(st, base + SHOW_D_AMOUNT), num);
        return buf_puts(t, num, e);
    case ROW_CLOSE:
        name = sqlite3_column_text(st, base + SHOW_D_CLOSE_DATE);
        return name ? out_safe_text(t, (const char *)name, strnlen((const char *)name, 10), e)
                    : buf_puts(t, "-", e);
    case ROW_OWNER:
        if (sqlite3_column_type(st, base + SHOW_D_OWNER_NAME) != SQLITE_NULL)
            return safe_col(t, st, base + SHOW_D_OWNER_NAME, "", e) || buf_puts(t, " (", e) ||
                   safe_col(t, st, base + SHOW_D_OWNER, "", e) || buf_putc(t, ')', e);
        return safe_col(t, st, base + SHOW_D_OWNER, "-", e);
    case ROW_COMPANY: return safe_col(t, st, base + SHOW_D_COMPANY, "-", e);
    default:
        if (sqlite3_column_type(st, base + SHOW_D_SIZE) == SQLITE_NULL)
            return buf_puts(t, "-", e);
        return buf_printf(t, e, "%lld employees", sqlite3_column_int64(st, base + SHOW_D_SIZE));
    }
}

/* One deal: a row per field, the snapshot at the call and the one now side by side. */
static int deal_table(struct show *s, sqlite3_stmt *st, struct err *e)
{
    static const char *const labels[N_ROWS] = {"deal",  "stage",   "amount", "close date",
                                               "owner", "company", "size"};
    struct buf cell[2];
    size_t wl = 0, cap = 0;
    int rc = ERR_OK;

    buf_init(&cell[0], 0);
    buf_init(&cell[1], 0);
    for (int r = 0; r < N_ROWS && !rc; r++) /* the left column's width */
        if (!(rc = field(st, 0, r, &cell[0], e)) && text_utf8_count(cell[0].data, cell[0].len) > wl)
            wl = text_utf8_count(cell[0].data, cell[0].len);
    if (wl < 11)
        wl = 11;
    if (s->width) { /* on a terminal: both columns fit in the width */
        cap = (size_t)s->width > LABEL_W + 3 + 2 * 8 ? ((size_t)s->width - LABEL_W - 3) / 2 : 8;
        wl = wl > cap ? cap : wl;
    }
    rc = rc || pad(&s->ob, LABEL_W, e) ||
         buf_printf(&s->ob, e, "%s%-*s%s   %sNow%s\n", s->color ? BOLD : "", (int)wl, "At the call",
                    s->color ? OFF : "", s->color ? BOLD : "", s->color ? OFF : "");
    for (int r = 0; r < N_ROWS && !rc; r++) {
        rc = field(st, 0, r, &cell[0], e) || field(st, SHOW_D_N, r, &cell[1], e);
        for (int k = 0; k < 2 && !rc; k++) {
            size_t w = text_utf8_count(cell[k].data, cell[k].len);

            if (cap && w > cap) { /* cut with an ellipsis */
                cell[k].len = text_utf8_prefix(cell[k].data, cell[k].len, cap - 1);
                rc = buf_puts(&cell[k], "\xE2\x80\xA6", e);
            }
        }
        if (rc)
            break;
        rc = buf_printf(&s->ob, e, "  %-*s", LABEL_W - 2, labels[r]) ||
             buf_append(&s->ob, cell[0].data, cell[0].len, e) ||
             pad(&s->ob, wl + 3 - text_utf8_count(cell[0].data, cell[0].len), e) ||
             buf_append(&s->ob, cell[1].data, cell[1].len, e);
        /* no trailing blanks when the right column is empty */
        while (!rc && s->ob.len && s->ob.data[s->ob.len - 1] == ' ')
            s->ob.data[--s->ob.len] = '\0';
        rc = rc || buf_putc(&s->ob, '\n', e);
    }
    buf_release(&cell[0]);
    buf_release(&cell[1]);
    return rc ? err_set(e, ERR_NOMEM, "show: out of memory") : ERR_OK;
}

static int deals(struct show *s, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc, step, n = 0;

    if ((rc = show_prepare_deals(s, &st, e)))
        return rc;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = buf_putc(&s->ob, '\n', e);
        if (!rc)
            rc = deal_table(s, st, e);
        n++;
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "show: read deals: %s", sqlite3_errmsg(s->db));
    if (!rc && !n)
        rc = buf_puts(&s->ob, "\nDeal: none (Gong names no CRM deal for this call)\n", e);
    sqlite3_finalize(st);
    return rc;
}

/* ---- Gong's content ------------------------------------------------------------------- */

static int brief_and_points(struct show *s, struct err *e)
{
    sqlite3_stmt *c = s->call, *st = NULL;
    int rc = ERR_OK, step, n = 0;

    if (sqlite3_column_type(c, SHOW_C_BRIEF) != SQLITE_NULL &&
        sqlite3_column_bytes(c, SHOW_C_BRIEF) > 0)
        rc = buf_puts(&s->ob, "\n", e) || heading(s, "Brief", e) || pad(&s->ob, 2, e) ||
             wrap_raw(s, (const char *)sqlite3_column_text(c, SHOW_C_BRIEF),
                      (size_t)sqlite3_column_bytes(c, SHOW_C_BRIEF), 2, 2, e);
    if (rc || (rc = show_prepare(s, "SELECT text FROM key_points WHERE call_id = ?1 ORDER BY ord",
                                 &st, e)))
        return rc;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (!n++)
            rc = buf_putc(&s->ob, '\n', e) || heading(s, "Key points", e);
        rc = rc || buf_puts(&s->ob, "  - ", e) ||
             wrap_raw(s, (const char *)sqlite3_column_text(st, 0),
                      (size_t)sqlite3_column_bytes(st, 0), 4, 4, e);
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "show: read key points: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

static int action_items(struct show *s, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc, step, n = 0;

    if ((rc = show_prepare(s,
                           "SELECT start_s, speaker_id, snippet FROM action_items "
                           "WHERE call_id = ?1 ORDER BY ord",
                           &st, e)))
        return rc;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *spk = (const char *)sqlite3_column_text(st, 1);
        const struct show_party *p = spk ? show_speaker(s, spk, strlen(spk)) : NULL;
        size_t at;
        char t[24];

        if (!n++)
            rc = buf_putc(&s->ob, '\n', e) || heading(s, "Action items", e);
        at = s->ob.len;
        rc = rc || buf_puts(&s->ob, "  - ", e);
        if (!rc && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            out_mmss(llround(sqlite3_column_double(st, 0) * 1000), t);
            rc = buf_printf(&s->ob, e, "[%s] ", t);
        }
        if (!rc && p && p->name)
            rc = out_safe_text(&s->ob, p->name, strlen(p->name), e) || buf_puts(&s->ob, ": ", e);
        rc = rc || wrap_raw(s, (const char *)sqlite3_column_text(st, 2),
                            (size_t)sqlite3_column_bytes(st, 2),
                            text_utf8_count(s->ob.data + at, s->ob.len - at), 4, e);
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "show: read action items: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

/* "Trackers: Pricing (28), Competitors (1)" and "Topics: Discovery 11.0 min, ...": the
 * ones that fired or took time, most first. */
static int counts_line(struct show *s, const char *label, const char *sql, int minutes,
                       struct err *e)
{
    sqlite3_stmt *st = NULL;
    struct buf t;
    int rc, step, n = 0;

    buf_init(&t, 0);
    if ((rc = show_prepare(s, sql, &st, e)))
        return rc;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = buf_puts(&t, n++ ? ", " : "", e) || safe_col(&t, st, 0, "(unnamed)", e);
        if (!rc && minutes)
            rc = buf_printf(&t, e, " %.1f min", sqlite3_column_double(st, 1) / 60.0);
        else if (!rc)
            rc = buf_printf(&t, e, " (%lld)", sqlite3_column_int64(st, 1));
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "show: read %s: %s", label, sqlite3_errmsg(s->db));
    if (!rc && n)
        rc = buf_printf(&s->ob, e, "%s%s:%s ", s->color ? BOLD : "", label, s->color ? OFF : "") ||
             wrap(s, t.data, t.len, strlen(label) + 2, 2, e);
    sqlite3_finalize(st);
    buf_release(&t);
    return rc;
}

static int trackers_topics(struct show *s, struct err *e)
{
    size_t before = s->ob.len;
    int rc;

    if ((rc = buf_putc(&s->ob, '\n', e)) ||
        (rc = counts_line(s, "Trackers",
                          "SELECT name, count FROM trackers WHERE call_id = ?1 AND count > 0 "
                          "ORDER BY count DESC, name",
                          0, e)) ||
        (rc = counts_line(s, "Topics",
                          "SELECT name, duration FROM topics WHERE call_id = ?1 AND duration > 0 "
                          "ORDER BY duration DESC, name",
                          1, e)))
        return rc;
    if (s->ob.len == before + 1) /* neither: drop the blank line */
        s->ob.data[--s->ob.len] = '\0';
    return ERR_OK;
}

/* ---- transcript ----------------------------------------------------------------------- */

static int speaker_label(const struct show *s, const char *id, size_t n, struct buf *b,
                         struct err *e)
{
    const struct show_party *p = show_speaker(s, id, n);
    int rc;

    if (p && p->name)
        rc = out_safe_text(b, p->name, strlen(p->name), e);
    else if (n)
        rc = buf_puts(b, "speaker ", e) || out_safe_text(b, id, n, e);
    else
        rc = buf_puts(b, "unknown speaker", e);
    if (rc)
        return rc;
    if (p && p->aff)
        return buf_puts(b, p->aff == 1 ? " (rep)" : " (customer)", e);
    return ERR_OK;
}

/* A sentence: "[mm:ss] Name (rep): text", wrapped under its text on a terminal. */
static int text_line(struct show *s, const struct transcript_line *ln, const char *text, size_t len,
                     struct err *e)
{
    char at[24];
    int rc;

    out_mmss(ln->start_ms, at);
    if (!s->width) {
        if ((rc = buf_printf(&s->ob, e, "[%s] ", at)) ||
            (rc = speaker_label(s, ln->speaker, ln->speaker_len, &s->ob, e)) ||
            (rc = buf_puts(&s->ob, ": ", e)) || (rc = out_safe_text(&s->ob, text, len, e)) ||
            (rc = buf_putc(&s->ob, '\n', e)))
            return rc;
        return show_flush(s, e);
    }
    buf_reset(&s->line);
    if ((rc = buf_printf(&s->line, e, "[%s] ", at)) ||
        (rc = speaker_label(s, ln->speaker, ln->speaker_len, &s->line, e)) ||
        (rc = buf_puts(&s->line, ": ", e)) || (rc = out_safe_text(&s->line, text, len, e)) ||
        (rc = wrap(s, s->line.data, s->line.len, 0, strlen(at) + 3, e)))
        return rc;
    return show_flush(s, e);
}

int show_text(struct show *s, struct err *e)
{
    char note[256];
    const char *why;
    int rc, found;

    if ((rc = header(s, e)) || (rc = deals(s, e)) || (rc = brief_and_points(s, e)) ||
        (rc = action_items(s, e)) || (rc = trackers_topics(s, e)))
        return rc;
    why = show_transcript_note(s, note);
    if (why)
        return buf_printf(&s->ob, e, "\n%sTranscript:%s none: ", s->color ? BOLD : "",
                          s->color ? OFF : "") ||
                       wrap(s, why, strlen(why), 18, 2, e)
                   ? err_set(e, ERR_NOMEM, "show: out of memory")
                   : ERR_OK;
    if ((rc = buf_putc(&s->ob, '\n', e)) || (rc = heading(s, "Transcript", e)) ||
        (rc = show_each_line(s, text_line, &found, e)))
        return rc;
    return ERR_OK;
}
