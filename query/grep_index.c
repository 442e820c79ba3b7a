/* grep_index: the n-gram filter pass (see grep_index.h).
 *
 * The literals come from re.c, which keeps them free of backslashes, CR and LF (escaped in
 * the stored text) and makes caseless ones lowercase ASCII; a set with any literal grams.h
 * cannot answer for (a caseless non-ASCII one, one shorter than three bytes, one with
 * U+FFFD) is not used. The candidates are sorted by id and merged with one cursor over
 * transcript_grams in key order (WITHOUT ROWID: the rows are clustered by call id), which
 * steps from one wanted row to the next and seeks again after INDEX_SKIP rows not wanted:
 * a sequential read for a broad selection, a lookup per call for a narrow one. */
#include "grep_index.h"

#include <stdlib.h>
#include <string.h>

#include "grams.h"

#include "banned.h"

#define INDEX_MAX_LITS 16 /* literals tested (re.c's sets have at most 16) */
#define INDEX_SKIP 16     /* rows stepped over before seeking again */
#define INDEX_PROBE 1024  /* calls looked at before judging the filter's use */

struct by_id { /* a candidate, for sorting by id */
    const char *id;
    size_t i; /* index into g->cands */
};

static int cmp_by_id(const void *a, const void *b)
{
    return strcmp(((const struct by_id *)a)->id, ((const struct by_id *)b)->id);
}

/* Can grams.h answer for literal l? Not for a backslash, CR or LF (escaped in the stored
 * text), not for a caseless literal with non-ASCII letters, not for one shorter than three
 * bytes (it always may), and not for U+FFFD, which the UTF-8 repair of a corrupt transcript
 * writes where the stored text has other bytes. */
static int filterable(const char *l, size_t len, int caseless)
{
    if (len < 3 || memchr(l, '\\', len) || memchr(l, '\n', len) || memchr(l, '\r', len))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)l[i] >= 0x80 && caseless) ||
            (i + 2 < len && memcmp(l + i, "\xEF\xBF\xBD", 3) == 0))
            return 0;
    return 1;
}

/* The pattern's literal set into lits/lens; its size, or 0 when it cannot be used. */
static int literals(const struct re *re, const char **lits, size_t *lens)
{
    int n = 0;

    for (int k = 0;; k++) {
        size_t len;
        int caseless;
        const char *l = re_literal_at(re, k, &len, &caseless);

        if (!l)
            return n;
        if (k >= INDEX_MAX_LITS || !filterable(l, len, caseless))
            return 0;
        lits[k] = l;
        lens[k] = len;
        n = k + 1;
    }
}

/* May the call whose filter row the cursor is on contain one of the literals? */
static int row_may(sqlite3_stmt *st, const char *const *lits, const size_t *lens, int n)
{
    const unsigned char *bits;

    if (sqlite3_column_type(st, 1) != SQLITE_BLOB)
        return 1;
    bits = sqlite3_column_blob(st, 1);
    if (!bits || sqlite3_column_bytes(st, 1) != (int)GRAMS_BYTES)
        return 1;
    for (int k = 0; k < n; k++)
        if (grams_may_contain(bits, GRAMS_BITS, lits[k], lens[k]))
            return 1;
    return 0;
}

int grep_index_filter(struct grep *g, sqlite3 *db, size_t *dropped, struct err *e)
{
    const char *lits[INDEX_MAX_LITS];
    size_t lens[INDEX_MAX_LITS], nc = g->n_cands, t = 0, skipped = 0, kept = 0, j = 0;
    struct by_id *ord = NULL;
    unsigned char *keep = NULL;
    sqlite3_stmt *st = NULL;
    int n, rc = ERR_OK, seek = 1, on_row = 0, step;

    *dropped = 0;
    n = literals(g->re, lits, lens);
    if (!n || !nc ||
        sqlite3_table_column_metadata(db, "main", "transcript_grams", "bits", NULL, NULL, NULL,
                                      NULL, NULL) != SQLITE_OK)
        return ERR_OK;
    ord = malloc(nc * sizeof *ord);
    keep = malloc(nc);
    if (!ord || !keep) {
        rc = err_set(e, ERR_NOMEM, "grep: out of memory");
        goto done;
    }
    memset(keep, 1, nc);
    for (size_t i = 0; i < nc; i++)
        ord[i] = (struct by_id){grep_cand_id(g, i), i};
    qsort(ord, nc, sizeof *ord, cmp_by_id);
    if ((rc = cmd_prepare(db,
                          "SELECT call_id, bits FROM transcript_grams WHERE call_id >= ?1 "
                          "ORDER BY call_id",
                          &st, e)))
        goto done;
    while (t < nc) {
        const char *row;
        int cmp;

        if (t == INDEX_PROBE && kept * 10 > t * 9)
            break; /* nearly every call may match: reading the filter costs more than it saves */
        if (seek) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, ord[t].id, -1, SQLITE_STATIC);
            seek = 0, skipped = 0, on_row = 0;
        }
        if (!on_row) {
            if ((step = sqlite3_step(st)) == SQLITE_DONE)
                break; /* no filter rows for the rest */
            if (step != SQLITE_ROW) {
                rc = err_set(e, ERR_DB, "grep: read transcript_grams: %s", sqlite3_errmsg(db));
                goto done;
            }
            on_row = 1;
        }
        row = (const char *)sqlite3_column_text(st, 0);
        cmp = row ? strcmp(row, ord[t].id) : -1;
        if (cmp < 0) { /* a call not selected */
            on_row = 0;
            seek = ++skipped > INDEX_SKIP;
            continue;
        }
        if (cmp == 0) {
            keep[ord[t].i] = (unsigned char)row_may(st, lits, lens, n);
            on_row = 0;
        } /* else the call has no row: it stays, and the row may be the next call's */
        kept += keep[ord[t].i];
        skipped = 0;
        t++;
    }
    for (size_t i = 0; i < nc; i++)
        if (keep[i])
            g->cands[j++] = g->cands[i];
    g->n_cands = j;
    *dropped = nc - j;
done:
    sqlite3_finalize(st);
    free(ord);
    free(keep);
    return rc;
}
