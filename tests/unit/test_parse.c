/* test_parse: Gong JSON pages -> structs, on the fixtures in tests/fixtures/ (run from the
 * repository root), plus the page walk (each record's exact bytes) and the malformed-body
 * errors. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parse.h"
#include "transcript.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;

    *len = 0;
    if (!f) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (p = malloc((size_t)n + 1)) && fread(p, 1, (size_t)n, f) == (size_t)n) {
        p[n] = '\0';
        *len = (size_t)n;
    }
    fclose(f);
    return p;
}

/* memmem is a GNU extension: a portable stand-in. */
static const char *find(const char *hay, size_t n, const char *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return hay + i;
    return NULL;
}

static int streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Parse body as a calls page; the raw bytes of its calls joined by '|' into got (or "ERR: "
 * and the message). */
static const char *calls_raw(const char *body, size_t len)
{
    static char got[512];
    struct parse_calls_page *p = NULL;
    struct err e = {0};
    size_t k = 0;

    got[0] = '\0';
    if (parse_calls_page(body, len, &p, &e) != ERR_OK) {
        snprintf(got, sizeof got, "ERR: %s", e.msg);
        return got;
    }
    for (size_t i = 0; i < p->n_calls && k < sizeof got - 1; i++) {
        int n = snprintf(got + k, sizeof got - k, "%s%.*s", i ? "|" : "", (int)p->calls[i].raw_len,
                         p->calls[i].raw);

        k += n > 0 ? (size_t)n : 0;
    }
    parse_calls_free(p);
    return got;
}

static int raw_is(const char *body, const char *want)
{
    const char *got = calls_raw(body, strlen(body));

    if (strcmp(got, want) != 0) {
        fprintf(stderr, "  body %s\n  got  %s\n  want %s\n", body, got, want);
        return 0;
    }
    return 1;
}

/* The page walk (test_jsonwalk tests it alone): each call's exact bytes; elements that are
 * not objects or have no id skipped. */
static void test_walk(void)
{
    CHECK(raw_is("{\"a\":1,\"x\":{\"calls\":[{\"metaData\":{\"id\":\"no\"}}]},\"calls\" :\n [ "
                 "{\"metaData\":{\"id\":\"1\"},\"t\":\"]}\\\"}\"} ,{\"metaData\":{\"id\":2},"
                 "\"n\":-1.50e+3}\t] , \"z\":0}",
                 "{\"metaData\":{\"id\":\"1\"},\"t\":\"]}\\\"}\"}|{\"metaData\":{\"id\":2},"
                 "\"n\":-1.50e+3}"));
    CHECK(raw_is("{\"calls\":[1,\"s\",null,[],{},{\"metaData\":{\"id\":\"7\"}}]}",
                 "{\"metaData\":{\"id\":\"7\"}}"));
    CHECK(raw_is("\xEF\xBB\xBF\f{\"calls\":\v[{\"metaData\":{\"id\":\"ctl\x01\ttab\"}}\x01]}",
                 "{\"metaData\":{\"id\":\"ctl\x01\ttab\"}}"));
    CHECK(strstr(calls_raw("{\"calls\":[1,,2]}", 16),
                 "malformed JSON from /v2/calls/extensive: syntax error at byte 12 of 16"));
}

