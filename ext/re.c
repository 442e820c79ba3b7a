/* re: the PCRE2 wrapper shared by grep and the SQL functions (see re.h).
 *
 * A struct re holds the compiled pattern (JIT-compiled when the library and the system
 * allow it, else run by the interpreter), a match data block sized for the overall match
 * only, and a match context carrying the limits and a private JIT stack. Matching always
 * passes PCRE2_NO_UTF_CHECK: callers validate each subject once with text_utf8_valid.
 *
 * At compile time the pattern is also scanned for required literals: a small set of
 * strings such that every match contains at least one of them. A run of plain characters
 * gives a set of one; an alternation whose every branch has a set gives their union
 * (`\b(price|pricing|discount)\b` gives three). re_literal_find searches for the set at
 * memchr speed, keyed on each literal's rarest byte, so callers skip text that cannot
 * match; PCRE2's JIT scans caseless alternations at well under 1 GB/s, the prefilter at
 * several. The scanner is deliberately conservative: whatever it does not fully understand
 * ends a run or gives up, since no literal is always a correct answer. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "re.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#include "banned.h"

#define RE_MATCH_LIMIT 10000000u /* backtracking steps per match attempt */
#define RE_DEPTH_LIMIT 10000000u /* interpreter backtracking depth (heap bounds it first) */
#define RE_HEAP_LIMIT 262144u    /* interpreter heap, KiB (256 MiB) */
#define RE_JIT_STACK_MIN (32u << 10)
#define RE_JIT_STACK_MAX (64u << 20)
#define LIT_SET_MAX 16 /* more alternatives than this: no prefilter */

/* One required literal and the state of the scan for it (see re_literal_find). */
struct lit {
    char *s; /* NUL-terminated; lowercase ASCII when caseless */
    size_t len;
    size_t rare, rare2;        /* indexes of its two rarest bytes, the pair the scan looks for */
    unsigned char fold, fold2; /* 0x20 when that byte is a caseless letter: OR'ed in */
};

struct re {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack;
    int jit;          /* code was JIT-compiled: use pcre2_jit_match */
    int flags;        /* RE_* as compiled */
    struct lit *lits; /* the required literal set; every match contains one */
    int n_lits;       /* 0: no prefilter */
    int lit_caseless;
    size_t lit_reach;        /* the largest rare or rare2 index: how far the scan reads ahead */
    size_t req_off, req_len; /* re_required_literal: lits[0].s[req_off..+req_len) */
};

/* ---- required literals ---------------------------------------------------------------- */

/* How common a byte is in English-like text: higher is more common. Uppercase letters are
 * rare in case-sensitive searches; bytes not listed (punctuation, UTF-8) are rare too. */
static int byte_rank(unsigned char c, int caseless)
{
    static const char freq[] = "zqxjkvbpygfwmucldrhsnioate"; /* rarest letter first */
    const char *p;

    if (c >= 'A' && c <= 'Z') {
        if (!caseless)
            return 20;
        c = (unsigned char)(c - 'A' + 'a');
    }
    if (caseless && (c == 'k' || c == 's'))
        return 1000; /* never searched for: they also match multibyte characters */
    if (c == ' ')
        return 250;
    if (c >= '0' && c <= '9')
        return 40;
    if (c >= 'a' && c <= 'z') {
        p = strchr(freq, c);
        return p ? 50 + (int)(p - freq) * 5 : 50;
    }
    if (c == ',' || c == '.' || c == '\'' || c == '\t')
        return 45;
    return 10;
}

