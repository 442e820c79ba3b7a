/* test_search_index: the FTS5 sentence index and the query terms that highlight it.
 *
 * An in-memory mirror (db_open_rw(":memory:")): a transcript indexed, replaced (its old
 * words gone, the new ones found, FTS5's integrity check still passing), ensured, filled by
 * the backfill pass (a corrupt blob skipped and counted), a file without the tables left
 * alone; then the query lexer (operators, column names, NEAR distances, prefixes, phrases)
 * and the accent- and case-insensitive highlighting and snippets of search_terms.h; the
 * bm25 scores and order of search_rank.h. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "db.h"
#include "search_index.h"
#include "search_rank.h"
#include "search_terms.h"
#include "zblob.h"

static sqlite3 *db;

static long long count(const char *match)
{
    sqlite3_stmt *st = NULL;
    long long n = -1;

    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM search_sentences WHERE search_sentences MATCH ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

static long long scalar(const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long n = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int integrity(void)
{
    return sqlite3_exec(db,
                        "INSERT INTO search_sentences(search_sentences, rank) "
                        "VALUES ('integrity-check', 0)",
                        NULL, NULL, NULL) == SQLITE_OK;
}

static const char first[] = "0\t900\ts1\tCafé crème, s'il vous plaît\n"
                            "900\t1800\ts2\tWe compared Clarivox\\nand others\n"
                            "bad line\n"
                            "1800\t2000\ts1\t\n";
static const char second[] = "0\t500\ts1\tPricing is fine\n";

/* Store text as call id's transcript row (sqlar blob). */
static void put_transcript(struct zblob_codec *z, const char *id, const char *text, int corrupt)
{
    struct buf blob;
    struct err e = {0};
    sqlite3_stmt *st = NULL;

    buf_init(&blob, 0);
    CHECK(zblob_deflate(z, text, strlen(text), &blob, &e) == ERR_OK);
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO calls(id) VALUES (?1) ON CONFLICT DO NOTHING", -1,
                             &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    CHECK(sqlite3_prepare_v2(db,
                             "INSERT OR REPLACE INTO transcripts(call_id, size, body, sentences) "
                             "VALUES (?1, ?2, ?3, 1)",
                             -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)strlen(text) + (corrupt ? 7 : 0)); /* a lying size */
    sqlite3_bind_blob(st, 3, blob.data, (int)blob.len, SQLITE_STATIC);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    buf_release(&blob);
}

static void test_index(void)
{
    struct search_index *x = NULL;
    struct zblob_codec *z = zblob_codec_new(ZBLOB_LEVEL);
    struct buf blob;
    struct err e = {0};
    size_t n = 0, bad = 0;

    buf_init(&blob, 0);
    CHECK(db_open_rw(":memory:", &db, &e) == ERR_OK);
    CHECK(search_index_open(db, &x, &e) == ERR_OK && search_index_enabled(x));
    CHECK(search_index_add(x, "c1", first, strlen(first), &e) == ERR_OK);
    CHECK(count("cafe") == 1 && count("CREME") == 1 && count("clarivox") == 1);
    CHECK(count("others") == 1); /* the escaped line feed read as one */
    CHECK(scalar("SELECT count(*) FROM search_calls") == 1);
    /* line numbers count every line: the malformed third line too */
    CHECK(scalar("SELECT max(rowid & 1048575) FROM search_sentences WHERE search_sentences "
                 "MATCH 'clarivox'") == 1);
    CHECK(integrity());

    /* replaced: the old text's words go, the new ones come, under the same number */
    CHECK(zblob_deflate(z, first, strlen(first), &blob, &e) == ERR_OK);
    CHECK(search_index_remove(x, "c1", blob.data, blob.len, (int64_t)strlen(first), &e) == ERR_OK);
    CHECK(search_index_add(x, "c1", second, strlen(second), &e) == ERR_OK);
    CHECK(count("cafe") == 0 && count("clarivox") == 0 && count("pricing") == 1);
    CHECK(scalar("SELECT num FROM search_calls WHERE call_id = 'c1'") == 1);
    CHECK(integrity());

    /* ensure: nothing when indexed; removing an unindexed call: nothing */
    CHECK(search_index_ensure(x, "c1", second, strlen(second), &e) == ERR_OK);
    CHECK(count("pricing") == 1);
    CHECK(search_index_remove(x, "c9", blob.data, blob.len, (int64_t)strlen(first), &e) == ERR_OK);
    search_index_free(x);

    /* the backfill: transcripts without a number are indexed; a corrupt blob is counted */
    put_transcript(z, "c1", second, 0);
    put_transcript(z, "c2", first, 0);
    put_transcript(z, "c3", first, 1);
    CHECK(search_index_fill(db, 1, &n, &bad, &e) == ERR_OK);
    CHECK(n == 1 && bad == 1);
    CHECK(count("cafe") == 1 && count("pricing") == 1);
    CHECK(search_index_fill(db, 0, &n, &bad, &e) == ERR_OK && n == 0);
    CHECK(integrity());

    /* a file without the tables: a writer that does nothing */
    CHECK(sqlite3_exec(db, "DROP TABLE search_sentences; DROP TABLE search_calls", NULL, NULL,
                       NULL) == SQLITE_OK);
    CHECK(search_index_open(db, &x, &e) == ERR_OK && !search_index_enabled(x));
    CHECK(search_index_add(x, "c5", first, strlen(first), &e) == ERR_OK);
    search_index_free(x);
    sqlite3_close(db);
    db = NULL;
    zblob_codec_free(z);
    buf_release(&blob);
}

