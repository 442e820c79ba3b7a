/* filter: FILTERS -> one SQL condition over `calls` with named parameters (see filter.h).
 *
 * Each term is either a comparison on calls' own columns (the start time: stored times have
 * one fixed width, so comparing the text compares the instants) or a non-correlated
 * `calls.id IN (SELECT call_id FROM ...)` that SQLite evaluates once into a lookup table:
 * never a subquery run per call and driven by an index on another column, which at 100,000
 * calls without statistics made stage filters quadratic. The call's rep, its deal as it
 * stands and outcome are read from call_facts (the binary's TEMP view over the stored facts,
 * stages.h); with --deal-timing call the deal terms read the call's deal row (deals.ord = 0)
 * in the snapshot taken at the call, which is what call_facts' stage_at_call/amount_at_call
 * show. */
#include "filter.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "casefold.h"
#include "isotime.h"

#include "banned.h"

#define DAY_MS INT64_C(86400000)

const char filter_help[] =
    "Filters (the same for every command):\n"
    "  --from WHEN              calls that started at or after WHEN; WHEN is YYYY-MM-DD\n"
    "                           (midnight UTC), a date-time with offset such as\n"
    "                           2024-03-01T09:00:00+01:00, or relative: 90d, 12w, 6m (days,\n"
    "                           weeks, months ago), today, yesterday (midnight UTC)\n"
    "  --to WHEN                calls that started before WHEN (exclusive)\n"
    "  --rep TEXT               the call's rep (the internal speaker who talked most, else\n"
    "                           the primary user) has TEXT in name or e-mail, ignoring case\n"
    "                           in any script (as SQL's casefold() folds it)\n"
    "  --participant TEXT       anyone internal on the call has TEXT in name or e-mail\n"
    "  --stage STAGE[,STAGE]    the call's deal is in a stage, exact but ignoring case\n"
    "  --min-amount N           deal amount at least N (50000, 50k, 1.5m)\n"
    "  --max-amount N           deal amount at most N\n"
    "  --owner TEXT             the deal owner: the CRM's value (often an id), exact but\n"
    "                           ignoring case, or TEXT in the owner's name or e-mail\n"
    "  --company-size MIN-MAX   employees of the deal's company (also MIN+ or N)\n"
    "  --outcome won|lost|open  the deal's eventual result, from its stage now whatever\n"
    "                           --deal-timing says (a comma separates several)\n"
    "  --deal-timing now|call   which CRM snapshot the deal filters and columns read: now\n"
    "                           (default) the deal as it stands; call the snapshot taken at\n"
    "                           the call (the current one for calls that have none)\n"
    "  --where SQL              an extra condition over the columns of calls,\n"
    "                           e.g. --where \"duration > 1800 AND direction = 'Conference'\"\n"
    "  The call's deal is the first one Gong lists for it.\n";

const char filter_rep_expr[] =
    "(SELECT cf_rep.rep_name FROM call_facts cf_rep WHERE cf_rep.call_id = calls.id)";

const char filter_primary_expr[] =
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
    f->timing = FILTER_TIMING_NOW;
    f->size_max = -1;
    f->now_ms = isotime_now_ms();
}

void filter_release(struct filter *f)
{
    free(f->rep);
    free(f->participant);
    free(f->owner);
    free(f->where);
    for (size_t i = 0; i < f->n_stages; i++)
        free(f->stages[i]);
    free(f->stages);
    filter_init(f);
}

static int oom(struct err *e)
{
    return err_set(e, ERR_NOMEM, "filters: out of memory");
}

/* ---- parsing ----------------------------------------------------------------------------- */

/* An amount: a decimal number (no hex, inf or nan) with an optional k or m suffix. */
static int parse_amount(const char *opt, const char *arg, double *v, struct err *e)
{
    char *end = NULL;
    double scale = 1;

    if (!*arg || strpbrk(arg, "xXnNiI") || isspace((unsigned char)*arg))
        goto bad;
    *v = strtod(arg, &end);
    if (end == arg)
        goto bad;
    if (*end == 'k' || *end == 'K')
        scale = 1e3, end++;
    else if (*end == 'm' || *end == 'M')
        scale = 1e6, end++;
    *v *= scale;
    if (*end || !isfinite(*v))
        goto bad;
    return ERR_OK;
bad:
    return err_set(e, ERR_USAGE, "--%s '%s': expected an amount such as 50000, 50k or 1.5m", opt,
                   arg);
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

/* The instant n calendar months before ms (the day clamped to the month's length). */
static int64_t months_before(int64_t ms, int64_t n)
{
    int64_t days = ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);
    int64_t in_day = ms - days * DAY_MS, y, months;
    unsigned m, d, last;

    isotime_civil_from_days(days, &y, &m, &d);
    months = y * 12 + (m - 1) - n;
    y = months >= 0 ? months / 12 : -((-months + 11) / 12);
    m = (unsigned)(months - y * 12) + 1;
    last = (unsigned)(isotime_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) -
                      isotime_days_from_civil(y, m, 1));
    if (d > last)
        d = last;
    return isotime_days_from_civil(y, m, d) * DAY_MS + in_day;
}