static int is_alnum_ascii(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Bytes of empty quoting at p, which PCRE2 ignores even between an item and its quantifier:
 * any run of \E and \Q\E. Fuzzing found (tests/fuzz/regress/regex/quantifier-after-
 * empty-quote-*): `xab\E?` and `xab\Q\E?` make the b optional, but the scanner took "xab" as
 * required, so the prefilter skipped text matching "xa". */
static size_t empty_quotes(const char *p)
{
    size_t n = 0;

    for (;;) {
        if (p[n] == '\\' && p[n + 1] == 'E')
            n += 2;
        else if (p[n] == '\\' && p[n + 1] == 'Q' && p[n + 2] == '\\' && p[n + 3] == 'E')
            n += 4;
        else
            return n;
    }
}

/* Is there a brace at p (after any empty quoting), a quantifier or not? */
static int brace_at(const char *p)
{
    return p[empty_quotes(p)] == '{';
}

/* Length of a quantifier at p ("?", "*", "+", "{n}", "{n,}", "{n,m}", each with an optional
 * lazy "?" or possessive "+" suffix), 0 when p does not start one. *optional is set when
 * the quantifier allows zero repetitions. Empty quoting before it is part of its length. */
static size_t quant_len(const char *p, int *optional)
{
    size_t n = 0, skip = empty_quotes(p);

    *optional = 0;
    p += skip;
    if (*p == '?' || *p == '*') {
        *optional = 1;
        n = 1;
    } else if (*p == '+') {
        n = 1;
    } else if (*p == '{') {
        size_t i = 1, digits = 0;
        int zero = 1;

        while (p[i] >= '0' && p[i] <= '9') {
            if (p[i] != '0')
                zero = 0;
            i++, digits++;
        }
        if (!digits)
            return 0;
        if (p[i] == ',') {
            i++;
            while (p[i] >= '0' && p[i] <= '9')
                i++;
        }
        if (p[i] != '}')
            return 0;
        *optional = zero;
        n = i + 1;
    } else {
        return 0;
    }
    if (p[n] == '?' || p[n] == '+')
        n++;
    return skip + n;
}

/* Skip a character class starting at p[0] == '['; returns the index just past its ']',
 * or 0 when the class uses syntax this scanner does not follow. */
static size_t skip_class(const char *p)
{
    size_t i = 1;

    if (p[i] == '^')
        i++;
    if (p[i] == ']')
        i++;
    for (;;) {
        unsigned char c = (unsigned char)p[i];

        if (c == '\0')
            return 0;
        if (c == ']')
            return i + 1;
        if (c == '\\') {
            if (p[i + 1] == '\0')
                return 0;
            if (p[i + 1] == 'Q') {
                const char *q = strstr(p + i + 2, "\\E");

                if (!q)
                    return 0;
                i = (size_t)(q - p) + 2;
            } else if (p[i + 1] == 'c') {
                if (p[i + 2] == '\0')
                    return 0;
                i += 3;
            } else {
                i += 2;
            }
            continue;
        }
        if (c == '[') { /* only [:name:] is understood */
            size_t j = i + 1;

            if (p[j] != ':')
                return 0;
            j++;
            if (p[j] == '^')
                j++;
            while (p[j] >= 'a' && p[j] <= 'z')
                j++;
            if (p[j] != ':' || p[j + 1] != ']')
                return 0;
            i = j + 2;
            continue;
        }
        i++;
    }
}

/* A set of literals, any of which every match of some part of the pattern contains.
 * n == 0: nothing is known to be required. Strings live in the scanner's arena. */
struct litset {
    int n;
    uint32_t off[LIT_SET_MAX];
    uint32_t len[LIT_SET_MAX];
};

struct scan {
    const char *pat;
    size_t i, len;
    int caseless;
    int bail;    /* give up: no literal at all */
    char *arena; /* finished runs, back to back (at most len bytes in all) */
    size_t n_arena;
    char *cur; /* the run being collected */
    size_t n_cur;
};

static size_t set_minlen(const struct litset *a)
{
    size_t m = (size_t)-1;
    int k;

    for (k = 0; k < a->n; k++)
        if (a->len[k] < m)
            m = a->len[k];
    return m;
}

/* a is a better prefilter than b: longer shortest literal, then fewer literals. */
static int set_better(const struct litset *a, const struct litset *b)
{
    size_t ma, mb;

    if (a->n == 0)
        return 0;
    if (b->n == 0)
        return 1;
    ma = set_minlen(a);
    mb = set_minlen(b);
    return ma > mb || (ma == mb && a->n < b->n);
}

/* Finish the run being collected and keep it if it beats *best. */
static void run_end(struct scan *sc, struct litset *best)
{
    struct litset one = {0};

    if (!sc->n_cur)
        return;
    memcpy(sc->arena + sc->n_arena, sc->cur, sc->n_cur);
    one.n = 1;
    one.off[0] = (uint32_t)sc->n_arena;
    one.len[0] = (uint32_t)sc->n_cur;
    sc->n_arena += sc->n_cur;
    sc->n_cur = 0;
    if (set_better(&one, best))
        *best = one;
}

/* Add the literal code point c[0..n), followed in the pattern by next, to the run.
 * Returns how many bytes at next were consumed as its quantifier, or (size_t)-1 when
 * collecting must stop. */
static size_t run_add(struct scan *sc, struct litset *best, const char *c, size_t n,
                      const char *next)
{
    int optional;
    size_t q = quant_len(next, &optional);
    unsigned char b = (unsigned char)c[0];
    int usable = 1;

    if (brace_at(next) && !q) { /* a literal brace, or a newer quantifier syntax: stop */
        run_end(sc, best);
        return (size_t)-1;
    }
    /* Backslash, CR and LF are escaped in the stored transcript format: leaving them out
     * lets callers search the stored text as it is. */
    if (b == '\\' || b == '\n' || b == '\r')
        usable = 0;
    /* Non-ASCII letters fold to several spellings: they do not fit an ASCII
     * case-insensitive search. (k and s, which also match the Kelvin sign and the long s,
     * are handled by the search itself.) */
    if (sc->caseless && (n != 1 || b >= 0x80))
        usable = 0;
    if (optional || !usable) {
        run_end(sc, best);
        return q;
    }
    if (sc->caseless && b >= 'A' && b <= 'Z')
        sc->cur[sc->n_cur++] = (char)(b - 'A' + 'a');
    else {
        memcpy(sc->cur + sc->n_cur, c, n);
        sc->n_cur += n;
    }
    if (q) /* repeated: the run cannot continue past it */
        run_end(sc, best);
    return q;
}

static struct litset scan_alt(struct scan *sc);

/* Stop collecting literals for the rest of this sequence. */
#define STOP()                                                                                     \
    do {                                                                                           \
        run_end(sc, &best);                                                                        \
        collect = 0;                                                                               \
    } while (0)

/* Scan one branch (a sequence of items) up to '|', ')' or the end; returns its best set.
 * *opts_changed is set when the branch changes options for the rest of its group. */
static struct litset scan_seq(struct scan *sc, int *opts_changed)
{
    struct litset best = {0};
    const char *pat = sc->pat;
    int collect = 1, optional;

    sc->n_cur = 0;
    while (sc->i < sc->len && !sc->bail) {
        size_t i = sc->i, q;
        unsigned char c = (unsigned char)pat[i];

        if (c == '|' || c == ')')
            break;
        if (c == '\\') {
            unsigned char d = (unsigned char)pat[i + 1];

            if (d == '\0') {
                sc->bail = 1;
                break;
            }
            if (d == 'Q') { /* \Q...\E: everything literal */
                const char *end_q = strstr(pat + i + 2, "\\E");
                size_t end = end_q ? (size_t)(end_q - pat) : sc->len, j = i + 2, extra = 0;

                while (j < end && collect) {
                    size_t n = text_utf8_next(pat, end, j) - j, used;
                    /* only the last character can carry a quantifier, after the \E */
                    const char *next = j + n < end || !end_q ? "" : pat + end + 2;

                    used = run_add(sc, &best, pat + j, n, next);
                    if (used == (size_t)-1)
                        collect = 0;
                    else if (j + n >= end)
                        extra = used;
                    j += n;
                }
                sc->i = end_q ? end + 2 + extra : sc->len;
                continue;
            }
            sc->i = i + 2;
            if (d == 'E') /* a stray \E is ignored */
                continue;
            if (d == 'c') { /* \cX: a control character */
                if (collect)
                    STOP();
                sc->i = pat[i + 2] ? i + 3 : i + 2;
                continue;
            }
            if (!collect)
                continue;
            if (d < 0x80 && !is_alnum_ascii(d)) { /* an escaped metacharacter */
                q = run_add(sc, &best, pat + i + 1, 1, pat + i + 2);
                if (q == (size_t)-1)
                    collect = 0;
                else
                    sc->i += q;
                continue;
            }
            run_end(sc, &best);
            if (d < 0x80 && strchr("bBAzZGK", d)) /* zero-width */
                continue;
            if (d < 0x80 && strchr("dDwWsShHvVRXpP", d)) { /* one character of a kind */
                if ((d == 'p' || d == 'P') && pat[sc->i] == '{') {
                    const char *close = strchr(pat + sc->i, '}');

                    if (!close) {
                        STOP();
                        continue;
                    }
                    sc->i = (size_t)(close - pat) + 1;
                } else if (d == 'p' || d == 'P') {
                    sc->i++; /* \pL */
                }
                if (brace_at(pat + sc->i) && !quant_len(pat + sc->i, &optional))
                    STOP();
                else
                    sc->i += quant_len(pat + sc->i, &optional);
                continue;
            }
            STOP(); /* \x41, \1, \g{..}, \N{U+..}, \é: lengths and meanings vary */
            continue;
        }
        if (c == '[') {
            size_t n = skip_class(pat + i);

            if (!n) {
                sc->bail = 1;
                break;
            }
            sc->i = i + n;
            if (collect) {
                run_end(sc, &best);
                if (brace_at(pat + sc->i) && !quant_len(pat + sc->i, &optional))
                    STOP();
                else
                    sc->i += quant_len(pat + sc->i, &optional);
            }
            continue;
        }
        if (c == '(') {
            struct litset g;
            int contrib = 0;
            size_t j = i + 1;

            if (pat[j] == '*') { /* verbs: (*ACCEPT) can end a match anywhere */
                sc->bail = 1;
                break;
            }
            if (pat[j] != '?') {
                contrib = 1; /* a capturing group */
            } else {
                unsigned char k = (unsigned char)pat[j + 1];

                j++;
                if (k == '#' || k == 'C') { /* comments and callouts: not followed */
                    sc->bail = 1;
                    break;
                }
                if (k == ':' || k == '|' || k == '>') {
                    contrib = 1;
                    j++;
                } else if ((k == '<' && pat[j + 1] != '=' && pat[j + 1] != '!') || k == '\'' ||
                           (k == 'P' && pat[j + 1] == '<')) { /* a named group */
                    const char *close = strchr(pat + j + 2, k == '\'' ? '\'' : '>');

                    if (!close) {
                        sc->bail = 1;
                        break;
                    }
                    j = (size_t)(close - pat) + 1;
                    contrib = 1;
                } else {
                    size_t m = j;

                    while (pat[m] && strchr("imnsxUJ^-", pat[m])) {
                        if (pat[m] == 'x') { /* extended: # comments, ignored spaces */
                            sc->bail = 1;
                            break;
                        }
                        m++;
                    }
                    if (sc->bail)
                        break;
                    if (m > j && pat[m] == ')') { /* options for the rest of the group */
                        if (collect)
                            STOP();
                        *opts_changed = 1;
                        sc->i = m + 1;
                        continue;
                    }
                    if (m > j && pat[m] == ':') /* a group with its own options */
                        j = m + 1;
                    else /* lookaround, condition, recursion: parsed, never used */
                        j = i + 1;
                }
            }
            if (collect)
                run_end(sc, &best);
            sc->i = j;
            g = scan_alt(sc);
            if (sc->bail)
                break;
            if (pat[sc->i] != ')') {
                sc->bail = 1;
                break;
            }
            sc->i++;
            if (!collect)
                continue;
            q = quant_len(pat + sc->i, &optional);
            if (brace_at(pat + sc->i) && !q) {
                STOP();
                continue;
            }
            sc->i += q;
            if (contrib && !optional && set_better(&g, &best))
                best = g;
            continue;
        }
        if (!collect) {
            sc->i = i + 1;
            continue;
        }
        if (c == '.' || c == '^' || c == '$') {
            run_end(sc, &best);
            sc->i = i + 1;
            if (c == '.') {
                if (brace_at(pat + sc->i) && !quant_len(pat + sc->i, &optional))
                    STOP();
                else
                    sc->i += quant_len(pat + sc->i, &optional);
            }
            continue;
        }
        if (c == '?' || c == '*' || c == '+' || c == '{') { /* unexpected here: stop */
            STOP();
            sc->i = i + 1;
            continue;
        }
        {
            size_t n = text_utf8_next(pat, sc->len, i) - i;

            q = run_add(sc, &best, pat + i, n, pat + i + n);
            sc->i = i + n;
            if (q == (size_t)-1)
                collect = 0;
            else
                sc->i += q;
        }
    }
    if (collect)
        run_end(sc, &best);
    return best;
}

#undef STOP

/* Scan an alternation (a group's body or the whole pattern) up to ')' or the end: the
 * union of its branches' sets, or none when any branch has none. */
static struct litset scan_alt(struct scan *sc)
{
    struct litset acc = {0}, b;
    int first = 1, opts_changed = 0, none = 0, k;

    for (;;) {
        int changed_before = opts_changed;

        b = scan_seq(sc, &opts_changed);
        if (sc->bail)
            return acc;
        /* An option change in one branch carries on into the later ones. */
        if (changed_before || b.n == 0 || (!first && acc.n + b.n > LIT_SET_MAX))
            none = 1;
        if (!none && first) {
            acc = b;
        } else if (!none) {
            for (k = 0; k < b.n; k++) {
                acc.off[acc.n] = b.off[k];
                acc.len[acc.n++] = b.len[k];
            }
        }
        first = 0;
        if (sc->i < sc->len && sc->pat[sc->i] == '|') {
            sc->i++;
            continue;
        }
        break;
    }
    if (none)
        acc.n = 0;
    return acc;
}

/* 1 when b[0..nb) occurs in a[0..na). */
static int contains(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i;

    for (i = 0; nb <= na && i <= na - nb; i++)
        if (memcmp(a + i, b, nb) == 0)
            return 1;
    return 0;
}

/* Choose the two rarest bytes of l for the scan to look for. A caseless k or s can stand
 * for a multibyte character in the text, so neither is chosen, nor may one lie between
 * the two: their distance in the text must be their distance in l. */
static void pick_pair(struct lit *l, int caseless)
{
    size_t i, lo, hi;

    for (i = 1; i < l->len; i++)
        if (byte_rank((unsigned char)l->s[i], caseless) <
            byte_rank((unsigned char)l->s[l->rare], caseless))
            l->rare = i;
    lo = hi = l->rare; /* the run around rare free of k and s */
    while (lo > 0 && byte_rank((unsigned char)l->s[lo - 1], caseless) < 1000)
        lo--;
    while (hi + 1 < l->len && byte_rank((unsigned char)l->s[hi + 1], caseless) < 1000)
        hi++;
    l->rare2 = l->rare;
    for (i = lo; i <= hi; i++)
        if (i != l->rare &&
            (l->rare2 == l->rare || byte_rank((unsigned char)l->s[i], caseless) <
                                        byte_rank((unsigned char)l->s[l->rare2], caseless)))
            l->rare2 = i;
    l->fold = caseless && l->s[l->rare] >= 'a' && l->s[l->rare] <= 'z' ? 0x20 : 0;
    l->fold2 = caseless && l->s[l->rare2] >= 'a' && l->s[l->rare2] <= 'z' ? 0x20 : 0;
}

/* Find the required literals of pattern; on success re->lits is set (or left empty).
 * -1 on out of memory. */
static int find_literals(struct re *re, const char *pattern)
{
    struct scan sc = {0};
    struct litset set;
    int rc = 0, k, m, n;

    sc.pat = pattern;
    sc.len = strlen(pattern);
    sc.caseless = (re->flags & RE_CASELESS) != 0;
    sc.arena = malloc(sc.len + 1);
    sc.cur = malloc(sc.len + 1);
    if (!sc.arena || !sc.cur) {
        rc = -1;
        goto done;
    }
    set = scan_alt(&sc);
    if (sc.bail || sc.i != sc.len || set.n == 0)
        goto done;
    /* Drop a literal that contains another one (or repeats an earlier one): whatever
     * contains it contains the other. */
    n = 0;
    for (k = 0; k < set.n; k++) {
        int redundant = 0;

        for (m = 0; m < set.n && !redundant; m++)
            redundant =
                m != k && (set.len[m] < set.len[k] || m < k) &&
                contains(sc.arena + set.off[k], set.len[k], sc.arena + set.off[m], set.len[m]);
        if (!redundant) {
            set.off[n] = set.off[k];
            set.len[n++] = set.len[k];
        }
    }
    set.n = n;
    if (set.n < 1 || set.n > LIT_SET_MAX)
        goto done;
    for (n = 0; n < set.n; n++) { /* a caseless literal of only k and s: no rare byte */
        for (k = 0; k < (int)set.len[n]; k++)
            if (byte_rank((unsigned char)sc.arena[set.off[n] + (uint32_t)k], sc.caseless) < 1000)
                break;
        if (k == (int)set.len[n])
            goto done;
    }
    re->lits = calloc((size_t)set.n, sizeof *re->lits);
    if (!re->lits) {
        rc = -1;
        goto done;
    }
    re->lit_caseless = sc.caseless;
    for (n = 0; n < set.n; n++) {
        struct lit *l = &re->lits[n];

        l->s = malloc(set.len[n] + 1);
        if (!l->s) {
            rc = -1;
            goto done;
        }
        memcpy(l->s, sc.arena + set.off[n], set.len[n]);
        l->s[set.len[n]] = '\0';
        l->len = set.len[n];
        pick_pair(l, sc.caseless);
        if (l->rare > re->lit_reach)
            re->lit_reach = l->rare;
        if (l->rare2 > re->lit_reach)
            re->lit_reach = l->rare2;
        re->n_lits = n + 1;
    }
    if (re->n_lits == 1) {
        /* For re_required_literal, which promises an ASCII case-insensitive search: the
         * longest stretch without a caseless k or s (which also match U+212A, U+017F). */
        const struct lit *l = &re->lits[0];
        size_t i, run = 0;

        for (i = 0; i <= l->len; i++) {
            if (i < l->len && byte_rank((unsigned char)l->s[i], sc.caseless) < 1000) {
                run++;
                continue;
            }
            if (run > re->req_len) {
                re->req_off = i - run;
                re->req_len = run;
            }
            run = 0;
        }
    }
done:
    free(sc.arena);
    free(sc.cur);
    return rc;
}

/* ---- compile and match ---------------------------------------------------------------- */

/* Give re its match data and context (with limits and a JIT stack). -1 on out of memory. */
static int re_prepare(struct re *re)
{
    re->md = pcre2_match_data_create(1, NULL); /* the overall match is all we report */
    re->mctx = pcre2_match_context_create(NULL);
    if (!re->md || !re->mctx)
        return -1;
    pcre2_set_match_limit(re->mctx, RE_MATCH_LIMIT);
    pcre2_set_depth_limit(re->mctx, RE_DEPTH_LIMIT);
    pcre2_set_heap_limit(re->mctx, RE_HEAP_LIMIT);
    /* CALLMINE_NO_JIT=1 runs the interpreter: for valgrind, which cannot see that the
     * JIT's 16-byte reads near a subject's end stay inside the page. */
    re->jit = !getenv("CALLMINE_NO_JIT") && pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    if (re->jit) {
        re->jstack = pcre2_jit_stack_create(RE_JIT_STACK_MIN, RE_JIT_STACK_MAX, NULL);
        if (!re->jstack)
            return -1;
        pcre2_jit_stack_assign(re->mctx, NULL, re->jstack);
    }
    return 0;
}

int re_compile(const char *pattern, int flags, struct re **out, struct err *e)
{
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C;
    struct re *re = NULL;
    int errcode = 0, rc = ERR_OK;
    PCRE2_SIZE erroff = 0;

    *out = NULL;
    if (flags & RE_CASELESS)
        opts |= PCRE2_CASELESS;
    re = calloc(1, sizeof *re);
    if (!re)
        return err_set(e, ERR_NOMEM, "compile pattern: out of memory");
    re->flags = flags;
    re->code =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &errcode, &erroff, NULL);
    if (!re->code) {
        PCRE2_UCHAR msg[200];

        if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0)
            msg[0] = '\0';
        rc = errcode == PCRE2_ERROR_NOMEMORY
                 ? err_set(e, ERR_NOMEM, "compile pattern: out of memory")
                 : err_set(e, ERR_USAGE, "bad pattern at offset %zu: %s", (size_t)erroff,
                           (const char *)msg);
        goto done;
    }
    if (re_prepare(re) || find_literals(re, pattern)) {
        rc = err_set(e, ERR_NOMEM, "compile pattern: out of memory");
        goto done;
    }
    *out = re; /* ownership moves to the caller */
    re = NULL;
