/* filter: FILTERS -> one SQL condition over `calls` with named parameters (see filter.h).
 *
 * Times are compared exactly: stored `started` text is ISO-8601 UTC with or without
 * milliseconds, whose text order differs from time order within a second ("12.5Z" sorts
 * before "12Z"), so each bound is a coarse text prefix (which lets SQLite use the index on
 * started) plus an exact comparison of strftime('%Y-%m-%dT%H:%M:%f'). Deal filters apply
 * together to one deal row of the call, chosen by --deal-timing. */
#include "filter.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "isotime.h"

#include "banned.h"

const char filter_help[] =
    "Filters (the same for every command):\n"
    "  --from WHEN              calls that started at or after WHEN; WHEN is YYYY-MM-DD\n"
    "                           (midnight UTC) or a date-time with offset, e.g.\n"
    "                           2024-03-01T09:00:00+01:00 or 2024-03-01T08:00:00Z\n"
    "  --to WHEN                calls that started before WHEN (exclusive)\n"
    "  --rep TEXT               a rep (internal participant, or the call's primary user) whose\n"
    "                           name or e-mail contains TEXT, ignoring case\n"
    "  --stage STAGE[,STAGE]    deal stage, exact but ignoring case; a comma separates several\n"
    "  --min-amount N           deal amount at least N\n"
    "  --max-amount N           deal amount at most N\n"
    "  --owner TEXT             deal owner as the CRM gave it (ignoring case), or a Gong user\n"
    "                           that owner id names, whose name or e-mail contains TEXT\n"
    "  --company-size MIN-MAX   employees of the deal's company (also MIN+ or N)\n"
    "  --deal-timing call|now   which CRM snapshot deal filters read: call (default) is the\n"
    "                           snapshot at the time of the call, else the current one; now is\n"
    "                           the current one\n"
    "  --where SQL              an extra condition over the columns of calls,\n"
    "                           e.g. --where \"duration > 1800 AND direction = 'Conference'\"\n"
    "  Deal filters must all hold for the same deal of the call.\n";

const char filter_rep_expr[] =
    "coalesce("
    "(SELECT nullif(trim(ifnull(u.first_name, '') || ' ' || ifnull(u.last_name, '')), '') "
    "FROM users u WHERE u.id = calls.primary_user_id), "
    "(SELECT p.name FROM parties p WHERE p.call_id = calls.id "
    "AND p.user_id = calls.primary_user_id AND p.name IS NOT NULL ORDER BY p.ord LIMIT 1), "
    "(SELECT p.name FROM parties p WHERE p.call_id = calls.id "
    "AND p.affiliation = 'Internal' COLLATE NOCASE AND p.name IS NOT NULL "
    "ORDER BY p.ord LIMIT 1))";

void filter_init(struct filter *f)
{
    memset(f, 0, sizeof *f);
    f->timing = FILTER_TIMING_CALL;
    f->size_max = -1;
}

void filter_release(struct filter *f)
{
    free(f->rep);
    free(f->owner);
    free(f->where);
    for (size_t i = 0; i < f->n_stages; i++)
        free(f->stages[i]);
    free(f->stages);
    filter_init(f);
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);

    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

static int oom(struct err *e)
{
    return err_set(e, ERR_NOMEM, "filters: out of memory");
}

static int parse_amount(const char *opt, const char *arg, double *v, struct err *e)
{
    char *end = NULL;

    *v = strtod(arg, &end);
    if (!*arg || end == arg || *end || !isfinite(*v))
        return err_set(e, ERR_USAGE, "--%s '%s': expected a number such as 50000 or 1e6", opt, arg);
    return ERR_OK;
}

static int parse_count(const char *s, const char **end, int64_t *v)
{
    int64_t x = 0;
    const char *p = s;

    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p)) {
        if (x > (INT64_MAX - 9) / 10)
            return 0;
        x = x * 10 + (*p++ - '0');
    }
    *v = x;
    *end = p;
    return 1;
}

