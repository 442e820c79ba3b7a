/* err: the one error record every fallible function fills.
 *
 * A function that can fail returns ERR_OK or one of the codes below and writes a
 * one-line, lowercase "what failed: why" message into the caller's struct err.
 * Only main() prints it; code below main() never prints errors or exits. */
#ifndef CALLMINE_ERR_H
#define CALLMINE_ERR_H

enum {
    ERR_OK = 0,
    ERR_NOMEM,     /* out of memory */
    ERR_IO,        /* file system: open, write, disk full */
    ERR_HTTP,      /* network or HTTP failure that outlived its retries */
    ERR_PARSE,     /* malformed input: JSON, dates, numbers, blobs */
    ERR_DB,        /* SQLite */
    ERR_USAGE,     /* bad command line or configuration */
    ERR_AUTH,      /* 401 or 403: credentials or scope refused */
    ERR_BUDGET,    /* the daily request budget is spent */
    ERR_CURSOR,    /* the server says a paging cursor expired */
    ERR_INTERRUPT, /* SIGINT/SIGTERM asked us to stop */
    ERR_NOTFOUND,  /* a named thing does not exist (call id, file) */
    ERR_BUSY       /* another process is writing the same mirror */
};

#define ERR_MSG_MAX 256

/* Decisions read code, http_status and sqlite_code, never msg: msg is for people. */
struct err {
    int code;              /* ERR_*; ERR_OK when nothing failed */
    long http_status;      /* HTTP status behind the error (gong.c); 0 when none */
    int sqlite_code;       /* SQLite extended result code behind it (db.c); 0 when none */
    char msg[ERR_MSG_MAX]; /* "what failed: why", no newline, no full stop */
};

/* Record an error and return its code: `return err_set(e, ERR_DB, "...", ...);`.
 * Clears http_status and sqlite_code (the layer that knows them sets them after).
 * e may be NULL (the code is still returned). */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix the message already in e with more context: "outer: inner". Returns e->code, but
 * ERR_OK when e is NULL: code that may be called with a NULL e must keep and return its own
 * code instead of `return err_wrap(e, ...)`. */
int err_wrap(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record the HTTP status and SQLite extended code behind the error in e (NULL ok). */
void err_detail(struct err *e, long http_status, int sqlite_code);

/* The primary SQLite result code behind e (SQLITE_NOTADB, SQLITE_CORRUPT, ...), 0 if none. */
int err_sqlite_primary(const struct err *e);

/* Reset e to ERR_OK with an empty message. */
void err_clear(struct err *e);

#endif
