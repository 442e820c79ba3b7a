/* test_bulk: the indexes a first load defers (ingest/bulk.h). The list is the migrated
 * schema's own text, a mirror with calls keeps them, an empty one drops them, and building
 * them gives back exactly the schema the migrations made (and is a no-op when none are
 * missing); the search index's merges are held back in between and automerge comes back
 * with the build. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "check.h"
#include "db.h"

/* The first column of the first row as int64 (-999 when no row or an error). */
static long long q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -999;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bad test SQL %s: %s\n", sql, sqlite3_errmsg(db));
        return v;
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Every index's name and SQL in one string (malloc'd), in name order. */
static char *index_schema(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    sqlite3_str *s = sqlite3_str_new(db);
    char *out, *copy;

    if (sqlite3_prepare_v2(db,
                           "SELECT name, ifnull(sql, '') FROM sqlite_schema WHERE type = 'index' "
                           "ORDER BY name",
                           -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW)
            sqlite3_str_appendf(s, "%s: %s\n", sqlite3_column_text(st, 0),
                                sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    out = sqlite3_str_finish(s);
    copy = out ? strdup(out) : NULL;
    sqlite3_free(out);
    return copy;
}

static int has_index(sqlite3 *db, const char *name)
{
    char sql[200];

    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = '%s'", name);
    return q_int(db, sql) == 1;
}

int main(void)
{
    struct err e = {0};
    sqlite3 *db = NULL;
    char *before = NULL, *after = NULL;
    int n = -1;

    CHECK(db_open_rw(":memory:", &db, &e) == ERR_OK);
    if (!db)
        return CHECK_DONE("test_bulk");
    before = index_schema(db);
    /* a new mirror: every migration applied, and nothing for the backfill to fill (a query
     * opening it before the first page must not be told it is being upgraded) */
    CHECK(q_int(db, "PRAGMA user_version") == DB_SCHEMA_VERSION);
    CHECK(q_int(db, "SELECT count(*) FROM meta WHERE key = 'backfill'") == 0);

    /* the list is exactly what the migrations create */
    CHECK(bulk_n_deferred >= 10);
    for (unsigned i = 0; i < bulk_n_deferred; i++) {
        sqlite3_stmt *st = NULL;

        CHECK(sqlite3_prepare_v2(db,
                                 "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                                 -1, &st, NULL) == SQLITE_OK);
        sqlite3_bind_text(st, 1, bulk_deferred[i].name, -1, SQLITE_STATIC);
        CHECK(sqlite3_step(st) == SQLITE_ROW);
        if (strcmp((const char *)sqlite3_column_text(st, 0), bulk_deferred[i].sql) != 0) {
            fprintf(stderr, "bulk_deferred[%u] differs from the schema: %s\n", i,
                    sqlite3_column_text(st, 0));
            CHECK(0);
        }
        sqlite3_finalize(st);
    }
    /* deals_call, which filters read call by call, is never deferred */
    for (unsigned i = 0; i < bulk_n_deferred; i++)
        CHECK(strcmp(bulk_deferred[i].name, "deals_call") != 0);

    /* nothing missing: building is a no-op */
    CHECK(bulk_build(db, &n, &e) == ERR_OK && n == 0);

    /* a mirror with calls keeps its indexes and the search index's merge settings */
    CHECK(db_exec(db, "INSERT INTO calls(id) VALUES ('c1')", &e) == ERR_OK);
    CHECK(bulk_defer(db, &n, &e) == ERR_OK && n == 0);
    CHECK(has_index(db, "crm_fields_call"));
    CHECK(q_int(db, "SELECT count(*) FROM meta WHERE key IN ('facts', 'grams')") == 0);
    CHECK(q_int(db, "SELECT count(*) FROM search_sentences_config WHERE k IN "
                    "('automerge', 'crisismerge')") == 0);
    /* (the schema's hashsize, which a first load's end puts back) */
    CHECK(q_int(db, "SELECT v FROM search_sentences_config WHERE k = 'hashsize'") ==
          BULK_FTS_HASHSIZE_AFTER);

    /* an empty one drops them all, in a committed transaction */
    CHECK(db_exec(db, "DELETE FROM calls", &e) == ERR_OK);
    CHECK(bulk_defer(db, &n, &e) == ERR_OK && n == (int)bulk_n_deferred);
    CHECK(sqlite3_get_autocommit(db));
    for (unsigned i = 0; i < bulk_n_deferred; i++)
        CHECK(!has_index(db, bulk_deferred[i].name));
    CHECK(!has_index(db, "interaction_stats_call") && has_index(db, "deals_call"));
    /* marks the stored call facts for a build at the load's end (facts.h) */
    CHECK(q_int(db, "SELECT count(*) FROM meta WHERE key = 'facts' AND value = 'rebuild'") == 1);
    /* and grep's n-gram filters for the backfill at its end (backfill_grams) */
    CHECK(q_int(db, "SELECT count(*) FROM meta WHERE key = 'grams' AND value = 'rebuild'") == 1);
    /* and holds back the search index's merges, its segments written at transactions' ends */
    CHECK(q_int(db, "SELECT v FROM search_sentences_config WHERE k = 'automerge'") == 0);
    CHECK(q_int(db, "SELECT v FROM search_sentences_config WHERE k = 'hashsize'") ==
          BULK_FTS_HASHSIZE);
    CHECK(q_int(db, "SELECT v FROM search_sentences_config WHERE k = 'crisismerge'") ==
          BULK_FTS_CRISISMERGE);
    /* sentences written meanwhile stay searchable, one segment per transaction */
    for (int i = 1; i <= 3; i++) {
        char sql[160];

        snprintf(sql, sizeof sql,
                 "INSERT INTO search_sentences(rowid, text) VALUES (%d, 'pricing talk %d')", i, i);
        CHECK(db_exec(db, sql, &e) == ERR_OK);
    }
    CHECK(q_int(db, "SELECT count(*) FROM search_sentences "
                    "WHERE search_sentences MATCH 'pricing'") == 3);

    /* rows written meanwhile; then the same schema as the migrations made */
    CHECK(db_exec(db,
                  "INSERT INTO calls(id, primary_user_id) VALUES ('c1', 'u1'), ('c2', 'u2');"
                  "INSERT INTO deals(call_id, timing, deal_id, ord) VALUES ('c1', 'Now', 'd1', 0),"
                  " ('c1', 'Now', NULL, 1), ('c2', 'Now', 'd1', 0);"
                  "INSERT INTO key_points(call_id, ord, text) VALUES ('c2', 0, 'k')",
                  &e) == ERR_OK);
    CHECK(q_int(db, "SELECT count(*) FROM call_facts_stored") == 0);
    CHECK(bulk_build(db, &n, &e) == ERR_OK && n == (int)bulk_n_deferred);
    CHECK(sqlite3_get_autocommit(db));
    /* the page cache cut for the build's sorts is given back */
    CHECK(q_int(db, "PRAGMA cache_size") == -32768);
    /* the call facts built from the rows, the mark gone */
    CHECK(q_int(db, "SELECT count(*) FROM meta WHERE key = 'facts'") == 0);
    CHECK(q_int(db, "SELECT count(*) FROM call_facts_stored") == 2);
    CHECK(q_int(db, "SELECT count(*) FROM (SELECT * FROM call_facts_stored EXCEPT "
                    "SELECT * FROM call_facts_live)") == 0);
    CHECK(q_int(db, "SELECT count(*) FROM call_facts WHERE deal_id = 'd1'") == 2);
    /* automerge on again and the schema's hashsize, crisismerge kept; the sentences are
     * still found */
    CHECK(q_int(db, "SELECT v FROM search_sentences_config WHERE k = 'automerge'") ==
          BULK_FTS_AUTOMERGE);
    CHECK(q_int(db, "SELECT v FROM search_sentences_config WHERE k = 'hashsize'") ==
          BULK_FTS_HASHSIZE_AFTER);
    CHECK(q_int(db, "SELECT v FROM search_sentences_config WHERE k = 'crisismerge'") ==
          BULK_FTS_CRISISMERGE);
    CHECK(q_int(db, "SELECT count(*) FROM search_sentences "
                    "WHERE search_sentences MATCH 'pricing'") == 3);
    after = index_schema(db);
    CHECK(before && after && strcmp(before, after) == 0);
    CHECK(q_int(db, "SELECT count(*) FROM key_points INDEXED BY key_points_call "
                    "WHERE call_id = 'c2'") == 1);
    /* deals_key is unique again */
    CHECK(db_exec(db,
                  "INSERT INTO deals(call_id, timing, deal_id, ord) VALUES ('c1', 'Now', '', 2)",
                  &e) != ERR_OK);

    /* a build that fails (a duplicate deals_key would refuse) changes nothing and says why */
    CHECK(db_exec(db,
                  "DROP INDEX deals_key; DROP INDEX speakers_call;"
                  "INSERT INTO deals(call_id, timing, deal_id, ord) VALUES ('c1', 'Now', '', 2)",
                  &e) == ERR_OK);
    memset(&e, 0, sizeof e);
    CHECK(bulk_build(db, &n, &e) != ERR_OK && n == 0);
    CHECK(strstr(e.msg, "build indexes") != NULL && strstr(e.msg, "UNIQUE") != NULL);
    CHECK(sqlite3_get_autocommit(db) && !has_index(db, "speakers_call"));
    CHECK(q_int(db, "PRAGMA cache_size") == -32768); /* a failed build gives it back too */

    free(before);
    free(after);
    sqlite3_close(db);
    return CHECK_DONE("test_bulk");
}
