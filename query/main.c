/* callmine-query: answer questions from a callmine mirror, offline.
 *
 * main() reads the global options (--db, --format, --help), then dispatches on the command
 * name through the table below. Each command lives in its own cmd_*.c, prints data on
 * stdout and returns an ERR_* code; main() prints the one-line error and picks the exit
 * status (0 ok, 1 failure, 2 usage). Only `export` writes, and only its OUT.db. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "filter.h"
#include "suggest.h"
#include "version.h"

#include "banned.h"

static const struct command {
    const char *name;
    cmd_fn fn;
    const char *usage; /* synopsis, then an example on the next line */
} commands[] = {
    {"sql", cmd_sql,
     "sql SQL                  run read-only SQL ('-' reads it from stdin)\n"
     "      callmine-query sql \"SELECT stage, count(*) FROM deals GROUP BY stage\""},
    {"calls", cmd_calls,
     "calls [FILTERS]          the calls that match, with a count line on stderr\n"
     "      callmine-query calls --from 2024-01-01 --stage closedwon,closedlost"},
    {"show", cmd_show,
     "show CALL_ID             one call: deal then and now, Gong's notes, transcript (paged)\n"
     "      callmine-query show 7782342274025937895"},
    {"grep", cmd_grep,
     "grep PATTERN [FILTERS]   PCRE2 search over transcript sentences\n"
     "        [-i] [--speaker rep|customer|all] [-C N] [-c] [-l] [--max-hits N]\n"
     "      callmine-query grep -i '\\b(pric(e|ing)|discount\\w*)' --speaker customer -C 1"},
    {"search", cmd_search,
     "search QUERY [FILTERS]   ranked full-text search over transcript sentences\n"
     "        [--speaker rep|customer|all] [--limit N]\n"
     "      callmine-query search '\"too expensive\" OR pricing' --outcome lost --speaker "
     "customer"},
    {"analyze", cmd_analyze,
     "analyze NAME [ARGS] [FILTERS]  an analysis, one row per group\n"
     "        [--by rep|stage|month|week|outcome|company-size|call|all] [--speaker WHO] [-i]\n"
     "      callmine-query analyze --list; callmine-query analyze talk-ratio --from 2024-01-01"},
    {"report", cmd_report,
     "report [FILTERS] -o FILE.html  a self-contained HTML report with charts\n"
     "      callmine-query report --from 2024-01-01 --mention Clarivox -o q1.html"},
    {"export", cmd_export,
     "export OUT.db [FILTERS]  a filtered copy for sharing\n"
     "        [--redact] [--no-transcripts] [--force]\n"
     "      callmine-query export acme.db --rep dana --from 2024-01-01 --redact"},
    {"mcp", cmd_mcp,
     "mcp [--redact] [--no-sql]  a read-only MCP server on stdin/stdout for AI assistants\n"
     "      callmine-query --db ~/calls.db mcp --redact"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *fp)
{
    fprintf(fp,
            "callmine-query: answer questions from a callmine mirror, offline and read-only.\n"
            "\n"
            "Usage: %s [--db FILE] [--format FORMAT] COMMAND [ARGS]\n"
            "\n"
            "Commands:\n",
            CMD_PROG);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(fp, "  %s\n", commands[i].usage);
    fprintf(fp,
            "  help COMMAND             the options of one command (also COMMAND --help)\n"
            "\n"
            "Options (before or after the command):\n"
            "  --db FILE          the mirror to read (default: $CALLMINE_DB, else ./callmine.db);\n"
            "                     it is opened read-only and never changed\n"
            "  --format FORMAT    %s\n"
            "                     default: table on a terminal, tsv when piped (sql, calls);\n"
            "                     grep and show print readable text unless a format is given\n"
            "  --stages FILE      closed stages of other pipelines, lines such as\n"
            "                     'won = Signed, Live' and 'lost = Churned' (default:\n"
            "                     ~/.config/callmine/stages.conf when it exists)\n"
            "  --version          print the version and the schema version, then exit\n"
            "  -h, --help         this help\n"
            "\n"
            "%s"
            "\n"
            "Formats:\n"
            "  table     aligned columns; NULL shows as NULL; on a terminal it fits the width\n"
            "            (long text cut with an ellipsis, ids and links kept whole)\n"
            "  csv       RFC 4180, CRLF line ends; NULL is an empty field, '' is \"\"\n"
            "  tsv       one line per row, \\t \\n \\r \\\\ escaped; NULL is \\N\n"
            "  json      one array of objects keyed by column name\n"
            "  jsonl     one object per line (grep: one per hit)\n"
            "  markdown  a Markdown table\n"
            "\n"
            "Exit status: 0 done, 1 failure, 2 usage error; errors are one line on stderr.\n",
            OUT_FORMATS, filter_help);
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* The usage error for an unknown command name, with the closest command when one is near. */
static int unknown_command(const char *name, struct err *e)
{
    const char *names[N_COMMANDS + 1], *near;

    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    names[N_COMMANDS] = "help";
    if ((near = suggest_word(name, names, N_COMMANDS + 1)))
        return err_set(e, ERR_USAGE, "unknown command '%s': did you mean '%s'?", name, near);
    return err_set(e, ERR_USAGE, "unknown command '%s' (see %s --help)", name, CMD_PROG);
}

/* Parse the options before the command into c. Returns ERR_OK, ERR_USAGE, or -1 after
 * printing the help or the version. */
static int parse_global(int argc, char **argv, struct cmd_ctx *c, struct err *e)
{
    static const struct option longopts[] = {
        {"db", 1, NULL, CMD_OPT_DB},         {"format", 1, NULL, CMD_OPT_FORMAT},
        {"stages", 1, NULL, CMD_OPT_STAGES}, {"help", 0, NULL, 'h'},
        {"version", 0, NULL, 'V'},           {NULL, 0, NULL, 0},
    };
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return -1;
        }
        if (opt == 'V') {
            printf("%s %s (schema %d)\n", CMD_PROG, CALLMINE_VERSION, DB_SCHEMA_VERSION);
            return -1;
        }
        if (opt == '?' || opt == ':') {
            const char *word = argv[optind - 1], *near;

            if (opt == '?' && word[0] == '-' && word[1] == '-' &&
                (near = suggest_option(word, longopts)))
                return err_set(e, ERR_USAGE, "unknown option '%.*s': did you mean '--%s'?",
                               (int)strcspn(word, "="), word, near);
            return err_set(e, ERR_USAGE, "%s option '%s' (see %s --help)",
                           opt == ':' ? "missing value for" : "unknown", word, CMD_PROG);
        }
        if ((rc = cmd_common_option(c, opt, optarg, e)))
            return rc;
    }
    return ERR_OK;
}

