/* bulk: dropping the secondary indexes a first load does not read, and building them once
 * its calls are stored; holding back the search index's merges and segments meanwhile (see
 * bulk.h).
 * Nothing here remembers what was dropped: an index of the list that is missing from
 * sqlite_schema is one to build, and an automerge of 0 in the search index's settings is a
 * first load's, so a load killed at any point is repaired by the next bulk_build(). */
#include "bulk.h"

#include <stdio.h>

#include "db.h"
#include "facts.h"

#include "banned.h"

const struct bulk_index bulk_deferred[] = {
    {"crm_fields_call", "CREATE INDEX crm_fields_call ON crm_fields(call_id, timing)"},
    {"deals_key", "CREATE UNIQUE INDEX deals_key ON deals(call_id, timing, ifnull(deal_id, ''))"},
    {"parties_speaker", "CREATE INDEX parties_speaker ON parties(call_id, speaker_id)"},
    {"parties_user", "CREATE INDEX parties_user ON parties(user_id)"},
    {"calls_primary_user", "CREATE INDEX calls_primary_user ON calls(primary_user_id)"},
    {"call_metrics_rep", "CREATE INDEX call_metrics_rep ON call_metrics(rep_user_id)"},
    {"key_points_call", "CREATE INDEX key_points_call ON key_points(call_id)"},
    {"action_items_call", "CREATE INDEX action_items_call ON action_items(call_id)"},
    {"call_structure_call", "CREATE INDEX call_structure_call ON call_structure(call_id)"},
    {"speakers_call", "CREATE INDEX speakers_call ON speakers(call_id)"},
    {"topics_call", "CREATE INDEX topics_call ON topics(call_id, name, duration)"},
    {"trackers_call", "CREATE INDEX trackers_call ON trackers(call_id, name, count)"},
    {"interaction_stats_call",
     "CREATE INDEX interaction_stats_call ON interaction_stats(call_id, name, value)"},
    {"tracker_occurrences_call",
     "CREATE UNIQUE INDEX tracker_occurrences_call ON tracker_occurrences(call_id, ord)"},
};
const unsigned bulk_n_deferred = sizeof bulk_deferred / sizeof bulk_deferred[0];

/* *yes: an index of that name exists. */
static int has_index(sqlite3_stmt *st, const char *name, int *yes, struct err *e)
{
    int rc;

    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? ERR_OK
               : db_error(sqlite3_db_handle(st), e, "read the schema");
}

static const char has_sql[] = "SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?1";

/* ---- the search index during a first load ------------------------------------------------- */

/* *yes: the mirror has the FTS5 search index (a version 1 file that is not upgraded yet has
 * none). */
static int has_search(sqlite3 *db, int *yes, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = db_prepare(db,
                         "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
                         "name = 'search_sentences_config'",
                         &st, e)))
        return rc;
    rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW;
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? ERR_OK : db_error(db, e, "read the schema");
    sqlite3_finalize(st);
    return rc;
}

/* Set one of the search index's settings (persistent, in search_sentences_config). */
static int set_search(sqlite3 *db, const char *key, int value, struct err *e)
{
    char sql[160];

    snprintf(sql, sizeof sql,
             "INSERT INTO search_sentences(search_sentences, rank) VALUES ('%s', %d)", key, value);
    return db_exec(db, sql, e);
}

/* A first load: the search index writes its pending entries only at a transaction's end
 * (BULK_FTS_HASHSIZE) and merges its segments only when BULK_FTS_CRISISMERGE of them wait at
 * one level (see bulk.h). */
static int search_for_load(sqlite3 *db, struct err *e)
{
    int rc, yes;

    if ((rc = has_search(db, &yes, e)) || !yes)
        return rc;
    if ((rc = set_search(db, "automerge", 0, e)) ||
        (rc = set_search(db, "hashsize", BULK_FTS_HASHSIZE, e)))
        return rc;
    return set_search(db, "crisismerge", BULK_FTS_CRISISMERGE, e);
}

/* After a first load (automerge still 0): the schema's hashsize and automerge again;
 * crisismerge stays (bulk.h). */
static int search_after_load(sqlite3 *db, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc, yes, deferred;

    if ((rc = has_search(db, &yes, e)) || !yes)
        return rc;
    if ((rc = db_prepare(
             db, "SELECT 1 FROM search_sentences_config WHERE k = 'automerge' AND v = 0", &st, e)))
        return rc;
    rc = sqlite3_step(st);
    deferred = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        rc = db_error(db, e, "read the search index's settings");
    else
        rc = ERR_OK;
    sqlite3_finalize(st);
    if (rc || !deferred)
        return rc;
    if ((rc = set_search(db, "hashsize", BULK_FTS_HASHSIZE_AFTER, e)))
        return rc;
    return set_search(db, "automerge", BULK_FTS_AUTOMERGE, e);
}

