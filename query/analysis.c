/* analysis: load the analyses, build the tables they read, run them (see analysis.h).
 *
 * The scope (scope.h) is built once per command from the filter's SQL; an analysis is plain
 * SQL over it and the mirror's semantic layer, so running one is preparing and stepping its
 * statements (after grep's engine has counted the pattern's hits, for one with a PATTERN). */
#include "analysis.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "embedded.h"
#include "mention_scan.h"
#include "stages.h"

#include "banned.h"

static int oom(struct err *e)
{
    return err_set(e, ERR_NOMEM, "analyses: out of memory");
}

void analysis_release(struct analysis *a)
{
    free(a->name);
    free(a->summary);
    free(a->text);
    free(a->by);
    free(a->origin);
    for (size_t i = 0; i < a->n_rules; i++) {
        free(a->rules[i].bys);
        free(a->rules[i].cols);
    }
    memset(a, 0, sizeof *a);
}

/* A copy of s[0..n) with surrounding white space trimmed; NULL on out of memory. */
static char *trimmed(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

int analysis_parse(const char *name, const char *text, const char *origin, struct analysis *a,
                   struct err *e)
{
    const char *p = text;
    size_t nl = strlen(name);
    int first = 1;

    memset(a, 0, sizeof *a);
    if (!valid_name(name))
        return err_set(e, ERR_USAGE,
                       "analysis '%s' (%s): name it with lowercase letters, digits, '-' or '_'",
                       name, origin);
    if (!(a->name = strdup(name)) || !(a->text = strdup(text)) || !(a->origin = strdup(origin)))
        goto nomem;
    while (*p) { /* the leading block of "--" lines */
        const char *end = strchr(p, '\n'), *s;
        size_t n;

        if (!end)
            end = p + strlen(p);
        for (s = p; s < end && (*s == ' ' || *s == '\t'); s++)
            ;
        if (end - s < 2 || s[0] != '-' || s[1] != '-')
            break;
        s += 2;
        n = (size_t)(end - s);
        while (n && isspace((unsigned char)*s))
            s++, n--;
        if (first) {
            if (n > nl && strncmp(s, name, nl) == 0 && s[nl] == ':')
                s += nl + 1, n -= nl + 1;
            if (!(a->summary = trimmed(s, n)))
                goto nomem;
            first = 0;
        } else if (n > 5 && strncmp(s, "@by:", 4) == 0) {
            free(a->by);
            if (!(a->by = trimmed(s + 4, n - 4)))
                goto nomem;
        } else if (n > 6 && strncmp(s, "@args:", 6) == 0) {
            a->needs_pattern = 1;
        } else if ((n > 9 && strncmp(s, "@when-by ", 9) == 0) ||
                   (n > 11 && strncmp(s, "@unless-by ", 11) == 0)) {
            int when = s[1] == 'w';
            size_t skip = when ? 9 : 11;
            const char *colon = memchr(s, ':', n);
            struct analysis_rule *r = &a->rules[a->n_rules];

            if (!colon || a->n_rules == sizeof a->rules / sizeof a->rules[0]) {
                analysis_release(a);
                return err_set(e, ERR_USAGE,
                               "analysis '%s' (%s): write '-- @%s GROUPING|...: COLUMN, ...' "
                               "(at most 8 such lines)",
                               name, origin, when ? "when-by" : "unless-by");
            }
            r->when = when;
            if (!(r->bys = trimmed(s + skip, (size_t)(colon - s) - skip)) ||
                !(r->cols = trimmed(colon + 1, n - (size_t)(colon + 1 - s))))
                goto nomem;
            a->n_rules++;
        } /* "@needs: conv" of older files: conv is always there now */
        p = *end ? end + 1 : end;
    }
    if (first || !a->summary[0]) {
        analysis_release(a);
        return err_set(e, ERR_USAGE,
                       "analysis '%s' (%s): start it with a comment line '-- %s: what it "
                       "measures'",
                       name, origin, name);
    }
    if (!a->by && !(a->by = strdup("rep")))
        goto nomem;
    return ERR_OK;
nomem:
    for (size_t i = a->n_rules; i < sizeof a->rules / sizeof a->rules[0]; i++) {
        free(a->rules[i].bys); /* a rule being filled in */
        free(a->rules[i].cols);
        a->rules[i].bys = a->rules[i].cols = NULL;
    }
    analysis_release(a);
    return oom(e);
}

static int by_name(const void *x, const void *y)
{
    return strcmp(((const struct analysis *)x)->name, ((const struct analysis *)y)->name);
}

void analysis_set_release(struct analysis_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        analysis_release(&set->a[i]);
    free(set->a);
    set->a = NULL;
    set->n = 0;
}

const struct analysis *analysis_find(const struct analysis_set *set, const char *name)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->a[i].name, name) == 0)
            return &set->a[i];
    return NULL;
}

