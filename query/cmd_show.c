/* cmd_show: `callmine-query show CALL_ID` prints one call.
 *
 * This file holds the command line, reading the call (its row from calls, call_facts and
 * transcript_status, its parties, its transcript), and the row formats. The text writer is
 * show_text.c, the JSON writer show_json.c (also behind cmd_show_json for the MCP server).
 * Text goes through a pager on a terminal (pager.h) unless --no-pager. Table-like formats
 * print the transcript as rows. All text from the mirror is untrusted: in text output control
 * characters are shown escaped, in JSON they are escaped. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "filter.h"
#include "pager.h"
#include "show.h"
#include "zblob.h"

#include "banned.h"

static const char show_help[] =
    "Usage: callmine-query show CALL_ID [--format FORMAT] [--no-pager] [--color WHEN]\n"
    "\n"
    "Print one call: the title, start, duration (h:mm:ss), rep, outcome and participants;\n"
    "the deal as it was at the call and as it is now, side by side (stage, amount, close\n"
    "date, owner, company and size); Gong's brief, key points, action items, call outcome,\n"
    "trackers and topics; then the transcript, one sentence per line:\n"
    "  [12:03] Dana Smith (rep): Shall we talk about pricing?\n"
    "or, when the mirror has none, why (Gong has not produced it yet, a private call, not\n"
    "fetched yet). On a terminal the text goes through $PAGER, else `less -R` (with LESS=FRX\n"
    "when LESS is unset, so a short call prints and returns at once).\n"
    "\n"
    "  --format json          one object: id, title, started, duration (seconds), url,\n"
    "                         primary_user_id, parties[{speaker_id, user_id, name, email,\n"
    "                         affiliation}], deals[{timing, deal_id, deal_name, stage, amount,\n"
    "                         owner, company_name, company_size, close_date, owner_name}],\n"
    "                         transcript[{speaker_id, start_ms, end_ms, text}] in spoken order;\n"
    "                         also rep, rep_email, rep_id, rep_source (speech|primary),\n"
    "                         outcome (won|lost|open), call_outcome{name, category}, brief,\n"
    "                         key_points[], action_items[{start_ms, end_ms, speaker_id,\n"
    "                         speaker_name, text}], trackers[{name, type, count}],\n"
    "                         topics[{name, duration}], transcript_status{state, attempts,\n"
    "                         next_try, last_try, note}\n"
    "  --format jsonl         the same object on one line\n"
    "  --format table|csv|tsv|markdown   the transcript as rows\n"
    "  --no-pager             never start a pager (it never starts when stdout is not a\n"
    "                         terminal; PAGER= (empty) also turns it off)\n"
    "  --color auto|always|never   bold headings in the text (default auto; NO_COLOR is obeyed)\n"
    "  --deal-timing now|call accepted for older scripts; both snapshots are always shown\n"
    "\n"
    "Examples:\n"
    "  callmine-query show 7782342274025937895\n"
    "  callmine-query show 7782342274025937895 --format json | jq '.deals'\n";

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

int show_prepare(struct show *s, const char *sql, sqlite3_stmt **st, struct err *e)
{
    int rc = cmd_prepare(s->db, sql, st, e);

    if (!rc)
        sqlite3_bind_text(*st, 1, s->id, -1, SQLITE_STATIC);
    return rc;
}

int show_flush(struct show *s, struct err *e)
{
    return !s->to_buf && s->ob.len >= (64u << 10) ? out_flush_buf(stdout, &s->ob, e) : ERR_OK;
}

void show_hms(int64_t seconds, char out[32])
{
    long long t = seconds < 0 ? 0 : (long long)seconds;

    snprintf(out, 32, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
}

/* ---- the call ------------------------------------------------------------------------- */

/* The call row; the rep and outcome from call_facts (with the stages config when the
 * connection has it), or, in a version-1 file, the rep as filter_rep_expr names it. */
static const char call_head[] = "SELECT calls.id, calls.title, calls.started, calls.duration, "
                                "calls.url, calls.primary_user_id, ";
static const char call_facts_cols[] =
    "f.rep_name, f.rep_email, f.rep_id, f.rep_source, f.outcome, ";
