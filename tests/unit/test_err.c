/* test_err: errors carry codes that decisions read (the SQLite extended code from db.c, the
 * HTTP status from gong.c), err_set clears them, err_wrap keeps them. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "err.h"

int main(void)
{
    struct err e = {0};
    sqlite3 *db = NULL;
    char path[] = "/tmp/callmine-test-err-XXXXXX";
    int fd;

    CHECK(db_open_rw(":memory:", &db, &e) == ERR_OK);
    CHECK(db_exec(db, "SELECT * FROM no_such_table", &e) == ERR_DB);
    CHECK(e.sqlite_code == SQLITE_ERROR && e.http_status == 0);
    CHECK(db_exec(db,
                  "INSERT INTO sync_state(key) VALUES ('k'); INSERT INTO sync_state(key) "
                  "VALUES ('k')",
                  &e) == ERR_DB);
    CHECK(e.sqlite_code == SQLITE_CONSTRAINT_PRIMARYKEY);
    CHECK(err_sqlite_primary(&e) == SQLITE_CONSTRAINT);
    err_wrap(&e, "outer");
    CHECK(e.sqlite_code == SQLITE_CONSTRAINT_PRIMARYKEY && strncmp(e.msg, "outer: ", 7) == 0);
    err_set(&e, ERR_HTTP, "x");
    CHECK(e.sqlite_code == 0 && e.http_status == 0);
    err_detail(&e, 403, 0);
    CHECK(e.http_status == 403);
    err_clear(&e);
    CHECK(e.code == ERR_OK && e.http_status == 0 && e.sqlite_code == 0 && !e.msg[0]);
    sqlite3_close(db);

    /* a file that is not SQLite: decided by SQLITE_NOTADB, not by the message */
    fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, "this is not sqlite, not at all, really not", 42) == 42);
    close(fd);
    db = NULL;
    CHECK(db_open_rw(path, &db, &e) == ERR_DB && db == NULL);
    CHECK(strstr(e.msg, "is not a SQLite database") != NULL);
    unlink(path);
    return CHECK_DONE("test_err");
}