int bulk_defer(sqlite3 *db, int *dropped, struct err *e)
{
    sqlite3_stmt *st = NULL;
    char sql[96];
    int rc, yes, empty;

    *dropped = 0;
    if ((rc = db_begin(db, e)))
        return err_wrap(e, "defer indexes");
    if ((rc = db_prepare(db, "SELECT NOT EXISTS (SELECT 1 FROM calls)", &st, e)))
        goto done;
    rc = sqlite3_step(st);
    empty = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    rc = rc == SQLITE_ROW ? ERR_OK : db_error(db, e, "count calls");
    sqlite3_finalize(st);
    st = NULL;
    if (rc || !empty)
        goto done;
    /* call_facts_stored is built once at the load's end; the mark makes a killed load's
     * next run (or --upgrade) build it */
    if ((rc = facts_mark_rebuild(db, e)))
        goto done;
    /* and transcript_grams is written at its end, in call id order (backfill_grams) */
    if ((rc =
             db_exec(db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('grams', 'rebuild')", e)))
        goto done;
    if ((rc = search_for_load(db, e)) || (rc = db_prepare(db, has_sql, &st, e)))
        goto done;
    for (unsigned i = 0; i < bulk_n_deferred && !rc; i++) {
        if ((rc = has_index(st, bulk_deferred[i].name, &yes, e)) || !yes)
            continue;
        snprintf(sql, sizeof sql, "DROP INDEX \"%s\"", bulk_deferred[i].name);
        if (!(rc = db_exec(db, sql, e)))
            ++*dropped;
    }
done:
    sqlite3_finalize(st);
    if ((rc = db_end(db, rc, e))) {
        *dropped = 0;
        return err_wrap(e, "defer indexes");
    }
    return ERR_OK;
}

/* *kib: the page cache's size as PRAGMA cache_size gives it (negative: KiB). */
static int cache_size(sqlite3 *db, int *kib, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = db_prepare(db, "PRAGMA cache_size", &st, e)))
        return rc;
    rc = sqlite3_step(st);
    *kib = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    rc = rc == SQLITE_ROW ? ERR_OK : db_error(db, e, "read cache_size");
    sqlite3_finalize(st);
    return rc;
}

/* Set PRAGMA cache_size to kib. */
static int set_cache_size(sqlite3 *db, int kib, struct err *e)
{
    char sql[48];

    snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", kib);
    return db_exec(db, sql, e);
}

int bulk_build(sqlite3 *db, int *built, struct err *e)
{
    sqlite3_stmt *st = NULL;
    char sql[96];
    int rc, yes, stats = 0, facts = 0, cache = 0;

    *built = 0;
    /* CREATE INDEX sorts in memory up to the page cache's size on top of the cache itself:
     * a quarter of the cache while building keeps the two within what the load used, the
     * rest of each sort going through a temporary file (peak RSS at 20,000 calls: 126 MiB
     * with the whole cache, 110 with half, 101 with a quarter, as at 3,000 calls; bytes
     * written +4 KB a call at 3,000, the same at 20,000) */
    if ((rc = cache_size(db, &cache, e)) || (cache < 0 && (rc = set_cache_size(db, cache / 4, e))))
        return err_wrap(e, "build indexes");
    if ((rc = db_begin(db, e)))
        goto done;
    if ((rc = facts_pending(db, &facts, e)) || (facts && (rc = facts_rebuild(db, e))))
        goto done;
    if ((rc = search_after_load(db, e)) ||
        (rc = db_prepare(db, "SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'", &st, e)))
        goto done;
    stats = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = db_prepare(db, has_sql, &st, e)))
        goto done;
    for (unsigned i = 0; i < bulk_n_deferred && !rc; i++) {
        if ((rc = has_index(st, bulk_deferred[i].name, &yes, e)) || yes)
            continue;
        if ((rc = db_exec(db, bulk_deferred[i].sql, e)))
            break;
        ++*built;
        /* statistics for the new index, as PRAGMA optimize would read them */
        snprintf(sql, sizeof sql, "ANALYZE \"%s\"", bulk_deferred[i].name);
        if (stats && (rc = db_exec(db, "PRAGMA analysis_limit = 1000", e)) == ERR_OK)
            rc = db_exec(db, sql, e);
    }
done:
    sqlite3_finalize(st);
    rc = db_end(db, rc, e);
    if (cache < 0) { /* the cache as it was, whatever happened */
        struct err ignore = {0};
        int r2 = set_cache_size(db, cache, rc ? &ignore : e);

        rc = rc ? rc : r2;
    }
    if (rc) {
        *built = 0;
        return err_wrap(e, "build indexes");
    }
    return ERR_OK;
}