static const char call_tail[] =
    "calls.brief, calls.outcome_name, calls.outcome_category, calls.is_private, "
    "EXISTS (SELECT 1 FROM transcripts t WHERE t.call_id = calls.id), "
    "s.state, s.attempts, s.next_try, s.last_try ";

static int open_call(struct show *s, struct err *e)
{
    struct buf q;
    int rc, step;

    buf_init(&q, 0);
    if (s->v2)
        rc = buf_puts(&q, call_head, e) || buf_puts(&q, call_facts_cols, e) ||
             buf_puts(&q, call_tail, e) ||
             buf_puts(&q,
                      "FROM call_facts f JOIN calls ON calls.id = f.call_id "
                      "LEFT JOIN transcript_status s ON s.call_id = calls.id "
                      "WHERE f.call_id = ?1",
                      e);
    else
        rc = buf_puts(&q, call_head, e) ||
             buf_printf(&q, e,
                        "%s, NULL, calls.primary_user_id, CASE WHEN calls.primary_user_id IS "
                        "NOT NULL THEN 'primary' END, NULL, ",
                        filter_rep_expr) ||
             buf_puts(&q, call_tail, e) ||
             buf_puts(&q,
                      "FROM calls LEFT JOIN transcript_status s ON s.call_id = calls.id "
                      "WHERE calls.id = ?1",
                      e);
    if (rc) {
        rc = err_set(e, ERR_NOMEM, "show: out of memory");
        goto done;
    }
    if ((rc = show_prepare(s, q.data, &s->call, e)))
        goto done;
    if ((step = sqlite3_step(s->call)) != SQLITE_ROW)
        rc = step == SQLITE_DONE ? err_set(e, ERR_NOTFOUND, "no call '%s' in %s", s->id, s->db_path)
                                 : err_set(e, ERR_DB, "show: %s", sqlite3_errmsg(s->db));
done:
    buf_release(&q);
    return rc;
}

