/* callmine-ingest: mirror Gong into one SQLite file.
 *
 * main() reads the configuration, opens (and migrates) the database, finishes any backfill
 * a migration left (backfill.c), opens the HTTP client, runs one sync (sync.c), refreshes
 * the planner's statistics, and turns the outcome into an exit status and a one-line
 * summary (--upgrade stops after the backfill and the statistics, without credentials):
 * 0 done, 1 stopped early with progress saved, 2 usage or configuration, 3 refused by
 * Gong (401, or 403 on the calls endpoints). It is the only place that prints errors. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backfill.h"
#include "bulk.h"
#include "config.h"
#include "db.h"
#include "gong.h"
#include "isotime.h"
#include "jsonmem.h"
#include "lock.h"
#include "login.h"
#include "oauth.h"
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

/* Record the run's start; returns its id (0 if it could not be recorded). We hold the
 * lock, so a run still marked 'running' is one that was killed: say so first. */
static sqlite3_int64 run_begin(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    char t[ISOTIME_MAX];
    sqlite3_int64 id = 0;

    sqlite3_exec(db,
                 "UPDATE runs SET outcome = 'killed', message = coalesce(message, "
                 "'ended without finishing (killed or crashed); the next run resumed') "
                 "WHERE outcome = 'running'",
                 NULL, NULL, NULL);
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
    char t[ISOTIME_MAX], from[ISOTIME_MAX], to[ISOTIME_MAX];

    if (!id)
        return;
    isotime_format(isotime_now_ms(), 1, t);
    if (sqlite3_prepare_v2(db,
                           "UPDATE runs SET finished = ?2, outcome = ?3, exit_code = ?4, "
                           "calls_new = ?5, calls_updated = ?6, transcripts = ?7, users = ?8, "
                           "requests = ?9, http_429 = ?10, retries = ?11, message = ?12, "
                           "window_from = ?13, window_to = ?14 WHERE id = ?1",
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
    if (s->window_from >= 0 && s->window_to >= 0) {
        isotime_format(s->window_from, 1, from);
        isotime_format(s->window_to, 1, to);
        sqlite3_bind_text(st, 13, from, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 14, to, -1, SQLITE_STATIC);
    }
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
            "(%ld waiting in the mirror); %ld users; %ld requests, %ld answered 429, %ld "
            "retried (%s)\n",
            code == 0 ? "synced" : "stopped early:", s->calls_new, s->calls_updated,
            s->calls_unchanged, s->transcripts, s->transcripts_waiting, s->users,
            gs ? gs->requests : 0, gs ? gs->http_429 : 0, gs ? gs->retries : 0, took);
    if (s->left_out[0])
        fprintf(stderr, "callmine-ingest: left out: %s\n", s->left_out);
    if (s->deals_refreshed)
        fprintf(stderr, "callmine-ingest: refreshed the deal context of %ld calls\n",
                s->deals_refreshed);
}

/* Open an existing mirror to read it, creating and changing no file. A reader of a WAL
 * database creates FILE-wal and FILE-shm when they are missing and cannot remove them; when
 * FILE-wal is absent nothing is left in it (no writer is running, and the last one
 * checkpointed), so the file is opened as immutable instead. ERR_NOTFOUND for a SQLite
 * file without any table (a new mirror whose creation was cut short). An older schema passes
 * when older_ok is set (a run migrates it), else it is refused with the line to run. */
static int open_readonly(const char *path, int older_ok, sqlite3 **out, struct err *e)
{
    char wal[4200];
    sqlite3 *db = NULL;
    sqlite3_str *uri = sqlite3_str_new(NULL);
    char *u;
    int rc;

    *out = NULL;
    snprintf(wal, sizeof wal, "%s-wal", path);
    sqlite3_str_appendall(uri, "file:");
    for (const char *q = path; *q; q++) /* ? # % would be read as URI syntax */
        if (*q == '?' || *q == '#' || *q == '%')
            sqlite3_str_appendf(uri, "%%%02X", (unsigned char)*q);
        else
            sqlite3_str_appendchar(uri, 1, *q);
    sqlite3_str_appendall(uri, access(wal, F_OK) == 0 ? "?mode=ro" : "?mode=ro&immutable=1");
    u = sqlite3_str_finish(uri);
    if (!u)
        return err_set(e, ERR_NOMEM, "open '%s': out of memory", path);
    rc = sqlite3_open_v2(u, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    sqlite3_free(u);
    if (rc != SQLITE_OK) {
        rc = err_set(e, ERR_DB, "open '%s': %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
    /* the file is not trusted yet: its views and triggers call only innocuous functions */
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    rc = older_ok ? db_check_file(db, path, e) : db_check_mirror(db, path, e);
    if (rc) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return ERR_OK;
}

/* --status reads only the file; a missing file or one that is not a mirror is a
 * configuration error (exit 2). */
static int do_status(const struct config *c, struct err *e)
{
    sqlite3 *db = NULL;
    struct stat sb;
    int rc;

    if (stat(c->db_path, &sb) != 0)
        return err_set(e, ERR_USAGE,
                       "cannot open '%s': %s (run callmine-ingest first, or give --db)", c->db_path,
                       strerror(errno));
    rc = open_readonly(c->db_path, 0, &db, e);
    if (rc == ERR_NOTFOUND)
        err_set(e, ERR_USAGE, "'%s' is not a callmine mirror (it is empty)", c->db_path);
    if (rc) {
        e->code = ERR_USAGE;
        return ERR_USAGE;
    }
    rc = status_print(db, c->db_path, stdout, e);
    sqlite3_close(db);
    return rc;
}

/* With an OAuth login: open it, refresh the access token now if it is about to expire (so a
 * spent login is one line before anything else happens), and make it the client's token
 * source and, unless --base-url or GONG_BASE_URL says otherwise, its base URL. */
static struct gong_client *open_oauth_client(const struct config *c, const struct gong_config *base,
                                             struct err *e)
{
    struct gong_config gc = *base;
    struct gong_token_source src;
    struct gong_client *g;
    struct oauth *o;
    const char *token;

    o = oauth_open(c->token_path, c->client_id, c->client_secret, NULL, c->timeout_s, c->verbose,
                   e);
    if (!o)
        return NULL;
    if (oauth_access_token(o, 0, &token, e)) {
        oauth_free(o);
        return NULL;
    }
    if (!c->base_url_given && oauth_api_base_url(o)[0])
        gc.base_url = oauth_api_base_url(o);
    oauth_source(o, &src);
    gc.tokens = &src; /* gong_new() copies it */
    g = gong_new(&gc, e);
    if (!g)
        oauth_free(o); /* the client owns o only once it exists */
    return g;
}

static struct gong_client *open_client(const struct config *c, long budget, struct progress *p,
                                       struct err *e)
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
        .log = p ? progress_log : NULL,
        .log_arg = p,
    };

    if (c->oauth)
        return open_oauth_client(c, &gc, e);
    return gong_new(&gc, e);
}

/* Check, creating and changing nothing, that path can hold the mirror: an existing
 * callmine mirror (opened read-only into *ro), an empty file, or a new file in a directory
 * we may write. ERR_USAGE naming the problem otherwise. */
static int check_mirror_path(const char *path, sqlite3 **ro, struct err *e)
{
    char dir[4096];
    struct stat sb;
    char *slash;

    *ro = NULL;
    if (stat(path, &sb) == 0) {
        if (!S_ISREG(sb.st_mode))
            return err_set(e, ERR_USAGE, "'%s' is not a regular file: choose another --db", path);
        if (access(path, R_OK | W_OK) != 0)
            return err_set(e, ERR_USAGE, "cannot write '%s': %s", path, strerror(errno));
        if (sb.st_size == 0)
            return ERR_OK; /* an empty file becomes a new mirror */
        switch (open_readonly(path, 1, ro, e)) {
        case ERR_OK: return ERR_OK;
        case ERR_NOTFOUND: return ERR_OK; /* no table yet: still a new mirror */
        default: e->code = ERR_USAGE; return ERR_USAGE;
        }
    }
    if (errno != ENOENT)
        return err_set(e, ERR_USAGE, "cannot use '%s': %s", path, strerror(errno));
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return err_set(e, ERR_USAGE, "database path too long: '%.200s'", path);
    slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return err_set(e, ERR_USAGE, "cannot create '%s': the directory '%s' does not exist", path,
                       dir);
    if (access(dir, W_OK | X_OK) != 0)
        return err_set(e, ERR_USAGE, "cannot create '%s': %s", path, strerror(errno));
    return ERR_OK;
}

static int do_plan(const struct config *c, struct err *e)
{
    sqlite3 *db = NULL;
    struct gong_client *g = NULL;
    int rc;

    if ((rc = check_mirror_path(c->db_path, &db, e)))
        return rc;
    g = open_client(c, 5, NULL, e);
    rc = g ? gong_check_reachable(g, e) : e->code;
    if (!rc)
        rc = sync_plan(c, db, g, stdout, e);
    gong_free(g);
    sqlite3_close(db);
    return rc;
}

/* Everything a run checks before it creates or changes a file: the path, the window, the
 * budget, the lock, the base URL and the connection. Fills *budget. */
static int preflight(const struct config *c, long *budget, struct err *e)
{
    struct lock_holder h;
    sqlite3 *ro = NULL;
    char who[512];
    int rc;

    rc = check_mirror_path(c->db_path, &ro, e);
    if (!rc)
        rc = sync_check(c, ro, e);
    if (!rc && (*budget = sync_budget_left(c, ro, e)) < 0)
        rc = e->code;
    sqlite3_close(ro);
    if (rc)
        return rc;
    if (lock_probe(c->db_path, &h)) {
        lock_describe(&h, c->db_path, who, sizeof who);
        return err_set(e, ERR_BUSY, "%s: wait for it to finish, or stop it", who);
    }
    if (*budget == 0)
        return err_set(e, ERR_BUDGET,
                       "the daily budget of %ld requests is spent for today (UTC): "
                       "re-run tomorrow or raise --daily-budget",
                       c->daily_budget);
    return ERR_OK;
}

/* One sync run; returns the exit status. */
static int do_sync(struct config *c, struct err *e)
{
    struct err oe = {0};
    struct backfill_summary bs;
    struct sync_summary s;
    struct gong_client *g = NULL;
    struct progress *p = NULL;
    struct lock *lk = NULL;
    sqlite3 *db = NULL;
    sqlite3_int64 run_id = 0;
    long budget = 0;
    double secs;
    int rc, code, built = 0;

    memset(&s, 0, sizeof s);
    if ((rc = preflight(c, &budget, e))) {
        config_wipe_secrets(c);
        fail(e);
        return exit_code(rc);
    }
    p = progress_new(c->quiet ? 0 : c->progress ? 2 : 1, stderr);
    g = open_client(c, budget, c->verbose ? p : NULL, e);
    config_wipe_secrets(c);
    rc = g ? gong_check_reachable(g, e) : e->code;
    if (!rc)
        rc = lock_acquire(c->db_path, &lk, e);
    if (!rc && (rc = db_open_rw(c->db_path, &db, e)) == ERR_OK)
        run_id = run_begin(db);
    if (rc) {
        progress_free(p);
        fail(e);
        gong_free(g);
        lock_release(lk);
        return exit_code(rc);
    }
    /* the indexes and n-gram filters a first load stopped early went without (bulk.h), and
     * what a migration left to compute; then the run, and a first load's n-gram filters once
     * its transcripts are stored */
    rc = bulk_build(db, &built, e);
    if (!rc && built)
        progress_message(p, 0, "built %d indexes an earlier first load went without", built);
    if (!rc)
        rc = backfill_run(db, p, &stop_requested, &bs, e);
    if (!rc)
        rc = backfill_grams(db, p, &stop_requested, e);
    if (!rc)
        rc = sync_run(c, db, g, p, &s, e);
    if (!rc)
        rc = backfill_grams(db, p, &stop_requested, e);
    if (rc == ERR_BUDGET)
        err_set(e, ERR_BUDGET,
                "the daily budget of %ld requests is spent: progress is saved, "
                "re-run tomorrow (UTC) or raise --daily-budget",
                c->daily_budget);
    else if (rc == ERR_INTERRUPT)
        err_set(e, ERR_INTERRUPT,
                "interrupted: progress is saved, re-run the same command to resume");
    else if (rc && rc != ERR_USAGE && rc != ERR_AUTH)
        err_wrap(e, "stopped (progress is saved; re-run the same command to resume)");
    code = exit_code(rc);
    secs = progress_elapsed(p);
    progress_free(p);
    if (rc)
        fail(e);
    if (!c->quiet || rc)
        print_summary(&s, gong_stats(g), secs, code);
    if (db_optimize(db, &oe) && code == 0) { /* the planner's statistics, kept current */
        fail(&oe);
        code = 1;
    }
    run_end(db, run_id, code, &s, gong_stats(g), rc ? e->msg : NULL);
    gong_free(g);
    if (sqlite3_close(db) != SQLITE_OK && code == 0)
        code = 1;
    lock_release(lk);
    return code;
}

/* --upgrade: migrate and backfill under the writer's lock, with no credentials and no
 * client, so nothing can send a request. */
static int do_upgrade(const struct config *c, struct err *e)
{
    struct progress *p = NULL;
    struct lock *lk = NULL;
    int rc;

    if (!(rc = lock_acquire(c->db_path, &lk, e))) {
        p = progress_new(c->quiet ? 0 : c->progress ? 2 : 1, stderr);
        rc = backfill_upgrade(c->db_path, p, &stop_requested, c->quiet ? NULL : stderr, e);
        progress_free(p);
    }
    lock_release(lk);
    if (rc)
        fail(e);
    return exit_code(rc);
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
    int rc;

    tune_malloc();
    jsonmem_install(); /* cJSON's trees in an arena (before any thread starts) */
    /* one connection, used by the main thread only (the fetch thread never touches
     * SQLite): no mutex on every call, no memory statistics */
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (argc > 1 && strcmp(argv[1], "login") == 0)
        return login_main(argc - 1, argv + 1);
    rc = config_parse_args(&c, argc, argv, &e);
    if (rc == CONFIG_DONE)
        return 0; /* --help, --version */
    if (rc) {
        fail(&e);
        return 2;
    }
    if (c.status) {
        rc = do_status(&c, &e);
        if (rc)
            fail(&e);
        return exit_code(rc);
    }
    if (c.upgrade) {
        install_signals();
        return do_upgrade(&c, &e);
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
    return do_sync(&c, &e);
}
