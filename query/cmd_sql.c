/* cmd_sql: `callmine-query sql SQL` runs read-only SQL against the mirror.
 *
 * The SQL comes from the arguments (joined by spaces) or, with '-', from stdin. Each
 * statement runs in turn; those that return columns are printed in the chosen format (tables
 * separated by a blank line). The connection is read-only and defensive; a statement that
 * would write is refused before it runs with a clear message. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#include "banned.h"

static const char sql_help[] =
    "Usage: callmine-query sql [--db FILE] [--format FORMAT] SQL\n"
    "       callmine-query sql - < query.sql\n"
    "\n"
    "Run read-only SQL against the mirror and print the rows. Several statements may be\n"
    "given; each result is printed in turn. Statements that write are refused.\n"
    "The tables are documented in the README: calls, users, parties, crm_fields, deals,\n"
    "transcripts, ...; regexp(), regexp_count(), regexp_substr() and transcript_text()\n"
    "are available.\n"
    "\n"
    "  --format FORMAT   table|csv|tsv|json|jsonl|markdown (default: table on a terminal,\n"
    "                    tsv when piped)\n"
    "\n"
    "Examples:\n"
    "  callmine-query sql \"SELECT stage, count(*) AS calls FROM deals GROUP BY stage\"\n"
    "  callmine-query sql --format jsonl \"SELECT id, title FROM calls WHERE title REGEXP "
    "'(?i)renewal'\"\n"
    "  callmine-query sql \"SELECT transcript_text(id) FROM calls LIMIT 1\"\n";

/* Read all of stdin into b (NUL-terminated). */
static int read_stdin(struct buf *b, struct err *e)
{
    char chunk[65536];
    size_t n;
    int rc;

    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        if ((rc = buf_append(b, chunk, n, e)))
            return rc;
    if (ferror(stdin))
        return err_set(e, ERR_IO, "sql: read SQL from stdin: failed");
    return buf_append(b, "", 0, e);
}

static int run_all(const struct cmd_ctx *c, sqlite3 *db, const char *sql, struct err *e)
{
    const char *p = sql, *tail = NULL;
    struct out *o = NULL;
    size_t results = 0, statements = 0;
    int rc = ERR_OK;

    o = out_new(stdout, cmd_table_format(c), c->stdout_tty ? OUT_TRUNCATE : 0);
    if (!o)
        return err_set(e, ERR_NOMEM, "sql: out of memory");
    while (p && *p) {
        sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(db, p, -1, &st, &tail) != SQLITE_OK) {
            rc = err_set(e, ERR_USAGE, "sql: %s", sqlite3_errmsg(db));
            break;
        }
        p = tail;
        if (!st) /* whitespace or a comment */
            continue;
        statements++;
        if (!sqlite3_stmt_readonly(st)) {
            rc = err_set(e, ERR_USAGE,
                         "sql: statement would write: the mirror is opened read-only "
                         "(use `export` for a copy you can change)");
            sqlite3_finalize(st);
            break;
        }
        if (sqlite3_column_count(st) > 0) {
            if (results++ && cmd_table_format(c) == OUT_TABLE)
                fputc('\n', stdout);
            if ((rc = out_stmt(o, st, NULL, e)) == ERR_DB)
                err_wrap(e, "sql"); /* SQLite's message, from stepping the statement */
        } else {
            int step;

            while ((step = sqlite3_step(st)) == SQLITE_ROW)
                ;
            if (step != SQLITE_DONE)
                rc = err_set(e, ERR_DB, "sql: %s", sqlite3_errmsg(db));
        }
        sqlite3_finalize(st);
        if (rc)
            break;
    }
    out_free(o);
    if (!rc && !statements)
        rc = err_set(e, ERR_USAGE, "sql: no SQL statement given");
    return rc;
}

int cmd_sql(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    static const struct option longopts[] = {CMD_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    struct buf sql;
    sqlite3 *db = NULL;
    int opt, rc = ERR_OK;

    buf_init(&sql, 0);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (opt == CMD_OPT_HELP) {
            fputs(sql_help, stdout);
            return ERR_OK;
        }
        if (opt == '?' || opt == ':')
            return cmd_bad_option("sql", opt, argv, e);
        if ((rc = cmd_common_option(c, opt, optarg, e)))
            return rc;
    }
    if (optind >= argc)
        return err_set(e, ERR_USAGE, "sql: give the SQL to run (see %s sql --help)", CMD_PROG);
    if (argc - optind == 1 && strcmp(argv[optind], "-") == 0) {
        rc = read_stdin(&sql, e);
    } else {
        for (int i = optind; i < argc && !rc; i++)
            rc = buf_printf(&sql, e, "%s%s", i > optind ? " " : "", argv[i]);
    }
    if (rc)
        goto done;
    if ((rc = cmd_open_db(c, &db, e)))
        goto done;
    rc = run_all(c, db, sql.data, e);
done:
    sqlite3_close(db);
    buf_release(&sql);
    return rc;
}
