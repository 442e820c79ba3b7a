/* db: opening, migrating and checking callmine databases (see db.h). */
#include "db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "embedded.h"

#include "banned.h"

int db_error(sqlite3 *db, struct err *e, const char *what)
{
    int ext = db ? sqlite3_extended_errcode(db) : 0;

    if (db && db_is_disk_full(db))
        err_set(e, ERR_IO,
                "%s: cannot write the database: disk full or a file size limit reached (%s)", what,
                sqlite3_errmsg(db));
    else
        err_set(e, ERR_DB, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
    err_detail(e, 0, ext);
    return e ? e->code : ERR_DB;
}

int db_is_disk_full(sqlite3 *db)
{
    int ext = sqlite3_extended_errcode(db), no = sqlite3_system_errno(db);

    if ((ext & 0xff) == SQLITE_FULL)
        return 1;
    /* A file size limit (EFBIG) ends in a short write, which SQLite reports as a write I/O
     * error with no errno; ENOSPC sometimes arrives the same way. */
    return ext == SQLITE_IOERR_WRITE ||
           ((ext == SQLITE_IOERR_FSYNC || ext == SQLITE_IOERR_TRUNCATE) &&
            (no == EFBIG || no == ENOSPC));
}

int db_exec(sqlite3 *db, const char *sql, struct err *e)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int full = db_is_disk_full(db), ext = sqlite3_extended_errcode(db);

        if (full)
            err_set(e, ERR_IO,
                    "cannot write the database: disk full or a file size limit reached (%s)",
                    msg ? msg : sqlite3_errmsg(db));
        else
            err_set(e, ERR_DB, "%s", msg ? msg : sqlite3_errmsg(db));
        err_detail(e, 0, ext);
        sqlite3_free(msg);
        return e ? e->code : ERR_DB;
    }
    return ERR_OK;
}

int db_begin(sqlite3 *db, struct err *e)
{
    return db_exec(db, "BEGIN IMMEDIATE", e) ? err_wrap(e, "begin transaction") : ERR_OK;
}

int db_commit(sqlite3 *db, struct err *e)
{
    return db_exec(db, "COMMIT", e) ? err_wrap(e, "commit") : ERR_OK;
}

void db_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int db_end(sqlite3 *db, int rc, struct err *e)
{
    if (!rc)
        rc = db_commit(db, e);
    if (rc)
        db_rollback(db);
    return rc;
}

int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        err_set(e, ERR_DB, "prepare '%.60s': %s", sql, sqlite3_errmsg(db));
        err_detail(e, 0, sqlite3_extended_errcode(db));
        *st = NULL;
        return ERR_DB;
    }
    return ERR_OK;
}

static int user_version(sqlite3 *db, int *v, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (db_prepare(db, "PRAGMA user_version", &st, e))
        return ERR_DB;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        rc = db_error(db, e, "read schema version");
        sqlite3_finalize(st);
        return rc;
    }
    *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return ERR_OK;
}

/* Apply every embedded migration whose number is above the file's user_version, all in one
 * transaction with the version bump: a reader (WAL) sees the file as it was or as a whole
 * mirror of this version, never a half-made one (a new file's first ingest used to commit
 * version 1, then 2, then 3, and a query in between was told to upgrade). */
static int migrate(sqlite3 *db, struct err *e)
{
    int have, to, rc;
    char bump[64];

    if ((rc = user_version(db, &have, e)))
        return rc;
    if (have > DB_SCHEMA_VERSION)
        return err_set(e, ERR_DB,
                       "database schema version %d is newer than this callmine knows (%d): "
                       "upgrade callmine",
                       have, DB_SCHEMA_VERSION);
    if (have == DB_SCHEMA_VERSION)
        return ERR_OK;
    if ((rc = db_begin(db, e)))
        return rc;
    to = have;
    for (const struct embedded_file *m = embedded_migrations; m->name; m++) {
        int num = atoi(m->name);

        if (num <= have || num > DB_SCHEMA_VERSION)
            continue;
        if ((rc = db_exec(db, m->text, e)))
            return db_end(db, err_wrap(e, "migrate to schema %s", m->name), e);
        to = num;
    }
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", to);
    if ((rc = db_exec(db, bump, e)))
        rc = err_wrap(e, "migrate to schema %d", to);
    return db_end(db, rc, e);
}

static int check_mirror(sqlite3 *db, const char *path, struct err *e);

