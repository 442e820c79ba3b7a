/* cmd_export: `callmine-query export OUT.db [FILTERS]` writes a filtered copy for sharing.
 *
 * The copy is created under a temporary name in OUT's directory with the embedded migrations
 * (db_open_rw), so it has the mirror's schema and user_version. The source, already checked
 * by db_open_ro, is ATTACHed read-only (mode=ro URI) and the selected calls, their child rows,
 * the users they name (and those users' managers) and their transcripts are copied with
 * INSERT ... SELECT in one transaction. The selection itself is computed by the filter SQL on
 * the read-only connection and handed over as a temp table of ids. With --redact, e-mail
 * addresses and phone numbers become [email]/[phone] in every text column (ids, urls and
 * digests excepted) and inside transcript text (inflate, redact, deflate, and a new n-gram
 * filter in transcript_grams for the redacted text), calls_raw and users.raw are left out,
 * and private calls are left out entirely. The search index (search_index.h) is rebuilt in
 * the copy from the transcripts it holds, so after --redact it knows only the redacted
 * words; --no-search-index drops its tables instead (a smaller file; `search` then says
 * there is none). call_facts_stored is not copied but computed in the copy from what it
 * holds (facts_rebuild), so the copy's call_facts equal its call_facts_live. The copy is switched
 * to journal_mode=DELETE (one self-contained file), synced, and moved into place: link() when OUT
 * must not be overwritten, rename() with --force. A failure or a signal removes the temporary file,
 * so OUT is either complete or absent. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "facts.h"
#include "filter.h"
#include "grams.h"
#include "redact.h"
#include "search_index.h"
#include "transcript.h"
#include "zblob.h"

#include "banned.h"

static const char export_help_head[] =
    "Usage: callmine-query export OUT.db [FILTERS] [--redact] [--no-transcripts]\n"
    "                                    [--no-search-index] [--force]\n"
    "\n"
    "Write the calls that match FILTERS, with their participants, deals, CRM fields, topics,\n"
    "trackers and the other per-call rows, the users they name and their transcripts, into a\n"
    "new mirror file OUT.db for sharing. It has the same schema and version as the source,\n"
    "opens in the stock sqlite3 shell, and is written under a temporary name and renamed, so\n"
    "OUT.db is never left half written. The source is only read.\n"
    "\n"
    "  --redact          replace e-mail addresses and phone numbers with [email] and [phone]\n"
    "                    in every text column and in transcript text; leave out calls_raw,\n"
    "                    users.raw and private calls\n"
    "  --no-transcripts  leave the transcripts out\n"
    "  --no-search-index leave the search index out (`search` needs it; grep does not)\n"
    "  --force           replace OUT.db if it exists (never the source itself)\n"
    "\n";

static const char export_help_tail[] =
    "\n"
    "Examples:\n"
    "  callmine-query export q1-acme.db --from 2024-01-01 --to 2024-04-01 --redact\n"
    "  callmine-query export lost.db --stage closedlost --no-transcripts\n";

struct export
{
    const struct cmd_ctx *c;
    struct filter f;
    const char *out;
    int redact, no_transcripts, no_search_index, force;
    sqlite3 *src, *dst;
    size_t redactions;
    struct buf scratch;
};

/* ---- temporary files and signals ------------------------------------------------------ */

static char tmp_paths[4][PATH_MAX + 16]; /* the temp db and its -wal, -shm, -journal */
static volatile sig_atomic_t tmp_armed;

static void remove_tmp(void)
{
    for (int i = 0; i < 4; i++)
        if (tmp_paths[i][0])
            unlink(tmp_paths[i]);
}