static int parse_size(struct filter *f, const char *arg, struct err *e)
{
    const char *p = arg;
    int64_t lo, hi = -1;

    if (!parse_count(p, &p, &lo))
        goto bad;
    if (*p == '+' && p[1] == '\0') {
        hi = -1;
    } else if (*p == '-') {
        if (!parse_count(p + 1, &p, &hi) || *p || hi < lo)
            goto bad;
    } else if (*p == '\0') {
        hi = lo;
    } else {
        goto bad;
    }
    f->has_size = 1;
    f->size_min = lo;
    f->size_max = hi;
    return ERR_OK;
bad:
    return err_set(e, ERR_USAGE,
                   "--company-size '%s': expected MIN-MAX (e.g. 50-200), MIN+ (e.g. 1000+) or N",
                   arg);
}

static int add_stages(struct filter *f, const char *arg, struct err *e)
{
    const char *p = arg;
    size_t before = f->n_stages;

    while (*p) {
        const char *q = strchr(p, ','), *a = p, *b;
        char **grown, *one;

        if (!q)
            q = p + strlen(p);
        b = q;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a) {
            grown = realloc(f->stages, (f->n_stages + 1) * sizeof *grown);
            if (!grown)
                return oom(e);
            f->stages = grown;
            one = strndup(a, (size_t)(b - a));
            if (!one)
                return oom(e);
            f->stages[f->n_stages++] = one;
        }
        p = *q ? q + 1 : q;
    }
    if (f->n_stages == before)
        return err_set(e, ERR_USAGE, "--stage '%s': name at least one stage", arg);
    return ERR_OK;
}

static int set_text(char **slot, const char *opt, const char *arg, struct err *e)
{
    if (!*arg)
        return err_set(e, ERR_USAGE, "--%s: give a non-empty value", opt);
    free(*slot);
    *slot = lower_dup(arg);
    return *slot ? ERR_OK : oom(e);
}

static int parse_when(const char *opt, const char *arg, int64_t *ms, struct err *e)
{
    struct err inner = {0};

    if (isotime_parse(arg, 0, ms, &inner))
        return err_set(e, ERR_USAGE,
                       "--%s '%s': expected YYYY-MM-DD or a date-time with offset such as "
                       "2024-03-01T09:00:00+01:00",
                       opt, arg);
    return ERR_OK;
}

/* 1 when the SQL text closes a parenthesis it did not open, like `1) OR (1`: wrapped in
 * filter_sql()'s parentheses it would escape them and undo the other filters. Strings,
 * quoted names and comments are skipped as SQLite's tokenizer does. Found by fuzz_filter. */
static int where_escapes(const char *w)
{
    int depth = 0;

    for (const char *p = w; *p; p++) {
        char close = *p == '\'' ? '\'' : *p == '"' ? '"' : *p == '`' ? '`' : *p == '[' ? ']' : 0;

        if (close) {
            const char *q = strchr(p + 1, close);

            if (!q)
                return 0;
            p = q;
        } else if (p[0] == '-' && p[1] == '-') {
            const char *q = strchr(p, '\n');

            if (!q)
                return 0;
            p = q;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *q = strstr(p + 2, "*/");

            if (!q)
                return 0;
            p = q + 1;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')' && --depth < 0) {
            return 1;
        }
    }
    return 0;
}