static void test_digest(void)
{
    char hex[17];

    CHECK(parse_fnv1a64("", 0) == 0xcbf29ce484222325ULL);
    CHECK(parse_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
    CHECK(parse_fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
    parse_digest_hex("foobar", 6, hex);
    CHECK(streq(hex, "85944171f73967e8"));
}

static void test_users(void)
{
    struct parse_users_page *p = NULL;
    struct err e = {0};
    size_t len;
    char *body = slurp("tests/fixtures/users_page.json", &len);
    const struct parse_user *u;

    CHECK(body != NULL);
    if (!body)
        return;
    CHECK(parse_users_page(body, len, &p, &e) == ERR_OK);
    if (!p) {
        free(body);
        return;
    }
    CHECK(p->n_users == 2);
    CHECK(p->cursor == NULL);
    CHECK(p->total_records == 3);
    CHECK(p->warnings.n_null == 1 && p->warnings.n_skipped == 1); /* bad created, no id */
    CHECK(strstr(p->warnings.first, "created") != NULL);
    u = &p->users[0];
    CHECK(streq(u->id, "98765432109876543210"));
    CHECK(streq(u->email, "rita@seller.com"));
    CHECK(streq(u->created, "2023-10-17T19:21:39.277Z"));
    CHECK(u->active.set && u->active.v == 1);
    CHECK(streq(u->email_aliases, "[\"r@seller.com\",\"rita.rep@seller.com\"]"));
    CHECK(u->trusted_email == NULL && u->title == NULL);
    CHECK(streq(u->manager_id, "11111111111111111111"));
    CHECK(u->raw_len > 2 && u->raw[0] == '{' && u->raw[u->raw_len - 1] == '}');
    CHECK(find(body, len, u->raw, u->raw_len) != NULL);
    CHECK(find(u->raw, u->raw_len, "\"conferencingProviders\":null", 28) != NULL);
    u = &p->users[1];
    CHECK(streq(u->first_name, "M\xc3\xa4x"));
    CHECK(u->created == NULL);
    CHECK(u->active.set && u->active.v == 0);
    CHECK(streq(u->email_aliases, "[]"));
    /* the raw bytes keep the escapes exactly */
    CHECK(find(u->raw, u->raw_len, "m\\u00e4x@seller.com", 19) != NULL);
    CHECK(u->raw[0] == '{' && u->raw[u->raw_len - 1] == '}');
    parse_users_free(p);
    free(body);
}

static const struct deals_field *field(const struct deals_object *o, const char *name)
{
    for (size_t i = 0; i < o->n_fields; i++)
        if (streq(o->fields[i].name, name))
            return &o->fields[i];
    return NULL;
}

static int vtext(const struct deals_value *v, const char *want)
{
    return v && (v->type == DEALS_V_TEXT || v->type == DEALS_V_JSON) && streq(v->s, want) &&
           v->len == strlen(want);
}

static void test_calls(void)
{
    struct parse_calls_page *p = NULL;
    struct err e = {0};
    size_t len;
    char *body = slurp("tests/fixtures/extensive_page.json", &len);
    const struct parse_call *c;
    const struct deals_object *o;
    const struct deals_field *f;
    const struct deals_row *d;

    CHECK(body != NULL);
    if (!body)
        return;
    CHECK(parse_calls_page(body, len, &p, &e) == ERR_OK);
    if (!p) {
        fprintf(stderr, "%s\n", e.msg);
        free(body);
        return;
    }
    CHECK(p->n_calls == 3);
    CHECK(streq(p->cursor, "eyJhbGciOiJIUzI1NiJ9.eyJwYWdlTnVtYmVyIjoxfQ.sig"));
    CHECK(p->total_records == 215);
    /* scheduled "not a time", a call without id, a null element */
    CHECK(p->warnings.n_null == 1 && p->warnings.n_skipped == 2);
    CHECK(strstr(p->warnings.first, "scheduled") &&
          strstr(p->warnings.first, "1000000000000000002"));

    /* ---- call 1: everything ---- */
    c = &p->calls[0];
    CHECK(streq(c->id, "45678901234567890123"));
    CHECK(streq(c->title, "Acme intro \xe2\x80\x94 caf\xc3\xa9 / \"pricing\""));
    CHECK(streq(c->scheduled, "2024-03-01T17:00:00.000Z"));
    CHECK(streq(c->started, "2024-03-01T17:01:12.345Z"));
    CHECK(c->duration.set && c->duration.v == 1834);
    CHECK(streq(c->primary_user_id, "98765432109876543210"));
    CHECK(streq(c->direction, "Conference") && streq(c->scope, "External"));
    CHECK(streq(c->system, "Zoom") && streq(c->media, "Video") && streq(c->language, "eng"));
    CHECK(streq(c->workspace_id, "555555555555555555"));
    CHECK(c->purpose == NULL && c->sdr_disposition == NULL && c->custom_data == NULL);
    CHECK(c->is_private.set && c->is_private.v == 0);
    CHECK(streq(c->meeting_url, "https://acme.zoom.us/j/123"));
    CHECK(streq(c->calendar_event_id, "evt123@google.com"));
    CHECK(streq(c->brief, "Acme evaluated\xe2\x80\xa6 \xf0\x9f\x98\x80 "
                          "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"));
    CHECK(streq(c->outcome_id, "MEETING_BOOKED") && streq(c->outcome_category, "Answered"));
    CHECK(streq(c->outcome_name, "Meeting booked"));
    CHECK(c->questions_company.set && c->questions_company.v == 9);
    CHECK(c->questions_non_company.set && c->questions_non_company.v == 4);
    /* raw: the exact bytes, escapes and number spellings untouched */
    CHECK(c->raw[0] == '{' && c->raw[c->raw_len - 1] == '}');
    CHECK(find(body, len, c->raw, c->raw_len) != NULL);
    CHECK(find(c->raw, c->raw_len, "caf\\u00e9 \\/ \\\"pricing\\\"", 24) != NULL);
    CHECK(find(c->raw, c->raw_len, "\"n\":1.50", 8) != NULL);
    CHECK(find(c->raw, c->raw_len, "1e3}", 4) != NULL);
    CHECK(strlen(c->digest) == 16);
    {
        char hex[17];

        parse_digest_hex(c->raw, c->raw_len, hex);
        CHECK(streq(hex, c->digest));
    }
    /* between consecutive calls' bytes in the body: only a comma and whitespace */
    {
        const char *a = find(body, len, c->raw, c->raw_len) + c->raw_len;
        const char *b = find(body, len, p->calls[1].raw, p->calls[1].raw_len);
        int commas = 0, other = 0;

        CHECK(b > a);
        for (const char *q = a; q < b; q++) {
            if (*q == ',')
                commas++;
            else if (*q != ' ' && *q != '\n' && *q != '\r' && *q != '\t')
                other++;
        }
        CHECK(commas == 1 && other == 0);
    }
    /* parties: order, nulls, methods as JSON text */
    CHECK(c->n_parties == 3);
    CHECK(c->parties[0].ord == 0 && streq(c->parties[0].speaker_id, "7000000000000000001"));
    CHECK(streq(c->parties[0].methods, "[\"Invitee\",\"Attendee\"]"));
    CHECK(c->parties[0].phone_number == NULL);
    CHECK(streq(c->parties[1].name, "Bob \"B\" Buyer") && c->parties[1].title == NULL);
    CHECK(c->parties[1].user_id == NULL && streq(c->parties[1].affiliation, "External"));
    CHECK(c->parties[2].ord == 2 && c->parties[2].speaker_id == NULL);
    CHECK(c->parties[2].methods == NULL && c->parties[2].email == NULL);
    /* CRM: 5 call-level objects then the party's Contact */
    CHECK(c->n_crm == 6);
    o = &c->crm[0];
    CHECK(o->party_ord == -1 && streq(o->system, "HubSpot") && streq(o->object_type, "Deal"));
    CHECK(streq(o->object_id, "9001") && streq(o->timing, "Now"));
    CHECK(o->n_fields == 14);
    CHECK((f = field(o, "dealname")) && vtext(&f->v, "Acme \xe2\x80\x93 Enterprise"));
    CHECK((f = field(o, "amount")) && vtext(&f->v, "52000.00"));
    CHECK((f = field(o, "hubspot_owner_id")) && f->v.type == DEALS_V_INT && f->v.i == 123456);
    CHECK((f = field(o, "hs_tags")) && f->v.type == DEALS_V_JSON &&
          vtext(&f->v, "[\"a\",\"b\",3]"));
    CHECK((f = field(o, "hs_obj")) && f->v.type == DEALS_V_JSON &&
          vtext(&f->v, "{\"k\":\"v\",\"n\":1.5}"));
    CHECK((f = field(o, "hs_flag")) && f->v.type == DEALS_V_BOOL && f->v.i == 1);
    CHECK((f = field(o, "hs_null")) && f->v.type == DEALS_V_NULL);
    CHECK((f = field(o, "hs_big")) && f->v.type == DEALS_V_REAL && f->v.d > 1.2e19);
    CHECK((f = field(o, "hs_frac")) && f->v.type == DEALS_V_REAL && f->v.d == 1.5);
    CHECK((f = field(o, "hs_whole")) && f->v.type == DEALS_V_INT && f->v.i == 42);
    CHECK((f = field(o, "hs_exp")) && f->v.type == DEALS_V_INT && f->v.i == 1000);
    CHECK((f = field(o, "hs_novalue")) && f->v.type == DEALS_V_NULL);
    o = &c->crm[5];
    CHECK(o->party_ord == 1 && streq(o->object_type, "Contact") && o->n_fields == 1);
    CHECK(vtext(&o->fields[0].v, "CFO"));
    /* deals: Now and TimeOfCall for deal 9001 */
    CHECK(c->n_deals == 2);
    d = &c->deals[0];
    CHECK(streq(d->timing, "Now") && streq(d->deal_id, "9001") && streq(d->system, "HubSpot"));
    CHECK(vtext(d->stage, "closedwon"));
    CHECK(d->has_amount && d->amount == 52000.0);
    CHECK(streq(d->close_date_iso, "2024-06-29T22:00:00.000Z"));
    CHECK(d->owner && d->owner->type == DEALS_V_INT && d->owner->i == 123456);
    CHECK(streq(d->company_id, "7001") && vtext(d->company_name, "Acme Corp"));
    CHECK(d->has_company_size && d->company_size == 1200);
    d = &c->deals[1];
    CHECK(streq(d->timing, "TimeOfCall") && vtext(d->stage, "qualifiedtobuy"));
    CHECK(d->has_amount && d->amount == 40000.0);
    CHECK(streq(d->close_date_iso, "2024-06-01T00:00:00.000Z"));
    CHECK(vtext(d->company_name, "Acme Corp (then)"));
    CHECK(d->has_company_size && d->company_size == 1000);
    /* content */
    CHECK(c->n_structure == 2 && streq(c->structure[1].name, "Demo"));
    CHECK(c->structure[1].duration.set && c->structure[1].duration.v == 900.5);
    CHECK(c->n_topics == 2 && streq(c->topics[0].name, "Pricing"));
    CHECK(c->topics[0].duration.v == 312);
    CHECK(c->n_trackers == 2 && streq(c->trackers[0].tracker_id, "888"));
    CHECK(streq(c->trackers[0].type, "KEYWORD") && c->trackers[0].count.v == 2);
    CHECK(c->trackers[1].count.set && c->trackers[1].count.v == 0);
    CHECK(c->n_occurrences == 2 && streq(c->occurrences[1].tracker_id, "888"));
    CHECK(c->occurrences[0].start_s.v == 95.4);
    CHECK(streq(c->occurrences[0].speaker_id, "7000000000000000002"));
    CHECK(c->n_action_items == 2);
    CHECK(streq(c->action_items[0].speaker_id, "7000000000000000001"));
    CHECK(streq(c->action_items[1].speaker_id, "7000000000000000002"));
    CHECK(c->action_items[0].start_s.v == 100.5 && c->action_items[0].end_s.v == 110.25);
    CHECK(streq(c->action_items[0].snippet, "Send the proposal"));
    CHECK(c->n_key_points == 2 && streq(c->key_points[0], "Budget approved for Q3"));
    CHECK(c->key_points[1] == NULL);
    CHECK(c->n_speakers == 2 && streq(c->speakers[0].speaker, "111"));
    CHECK(c->speakers[0].talk_time.v == 812.5 && c->speakers[1].user_id == NULL);
    CHECK(c->n_stats == 3 && streq(c->stats[1].name, "Patience") && c->stats[1].value.v == 0.9);
    CHECK(!c->stats[2].value.set);

    /* ---- call 2: Salesforce, lenient types, private, missing parties ---- */
    c = &p->calls[1];
    CHECK(streq(c->id, "1000000000000000002"));
    CHECK(c->scheduled == NULL && streq(c->started, "2024-03-02T10:00:00.000Z"));
    CHECK(c->duration.set && c->duration.v == 1834); /* "1834" */
    CHECK(c->is_private.set && c->is_private.v == 1);
    CHECK(c->direction == NULL && c->url == NULL);
    CHECK(c->n_parties == 0 && c->n_topics == 0 && c->n_speakers == 0);
    CHECK(!c->questions_company.set);
    CHECK(c->n_deals == 1);
    d = &c->deals[0];
    CHECK(streq(d->system, "Salesforce") && streq(d->deal_id, "0065g00000AbCdEAAV"));
    CHECK(vtext(d->deal_name, "Globex renewal") && vtext(d->stage, "Negotiation/Review"));
    CHECK(d->has_amount && d->amount == 1000.0);
    CHECK(d->close_date_iso[0] == '\0' && vtext(d->close_date_raw, "2024-06-30"));
    CHECK(vtext(d->owner, "0055g000001XyZ"));
    CHECK(streq(d->company_id, "0015g00000QwErT") && vtext(d->company_name, "Globex"));
    CHECK(!d->has_company_size); /* 12.5 */

    /* ---- call 3: Opportunity/Account on HubSpot, unparseable values ---- */
    c = &p->calls[2];
    CHECK(streq(c->started, "2024-03-03T05:30:00.000Z"));
    CHECK(c->duration.set && c->duration.v == 61);
    CHECK(c->n_deals == 2); /* the duplicate 9100 is skipped; TimeOfCall has no deal */
    d = &c->deals[0];
    CHECK(streq(d->deal_id, "9100") && vtext(d->deal_name, "Initech") && !d->has_amount);
    CHECK(vtext(d->close_date_raw, "soon") && d->close_date_iso[0] == '\0');
    CHECK(d->company_id == NULL && d->company_name == NULL && !d->has_company_size);
    d = &c->deals[1];
    CHECK(streq(d->deal_id, "9101") && vtext(d->deal_name, "Initech add-on"));
    CHECK(!d->has_amount); /* [5] */
    parse_calls_free(p);
    free(body);
}

/* Decode every line of a transcript; returns the line count, -1 on a malformed line. */
static int lines(const struct parse_transcript *t, struct transcript_line *out, int max)
{
    size_t pos = 0;
    int n = 0, r;
    struct transcript_line ln;

    while ((r = transcript_next(t->text, t->text_len, &pos, &ln)) == 1) {
        if (n < max)
            out[n] = ln;
        n++;
    }
    return r < 0 ? -1 : n;
}

static void test_transcripts(void)
{
    struct parse_transcripts_page *p = NULL;
    struct err e = {0};
    size_t len;
    char *body = slurp("tests/fixtures/transcripts_page.json", &len);
    const struct parse_transcript *t;
    struct transcript_line ln[8];
    struct buf u;
    const char *hard = "\xe4\xbb\xb7\xe6\xa0\xbc\xe6\x98\xaf\xe5\xa4\x9a\xe5\xb0\x91\xef\xbc\x9f"
                       " \xf0\x9f\x98\x80 \xf0\x9f\x91\x8d \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d "
                       "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7\ttab \"quoted\" back\\slash\nnew "
                       "line\r\nend";

    CHECK(body != NULL);
    if (!body)
        return;
    CHECK(parse_transcripts_page(body, len, &p, &e) == ERR_OK);
    if (!p) {
        fprintf(stderr, "%s\n", e.msg);
        free(body);
        return;
    }
    buf_init(&u, 0);
    CHECK(p->n_items == 3 && p->warnings.n_null == 0 && p->warnings.n_skipped == 1);
    CHECK(p->cursor == NULL && p->total_records == 4);
    t = &p->items[0];
    CHECK(streq(t->call_id, "45678901234567890123"));
    CHECK(t->sentences == 5);
    CHECK(t->text[t->text_len] == '\0' && strlen(t->text) == t->text_len);
    CHECK(lines(t, ln, 8) == 5);
    CHECK(ln[0].start_ms == 1200 && ln[0].end_ms == 4310 && ln[0].speaker_len == 19);
    CHECK(memcmp(ln[0].speaker, "7000000000000000001", 19) == 0);
    CHECK(ln[0].text_len == 24 && memcmp(ln[0].text, "Thanks for joining, Bob.", 24) == 0);
    CHECK(ln[3].start_ms == 7900 && ln[3].end_ms == 9000); /* floats truncated */
    CHECK(memcmp(ln[3].speaker, "7000000000000000002", 19) == 0);
    CHECK(transcript_unescape(ln[3].text, ln[3].text_len, &u, &e) == 0);
    CHECK(u.len == strlen(hard) && memcmp(u.data, hard, u.len) == 0);
    CHECK(ln[4].speaker_len == 0 && ln[4].text_len == 14); /* missing speakerId */
    CHECK(streq(t->monologues,
                "[[2,\"Call Setup\"],[2,null],[1,\"No \\\"speaker\\\"\"],[0,\"Empty\"]]"));
    CHECK(t->monologues_len == strlen(t->monologues));
    /* the monologue JSON is valid JSON */
    {
        cJSON *m = cJSON_Parse(t->monologues);

        CHECK(m && cJSON_GetArraySize(m) == 4);
        cJSON_Delete(m);
    }
    t = &p->items[1];
    CHECK(streq(t->call_id, "1000000000000000003") && t->sentences == 0 && t->text_len == 0);
    CHECK(streq(t->text, "") && streq(t->monologues, "[]"));
    t = &p->items[2];
    CHECK(t->sentences == 1 && lines(t, ln, 8) == 1);
    CHECK(ln[0].start_ms == 10 && ln[0].end_ms == 20 && ln[0].text_len == 0);
    CHECK(ln[0].speaker_len == 2);
    CHECK(streq(t->monologues, "[[1,null]]"));
    buf_release(&u);
    parse_transcripts_free(p);
    free(body);
}

static int calls_fails(const char *body, const char *want)
{
    struct parse_calls_page *p = (struct parse_calls_page *)1;
    struct err e = {0};
    int rc = parse_calls_page(body, strlen(body), &p, &e);

    if (rc != ERR_PARSE || p != NULL || e.code != ERR_PARSE ||
        strncmp(e.msg, "malformed JSON from /v2/calls/extensive: ", 41) != 0 ||
        !strstr(e.msg, want)) {
        fprintf(stderr, "  got rc=%d '%s'\n", rc, e.msg);
        return 0;
    }
    return 1;
}

static void test_malformed(void)
{
    struct parse_transcripts_page *tp = NULL;
    struct parse_users_page *up = NULL;
    struct parse_calls_page *cp = NULL;
    struct err e = {0};
    const char *ok = "{\"calls\":[]}";

    CHECK(calls_fails("", "empty body"));
    CHECK(calls_fails("   \n", "empty body"));
    CHECK(calls_fails("<html>502 Bad Gateway</html>", "byte 0"));
    CHECK(calls_fails("{\"calls\":[{\"metaData\":{\"id\":\"1\"}}", "truncated"));
    CHECK(calls_fails("{\"calls\":[{\"metaData\":{\"id\":\"1\" \"x\":2}}]}", "near '\"x\":2"));
    CHECK(calls_fails("[]", "not an object"));
    CHECK(calls_fails("{\"requestId\":\"x\"}", "no \"calls\" array"));
    CHECK(calls_fails("{\"calls\":null}", "no \"calls\" array"));
    CHECK(calls_fails("{\"calls\":{}}", "no \"calls\" array"));
    CHECK(calls_fails("{\"calls\":[]} trailing", "after the value"));
    /* a lone surrogate escape is refused by cJSON: the page fails */
    CHECK(calls_fails("{\"calls\":[{\"metaData\":{\"id\":\"1\",\"title\":\"\\ud83d\"}}]}",
                      "syntax error"));
    /* a BOM and odd whitespace are fine, and the raw bytes still found */
    ok = "\xEF\xBB\xBF {\"calls\":\f[ {\"metaData\":{\"id\":\"7\"}} ]}";
    CHECK(parse_calls_page(ok, strlen(ok), &cp, &e) == ERR_OK && cp && cp->n_calls == 1);
    CHECK(cp && cp->calls[0].raw_len == 23 && cp->calls[0].raw[0] == '{');
    parse_calls_free(cp);
    cp = NULL;
    ok = "{\"calls\":[]}";
    /* not NUL-terminated: the length is what counts */
    CHECK(parse_calls_page(ok, strlen(ok) - 1, &cp, &e) == ERR_PARSE && cp == NULL);
    CHECK(parse_calls_page(ok, strlen(ok), &cp, &e) == ERR_OK && cp && cp->n_calls == 0);
    CHECK(cp && cp->cursor == NULL && cp->total_records == -1);
    parse_calls_free(cp);
    CHECK(parse_users_page("{\"calls\":[]}", 12, &up, &e) == ERR_PARSE && up == NULL);
    CHECK(strstr(e.msg, "malformed JSON from /v2/users: no \"users\" array") != NULL);
    CHECK(parse_transcripts_page("{\"callTranscripts\":[", 20, &tp, &e) == ERR_PARSE);
    CHECK(strstr(e.msg, "malformed JSON from /v2/calls/transcript") != NULL && tp == NULL);
    /* an empty cursor is no cursor; an explicit null too */
    ok = "{\"records\":{\"cursor\":\"\"},\"callTranscripts\":[]}";
    CHECK(parse_transcripts_page(ok, strlen(ok), &tp, &e) == ERR_OK);
    CHECK(tp && tp->cursor == NULL && tp->n_items == 0);
    parse_transcripts_free(tp);
    parse_calls_free(NULL);
    parse_users_free(NULL);
    parse_transcripts_free(NULL);
}

int main(void)
{
    test_walk();
    test_digest();
    test_users();
    test_calls();
    test_transcripts();
    test_malformed();
    return CHECK_DONE("test_parse");
}