done:
    re_free(re);
    return rc;
}

struct re *re_clone(const struct re *src)
{
    struct re *re = calloc(1, sizeof *re);
    int k;

    if (!re)
        return NULL;
    re->flags = src->flags;
    re->code = pcre2_code_copy(src->code); /* shares nothing; JIT code is redone below */
    if (!re->code || re_prepare(re))
        goto fail;
    if (src->n_lits) {
        re->lits = calloc((size_t)src->n_lits, sizeof *re->lits);
        if (!re->lits)
            goto fail;
        re->lit_caseless = src->lit_caseless;
        re->lit_reach = src->lit_reach;
        re->req_off = src->req_off;
        re->req_len = src->req_len;
        for (k = 0; k < src->n_lits; k++) {
            re->lits[k] = src->lits[k];
            re->lits[k].s = malloc(src->lits[k].len + 1);
            if (!re->lits[k].s)
                goto fail;
            memcpy(re->lits[k].s, src->lits[k].s, src->lits[k].len + 1);
            re->n_lits = k + 1;
        }
    }
    return re;
fail:
    re_free(re);
    return NULL;
}

void re_free(struct re *re)
{
    int k;

    if (!re)
        return;
    pcre2_match_data_free(re->md);
    pcre2_match_context_free(re->mctx);
    pcre2_jit_stack_free(re->jstack);
    pcre2_code_free(re->code);
    for (k = 0; k < re->n_lits; k++)
        free(re->lits[k].s);
    free(re->lits);
    free(re);
}

