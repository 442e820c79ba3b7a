/* stages: the stages config -> temp.stage_outcomes and TEMP VIEW call_facts (see stages.h).
 *
 * call_facts is always this binary's own definition, as a TEMP view (a shared file's view
 * is not trusted): the stored facts (main.call_facts_stored, which db_check_mirror made sure
 * is a plain table) read with this binary's column list, or, while a first load has not
 * built them yet (meta 'facts'), call_facts_live as this binary defines it
 * (sql/004-facts.sql). With a stages file, only outcome is replaced, by the file's word for
 * the Now stage when it names that stage. */
#include "stages.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "embedded.h"

#include "banned.h"

static int exec(sqlite3 *db, const char *sql, struct err *e)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return err_set(e, ERR_DB, "stages: %s", sqlite3_errmsg(db));
    return ERR_OK;
}

/* The file to read: path, else the XDG or HOME default (*optional set: may be missing).
 * ERR_NOTFOUND when there is no default (neither variable set). */
static int stages_path(const char *path, struct buf *out, int *optional, struct err *e)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

    *optional = !path;
    if (path)
        return buf_puts(out, path, e);
    if (xdg && *xdg)
        return buf_printf(out, e, "%s/callmine/stages.conf", xdg);
    if (home && *home)
        return buf_printf(out, e, "%s/.config/callmine/stages.conf", home);
    return ERR_NOTFOUND;
}

/* Read a whole file of at most STAGES_MAX_FILE bytes into b (NUL-terminated). */
static int read_file(const char *path, struct buf *b, struct err *e)
{
    char chunk[16384];
    size_t n;
    int rc = ERR_OK;
    FILE *fp = fopen(path, "rb");

    if (!fp)
        return err_set(e, ERR_USAGE, "stages file '%s': %s", path, strerror(errno));
    while (!rc && (n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (b->len + n > STAGES_MAX_FILE)
            rc = err_set(e, ERR_USAGE, "stages file '%s': larger than %zu bytes", path,
                         STAGES_MAX_FILE);
        else
            rc = buf_append(b, chunk, n, e);
    }
    if (!rc && ferror(fp))
        rc = err_set(e, ERR_IO, "stages file '%s': read failed", path);
    fclose(fp);
    if (!rc)
        rc = buf_append(b, "", 0, e);
    if (!rc && strlen(b->data) != b->len)
        rc = err_set(e, ERR_USAGE, "stages file '%s': contains a NUL byte", path);
    return rc;
}

/* Bounds of s[0..n) without surrounding white space. */
static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* Insert the stages of one "OUTCOME = A, B" line (comment already cut off). */
static int stage_line(sqlite3_stmt *ins, const char *path, int lineno, const char *line, int *rows,
                      struct err *e)
{
    const char *eq = strchr(line, '='), *word = line, *p;
    size_t n = eq ? (size_t)(eq - line) : 0;
    const char *outcome;

    if (!eq)
        return err_set(e, ERR_USAGE, "%s:%d: expected a line such as 'won = STAGE, STAGE'", path,
                       lineno);
    trim(&word, &n);
    if (n == 3 && strncasecmp(word, "won", 3) == 0)
        outcome = "won";
    else if (n == 4 && strncasecmp(word, "lost", 4) == 0)
        outcome = "lost";
    else if (n == 4 && strncasecmp(word, "open", 4) == 0)
        outcome = "open";
    else
        return err_set(e, ERR_USAGE, "%s:%d: '%.*s' is not won, lost or open", path, lineno,
                       (int)(n > 40 ? 40 : n), word);
    for (p = eq + 1; *p;) {
        const char *stage = p;
        size_t len = strcspn(p, ",");

        p += len + (p[len] == ',');
        trim(&stage, &len);
        if (!len)
            continue;
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, stage, (int)len, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, outcome, -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            return err_set(e, ERR_DB, "stages: %s", sqlite3_errmsg(sqlite3_db_handle(ins)));
        (*rows)++;
    }
    return ERR_OK;
}

/* Parse the file's text into temp.stage_outcomes; *rows counts the stages it names. */
static int load(sqlite3 *db, const char *path, char *text, int *rows, struct err *e)
{
    sqlite3_stmt *ins = NULL;
    int rc = ERR_OK, lineno = 0;

    *rows = 0;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO temp.stage_outcomes VALUES (?1, ?2)", -1,
                           &ins, NULL) != SQLITE_OK)
        return err_set(e, ERR_DB, "stages: %s", sqlite3_errmsg(db));
    for (char *p = text; !rc && p && *p;) {
        char *nl = strchr(p, '\n'), *hash, *s;

        if (nl)
            *nl = '\0';
        lineno++;
        if ((hash = strchr(p, '#')))
            *hash = '\0';
        for (s = p; isspace((unsigned char)*s); s++)
            ;
        if (*s)
            rc = stage_line(ins, path, lineno, s, rows, e);
        p = nl ? nl + 1 : NULL;
    }
    sqlite3_finalize(ins);
    return rc;
}

/* Append a quoted SQL identifier. */
static int ident(struct buf *b, const char *name, struct err *e)
{
    int rc = buf_putc(b, '"', e);

    for (const char *p = name; !rc && *p; p++)
        rc = *p == '"' ? buf_puts(b, "\"\"", e) : buf_putc(b, *p, e);
    return rc ? rc : buf_putc(b, '"', e);
}