/* The highlighted form of text for query, with [ ] as markers. */
static const char *marked(sqlite3 *c, const char *query, const char *text, struct buf *out)
{
    struct search_terms *t = NULL;
    const struct search_span *sp;
    struct err e = {0};
    size_t n;

    buf_reset(out);
    if (search_terms_new(c, query, &t, &e) ||
        search_terms_match(t, text, strlen(text), &sp, &n, &e) ||
        search_terms_snippet(text, strlen(text), sp, n, "[", "]", out, &e)) {
        search_terms_free(t);
        return "(error)";
    }
    search_terms_free(t);
    return out->data ? out->data : "";
}

static size_t terms(sqlite3 *c, const char *query)
{
    struct search_terms *t = NULL;
    struct err e = {0};
    size_t n;

    if (search_terms_new(c, query, &t, &e))
        return (size_t)-1;
    n = search_terms_count(t);
    search_terms_free(t);
    return n;
}

static void test_terms(void)
{
    sqlite3 *c = NULL;
    struct buf b;
    char long_text[1200];

    buf_init(&b, 0);
    CHECK(sqlite3_open(":memory:", &c) == SQLITE_OK);
    CHECK(terms(c, "pricing") == 1);
    CHECK(terms(c, "pricing AND discount OR NOT budget") == 3);
    CHECK(terms(c, "NEAR(price discount, 5)") == 2);
    CHECK(terms(c, "text: pricing") == 1);
    CHECK(terms(c, "{text other}: pricing") == 1);
    CHECK(terms(c, "\"New York\" OR cafe*") == 3);
    CHECK(terms(c, "\"say \"\"hi\"\"\"") == 2);
    CHECK(terms(c, "and or") == 2); /* lowercase: words, not operators */

    CHECK(strcmp(marked(c, "cafe", "Un Café, deux CAFES et un café.", &b),
                 "Un [Café], deux CAFES et un [café].") == 0);
    CHECK(strcmp(marked(c, "caf*", "Un Café, deux CAFES.", &b), "Un [Café], deux [CAFES].") == 0);
    CHECK(strcmp(marked(c, "\"new york\"", "New York, new yorkers", &b),
                 "[New] [York], [new] yorkers") == 0);
    CHECK(strcmp(marked(c, "jurgen", "Hi Jürgen!", &b), "Hi [Jürgen]!") == 0);
    CHECK(strcmp(marked(c, "zzz", "nothing here", &b), "nothing here") == 0);

    /* a long sentence: a window around the first match, cut at spaces, with ellipses */
    for (size_t i = 0, at = 0; i < 100; i++) {
        const char *w = i == 60 ? "target " : "word ";

        memcpy(long_text + at, w, strlen(w) + 1);
        at += strlen(w);
    }
    marked(c, "target", long_text, &b);
    CHECK(strstr(b.data, "[target]") != NULL);
    CHECK(strncmp(b.data, "…", 3) == 0 && strcmp(b.data + b.len - 3, "…") == 0);
    CHECK(b.len < SEARCH_SNIPPET_MAX + 20);
    CHECK(strstr(b.data, "… word") == b.data || strncmp(b.data, "…word", 6) == 0);
    sqlite3_close(c);
    buf_release(&b);
}

/* A callmine_tf blob: N rows, then the phrase counts. */
static int add(struct search_rank *r, int64_t call, int64_t line, int64_t rows, int n,
               const uint16_t *tf)
{
    unsigned char blob[8 + 2 * 4];
    struct err e = {0};

    memcpy(blob, &rows, 8);
    memcpy(blob + 8, tf, 2 * (size_t)n);
    return search_rank_add(r, call << 20 | line, blob, 8 + 2 * (size_t)n, &e);
}

static void test_rank(void)
{
    struct search_rank r;
    const uint16_t once[] = {1, 0}, twice[] = {2, 0}, rare[] = {0, 1}, both[] = {1, 1};

    /* one word: more instances first; equal scores: each call's first sentence, newest first */
    search_rank_init(&r);
    CHECK(add(&r, 1, 5, 1000, 1, once) == ERR_OK);
    CHECK(add(&r, 1, 6, 1000, 1, once) == ERR_OK);
    CHECK(add(&r, 2, 1, 1000, 1, once) == ERR_OK);
    CHECK(add(&r, 3, 9, 1000, 1, twice) == ERR_OK);
    search_rank_sort(&r);
    CHECK(r.n == 4 && r.c[0].rowid == (3 << 20 | 9));
    CHECK(r.c[1].rowid == (2 << 20 | 1) && r.c[2].rowid == (1 << 20 | 6));
    CHECK(r.c[3].rowid == (1 << 20 | 5));
    CHECK(r.c[0].score > r.c[1].score && r.c[1].score == r.c[3].score && r.c[3].score > 0);
    search_rank_release(&r);

    /* a OR b: the rarer word weighs more; both words beat either */
    search_rank_init(&r);
    for (int i = 0; i < 50; i++)
        CHECK(add(&r, 10 + i, 0, 1000, 2, once) == ERR_OK);
    CHECK(add(&r, 7, 0, 1000, 2, rare) == ERR_OK);
    CHECK(add(&r, 8, 0, 1000, 2, both) == ERR_OK);
    search_rank_sort(&r);
    CHECK(r.c[0].rowid == (8 << 20) && r.c[1].rowid == (7 << 20));
    CHECK(r.c[1].score > r.c[2].score);
    search_rank_release(&r);
}

int main(void)
{
    test_index();
    test_terms();
    test_rank();
    return CHECK_DONE("test_search_index");
}
