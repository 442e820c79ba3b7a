/* cmd: the commands of callmine-query and what they share.
 *
 * main() parses the global options into a struct cmd_ctx and calls the command's function
 * with the command's own arguments (argv[0] is the command name). A command parses its
 * options with getopt_long (CMD_COMMON_OPTIONS lets --db, --format and --help also follow
 * the command), prints its data on stdout, and returns ERR_OK or an ERR_* code with the
 * message in e; main() prints the message and turns ERR_USAGE into exit status 2, any other
 * failure into 1. Helpers here are static inline so that every command object links on its
 * own (the unit tests link all of query/ but main.c). */
#ifndef CALLMINE_CMD_H
#define CALLMINE_CMD_H

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "ext.h"
#include "out.h"
#include "stages.h"
#include "suggest.h"

#define CMD_PROG "callmine-query"

struct cmd_ctx {
    const char *db_path;    /* --db, else $CALLMINE_DB, else ./callmine.db */
    int format_set;         /* --format was given */
    enum out_format format; /* meaningful when format_set */
    int stdout_tty;         /* stdout is a terminal */
    const char *stages;     /* --stages FILE, else NULL (the default stages config) */
};

typedef int (*cmd_fn)(struct cmd_ctx *c, int argc, char **argv, struct err *e);

int cmd_sql(struct cmd_ctx *c, int argc, char **argv, struct err *e);
int cmd_calls(struct cmd_ctx *c, int argc, char **argv, struct err *e);
int cmd_show(struct cmd_ctx *c, int argc, char **argv, struct err *e);
int cmd_grep(struct cmd_ctx *c, int argc, char **argv, struct err *e);
int cmd_export(struct cmd_ctx *c, int argc, char **argv, struct err *e);
int cmd_analyze(struct cmd_ctx *c, int argc, char **argv, struct err *e);
int cmd_report(struct cmd_ctx *c, int argc, char **argv, struct err *e);
int cmd_search(struct cmd_ctx *c, int argc, char **argv, struct err *e);
int cmd_mcp(struct cmd_ctx *c, int argc, char **argv, struct err *e);

/* `show CALL_ID --format json`'s object for call id, read through db, into out (replaced),
 * with only the transcript lines from first on, at most max_lines of them and while the
 * object stays under max_bytes (0: no limit); *next is the line a next page starts at, 0
 * when the transcript is complete. ERR_NOTFOUND when there is no such call. (cmd_show.c) */
int cmd_show_json(sqlite3 *db, const char *id, size_t first, size_t max_lines, size_t max_bytes,
                  struct buf *out, size_t *next, struct err *e);

/* `show CALL_ID --format json`'s object for call id, read through db, into out (replaced),
 * with only the transcript lines from first on, at most max_lines of them and while the
 * object stays under max_bytes (0: no limit); *next is the line a next page starts at, 0
 * when the transcript is complete. ERR_NOTFOUND when there is no such call. (cmd_show.c) */
int cmd_show_json(sqlite3 *db, const char *id, size_t first, size_t max_lines, size_t max_bytes,
                  struct buf *out, size_t *next, struct err *e);

enum { CMD_OPT_DB = 0x2000, CMD_OPT_FORMAT, CMD_OPT_HELP, CMD_OPT_STAGES };

/* struct option entries every command accepts. */
#define CMD_COMMON_OPTIONS                                                                         \
    {"db", 1, NULL, CMD_OPT_DB}, {"format", 1, NULL, CMD_OPT_FORMAT},                              \
        {"stages", 1, NULL, CMD_OPT_STAGES},                                                       \
    {                                                                                              \
        "help", 0, NULL, CMD_OPT_HELP                                                              \
    }

/* cmd_common_option()'s answer for an option that is not a common one: the caller offers it
 * to the next handler (filter_option). Not an error, so not an ERR_* code. */
#define CMD_PASS (-1)

