/* cmd_show: `callmine-query show CALL_ID` prints one call.
 *
 * Text (the default): a header (title, start, duration, rep, deal with stage and amount,
 * participants, Gong link), then the transcript as `[mm:ss] Name (rep|customer): text`.
 * --format json (or jsonl, the same object on one line) writes the object CONTRACT.md fixes:
 * id, title, started, duration, url, primary_user_id, parties[], deals[], transcript[].
 * Table-like formats print the transcript as rows. All text from the mirror is untrusted:
 * in text output control characters are shown escaped, in JSON they are escaped. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "filter.h"
#include "transcript.h"
#include "zblob.h"

#include "banned.h"

static const char show_help[] =
    "Usage: callmine-query show CALL_ID [--format FORMAT] [--deal-timing call|now]\n"
    "\n"
    "Print one call: a header (title, start, duration, rep, deal, stage, amount, participants,\n"
    "Gong link), then the transcript, one sentence per line:\n"
    "  [12:03] Dana Smith (rep): Shall we talk about pricing?\n"
    "\n"
    "  --format json          one object: id, title, started, duration, url, primary_user_id,\n"
    "                         parties[{speaker_id, user_id, name, email, affiliation}],\n"
    "                         deals[{timing, deal_id, deal_name, stage, amount, owner,\n"
    "                         company_name, company_size}],\n"
    "                         transcript[{speaker_id, start_ms, end_ms, text}] in spoken order\n"
    "  --format jsonl         the same object on one line\n"
    "  --format table|csv|tsv|markdown   the transcript as rows\n"
    "  --deal-timing call|now which deal snapshot the header shows (default call)\n"
    "  --color auto|always|never   colour the text header (default auto; NO_COLOR is obeyed)\n"
    "\n"
    "Example:\n"
    "  callmine-query show 7782342274025937895 --format json | jq '.deals'\n";

struct party {
    char *speaker_id, *name;
    int aff; /* 0 unknown, 1 internal (rep), 2 external (customer) */
};

struct show {
    const struct cmd_ctx *c;
    sqlite3 *db;
    const char *id;
    struct filter f; /* only --deal-timing */
    struct party *parties;
    size_t n_parties;
    struct buf ob;
    struct out *rows; /* table-like formats */
    int color;
    int n_lines; /* sentences written so far */
    /* cmd_show_json: the object into ob (never flushed), the transcript in pages */
    int to_buf;
    size_t first, max_lines, max_bytes; /* the page: from line first, at most this much */
    size_t seen, next;                  /* lines gone by; where the next page starts (0: none) */
};

static char *dup_col(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);

    return s ? strdup(s) : NULL;
}

static int affiliation_code(const char *a)
{
    if (!a)
        return 0;
    if (strcasecmp(a, "Internal") == 0)
        return 1;
    if (strcasecmp(a, "External") == 0)
        return 2;
    return 0;
}

static int jkey(struct buf *b, int first, const char *key, struct err *e)
{
    return buf_printf(b, e, "%s\"%s\":", first ? "" : ",", key);
}

/* Append the columns of the current row of st as JSON members named by names[]. */
static int json_members(struct buf *b, sqlite3_stmt *st, const char *const *names, int n, int first,
                        struct err *e)
{
    struct out_cell cell;
    int rc;

    for (int i = 0; i < n; i++) {
        out_cell_from_stmt(st, i, &cell);
        if ((rc = jkey(b, first && i == 0, names[i], e)) || (rc = out_json_cell(b, &cell, e)))
            return rc;
    }
    return ERR_OK;
}

static const char *const call_cols[] = {"id",  "title",           "started", "duration",
                                        "url", "primary_user_id", "rep"};
static const char *const party_cols[] = {"speaker_id", "user_id", "name", "email", "affiliation"};
static const char *const deal_cols[] = {"timing", "deal_id", "deal_name",    "stage",
                                        "amount", "owner",   "company_name", "company_size"};

static const char party_sql[] =
    "SELECT p.speaker_id, p.user_id, coalesce(p.name, (SELECT nullif(trim(ifnull(u.first_name, "
    "'') || ' ' || ifnull(u.last_name, '')), '') FROM users u WHERE u.id = p.user_id)), "
    "coalesce(p.email, (SELECT u.email FROM users u WHERE u.id = p.user_id)), p.affiliation "
    "FROM parties p WHERE p.call_id = ?1 ORDER BY p.ord";

