/* test_analysis: the header comment of an analysis file, the built-in analyses, the stages
 * file and running a multi-statement analysis with its bound parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "analysis.h"
#include "check.h"
#include "embedded.h"

#include "banned.h"

static int parses(const char *name, const char *text, const char *summary, const char *by,
                  int pattern)
{
    struct analysis a;
    struct err e = {0};
    int ok;

    if (analysis_parse(name, text, "test", &a, &e) != ERR_OK) {
        fprintf(stderr, "  %s: %s\n", name, e.msg);
        return 0;
    }
    ok = strcmp(a.summary, summary) == 0 && strcmp(a.by, by) == 0 && a.needs_pattern == pattern &&
         strcmp(a.name, name) == 0;
    if (!ok)
        fprintf(stderr, "  %s: summary '%s' by '%s' %d\n", name, a.summary, a.by, a.needs_pattern);
    analysis_release(&a);
    return ok;
}

static int refuses(const char *name, const char *text, const char *part)
{
    struct analysis a;
    struct err e = {0};

    return analysis_parse(name, text, "f.sql", &a, &e) == ERR_USAGE && strstr(e.msg, part);
}

int main(void)
{
    struct analysis_set set;
    struct analysis a;
    struct err e = {0};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char path[] = "/tmp/test_analysis_XXXXXX";
    size_t n = 0;
    FILE *fp;
    int fd;

    CHECK(parses("x", "-- x: the thing\n-- more\nSELECT 1", "the thing", "rep", 0));
    CHECK(parses("x",
                 "  --   plain summary  \n--\n-- @by: month\n-- @args: PATTERN\n"
                 "-- @needs: conv\nSELECT 1",
                 "plain summary", "month", 1)); /* @needs of older files: accepted */
    CHECK(parses("y-2_z", "-- y-2_z: s\n-- @by: all\n\n-- @by: week\nSELECT 1", "s", "all", 0));
    CHECK(refuses("x", "SELECT 1", "comment line"));
    CHECK(refuses("x", "-- x:   \nSELECT 1", "comment line"));
    CHECK(refuses("Bad Name", "-- s\nSELECT 1", "lowercase"));

    /* every built-in analysis documents itself */
    CHECK(analysis_set_load(&set, "/nonexistent/dir", &e) == ERR_USAGE);
    CHECK(strstr(e.msg, "/nonexistent/dir") != NULL);
    setenv("HOME", "/nonexistent", 1);
    unsetenv("XDG_CONFIG_HOME");
    CHECK(analysis_set_load(&set, NULL, &e) == ERR_OK);
    for (const struct embedded_file *f = embedded_analyses; f->name; f++)
        n++;
    CHECK(set.n == n && n >= 13);
    for (size_t i = 0; i < set.n; i++) {
        CHECK(strlen(set.a[i].summary) > 20 && strcmp(set.a[i].origin, "built-in") == 0);
        CHECK(i == 0 || strcmp(set.a[i - 1].name, set.a[i].name) < 0);
    }
    for (size_t i = 0; i < set.n; i++) /* the built-ins read call_metrics, not the old conv */
        CHECK(!strstr(set.a[i].text, "JOIN conv") && !strstr(set.a[i].text, "FROM conv") &&
              !strstr(set.a[i].text, "@needs"));
    CHECK(analysis_find(&set, "talk-ratio") &&
          strstr(analysis_find(&set, "talk-ratio")->text, "call_metrics"));
    CHECK(analysis_find(&set, "mentions") && analysis_find(&set, "mentions")->needs_pattern);
    CHECK(strcmp(analysis_find(&set, "real-rep")->by, "call") == 0);
    CHECK(analysis_find(&set, "nosuch") == NULL);
    analysis_set_release(&set);

    /* the stages file */
    sqlite3_open(":memory:", &db);
    CHECK((fd = mkstemp(path)) >= 0);
    fp = fdopen(fd, "w");
    fputs("# closed stages\nwon = Signed, Contract Executed  # comment\n\n LOST=dead\n", fp);
    fclose(fp);
    CHECK(analysis_stages(db, path, &e) == ERR_OK);
    CHECK(sqlite3_prepare_v2(db,
                             "SELECT group_concat(stage || ':' || outcome, ',') FROM (SELECT * "
                             "FROM stage_outcomes WHERE stage IN ('signed', 'CONTRACT EXECUTED',"
                             " 'Dead') ORDER BY stage)",
                             -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW &&
          strcmp((const char *)sqlite3_column_text(st, 0),
                 "Contract Executed:won,dead:lost,Signed:won") == 0);
    sqlite3_finalize(st);
    fp = fopen(path, "w");
    fputs("won = a\nnope\n", fp);
    fclose(fp);
    CHECK(analysis_stages(db, path, &e) == ERR_USAGE && strstr(e.msg, ":2:") != NULL);
    unlink(path);
    CHECK(analysis_stages(db, path, &e) == ERR_USAGE); /* a named file must exist */
    CHECK(analysis_stages(db, NULL, &e) == ERR_OK);    /* the default may be missing */

    /* several statements; the last one's rows are the result; parameters bound by name */
    CHECK(analysis_parse("t",
                         "-- t: test\n/* a comment; with a semicolon */\n"
                         "CREATE TEMP TABLE t AS SELECT :pattern AS p, :flags AS f;\n"
                         "-- between\nSELECT p, f, :speaker, :by FROM t;\n\n-- trailing\n",
                         "test", &a, &e) == ERR_OK);
    {
        struct analysis_params p = {"pat", "i", "customer", "month", NULL};

        CHECK(analysis_run(db, &a, &p, &st, &e) == ERR_OK && st);
        CHECK(sqlite3_step(st) == SQLITE_ROW);
        CHECK(strcmp((const char *)sqlite3_column_text(st, 0), "pat") == 0 &&
              strcmp((const char *)sqlite3_column_text(st, 1), "i") == 0 &&
              strcmp((const char *)sqlite3_column_text(st, 2), "customer") == 0 &&
              strcmp((const char *)sqlite3_column_text(st, 3), "month") == 0);
        sqlite3_finalize(st);
        CHECK(analysis_run(db, &a, &p, &st, &e) == ERR_DB && !st); /* t exists now */
        CHECK(strstr(e.msg, "analysis 't'") != NULL);
    }
    analysis_release(&a);
    CHECK(analysis_parse("u", "-- u: nothing\n", "test", &a, &e) == ERR_OK);
    {
        struct analysis_params p = {NULL, "", "all", "rep", NULL};

        CHECK(analysis_run(db, &a, &p, &st, &e) == ERR_USAGE && !st);
    }
    analysis_release(&a);
    sqlite3_close(db);
    return CHECK_DONE("test_analysis");
}