int re_next(struct re *re, const char *subject, size_t len, size_t start, size_t *mstart,
            size_t *mend, struct err *e)
{
    PCRE2_SIZE *ov;
    int rc;

    if (!subject)
        subject = "";
    if (start > len)
        return 0;
    if (re->jit)
        rc = pcre2_jit_match(re->code, (PCRE2_SPTR)subject, len, start, 0, re->md, re->mctx);
    else
        rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, start, PCRE2_NO_UTF_CHECK, re->md,
                         re->mctx);
    if (rc >= 0) { /* 0: the ovector is too small for the groups, still a match */
        ov = pcre2_get_ovector_pointer(re->md);
        *mstart = ov[0];
        *mend = ov[1] < ov[0] ? ov[0] : ov[1];
        return 1;
    }
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
        err_set(e, ERR_USAGE, "pattern is too complex: match limit hit (%u steps)", RE_MATCH_LIMIT);
        break;
    case PCRE2_ERROR_DEPTHLIMIT:
        err_set(e, ERR_USAGE, "pattern is too complex: depth limit hit (%u)", RE_DEPTH_LIMIT);
        break;
    case PCRE2_ERROR_HEAPLIMIT:
        err_set(e, ERR_USAGE, "pattern is too complex: heap limit hit (%u KiB)", RE_HEAP_LIMIT);
        break;
    case PCRE2_ERROR_JIT_STACKLIMIT:
        err_set(e, ERR_USAGE, "pattern is too complex: JIT stack limit hit (%u bytes)",
                RE_JIT_STACK_MAX);
        break;
    case PCRE2_ERROR_NOMEMORY: err_set(e, ERR_NOMEM, "match pattern: out of memory"); break;
    default: {
        PCRE2_UCHAR msg[200];

        if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
            msg[0] = '\0';
        err_set(e, ERR_USAGE, "match pattern: %s", (const char *)msg);
    }
    }
    return -1;
}

