/* test_deals: deals rows from CRM objects built in C (no JSON): object and property names,
 * timings, companies, and amounts/sizes/close dates parsed, never guessed. */
#include <string.h>

#include "check.h"
#include "deals.h"

static struct deals_value text(const char *s)
{
    struct deals_value v = {DEALS_V_TEXT, 0, 0, s, strlen(s)};

    return v;
}

static struct deals_value integer(int64_t i)
{
    struct deals_value v = {DEALS_V_INT, i, 0, NULL, 0};

    return v;
}

static struct deals_value real(double d)
{
    struct deals_value v = {DEALS_V_REAL, 0, d, NULL, 0};

    return v;
}

static struct deals_value boolean(int b)
{
    struct deals_value v = {DEALS_V_BOOL, b, 0, NULL, 0};

    return v;
}

static struct deals_value json(const char *s)
{
    struct deals_value v = {DEALS_V_JSON, 0, 0, s, strlen(s)};

    return v;
}

static const struct deals_value null_value = {DEALS_V_NULL, 0, 0, NULL, 0};

static int streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static int is_text(const struct deals_value *v, const char *want)
{
    return v && v->type == DEALS_V_TEXT && streq(v->s, want);
}

static double amount_of(struct deals_value v, int *ok)
{
    double d = -1;

    *ok = deals_amount(&v, &d);
    return d;
}

static void test_amounts(void)
{
    int ok;
    int64_t n = -1;
    struct deals_value v;
    double d;

    CHECK(amount_of(integer(52000), &ok) == 52000.0 && ok);
    CHECK(amount_of(real(52000.5), &ok) == 52000.5 && ok);
    CHECK(amount_of(text("52000"), &ok) == 52000.0 && ok);
    CHECK(amount_of(text("52000.00"), &ok) == 52000.0 && ok);
    CHECK(amount_of(text(" 1e3 "), &ok) == 1000.0 && ok);
    CHECK(amount_of(text("\t-12.5E-1\n"), &ok) == -1.25 && ok);
    CHECK(amount_of(text(".5"), &ok) == 0.5 && ok);
    CHECK(amount_of(text("+7"), &ok) == 7.0 && ok);
    amount_of(text("52,000"), &ok);
    CHECK(!ok);
    amount_of(text("n/a"), &ok);
    CHECK(!ok);
    amount_of(text(""), &ok);
    CHECK(!ok);
    amount_of(text("   "), &ok);
    CHECK(!ok);
    amount_of(text("$52000"), &ok);
    CHECK(!ok);
    amount_of(text("0x10"), &ok);
    CHECK(!ok);
    amount_of(text("inf"), &ok);
    CHECK(!ok);
    amount_of(text("nan"), &ok);
    CHECK(!ok);
    amount_of(text("1e999"), &ok);
    CHECK(!ok);
    amount_of(text("1e"), &ok);
    CHECK(!ok);
    amount_of(text("."), &ok);
    CHECK(!ok);
    amount_of(text("12 34"), &ok);
    CHECK(!ok);
    amount_of(null_value, &ok);
    CHECK(!ok);
    amount_of(boolean(1), &ok);
    CHECK(!ok);
    amount_of(json("[52000]"), &ok);
    CHECK(!ok);
    amount_of(json("{\"v\":1}"), &ok);
    CHECK(!ok);
    CHECK(deals_amount(NULL, &d) == 0);
    CHECK(deals_number_text(NULL, 0, &d) == 0);
    /* the length bounds the text: "12" of "123" */
    CHECK(deals_number_text("123", 2, &d) == 1 && d == 12.0);

    v = text("1200.0");
    CHECK(deals_size(&v, &n) == 1 && n == 1200);
    v = integer(1200);
    CHECK(deals_size(&v, &n) == 1 && n == 1200);
    v = real(1200.0);
    CHECK(deals_size(&v, &n) == 1 && n == 1200);
    v = real(12.5);
    CHECK(deals_size(&v, &n) == 0);
    v = text("12.5");
    CHECK(deals_size(&v, &n) == 0);
    v = text("1e30"); /* whole but beyond int64 */
    CHECK(deals_size(&v, &n) == 0);
    v = text("5,000");
    CHECK(deals_size(&v, &n) == 0);
    v = boolean(0);
    CHECK(deals_size(&v, &n) == 0);
    CHECK(deals_size(NULL, &n) == 0);
}