int filter_option(struct filter *f, int opt, const char *arg, struct err *e)
{
    int rc;

    switch (opt) {
    case FILTER_OPT_FROM:
        if ((rc = parse_when("from", arg, &f->from_ms, e)))
            return rc;
        f->has_from = 1;
        break;
    case FILTER_OPT_TO:
        if ((rc = parse_when("to", arg, &f->to_ms, e)))
            return rc;
        f->has_to = 1;
        break;
    case FILTER_OPT_REP: return set_text(&f->rep, "rep", arg, e);
    case FILTER_OPT_OWNER: return set_text(&f->owner, "owner", arg, e);
    case FILTER_OPT_STAGE: return add_stages(f, arg, e);
    case FILTER_OPT_MIN_AMOUNT:
        if ((rc = parse_amount("min-amount", arg, &f->min_amount, e)))
            return rc;
        f->has_min_amount = 1;
        break;
    case FILTER_OPT_MAX_AMOUNT:
        if ((rc = parse_amount("max-amount", arg, &f->max_amount, e)))
            return rc;
        f->has_max_amount = 1;
        break;
    case FILTER_OPT_COMPANY_SIZE: return parse_size(f, arg, e);
    case FILTER_OPT_DEAL_TIMING:
        if (strcasecmp(arg, "call") == 0 || strcasecmp(arg, "TimeOfCall") == 0)
            f->timing = FILTER_TIMING_CALL;
        else if (strcasecmp(arg, "now") == 0)
            f->timing = FILTER_TIMING_NOW;
        else
            return err_set(e, ERR_USAGE, "--deal-timing '%s': expected call or now", arg);
        break;
    case FILTER_OPT_WHERE: {
        char *w;
        size_t n;

        for (const char *p = arg;; p++) {
            if (!*p)
                return err_set(e, ERR_USAGE, "--where: give an SQL condition");
            if (!isspace((unsigned char)*p))
                break;
        }
        if (where_escapes(arg))
            return err_set(e, ERR_USAGE, "--where: a ')' closes more than the condition opens");
        n = (f->where ? strlen(f->where) + 16 : 0) + strlen(arg) + 8;
        w = malloc(n);
        if (!w)
            return oom(e);
        if (f->where)
            snprintf(w, n, "%s\n) AND (\n%s", f->where, arg);
        else
            snprintf(w, n, "%s", arg);
        free(f->where);
        f->where = w;
        break;
    }
    default: return FILTER_PASS;
    }
    if (f->has_from && f->has_to && f->from_ms >= f->to_ms)
        return err_set(e, ERR_USAGE, "--from must be before --to");
    if (f->has_min_amount && f->has_max_amount && f->min_amount > f->max_amount)
        return err_set(e, ERR_USAGE, "--min-amount is above --max-amount");
    return ERR_OK;
}

int filter_has_deal_terms(const struct filter *f)
{
    return f->n_stages || f->has_min_amount || f->has_max_amount || f->owner || f->has_size;
}

int filter_deal_rows(const struct filter *f, const char *alias, struct buf *b, struct err *e)
{
    if (f->timing == FILTER_TIMING_NOW)
        return buf_printf(b, e, "%s.timing = 'Now'", alias);
    return buf_printf(b, e,
                      "(%s.timing = 'TimeOfCall' OR (%s.timing = 'Now' AND NOT EXISTS "
                      "(SELECT 1 FROM deals d_toc WHERE d_toc.call_id = %s.call_id "
                      "AND d_toc.timing = 'TimeOfCall')))",
                      alias, alias, alias);
}

int filter_deal_column(const struct filter *f, const char *col, struct buf *b, struct err *e)
{
    int rc;

    if ((rc = buf_printf(b, e,
                         "(SELECT d_col.%s FROM deals d_col WHERE d_col.call_id = calls.id "
                         "AND ",
                         col)) ||
        (rc = filter_deal_rows(f, "d_col", b, e)))
        return rc;
    return buf_puts(b, " ORDER BY d_col.amount IS NULL, d_col.amount DESC, d_col.deal_id LIMIT 1)",
                    e);
}

/* Append " AND " between terms. */
static int and (struct buf * b, int *first, struct err *e)
{
    if (*first) {
        *first = 0;
        return ERR_OK;
    }
    return buf_puts(b, " AND ", e);
}

static const char user_name_matches[] =
    "(instr(lower(trim(ifnull(u.first_name, '') || ' ' || ifnull(u.last_name, ''))), %s) > 0 "
    "OR instr(lower(u.email), %s) > 0)";