static void on_signal(int sig)
{
    if (tmp_armed)
        remove_tmp();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Remove the temporary files (and their -journal/-wal/-shm) that an export of the same out
 * left when it was killed with no chance to clean up: ".OUT.tmp-PID-XXXXXX" whose PID no
 * longer runs. Best effort: anything unexpected is left alone. */
static void sweep_orphans(const char *out)
{
    const char *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out;
    char dir[PATH_MAX], prefix[NAME_MAX + 8], path[PATH_MAX + NAME_MAX + 2];
    struct dirent *d;
    size_t plen;
    DIR *dp;

    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out) + (slash == out) : 1,
             slash ? out : ".");
    if (snprintf(prefix, sizeof prefix, ".%s.tmp-", base) >= (int)sizeof prefix)
        return;
    plen = strlen(prefix);
    if (!(dp = opendir(dir)))
        return;
    while ((d = readdir(dp))) {
        char *end = NULL;
        long pid;

        if (strncmp(d->d_name, prefix, plen) != 0)
            continue;
        pid = strtol(d->d_name + plen, &end, 10);
        if (pid <= 0 || !end || *end != '-' || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* its owner still runs (or is not ours to judge) */
        snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
        unlink(path);
    }
    closedir(dp);
}

/* Create the temporary file next to out; its name goes into tmp_paths[0]. */
static int make_tmp(const char *out, struct err *e)
{
    const char *slash = strrchr(out, '/');
    static const char *const sfx[] = {"-wal", "-shm", "-journal"};
    mode_t mask;
    int fd, n;

    /* a relative name gets "./" so that it never reads as a file: URI; the pid in the name
     * lets a later export remove what a killed one left (sweep_orphans) */
    if (slash)
        n = snprintf(tmp_paths[0], PATH_MAX, "%s%.*s/.%s.tmp-%ld-XXXXXX", out[0] == '/' ? "" : "./",
                     (int)(slash - out), out, slash + 1, (long)getpid());
    else
        n = snprintf(tmp_paths[0], PATH_MAX, "./.%s.tmp-%ld-XXXXXX", out, (long)getpid());
    if (n < 0 || n >= PATH_MAX - 16)
        return err_set(e, ERR_USAGE, "export: output path '%s' is too long", out);
    sweep_orphans(out);
    fd = mkstemp(tmp_paths[0]);
    if (fd < 0) {
        int errno_ = errno;

        tmp_paths[0][0] = '\0';
        return err_set(e, ERR_IO, "export: cannot create a file next to '%s': %s", out,
                       strerror(errno_));
    }
    mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) { /* mkstemp makes it 0600 */
        /* not fatal: the copy is then private to the user */
    }
    close(fd);
    for (int i = 0; i < 3; i++)
        snprintf(tmp_paths[i + 1], sizeof tmp_paths[i + 1], "%.*s%s", PATH_MAX - 1, tmp_paths[0],
                 sfx[i]);
    tmp_armed = 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    return ERR_OK;
}

/* ---- SQL helpers --------------------------------------------------------------------- */

/* cm_redact(x): x with e-mail addresses and phone numbers replaced; non-text unchanged. */
static void sql_redact(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct export *x = sqlite3_user_data(ctx);
    struct err e = {0};
    size_t k = 0;

    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    if (redact_text((const char *)sqlite3_value_text(argv[0]), (size_t)sqlite3_value_bytes(argv[0]),
                    &x->scratch, &k, &e)) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    x->redactions += k;
    sqlite3_result_text(ctx, x->scratch.data, (int)x->scratch.len, SQLITE_TRANSIENT);
}

/* Columns that are never redacted: identifiers, links and digests. */
static int keep_column(const char *name)
{
    size_t n = strlen(name);

    return strcmp(name, "id") == 0 || (n > 3 && strcmp(name + n - 3, "_id") == 0) ||
           strcmp(name, "url") == 0 || strcmp(name, "digest") == 0 || strcmp(name, "timing") == 0 ||
           strcmp(name, "speaker") == 0;
}

/* Build "cols" and "exprs" for table t: the columns both schemas have, through cm_redact
 * when redacting. *n is the number of columns (0 when the source lacks the table). */