int db_open_rw(const char *path, sqlite3 **out, struct err *e)
{
    sqlite3 *db = NULL;
    int rc;

    *out = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        rc = err_set(e, ERR_DB, "open '%s': %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(db, 1);
    if ((rc = db_exec(db,
                      "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                      "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768",
                      e))) {
        err_wrap(e, "open '%s'", path);
        if (err_sqlite_primary(e) == SQLITE_NOTADB)
            err_set(e, ERR_DB, "'%s' is not a SQLite database: choose another --db", path);
        goto fail;
    }
    if ((rc = check_mirror(db, path, e)) && rc != ERR_NOTFOUND)
        goto fail;
    if ((rc = migrate(db, e))) {
        err_wrap(e, "open '%s'", path);
        goto fail;
    }
    *out = db;
    return ERR_OK;
fail:
    sqlite3_close(db);
    return rc;
}

/* Is this an empty database (no tables at all)? */
static int is_empty(sqlite3 *db, int *empty, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (db_prepare(db, "SELECT count(*) FROM sqlite_schema", &st, e))
        return ERR_DB;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        rc = db_error(db, e, "read schema");
        sqlite3_finalize(st);
        return rc;
    }
    *empty = sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    return ERR_OK;
}

/* A shared file is untrusted: a view named like one of our tables (say an endless recursive
 * CTE named calls) would run inside every query. The tables both programs read must be
 * real tables. */
static int core_tables_are_tables(sqlite3 *db, const char *path, struct err *e)
{
    static const char *const core[] = {"calls", "users",       "parties",           "crm_fields",
                                       "deals", "transcripts", "transcript_status", "sync_state"};
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK;

    if (db_prepare(db, "SELECT type FROM sqlite_schema WHERE name = ?1", &st, e))
        return ERR_DB;
    for (size_t i = 0; i < sizeof core / sizeof *core && !rc; i++) {
        const unsigned char *type;

        sqlite3_bind_text(st, 1, core[i], -1, SQLITE_STATIC);
        type = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
        if (!type || strcmp((const char *)type, "table") != 0)
            rc = err_set(e, ERR_DB, "'%s' is not a callmine mirror: '%s' is %s, not a table", path,
                         core[i], type ? "a view" : "missing");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* ERR_NOTFOUND: a new, empty database. ERR_DB: not a mirror, corrupt or too new. An older
 * schema passes: db_open_rw migrates it. */
static int check_mirror(sqlite3 *db, const char *path, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int empty = 0, version = 0, rc;

    if (is_empty(db, &empty, e)) {
        if (err_sqlite_primary(e) == SQLITE_NOTADB || err_sqlite_primary(e) == SQLITE_CORRUPT)
            return err_set(e, ERR_DB, "'%s' is not a SQLite database (or is corrupt)", path);
        return err_wrap(e, "open '%s'", path);
    }
    if (empty)
        return err_set(e, ERR_NOTFOUND, "'%s' is empty: not a callmine mirror yet", path);
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'application'", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_text(st, 0) ||
        strcmp((const char *)sqlite3_column_text(st, 0), "callmine") != 0) {
        sqlite3_finalize(st);
        return err_set(e, ERR_DB,
                       "'%s' is a SQLite database but not a callmine mirror (no meta table "
                       "naming callmine)",
                       path);
    }
    sqlite3_finalize(st);
    if ((rc = core_tables_are_tables(db, path, e)))
        return rc;
    if ((rc = user_version(db, &version, e)))
        return rc;
    if (version > DB_SCHEMA_VERSION)
        return err_set(e, ERR_DB,
                       "'%s' was written by a newer callmine (schema %d, this binary reads up "
                       "to %d): upgrade callmine",
                       path, version, DB_SCHEMA_VERSION);
    return ERR_OK;
}

int db_check_file(sqlite3 *db, const char *path, struct err *e)
{
    return check_mirror(db, path, e);
}

/* The stored call facts are read as a table by every command: a shared file that holds
 * call_facts_stored as a view (which could compute anything, or never end) or with a
 * trigger on it is refused. */
static int facts_table_is_table(sqlite3 *db, const char *path, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (db_prepare(db,
                   "SELECT (SELECT type FROM sqlite_schema WHERE name = 'call_facts_stored'), "
                   "EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'trigger' AND "
                   "tbl_name = 'call_facts_stored' COLLATE NOCASE)",
                   &st, e))
        return err_wrap(e, "open '%s'", path);
    if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
        rc = db_error(db, e, "read schema");
    } else {
        const char *type = (const char *)sqlite3_column_text(st, 0);

        if (!type || strcmp(type, "table") != 0 || sqlite3_column_int(st, 1))
            rc = err_set(e, ERR_DB,
                         "'%s' is not a callmine mirror: 'call_facts_stored' is %s, not a plain "
                         "table",
                         path,
                         !type                   ? "missing"
                         : strcmp(type, "table") ? "a view"
                                                 : "a table with a trigger");
        else
            rc = ERR_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

int db_check_mirror(sqlite3 *db, const char *path, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int version = 0, pending, rc;

    if ((rc = check_mirror(db, path, e)) || (rc = user_version(db, &version, e)))
        return rc;
    if (version < DB_SCHEMA_VERSION)
        return err_set(e, ERR_DB,
                       "%s is a version %d mirror: run callmine-ingest --db %s --upgrade", path,
                       version, path);
    if ((rc = facts_table_is_table(db, path, e)))
        return rc;
    if (db_prepare(db, "SELECT 1 FROM meta WHERE key = 'backfill'", &st, e))
        return err_wrap(e, "open '%s'", path);
    rc = sqlite3_step(st);
    pending = rc == SQLITE_ROW;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(db, e, "read meta");
    if (pending)
        return err_set(e, ERR_DB,
                       "%s is being upgraded: run callmine-ingest --db %s --upgrade (or let the "
                       "running ingest finish)",
                       path, path);
    return ERR_OK;
}

int db_optimize(sqlite3 *db, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int has_stats, rc;

    if (db_prepare(db, "SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'", &st, e))
        return err_wrap(e, "refresh statistics");
    has_stats = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    /* analysis_limit bounds the rows ANALYZE reads per index, whatever the file's size */
    rc = db_exec(db,
                 has_stats ? "PRAGMA analysis_limit = 1000; PRAGMA optimize"
                           : "PRAGMA analysis_limit = 1000; ANALYZE",
                 e);
    return rc ? err_wrap(e, "refresh statistics") : ERR_OK;
}

static int harden(sqlite3 *db)
{
    int ok = 0;

    /* A shared file is untrusted: its views and triggers may not call functions that are
     * not marked innocuous, and nothing may write to it. */
    if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &ok) != SQLITE_OK)
        return SQLITE_ERROR;
    if (sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &ok) != SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &ok);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 1, &ok);
    return SQLITE_OK;
}

