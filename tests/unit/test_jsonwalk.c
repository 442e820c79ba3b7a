/* test_jsonwalk: a page body walked member by member and element by element: each element's
 * exact bytes, the tree it leaves, and failures worded and placed as cJSON's on the whole
 * body. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonwalk.h"

struct seen {
    char text[512]; /* the elements' raw bytes joined by '|' */
    size_t n, next_i;
    int fail_at; /* return ERR_IO for this element (from 1), 0: never */
};

/* jsonwalk_fn: record raw[0..n); check the elements come numbered in order. */
static int record(void *arg, const cJSON *el, size_t i, const char *raw, size_t n, struct err *e)
{
    struct seen *s = arg;
    size_t k = strlen(s->text);

    CHECK(el != NULL && i == s->next_i);
    s->next_i++;
    if (++s->n == (size_t)s->fail_at)
        return err_set(e, ERR_IO, "stop at %zu", i);
    snprintf(s->text + k, sizeof s->text - k, "%s%.*s", k ? "|" : "", (int)n, raw);
    return ERR_OK;
}

/* Walk body[0..len) for "calls"; the elements' bytes, or "ERR: " and the message. */
static const char *walk_n(const char *body, size_t len)
{
    static char got[600];
    struct seen s = {{0}, 0, 0, 0};
    struct err e = {0};
    cJSON *root = NULL;

    if (jsonwalk_page(body, len, "/x", "calls", 0, record, &s, &root, &e) != ERR_OK)
        snprintf(got, sizeof got, "ERR: %s", e.msg);
    else
        snprintf(got, sizeof got, "%s", s.text);
    cJSON_Delete(root);
    return got;
}

static int walk_is(const char *body, const char *want)
{
    const char *got = walk_n(body, strlen(body));

    if (strcmp(got, want) != 0) {
        fprintf(stderr, "  body %s\n  got  %s\n  want %s\n", body, got, want);
        return 0;
    }
    return 1;
}

/* Does walking body fail with a message containing want? */
static int fails(const char *body, size_t len, const char *want)
{
    const char *got = walk_n(body, len);

    if (strncmp(got, "ERR: malformed JSON from /x: ", 29) != 0 || !strstr(got, want)) {
        fprintf(stderr, "  got '%s', want '%s'\n", got, want);
        return 0;
    }
    return 1;
}

static void test_bytes(void)
{
    /* odd spacing, escapes, number spellings and brackets inside strings, as sent */
    CHECK(walk_is("{\"a\":1,\"x\":{\"calls\":[9]},\"calls\" :\n [ {\"x\":\"]}\\\"}\"} ,[1,[2]],"
                  "\"s\\\\\",true,  null ,-1.50e+3,{\"y\":{}}\t] , \"z\":0}",
                  "{\"x\":\"]}\\\"}\"}|[1,[2]]|\"s\\\\\"|true|null|-1.50e+3|{\"y\":{}}"));
    CHECK(walk_is("{\"calls\":[\"caf\\u00e9 \\/\"]}", "\"caf\\u00e9 \\/\""));
    CHECK(walk_is(" {\"calls\":[]} ", ""));
    /* the first member named calls counts, its key compared after unescaping */
    CHECK(walk_is("{\"c\\u0061lls\":[1],\"calls\":[2,3]}", "1"));
    CHECK(walk_is("{\"\\u00e9\":[0],\"calls\":[\"\\ud83d\\ude00\"]}", "\"\\ud83d\\ude00\""));
    /* a key with an escaped NUL ends there, as cJSON compares it */
    CHECK(walk_is("{\"calls\\u0000x\":[7]}", "7"));
    /* what cJSON lets through, the walk does too: a BOM, any byte <= 0x20 as white space,
     * raw control bytes in strings */
    CHECK(walk_is("\xEF\xBB\xBF\f{\"calls\":\v[\"ctl\x01\ttab\"\x01,2]}", "\"ctl\x01\ttab\"|2"));
    CHECK(walk_n("{\"calls\":[1]}\n\0", 15)[0] == '1');
}