/* The SELECT of call_facts_live as this binary defines it (sql/004-facts.sql), into b. */
static int builtin_select(struct buf *b, struct err *e)
{
    static const char head[] = "CREATE VIEW call_facts_live AS";

    for (const struct embedded_file *m = embedded_migrations; m->name; m++) {
        const char *p = strstr(m->text, head), *end;

        if (!p)
            continue;
        p += sizeof head - 1;
        if (!(end = strstr(p, ";\n")))
            break;
        return buf_append(b, p, (size_t)(end - p), e);
    }
    return err_set(e, ERR_DB, "stages: no call_facts definition is built in");
}

/* CREATE TEMP VIEW name AS SELECT f."col" AS "col", ... FROM src f, one column for each of
 * the built-in view's (PRAGMA table_info: this binary's list, whatever the file holds);
 * outcome_expr, when given, computes the outcome column instead (over f). */
static int column_view(sqlite3 *db, const char *name, const char *src, const char *outcome_expr,
                       struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc, n = 0;

    buf_init(&q, 0);
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('call_facts_builtin', 'temp')",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = err_set(e, ERR_DB, "stages: %s", sqlite3_errmsg(db));
        goto done;
    }
    rc = buf_printf(&q, e, "CREATE TEMP VIEW %s AS SELECT ", name);
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);

        if (!col)
            continue;
        if (n++ && (rc = buf_puts(&q, ", ", e)))
            break;
        if (outcome_expr && strcmp(col, "outcome") == 0)
            rc = buf_printf(&q, e, "%s AS outcome", outcome_expr);
        else if (!(rc = buf_puts(&q, "f.", e)) && !(rc = ident(&q, col, e)) &&
                 !(rc = buf_puts(&q, " AS ", e)))
            rc = ident(&q, col, e);
    }
    if (!rc && !(rc = buf_printf(&q, e, " FROM %s f", src)))
        rc = exec(db, q.data, e);
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

/* TEMP VIEW call_facts_src: the rows call_facts reads. The stored table (checked to be a
 * plain table when the file was opened, db_check_mirror), with this binary's column list;
 * while a first load builds it (meta 'facts', facts.h), the computing view instead. */
static int source_view(sqlite3 *db, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int stored;

    if (sqlite3_prepare_v2(db,
                           "SELECT EXISTS (SELECT 1 FROM main.sqlite_schema WHERE "
                           "name = 'call_facts_stored' AND type = 'table') AND NOT EXISTS "
                           "(SELECT 1 FROM main.meta WHERE key = 'facts')",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return err_set(e, ERR_DB, "stages: %s", sqlite3_errmsg(db));
    }
    stored = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (!stored)
        return exec(db, "CREATE TEMP VIEW call_facts_src AS SELECT * FROM temp.call_facts_builtin",
                    e);
    return column_view(db, "call_facts_src", "main.call_facts_stored", NULL, e);
}

/* CREATE TEMP VIEW call_facts from this binary's own definition, never the file's: a shared
 * file is untrusted, and a view named call_facts in it could answer anything (or never end).
 * With override, outcome comes from temp.stage_outcomes where the file names the Now stage;
 * the column list is read from the built-in view itself (PRAGMA table_info). */
static int create_view(sqlite3 *db, int override, struct err *e)
{
    struct buf q;
    sqlite3_stmt *st = NULL;
    int rc = ERR_OK;

    buf_init(&q, 0);
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM main.sqlite_schema WHERE name = 'call_metrics' "
                           "AND type = 'table'",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = err_set(e, ERR_DB, "stages: %s", sqlite3_errmsg(db));
        goto done;
    }
    if (sqlite3_step(st) != SQLITE_ROW) /* not a schema 2 mirror: nothing to define */
        goto done;
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = buf_puts(&q, "CREATE TEMP VIEW call_facts_builtin AS ", e)) ||
        (rc = builtin_select(&q, e)) || (rc = exec(db, q.data, e)) || (rc = source_view(db, e)))
        goto done;
    rc = override ? column_view(db, "call_facts", "temp.call_facts_src",
                                "CASE WHEN f.outcome IS NULL THEN NULL ELSE coalesce((SELECT "
                                "so.outcome FROM temp.stage_outcomes so WHERE so.stage = "
                                "f.stage), f.outcome) END",
                                e)
                  : exec(db, "CREATE TEMP VIEW call_facts AS SELECT * FROM temp.call_facts_src", e);
done:
    sqlite3_finalize(st);
    buf_release(&q);
    return rc;
}

int stages_apply(sqlite3 *db, const char *path, struct err *e)
{
    struct buf file, text;
    struct stat sb;
    int optional, rows = 0, rc;

    buf_init(&file, 0);
    buf_init(&text, 0);
    if ((rc = exec(db,
                   "DROP VIEW IF EXISTS temp.call_facts; DROP VIEW IF EXISTS temp.call_facts_src; "
                   "DROP VIEW IF EXISTS temp.call_facts_builtin; "
                   "DROP TABLE IF EXISTS temp.stage_outcomes;"
                   "CREATE TEMP TABLE stage_outcomes(stage TEXT PRIMARY KEY COLLATE NOCASE, "
                   "outcome TEXT NOT NULL)",
                   e)))
        goto done;
    if ((rc = stages_path(path, &file, &optional, e))) {
        if (rc != ERR_NOTFOUND)
            goto done;
        rc = ERR_OK;
        goto view;
    }
    if (optional && stat(file.data, &sb) != 0)
        goto view;
    if ((rc = read_file(file.data, &text, e)) || (rc = load(db, file.data, text.data, &rows, e)))
        goto done;
view:
    rc = create_view(db, rows > 0, e);
done:
    buf_release(&file);
    buf_release(&text);
    return rc;
}