static int open_ro_uri(const char *path, int immutable, sqlite3 **out)
{
    char *uri = sqlite3_mprintf("file:%s?mode=ro%s", path, immutable ? "&immutable=1" : "");
    int rc;

    if (!uri) /* the caller refuses paths with URI syntax (? # %) before this */
        return SQLITE_NOMEM;
    rc = sqlite3_open_v2(uri, out, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    sqlite3_free(uri);
    return rc;
}

int db_open_ro(const char *path, sqlite3 **out, struct err *e)
{
    sqlite3 *db = NULL;
    struct stat sb;
    int rc;

    *out = NULL;
    if (stat(path, &sb) != 0)
        return err_set(e, ERR_NOTFOUND,
                       "cannot open '%s': %s (run callmine-ingest first, or "
                       "give --db)",
                       path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return err_set(e, ERR_IO, "'%s' is not a regular file", path);
    if (strpbrk(path, "?#%")) /* would be read as URI syntax */
        return err_set(e, ERR_USAGE, "database path '%s' contains ? # or %%: rename the file",
                       path);
    if (open_ro_uri(path, 0, &db) != SQLITE_OK) {
        rc = err_set(e, ERR_DB, "open '%s': %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
    if (harden(db) != SQLITE_OK) {
        rc = db_error(db, e, "harden connection");
        sqlite3_close(db);
        return rc;
    }
    rc = db_check_mirror(db, path, e);
    if (rc &&
        (err_sqlite_primary(e) == SQLITE_CANTOPEN || err_sqlite_primary(e) == SQLITE_READONLY)) {
        /* A WAL file in a read-only place: nobody can be writing it, read it as is. */
        sqlite3_close(db);
        db = NULL;
        if (open_ro_uri(path, 1, &db) != SQLITE_OK || harden(db) != SQLITE_OK) {
            rc = db_error(db, e, "open read-only");
            sqlite3_close(db);
            return rc;
        }
        rc = db_check_mirror(db, path, e);
    }
    if (rc == ERR_NOTFOUND)
        rc = err_set(e, ERR_DB, "'%s' is not a callmine mirror (it is empty)", path);
    if (rc) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return ERR_OK;
}

int db_state_get(sqlite3 *db, const char *key, char **value, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *value = NULL;
    if (db_prepare(db, "SELECT value FROM sync_state WHERE key = ?1", &st, e))
        return ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        const char *v = (const char *)sqlite3_column_text(st, 0);

        *value = v ? strdup(v) : NULL;
        if (v && !*value) {
            sqlite3_finalize(st);
            return err_set(e, ERR_NOMEM, "read state '%s': out of memory", key);
        }
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = db_error(db, e, "read sync state");
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    return ERR_OK;
}

int db_state_set(sqlite3 *db, const char *key, const char *value, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (db_prepare(db,
                   "INSERT INTO sync_state(key, value) VALUES (?1, ?2) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   &st, e))
        return ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (value)
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? ERR_OK : db_error(db, e, "write sync state");
    sqlite3_finalize(st);
    return rc;
}

int db_state_get_int(sqlite3 *db, const char *key, int64_t dflt, int64_t *value, struct err *e)
{
    char *v = NULL;
    int rc = db_state_get(db, key, &v, e);

    *value = dflt;
    if (rc)
        return rc;
    if (v)
        *value = strtoll(v, NULL, 10);
    free(v);
    return ERR_OK;
}

int db_state_set_int(sqlite3 *db, const char *key, int64_t value, struct err *e)
{
    char v[32];

    snprintf(v, sizeof v, "%lld", (long long)value);
    return db_state_set(db, key, v, e);
}