static int column_lists(struct export *x, const char *t, struct buf *cols, struct buf *exprs,
                        int *n, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK;

    *n = 0;
    if ((rc = cmd_prepare(x->dst,
                          "SELECT m.name FROM pragma_table_info(?1, 'main') m "
                          "WHERE m.name IN (SELECT s.name FROM pragma_table_info(?1, 'src') s) "
                          "ORDER BY m.cid",
                          &st, e)))
        return rc;
    sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        const char *sep = (*n)++ ? ", " : "";

        if (!c)
            continue;
        rc = buf_printf(cols, e, "%s\"%s\"", sep, c);
        if (rc)
            break;
        if (x->redact && strcmp(t, "users") == 0 && strcmp(c, "raw") == 0)
            rc = buf_printf(exprs, e, "%sNULL", sep);
        else if (x->redact && !keep_column(c))
            rc = buf_printf(exprs, e, "%scm_redact(s.\"%s\")", sep, c);
        else
            rc = buf_printf(exprs, e, "%ss.\"%s\"", sep, c);
    }
    sqlite3_finalize(st);
    return rc;
}

/* INSERT INTO main.t SELECT ... FROM src.t s WHERE <where>. */
static int copy_table(struct export *x, const char *t, const char *where, struct err *e)
{
    struct buf cols, exprs, sql;
    int n, rc;

    buf_init(&cols, 0);
    buf_init(&exprs, 0);
    buf_init(&sql, 0);
    if ((rc = column_lists(x, t, &cols, &exprs, &n, e)) || !n)
        goto done;
    if ((rc = buf_printf(&sql, e,
                         "INSERT OR IGNORE INTO main.\"%s\"(%s) SELECT %s FROM src.\"%s\" s "
                         "WHERE %s",
                         t, cols.data, exprs.data, t, where)))
        goto done;
    if ((rc = db_exec(x->dst, sql.data, e)))
        err_wrap(e, "export: copy %s", t);
done:
    buf_release(&cols);
    buf_release(&exprs);
    buf_release(&sql);
    return rc;
}

/* ---- steps ----------------------------------------------------------------------------- */

/* The selected call ids, from the filter on the read-only connection, into temp.sel. */
static int select_calls(struct export *x, size_t *n_calls, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL, *ins = NULL;
    int rc, step;

    *n_calls = 0;
    buf_init(&q, 0);
    if ((rc = db_exec(x->dst, "CREATE TEMP TABLE sel(id TEXT PRIMARY KEY) WITHOUT ROWID", e)) ||
        (rc = cmd_prepare(x->dst, "INSERT OR IGNORE INTO temp.sel(id) VALUES (?1)", &ins, e)) ||
        (rc = buf_puts(&q, "SELECT calls.id FROM calls WHERE ", e)) ||
        (rc = filter_sql(&x->f, &q, e)) ||
        (rc = buf_puts(&q, x->redact ? " AND NOT ifnull(calls.is_private, 0)" : "", e)) ||
        (rc = cmd_prepare(x->src, q.data, &st, e)) || (rc = filter_bind(&x->f, st, e)))
        goto done;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_bind_value(ins, 1, sqlite3_column_value(st, 0));
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = err_set(e, ERR_DB, "export: select calls: %s", sqlite3_errmsg(x->dst));
            goto done;
        }
        sqlite3_reset(ins);
        (*n_calls)++;
    }
    if (step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "export: select calls: %s", sqlite3_errmsg(x->src));
done:
    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    buf_release(&q);
    return rc;
}

/* Transcripts with redacted text: inflate, redact each sentence, deflate; and the n-gram
 * filter of the redacted text (the source's would miss [email] and [phone]). */