/* Where the search goes on after the match [ms, me) of s[0..len): its end, or one code point
 * on after an empty match (past len after one at len), so that no match is found twice. */
static size_t past_match(const char *s, size_t len, size_t ms, size_t me)
{
    if (me > ms)
        return me;
    return ms < len ? text_utf8_next(s, len, ms) : len + 1;
}

int re_each(struct re *re, const char *subject, size_t len, size_t *pos, size_t *mstart,
            size_t *mend, struct err *e)
{
    int r = re_next(re, subject, len, *pos, mstart, mend, e);

    if (r == 1)
        *pos = past_match(subject, len, *mstart, *mend);
    return r;
}

int64_t re_sentence_hits(struct re *re, const char *s, size_t n, size_t max, re_hit_fn *hit,
                         void *arg, struct err *e)
{
    size_t pos = 0, ms, me, first_empty = 0;
    int64_t hits = 0;
    int any_empty = 0, r;

    while ((size_t)hits < max && (r = re_next(re, s, n, pos, &ms, &me, e)) != 0) {
        if (r < 0)
            return -1;
        pos = past_match(s, n, ms, me);
        if (me == ms) {
            if (!any_empty)
                first_empty = ms;
            any_empty = 1;
            continue;
        }
        if (hit && hit(arg, ms, me))
            return -1;
        hits++;
    }
    if (hits || !any_empty || max == 0)
        return hits;
    return hit && hit(arg, first_empty, first_empty) ? -1 : 1;
}