static int deal_terms(const struct filter *f, struct buf *b, struct err *e)
{
    int rc;

    if ((rc = buf_puts(b, "EXISTS (SELECT 1 FROM deals d WHERE d.call_id = calls.id AND ", e)) ||
        (rc = filter_deal_rows(f, "d", b, e)))
        return rc;
    if (f->n_stages) {
        if ((rc = buf_puts(b, " AND d.stage COLLATE NOCASE IN (", e)))
            return rc;
        for (size_t i = 0; i < f->n_stages; i++)
            if ((rc = buf_printf(b, e, "%s:f_stage%zu", i ? ", " : "", i + 1)))
                return rc;
        if ((rc = buf_putc(b, ')', e)))
            return rc;
    }
    if (f->has_min_amount && (rc = buf_puts(b, " AND d.amount >= :f_min_amount", e)))
        return rc;
    if (f->has_max_amount && (rc = buf_puts(b, " AND d.amount <= :f_max_amount", e)))
        return rc;
    if (f->has_size && (rc = buf_puts(b, " AND d.company_size >= :f_size_min", e)))
        return rc;
    if (f->has_size && f->size_max >= 0 &&
        (rc = buf_puts(b, " AND d.company_size <= :f_size_max", e)))
        return rc;
    if (f->owner) {
        if ((rc = buf_puts(b,
                           " AND (lower(d.owner) = :f_owner OR EXISTS (SELECT 1 FROM users u "
                           "WHERE u.id = d.owner AND ",
                           e)) ||
            (rc = buf_printf(b, e, user_name_matches, ":f_owner", ":f_owner")) ||
            (rc = buf_puts(b, "))", e)))
            return rc;
    }
    return buf_putc(b, ')', e);
}

int filter_sql(const struct filter *f, struct buf *b, struct err *e)
{
    int first = 1, rc;

    if ((rc = buf_putc(b, '(', e)))
        return rc;
    if (f->has_from && ((rc = and(b, &first, e)) ||
                        (rc = buf_puts(b,
                                       "calls.started >= :f_from_c AND "
                                       "strftime('%Y-%m-%dT%H:%M:%f', calls.started) >= :f_from_x",
                                       e))))
        return rc;
    if (f->has_to && ((rc = and(b, &first, e)) ||
                      (rc = buf_puts(b,
                                     "calls.started < :f_to_c AND "
                                     "strftime('%Y-%m-%dT%H:%M:%f', calls.started) < :f_to_x",
                                     e))))
        return rc;
    if (f->rep) {
        if ((rc = and(b, &first, e)) ||
            (rc = buf_puts(b,
                           "(EXISTS (SELECT 1 FROM parties p WHERE p.call_id = calls.id "
                           "AND p.affiliation = 'Internal' COLLATE NOCASE "
                           "AND (instr(lower(p.name), :f_rep) > 0 "
                           "OR instr(lower(p.email), :f_rep) > 0)) "
                           "OR EXISTS (SELECT 1 FROM users u WHERE u.id = calls.primary_user_id "
                           "AND ",
                           e)) ||
            (rc = buf_printf(b, e, user_name_matches, ":f_rep", ":f_rep")) ||
            (rc = buf_puts(b, "))", e)))
            return rc;
    }
    if (filter_has_deal_terms(f) && ((rc = and(b, &first, e)) || (rc = deal_terms(f, b, e))))
        return rc;
    if (f->where && ((rc = and(b, &first, e)) || (rc = buf_printf(b, e, "(\n%s\n)", f->where))))
        return rc;
    if (first && (rc = buf_putc(b, '1', e)))
        return rc;
    return buf_putc(b, ')', e);
}

/* Text forms of a bound: the coarse prefix "YYYY-MM-DDTHH:MM:SS" of the second (rounded up
 * for an exclusive bound with milliseconds) and the exact "YYYY-MM-DDTHH:MM:SS.fff". */
static void bound_text(int64_t ms, int round_up, char coarse[ISOTIME_MAX], char exact[ISOTIME_MAX])
{
    int64_t sec = ms - ((ms % 1000) + 1000) % 1000;
    char *z;

    if (round_up && sec != ms)
        sec += 1000;
    isotime_format(sec, 0, coarse);
    if ((z = strchr(coarse, 'Z')))
        *z = '\0';
    isotime_format(ms, 1, exact);
    if ((z = strchr(exact, 'Z')))
        *z = '\0';
}