int main(int argc, char **argv)
{
    struct cmd_ctx c = {0};
    struct err e = {0};
    const struct command *cmd;
    const char *env = getenv("CALLMINE_DB");
    int rc;

    /* a file size limit (RLIMIT_FSIZE) must make export's write() fail with EFBIG, reported
     * as a full disk, rather than kill the process */
    signal(SIGXFSZ, SIG_IGN);
    /* Each connection is used by one thread only (grep's workers open their own), and no
     * one reads SQLite's memory statistics: both settings drop a global mutex that would
     * otherwise serialise the threads. All settings must precede the first connection. */
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* export ATTACHes its source as file:PATH?mode=ro whatever the library's default */
    sqlite3_config(SQLITE_CONFIG_URI, 1);
    c.db_path = env && *env ? env : "./callmine.db";
    c.stdout_tty = isatty(STDOUT_FILENO);
    rc = parse_global(argc, argv, &c, &e);
    if (rc == -1)
        return 0;
    if (rc)
        goto fail;
    if (optind >= argc) {
        err_set(&e, ERR_USAGE, "no command given (see %s --help)", CMD_PROG);
        goto fail;
    }
    if (strcmp(argv[optind], "help") == 0) {
        if (optind + 1 >= argc) {
            usage(stdout);
            return 0;
        }
        if (!(cmd = find_command(argv[optind + 1]))) {
            unknown_command(argv[optind + 1], &e);
            goto fail;
        }
        {
            char *help_argv[] = {argv[optind + 1], (char *)"--help", NULL};

            optind = 0;
            rc = cmd->fn(&c, 2, help_argv, &e);
        }
    } else {
        int sub_argc = argc - optind;
        char **sub_argv = argv + optind;

        if (!(cmd = find_command(argv[optind]))) {
            unknown_command(argv[optind], &e);
            goto fail;
        }
        optind = 0; /* GNU getopt: start afresh on the command's arguments */
        rc = cmd->fn(&c, sub_argc, sub_argv, &e);
    }
    if (fflush(stdout) != 0 && !rc)
        rc = err_set(&e, ERR_IO, "write output: failed");
    if (!rc)
        return 0;
fail:
    fprintf(stderr, "%s: %s\n", CMD_PROG, e.msg[0] ? e.msg : "failed");
    return e.code == ERR_USAGE ? 2 : 1;
}
