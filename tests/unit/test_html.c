/* test_html: escaping for element text and attributes, URL checks, value formatting and
 * tables of the report. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"
#include "html.h"

#include "banned.h"

static int escapes(const char *s, size_t n, const char *want)
{
    struct buf b;
    struct err e = {0};
    int ok;

    buf_init(&b, 0);
    ok = html_escape(&b, s, n, &e) == ERR_OK && strcmp(b.data ? b.data : "", want) == 0;
    if (!ok)
        fprintf(stderr, "  escape -> \"%s\", want \"%s\"\n", b.data ? b.data : "", want);
    buf_release(&b);
    return ok;
}

static int value(const char *col, int type, double d, const char *s, const char *want)
{
    struct html_val v = {type, d, (char *)(uintptr_t)s};
    struct buf b;
    struct err e = {0};
    int ok;

    buf_init(&b, 0);
    ok = html_value(&b, col, &v, &e) == ERR_OK && strcmp(b.data ? b.data : "", want) == 0;
    if (!ok)
        fprintf(stderr, "  value(%s) -> \"%s\", want \"%s\"\n", col, b.data ? b.data : "", want);
    buf_release(&b);
    return ok;
}

int main(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct html_rs rs;
    struct buf b;
    struct err e = {0};

    CHECK(escapes("a<b>&\"c\"'d'", 11, "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;"));
    CHECK(escapes("</title><script>", 16, "&lt;/title&gt;&lt;script&gt;"));
    CHECK(escapes("tab\tnl\nok", 9, "tab\tnl\nok"));
    CHECK(escapes("esc\x1b[31m\x7f", 9, "esc\xEF\xBF\xBD[31m\xEF\xBF\xBD"));
    CHECK(escapes("bad \xff\xfe end", 10, "bad \xEF\xBF\xBD\xEF\xBF\xBD end"));
    CHECK(escapes("nul\0x", 5, "nul\xEF\xBF\xBDx"));
    CHECK(escapes("\xC2\x85"
                  "c1",
                  4,
                  "\xEF\xBF\xBD\xEF\xBF\xBD"
                  "c1")); /* U+0085 */
    CHECK(escapes("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",
                  20,
                  "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB"));
    CHECK(escapes("\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD")); /* a surrogate */

    CHECK(html_url_ok("https://app.gong.io/call?id=1&x=2"));
    CHECK(html_url_ok("http://127.0.0.1:8080/x"));
    CHECK(!html_url_ok("javascript:alert(1)"));
    CHECK(!html_url_ok("https://a.b/x y"));
    CHECK(!html_url_ok("https://a.b/\x01"));
    CHECK(!html_url_ok(NULL) && !html_url_ok("") && !html_url_ok("ftp://x"));

    CHECK(value("talk_ratio", SQLITE_FLOAT, 0.7063, NULL, "71%"));
    CHECK(value("share_low", SQLITE_FLOAT, 0.05, NULL, "5.0%"));
    CHECK(value("won_minus_lost", SQLITE_FLOAT, -0.5398, NULL, "-54 pts"));
    CHECK(value("rep_hours", SQLITE_FLOAT, 14.1, NULL, "14.1 h"));
    CHECK(value("patience_s", SQLITE_FLOAT, 3.0, NULL, "3.0 s"));
    /* never "-0", "NaN" or "inf" */
    CHECK(value("share", SQLITE_FLOAT, -0.0001, NULL, "0%"));
    CHECK(value("won_minus_lost", SQLITE_FLOAT, -0.001, NULL, "0 pts"));
    CHECK(value("x", SQLITE_FLOAT, -0.001, NULL, "0"));
    CHECK(value("share", SQLITE_FLOAT, NAN, NULL, ""));
    CHECK(value("x", SQLITE_FLOAT, INFINITY, NULL, ""));
    /* durations as m:ss, amounts as money, counts with separators, dates as the day */
    CHECK(value("longest_monologue_s", SQLITE_FLOAT, 92.4, NULL, "1:32"));
    CHECK(value("max_monologue_s", SQLITE_FLOAT, 3725, NULL, "1:02:05"));
    CHECK(value("amount", SQLITE_FLOAT, 1234567, NULL, "$1.2M"));
    CHECK(value("amount", SQLITE_FLOAT, 2000000, NULL, "$2M"));
    CHECK(value("amount", SQLITE_FLOAT, 45200, NULL, "$45k"));
    CHECK(value("calls", SQLITE_INTEGER, 20000, "20000", "20,000"));
    CHECK(value("calls", SQLITE_INTEGER, 999, "999", "999"));
    CHECK(value("first_call", SQLITE_TEXT, 0, "2024-03-01T17:01:12.000Z", "2024-03-01"));
    CHECK(value("x", SQLITE_FLOAT, 2.456, NULL, "2.46"));
    CHECK(value("calls", SQLITE_INTEGER, 12, "12", "12"));
    CHECK(value("group", SQLITE_TEXT, 0, "<b>", "&lt;b&gt;"));
    CHECK(value("group", SQLITE_NULL, 0, NULL, ""));

    sqlite3_open(":memory:", &db);
    CHECK(sqlite3_prepare_v2(db,
                             "SELECT 'A<1>' AS \"group\", 3 AS calls, 0.5 AS share, "
                             "'https://g.io/c?id=1&a' AS url UNION ALL SELECT 'B', 4, NULL, "
                             "'javascript:x'",
                             -1, &st, NULL) == SQLITE_OK);
    CHECK(html_rs_load(&rs, st, &e) == ERR_OK && rs.nrow == 2 && rs.ncol == 4);
    CHECK(html_rs_col(&rs, "share") == 2 && html_rs_col(&rs, "nope") == -1);
    CHECK(html_rs_num(&rs, 0, 1) == 3 && isnan(html_rs_num(&rs, 1, 2)) &&
          isnan(html_rs_num(&rs, 0, 0)) && isnan(html_rs_num(&rs, 0, -1)));
    buf_init(&b, 0);
    CHECK(html_table(&b, &rs, NULL, &e) == ERR_OK);
    CHECK(strstr(b.data, "<th>Group</th><th>Calls</th><th>Share of calls</th><th>Link</th>") !=
          NULL);
    CHECK(strstr(b.data,
                 "<td><bdi>A&lt;1&gt;</bdi></td><td class=\"n\">3</td>"
                 "<td class=\"n\">50%</td>"
                 "<td><a href=\"https://g.io/c?id=1&amp;a\">open in Gong</a></td>") != NULL);
    CHECK(strstr(b.data, "javascript") == NULL);
    buf_reset(&b);
    {
        static const char *const cols[] = {"calls", "missing", NULL};

        CHECK(html_table(&b, &rs, cols, &e) == ERR_OK);
        CHECK(strstr(b.data, "<th>Calls</th><th>Missing</th>") != NULL);
    }
    buf_release(&b);
    html_rs_free(&rs);
    sqlite3_finalize(st);
    /* bounded loads: the first rows kept, the rest counted or only noticed */
    {
        struct html_rs big;

        CHECK(sqlite3_prepare_v2(db,
                                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                 "WHERE i < 1000) SELECT i AS \"group\" FROM n",
                                 -1, &st, NULL) == SQLITE_OK);
        CHECK(html_rs_load_max(&big, st, 10, 1, &e) == ERR_OK && big.nrow == 10 &&
              big.more == 990 && html_rs_num(&big, 9, 0) == 10);
        html_rs_free(&big);
        sqlite3_reset(st);
        CHECK(html_rs_load_max(&big, st, 10, 0, &e) == ERR_OK && big.nrow == 10 && big.more == 1);
        html_rs_free(&big);
        sqlite3_reset(st);
        CHECK(html_rs_load_max(&big, st, 5000, 1, &e) == ERR_OK && big.nrow == 1000 &&
              big.more == 0);
        html_rs_free(&big);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return CHECK_DONE("test_html");
}
