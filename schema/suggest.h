/* suggest: "did you mean" for mistyped command names and long options, in both programs.
 *
 * Closeness is the optimal-string-alignment distance (Levenshtein plus swapping two
 * neighbouring characters: "gerp" is one edit from "grep"), compared case-insensitively
 * (ASCII). A candidate is offered when it is the single closest one and at most 1 edit away
 * for words of up to 4 characters, 2 for longer ones, or when the word is a prefix of it. */
#ifndef CALLMINE_SUGGEST_H
#define CALLMINE_SUGGEST_H

#include <getopt.h>
#include <stddef.h>

/* The candidate closest to word among cands[0..n) (NULL entries skipped), or NULL when none
 * is close enough or two are equally close. Returns a pointer into cands. */
const char *suggest_word(const char *word, const char *const *cands, size_t n);

/* For an unknown long option as typed ("--formt" or "--formt=json"): the name of the closest
 * option in opts (an array ended by a NULL name), without the dashes, or NULL. */
const char *suggest_option(const char *typed, const struct option *opts);

#endif
