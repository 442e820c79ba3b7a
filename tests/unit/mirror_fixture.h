/* mirror_fixture.h: an in-memory mirror for the unit tests that read the semantic layer
 * (test_filter, test_scope, test_calls_rows): opened as the ingest opens a file (the schema
 * migrated), with the extension's SQL functions registered (casefold, regexp), and fixture SQL
 * that ends, as the ingest's transactions do, with the stored call facts refreshed from
 * call_facts_live (schema/facts.h). A failure is a broken fixture, not a failed check: it
 * prints why and exits. */
#ifndef CALLMINE_MIRROR_FIXTURE_H
#define CALLMINE_MIRROR_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "db.h"
#include "ext.h"

static sqlite3 *fixture_open(void)
{
    struct err e = {0};
    sqlite3 *db = NULL;

    if (db_open_rw(":memory:", &db, &e)) {
        fprintf(stderr, "fixture: open: %s\n", e.msg);
        exit(1);
    }
    if (sqlite3_callmine_init(db, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "fixture: register SQL functions: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    return db;
}

/* Run sql on db, then refresh call_facts_stored from call_facts_live. */
static void fixture_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, "INSERT OR REPLACE INTO call_facts_stored SELECT * FROM call_facts_live",
                     NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fixture: %s\n", msg);
        exit(1);
    }
}

#endif
