/* test_search_window: the window of a search read on one connection and read with its long
 * slices split over two connections and threads (search_window.h) is the same window: the
 * same rows in the same order with the same phrase counts, and the same totals.
 *
 * A mirror file of 20,000 calls (the split needs slices of 8,192 calls and a second
 * connection, so not :memory:), three sentences each: one in every call holds "the deal", one
 * in every seventh "they reached out to us". Queries: the rare phrase with a top-N window
 * and with no window (read to the oldest call), a phrase that fills the window, and the rare
 * phrase under a --where filter (the peer tests the same kept calls). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "filter.h"
#include "search_rank.h"
#include "search_window.h"

#define CALLS 20000

static char path[] = "/tmp/test_search_window_XXXXXX";
static int peers_opened;

static void fill(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *call = NULL, *num = NULL, *sent = NULL;
    struct err e = {0};
    char id[32], text[64];

    CHECK(db_open_rw(path, &db, &e) == ERR_OK);
    CHECK(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO calls(id, duration) VALUES (?1, ?2)", -1, &call,
                             NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO search_calls(num, call_id) VALUES (?1, ?2)", -1, &num,
                             NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO search_sentences(rowid, text) VALUES (?1, ?2)", -1,
                             &sent, NULL) == SQLITE_OK);
    for (int64_t n = 1; n <= CALLS; n++) {
        snprintf(id, sizeof id, "c%lld", (long long)n);
        sqlite3_bind_text(call, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(call, 2, n % 3 == 0 ? 600 : 60);
        CHECK(sqlite3_step(call) == SQLITE_DONE);
        sqlite3_reset(call);
        sqlite3_bind_int64(num, 1, n);
        sqlite3_bind_text(num, 2, id, -1, SQLITE_TRANSIENT);
        CHECK(sqlite3_step(num) == SQLITE_DONE);
        sqlite3_reset(num);
        for (int64_t line = 0; line < 3; line++) {
            if (line == 0)
                snprintf(text, sizeof text, "hello number %lld", (long long)n);
            else if (line == 1)
                snprintf(text, sizeof text, "the deal is close");
            else
                snprintf(text, sizeof text, n % 7 ? "we talked" : "they reached out to us");
            sqlite3_bind_int64(sent, 1, n << 20 | line);
            sqlite3_bind_text(sent, 2, text, -1, SQLITE_TRANSIENT);
            CHECK(sqlite3_step(sent) == SQLITE_DONE);
            sqlite3_reset(sent);
        }
    }
    CHECK(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_finalize(call);
    sqlite3_finalize(num);
    sqlite3_finalize(sent);
    sqlite3_close(db);
}

static int open_peer(void *ctx, sqlite3 **db, struct err *e)
{
    int rc;

    (void)ctx;
    if ((rc = db_open_ro(path, db, e)))
        return rc;
    peers_opened++;
    return db_exec(*db, "BEGIN", e);
}

/* The window for query (limit, filter f) with or without the peer. */
static void window(sqlite3 *db, const char *query, size_t limit, const struct filter *f, int split,
                   struct search_rank *w, struct search_totals *t)
{
    struct search_opts o = {.query = query, .f = f, .limit = limit, .on = "*", .off = "*"};
    struct err e = {0};

    if (split)
        o.open_peer = open_peer;
    memset(t, 0, sizeof *t);
    search_rank_init(w);
    CHECK(search_window_read(db, &o, 1, w, t, &e) == ERR_OK);
}

static void same_window(sqlite3 *db, const char *query, size_t limit, const struct filter *f,
                        size_t want)
{
    struct search_rank one, two;
    struct search_totals t1, t2;
    int before = peers_opened;
    size_t differ = 0;

    window(db, query, limit, f, 0, &one, &t1);
    window(db, query, limit, f, 1, &two, &t2);
    CHECK(one.n == want);
    CHECK(two.n == one.n);
    CHECK(t1.matches == t2.matches && t1.capped == t2.capped);
    CHECK(one.phrases == two.phrases && one.rows == two.rows);
    for (size_t i = 0; i < one.n && i < two.n; i++)
        differ += one.c[i].rowid != two.c[i].rowid;
    CHECK(differ == 0);
    if (one.n == two.n && one.phrases > 0)
        CHECK(memcmp(one.tf, two.tf, one.n * (size_t)one.phrases * 2) == 0);
    CHECK(peers_opened == before + 1); /* a slice was long enough: the peer read half of it */
    search_rank_release(&one);
    search_rank_release(&two);
}

int main(void)
{
    sqlite3 *db = NULL;
    struct filter all, longer;
    struct err e = {0};
    int fd = mkstemp(path);

    CHECK(fd >= 0);
    close(fd);
    unlink(path);
    fill();
    CHECK(db_open_ro(path, &db, &e) == ERR_OK);
    CHECK(search_rank_register(db, &e) == ERR_OK);
    CHECK(db_exec(db, "BEGIN", &e) == ERR_OK);
    filter_init(&all);
    filter_init(&longer);
    CHECK(filter_option(&longer, FILTER_OPT_WHERE, "duration > 100", &e) == ERR_OK);

    same_window(db, "\"reached out to us\"", 20, &all, CALLS / 7);
    same_window(db, "\"reached out to us\"", 0, &all, CALLS / 7);
    same_window(db, "\"reached out to us\"", 20, &longer, CALLS / 21);
    same_window(db, "\"reached out\" OR \"deal is\"", 20, &all, SEARCH_RANK_WINDOW);

    filter_release(&all);
    filter_release(&longer);
    sqlite3_close(db);
    unlink(path);
    for (const char *ext = "-wal"; ext; ext = strcmp(ext, "-wal") == 0 ? "-shm" : NULL) {
        char p[sizeof path + 8];

        snprintf(p, sizeof p, "%s%s", path, ext);
        unlink(p);
    }
    return CHECK_DONE("test_search_window");
}
