/* test_out: the result writers (table, CSV, TSV, JSON, JSON lines, Markdown) and the text
 * helpers: JSON escaping of any bytes, UTF-8 repair, terminal-safe text, numbers, mm:ss. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "out.h"

#include "banned.h"

/* Run the writer over rows of cells and return what it printed (malloc'd). */
static char *render(enum out_format f, int flags, size_t ncols, const char *const *names,
                    const struct out_cell *cells, size_t nrows)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    struct out *o = out_new(fp, f, flags);
    struct err e = {0};
    int rc = out_begin(o, ncols, names, &e);

    for (size_t r = 0; r < nrows && !rc; r++)
        rc = out_row(o, cells + r * ncols, &e);
    if (!rc)
        rc = out_end(o, &e);
    out_free(o);
    fclose(fp);
    if (rc) {
        free(text);
        return NULL;
    }
    return text;
}

static struct out_cell T(const char *s) {
    struct out_cell c = {.type = SQLITE_TEXT, .s = s, .n = strlen(s)};

    return c;
}

static struct out_cell
I(long long i) {
    struct out_cell c = {.type = SQLITE_INTEGER, .i = i};

    return c;
}

static struct out_cell
D(double d) {
    struct out_cell c = {.type = SQLITE_FLOAT, .d = d};

    return c;
}

static struct out_cell
N(void) {
    struct out_cell c = {.type = SQLITE_NULL};

    return c;
}

static int
safe_is(const char *s, size_t n, const char *want)
{
    struct buf b;
    struct err e = {0};
    int ok;

    buf_init(&b, 0);
    ok = out_safe_text(&b, s, n, &e) == 0 && strcmp(b.data ? b.data : "", want) == 0;
    if (!ok)
        fprintf(stderr, "  safe: got %s want %s\n", b.data ? b.data : "(null)", want);
    buf_release(&b);
    return ok;
}

static int dbl_is(double d, const char *want)
{
    char out[32];

    out_format_double(d, out);
    if (strcmp(out, want) != 0)
        fprintf(stderr, "  double: got %s want %s\n", out, want);
    return strcmp(out, want) == 0;
}

/* An INTEGER cell as the writers print it. */
static int int_is(int64_t v, const char *want)
{
    struct out_cell c = {.type = SQLITE_INTEGER, .i = v};
    struct buf b;
    struct err e = {0};
    int ok;

    buf_init(&b, 0);
    ok = out_json_cell(&b, &c, &e) == 0 && b.data && strcmp(b.data, want) == 0;
    if (!ok)
        fprintf(stderr, "  integer: got %s want %s\n", b.data ? b.data : "(null)", want);
    buf_release(&b);
    return ok;
}

static int text_is(char *got, const char *want)
{
    int ok = got && strcmp(got, want) == 0;

    if (!ok)
        fprintf(stderr, "  got:\n%s\n  want:\n%s\n", got ? got : "(null)", want);
    free(got);
    return ok;
}

static void test_helpers(void)
{
    struct err e = {0};
    enum out_format f;
    char t[24];

    /* terminal-safe text */
    CHECK(safe_is("ok text", 7, "ok text"));
    CHECK(safe_is("\x1b[31mred", 8, "\\x1b[31mred"));
    CHECK(safe_is("a\nb\tc\r", 6, "a\\nb\\tc\\r"));
    CHECK(safe_is("c1 \xc2\x85 \xc2\x9b", 8, "c1 \\u0085 \\u009b"));
    CHECK(safe_is("nbsp\xc2\xa0ok", 8, "nbsp\xc2\xa0ok"));
    CHECK(safe_is("x\xff", 2, "x\xEF\xBF\xBD"));
    CHECK(safe_is("del\x7f", 4, "del\\x7f"));

    /* numbers and times */
    CHECK(dbl_is(0.1, "0.1"));
    CHECK(dbl_is(50000, "50000.0"));
    CHECK(dbl_is(-2.5, "-2.5"));
    CHECK(dbl_is(1e20, "1e+20"));
    CHECK(dbl_is(1.0 / 3, "0.3333333333333333"));
    CHECK(dbl_is(123456789.125, "123456789.125"));
    /* whole numbers (written without printf below 1e15) read as "%.15g" writes them */
    CHECK(dbl_is(0, "0.0"));
    CHECK(dbl_is(-0.0, "-0.0"));
    CHECK(dbl_is(-52000, "-52000.0"));
    CHECK(dbl_is(999999999999999.0, "999999999999999.0"));
    CHECK(dbl_is(1e15, "1e+15"));
    CHECK(dbl_is(-1e15, "-1e+15"));
    CHECK(dbl_is(4503599627370497.0, "4503599627370497.0"));
    CHECK(int_is(0, "0") && int_is(-7, "-7") && int_is(INT64_MAX, "9223372036854775807") &&
          int_is(INT64_MIN, "-9223372036854775808"));
    out_mmss(0, t);
    CHECK(strcmp(t, "00:00") == 0);
    out_mmss(425999, t);
    CHECK(strcmp(t, "07:05") == 0);
    out_mmss(4500000, t);
    CHECK(strcmp(t, "75:00") == 0);

    /* formats */
    CHECK(out_parse_format("jsonl", &f, &e) == 0 && f == OUT_JSONL);
    CHECK(out_parse_format("markdown", &f, &e) == 0 && f == OUT_MARKDOWN);
    CHECK(out_parse_format("xml", &f, &e) == ERR_USAGE && strstr(e.msg, "table|csv"));
    CHECK(out_want_color(1, "always") == 1 && out_want_color(1, "never") == 0);
}