/* Handle a common option: ERR_OK when done, ERR_USAGE for a bad value, CMD_PASS when opt
 * is not one (CMD_OPT_HELP is left to the command). */
static inline int cmd_common_option(struct cmd_ctx *c, int opt, const char *arg, struct err *e)
{
    switch (opt) {
    case CMD_OPT_DB:
        if (!*arg)
            return err_set(e, ERR_USAGE, "--db: give a file name");
        c->db_path = arg;
        return ERR_OK;
    case CMD_OPT_FORMAT: c->format_set = 1; return out_parse_format(arg, &c->format, e);
    case CMD_OPT_STAGES:
        if (!*arg)
            return err_set(e, ERR_USAGE, "--stages: give a file name");
        c->stages = arg;
        return ERR_OK;
    default: return CMD_PASS;
    }
}

/* The usage error for getopt's '?' or ':' (optstring must start with ':'), with a "did you
 * mean" from opts (the command's long options) for an unknown long option. Commands call it
 * as cmd_bad_option(cmd, opt, argv, e) with their option array named longopts in scope. */
static inline int cmd_bad_option_in(const char *cmd, int opt, char **argv,
                                    const struct option *opts, struct err *e)
{
    const char *word = optind > 0 ? argv[optind - 1] : "?", *near;

    if (opt == ':')
        return err_set(e, ERR_USAGE, "%s: option '%s' needs a value (see %s %s --help)", cmd, word,
                       CMD_PROG, cmd);
    if (optopt && optopt < 0x100 && word[0] == '-' && word[1] != '-')
        return err_set(e, ERR_USAGE, "%s: unknown option '-%c' (see %s %s --help)", cmd, optopt,
                       CMD_PROG, cmd);
    if (word[0] == '-' && word[1] == '-' && (near = suggest_option(word, opts)))
        return err_set(e, ERR_USAGE, "%s: unknown option '%.*s': did you mean '--%s'?", cmd,
                       (int)strcspn(word, "="), word, near);
    return err_set(e, ERR_USAGE, "%s: unknown option '%s' (see %s %s --help)", cmd, word, CMD_PROG,
                   cmd);
}

#define cmd_bad_option(cmd, opt, argv, e) cmd_bad_option_in(cmd, opt, argv, longopts, e)

/* The output format for a tabular command: --format, else table on a terminal, else tsv. */
static inline enum out_format cmd_table_format(const struct cmd_ctx *c)
{
    return c->format_set ? c->format : c->stdout_tty ? OUT_TABLE : OUT_TSV;
}

/* Open c->db_path read-only as an untrusted mirror, register the SQL functions (regexp,
 * regexp_count, regexp_substr, transcript_text) and apply the stages config (--stages, else
 * the default file; stages.h), so call_facts.outcome is the same for every command and
 * query on the connection. *db is NULL on failure. */
static inline int cmd_open_db(const struct cmd_ctx *c, sqlite3 **db, struct err *e)
{
    int rc = db_open_ro(c->db_path, db, e);

    if (rc)
        return rc;
    /* reads through the page cache cost a system call each; a mapping costs none. TEMP
     * objects go to a file, never RAM, whatever the scope's size; set before any exists,
     * since changing temp_store drops them. */
    sqlite3_exec(*db, "PRAGMA mmap_size = 2147418112; PRAGMA temp_store = FILE", NULL, NULL, NULL);
    if (sqlite3_callmine_init(*db, NULL, NULL) != SQLITE_OK)
        rc = db_error(*db, e, "register SQL functions");
    else
        rc = stages_apply(*db, c->stages, e);
    if (rc) {
        sqlite3_close(*db);
        *db = NULL;
    }
    return rc;
}

/* Prepare sql on db; ERR_DB with SQLite's message (not the SQL) on failure. */
static inline int cmd_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return err_set(e, ERR_DB, "query the mirror: %s", sqlite3_errmsg(db));
    }
    return ERR_OK;
}

#endif