const char *re_required_literal(const struct re *re, size_t *len, int *caseless)
{
    if (re->n_lits != 1 || !re->req_len) {
        *len = 0;
        *caseless = 0;
        return NULL;
    }
    *len = re->req_len;
    *caseless = re->lit_caseless;
    return re->lits[0].s + re->req_off;
}

int re_has_prefilter(const struct re *re)
{
    return re->n_lits > 0;
}

const char *re_literal_at(const struct re *re, int k, size_t *len, int *caseless)
{
    if (k < 0 || k >= re->n_lits) {
        *len = 0;
        *caseless = 0;
        return NULL;
    }
    *len = re->lits[k].len;
    *caseless = re->lit_caseless;
    return re->lits[k].s;
}

/* ---- the prefilter -------------------------------------------------------------------- */

/* Caseless comparison of literal character c (lowercase ASCII) with the text ending just
 * before p (back) or starting at p (forward), within [lo, hi). Returns the bytes it spans
 * in the text, or 0 when it does not match. Besides ASCII case, k also matches the Kelvin
 * sign U+212A and s the long s U+017F, as PCRE2's caseless matching does. */
static size_t char_at(unsigned char c, const char *p, const char *lo, const char *hi, int back)
{
    static const char kelvin[] = "\xE2\x84\xAA", long_s[] = "\xC5\xBF";
    const char *alt = c == 'k' ? kelvin : c == 's' ? long_s : NULL;
    size_t n_alt = alt ? strlen(alt) : 0;
    unsigned char x;

    if (back ? p <= lo : p >= hi)
        return 0;
    x = (unsigned char)(back ? p[-1] : p[0]);
    if (x >= 'A' && x <= 'Z')
        x = (unsigned char)(x - 'A' + 'a');
    if (x == c)
        return 1;
    if (!alt)
        return 0;
    if (back)
        return (size_t)(p - lo) >= n_alt && memcmp(p - n_alt, alt, n_alt) == 0 ? n_alt : 0;
    return (size_t)(hi - p) >= n_alt && memcmp(p, alt, n_alt) == 0 ? n_alt : 0;
}

