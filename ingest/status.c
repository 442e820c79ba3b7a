/* status: the --status report (see status.h). One query per line of output. */
#include "status.h"

#include <inttypes.h>
#include <string.h>

#include "checkpoint.h"
#include "db.h"
#include "isotime.h"
#include "lock.h"

#include "banned.h"

/* First column of the first row of sql as int64 (0 when NULL or no row). */
static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void text(sqlite3 *db, const char *sql, char *out, size_t n)
{
    sqlite3_stmt *st = NULL;

    snprintf(out, n, "-");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0))
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* The last run's line: a 'running' row is a live run only while its lock is held. */
static void last_run(sqlite3 *db, const char *path, char *out, size_t n)
{
    struct lock_holder h;
    char started[64], who[512];

    text(db,
         "SELECT outcome || ' (exit ' || ifnull(exit_code, '?') || ') at ' || "
         "ifnull(finished, started) || ifnull(': ' || message, '') FROM runs "
         "ORDER BY id DESC LIMIT 1",
         out, n);
    if (scalar(db, "SELECT outcome = 'running' FROM runs ORDER BY id DESC LIMIT 1") != 1)
        return;
    text(db, "SELECT started FROM runs ORDER BY id DESC LIMIT 1", started, sizeof started);
    if (lock_probe(path, &h)) {
        lock_describe(&h, path, who, sizeof who);
        snprintf(out, n, "running now, started %s (%s)", started, who);
    } else {
        snprintf(out, n,
                 "killed: started %s and ended without finishing (killed or crashed); the "
                 "same command resumes it",
                 started);
    }
}

int status_print(sqlite3 *db, const char *path, FILE *out, struct err *e)
{
    int64_t calls, users, with_t, waiting, pending, private_n;
    char first[64], last[64], run[768], a[ISOTIME_MAX], b[ISOTIME_MAX];
    struct checkpoint cp;
    int rc;

    checkpoint_init(&cp);
    calls = scalar(db, "SELECT count(*) FROM calls");
    users = scalar(db, "SELECT count(*) FROM users");
    with_t = scalar(db, "SELECT count(*) FROM transcripts");
    waiting = scalar(db, "SELECT count(*) FROM transcript_status WHERE state = 'waiting'");
    pending = scalar(db, "SELECT count(*) FROM transcript_status WHERE state = 'pending'");
    private_n = scalar(db, "SELECT count(*) FROM transcript_status WHERE state = 'private'");
    text(db, "SELECT min(started) FROM calls", first, sizeof first);
    text(db, "SELECT max(started) FROM calls", last, sizeof last);
    last_run(db, path, run, sizeof run);
    if ((rc = checkpoint_load(db, &cp, e)))
        return rc;

    fprintf(out, "mirror        %s\n", path);
    fprintf(out, "calls         %" PRId64 " (%s .. %s)\n", calls, first, last);
    fprintf(out, "users         %" PRId64 "\n", users);
    fprintf(out, "transcripts   %" PRId64 " of %" PRId64 " calls (%.1f%%)\n", with_t, calls,
            calls ? 100.0 * (double)with_t / (double)calls : 0.0);
    fprintf(out, "waiting       %" PRId64 " calls whose transcript Gong does not have yet\n",
            waiting);
    if (pending)
        fprintf(out, "pending       %" PRId64 " transcripts not fetched yet\n", pending);
    if (private_n)
        fprintf(out,
                "private       %" PRId64 " private calls without transcript (use "
                "--include-private)\n",
                private_n);
    if (cp.last_to >= 0) {
        isotime_format(cp.last_from, -1, a);
        isotime_format(cp.last_to, -1, b);
        fprintf(out, "last window   %s .. %s (complete)\n", a, b);
    } else {
        fprintf(out, "last window   none completed yet\n");
    }
    if (checkpoint_is_open(&cp)) {
        isotime_format(cp.window_from, -1, a);
        isotime_format(cp.window_to, -1, b);
        if (cp.calls_total >= 0)
            fprintf(out, "open window   %s .. %s: %" PRId64 " of %" PRId64 " calls stored\n", a, b,
                    cp.calls_done, cp.calls_total);
        else
            fprintf(out, "open window   %s .. %s: no call stored yet\n", a, b);
    }
    fprintf(out, "last run      %s\n", run);
    if (checkpoint_is_open(&cp))
        fprintf(out, "next          an interrupted window is saved: run the same command again "
                     "(or callmine-ingest without --from) to resume it\n");
    else if (cp.last_to < 0)
        fprintf(out, "next          run callmine-ingest --from YYYY-MM-DD to mirror a first "
                     "window\n");
    else
        fprintf(out, "next          run callmine-ingest to sync what is new since %s\n", b);
    checkpoint_release(&cp);
    return ERR_OK;
}
