/* db: the one place that opens a callmine database.
 *
 * The writer (callmine-ingest) opens with db_open_rw(): WAL, foreign keys, a busy timeout,
 * then the sql/ migrations up to DB_SCHEMA_VERSION. Readers (callmine-query) open with
 * db_open_ro(): read-only, defensive, untrusted schema, and refuse files that are not
 * callmine mirrors or come from a newer callmine. Small helpers for transactions and the
 * sync_state key/value table live here too. */
#ifndef CALLMINE_DB_H
#define CALLMINE_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "err.h"

#define DB_SCHEMA_VERSION 4
#define DB_BUSY_TIMEOUT_MS 10000

/* Open or create path for writing and migrate it. *out is NULL on failure. */
int db_open_rw(const char *path, sqlite3 **out, struct err *e);

/* Open an existing mirror read-only for untrusted use: never writes to the file, works on a
 * read-only file, and refuses corrupt files, non-SQLite files, SQLite files that are not
 * callmine mirrors, and mirrors with a newer schema. */
int db_open_ro(const char *path, sqlite3 **out, struct err *e);

/* Check that db is a callmine mirror whose schema this binary can read as it is: ERR_DB
 * for a file that is not a mirror or is corrupt, from a newer callmine, of an older schema
 * ("PATH is a version 1 mirror: run callmine-ingest --db PATH --upgrade"), or whose
 * upgrade's backfill is not finished (meta 'backfill' present: "PATH is being upgraded:
 * ..."); ERR_NOTFOUND for an empty database. */
int db_check_mirror(sqlite3 *db, const char *path, struct err *e);

/* As db_check_mirror, but an older schema passes (the ingest migrates it): for a writer's
 * checks before it opens the file with db_open_rw. */
int db_check_file(sqlite3 *db, const char *path, struct err *e);

/* Give the query planner statistics: ANALYZE when the file has none (sqlite_stat1 missing,
 * e.g. after a first load), else PRAGMA optimize (re-analyzes what changed a lot); both
 * bounded by analysis_limit. Run at the end of every ingest and after --upgrade. */
int db_optimize(sqlite3 *db, struct err *e);

/* Run SQL text with no results. ERR_DB with SQLite's message on failure. */
int db_exec(sqlite3 *db, const char *sql, struct err *e);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback never fails loudly). */
int db_begin(sqlite3 *db, struct err *e);
int db_commit(sqlite3 *db, struct err *e);
void db_rollback(sqlite3 *db);

/* End the open transaction by how the work in it went: COMMIT when rc is ERR_OK, else
 * ROLLBACK. Returns rc, or the commit's failure (the transaction then rolled back). */
int db_end(sqlite3 *db, int rc, struct err *e);

/* Prepare a statement; ERR_DB naming the SQL on failure. */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e);

/* sync_state: get returns a malloc'd copy in *value (NULL when absent; caller frees). */
int db_state_get(sqlite3 *db, const char *key, char **value, struct err *e);
int db_state_set(sqlite3 *db, const char *key, const char *value, struct err *e);
int db_state_get_int(sqlite3 *db, const char *key, int64_t dflt, int64_t *value, struct err *e);
int db_state_set_int(sqlite3 *db, const char *key, int64_t value, struct err *e);

/* 1 when db's last error means the disk is full or a file size limit was reached (SQLite
 * reports EFBIG, and some ENOSPC, as an I/O error rather than SQLITE_FULL). */
int db_is_disk_full(sqlite3 *db);

/* Fill e with "what: <sqlite message>" for db and return ERR_DB. */
int db_error(sqlite3 *db, struct err *e, const char *what);

#endif
