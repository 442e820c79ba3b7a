/* test_checkpoint: the sync_state keys round-trip through struct checkpoint (two int64 ms
 * for the window, never text), a mirror written by an earlier version loads, opening and
 * completing a window keep what they must, and sync_window() continues an open window
 * for the identical command line (its end fixed when it began). */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "checkpoint.h"
#include "config.h"
#include "db.h"
#include "sync.h"

#define DAY 86400000LL

static void base_config(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->from_ms = -1;
    c->to_ms = -1;
    c->overlap_ms = 2 * DAY;
}

int main(void)
{
    struct err e = {0};
    struct checkpoint cp, back;
    struct config c;
    sqlite3 *db = NULL;
    int64_t from, to, now = 1717200000000LL + 123;
    int resume;

    CHECK(db_open_rw(":memory:", &db, &e) == ERR_OK);
    checkpoint_init(&cp);
    checkpoint_init(&back);
    CHECK(checkpoint_load(db, &back, &e) == ERR_OK); /* a new mirror: nothing open */
    CHECK(!checkpoint_is_open(&back) && back.last_to == -1 && back.cursor == NULL);

    checkpoint_open_window(&cp, 1704067200000LL, 1714521600000LL);
    CHECK(checkpoint_set_cursor(&cp, "eyJzIjoxfQ", &e) == ERR_OK);
    cp.cursor_started = 1717000000000LL;
    cp.pages_done = 4;
    cp.calls_done = 400;
    cp.calls_total = 1234;
    cp.users_done = 1;
    CHECK(checkpoint_save(db, &cp, &e) == ERR_OK);
    CHECK(checkpoint_load(db, &back, &e) == ERR_OK);
    CHECK(back.window_from == 1704067200000LL && back.window_to == 1714521600000LL);
    CHECK(back.cursor && strcmp(back.cursor, "eyJzIjoxfQ") == 0);
    CHECK(back.cursor_started == 1717000000000LL && back.pages_done == 4);
    CHECK(back.calls_done == 400 && back.calls_total == 1234 && back.users_done == 1);
    CHECK(back.last_from == -1 && back.last_to == -1);

    /* the identical command line continues it, whatever "now" is */
    base_config(&c);
    c.from_ms = 1704067200000LL;
    CHECK(sync_window(&c, &back, now, &from, &to, &resume, &e) == ERR_OK);
    CHECK(resume && from == 1704067200000LL && to == 1714521600000LL);
    base_config(&c); /* no --from: the open window too */
    CHECK(sync_window(&c, &back, now, &from, &to, &resume, &e) == ERR_OK && resume);
    c.from_ms = 1704067200000LL + DAY; /* another --from: a new window up to now */
    CHECK(sync_window(&c, &back, now, &from, &to, &resume, &e) == ERR_OK);
    CHECK(!resume && to == now / 1000 * 1000);
    c.from_ms = 1704067200000LL; /* another --to: a new window */
    c.to_ms = 1714521600000LL + DAY;
    CHECK(sync_window(&c, &back, now, &from, &to, &resume, &e) == ERR_OK && !resume);

    /* completing keeps the bounds as the last window; the next run starts from its end
     * minus the overlap */
    checkpoint_complete(&back);
    CHECK(!checkpoint_is_open(&back) && back.cursor == NULL && back.users_done == 0);
    CHECK(back.last_from == 1704067200000LL && back.last_to == 1714521600000LL);
    CHECK(checkpoint_save(db, &back, &e) == ERR_OK);
    CHECK(checkpoint_load(db, &cp, &e) == ERR_OK);
    CHECK(!checkpoint_is_open(&cp) && cp.last_to == 1714521600000LL);
    base_config(&c);
    CHECK(sync_window(&c, &cp, now, &from, &to, &resume, &e) == ERR_OK);
    CHECK(!resume && from == 1714521600000LL - 2 * DAY && to == now / 1000 * 1000);

    /* a first run without --from is a usage error */
    checkpoint_release(&cp);
    CHECK(sync_window(&c, &cp, now, &from, &to, &resume, &e) == ERR_USAGE);
    CHECK(strstr(e.msg, "--from") != NULL);

    /* the keys as an earlier version wrote them load the same */
    CHECK(db_exec(db,
                  "DELETE FROM sync_state; INSERT INTO sync_state VALUES ('window_from', "
                  "'1704067200000'), ('window_to', '1714521600000'), ('cursor', 'abc'), "
                  "('cursor_started', '5'), ('pages_done', '2'), ('calls_total', '250')",
                  &e) == ERR_OK);
    CHECK(checkpoint_load(db, &cp, &e) == ERR_OK);
    CHECK(checkpoint_is_open(&cp) && cp.pages_done == 2 && cp.calls_done == 0);
    CHECK(cp.cursor && strcmp(cp.cursor, "abc") == 0 && cp.calls_total == 250);

    checkpoint_release(&cp);
    checkpoint_release(&back);
    sqlite3_close(db);
    return CHECK_DONE("test_checkpoint");
}
