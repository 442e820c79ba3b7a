/* status: the --status report (see status.h). One query per line of output. */
#include "status.h"

#include <inttypes.h>
#include <string.h>

#include "db.h"
#include "isotime.h"

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

int status_print(sqlite3 *db, const char *path, FILE *out, struct err *e)
{
    int64_t calls, users, with_t, waiting, pending, private_n, last_to = -1, last_from = -1,
                                                               wf = -1;
    char first[64], last[64], run[512], a[ISOTIME_MAX], b[ISOTIME_MAX];
    int rc;

    calls = scalar(db, "SELECT count(*) FROM calls");
    users = scalar(db, "SELECT count(*) FROM users");
    with_t = scalar(db, "SELECT count(*) FROM transcripts");
    waiting = scalar(db, "SELECT count(*) FROM transcript_status WHERE state = 'waiting'");
    pending = scalar(db, "SELECT count(*) FROM transcript_status WHERE state = 'pending'");
    private_n = scalar(db, "SELECT count(*) FROM transcript_status WHERE state = 'private'");
    text(db, "SELECT min(started) FROM calls", first, sizeof first);
    text(db, "SELECT max(started) FROM calls", last, sizeof last);
    text(db,
         "SELECT outcome || ' (exit ' || ifnull(exit_code, '?') || ') at ' || "
         "ifnull(finished, started) || ifnull(': ' || message, '') FROM runs "
         "ORDER BY id DESC LIMIT 1",
         run, sizeof run);
    if ((rc = db_state_get_int(db, "last_completed_to", -1, &last_to, e)) ||
        (rc = db_state_get_int(db, "last_completed_from", -1, &last_from, e)) ||
        (rc = db_state_get_int(db, "window_from", -1, &wf, e)))
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
    if (last_to >= 0) {
        isotime_format(last_from, -1, a);
        isotime_format(last_to, -1, b);
        fprintf(out, "last window   %s .. %s (complete)\n", a, b);
    } else {
        fprintf(out, "last window   none completed yet\n");
    }
    fprintf(out, "last run      %s\n", run);
    if (wf >= 0)
        fprintf(out, "next          an interrupted window is saved: run callmine-ingest again "
                     "to resume it\n");
    else if (last_to < 0)
        fprintf(out, "next          run callmine-ingest --from YYYY-MM-DD to mirror a first "
                     "window\n");
    else
        fprintf(out, "next          run callmine-ingest to sync what is new since %s\n", b);
    return ERR_OK;
}
