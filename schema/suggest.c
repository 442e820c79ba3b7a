/* suggest: the closest known word to a mistyped one (see suggest.h). */
#include "suggest.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "banned.h"

#define SUGGEST_MAX_LEN 64 /* longer words are not compared */

/* Optimal-string-alignment distance between a[0..n) and b[0..m), case-insensitive (ASCII);
 * both at most SUGGEST_MAX_LEN bytes. */
static size_t osa(const char *a, size_t n, const char *b, size_t m)
{
    size_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];

    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca != cb, v = d[i - 1][j] + 1;

            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[n][m];
}

const char *suggest_word(const char *word, const char *const *cands, size_t n)
{
    size_t len = strlen(word), best_d = (size_t)-1, limit = len <= 4 ? 1 : 2;
    const char *best = NULL;
    int tie = 0;

    if (!len || len > SUGGEST_MAX_LEN)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t m, dist;

        if (!cands[i] || (m = strlen(cands[i])) > SUGGEST_MAX_LEN)
            continue;
        dist = osa(word, len, cands[i], m);
        if (dist > limit && !(len >= 3 && m > len && strncasecmp(word, cands[i], len) == 0))
            continue;
        if (dist > limit)
            dist = limit; /* a prefix counts as close as the limit */
        if (dist < best_d) {
            best_d = dist, best = cands[i], tie = 0;
        } else if (dist == best_d && strcmp(best, cands[i]) != 0) {
            tie = 1;
        }
    }
    return tie || best_d == 0 ? NULL : best;
}

const char *suggest_option(const char *typed, const struct option *opts)
{
    const char *names[128];
    char word[SUGGEST_MAX_LEN + 1];
    size_t n = 0, len;

    while (*typed == '-')
        typed++;
    len = strcspn(typed, "=");
    if (!len || len > SUGGEST_MAX_LEN)
        return NULL;
    memcpy(word, typed, len);
    word[len] = '\0';
    for (; opts->name && n < sizeof names / sizeof names[0]; opts++)
        names[n++] = opts->name;
    return suggest_word(word, names, n);
}