static int copy_transcripts_redacted(struct export *x, size_t *n, struct err *e)
{
    sqlite3_stmt *st = NULL, *ins = NULL, *ins_g = NULL;
    unsigned char grams[GRAMS_BYTES];
    struct zblob_codec *z = zblob_codec_new(ZBLOB_LEVEL);
    struct buf text, un, red, out, blob, spk;
    struct transcript_line ln;
    int rc = ERR_OK, step, changed;

    buf_init(&text, 0), buf_init(&un, 0), buf_init(&red, 0), buf_init(&out, 0);
    buf_init(&blob, 0), buf_init(&spk, 0);
    if (!z) {
        rc = err_set(e, ERR_NOMEM, "export: out of memory");
        goto done;
    }
    if ((rc = cmd_prepare(x->dst,
                          "SELECT s.call_id, s.size, s.body, s.sentences, "
                          "cm_redact(s.monologues), s.fetched FROM src.transcripts s "
                          "WHERE s.call_id IN (SELECT id FROM temp.sel)",
                          &st, e)) ||
        (rc = cmd_prepare(x->dst,
                          "INSERT INTO main.transcripts(call_id, size, body, sentences, "
                          "monologues, fetched) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                          &ins, e)) ||
        (rc =
             cmd_prepare(x->dst, "INSERT INTO main.transcript_grams(call_id, bits) VALUES (?1, ?2)",
                         &ins_g, e)))
        goto done;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        size_t pos = 0, k;
        int r;

        if (sqlite3_column_int64(st, 1) < 0 ||
            (rc = zblob_inflate(z, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                                (size_t)sqlite3_column_int64(st, 1), &text, e))) {
            rc = err_set(e, ERR_PARSE, "export: transcript of call '%s' is corrupt",
                         (const char *)sqlite3_column_text(st, 0));
            goto done;
        }
        buf_reset(&out);
        changed = 0;
        while ((r = transcript_next(text.data, text.len, &pos, &ln)) != 0) {
            if (r < 0) { /* a malformed line: its text cannot be told apart, leave it out */
                changed = 1;
                continue;
            }
            buf_reset(&spk);
            if ((rc = transcript_unescape(ln.text, ln.text_len, &un, e)) ||
                (rc = redact_text(un.data, un.len, &red, &k, e)) ||
                (rc = buf_append(&spk, ln.speaker, ln.speaker_len, e)) ||
                (rc = transcript_append(&out, ln.start_ms, ln.end_ms,
                                        ln.speaker_len ? spk.data : NULL, red.data, red.len, e)))
                goto done;
            x->redactions += k;
            changed |= k > 0;
        }
        sqlite3_bind_value(ins, 1, sqlite3_column_value(st, 0));
        if (!changed) { /* nothing to redact: the stored blob as it is, no recompression */
            sqlite3_bind_value(ins, 2, sqlite3_column_value(st, 1));
            sqlite3_bind_value(ins, 3, sqlite3_column_value(st, 2));
            grams_build(text.data ? text.data : "", text.len, grams, GRAMS_BITS);
        } else {
            grams_build(out.data ? out.data : "", out.len, grams, GRAMS_BITS);
            if ((rc = zblob_deflate(z, out.data ? out.data : "", out.len, &blob, e)))
                goto done;
            sqlite3_bind_int64(ins, 2, (sqlite3_int64)out.len);
            sqlite3_bind_blob(ins, 3, blob.data ? blob.data : "", (int)blob.len, SQLITE_STATIC);
        }
        for (int col = 3; col < 6; col++)
            sqlite3_bind_value(ins, col + 1, sqlite3_column_value(st, col));
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = err_set(e, ERR_DB, "export: copy transcripts: %s", sqlite3_errmsg(x->dst));
            goto done;
        }
        sqlite3_reset(ins);
        sqlite3_bind_value(ins_g, 1, sqlite3_column_value(st, 0));
        sqlite3_bind_blob(ins_g, 2, grams, (int)GRAMS_BYTES, SQLITE_STATIC);
        if (sqlite3_step(ins_g) != SQLITE_DONE) {
            rc = err_set(e, ERR_DB, "export: copy transcripts: %s", sqlite3_errmsg(x->dst));
            goto done;
        }
        sqlite3_reset(ins_g);
        (*n)++;
    }
    if (step != SQLITE_DONE)
        rc = err_set(e, ERR_DB, "export: copy transcripts: %s", sqlite3_errmsg(x->dst));
done:
    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    sqlite3_finalize(ins_g);
    zblob_codec_free(z);
    buf_release(&text), buf_release(&un), buf_release(&red), buf_release(&out);
    buf_release(&blob), buf_release(&spk);
    return rc;
}