/* Does caseless literal l occur with its rare byte at s[at]? Returns the occurrence's
 * start, or (size_t)-1. */
static size_t verify_caseless(const struct lit *l, const char *s, size_t len, size_t at)
{
    const char *p = s + at, *q = s + at + 1;
    size_t j, n;

    for (j = l->rare; j-- > 0;) {
        if (!(n = char_at((unsigned char)l->s[j], p, s, s + len, 1)))
            return (size_t)-1;
        p -= n;
    }
    for (j = l->rare + 1; j < l->len; j++) {
        if (!(n = char_at((unsigned char)l->s[j], q, s, s + len, 0)))
            return (size_t)-1;
        q += n;
    }
    return (size_t)(p - s);
}

/* Does l occur with its rare byte at s[at]? Returns the occurrence's start, or
 * (size_t)-1. */
static size_t verify(const struct lit *l, int caseless, const char *s, size_t len, size_t at)
{
    if (caseless)
        return verify_caseless(l, s, len, at);
    if (at < l->rare || len - (at - l->rare) < l->len ||
        memcmp(s + at - l->rare, l->s, l->len) != 0)
        return (size_t)-1;
    return at - l->rare;
}

/* 16 bytes at a time, with GCC's and Clang's portable vector extension (SSE2 on x86-64,
 * NEON on ARM). */
