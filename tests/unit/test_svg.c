/* test_svg: the report's charts are well-formed SVG whose labels are escaped, cut and
 * isolated for bidirectional text, with bars sized to their values. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "svg.h"

#include "banned.h"

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;

    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

int main(void)
{
    static const char *const labels[] = {"<b>Eve</b> & \"co\"", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D",
                                         "A very long name that goes on and on and on", NULL};
    const double values[] = {0.5, 0.25, NAN};
    struct svg_chart c = {.title = "Talk <ratio>",
                          .percent = 1,
                          .max = 1,
                          .n_series = 1,
                          .n_refs = 1,
                          .refs = {0.65},
                          .ref_labels = {"65%"}};
    struct buf b;
    struct err e = {0};

    buf_init(&b, 0);
    CHECK(svg_hbars(&b, &c, labels, values, 3, &e) == ERR_OK);
    CHECK(strncmp(b.data, "<div class=\"tw\"><svg class=\"chart\"", 34) == 0);
    CHECK(strstr(b.data, "<title>Talk &lt;ratio&gt;</title>") != NULL);
    CHECK(strstr(b.data, "\xE2\x81\xA8&lt;b&gt;Eve&lt;/b&gt; &amp; &quot;co&quot;\xE2\x81\xA9") !=
          NULL);
    CHECK(strstr(b.data, "\xE2\x81\xA8\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\xE2\x81\xA9") != NULL);
    CHECK(strstr(b.data, "A very long name that goes o\xE2\x80\xA6\xE2\x81\xA9") != NULL);
    CHECK(count(b.data, "<rect class=\"s0\"") == 2);  /* NAN: no bar */
    CHECK(strstr(b.data, "width=\"240.0\"") != NULL); /* 0.5 of 480 pixels */
    CHECK(strstr(b.data, ">50%<") != NULL && strstr(b.data, ">25%<") != NULL);
    CHECK(count(b.data, "<line class=\"ref\"") == 1);
    CHECK(count(b.data, "<svg") == 1 && strstr(b.data, "</svg></div>\n") != NULL);
    CHECK(strstr(b.data, "<b>") == NULL);

    buf_reset(&b);
    {
        static const char *const weeks[] = {"2024-01-01", "2024-01-08", "2024-01-15"};
        const double n[] = {3, 0, 12};
        struct svg_chart cc = {.title = "Calls per week", .n_series = 1};

        CHECK(svg_columns(&b, &cc, weeks, n, 3, &e) == ERR_OK);
        CHECK(count(b.data, "<rect class=\"s0\"") == 3);
        CHECK(strstr(b.data, "<title>2024-01-15: 12</title>") != NULL);
        CHECK(count(b.data, "<line class=\"grid\"") == 5);
    }
    buf_reset(&b);
    { /* 104 weeks: every label is drawn where it cannot touch its neighbours */
        static char names[104][16];
        const char *weeks[104];
        double n[104];
        struct svg_chart cc = {.title = "Calls per week", .n_series = 1};
        size_t shown;

        for (int i = 0; i < 104; i++) {
            snprintf(names[i], sizeof names[i], "2024-%02d-%02d", 1 + i / 9, 1 + i % 28);
            weeks[i] = names[i];
            n[i] = i % 7;
        }
        CHECK(svg_columns(&b, &cc, weeks, n, 104, &e) == ERR_OK);
        shown = count(b.data, "<text class=\"xlab\"");
        /* 700 px of plot, a 10-character label takes about 87 px: at most 8 fit */
        CHECK(shown >= 4 && shown <= 8);
        CHECK(count(b.data, "<rect class=\"s0\"") == 104);
    }
    buf_reset(&b);
    {
        const double two[] = {1, 2, 3, NAN};
        struct svg_chart g = {.title = "q",
                              .n_series = 2,
                              .series = {"rep", "customer"},
                              .band = 1,
                              .band_lo = 11,
                              .band_hi = 14};

        CHECK(svg_hbars(&b, &g, labels, two, 2, &e) == ERR_OK);
        CHECK(count(b.data, "<rect class=\"s1\"") == 2); /* legend + one bar */
        CHECK(count(b.data, "<rect class=\"band\"") == 1);
        CHECK(strstr(b.data, "customer\xE2\x81\xA9</text>") != NULL);
    }
    buf_release(&b);
    return CHECK_DONE("test_svg");
}