/* WHEN: an ISO-8601 date or date-time with offset, or a relative form counted from now. */
static int parse_when(const struct filter *f, const char *opt, const char *arg, int64_t *ms,
                      struct err *e)
{
    struct err inner = {0};
    int64_t today = f->now_ms - ((f->now_ms % DAY_MS) + DAY_MS) % DAY_MS, n;
    const char *end;

    if (strcasecmp(arg, "today") == 0) {
        *ms = today;
        return ERR_OK;
    }
    if (strcasecmp(arg, "yesterday") == 0) {
        *ms = today - DAY_MS;
        return ERR_OK;
    }
    if (parse_count(arg, &end, &n) && end[0] && !end[1] && strchr("dDwWmM", end[0])) {
        int unit = tolower((unsigned char)end[0]);

        if (n > (unit == 'm' ? 12000 : unit == 'w' ? 52000 : 365000))
            return err_set(e, ERR_USAGE, "--%s '%s': too far back", opt, arg);
        *ms = unit == 'd'   ? f->now_ms - n * DAY_MS
              : unit == 'w' ? f->now_ms - n * 7 * DAY_MS
                            : months_before(f->now_ms, n);
        return ERR_OK;
    }
    if (isotime_parse(arg, 0, ms, &inner))
        return err_set(e, ERR_USAGE,
                       "--%s '%s': expected YYYY-MM-DD, a date-time with offset such as "
                       "2024-03-01T09:00:00+01:00, 90d, 12w, 6m, today or yesterday",
                       opt, arg);
    return ERR_OK;
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

/* --outcome: won, lost or open, a comma separating several. */
static int add_outcomes(struct filter *f, const char *arg, struct err *e)
{
    const char *p = arg;
    int got = 0;

    while (*p) {
        size_t n = strcspn(p, ","), a = 0, b = n;

        while (a < b && isspace((unsigned char)p[a]))
            a++;
        while (b > a && isspace((unsigned char)p[b - 1]))
            b--;
        if (b - a == 3 && strncasecmp(p + a, "won", 3) == 0)
            got |= FILTER_WON;
        else if (b - a == 4 && strncasecmp(p + a, "lost", 4) == 0)
            got |= FILTER_LOST;
        else if (b - a == 4 && strncasecmp(p + a, "open", 4) == 0)
            got |= FILTER_OPEN;
        else if (b > a)
            return err_set(e, ERR_USAGE,
                           "--outcome '%s': expected won, lost or open (a comma separates "
                           "several)",
                           arg);
        p += n + (p[n] == ',');
    }
    if (!got)
        return err_set(e, ERR_USAGE, "--outcome '%s': expected won, lost or open", arg);
    f->outcomes |= got;
    return ERR_OK;
}

static int set_text(char **slot, const char *opt, const char *arg, struct err *e)
{
    if (!*arg)
        return err_set(e, ERR_USAGE, "--%s: give a non-empty value", opt);
    free(*slot);
    *slot = casefold_dup(arg);
    return *slot ? ERR_OK : oom(e);
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
        if ((rc = parse_when(f, "from", arg, &f->from_ms, e)))
            return rc;
        f->has_from = 1;
        break;
    case FILTER_OPT_TO:
        if ((rc = parse_when(f, "to", arg, &f->to_ms, e)))
            return rc;
        f->has_to = 1;
        break;
    case FILTER_OPT_REP: return set_text(&f->rep, "rep", arg, e);
    case FILTER_OPT_PARTICIPANT: return set_text(&f->participant, "participant", arg, e);
    case FILTER_OPT_OWNER: return set_text(&f->owner, "owner", arg, e);
    case FILTER_OPT_STAGE: return add_stages(f, arg, e);
    case FILTER_OPT_OUTCOME: return add_outcomes(f, arg, e);
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
        if (strcasecmp(arg, "now") == 0)
            f->timing = FILTER_TIMING_NOW;
        else if (strcasecmp(arg, "call") == 0 || strcasecmp(arg, "TimeOfCall") == 0)
            f->timing = FILTER_TIMING_CALL;
        else
            return err_set(e, ERR_USAGE, "--deal-timing '%s': expected now or call", arg);
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

int filter_is_set(const struct filter *f)
{
    return f->has_from || f->has_to || f->rep || f->participant || filter_has_deal_terms(f) ||
           f->outcomes || f->where;
}

/* ---- SQL --------------------------------------------------------------------------------- */

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

/* The condition that deals row x is the call's deal in the timing: the Now row with ord 0;
 * with call, the TimeOfCall row of that deal, or the Now row itself when the call has no
 * TimeOfCall snapshot (call_facts' stage_at_call and amount_at_call read the same). The
 * subqueries are point lookups on deals_call(call_id, timing, ord). */
static int call_deal_row(const struct filter *f, struct buf *b, struct err *e)
{
    if (f->timing == FILTER_TIMING_NOW)
        return buf_puts(b, "x.timing = 'Now' AND x.ord = 0", e);
    return buf_puts(b,
                    "((x.timing = 'TimeOfCall' AND x.deal_id IS (SELECT n.deal_id FROM deals n "
                    "WHERE n.call_id = x.call_id AND n.timing = 'Now' AND n.ord = 0)) "
                    "OR (x.timing = 'Now' AND x.ord = 0 AND NOT EXISTS (SELECT 1 FROM deals z "
                    "WHERE z.call_id = x.call_id AND z.timing = 'TimeOfCall')))",
                    e);
}

int filter_deal_column(const struct filter *f, const char *col, struct buf *b, struct err *e)
{
    int rc;

    if ((rc = buf_printf(b, e, "(SELECT x.%s FROM deals x WHERE x.call_id = calls.id AND ", col)) ||
        (rc = call_deal_row(f, b, e)))
        return rc;
    return buf_puts(b, " LIMIT 1)", e);
}

static int and_sep(struct buf *b, int *first, struct err *e)
{
    if (*first) {
        *first = 0;
        return ERR_OK;
    }
    return buf_puts(b, " AND ", e);
}

/* A Gong user (alias u) whose name or e-mail contains the needle %s, both sides in simple
 * case folding (casefold.h; the needle was folded by set_text). */
static const char user_matches[] =
    "(instr(casefold(trim(ifnull(u.first_name, '') || ' ' || ifnull(u.last_name, ''))), %s) > 0 "
    "OR instr(casefold(u.email), %s) > 0)";

/* --owner over row a (a deals row, or a call_facts row, whose owner column is its deal's):
 * the value itself, or an owner that resolves (as call_facts' owner_name does) to a person
 * whose name or e-mail contains the needle: a CRM user with that id, else the Gong user with
 * that CRM user's e-mail or with the value as e-mail (the e-mail equalities ignore ASCII
 * case, as call_facts' COLLATE NOCASE does). a is a trusted alias. */
static int owner_term(const char *a, struct buf *b, struct err *e)
{
    int rc;

    if ((rc = buf_printf(b, e,
                         " AND (casefold(%s.owner) = :f_owner OR %s.owner IN (SELECT cu.crm_id "
                         "FROM crm_users cu WHERE instr(casefold(cu.name), :f_owner) > 0 OR "
                         "instr(casefold(cu.email), :f_owner) > 0 OR (cu.name IS NULL AND "
                         "lower(cu.email) IN (SELECT lower(u.email) FROM users u WHERE ",
                         a, a)) ||
        (rc = buf_printf(b, e, user_matches, ":f_owner", ":f_owner")) ||
        (rc = buf_printf(
             b, e, "))) OR lower(%s.owner) IN (SELECT lower(u.email) FROM users u WHERE ", a)) ||
        (rc = buf_printf(b, e, user_matches, ":f_owner", ":f_owner")))
        return rc;
    return buf_puts(b, "))", e);
}

/* A stage that call_facts' rule reads as closedwon or closedlost: spaces, '_' and '-'
 * anywhere, ASCII letters in either case (what replace(replace(replace(lower(trim(stage)),
 * ' ', ''), '_', ''), '-', '') = 'closedwon' accepts, since SQLite's lower() folds ASCII
 * only). One compiled pattern per statement costs less than three replace() and a lower()
 * per deal. \z, not $, which would also match before a final newline. */
#define SEP "[ _-]*"
#define CLOSED SEP "[cC]" SEP "[lL]" SEP "[oO]" SEP "[sS]" SEP "[eE]" SEP "[dD]" SEP
#define RE_CLOSED_WON "\\A" CLOSED "[wW]" SEP "[oO]" SEP "[nN]" SEP "\\z"
#define RE_CLOSED_LOST "\\A" CLOSED "[lL]" SEP "[oO]" SEP "[sS]" SEP "[tT]" SEP "\\z"

/* The outcome of deals row x, as call_facts.outcome reads it (schema/002 and stages.c): the
 * stages config's word for the stage, else won or lost for closedwon/closedlost spelled any
 * way, else open. The config's stages are read in non-correlated subqueries (once). */
static const char outcome_of_x[] =
    "CASE WHEN ifnull(x.stage, '') COLLATE NOCASE IN (SELECT so.stage FROM temp.stage_outcomes "
    "so WHERE so.outcome = 'won') THEN 'won' "
    "WHEN ifnull(x.stage, '') COLLATE NOCASE IN (SELECT so.stage FROM temp.stage_outcomes so "
    "WHERE so.outcome = 'lost') THEN 'lost' "
    "WHEN ifnull(x.stage, '') COLLATE NOCASE IN (SELECT so.stage FROM temp.stage_outcomes so "
    "WHERE so.outcome = 'open') THEN 'open' "
    "WHEN regexp('" RE_CLOSED_WON "', x.stage) THEN 'won' "
    "WHEN regexp('" RE_CLOSED_LOST "', x.stage) THEN 'lost' ELSE 'open' END";

/* The calls' deals as they stand, as x: the stored facts (call_facts, stages.h), whose deal
 * columns (stage, amount, owner, company_size) are the Now row with ord 0's, and one row per
 * call that has one (outcome is NULL without). One pass over them costs less than over deals
 * (two snapshots, every deal of a call): at 100,000 calls --stage closedlost's selection
 * 0.17 -> 0.12 s. The terms that read it are written +calls.id IN (...), as --rep's: calls'
 * start index is walked and the list probed, rather than each listed call looked up by id
 * (`calls --company-size 1000+`, 33,000 calls, 0.43 -> 0.32 s CPU; a selective one such as
 * --stage closedlost --min-amount 50k pays the walk, 0.13 -> 0.15 s). */
#define NOW_DEALS "call_facts x WHERE x.outcome IS NOT NULL"

/* Append --outcome's words as an SQL list: 'won', 'lost'. */
static int outcome_words(const struct filter *f, struct buf *b, struct err *e)
{
    static const struct {
        int bit;
        const char *word;
    } words[] = {{FILTER_WON, "won"}, {FILTER_LOST, "lost"}, {FILTER_OPEN, "open"}};
    int rc, n = 0;

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if ((f->outcomes & words[i].bit) &&
            (rc = buf_printf(b, e, "%s'%s'", n++ ? ", " : "", words[i].word)))
            return rc;
    return ERR_OK;
}

/* " AND" the outcome of deals row x is one of --outcome's words. */
static int outcome_cond(const struct filter *f, struct buf *b, struct err *e)
{
    int rc;

    if ((rc = buf_printf(b, e, " AND (%s) IN (", outcome_of_x)) || (rc = outcome_words(f, b, e)))
        return rc;
    return buf_putc(b, ')', e);
}

/* Whether the deal terms' subquery also checks --outcome: both read the Now row with ord 0
 * when the timing is now, so one pass over deals serves both. */
static int outcome_with_deal_terms(const struct filter *f)
{
    return f->outcomes && f->timing == FILTER_TIMING_NOW && filter_has_deal_terms(f);
}

/* --outcome: calls whose deal (the Now row with ord 0, whatever the timing) has one of the
 * outcomes. */
static int outcome_term(const struct filter *f, struct buf *b, struct err *e)
{
    int rc;

    if ((rc = buf_puts(b, "+calls.id IN (SELECT x.call_id FROM " NOW_DEALS, e)) ||
        (rc = outcome_cond(f, b, e)))
        return rc;
    return buf_putc(b, ')', e);
}

/* " AND" column col (trusted SQL) is one of --stage's values, ignoring case. */
static int stage_cond(const struct filter *f, const char *col, struct buf *b, struct err *e)
{
    int rc;

    if ((rc = buf_printf(b, e, " AND %s COLLATE NOCASE IN (", col)))
        return rc;
    for (size_t i = 0; i < f->n_stages; i++)
        if ((rc = buf_printf(b, e, "%s:f_stage%zu", i ? ", " : "", i + 1)))
            return rc;
    return buf_putc(b, ')', e);
}

/* The deal terms: calls whose deal row (x) in the timing meets every one of them (and
 * --outcome's, when the timing is now). */
static int deal_terms(const struct filter *f, struct buf *b, struct err *e)
{
    int rc;

    if (f->timing == FILTER_TIMING_NOW)
        rc = buf_puts(b, "+calls.id IN (SELECT x.call_id FROM " NOW_DEALS, e);
    else if (!(rc = buf_puts(b, "calls.id IN (SELECT x.call_id FROM deals x WHERE ", e)))
        rc = call_deal_row(f, b, e);
    if (rc)
        return rc;
    if (f->n_stages && (rc = stage_cond(f, "x.stage", b, e)))
        return rc;
    if (f->has_min_amount && (rc = buf_puts(b, " AND x.amount >= :f_min_amount", e)))
        return rc;
    if (f->has_max_amount && (rc = buf_puts(b, " AND x.amount <= :f_max_amount", e)))
        return rc;
    if (f->has_size && (rc = buf_puts(b, " AND x.company_size >= :f_size_min", e)))
        return rc;
    if (f->has_size && f->size_max >= 0 &&
        (rc = buf_puts(b, " AND x.company_size <= :f_size_max", e)))
        return rc;
    if (f->owner && (rc = owner_term("x", b, e)))
        return rc;
    if (outcome_with_deal_terms(f) && (rc = outcome_cond(f, b, e)))
        return rc;
    return buf_putc(b, ')', e);
}

/* --rep: calls whose rep (call_facts.rep_name, rep_email) holds the needle, read from the
 * stored facts (call_facts is the binary's TEMP view over call_facts_stored, stages.h): one
 * pass over a table of ~440 bytes a call, uncorrelated. It replaced a union of index walks
 * from the matching users plus call_facts' own expressions for reps without a complete user
 * row. The unary + keeps SQLite from driving the selection by the list (a lookup of calls
 * by id for each matching call, random over the calls table): it walks calls' start index
 * and probes the list instead. At 100,000 calls `calls --rep e` (every call) 1.34 -> 0.86 s
 * CPU, `--rep chen` (6,297 calls) 0.19 -> 0.24 s. */
static int rep_term(struct buf *b, struct err *e)
{
    return buf_puts(b,
                    "+calls.id IN (SELECT cf_r.call_id FROM call_facts cf_r WHERE "
                    "instr(casefold(cf_r.rep_name), :f_rep) > 0 OR "
                    "instr(casefold(cf_r.rep_email), :f_rep) > 0)",
                    e);
}

/* --participant's call lists, for participant_term and facts_participant: the calls of an
 * internal party whose name or e-mail contains :f_part; the calls of a party that is a Gong
 * user, whose condition (user_matches) and the parenthesis closing its IN come next. */
#define INTERNAL_PARTY_CALLS                                                                       \
    "SELECT p.call_id FROM parties p WHERE p.affiliation = 'Internal' COLLATE NOCASE AND "         \
    "(instr(casefold(p.name), :f_part) > 0 OR instr(casefold(p.email), :f_part) > 0)"
#define USER_PARTY_CALLS                                                                           \
    "SELECT p.call_id FROM parties p WHERE p.user_id IN (SELECT u.id FROM users u WHERE "

/* --participant: an internal party, the Gong user behind a party, or the primary user. */
static int participant_term(struct buf *b, struct err *e)
{
    int rc;

    if ((rc = buf_puts(
             b, "(calls.id IN (" INTERNAL_PARTY_CALLS ") OR calls.id IN (" USER_PARTY_CALLS, e)) ||
        (rc = buf_printf(b, e, user_matches, ":f_part", ":f_part")) ||
        (rc = buf_puts(b, ")) OR calls.primary_user_id IN (SELECT u.id FROM users u WHERE ", e)) ||
        (rc = buf_printf(b, e, user_matches, ":f_part", ":f_part")))
        return rc;
    return buf_puts(b, "))", e);
}

int filter_sql(const struct filter *f, struct buf *b, struct err *e)
{
    int first = 1, rc;

    if ((rc = buf_putc(b, '(', e)))
        return rc;
    if (f->has_from &&
        ((rc = and_sep(b, &first, e)) || (rc = buf_puts(b, "calls.started >= :f_from", e))))
        return rc;
    if (f->has_to &&
        ((rc = and_sep(b, &first, e)) || (rc = buf_puts(b, "calls.started < :f_to", e))))
        return rc;
    if (f->rep && ((rc = and_sep(b, &first, e)) || (rc = rep_term(b, e))))
        return rc;
    if (f->participant && ((rc = and_sep(b, &first, e)) || (rc = participant_term(b, e))))
        return rc;
    if (filter_has_deal_terms(f) && ((rc = and_sep(b, &first, e)) || (rc = deal_terms(f, b, e))))
        return rc;
    if (f->outcomes && !outcome_with_deal_terms(f) &&
        ((rc = and_sep(b, &first, e)) || (rc = outcome_term(f, b, e))))
        return rc;
    if (f->where && ((rc = and_sep(b, &first, e)) || (rc = buf_printf(b, e, "(\n%s\n)", f->where))))
        return rc;
    if (first && (rc = buf_putc(b, '1', e)))
        return rc;
    return buf_putc(b, ')', e);
}

/* ---- the same condition over a call_facts row ------------------------------------------ */

/* " AND" the company size and owner terms over row a (a deals or call_facts row). */
static int size_owner_cond(const struct filter *f, const char *a, struct buf *b, struct err *e)
{
    int rc;

    if (f->has_size && (rc = buf_printf(b, e, " AND %s.company_size >= :f_size_min", a)))
        return rc;
    if (f->has_size && f->size_max >= 0 &&
        (rc = buf_printf(b, e, " AND %s.company_size <= :f_size_max", a)))
        return rc;
    return f->owner ? owner_term(a, b, e) : ERR_OK;
}

/* The deal terms over the call_facts row cf. As they stand: its own deal columns (the Now
 * row with ord 0's). At the call: stage_at_call and amount_at_call, which read the very row
 * call_deal_row picks (the TimeOfCall row of the Now deal, or the Now row of a call without
 * a TimeOfCall snapshot); company size and owner, which call_facts does not keep at the
 * call, from that row in deals, in two branches:
 *   - a TimeOfCall row of the call whose deal id is cf's (equal, or both NULL, as IS
 *     compares them) meets them: toc_fn's set, or non-correlated lists of those rows (the
 *     unary + keeps SQLite from looking each listed call up by id instead of reading
 *     call_facts once);
 *   - the call has no TimeOfCall row and cf's own deal meets them: a point lookup in
 *     deals_call, written last so it runs only for calls whose own deal qualifies (call_facts
 *     is read in call id order, so the lookups walk the index forwards: 0.03 s at 100,000
 *     calls, where a list of the 85,000 calls that have a TimeOfCall row cost 0.1 s). */
static int facts_deal_terms(const struct filter *f, const char *toc_fn, struct buf *b,
                            struct err *e)
{
    int now = f->timing == FILTER_TIMING_NOW, rc;

    if ((rc = buf_puts(b, now ? "(cf.outcome IS NOT NULL" : "(1", e)) ||
        (f->n_stages && (rc = stage_cond(f, now ? "cf.stage" : "cf.stage_at_call", b, e))) ||
        (f->has_min_amount && (rc = buf_printf(b, e, " AND cf.%s >= :f_min_amount",
                                               now ? "amount" : "amount_at_call"))) ||
        (f->has_max_amount &&
         (rc = buf_printf(b, e, " AND cf.%s <= :f_max_amount", now ? "amount" : "amount_at_call"))))
        return rc;
    if (!filter_facts_needs_toc(f)) {
        if (now && (rc = size_owner_cond(f, "cf", b, e)))
            return rc;
        return buf_putc(b, ')', e);
    }
    if (toc_fn)
        rc = buf_printf(b, e, " AND (%s(cf.call_id, cf.deal_id)", toc_fn);
    else if (!(rc = buf_puts(b,
                             " AND ((+cf.call_id, +cf.deal_id) IN (SELECT x.call_id, x.deal_id "
                             "FROM deals x WHERE x.timing = 'TimeOfCall'",
                             e)) &&
             !(rc = size_owner_cond(f, "x", b, e)) &&
             !(rc = buf_puts(b,
                             ") OR (cf.deal_id IS NULL AND +cf.call_id IN (SELECT x.call_id "
                             "FROM deals x WHERE x.timing = 'TimeOfCall' AND x.deal_id IS NULL",
                             e)) &&
             !(rc = size_owner_cond(f, "x", b, e)))
        rc = buf_puts(b, "))", e);
    if (rc || (rc = buf_puts(b, " OR (cf.outcome IS NOT NULL", e)) ||
        (rc = size_owner_cond(f, "cf", b, e)))
        return rc;
    return buf_puts(b,
                    " AND NOT EXISTS (SELECT 1 FROM deals z WHERE z.call_id = cf.call_id AND "
                    "z.timing = 'TimeOfCall'))))",
                    e);
}

int filter_facts_needs_toc(const struct filter *f)
{
    return f->timing == FILTER_TIMING_CALL && (f->has_size || f->owner);
}

int filter_facts_toc_sql(const struct filter *f, struct buf *b, struct err *e)
{
    int rc;

    if ((rc = buf_puts(b, "SELECT x.call_id, x.deal_id FROM deals x WHERE x.timing = 'TimeOfCall'",
                       e)))
        return rc;
    return size_owner_cond(f, "x", b, e);
}

/* --participant over cf: participant_term's three lists of call ids as one (a call probed
 * once; the calls of a matching primary user read through calls_primary_user). */
static int facts_participant(struct buf *b, struct err *e)
{
    int rc;

    if ((rc = buf_puts(b, "cf.call_id IN (" INTERNAL_PARTY_CALLS " UNION ALL " USER_PARTY_CALLS,
                       e)) ||
        (rc = buf_printf(b, e, user_matches, ":f_part", ":f_part")) ||
        (rc = buf_puts(b,
                       ") UNION ALL SELECT c.id FROM calls c WHERE c.primary_user_id IN (SELECT "
                       "u.id FROM users u WHERE ",
                       e)) ||
        (rc = buf_printf(b, e, user_matches, ":f_part", ":f_part")))
        return rc;
    return buf_puts(b, "))", e);
}

int filter_facts_sql(const struct filter *f, const char *toc_fn, struct buf *b, struct err *e)
{
    int first = 1, rc;

    if ((rc = buf_putc(b, '(', e)))
        return rc;
    if (f->has_from &&
        ((rc = and_sep(b, &first, e)) || (rc = buf_puts(b, "cf.started >= :f_from", e))))
        return rc;
    if (f->has_to && ((rc = and_sep(b, &first, e)) || (rc = buf_puts(b, "cf.started < :f_to", e))))
        return rc;
    if (f->rep && ((rc = and_sep(b, &first, e)) ||
                   (rc = buf_puts(b,
                                  "(instr(casefold(cf.rep_name), :f_rep) > 0 OR "
                                  "instr(casefold(cf.rep_email), :f_rep) > 0)",
                                  e))))
        return rc;
    if (f->participant && ((rc = and_sep(b, &first, e)) || (rc = facts_participant(b, e))))
        return rc;
    if (filter_has_deal_terms(f) &&
        ((rc = and_sep(b, &first, e)) || (rc = facts_deal_terms(f, toc_fn, b, e))))
        return rc;
    if (f->outcomes && ((rc = and_sep(b, &first, e)) || (rc = buf_puts(b, "cf.outcome IN (", e)) ||
                        (rc = outcome_words(f, b, e)) || (rc = buf_putc(b, ')', e))))
        return rc;
    if (f->where &&
        ((rc = and_sep(b, &first, e)) ||
         (rc = buf_printf(b, e, "cf.call_id IN (SELECT calls.id FROM calls WHERE (\n%s\n))",
                          f->where))))
        return rc;
    if (first && (rc = buf_putc(b, '1', e)))
        return rc;
    return buf_putc(b, ')', e);
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
    char when[ISOTIME_MAX], name[32];
    int rc = SQLITE_OK;

    if (f->has_from) {
        isotime_format(f->from_ms, 1, when);
        rc |= bind_text(st, ":f_from", when);
    }
    if (f->has_to) {
        isotime_format(f->to_ms, 1, when);
        rc |= bind_text(st, ":f_to", when);
    }
    if (f->rep)
        rc |= bind_text(st, ":f_rep", f->rep);
    if (f->participant)
        rc |= bind_text(st, ":f_part", f->participant);
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
