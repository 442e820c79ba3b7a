/* test_suggest: "did you mean" for commands and long options. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "suggest.h"

#include "banned.h"

static int is(const char *got, const char *want)
{
    return got && want ? strcmp(got, want) == 0 : got == want;
}

int main(void)
{
    static const char *const cmds[] = {"sql",    "calls",  "show",   "grep", "analyze",
                                       "report", "export", "search", "mcp",  "help"};
    static const struct option opts[] = {
        {"format", 1, NULL, 1},   {"from", 1, NULL, 2},       {"to", 1, NULL, 3},
        {"max-hits", 1, NULL, 4}, {"no-pager", 0, NULL, 5},   {"speaker", 1, NULL, 6},
        {"stage", 1, NULL, 7},    {"min-amount", 1, NULL, 8}, {NULL, 0, NULL, 0},
    };
    size_t n = sizeof cmds / sizeof cmds[0];

    CHECK(is(suggest_word("gerp", cmds, n), "grep")); /* a swap is one edit */
    CHECK(is(suggest_word("analyse", cmds, n), "analyze"));
    CHECK(is(suggest_word("shw", cmds, n), "show"));
    CHECK(is(suggest_word("CALLS", cmds, n), NULL));   /* the same word: nothing to suggest */
    CHECK(is(suggest_word("Cals", cmds, n), "calls")); /* case does not matter */
    CHECK(is(suggest_word("exp", cmds, n), "export")); /* a prefix */
    CHECK(is(suggest_word("xyzzy", cmds, n), NULL));
    CHECK(is(suggest_word("", cmds, n), NULL));
    CHECK(is(suggest_word("s", cmds, n), NULL)); /* too short to guess between many */
    CHECK(is(suggest_option("--formt", opts), "format"));
    CHECK(is(suggest_option("--formt=json", opts), "format"));
    CHECK(is(suggest_option("--max-hist", opts), "max-hits"));
    CHECK(is(suggest_option("--no-pagr", opts), "no-pager"));
    CHECK(is(suggest_option("--speeker", opts), "speaker"));
    CHECK(is(suggest_option("--fro", opts), "from"));
    CHECK(is(suggest_option("--bogus", opts), NULL));
    CHECK(is(suggest_option("--", opts), NULL));
    CHECK(is(suggest_option("--tx", opts), "to"));
    return CHECK_DONE("test_suggest");
}