/* The search index of the copy: rebuilt from the transcripts it holds (the redacted text
 * after --redact), or its tables dropped with --no-search-index. */
static int copy_search_index(struct export *x, struct err *e)
{
    size_t n = 0;
    int rc;

    if (x->no_search_index)
        return db_exec(x->dst,
                       "DROP TABLE IF EXISTS main.search_sentences; "
                       "DROP TABLE IF EXISTS main.search_calls",
                       e);
    if ((rc = search_index_fill(x->dst, 0, &n, NULL, e)))
        err_wrap(e, "export");
    return rc;
}

static const char in_sel[] = "s.call_id IN (SELECT id FROM temp.sel)";
static const char users_sel[] =
    "s.id IN (SELECT primary_user_id FROM main.calls UNION SELECT user_id FROM main.parties "
    "UNION SELECT user_id FROM main.speakers UNION SELECT owner FROM main.deals) "
    "OR s.id IN (SELECT u.manager_id FROM src.users u WHERE u.id IN (SELECT primary_user_id "
    "FROM main.calls UNION SELECT user_id FROM main.parties))";

/* Copy everything the selection names, in one transaction. */
static int copy_all(struct export *x, size_t *n_transcripts, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *n_transcripts = 0;
    /* meta as the source has it: the new file's migration left 'backfill', which the
     * source (a finished mirror) no longer has, and its derived rows are copied below */
    if ((rc = db_exec(x->dst, "BEGIN", e)) || (rc = db_exec(x->dst, "DELETE FROM main.meta", e)) ||
        (rc = copy_table(x, "meta", "1", e)) ||
        (rc = copy_table(x, "calls", "s.id IN (SELECT id FROM temp.sel)", e)))
        goto done;
    /* every other table keyed by call_id, in schema order (children after calls) */
    if ((rc = cmd_prepare(x->dst,
                          "SELECT m.name FROM main.sqlite_schema m WHERE m.type = 'table' "
                          "AND m.name NOT IN ('calls', 'transcripts') AND EXISTS (SELECT 1 "
                          "FROM pragma_table_info(m.name, 'main') WHERE name = 'call_id') "
                          "ORDER BY m.rowid",
                          &st, e)))
        goto done;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);

        /* transcript_grams is derived from the transcripts: with --redact it is written
         * from the redacted text, and without transcripts there is nothing to derive */
        if (!t || (x->redact && strcmp(t, "calls_raw") == 0) ||
            (x->no_transcripts && strcmp(t, "transcript_status") == 0) ||
            (x->no_transcripts && strcmp(t, "call_metrics") == 0) || /* measured from them */
            ((x->redact || x->no_transcripts) && strcmp(t, "transcript_grams") == 0) ||
            strcmp(t, "search_calls") == 0 ||    /* the index is rebuilt below */
            strcmp(t, "call_facts_stored") == 0) /* computed from the copy below */
            continue;
        if ((rc = copy_table(x, t, in_sel, e)))
            goto done;
    }
    if ((rc = copy_table(x, "users", users_sel, e)) ||
        (rc = copy_table(x, "crm_users", /* the owners of the copied deals, for owner_name */
                         "s.crm_id IN (SELECT owner FROM main.deals)", e)))
        goto done;
    if (!x->no_transcripts) {
        if (x->redact)
            rc = copy_transcripts_redacted(x, n_transcripts, e);
        else if (!(rc = copy_table(x, "transcripts", in_sel, e)))
            *n_transcripts = (size_t)sqlite3_changes(x->dst);
        if (rc)
            goto done;
    }
    /* the copy's facts from the copy's own rows (redacted names and e-mails, measures
     * left out with --no-transcripts), by this binary's definition */
    if ((rc = copy_search_index(x, e)) || (rc = facts_rebuild(x->dst, e)))
        goto done;
    rc = db_exec(x->dst, "COMMIT", e);
