/* callmine-ingest: mirror Gong into one SQLite file.
 *
 * main() reads the configuration, opens (and migrates) the database, finishes any backfill
 * a migration left (backfill.c), opens the HTTP client, runs one sync (sync.c), refreshes
 * the planner's statistics, and turns the outcome into an exit status and a one-line
 * summary (--upgrade stops after the backfill and the statistics, without credentials):
 * 0 done, 1 stopped early with progress saved, 2 usage or configuration, 3 refused by
 * Gong (401, or 403 on the calls endpoints). It is the only place that prints errors. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backfill.h"
#include "config.h"
#include "db.h"
#include "gong.h"
#include "isotime.h"
#include "progress.h"
#include "status.h"
#include "sync.h"

#include "banned.h"

static volatile int stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* a file size limit (RLIMIT_FSIZE) must make write() fail with EFBIG, reported as a
     * full disk, rather than kill the process */
    signal(SIGXFSZ, SIG_IGN);
}

static int exit_code(int rc)
{
    switch (rc) {
    case ERR_OK: return 0;
    case ERR_USAGE: return 2;
    case ERR_AUTH: return 3;
    default: return 1;
    }
}

static void fail(const struct err *e)
{
    fprintf(stderr, "callmine-ingest: %s\n", e->msg);
}

/* Record the run's start; returns its id (0 if it could not be recorded). */
static sqlite3_int64 run_begin(sqlite3 *db, const struct config *c)
{
    sqlite3_stmt *st = NULL;
    char t[ISOTIME_MAX];
    sqlite3_int64 id = 0;

    (void)c;
    isotime_format(isotime_now_ms(), 1, t);
    if (sqlite3_prepare_v2(db, "INSERT INTO runs(started, outcome) VALUES (?1, 'running')", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_DONE)
            id = sqlite3_last_insert_rowid(db);
    }
    sqlite3_finalize(st);
    return id;
}