/* Add a (moved into the set), replacing one of the same name. */
static int set_add(struct analysis_set *set, struct analysis *a, struct err *e)
{
    struct analysis *grown;

    for (size_t i = 0; i < set->n; i++) {
        if (strcmp(set->a[i].name, a->name) == 0) {
            analysis_release(&set->a[i]);
            set->a[i] = *a;
            memset(a, 0, sizeof *a);
            return ERR_OK;
        }
    }
    if (!(grown = realloc(set->a, (set->n + 1) * sizeof *grown))) {
        analysis_release(a);
        return oom(e);
    }
    set->a = grown;
    set->a[set->n++] = *a;
    memset(a, 0, sizeof *a);
    return ERR_OK;
}

/* Read a whole file of at most ANALYSIS_MAX_FILE bytes into b (NUL-terminated). */
static int read_file(const char *path, struct buf *b, struct err *e)
{
    char chunk[16384];
    size_t n;
    int rc = ERR_OK;
    FILE *fp = fopen(path, "rb");

    if (!fp)
        return err_set(e, ERR_USAGE, "read '%s': %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (b->len + n > ANALYSIS_MAX_FILE) {
            rc = err_set(e, ERR_USAGE, "read '%s': larger than %zu bytes", path, ANALYSIS_MAX_FILE);
            break;
        }
        if ((rc = buf_append(b, chunk, n, e)))
            break;
    }
    if (!rc && ferror(fp))
        rc = err_set(e, ERR_IO, "read '%s': failed", path);
    fclose(fp);
    if (!rc && (rc = buf_append(b, "", 0, e)))
        return rc;
    if (!rc && strlen(b->data) != b->len)
        rc = err_set(e, ERR_USAGE, "read '%s': contains a NUL byte", path);
    return rc;
}

/* The user's folder: dir, else the XDG or HOME default (*optional set: may be missing). */
static int user_dir(const char *dir, const char *leaf, struct buf *out, int *optional,
                    struct err *e)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

    *optional = !dir;
    if (dir)
        return buf_puts(out, dir, e);
    if (xdg && *xdg)
        return buf_printf(out, e, "%s/callmine/%s", xdg, leaf);
    if (home && *home)
        return buf_printf(out, e, "%s/.config/callmine/%s", home, leaf);
    return ERR_NOTFOUND;
}

static int load_user(struct analysis_set *set, const char *dir, struct err *e)
{
    struct buf path, text;
    struct analysis a;
    struct dirent *de;
    DIR *d = NULL;
    int optional, rc;

    buf_init(&path, 0);
    buf_init(&text, 0);
    if ((rc = user_dir(dir, "analyses", &path, &optional, e))) {
        rc = rc == ERR_NOTFOUND ? ERR_OK : rc;
        goto done;
    }
    if (!(d = opendir(path.data))) {
        if (!(optional && errno == ENOENT))
            rc = err_set(e, dir ? ERR_USAGE : ERR_IO, "--analyses '%s': %s", path.data,
                         strerror(errno));
        goto done;
    }
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name), base = path.len;
        char *name;

        if (n <= 4 || strcmp(de->d_name + n - 4, ".sql") != 0 || de->d_name[0] == '.')
            continue;
        buf_reset(&text);
        if ((rc = buf_printf(&path, e, "/%s", de->d_name)) || (rc = read_file(path.data, &text, e)))
            goto done;
        if (!(name = strndup(de->d_name, n - 4))) {
            rc = oom(e);
            goto done;
        }
        rc = analysis_parse(name, text.data, path.data, &a, e);
        free(name);
        if (rc || (rc = set_add(set, &a, e)))
            goto done;
        path.len = base;
        path.data[base] = '\0';
    }
