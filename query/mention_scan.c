/* mention_scan: a pattern's hits per call of the scope through grep's engine (see
 * mention_scan.h).
 *
 * A struct grep is set up as `grep -c` would set it up, but its candidates come from the
 * scope instead of a filter; grep_index_filter thins them, grep_scan runs the workers, and
 * the finished batches are taken in order (as cmd_grep takes them) and their counts
 * written to temp.mention_hits in one transaction on the caller's connection. */
#include "mention_scan.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "grep.h"
#include "grep_index.h"
#include "grep_scan.h"
#include "re.h"

#include "banned.h"

/* The calls in scope with a non-empty transcript, by id. */
static const char cands_sql[] =
    "SELECT s.call_id FROM temp.scope_ids s JOIN call_metrics m ON m.call_id = s.call_id "
    "WHERE m.sentences > 0 ORDER BY s.call_id";

static int load_cands(struct grep *g, sqlite3 *db, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!(rc = cmd_prepare(db, cands_sql, &st, e)) && (rc = grep_add_candidates(g, st, e)))
        err_wrap(e, "mentions");
    sqlite3_finalize(st);
    return rc;
}

/* Take the finished batches in order and insert the counts above 0 with ins (its pattern,
 * flags and speaker bound). */
static int collect(struct grep *g, sqlite3 *db, sqlite3_stmt *ins, struct err *e)
{
    int rc = grep_scan_start(g, e);

    for (size_t k = 0; k < g->n_batches && !rc; k++) {
        const struct grep_batch *b = grep_scan_wait(g, k);
        size_t n = k + 1 < g->n_batches ? GREP_BATCH : g->n_cands - k * GREP_BATCH;

        if (b->rc) {
            *e = b->e;
            rc = b->rc;
        }
        for (size_t i = 0; i < n && !rc; i++) {
            if (!b->counts[i])
                continue;
            sqlite3_bind_text(ins, 4, grep_cand_id(g, k * GREP_BATCH + i), -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 5, (sqlite3_int64)b->counts[i]);
            if (sqlite3_step(ins) != SQLITE_DONE)
                rc = err_set(e, ERR_DB, "mentions: store the hits: %s", sqlite3_errmsg(db));
            sqlite3_reset(ins);
        }
        grep_scan_done(g, k);
    }
    grep_scan_stop(g);
    return rc;
}

/* 1 when the key is in temp.mention_scans, 0 when not, -1 on failure (e set). */
static int scanned(sqlite3 *db, const char *pattern, const char *flags, const char *speaker,
                   struct err *e)
{
    sqlite3_stmt *st = NULL;
    int step;

    if (cmd_prepare(db,
                    "SELECT 1 FROM temp.mention_scans WHERE pattern = ?1 AND flags = ?2 AND "
                    "speaker = ?3",
                    &st, e))
        return -1;
    sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, flags, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, speaker, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step == SQLITE_ROW)
        return 1;
    if (step == SQLITE_DONE)
        return 0;
    err_set(e, ERR_DB, "mentions: %s", sqlite3_errmsg(db));
    return -1;
}

int mention_scan_fill(sqlite3 *db, const char *pattern, const char *flags, const char *speaker,
                      size_t *corrupt, struct err *e)
{
    struct cmd_ctx c = {.db_path = sqlite3_db_filename(db, "main")};
    struct grep g = {.c = &c, .mode = GREP_COUNT, .pattern = pattern};
    sqlite3_stmt *ins = NULL;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t dropped = 0;
    int rc, in_tx = 0;

    if (corrupt)
        *corrupt = 0;
    if ((rc = scanned(db, pattern, flags, speaker, e)) != 0)
        return rc < 0 ? ERR_DB : ERR_OK;
    for (const char *f = flags; *f; f++) {
        if (*f == 'i')
            g.flags |= RE_CASELESS;
        else if (*f == 'c')
            g.flags &= ~RE_CASELESS;
        else
            return err_set(e, ERR_USAGE, "mentions: flags '%s': expected 'i' or nothing", flags);
    }
    if (strcmp(speaker, "rep") == 0)
        g.speaker = GREP_REP;
    else if (strcmp(speaker, "customer") == 0)
        g.speaker = GREP_CUSTOMER;
    else if (strcmp(speaker, "all") == 0)
        g.speaker = GREP_ANY;
    else
        return err_set(e, ERR_USAGE, "mentions: speaker '%s': expected rep, customer or all",
                       speaker);
    if (!c.db_path || !*c.db_path)
        return err_set(e, ERR_USAGE, "mentions: the mirror has no file name to scan");
    buf_init(&g.ids, (size_t)1 << 30);
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    g.threads = ncpu < 1 ? 1 : ncpu > GREP_MAX_THREADS ? GREP_MAX_THREADS : (int)ncpu;
    if ((rc = re_compile(pattern, g.flags, &g.re, e))) {
        err_wrap(e, "mentions");
        goto done;
    }
    if ((rc = load_cands(&g, db, e)) || (rc = grep_index_filter(&g, db, &dropped, e)) ||
        (rc = db_exec(db, "BEGIN", e)))
        goto done;
    in_tx = 1;
    if ((rc = cmd_prepare(db,
                          "INSERT INTO temp.mention_hits(pattern, flags, speaker, call_id, hits) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)",
                          &ins, e)))
        goto done;
    sqlite3_bind_text(ins, 1, pattern, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, flags, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, speaker, -1, SQLITE_STATIC);
    if ((rc = collect(&g, db, ins, e)))
        goto done;
    sqlite3_finalize(ins);
    if ((rc = cmd_prepare(db,
                          "INSERT INTO temp.mention_scans(pattern, flags, speaker) "
                          "VALUES (?1, ?2, ?3)",
                          &ins, e)))
        goto done;
    sqlite3_bind_text(ins, 1, pattern, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, flags, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, speaker, -1, SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE) {
        rc = err_set(e, ERR_DB, "mentions: store the hits: %s", sqlite3_errmsg(db));
        goto done;
    }
    in_tx = 0;
    rc = db_exec(db, "COMMIT", e);
    if (corrupt)
        *corrupt = g.corrupt;
done:
    sqlite3_finalize(ins);
    if (in_tx)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    re_free(g.re);
    free(g.cands);
    buf_release(&g.ids);
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cv);
    return rc;
}
