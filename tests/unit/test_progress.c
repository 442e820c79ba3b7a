/* test_progress: the progress bar fits any terminal width (never more than cols - 1
 * characters, so it never wraps), keeps the ETA when room runs out, shows the phase's own
 * count, and durations format as 12s / 4m12s / 1h03m. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "progress.h"

static void widths(const struct progress_counts *c)
{
    char out[600];

    for (int cols = 1; cols <= 400; cols++) {
        progress_format_bar(c, 2.9, "12m34s", cols, out, sizeof out);
        CHECK(strlen(out) <= (size_t)(cols > 512 ? 511 : cols - 1));
        if (cols >= 40)
            CHECK(strstr(out, "ETA 12m34s") != NULL);
        if (cols >= 100)
            CHECK(strchr(out, '[') != NULL && strstr(out, "req/s") != NULL);
    }
}

int main(void)
{
    struct progress_counts calls = {.phase = PROGRESS_CALLS,
                                    .calls_done = 300,
                                    .calls_total = 1500,
                                    .transcripts = 240,
                                    .transcripts_due = 57,
                                    .requests = 12};
    struct progress_counts tr = {.phase = PROGRESS_TRANSCRIPTS,
                                 .calls_done = 1500,
                                 .calls_total = 1500,
                                 .transcripts = 900,
                                 .transcripts_done = 1000,
                                 .transcripts_due = 400,
                                 .requests = 30};
    char out[600], d[32];

    widths(&calls);
    widths(&tr);
    progress_format_bar(&calls, 2.9, "6m40s", 100, out, sizeof out);
    CHECK(strncmp(out, "calls [", 7) == 0);
    CHECK(strstr(out, "300/1500") && strstr(out, "240 transcripts"));
    progress_format_bar(&tr, 2.9, "2m", 100, out, sizeof out);
    CHECK(strncmp(out, "transcripts [", 13) == 0);
    CHECK(strstr(out, "1000/1400") != NULL); /* asked of asked + still due */
    /* a full bar at the end, an empty one at the start */
    calls.calls_done = 1500;
    progress_format_bar(&calls, 1, "0s", 160, out, sizeof out);
    CHECK(strstr(out, "[#") && !strstr(out, "#."));
    calls.calls_done = 0;
    progress_format_bar(&calls, 1, "?", 160, out, sizeof out);
    CHECK(strstr(out, "[.") && !strchr(out, '#'));
    /* unknown total: a count without a slash */
    calls.calls_total = 0;
    progress_format_bar(&calls, 1, "?", 80, out, sizeof out);
    CHECK(strstr(out, "calls ") && !strstr(out, "/0"));
    progress_format_duration(12.4, d, sizeof d);
    CHECK(strcmp(d, "12s") == 0);
    progress_format_duration(252, d, sizeof d);
    CHECK(strcmp(d, "4m12s") == 0);
    progress_format_duration(3780, d, sizeof d);
    CHECK(strcmp(d, "1h03m") == 0);
    progress_format_duration(-5, d, sizeof d);
    CHECK(strcmp(d, "0s") == 0);
    return CHECK_DONE("test_progress");
}