static void run_end(sqlite3 *db, sqlite3_int64 id, int code, const struct sync_summary *s,
                    const struct gong_stats *gs, const char *message)
{
    static const char *const outcomes[] = {"done", "stopped", "failed", "refused"};
    sqlite3_stmt *st = NULL;
    char t[ISOTIME_MAX];

    if (!id)
        return;
    isotime_format(isotime_now_ms(), 1, t);
    if (sqlite3_prepare_v2(db,
                           "UPDATE runs SET finished = ?2, outcome = ?3, exit_code = ?4, "
                           "calls_new = ?5, calls_updated = ?6, transcripts = ?7, users = ?8, "
                           "requests = ?9, http_429 = ?10, retries = ?11, message = ?12, "
                           "window_from = substr(?13, 1, instr(?13, ' ..') - 1), "
                           "window_to = substr(?13, instr(?13, '.. ') + 3) WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, t, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, outcomes[code > 3 ? 2 : code], -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, code);
    sqlite3_bind_int64(st, 5, s->calls_new);
    sqlite3_bind_int64(st, 6, s->calls_updated);
    sqlite3_bind_int64(st, 7, s->transcripts);
    sqlite3_bind_int64(st, 8, s->users);
    sqlite3_bind_int64(st, 9, gs ? gs->requests : 0);
    sqlite3_bind_int64(st, 10, gs ? gs->http_429 : 0);
    sqlite3_bind_int64(st, 11, gs ? gs->retries : 0);
    if (message && *message)
        sqlite3_bind_text(st, 12, message, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, s->window, -1, SQLITE_STATIC);
    sqlite3_step(st);
    sqlite3_finalize(st);
}

static void print_summary(const struct sync_summary *s, const struct gong_stats *gs, double secs,
                          int code)
{
    char took[32];

    progress_format_duration(secs, took, sizeof took);
    fprintf(stderr,
            "callmine-ingest: %s %ld calls new, %ld updated, %ld unchanged; %ld transcripts "
            "(%ld waiting); %ld users; %ld requests, %ld 429s, %ld retries (%s)\n",
            code == 0 ? "synced" : "stopped early:", s->calls_new, s->calls_updated,
            s->calls_unchanged, s->transcripts, s->transcripts_waiting, s->users,
            gs ? gs->requests : 0, gs ? gs->http_429 : 0, gs ? gs->retries : 0, took);
    if (s->left_out[0])
        fprintf(stderr, "callmine-ingest: left out: %s\n", s->left_out);
    if (s->deals_refreshed)
        fprintf(stderr, "callmine-ingest: refreshed the deal context of %ld calls\n",
                s->deals_refreshed);
}

static int do_status(const struct config *c, struct err *e)
{
    sqlite3 *db = NULL;
    int rc = db_open_ro(c->db_path, &db, e);

    if (!rc)
        rc = status_print(db, c->db_path, stdout, e);
    sqlite3_close(db);
    return rc;
}

static struct gong_client *open_client(const struct config *c, long budget, struct err *e)
{
    struct gong_config gc = {
        .base_url = c->base_url,
        .auth = c->auth,
        .access_key = c->access_key,
        .access_secret = c->access_secret,
        .bearer_token = c->bearer_token,
        .rate = c->rate,
        .budget = budget,
        .timeout_s = c->timeout_s,
        .verbose = c->verbose,
        .stop_flag = &stop_requested,
        .backoff_base_s = c->backoff_base_s,
    };

    return gong_new(&gc, e);
}

static int do_plan(const struct config *c, struct err *e)
{
    sqlite3 *db = NULL;
    struct gong_client *g = NULL;
    int rc;

    if (access(c->db_path, F_OK) == 0 && (rc = db_open_ro(c->db_path, &db, e)))
        return rc;
    g = open_client(c, 5, e);
    rc = g ? sync_plan(c, db, g, stdout, e) : e->code;
    gong_free(g);
    sqlite3_close(db);
    return rc;
}

/* Each page builds and frees a cJSON tree of tens of thousands of nodes. Left to its
 * defaults, glibc hands that memory back to the kernel after every page and faults it in
 * again for the next one; keeping it costs nothing beyond the largest page. */
static void tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
}

int main(int argc, char **argv)
{
    struct config c;
    struct err e = {0};
    struct err oe = {0};
    struct sync_summary s;
    struct backfill_summary bs;
    struct gong_client *g = NULL;
    struct progress *p = NULL;
    sqlite3 *db = NULL;
    sqlite3_int64 run_id = 0;
    long budget;
    double secs;
    int rc, code;

    memset(&s, 0, sizeof s);
    tune_malloc();
    rc = config_parse_args(&c, argc, argv, &e);
    if (rc == ERR_NOTFOUND)
        return 0; /* --help */
    if (rc) {
        fail(&e);
        return 2;
    }
    if (c.status) {
        rc = do_status(&c, &e);
        if (rc)
            fail(&e);
        return rc ? 1 : 0;
    }
    if (c.upgrade) { /* no credentials, no client: nothing can send a request */
        install_signals();
        p = progress_new(c.quiet ? 0 : c.progress ? 2 : 1, stderr);
        rc = backfill_upgrade(c.db_path, p, &stop_requested, c.quiet ? NULL : stderr, &e);
        progress_free(p);
        if (rc)
            fail(&e);
        return exit_code(rc);
    }
    if ((rc = config_load_credentials(&c, &e))) {
        fail(&e);
        return 2;
    }
    install_signals();
    if (c.plan) {
        rc = do_plan(&c, &e);
        if (rc)
            fail(&e);
        config_wipe_secrets(&c);
        return exit_code(rc);
    }
    if ((rc = db_open_rw(c.db_path, &db, &e))) {
        fail(&e);
        config_wipe_secrets(&c);
        return rc == ERR_USAGE ? 2 : 1;
    }
    budget = sync_budget_left(&c, db, &e);
    if (budget < 0) {
        fail(&e);
        sqlite3_close(db);
        return 1;
    }
    g = open_client(&c, budget, &e);
    config_wipe_secrets(&c);
    if (!g) {
        fail(&e);
        sqlite3_close(db);
        return exit_code(e.code);
    }
    if (budget == 0) {
        err_set(&e, ERR_BUDGET,
                "the daily budget of %ld requests is spent for today (UTC): "
                "re-run tomorrow or raise --daily-budget",
                c.daily_budget);
        fail(&e);
        gong_free(g);
        sqlite3_close(db);
        return 1;
    }
    p = progress_new(c.quiet ? 0 : c.progress ? 2 : 1, stderr);
    run_id = run_begin(db, &c);
    rc = backfill_run(db, p, &stop_requested, &bs, &e);
    if (!rc)
        rc = sync_run(&c, db, g, p, &s, &e);
    if (rc == ERR_BUDGET)
        err_set(&e, ERR_BUDGET,
                "the daily budget of %ld requests is spent: progress is saved, "
                "re-run tomorrow (UTC) or raise --daily-budget",
                c.daily_budget);
    else if (rc == ERR_INTERRUPT)
        err_set(&e, ERR_INTERRUPT, "interrupted: progress is saved, re-run to resume");
    else if (rc == ERR_AUTH && strstr(e.msg, "403") && strstr(e.msg, "/v2/users"))
        rc = ERR_OK; /* not fatal: reported in the summary */
    code = exit_code(rc);
    if (rc && rc != ERR_USAGE && rc != ERR_AUTH && !strstr(e.msg, "re-run"))
        err_wrap(&e, "stopped (progress is saved; re-run to resume)");
    secs = progress_elapsed(p);
    progress_free(p);
    if (rc)
        fail(&e);
    if (!c.quiet || rc)
        print_summary(&s, gong_stats(g), secs, code);
    if (db_optimize(db, &oe) && code == 0) {
        fail(&oe);
        code = 1;
    }
    run_end(db, run_id, code, &s, gong_stats(g), rc ? e.msg : NULL);
    gong_free(g);
    if (sqlite3_close(db) != SQLITE_OK && code == 0)
        code = 1;
    return code;
}