static const char *const names[] = {"id", "name", "amount"};

static void test_formats(void)
{
    struct out_cell rows[] = {
        I(1),   T("Acme, \"Inc\""), D(50000), I(22), T("line\nbreak\ttab\\"), N(), I(3), T(""),
        D(0.5),
    };

    CHECK(text_is(render(OUT_CSV, 0, 3, names, rows, 3),
                  "id,name,amount\r\n1,\"Acme, \"\"Inc\"\"\",50000.0\r\n"
                  "22,\"line\nbreak\ttab\\\",\r\n3,\"\",0.5\r\n"));
    CHECK(text_is(render(OUT_TSV, 0, 3, names, rows, 3),
                  "id\tname\tamount\n1\tAcme, \"Inc\"\t50000.0\n"
                  "22\tline\\nbreak\\ttab\\\\\t\\N\n3\t\t0.5\n"));
    CHECK(text_is(render(OUT_JSONL, 0, 3, names, rows, 3),
                  "{\"id\":1,\"name\":\"Acme, \\\"Inc\\\"\",\"amount\":50000.0}\n"
                  "{\"id\":22,\"name\":\"line\\nbreak\\ttab\\\\\",\"amount\":null}\n"
                  "{\"id\":3,\"name\":\"\",\"amount\":0.5}\n"));
    CHECK(text_is(render(OUT_JSON, 0, 3, names, rows, 1),
                  "[\n{\"id\":1,\"name\":\"Acme, \\\"Inc\\\"\",\"amount\":50000.0}\n]\n"));
    CHECK(text_is(render(OUT_JSON, 0, 3, names, rows, 0), "[]\n"));
    CHECK(text_is(render(OUT_MARKDOWN, 0, 3, names, rows, 2),
                  "| id | name | amount |\n| --- | --- | --- |\n"
                  "| 1 | Acme, \"Inc\" | 50000.0 |\n"
                  "| 22 | line\\nbreak\\ttab\\ | NULL |\n"));
    CHECK(text_is(render(OUT_TABLE, 0, 3, names, rows, 3), "id  name                amount\n"
                                                           "--  -----------------  -------\n"
                                                           " 1  Acme, \"Inc\"        50000.0\n"
                                                           "22  line\\nbreak\\ttab\\     NULL\n"
                                                           " 3                         0.5\n"));
    CHECK(text_is(render(OUT_TABLE, 0, 3, names, rows, 0), "id  name  amount\n--  ----  ------\n"));
    {
        struct out_cell pipe[] = {I(1), T("a|b"), N()};

        CHECK(text_is(render(OUT_MARKDOWN, 0, 3, names, pipe, 1),
                      "| id | name | amount |\n| --- | --- | --- |\n| 1 | a\\|b | NULL |\n"));
    }
    {
        /* a column of text and numbers aligns left; UTF-8 counts by code point */
        static const char *const one[] = {"v"};
        struct out_cell mixed[] = {I(7), T("été"), N()};

        CHECK(text_is(render(OUT_TABLE, 0, 1, one, mixed, 3), "v\n----\n7\nété\nNULL\n"));
    }
    {
        /* blobs: hex in data formats, a size in tables */
        static const char *const one[] = {"b"};
        struct out_cell blob[] = {{.type = SQLITE_BLOB, .s = "\x01\xff", .n = 2}};

        CHECK(text_is(render(OUT_JSONL, 0, 1, one, blob, 1), "{\"b\":\"x'01ff'\"}\n"));
        CHECK(text_is(render(OUT_CSV, 0, 1, one, blob, 1), "b\r\nx'01ff'\r\n"));
        CHECK(
            text_is(render(OUT_TABLE, 0, 1, one, blob, 1), "b\n--------------\n<blob 2 bytes>\n"));
    }
}