static void test_close_dates(void)
{
    char out[ISOTIME_MAX];
    struct deals_value v;

    v = text("2024-06-30T00:00:00.000+02:00");
    CHECK(deals_close_date(&v, out) && streq(out, "2024-06-29T22:00:00.000Z"));
    v = text("2024-06-30T12:34:56.789Z");
    CHECK(deals_close_date(&v, out) && streq(out, "2024-06-30T12:34:56.789Z"));
    v = integer(1717200000000);
    CHECK(deals_close_date(&v, out) && streq(out, "2024-06-01T00:00:00.000Z"));
    v = real(1717200000123.0);
    CHECK(deals_close_date(&v, out) && streq(out, "2024-06-01T00:00:00.123Z"));
    v = text("1717200000000");
    CHECK(deals_close_date(&v, out) && streq(out, "2024-06-01T00:00:00.000Z"));
    /* as given */
    v = text("2024-06-30"); /* a day, not an instant */
    CHECK(!deals_close_date(&v, out));
    v = text("2024-06-30T00:00:00"); /* no zone */
    CHECK(!deals_close_date(&v, out));
    v = text("next quarter");
    CHECK(!deals_close_date(&v, out));
    v = integer(20240630); /* not epoch ms */
    CHECK(!deals_close_date(&v, out));
    v = text("1717200000"); /* 10 digits: seconds? a guess, so as given */
    CHECK(!deals_close_date(&v, out));
    v = real(1717200000000.5);
    CHECK(!deals_close_date(&v, out));
    CHECK(!deals_close_date(&null_value, out));
    CHECK(!deals_close_date(NULL, out));
}