done:
    sqlite3_finalize(st);
    if (rc)
        sqlite3_exec(x->dst, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ATTACH the source read-only; with immutable=1 when its directory is read-only. */
static int attach_source(struct export *x, const char *real, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK;

    for (int immutable = 0; immutable < 2; immutable++) {
        char *uri = sqlite3_mprintf("file:%s?mode=ro%s", real, immutable ? "&immutable=1" : "");

        if (!uri)
            return err_set(e, ERR_NOMEM, "export: out of memory");
        if (cmd_prepare(x->dst, "ATTACH ?1 AS src", &st, e) == ERR_OK) {
            sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
            rc = sqlite3_step(st) == SQLITE_DONE ? ERR_OK : ERR_DB;
            sqlite3_finalize(st);
        } else {
            rc = ERR_DB;
        }
        sqlite3_free(uri);
        if (!rc)
            rc = db_exec(x->dst, "SELECT count(*) FROM src.sqlite_schema", e);
        if (!rc)
            return ERR_OK;
        sqlite3_exec(x->dst, "DETACH src", NULL, NULL, NULL);
    }
    return err_set(e, ERR_DB, "export: attach the source: %s", sqlite3_errmsg(x->dst));
}

/* Make the copy one self-contained file, sync it and move it to x->out. */
static int finish(struct export *x, struct err *e)
{
    int fd, rc;

    if ((rc = db_exec(x->dst, "PRAGMA journal_mode=DELETE", e)))
        return rc;
    if (sqlite3_close(x->dst) != SQLITE_OK)
        return err_set(e, ERR_DB, "export: close the copy: %s", sqlite3_errmsg(x->dst));
    x->dst = NULL;
    if ((fd = open(tmp_paths[0], O_RDONLY)) >= 0) {
        fsync(fd);
        close(fd);
    }
    if (x->force) {
        if (rename(tmp_paths[0], x->out) != 0)
            return err_set(e, ERR_IO, "export: rename to '%s': %s", x->out, strerror(errno));
    } else if (link(tmp_paths[0], x->out) == 0) {
        unlink(tmp_paths[0]);
    } else if (errno == EEXIST) {
        return err_set(e, ERR_IO, "export: '%s' exists: choose another name or give --force",
                       x->out);
    } else {
        struct stat sb;

        /* no hard links here (some file systems): check, then rename */
        if (lstat(x->out, &sb) == 0)
            return err_set(e, ERR_IO, "export: '%s' exists: choose another name or give --force",
                           x->out);
        if (rename(tmp_paths[0], x->out) != 0)
            return err_set(e, ERR_IO, "export: rename to '%s': %s", x->out, strerror(errno));
    }
    tmp_armed = 0;
    tmp_paths[0][0] = '\0';
    return ERR_OK;
}

/* Refuse an OUT that exists (without --force), is a directory, or is the source itself. */
static int check_out(struct export *x, struct err *e)
{
    struct stat so, ss;

    if (lstat(x->out, &so) != 0)
        return ERR_OK;
    if (S_ISDIR(so.st_mode))
        return err_set(e, ERR_USAGE, "export: '%s' is a directory: give a file name", x->out);
    if (stat(x->c->db_path, &ss) == 0 && stat(x->out, &so) == 0 && ss.st_dev == so.st_dev &&
        ss.st_ino == so.st_ino)
        return err_set(e, ERR_USAGE, "export: '%s' is the source mirror: give another name",
                       x->out);
    if (!x->force)
        return err_set(e, ERR_IO, "export: '%s' exists: choose another name or give --force",
                       x->out);
    return ERR_OK;
}

static int export_run(struct export *x, struct err *e)
{
    char real[PATH_MAX];
    size_t n_calls = 0, n_transcripts = 0;
    int ok = 0, rc;

    if ((rc = check_out(x, e)) || (rc = cmd_open_db(x->c, &x->src, e)) ||
        (rc = filter_validate(&x->f, x->src, e)))
        return rc;
    if (!realpath(x->c->db_path, real))
        return err_set(e, ERR_IO, "export: resolve '%s': %s", x->c->db_path, strerror(errno));
    if (strpbrk(real, "?#%"))
        return err_set(e, ERR_USAGE, "export: source path '%s' contains ? # or %%", real);
    if ((rc = make_tmp(x->out, e)))
        return rc;
    if ((rc = db_open_rw(tmp_paths[0], &x->dst, e))) {
        err_wrap(e, "export");
        return rc;
    }
    /* the source is untrusted: no schema-borne functions or triggers, no writes through it */
    sqlite3_db_config(x->dst, SQLITE_DBCONFIG_DEFENSIVE, 1, &ok);
    sqlite3_db_config(x->dst, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &ok);
    sqlite3_db_config(x->dst, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &ok);
    if (sqlite3_create_function(x->dst, "cm_redact", 1,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, x,
                                sql_redact, NULL, NULL) != SQLITE_OK)
        return db_error(x->dst, e, "export: register cm_redact");
    if ((rc = attach_source(x, real, e)) || (rc = select_calls(x, &n_calls, e)) ||
        (rc = copy_all(x, &n_transcripts, e)) || (rc = db_exec(x->dst, "DETACH src", e)) ||
        (rc = finish(x, e)))
        return rc;
    fprintf(stderr, "exported %zu call%s (%zu transcript%s) to %s", n_calls,
            n_calls == 1 ? "" : "s", n_transcripts, n_transcripts == 1 ? "" : "s", x->out);
    if (x->redact)
        fprintf(stderr, "; %zu %s redacted", x->redactions,
                x->redactions == 1 ? "e-mail address or phone number"
                                   : "e-mail addresses and phone numbers");
    fputc('\n', stderr);
    return ERR_OK;
}

int cmd_export(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    enum { OPT_REDACT = 0x3000, OPT_NO_TRANSCRIPTS, OPT_NO_SEARCH_INDEX, OPT_FORCE };
    static const struct option longopts[] = {
        CMD_COMMON_OPTIONS,
        FILTER_LONG_OPTIONS,
        {"redact", 0, NULL, OPT_REDACT},
        {"no-transcripts", 0, NULL, OPT_NO_TRANSCRIPTS},
        {"no-search-index", 0, NULL, OPT_NO_SEARCH_INDEX},
        {"force", 0, NULL, OPT_FORCE},
        {NULL, 0, NULL, 0},
    };
    struct export x = {.c = c};
    int opt, rc = ERR_OK;

    filter_init(&x.f);
    buf_init(&x.scratch, 0);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":f", longopts, NULL)) != -1) {
        if (opt == CMD_OPT_HELP) {
            printf("%s%s%s", export_help_head, filter_help, export_help_tail);
            goto done;
        }
        if (opt == '?' || opt == ':') {
            rc = cmd_bad_option("export", opt, argv, e);
            goto done;
        }
        if (opt == OPT_REDACT || opt == OPT_NO_TRANSCRIPTS || opt == OPT_NO_SEARCH_INDEX ||
            opt == OPT_FORCE || opt == 'f') {
            *(opt == OPT_REDACT            ? &x.redact
              : opt == OPT_NO_TRANSCRIPTS  ? &x.no_transcripts
              : opt == OPT_NO_SEARCH_INDEX ? &x.no_search_index
                                           : &x.force) = 1;
            continue;
        }
        if ((rc = cmd_common_option(c, opt, optarg, e)) == CMD_PASS)
            rc = filter_option(&x.f, opt, optarg, e);
        if (rc)
            goto done;
    }
    if (argc - optind != 1) {
        rc = err_set(e, ERR_USAGE, "export: give one OUT.db file (see %s export --help)", CMD_PROG);
        goto done;
    }
    x.out = argv[optind];
    rc = export_run(&x, e);
done:
    sqlite3_close(x.dst);
    sqlite3_close(x.src);
    if (tmp_armed) {
        remove_tmp();
        tmp_armed = 0;
    }
    buf_release(&x.scratch);
    filter_release(&x.f);
    return rc;
}