static int bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(st, name);

    return i ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : SQLITE_OK;
}

static int bind_double(sqlite3_stmt *st, const char *name, double v)
{
    int i = sqlite3_bind_parameter_index(st, name);

    return i ? sqlite3_bind_double(st, i, v) : SQLITE_OK;
}

static int bind_int(sqlite3_stmt *st, const char *name, int64_t v)
{
    int i = sqlite3_bind_parameter_index(st, name);

    return i ? sqlite3_bind_int64(st, i, v) : SQLITE_OK;
}

int filter_bind(const struct filter *f, sqlite3_stmt *st, struct err *e)
{
    char coarse[ISOTIME_MAX], exact[ISOTIME_MAX], name[32];
    int rc = SQLITE_OK;

    if (f->has_from) {
        bound_text(f->from_ms, 0, coarse, exact);
        rc |= bind_text(st, ":f_from_c", coarse);
        rc |= bind_text(st, ":f_from_x", exact);
    }
    if (f->has_to) {
        bound_text(f->to_ms, 1, coarse, exact);
        rc |= bind_text(st, ":f_to_c", coarse);
        rc |= bind_text(st, ":f_to_x", exact);
    }
    if (f->rep)
        rc |= bind_text(st, ":f_rep", f->rep);
    if (f->owner)
        rc |= bind_text(st, ":f_owner", f->owner);
    for (size_t i = 0; i < f->n_stages; i++) {
        snprintf(name, sizeof name, ":f_stage%zu", i + 1);
        rc |= bind_text(st, name, f->stages[i]);
    }
    if (f->has_min_amount)
        rc |= bind_double(st, ":f_min_amount", f->min_amount);
    if (f->has_max_amount)
        rc |= bind_double(st, ":f_max_amount", f->max_amount);
    if (f->has_size) {
        rc |= bind_int(st, ":f_size_min", f->size_min);
        if (f->size_max >= 0)
            rc |= bind_int(st, ":f_size_max", f->size_max);
    }
    if (rc != SQLITE_OK)
        return err_set(e, ERR_DB, "bind filters: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
    return ERR_OK;
}

/* Prepare the --where text as a WHERE clause (as_column 0) or as a result column (1);
 * ERR_USAGE unless it is exactly one statement. */
static int try_where(sqlite3 *db, int as_column, const char *where, struct err *e)
{
    struct buf sql;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc;

    buf_init(&sql, 0);
    rc = as_column ? buf_printf(&sql, e, "SELECT (\n%s\n) FROM calls", where)
                   : buf_printf(&sql, e, "SELECT 1 FROM calls WHERE (\n%s\n)", where);
    if (rc)
        goto done;
    if (sqlite3_prepare_v2(db, sql.data, (int)sql.len, &st, &tail) != SQLITE_OK) {
        rc = err_set(e, ERR_USAGE, "--where: %s", sqlite3_errmsg(db));
        goto done;
    }
    for (; tail && *tail; tail++) {
        if (!isspace((unsigned char)*tail)) {
            rc = err_set(e, ERR_USAGE, "--where: give one condition (no ';' or statements)");
            goto done;
        }
    }
done:
    sqlite3_finalize(st);
    buf_release(&sql);
    return rc;
}

int filter_validate(const struct filter *f, sqlite3 *db, struct err *e)
{
    int rc;

    if (!f->where)
        return ERR_OK;
    /* As a WHERE clause and as a result column: text that closes the parenthesis to add
     * clauses of its own (UNION, ORDER BY) cannot compile in both places. */
    if ((rc = try_where(db, 0, f->where, e)))
        return rc;
    if (try_where(db, 1, f->where, e))
        return err_set(e, ERR_USAGE, "--where: give one condition over the columns of calls");
    return ERR_OK;
}