static void test_derive(void)
{
    /* HubSpot: Deal + Company in Now and TimeOfCall, a second Company, a party object */
    struct deals_field hs_deal[] = {
        {"dealname", text("Acme")},        {"dealstage", text("closedwon")},
        {"amount", text("52000")},         {"closedate", text("2024-06-30T00:00:00Z")},
        {"hubspot_owner_id", integer(77)}, {"Amount", integer(1)}, /* exact HubSpot name wins */
    };
    struct deals_field hs_co[] = {{"name", text("Acme Corp")},
                                  {"numberofemployees", text("1200.0")}};
    struct deals_field hs_co2[] = {{"name", text("Other")}, {"numberofemployees", integer(3)}};
    struct deals_field hs_deal_toc[] = {{"DEALSTAGE", text("qualified")}, {"amount", real(1.5)}};
    struct deals_field sf_opp[] = {
        {"Name", text("Globex")},   {"StageName", text("Prospecting")},
        {"Amount", integer(25000)}, {"CloseDate", text("2024-07-01")},
        {"OwnerId", text("005xx")}, {"amount", integer(9)}, /* Salesforce name wins */
    };
    struct deals_field sf_acct[] = {{"Name", text("Globex Inc")},
                                    {"NumberOfEmployees", real(12.5)}};
    struct deals_field contact[] = {{"Name", text("Bob")}};
    struct deals_field odd[] = {{NULL, text("nameless")}, {"amount", null_value}};
    struct deals_object objs[] = {
        {-1, "HubSpot", "Company", "c1", "Now", hs_co, 2},
        {-1, "HubSpot", "Deal", "d1", "Now", hs_deal, 6},
        {-1, "HubSpot", "Company", "c2", "Now", hs_co2, 2},
        {-1, "HubSpot", "Deal", "d1", "TimeOfCall", hs_deal_toc, 2},
        {-1, "HubSpot", "Deal", "d1", "Now", hs_deal_toc, 2}, /* duplicate: skipped */
        {0, "HubSpot", "Deal", "pd", "Now", hs_deal, 6},      /* party level: ignored */
        {1, "Salesforce", "Contact", "k1", "Now", contact, 1},
        {-1, "Salesforce", "Opportunity", "o1", "Now", sf_opp, 6},
        {-1, "Salesforce", "Account", "a1", "TimeOfCall", sf_acct, 2},
        {-1, "Salesforce", "Account", "a2", "Later", sf_acct, 2}, /* company-only timing */
        {-1, NULL, "Opportunity", NULL, NULL, odd, 2},            /* no id, no timing */
        {-1, NULL, "Opportunity", NULL, "Now", odd, 2},           /* Now, no id: duplicate */
        {-1, "Generic", NULL, "x", "Now", odd, 2},
        {-1, "Generic", "deal", "x", "Now", odd, 2}, /* object types are exact */
    };
    size_t n = sizeof objs / sizeof objs[0];
    struct deals_row rows[16];
    size_t k;

    CHECK(deals_max_rows(objs, n) == 6);
    k = deals_derive(objs, n, rows);
    CHECK(k == 4);
    /* 1: HubSpot Now, first company of the timing attached */
    CHECK(streq(rows[0].timing, "Now") && streq(rows[0].deal_id, "d1"));
    CHECK(streq(rows[0].system, "HubSpot"));
    CHECK(is_text(rows[0].deal_name, "Acme") && is_text(rows[0].stage, "closedwon"));
    CHECK(rows[0].has_amount && rows[0].amount == 52000.0);
    CHECK(rows[0].owner && rows[0].owner->type == DEALS_V_INT && rows[0].owner->i == 77);
    CHECK(streq(rows[0].close_date_iso, "2024-06-30T00:00:00.000Z"));
    CHECK(streq(rows[0].company_id, "c1") && is_text(rows[0].company_name, "Acme Corp"));
    CHECK(rows[0].has_company_size && rows[0].company_size == 1200);
    /* 2: TimeOfCall: case-insensitive stage; the only company of that timing is another
     * system's, which still attaches */
    CHECK(streq(rows[1].timing, "TimeOfCall") && is_text(rows[1].stage, "qualified"));
    CHECK(rows[1].has_amount && rows[1].amount == 1.5);
    CHECK(rows[1].deal_name == NULL && rows[1].owner == NULL && rows[1].close_date_raw == NULL);
    CHECK(rows[1].close_date_iso[0] == '\0');
    CHECK(streq(rows[1].company_id, "a1") && !rows[1].has_company_size);
    /* 3: Salesforce Now: no Account in Now, so the first company of Now (HubSpot's) */
    CHECK(streq(rows[2].deal_id, "o1") && is_text(rows[2].deal_name, "Globex"));
    CHECK(is_text(rows[2].stage, "Prospecting") && rows[2].amount == 25000.0);
    CHECK(is_text(rows[2].owner, "005xx"));
    CHECK(rows[2].close_date_iso[0] == '\0' && is_text(rows[2].close_date_raw, "2024-07-01"));
    CHECK(streq(rows[2].company_id, "c1"));
    /* 4: no id, no timing: Gong's default timing Now; nameless field ignored */
    CHECK(streq(rows[3].timing, "Now") && rows[3].deal_id == NULL);
    CHECK(rows[3].deal_name == NULL && !rows[3].has_amount && rows[3].system == NULL);
    CHECK(streq(rows[3].company_id, "c1"));

    /* the Salesforce account attaches when the timing matches */
    {
        struct deals_object two[] = {
            {-1, "Salesforce", "Account", "a1", "TimeOfCall", sf_acct, 2},
            {-1, "Salesforce", "Opportunity", "o1", "TimeOfCall", sf_opp, 6},
            {-1, "HubSpot", "Company", "c1", "TimeOfCall", hs_co, 2},
        };

        CHECK(deals_derive(two, 3, rows) == 1);
        CHECK(streq(rows[0].company_id, "a1") && is_text(rows[0].company_name, "Globex Inc"));
        CHECK(!rows[0].has_company_size); /* 12.5 employees */
    }
    /* several CRMs on one call: the deal's own system's company first, then the first */
    {
        struct deals_object mixed[] = {
            {-1, "HubSpot", "Company", "c1", "Now", hs_co, 2},
            {-1, "Salesforce", "Account", "a1", "Now", sf_acct, 2},
            {-1, "Salesforce", "Opportunity", "o1", "Now", sf_opp, 6},
            {-1, "HubSpot", "Deal", "d1", "Now", hs_deal, 6},
            {-1, "Generic", "Deal", "g1", "Now", hs_deal, 6},
        };

        CHECK(deals_derive(mixed, 5, rows) == 3);
        CHECK(streq(rows[0].company_id, "a1") && streq(rows[1].company_id, "c1"));
        CHECK(streq(rows[2].company_id, "c1"));
    }
    /* companies alone give no rows */
    {
        struct deals_object cos[] = {{-1, "HubSpot", "Company", "c1", "Now", hs_co, 2}};

        CHECK(deals_max_rows(cos, 1) == 0 && deals_derive(cos, 1, rows) == 0);
    }
    CHECK(deals_derive(NULL, 0, rows) == 0);
}

int main(void)
{
    test_amounts();
    test_close_dates();
    test_derive();
    return CHECK_DONE("test_deals");
}