static void test_failures(void)
{
    char deep[2100 * 2 + 40];
    size_t k;

    CHECK(fails("", 0, "empty body"));
    CHECK(fails(" \n\t", 3, "empty body"));
    CHECK(fails("{\"other\":[1]}", 13, "no \"calls\" array"));
    CHECK(fails("{}", 2, "no \"calls\" array"));
    CHECK(fails("{\"calls\":{\"a\":1}}", 17, "no \"calls\" array"));
    CHECK(fails("{\"calls\":null,\"calls\":[]}", 25, "no \"calls\" array")); /* the first */
    CHECK(fails("[{\"calls\":[1]}]", 15, "the top level is not an object"));
    CHECK(fails("\"calls\"", 7, "the top level is not an object"));
    CHECK(fails("<html>", 6, "syntax error at byte 0 of 6 near '<html>'"));
    CHECK(fails("{\"calls\":[{\"a\":\"unterminated}]}", 31, "syntax error at byte 16 of 31"));
    CHECK(fails("{\"calls\":[{\"a\":1]]}", 19, "syntax error at byte 16 of 19 near ']]}'"));
    CHECK(fails("{\"calls\":[1,,2]}", 16, "syntax error at byte 12 of 16 near ',2]}'"));
    CHECK(fails("{\"calls\":[1,]}", 14, "syntax error at byte 12 of 14 near ']}'"));
    CHECK(fails("{\"calls\":[1 2]}", 15, "syntax error at byte 12 of 15 near '2]}'"));
    CHECK(fails("{\"calls\" []}", 12, "syntax error at byte 9 of 12 near '[]}'"));
    CHECK(fails("{\"calls\":[] \"x\":1}", 18, "syntax error at byte 12 of 18 near '\"x\":1}'"));
    CHECK(fails("{calls:[]}", 10, "syntax error at byte 2 of 10")); /* past the bad byte */
    CHECK(fails("{\"calls\":[\xEF\xBB\xBF\x31]}", 16, "syntax error at byte 10 of 16"));
    CHECK(fails("{\"calls\":[\"\\ud83d\"]}", 20, "syntax error")); /* a lone surrogate */
    CHECK(fails("{\"calls\":[]}}", 13, "unexpected text after the value at byte 12"));
    CHECK(fails("{\"calls\":[]} x", 14, "unexpected text after the value at byte 13"));
    /* the text runs out: cJSON points at the last byte */
    CHECK(fails("{\"calls\":[],}", 13, "body ends early at byte 13 (truncated?)"));
    CHECK(fails("{\"calls\":[1,2", 13, "truncated"));
    CHECK(fails("{\"calls\":[", 10, "truncated"));
    CHECK(fails("{\"calls\":[]", 11, "truncated"));
    CHECK(fails("{\"calls\"", 8, "truncated"));
    CHECK(fails("{", 1, "truncated"));
    CHECK(fails("{\"calls\":[]}", 11, "truncated")); /* the length bounds the walk */
    /* nesting: 999 levels inside an element fine, 2000 refused (cJSON's limit) */
    k = (size_t)snprintf(deep, sizeof deep, "{\"calls\":[");
    for (int i = 0; i < 999; i++)
        deep[k++] = '[';
    for (int i = 0; i < 999; i++)
        deep[k++] = ']';
    k += (size_t)snprintf(deep + k, sizeof deep - k, "]}");
    CHECK(strncmp(walk_n(deep, k), "[[[", 3) == 0);
    k = (size_t)snprintf(deep, sizeof deep, "{\"calls\":[");
    for (int i = 0; i < 2000; i++)
        deep[k++] = '[';
    for (int i = 0; i < 2000; i++)
        deep[k++] = ']';
    k += (size_t)snprintf(deep + k, sizeof deep - k, "]}");
    CHECK(fails(deep, k, "syntax error"));
}

static void test_tree(void)
{
    const char *body = "{\"records\":{\"cursor\":\"c\"},\"calls\":[{\"a\":1},2],\"z\":[3]}";
    struct seen s = {{0}, 0, 0, 0};
    struct err e = {0};
    cJSON *root = NULL;

    /* keep: the elements stay under their key, beside the other members */
    CHECK(jsonwalk_page(body, strlen(body), "/x", "calls", 1, record, &s, &root, &e) == ERR_OK);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "calls")) == 2);
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "records"), "cursor")));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "z")) == 1);
    cJSON_Delete(root);
    /* no keep: each element is freed after the call, the array left empty */
    memset(&s, 0, sizeof s);
    CHECK(jsonwalk_page(body, strlen(body), "/x", "calls", 0, record, &s, &root, &e) == ERR_OK);
    CHECK(s.n == 2 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "calls")) == 0);
    cJSON_Delete(root);
    /* the callback's failure ends the walk with its code */
    memset(&s, 0, sizeof s);
    s.fail_at = 2;
    CHECK(jsonwalk_page(body, strlen(body), "/x", "calls", 1, record, &s, &root, &e) == ERR_IO);
    CHECK(e.code == ERR_IO && strcmp(e.msg, "stop at 1") == 0 && s.n == 2);
    cJSON_Delete(root);
    /* a whole body */
    CHECK(jsonwalk_object(body, strlen(body), "/x", &root, &e) == ERR_OK && cJSON_IsObject(root));
    cJSON_Delete(root);
    CHECK(jsonwalk_object("[1]", 3, "/x", &root, &e) == ERR_PARSE && root == NULL);
    CHECK(strcmp(e.msg, "malformed JSON from /x: the top level is not an object") == 0);
}

int main(void)
{
    test_bytes();
    test_failures();
    test_tree();
    return CHECK_DONE("test_jsonwalk");
}