static void test_table_limits(void)
{
    static const char *const one[] = {"text"};
    char long_text[200];
    struct out_cell c;
    char *got;
    size_t n = OUT_TABLE_BUFFER_ROWS + 5, lines = 0;
    struct out_cell *many = calloc(n, sizeof *many);

    /* truncation for a terminal (80 columns) */
    setenv("COLUMNS", "80", 1);
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    c = T(long_text);
    got = render(OUT_TABLE, OUT_TRUNCATE, 1, one, &c, 1);
    CHECK(got && strstr(got, "\xE2\x80\xA6\n") && !strstr(got, long_text));
    free(got);
    got = render(OUT_TABLE, 0, 1, one, &c, 1);
    CHECK(got && strstr(got, long_text));
    free(got);

    /* more rows than the buffer: all printed, later ones with the first rows' widths */
    for (size_t i = 0; i < n; i++)
        many[i] = i + 1 == n ? T("a-much-longer-cell-at-the-end") : T("short");
    got = render(OUT_TABLE, 0, 1, one, many, n);
    for (char *p = got; p && *p; p++)
        lines += *p == '\n';
    CHECK(got && lines == n + 2 && strstr(got, "\na-much-longer-cell-at-the-end\n"));
    free(got);
    free(many);
}

static void test_stmt(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *text = NULL;
    size_t len = 0, rows = 0;
    FILE *fp;
    struct out *o;
    struct err e = {0};

    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db,
                             "SELECT 1 AS i, 2.5 AS r, 'x' AS t, NULL AS n, x'00ff' AS b "
                             "UNION ALL SELECT -7, 1e300, 'é\n', NULL, x''",
                             -1, &st, NULL) == SQLITE_OK);
    fp = open_memstream(&text, &len);
    o = out_new(fp, OUT_JSONL, 0);
    CHECK(out_stmt(o, st, &rows, &e) == 0 && rows == 2);
    out_free(o);
    fclose(fp);
    CHECK(text &&
          strcmp(text, "{\"i\":1,\"r\":2.5,\"t\":\"x\",\"n\":null,\"b\":\"x'00ff'\"}\n"
                       "{\"i\":-7,\"r\":1e+300,\"t\":\"é\\n\",\"n\":null,\"b\":\"x''\"}\n") == 0);
    free(text);
    sqlite3_finalize(st);

    /* a failing step reports SQLite's message */
    CHECK(sqlite3_prepare_v2(db, "SELECT abs(-9223372036854775807 - 1)", -1, &st, NULL) ==
          SQLITE_OK);
    text = NULL;
    fp = open_memstream(&text, &len);
    o = out_new(fp, OUT_CSV, 0);
    CHECK(out_stmt(o, st, &rows, &e) == ERR_DB && strstr(e.msg, "integer overflow"));
    out_free(o);
    fclose(fp);
    free(text);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The widest line of text, in code points. */
static size_t widest_line(const char *text)
{
    size_t w = 0, max = 0;

    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            w = 0;
            continue;
        }
        w += ((unsigned char)*p & 0xC0) != 0x80;
        max = w > max ? w : max;
    }
    return max;
}

static void test_table_fit(void)
{
    static const char *const cols[] = {"id", "title", "rep", "url"};
    static const char url[] = "https://us-48213.app.gong.io/call?id=7798480347555410638";
    char title[121];
    struct out_cell rows[8];
    char *got;

    memset(title, 't', sizeof title - 1);
    title[sizeof title - 1] = '\0';
    for (int r = 0; r < 2; r++) {
        rows[4 * r] = T(r ? "2320963321992144191" : "7798480347555410638");
        rows[4 * r + 1] = T(title);
        rows[4 * r + 2] = T("Zofia D\xC4\x85"
                            "browska");
        rows[4 * r + 3] = T(url);
    }
    /* 160 columns: the title shrinks, id and url stay whole on the row */
    setenv("COLUMNS", "160", 1);
    got = render(OUT_TABLE, OUT_TRUNCATE, 4, cols, rows, 2);
    CHECK(got && widest_line(got) <= 160 && strstr(got, "7798480347555410638  ttt"));
    CHECK(got && strstr(got, url) && strstr(got, "t\xE2\x80\xA6  Zofia") && !strstr(got, title));
    free(got);
    /* 100 columns: the url moves under its row, whole */
    setenv("COLUMNS", "100", 1);
    got = render(OUT_TABLE, OUT_TRUNCATE, 4, cols, rows, 2);
    CHECK(got && widest_line(got) <= 100);
    CHECK(got && strstr(got, "\n  https://us-48213.app.gong.io/call?id=7798480347555410638\n"));
    CHECK(got && strstr(got, "2320963321992144191  ") && !strstr(got, "  url"));
    free(got);
    /* 30 columns: each row a record, values cut but id and url whole */
    setenv("COLUMNS", "30", 1);
    got = render(OUT_TABLE, OUT_TRUNCATE, 4, cols, rows, 2);
    CHECK(got && strstr(got, "-[ 1 ]") && strstr(got, "-[ 2 ]") && strstr(got, url));
    CHECK(got && strstr(got, "id     7798480347555410638\n"));
    free(got);
    /* not fitting (a pipe): unchanged, the whole title */
    got = render(OUT_TABLE, 0, 4, cols, rows, 2);
    CHECK(got && strstr(got, title) && widest_line(got) > 160);
    free(got);
    unsetenv("COLUMNS");
}

int main(void)
{
    test_helpers();
    test_formats();
    test_table_limits();
    test_table_fit();
    test_stmt();
    return CHECK_DONE("test_out");
}