static int load_parties(struct show *s, struct err *e)
{
    static const char party_sql[] =
        "SELECT p.speaker_id, coalesce(p.name, (SELECT nullif(trim(ifnull(u.first_name, '') || "
        "' ' || ifnull(u.last_name, '')), '') FROM users u WHERE u.id = p.user_id)), "
        "p.affiliation FROM parties p WHERE p.call_id = ?1 ORDER BY p.ord";
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK, step;

    if ((rc = show_prepare(s, party_sql, &st, e)))
        return rc;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct show_party *p = realloc(s->parties, (s->n_parties + 1) * sizeof *p);

        if (!p) {
            rc = err_set(e, ERR_NOMEM, "show: out of memory");
            break;
        }
        s->parties = p;
        p += s->n_parties++;
        p->speaker_id = dup_col(st, 0);
        p->name = dup_col(st, 1);
        p->aff = affiliation_code((const char *)sqlite3_column_text(st, 2));
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "show: read parties: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

const struct show_party *show_speaker(const struct show *s, const char *id, size_t n)
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

int show_each_line(struct show *s, show_line_fn fn, int *found, struct err *e)
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
    if ((rc = show_prepare(s, "SELECT size, body FROM transcripts WHERE call_id = ?1", &st, e)))
        goto done;
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

const char *show_owner_name_sql(const struct show *s)
{
    if (s->v2)
        return "coalesce((SELECT cu.name FROM crm_users cu WHERE cu.crm_id = d.owner), "
               "(SELECT nullif(trim(ifnull(u.first_name, '') || ' ' || ifnull(u.last_name, "
               "'')), '') FROM users u WHERE u.email = coalesce((SELECT cu.email FROM "
               "crm_users cu WHERE cu.crm_id = d.owner), d.owner) COLLATE NOCASE "
               "ORDER BY u.id LIMIT 1))";
    return "(SELECT nullif(trim(ifnull(u.first_name, '') || ' ' || ifnull(u.last_name, '')), "
           "'') FROM users u WHERE u.email = d.owner COLLATE NOCASE ORDER BY u.id LIMIT 1)";
}

/* One snapshot's SHOW_D_* columns for the deals row aliased d. */
static int snapshot_cols(const struct show *s, struct buf *q, struct err *e)
{
    return buf_printf(q, e,
                      "d.rowid IS NOT NULL, d.deal_id, d.deal_name, d.stage, d.amount, "
                      "d.close_date, d.owner, %s, d.company_name, d.company_size",
                      show_owner_name_sql(s));
}

int show_prepare_deals(struct show *s, sqlite3_stmt **st, struct err *e)
{
    const char *ord = s->v2 ? "ord" : "rowid";
    struct buf q, t, n;
    int rc;

    buf_init(&q, 0);
    buf_init(&t, 0);
    buf_init(&n, 0);
    rc = snapshot_cols(s, &t, e) || snapshot_cols(s, &n, e);
    if (!rc)
        rc = buf_printf(&q, e,
                        "WITH ids AS (SELECT deal_id, min(CASE WHEN timing = 'Now' THEN %s END) "
                        "AS n_ord, min(CASE WHEN timing = 'TimeOfCall' THEN %s END) AS t_ord "
                        "FROM deals WHERE call_id = ?1 AND timing IN ('Now', 'TimeOfCall') "
                        "GROUP BY deal_id) "
                        "SELECT t.*, n.* FROM ids "
                        "LEFT JOIN (SELECT %s FROM deals d WHERE d.call_id = ?1 AND d.timing = "
                        "'TimeOfCall') t ON t.deal_id IS ids.deal_id "
                        "LEFT JOIN (SELECT %s FROM deals d WHERE d.call_id = ?1 AND d.timing = "
                        "'Now') n ON n.deal_id IS ids.deal_id "
                        "ORDER BY ids.n_ord IS NULL, ids.n_ord, ids.t_ord",
                        ord, ord, t.data, n.data);
    if (rc)
        rc = err_set(e, ERR_NOMEM, "show: out of memory");
    else
        rc = show_prepare(s, q.data, st, e);
    buf_release(&q);
    buf_release(&t);
    buf_release(&n);
    return rc;
}

const char *show_transcript_note(const struct show *s, char out[256])
{
    sqlite3_stmt *c = s->call;
    const char *state = (const char *)sqlite3_column_text(c, SHOW_C_TS_STATE);
    const char *next = (const char *)sqlite3_column_text(c, SHOW_C_TS_NEXT_TRY);
    long long n = sqlite3_column_int64(c, SHOW_C_TS_ATTEMPTS);

    if (sqlite3_column_int(c, SHOW_C_HAS_TRANSCRIPT))
        return NULL;
    if (state && strcmp(state, "waiting") == 0) {
        snprintf(out, 256,
                 "Gong has not produced it yet: asked %lld time%s, next try at %.24s "
                 "(callmine-ingest asks again on its next run after that)",
                 n, n == 1 ? "" : "s", next ? next : "the next run");
    } else if ((state && strcmp(state, "private") == 0) ||
               (!state && sqlite3_column_int(c, SHOW_C_PRIVATE))) {
        snprintf(out, 256,
                 "a private call: callmine-ingest skips private calls' transcripts unless it "
                 "runs with --include-private");
    } else if (state && strcmp(state, "pending") == 0) {
        snprintf(out, 256,
                 "not fetched yet: the next callmine-ingest run fetches it (runs with "
                 "--no-transcripts leave transcripts out)");
    } else if (state && strcmp(state, "done") == 0) {
        snprintf(out, 256,
                 "not in this file, though it was fetched (an export made with "
                 "--no-transcripts leaves transcripts out)");
    } else {
        snprintf(out, 256,
                 "not in the mirror: no transcript was fetched for this call (runs with "
                 "--no-transcripts leave transcripts out)");
    }
    return out;
}

/* ---- rows ----------------------------------------------------------------------------- */

static int row_line(struct show *s, const struct transcript_line *ln, const char *text, size_t len,
                    struct err *e)
{
    const struct show_party *p = show_speaker(s, ln->speaker, ln->speaker_len);
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

static int show_rows(struct show *s, enum out_format f, struct err *e)
{
    static const char *const names[] = {"start_ms", "end_ms", "at",  "speaker_id",
                                        "speaker",  "role",   "text"};
    int rc, found;

    s->rows = out_new(stdout, f, 0);
    if (!s->rows)
        return err_set(e, ERR_NOMEM, "show: out of memory");
    if (!(rc = out_begin(s->rows, 7, names, e)) && !(rc = show_each_line(s, row_line, &found, e)))
        rc = out_end(s->rows, e);
    out_free(s->rows);
    s->rows = NULL;
    return rc;
}

/* ---- command -------------------------------------------------------------------------- */

/* Whether the file has the semantic layer (version 2: call_facts). */
static int has_call_facts(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int yes = 0;

    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_schema WHERE type = 'view' AND name = "
                           "'call_facts'",
                           -1, &st, NULL) == SQLITE_OK)
        yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

static void show_release(struct show *s)
{
    for (size_t i = 0; i < s->n_parties; i++) {
        free(s->parties[i].speaker_id);
        free(s->parties[i].name);
    }
    free(s->parties);
    s->parties = NULL;
    s->n_parties = 0;
    sqlite3_finalize(s->call);
    s->call = NULL;
    buf_release(&s->ob);
    buf_release(&s->line);
}

static int show_open(struct show *s, struct err *e)
{
    int rc;

    s->v2 = has_call_facts(s->db);
    if ((rc = db_exec(s->db, "BEGIN", e)) || (rc = open_call(s, e)))
        return rc;
    return load_parties(s, e);
}

int cmd_show_json(sqlite3 *db, const char *id, size_t first, size_t max_lines, size_t max_bytes,
                  struct buf *out, size_t *next, struct err *e)
{
    struct show s = {.db = db, .id = id, .db_path = "the mirror", .to_buf = 1};
    int rc;

    *next = 0;
    s.first = first;
    s.max_lines = max_lines ? max_lines : (size_t)-1;
    s.max_bytes = max_bytes ? max_bytes : (size_t)-1;
    buf_init(&s.ob, 0);
    if (!(rc = show_open(&s, e)) && !(rc = show_json(&s, e))) {
        buf_release(out);
        *out = s.ob; /* ownership moves to the caller */
        buf_init(&s.ob, 0);
        *next = s.next;
    }
    show_release(&s);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* The width to wrap prose at on a terminal: its width, at most 100 columns. */
static int prose_width(void)
{
    int w = out_term_width(STDOUT_FILENO);

    return w > 100 ? 100 : w;
}

int cmd_show(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    enum { OPT_COLOR = 0x3000, OPT_NO_PAGER };
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS,
        {"deal-timing", 1, NULL, FILTER_OPT_DEAL_TIMING},
        {"color", 1, NULL, OPT_COLOR},
        {"no-pager", 0, NULL, OPT_NO_PAGER},
        {NULL, 0, NULL, 0},
    };
    struct show s = {.id = NULL, .db_path = c->db_path};
    struct filter f;
    const char *color = NULL;
    int opt, rc = ERR_OK, no_pager = 0, paged = 0;

    filter_init(&f);
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
        if (opt == OPT_NO_PAGER) {
            no_pager = 1;
            continue;
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
        /* --deal-timing is still accepted (both snapshots are shown now) and checked */
        if ((rc = cmd_common_option(c, opt, optarg, e)) == CMD_PASS)
            rc = filter_option(&f, opt, optarg, e);
        if (rc)
            goto done;
    }
    if (argc - optind != 1) {
        rc = err_set(e, ERR_USAGE, "show: give one CALL_ID (see %s show --help)", CMD_PROG);
        goto done;
    }
    s.id = argv[optind];
    s.db_path = c->db_path;
    s.color = out_want_color(STDOUT_FILENO, color);
    if ((rc = cmd_open_db(c, &s.db, e)) || (rc = show_open(&s, e)))
        goto done;
    if (c->format_set && c->format != OUT_JSON && c->format != OUT_JSONL) {
        rc = show_rows(&s, c->format, e);
        goto done;
    }
    if (!c->format_set) {
        s.width = c->stdout_tty ? prose_width() : 0;
        paged = !no_pager && c->stdout_tty && pager_start();
        rc = show_text(&s, e);
    } else {
        rc = show_json(&s, e);
    }
    if (!rc)
        rc = out_flush_buf(stdout, &s.ob, e);
    if (!rc && fflush(stdout) != 0)
        rc = err_set(e, ERR_IO, "write output: failed");
    if (paged && rc == ERR_IO && pager_gone())
        rc = ERR_OK; /* the reader quit the pager early: not an error */
done:
    if (paged)
        pager_finish();
    show_release(&s);
    sqlite3_close(s.db);
    filter_release(&f);
    return rc;
}
