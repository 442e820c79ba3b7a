/* deals: derive the deals rows of a call from its CRM objects (see deals.h).
 *
 * Pure functions over borrowed structs: no allocation, no JSON library, no SQLite. A call
 * has a handful of objects with a few dozen fields each, so lookups are linear scans. */
#include "deals.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banned.h"

enum kind { K_OTHER, K_DEAL, K_COMPANY };

static int streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static enum kind object_kind(const struct deals_object *o)
{
    if (o->party_ord >= 0 || !o->object_type)
        return K_OTHER;
    if (streq(o->object_type, "Deal") || streq(o->object_type, "Opportunity"))
        return K_DEAL;
    if (streq(o->object_type, "Company") || streq(o->object_type, "Account"))
        return K_COMPANY;
    return K_OTHER;
}

/* The deal's timing; Gong's default contextTiming is Now, so an object without one is a Now
 * snapshot (deals.timing is NOT NULL). */
static const char *timing_of(const struct deals_object *o)
{
    return o->timing ? o->timing : "Now";
}

/* Property names by role: [0] HubSpot, [1] Salesforce. */
enum prop { P_NAME, P_STAGE, P_AMOUNT, P_CLOSE, P_OWNER, P_CO_NAME, P_CO_SIZE, P_COUNT };
static const char *const prop_names[P_COUNT][2] = {
    [P_NAME] = {"dealname", "Name"},
    [P_STAGE] = {"dealstage", "StageName"},
    [P_AMOUNT] = {"amount", "Amount"},
    [P_CLOSE] = {"closedate", "CloseDate"},
    [P_OWNER] = {"hubspot_owner_id", "OwnerId"},
    [P_CO_NAME] = {"name", "Name"},
    [P_CO_SIZE] = {"numberofemployees", "NumberOfEmployees"},
};

/* The value of a property: the system's own name first, exact matches before
 * case-insensitive ones; the first field of that name wins. NULL when absent. */
static const struct deals_value *prop(const struct deals_object *o, enum prop p)
{
    int first = streq(o->system, "Salesforce") ? 1 : 0;
    const char *names[2] = {prop_names[p][first], prop_names[p][1 - first]};

    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; i < o->n_fields; i++) {
                const char *fn = o->fields[i].name;

                if (!fn)
                    continue;
                if (pass == 0 ? strcmp(fn, names[k]) == 0 : strcasecmp(fn, names[k]) == 0)
                    return &o->fields[i].v;
            }
        }
    }
    return NULL;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int deals_number_text(const char *s, size_t len, double *out)
{
    const char *p, *end;
    char tmp[128];
    size_t n, digits = 0;
    double d;

    if (!s)
        return 0;
    p = s;
    end = s + len;
    while (p < end && is_space(*p))
        p++;
    while (end > p && is_space(end[-1]))
        end--;
    n = (size_t)(end - p);
    if (n == 0 || n >= sizeof tmp)
        return 0;
    /* Validate the grammar ourselves: strtod also takes hex, inf, nan and locale forms. */
    {
        const char *q = p;

        if (*q == '+' || *q == '-')
            q++;
        while (q < end && is_digit(*q)) {
            q++;
            digits++;
        }
        if (q < end && *q == '.') {
            q++;
            while (q < end && is_digit(*q)) {
                q++;
                digits++;
            }
        }
        if (digits == 0)
            return 0;
        if (q < end && (*q == 'e' || *q == 'E')) {
            size_t ed = 0;

            q++;
            if (q < end && (*q == '+' || *q == '-'))
                q++;
            while (q < end && is_digit(*q)) {
                q++;
                ed++;
            }
            if (ed == 0)
                return 0;
        }
        if (q != end)
            return 0;
    }
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    {
        /* strtod reads the locale's decimal point: translate, as cJSON does */
        const char *dp = localeconv()->decimal_point;
        char *q = memchr(tmp, '.', n), *stop;

        if (q && dp && dp[0] && dp[0] != '.' && !dp[1])
            *q = dp[0];
        d = strtod(tmp, &stop);
        if (stop != tmp + n || !isfinite(d))
            return 0;
    }
    *out = d;
    return 1;
}