done:
    if (d)
        closedir(d);
    buf_release(&path);
    buf_release(&text);
    return rc;
}

int analysis_set_load(struct analysis_set *set, const char *dir, struct err *e)
{
    struct analysis a;
    int rc;

    set->a = NULL;
    set->n = 0;
    for (const struct embedded_file *f = embedded_analyses; f->name; f++)
        if ((rc = analysis_parse(f->name, f->text, "built-in", &a, e)) ||
            (rc = set_add(set, &a, e)))
            goto fail;
    if ((rc = load_user(set, dir, e)))
        goto fail;
    if (set->n)
        qsort(set->a, set->n, sizeof *set->a, by_name);
    return ERR_OK;
fail:
    analysis_set_release(set);
    return rc;
}

/* ---- stages ----------------------------------------------------------------------------- */

/* 1 when word is one of the items of list, separated by sep, white space around items
 * ignored. */
static int in_list(const char *list, char sep, const char *word)
{
    size_t wl = strlen(word);

    while (*list) {
        const char *end = strchr(list, sep);
        size_t n;

        if (!end)
            end = list + strlen(list);
        while (list < end && isspace((unsigned char)*list))
            list++;
        n = (size_t)(end - list);
        while (n && isspace((unsigned char)list[n - 1]))
            n--;
        if (n == wl && strncmp(list, word, n) == 0)
            return 1;
        list = *end ? end + 1 : end;
    }
    return 0;
}

int analysis_column_applies(const struct analysis *a, const char *col, const char *by)
{
    for (size_t i = 0; i < a->n_rules; i++)
        if (in_list(a->rules[i].cols, ',', col) &&
            in_list(a->rules[i].bys, '|', by) != a->rules[i].when)
            return 0;
    return 1;
}

int analysis_stages(sqlite3 *db, const char *path, struct err *e)
{
    /* the connection applied the default file (or --stages) when it opened (stages.h) */
    return path ? stages_apply(db, path, e) : ERR_OK;
}

/* ---- running ---------------------------------------------------------------------------- */

/* Skip white space and SQL comments. */
static const char *skip_blank(const char *p)
{
    for (;;) {
        while (isspace((unsigned char)*p) || *p == ';')
            p++;
        if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");

            p = end ? end + 2 : p + strlen(p);
        } else {
            return p;
        }
    }
}

static int bind_params(sqlite3_stmt *st, const struct analysis_params *p)
{
    const char *names[] = {":pattern", ":flags", ":speaker", ":by"};
    const char *values[] = {p->pattern, p->flags ? p->flags : "", p->speaker ? p->speaker : "all",
                            p->by};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int k = sqlite3_bind_parameter_index(st, names[i]);

        if (k && sqlite3_bind_text(st, k, values[i], -1, SQLITE_TRANSIENT) != SQLITE_OK)
            return -1;
    }
    return 0;
}

int analysis_run(sqlite3 *db, const struct analysis *a, const struct analysis_params *p,
                 sqlite3_stmt **last, struct err *e)
{
    const char *sql = skip_blank(a->text), *tail = NULL;
    sqlite3_stmt *st = NULL;
    int rc;

    *last = NULL;
    if (a->needs_pattern && p->pattern) {
        size_t corrupt = 0;

        if ((rc = mention_scan_fill(db, p->pattern, p->flags ? p->flags : "",
                                    p->speaker ? p->speaker : "all", &corrupt, e)))
            return rc;
        if (p->corrupt)
            *p->corrupt += corrupt;
    }
    while (*sql) {
        if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK)
            return err_set(e, ERR_DB, "analysis '%s': %s", a->name, sqlite3_errmsg(db));
        if (bind_params(st, p)) {
            sqlite3_finalize(st);
            return err_set(e, ERR_DB, "analysis '%s': bind: %s", a->name, sqlite3_errmsg(db));
        }
        sql = skip_blank(tail ? tail : "");
        if (!*sql) { /* the last statement: its rows are the result */
            *last = st;
            return ERR_OK;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
        sqlite3_finalize(st);
        st = NULL;
        if (rc != SQLITE_DONE)
            return err_set(e, ERR_DB, "analysis '%s': %s", a->name, sqlite3_errmsg(db));
    }
    return err_set(e, ERR_USAGE, "analysis '%s' (%s) holds no SQL statement", a->name, a->origin);
}
