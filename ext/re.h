/* re: the PCRE2 wrapper shared by grep and the SQL functions.
 *
 * Patterns are UTF-8 and match by code point (PCRE2_UTF | PCRE2_UCP), compiled with the JIT
 * when available, with match and depth limits so a catastrophically backtracking pattern
 * fails fast with a clear error instead of hanging. A subject is checked for valid UTF-8
 * once by the caller (text_utf8_valid, text.h); matching then skips PCRE2's per-call check, which
 * would otherwise make scanning a buffer quadratic. A struct re owns its match data, so
 * one struct re serves one thread at a time. */
#ifndef CALLMINE_RE_H
#define CALLMINE_RE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define RE_CASELESS 0x1 /* -i */

struct re;

/* Compile pattern (NUL-terminated UTF-8). On a bad pattern: ERR_USAGE with
 * "bad pattern at offset N: <PCRE2 message>". *out is NULL on failure; free with re_free. */
int re_compile(const char *pattern, int flags, struct re **out, struct err *e);

/* A second, independent matcher for the same pattern (for another thread). NULL on OOM. */
struct re *re_clone(const struct re *re);

void re_free(struct re *re); /* NULL ok */

/* Find the first match in subject[start..len). subject must be valid UTF-8 and start must be
 * on a code point boundary. Returns 1 with the match's byte range in *mstart, *mend; 0 when
 * there is none, -1 on a matching error (match or depth limit hit: e says "pattern is too
 * complex ..."). An empty match is reported; the caller advances past it. */
int re_next(struct re *re, const char *subject, size_t len, size_t start, size_t *mstart,
            size_t *mend, struct err *e);

/* The step-past-an-empty-match loop: the next match at or after *pos in subject[0..len),
 * then *pos moves past it (to its end, or one code point on after an empty match, past len
 * after one at len), so calling it until it returns 0 finds every match once, the empty
 * ones included, and always ends. Returns as re_next does. */
int re_each(struct re *re, const char *subject, size_t len, size_t *pos, size_t *mstart,
            size_t *mend, struct err *e);

/* Called for each hit of re_sentence_hits with its byte range; non-zero stops the search
 * (re_sentence_hits then returns -1, and the callback has said why in its own e). */
typedef int re_hit_fn(void *arg, size_t mstart, size_t mend);

/* The hits of re in one sentence s[0..n) (valid UTF-8), as grep and mention_count count them:
 * every non-empty match is a hit; a sentence whose only matches are empty (a pattern such as
 * ^ or x*) has one hit, at its first empty match. hit (may be NULL) is called for each, in
 * order; the search stops after max hits. Returns the number of hits, or -1 on a matching
 * error (e says why) or when hit returned non-zero. */
int64_t re_sentence_hits(struct re *re, const char *s, size_t n, size_t max, re_hit_fn *hit,
                         void *arg, struct err *e);

/* A literal that every match must contain, for a fast memmem()/memchr() prefilter before
 * running the regex on a buffer, or NULL when there is no usable one (borrowed; lives as
 * long as re). With RE_CASELESS the literal is lowercase ASCII and must be searched
 * case-insensitively; *caseless says which. */
const char *re_required_literal(const struct re *re, size_t *len, int *caseless);

/* Added by re.c's author: the prefilter. Every match contains at least one of a small
 * set of literals derived from the pattern (re_required_literal shows the set when it has
 * exactly one member; `a|b` and `\b(price|pricing)\b` have sets of two). Returns the byte
 * offset of the first occurrence of any of them starting in s[from..len), len when there
 * is none (no match lies wholly in s[from..len)), and from when the pattern has no set
 * (see re_has_prefilter). Case-insensitive for RE_CASELESS. Scans 16 bytes at a time for
 * each literal's two rarest bytes, at several GB/s. A match containing the literal may
 * start before it: back up to the start of the line, and continue after that line.
 * The literals never contain a backslash, CR or LF, so they can be searched for in the
 * stored (escaped) transcript format of transcript.h as well as in plain text. */
size_t re_literal_find(const struct re *re, const char *s, size_t len, size_t from);

/* Added: 1 when re has a literal set for re_literal_find, 0 when every text must be run
 * through the regex. */
int re_has_prefilter(const struct re *re);

/* Added for grep's trigram index: member k (from 0) of the literal set behind
 * re_literal_find, or NULL when k is past its end (no member at all when re_has_prefilter
 * is 0). Every match contains at least one member. *len is its length in bytes and
 * *caseless says whether it is searched case-insensitively (it is then lowercase ASCII;
 * a caseless k or s also matches U+212A or U+017F). Borrowed: lives as long as re. */
const char *re_literal_at(const struct re *re, int k, size_t *len, int *caseless);

#endif