int deals_amount(const struct deals_value *v, double *out)
{
    if (!v)
        return 0;
    switch (v->type) {
    case DEALS_V_INT: *out = (double)v->i; return 1;
    case DEALS_V_REAL:
        if (!isfinite(v->d))
            return 0;
        *out = v->d;
        return 1;
    case DEALS_V_TEXT: return deals_number_text(v->s, v->len, out);
    default: return 0;
    }
}

/* A double that is a whole number within int64, converted without undefined behaviour. */
static int whole_i64(double d, int64_t *out)
{
    if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return 0;
    *out = (int64_t)d;
    return 1;
}

int deals_size(const struct deals_value *v, int64_t *out)
{
    double d;

    if (!v)
        return 0;
    if (v->type == DEALS_V_INT) {
        *out = v->i;
        return 1;
    }
    if (!deals_amount(v, &d))
        return 0;
    return whole_i64(d, out);
}

/* Epoch milliseconds with 12 or 13 digits: 1973-03-03 .. 2286-11-20. */
static int epoch_ms_range(double d)
{
    return d >= 1e11 && d < 1e13 && d == floor(d);
}

int deals_close_date(const struct deals_value *v, char out[ISOTIME_MAX])
{
    double d;
    int64_t ms;

    if (!v)
        return 0;
    if (v->type == DEALS_V_INT || v->type == DEALS_V_REAL) {
        d = v->type == DEALS_V_INT ? (double)v->i : v->d;
        if (!epoch_ms_range(d))
            return 0;
        isotime_format((int64_t)d, 1, out);
        return 1;
    }
    if (v->type != DEALS_V_TEXT || !v->s)
        return 0;
    {
        size_t nd = 0;

        while (nd < v->len && is_digit(v->s[nd]))
            nd++;
        if (nd == v->len && (nd == 12 || nd == 13)) {
            isotime_format(strtoll(v->s, NULL, 10), 1, out);
            return 1;
        }
    }
    /* A date-time with a zone only: a bare date is a day, not an instant. */
    if (!memchr(v->s, 'T', v->len) && !memchr(v->s, 't', v->len) && !memchr(v->s, ' ', v->len))
        return 0;
    if (isotime_parse(v->s, 0, &ms, NULL) != 0)
        return 0;
    isotime_format(ms, 1, out);
    return 1;
}

size_t deals_max_rows(const struct deals_object *objs, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        if (object_kind(&objs[i]) == K_DEAL)
            k++;
    return k;
}

/* Two optional ids are the same deal: equal strings, or both absent. */
static int same_id(const char *a, const char *b)
{
    return (!a && !b) || streq(a, b);
}

size_t deals_derive(const struct deals_object *objs, size_t n, struct deals_row *rows)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        const struct deals_object *o = &objs[i];
        const struct deals_object *co = NULL;
        struct deals_row *r;
        const char *timing;
        int dup = 0;

        if (object_kind(o) != K_DEAL)
            continue;
        timing = timing_of(o);
        for (size_t j = 0; j < k && !dup; j++)
            dup = strcmp(rows[j].timing, timing) == 0 && same_id(rows[j].deal_id, o->object_id);
        if (dup)
            continue;
        /* the first company of the timing, one of the deal's own system preferred */
        for (int pass = 0; pass < 2 && !co; pass++)
            for (size_t j = 0; j < n && !co; j++)
                if (object_kind(&objs[j]) == K_COMPANY &&
                    strcmp(timing_of(&objs[j]), timing) == 0 &&
                    (pass == 1 || same_id(objs[j].system, o->system)))
                    co = &objs[j];
        r = &rows[k++];
        memset(r, 0, sizeof *r);
        r->timing = timing;
        r->system = o->system;
        r->deal_id = o->object_id;
        r->deal_name = prop(o, P_NAME);
        r->stage = prop(o, P_STAGE);
        r->owner = prop(o, P_OWNER);
        r->has_amount = deals_amount(prop(o, P_AMOUNT), &r->amount);
        r->close_date_raw = prop(o, P_CLOSE);
        if (!deals_close_date(r->close_date_raw, r->close_date_iso))
            r->close_date_iso[0] = '\0';
        if (co) {
            r->company_id = co->object_id;
            r->company_name = prop(co, P_CO_NAME);
            r->has_company_size = deals_size(prop(co, P_CO_SIZE), &r->company_size);
        }
    }
    return k;
}
