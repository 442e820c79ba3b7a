/* test_isotime: parsing Gong's and users' times, formatting stored UTC text. */
#include <string.h>

#include "check.h"
#include "isotime.h"

static int norm_is(const char *in, const char *want)
{
    char out[ISOTIME_MAX];
    struct err e = {0};

    if (isotime_normalize(in, out, &e) != ERR_OK) {
        fprintf(stderr, "normalize '%s': %s\n", in, e.msg);
        return 0;
    }
    if (strcmp(out, want) != 0)
        fprintf(stderr, "normalize '%s': got '%s' want '%s'\n", in, out, want);
    return strcmp(out, want) == 0;
}

int main(void)
{
    struct err e = {0};
    int64_t ms = 0;
    char out[ISOTIME_MAX];

    CHECK(norm_is("2024-03-01T09:01:12-08:00", "2024-03-01T17:01:12.000Z"));
    CHECK(norm_is("2023-10-17T21:21:39.277+02:00", "2023-10-17T19:21:39.277Z"));
    CHECK(norm_is("2024-03-01T17:01:12.345Z", "2024-03-01T17:01:12.345Z"));
    CHECK(norm_is("2024-03-01T17:01:12.3456789Z", "2024-03-01T17:01:12.345Z"));
    CHECK(norm_is("2024-01-01T02:00:00+05:30", "2023-12-31T20:30:00.000Z"));
    CHECK(norm_is("2024-02-29T23:59:59-0100", "2024-03-01T00:59:59.000Z"));
    CHECK(norm_is("2024-03-01", "2024-03-01T00:00:00.000Z"));
    CHECK(norm_is("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500Z"));
    CHECK(norm_is("2024-03-01T09:00Z", "2024-03-01T09:00:00.000Z"));
    /* finer fractions are cut to the millisecond, never rounded */
    CHECK(norm_is("2024-03-01T17:01:12.9999Z", "2024-03-01T17:01:12.999Z"));
    CHECK(norm_is("2024-03-01T17:01:12.1Z", "2024-03-01T17:01:12.100Z"));
    CHECK(strlen("2024-03-01T17:01:12.100Z") == 24);

    CHECK(isotime_parse("2024-03-01T09:00:00", 0, &ms, &e) == ERR_PARSE);
    CHECK(strstr(e.msg, "no time zone") != NULL);
    CHECK(isotime_parse("2024-03-01T09:00:00", 1, &ms, &e) == ERR_OK);
    CHECK(isotime_parse("2023-02-29", 0, &ms, &e) == ERR_PARSE);
    CHECK(isotime_parse("2024-13-01", 0, &ms, &e) == ERR_PARSE);
    CHECK(isotime_parse("yesterday", 0, &ms, &e) == ERR_PARSE);
    CHECK(strstr(e.msg, "'yesterday'") != NULL);
    CHECK(isotime_parse("2024-03-01T09:00:00Zjunk", 0, &ms, &e) == ERR_PARSE);
    CHECK(isotime_parse("", 0, &ms, &e) == ERR_PARSE);
    CHECK(isotime_parse(NULL, 0, &ms, &e) == ERR_PARSE);

    CHECK(isotime_parse("1970-01-01T00:00:01Z", 0, &ms, &e) == ERR_OK && ms == 1000);
    isotime_format(0, 1, out);
    CHECK(strcmp(out, "1970-01-01T00:00:00.000Z") == 0);
    isotime_format(1709312472345LL, 0, out);
    CHECK(strcmp(out, "2024-03-01T17:01:12Z") == 0);

    CHECK(isotime_parse_duration("2d", &ms, &e) == ERR_OK && ms == 172800000LL);
    CHECK(isotime_parse_duration("1d12h", &ms, &e) == ERR_OK && ms == 129600000LL);
    CHECK(isotime_parse_duration("90m", &ms, &e) == ERR_OK && ms == 5400000LL);
    CHECK(isotime_parse_duration("1w", &ms, &e) == ERR_OK && ms == 604800000LL);
    CHECK(isotime_parse_duration("0s", &ms, &e) == ERR_OK && ms == 0);
    CHECK(isotime_parse_duration("2", &ms, &e) == ERR_PARSE);
    CHECK(isotime_parse_duration("d", &ms, &e) == ERR_PARSE);
    CHECK(isotime_parse_duration("", &ms, &e) == ERR_PARSE);

    /* days_from_civil and back agree over a long span */
    for (int64_t d = -800000; d < 800000; d += 997) {
        int64_t y;
        unsigned m, dd;

        isotime_civil_from_days(d, &y, &m, &dd);
        if (isotime_days_from_civil(y, m, dd) != d) {
            CHECK(0);
            break;
        }
    }
    CHECK(1);
    return CHECK_DONE("test_isotime");
}