static int load_parties(struct show *s, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK, step;

    if ((rc = cmd_prepare(s->db, party_sql, &st, e)))
        return rc;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct party *p = realloc(s->parties, (s->n_parties + 1) * sizeof *p);

        if (!p) {
            rc = err_set(e, ERR_NOMEM, "show: out of memory");
            break;
        }
        s->parties = p;
        p += s->n_parties++;
        p->speaker_id = dup_col(st, 0);
        p->name = dup_col(st, 2);
        p->aff = affiliation_code((const char *)sqlite3_column_text(st, 4));
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "show: read parties: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

static const struct party *speaker(const struct show *s, const char *id, size_t n)
{
    if (!n)
        return NULL;
    for (size_t i = 0; i < s->n_parties; i++) {
        const char *sid = s->parties[i].speaker_id;

        if (sid && strlen(sid) == n && memcmp(sid, id, n) == 0)
            return &s->parties[i];
    }
    return NULL;
}

/* "Name (rep)" for a speaker id, terminal-safe, appended to b. */
static int speaker_label(const struct show *s, const char *id, size_t n, struct buf *b,
                         struct err *e)
{
    const struct party *p = speaker(s, id, n);
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

/* Run the transcript of the call through fn(s, line, text, len) in spoken order; *found
 * says whether the mirror has one. */
typedef int (*line_fn)(struct show *s, const struct transcript_line *ln, const char *text,
                       size_t len, struct err *e);

static int each_line(struct show *s, line_fn fn, int *found, struct err *e)
{
    sqlite3_stmt *st = NULL;
    struct zblob_codec *z = NULL;
    struct buf text, un;
    struct transcript_line ln;
    size_t pos = 0;
    int rc = ERR_OK, r;

    *found = 0;
    buf_init(&text, 0);
    buf_init(&un, 0);
    if ((rc = cmd_prepare(s->db, "SELECT size, body FROM transcripts WHERE call_id = ?1", &st, e)))
        goto done;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        goto done;
    *found = 1;
    if (!(z = zblob_codec_new(ZBLOB_LEVEL))) {
        rc = err_set(e, ERR_NOMEM, "show: out of memory");
        goto done;
    }
    if (sqlite3_column_int64(st, 0) < 0 ||
        (rc = zblob_inflate(z, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                            (size_t)sqlite3_column_int64(st, 0), &text, e))) {
        rc = err_set(e, ERR_PARSE, "show: transcript of call '%s' is corrupt", s->id);
        goto done;
    }
    while ((r = transcript_next(text.data, text.len, &pos, &ln)) != 0) {
        if (r < 0)
            continue; /* a malformed line: skip it */
        if (ln.escaped) {
            if ((rc = transcript_unescape(ln.text, ln.text_len, &un, e)))
                goto done;
            rc = fn(s, &ln, un.data, un.len, e);
        } else {
            rc = fn(s, &ln, ln.text, ln.text_len, e);
        }
        if (rc)
            goto done;
    }
done:
    sqlite3_finalize(st);
    zblob_codec_free(z);
    buf_release(&text);
    buf_release(&un);
    return rc;
}

static int flush(struct show *s, struct err *e)
{
    return !s->to_buf && s->ob.len >= (64u << 10) ? out_flush_buf(stdout, &s->ob, e) : ERR_OK;
}

/* ---- JSON ----------------------------------------------------------------------------- */

static int json_line(struct show *s, const struct transcript_line *ln, const char *text, size_t len,
                     struct err *e)
{
    struct buf *b = &s->ob;
    int rc;

    if (s->to_buf) { /* a page: lines [first, first + max_lines), within max_bytes */
        if (s->seen++ < s->first || s->next)
            return ERR_OK;
        if ((size_t)s->n_lines >= s->max_lines || (s->n_lines && b->len >= s->max_bytes)) {
            s->next = s->seen - 1;
            return ERR_OK;
        }
    }
    if ((rc = buf_puts(b, s->n_lines++ ? ",{\"speaker_id\":" : "{\"speaker_id\":", e)))
        return rc;
    rc = ln->speaker_len ? out_json_string(b, ln->speaker, ln->speaker_len, e)
                         : buf_puts(b, "null", e);
    if (rc ||
        (rc = buf_printf(b, e, ",\"start_ms\":%lld,\"end_ms\":%lld,\"text\":",
                         (long long)ln->start_ms, (long long)ln->end_ms)) ||
        (rc = out_json_string(b, text, len, e)) || (rc = buf_putc(b, '}', e)))
        return rc;
    return flush(s, e);
}

/* Append "[...]" with one object per row of sql (bound to the call id). */
static int json_rows(struct show *s, const char *sql, const char *const *names, int n,
                     struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc, step, first = 1;

    if ((rc = cmd_prepare(s->db, sql, &st, e)))
        return rc;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    rc = buf_putc(&s->ob, '[', e);
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = buf_puts(&s->ob, first ? "{" : ",{", e);
        first = 0;
        if (!rc)
            rc = json_members(&s->ob, st, names, n, 1, e);
        if (!rc)
            rc = buf_putc(&s->ob, '}', e);
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "show: %s", sqlite3_errmsg(s->db));
    if (!rc)
        rc = buf_putc(&s->ob, ']', e);
    sqlite3_finalize(st);
    return rc;
}

static int show_json(struct show *s, sqlite3_stmt *call, struct err *e)
{
    int rc, found;

    if ((rc = buf_putc(&s->ob, '{', e)) || (rc = json_members(&s->ob, call, call_cols, 7, 1, e)))
        return rc;
    if ((rc = jkey(&s->ob, 0, "parties", e)) || (rc = json_rows(s, party_sql, party_cols, 5, e)) ||
        (rc = jkey(&s->ob, 0, "deals", e)) ||
        (rc = json_rows(s,
                        "SELECT timing, deal_id, deal_name, stage, amount, owner, company_name, "
                        "company_size FROM deals WHERE call_id = ?1 "
                        "ORDER BY timing = 'Now', deal_id",
                        deal_cols, 8, e)) ||
        (rc = jkey(&s->ob, 0, "transcript", e)) || (rc = buf_putc(&s->ob, '[', e)))
        return rc;
    s->n_lines = 0;
    if ((rc = each_line(s, json_line, &found, e)))
        return rc;
    if (s->to_buf)
        return buf_puts(&s->ob, "]}", e);
    if ((rc = buf_puts(&s->ob, "]}\n", e)))
        return rc;
    return out_flush_buf(stdout, &s->ob, e);
}

/* ---- text ----------------------------------------------------------------------------- */

static int text_line(struct show *s, const struct transcript_line *ln, const char *text, size_t len,
                     struct err *e)
{
    char at[24];
    int rc;

    out_mmss(ln->start_ms, at);
    if ((rc = buf_printf(&s->ob, e, "[%s] ", at)) ||
        (rc = speaker_label(s, ln->speaker, ln->speaker_len, &s->ob, e)) ||
        (rc = buf_puts(&s->ob, ": ", e)) || (rc = out_safe_text(&s->ob, text, len, e)) ||
        (rc = buf_putc(&s->ob, '\n', e)))
        return rc;
    return flush(s, e);
}

/* Append a column of st as safe text, or dflt when NULL. */
static int safe_col(struct buf *b, sqlite3_stmt *st, int col, const char *dflt, struct err *e)
{
    const char *v = (const char *)sqlite3_column_text(st, col);

    if (!v)
        return buf_puts(b, dflt, e);
    return out_safe_text(b, v, (size_t)sqlite3_column_bytes(st, col), e);
}

static int header_deal(struct show *s, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc;

    buf_init(&q, 0);
    if ((rc = buf_puts(&q,
                       "SELECT d.deal_name, d.stage, d.amount, d.company_name, "
                       "d.company_size, d.timing FROM deals d WHERE d.call_id = ?1 AND ",
                       e)) ||
        (rc = filter_deal_rows(&s->f, "d", &q, e)) ||
        (rc = buf_puts(&q, " ORDER BY d.amount IS NULL, d.amount DESC, d.deal_id", e)) ||
        (rc = cmd_prepare(s->db, q.data, &st, e)))
        goto done;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        char num[32];

        rc = buf_puts(&s->ob, "Deal: ", e) || safe_col(&s->ob, st, 0, "(unnamed deal)", e);
        if (!rc && sqlite3_column_type(st, 3) != SQLITE_NULL)
            rc = buf_puts(&s->ob, " · ", e) || safe_col(&s->ob, st, 3, "", e);
        if (!rc && sqlite3_column_type(st, 4) != SQLITE_NULL)
            rc = buf_printf(&s->ob, e, " (%lld employees)", sqlite3_column_int64(st, 4));
        if (!rc)
            rc = buf_puts(&s->ob, " · stage ", e) || safe_col(&s->ob, st, 1, "unknown", e);
        if (!rc && sqlite3_column_type(st, 2) != SQLITE_NULL) {
            out_format_double(sqlite3_column_double(st, 2), num);
            rc = buf_printf(&s->ob, e, " · amount %s", num);
        }
        if (!rc)
            rc = buf_puts(&s->ob, " · ", e) || safe_col(&s->ob, st, 5, "", e) ||
                 buf_putc(&s->ob, '\n', e);
    }
    if (rc)
        rc = err_set(e, ERR_NOMEM, "show: out of memory");
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

static int show_text(struct show *s, sqlite3_stmt *call, struct err *e)
{
    struct buf *b = &s->ob;
    int rc, found;
    char dur[24];

    rc = buf_puts(b, s->color ? "\033[1m" : "", e) || safe_col(b, call, 1, "(untitled)", e) ||
         buf_puts(b, s->color ? "\033[0m\n" : "\n", e) || safe_col(b, call, 2, "unknown start", e);
    if (!rc && sqlite3_column_type(call, 3) != SQLITE_NULL) {
        out_mmss(sqlite3_column_int64(call, 3) * 1000, dur);
        rc = buf_printf(b, e, " · %s", dur);
    }
    if (!rc)
        rc = buf_puts(b, " · rep ", e) || safe_col(b, call, 6, "unknown", e) ||
             buf_puts(b, " · id ", e) || safe_col(b, call, 0, "", e) || buf_putc(b, '\n', e);
    if (rc || (rc = header_deal(s, e)))
        return rc ? err_set(e, ERR_NOMEM, "show: out of memory") : rc;
    if (s->n_parties) {
        rc = buf_puts(b, "Participants: ", e);
        for (size_t i = 0; i < s->n_parties && !rc; i++) {
            const struct party *p = &s->parties[i];

            rc = buf_puts(b, i ? ", " : "", e) ||
                 (p->name ? out_safe_text(b, p->name, strlen(p->name), e)
                          : buf_puts(b, "(no name)", e)) ||
                 buf_puts(b,
                          p->aff == 1   ? " (rep)"
                          : p->aff == 2 ? " (customer)"
                                        : "",
                          e);
        }
        if (!rc)
            rc = buf_putc(b, '\n', e);
    }
    if (!rc && sqlite3_column_type(call, 4) != SQLITE_NULL)
        rc = safe_col(b, call, 4, "", e) || buf_putc(b, '\n', e);
    if (!rc)
        rc = buf_putc(b, '\n', e);
    if (rc)
        return err_set(e, ERR_NOMEM, "show: out of memory");
    if ((rc = each_line(s, text_line, &found, e)))
        return rc;
    if (!found && (rc = buf_puts(b, "(no transcript in the mirror)\n", e)))
        return rc;
    return out_flush_buf(stdout, b, e);
}

/* ---- rows ----------------------------------------------------------------------------- */

static int row_line(struct show *s, const struct transcript_line *ln, const char *text, size_t len,
                    struct err *e)
{
    const struct party *p = speaker(s, ln->speaker, ln->speaker_len);
    char at[24];
    struct out_cell cells[7] = {
        {.type = SQLITE_INTEGER, .i = ln->start_ms},
        {.type = SQLITE_INTEGER, .i = ln->end_ms},
        {.type = SQLITE_TEXT, .s = at},
        {.type = ln->speaker_len ? SQLITE_TEXT : SQLITE_NULL,
         .s = ln->speaker,
         .n = ln->speaker_len},
        {.type = p && p->name ? SQLITE_TEXT : SQLITE_NULL, .s = p ? p->name : NULL},
        {.type = p && p->aff ? SQLITE_TEXT : SQLITE_NULL,
         .s = p && p->aff == 1 ? "rep" : "customer"},
        {.type = SQLITE_TEXT, .s = text, .n = len},
    };

    out_mmss(ln->start_ms, at);
    cells[2].n = strlen(at);
    cells[4].n = cells[4].s ? strlen(cells[4].s) : 0;
    cells[5].n = strlen(cells[5].s);
    return out_row(s->rows, cells, e);
}

static int show_rows(struct show *s, struct err *e)
{
    static const char *const names[] = {"start_ms", "end_ms", "at",  "speaker_id",
                                        "speaker",  "role",   "text"};
    int rc, found;

    s->rows = out_new(stdout, s->c->format, 0);
    if (!s->rows)
        return err_set(e, ERR_NOMEM, "show: out of memory");
    if (!(rc = out_begin(s->rows, 7, names, e)) && !(rc = each_line(s, row_line, &found, e)))
        rc = out_end(s->rows, e);
    out_free(s->rows);
    s->rows = NULL;
    return rc;
}

/* ---- command -------------------------------------------------------------------------- */

static int show_call(struct show *s, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc;

    buf_init(&q, 0);
    if ((rc = buf_printf(&q, e,
                         "SELECT id, title, started, duration, url, primary_user_id, %s "
                         "FROM calls WHERE id = ?1",
                         filter_rep_expr)) ||
        (rc = cmd_prepare(s->db, q.data, &st, e)))
        goto done;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
        rc = rc == SQLITE_DONE
                 ? err_set(e, ERR_NOTFOUND, "no call '%s' in %s", s->id, s->c->db_path)
                 : err_set(e, ERR_DB, "show: %s", sqlite3_errmsg(s->db));
        goto done;
    }
    if ((rc = load_parties(s, e)))
        goto done;
    if (s->to_buf)
        rc = show_json(s, st, e);
    else if (!s->c->format_set)
        rc = show_text(s, st, e);
    else if (s->c->format == OUT_JSON || s->c->format == OUT_JSONL)
        rc = show_json(s, st, e);
    else
        rc = show_rows(s, e);
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

int cmd_show_json(sqlite3 *db, const char *id, size_t first, size_t max_lines, size_t max_bytes,
                  struct buf *out, size_t *next, struct err *e)
{
    struct cmd_ctx c = {.db_path = "the mirror"};
    struct show s = {.c = &c, .db = db, .id = id, .to_buf = 1};
    int rc;

    *next = 0;
    s.first = first;
    s.max_lines = max_lines ? max_lines : (size_t)-1;
    s.max_bytes = max_bytes ? max_bytes : (size_t)-1;
    filter_init(&s.f);
    buf_init(&s.ob, 0);
    if (!(rc = show_call(&s, e))) {
        buf_release(out);
        *out = s.ob; /* ownership moves to the caller */
        buf_init(&s.ob, 0);
        *next = s.next;
    }
    for (size_t i = 0; i < s.n_parties; i++) {
        free(s.parties[i].speaker_id);
        free(s.parties[i].name);
    }
    free(s.parties);
    buf_release(&s.ob);
    filter_release(&s.f);
    return rc;
}

int cmd_show(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    enum { OPT_COLOR = 0x3000 };
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS,
        {"deal-timing", 1, NULL, FILTER_OPT_DEAL_TIMING},
        {"color", 1, NULL, OPT_COLOR},
        {NULL, 0, NULL, 0},
    };
    struct show s = {.c = c};
    const char *color = NULL;
    int opt, rc = ERR_OK;

    filter_init(&s.f);
    buf_init(&s.ob, 0);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (opt == CMD_OPT_HELP) {
            fputs(show_help, stdout);
            goto done;
        }
        if (opt == '?' || opt == ':') {
            rc = cmd_bad_option("show", opt, argv, e);
            goto done;
        }
        if (opt == OPT_COLOR) {
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                rc = err_set(e, ERR_USAGE, "show: --color '%s': expected auto, always or never",
                             optarg);
                goto done;
            }
            color = optarg;
            continue;
        }
        if ((rc = cmd_common_option(c, opt, optarg, e)) == ERR_NOTFOUND)
            rc = filter_option(&s.f, opt, optarg, e);
        if (rc)
            goto done;
    }
    if (argc - optind != 1) {
        rc = err_set(e, ERR_USAGE, "show: give one CALL_ID (see %s show --help)", CMD_PROG);
        goto done;
    }
    s.id = argv[optind];
    s.color = out_want_color(1, color);
    if ((rc = cmd_open_db(c, &s.db, e)))
        goto done;
    rc = show_call(&s, e);
done:
    for (size_t i = 0; i < s.n_parties; i++) {
        free(s.parties[i].speaker_id);
        free(s.parties[i].name);
    }
    free(s.parties);
    buf_release(&s.ob);
    sqlite3_close(s.db);
    filter_release(&s.f);
    return rc;
}