typedef unsigned char v16 __attribute__((vector_size(16)));

static v16 load16(const char *p)
{
    v16 v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* Bytes 0xFF where l may start at s[q + j] (its two rare bytes are there), else 0. */
static v16 pair_mask(const struct lit *l, const char *s, size_t q)
{
    v16 a = load16(s + q + l->rare) | l->fold;
    v16 b = load16(s + q + l->rare2) | l->fold2;

    return (v16)(a == (unsigned char)l->s[l->rare]) & (v16)(b == (unsigned char)l->s[l->rare2]);
}

static int any16(v16 v)
{
    uint64_t a, b;

    memcpy(&a, &v, 8);
    memcpy(&b, (const char *)&v + 8, 8);
    return (a | b) != 0;
}

/* Verify the candidate start q of l; its start offset or (size_t)-1. */
static size_t try_at(const struct lit *l, int caseless, const char *s, size_t len, size_t q,
                     size_t from)
{
    size_t start;

    if (q + l->rare >= len || q + l->rare2 >= len)
        return (size_t)-1;
    if ((unsigned char)(s[q + l->rare] | (char)l->fold) != (unsigned char)l->s[l->rare] ||
        (unsigned char)(s[q + l->rare2] | (char)l->fold2) != (unsigned char)l->s[l->rare2])
        return (size_t)-1;
    start = verify(l, caseless, s, len, q + l->rare);
    /* one starting before from (longer for a long s or a Kelvin sign) was reported before */
    return start != (size_t)-1 && start >= from ? start : (size_t)-1;
}

size_t re_literal_find(const struct re *re, const char *s, size_t len, size_t from)
{
    size_t q = from, best, start, j;
    int k;

    if (!re->n_lits)
        return from < len ? from : len;
    /* Whole blocks of 16 candidate starts, while every load stays inside s. */
    while (len >= 16 + re->lit_reach && q <= len - 16 - re->lit_reach) {
        v16 acc = pair_mask(&re->lits[0], s, q);

        for (k = 1; k < re->n_lits; k++)
            acc |= pair_mask(&re->lits[k], s, q);
        if (any16(acc)) {
            best = (size_t)-1;
            for (j = 0; j < 16; j++) {
                for (k = 0; k < re->n_lits; k++) {
                    start = try_at(&re->lits[k], re->lit_caseless, s, len, q + j, from);
                    if (start < best)
                        best = start;
                }
                if (best != (size_t)-1)
                    return best;
            }
        }
        q += 16;
    }
    for (; q < len; q++) /* the tail, one start at a time */
        for (k = 0; k < re->n_lits; k++)
            if ((start = try_at(&re->lits[k], re->lit_caseless, s, len, q, from)) != (size_t)-1)
                return start;
    return len;
}
