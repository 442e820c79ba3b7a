/* redact: e-mail and phone number redaction over UTF-8 text (see redact.h).
 *
 * Two passes: e-mail addresses first (so an address made of digits, such as an SMS gateway's
 * 4155551234@txt.example.com, goes as one [email]), then phone numbers in the result. Each
 * pass is a hand-written scanner, not a regex, so it is linear in the text and needs no
 * library. */
#include "redact.h"

#include <string.h>

#include "banned.h"

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(unsigned char c)
{
    return is_digit(c) || is_alpha(c);
}

static int is_local_char(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static int is_domain_char(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '-';
}

/* A word character for boundaries: ASCII letters, digits, _ and any non-ASCII byte (letters
 * of other scripts). */
static int is_word(unsigned char c)
{
    return is_alnum(c) || c == '_' || c >= 0x80;
}

/* Given s[at] == '@', find the address around it: [*b, *end). Returns 1 when it is one. */
static int email_at(const unsigned char *s, size_t n, size_t at, size_t *b, size_t *end)
{
    size_t l = at, r = at + 1, last_dot = 0, label = 0;

    while (l > 0 && is_local_char(s[l - 1]))
        l--;
    while (l < at && s[l] == '.') /* a sentence's full stop is not part of the address */
        l++;
    if (l == at)
        return 0;
    while (r < n && is_domain_char(s[r]))
        r++;
    while (r > at + 1 && (s[r - 1] == '.' || s[r - 1] == '-'))
        r--;
    /* labels: non-empty, the last one (the TLD) two or more letters */
    for (size_t i = at + 1; i < r; i++) {
        if (s[i] == '.') {
            if (label == 0)
                return 0;
            last_dot = i;
            label = 0;
        } else {
            label++;
        }
    }
    if (!last_dot || label < 2)
        return 0;
    for (size_t i = last_dot + 1; i < r; i++)
        if (!is_alpha(s[i]))
            return 0;
    *b = l;
    *end = r;
    return 1;
}

static int redact_emails(const char *text, size_t n, struct buf *out, size_t *count, struct err *e)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t run = 0, i = 0;
    int rc;

    while (i < n) {
        const unsigned char *at = memchr(s + i, '@', n - i);
        size_t b, end;

        if (!at)
            break;
        i = (size_t)(at - s);
        if (i >= run && email_at(s, n, i, &b, &end) && b >= run) {
            if ((rc = buf_append(out, text + run, b - run, e)) ||
                (rc = buf_puts(out, REDACT_EMAIL, e)))
                return rc;
            (*count)++;
            run = i = end;
            continue;
        }
        i++;
    }
    return buf_append(out, text + run, n - run, e);
}

/* Is the previous character a currency sign ($ or the UTF-8 of a currency symbol)? */
static int after_currency(const unsigned char *s, size_t at)
{
    if (at >= 1 && (s[at - 1] == '$' || s[at - 1] == '#'))
        return 1;
    if (at >= 2 && s[at - 2] == 0xC2 && (s[at - 1] == 0xA3 || s[at - 1] == 0xA5)) /* £ ¥ */
        return 1;
    if (at >= 3 && s[at - 3] == 0xE2 && s[at - 2] == 0x82) /* U+20A0..U+20BF (€, ₹, ...) */
        return 1;
    return 0;
}

#define MAX_GROUPS 16

/* Is s[b..end) (digits and separators, trimmed) a phone number by the rules in redact.h? */
static int phone_ok(const unsigned char *s, size_t b, size_t end)
{
    size_t groups[MAX_GROUPS], ng = 0, digits = 0, cur = 0;
    unsigned char seps[MAX_GROUPS];
    int plus = s[b] == '+', paren = 0, dots_only = 1;

    for (size_t i = b; i < end; i++) {
        unsigned char c = s[i];

        if (is_digit(c)) {
            cur++;
            digits++;
            continue;
        }
        if (c == '(' || c == ')')
            paren = 1;
        if (cur) {
            if (ng == MAX_GROUPS)
                return 0;
            seps[ng] = c;
            groups[ng++] = cur;
            cur = 0;
        }
        if (c != '.' && c != '(' && c != ')' && c != '+')
            dots_only = 0;
    }
    if (cur) {
        if (ng == MAX_GROUPS)
            return 0;
        seps[ng] = 0;
        groups[ng++] = cur;
    }
    if (digits < 7 || digits > 15)
        return 0;
    if (ng == 1)
        return plus || digits >= 10;
    if (plus || paren)
        return 1;
    if (ng == 2)
        return groups[0] == 3 && groups[1] == 4;
    /* dates: 2024-03-01, 01.03.2024, 01-03-2024, 1/3/2024 never gets here ('/' splits) */
    if (ng == 3 && groups[0] == 4 && groups[1] == 2 && groups[2] == 2 && seps[0] == '-')
        return 0;
    if (ng == 3 && groups[0] <= 2 && groups[1] <= 2 && groups[2] == 4)
        return 0;
    /* 1.234.567: thousands grouped with dots */
    if (dots_only && groups[0] <= 3) {
        int thousands = 1;

        for (size_t g = 1; g < ng; g++)
            thousands = thousands && groups[g] == 3;
        if (thousands)
            return 0;
    }
    return 1;
}

static int is_phone_sep(unsigned char c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

/* Scan a phone candidate starting at i (a digit, '+' or '('); its trimmed end in *end. */
static size_t phone_extent(const unsigned char *s, size_t n, size_t i)
{
    size_t j = i + 1, end, seps = 0;

    while (j < n) {
        if (is_digit(s[j])) {
            seps = 0;
        } else if (is_phone_sep(s[j]) && seps < 2) {
            seps++;
        } else {
            break;
        }
        j++;
    }
    end = j;
    while (end > i && !is_digit(s[end - 1]) && s[end - 1] != ')')
        end--;
    /* a closing parenthesis is part of the number only when one was opened */
    if (end > i && s[end - 1] == ')' && !memchr(s + i, '(', end - i))
        end--;
    return end;
}

static int redact_phones(const char *text, size_t n, struct buf *out, size_t *count, struct err *e)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t run = 0, i = 0;
    int rc;

    while (i < n) {
        unsigned char c = s[i];
        size_t end;

        if (!(is_digit(c) || ((c == '+' || c == '(') && i + 1 < n && is_digit(s[i + 1])))) {
            i++;
            continue;
        }
        if (i > 0 && (is_word(s[i - 1]) || s[i - 1] == '+' || s[i - 1] == '.' || s[i - 1] == ',' ||
                      after_currency(s, i))) {
            /* inside a word or a longer number: skip the rest of this run of digits */
            i++;
            while (i < n && is_digit(s[i]))
                i++;
            continue;
        }
        end = phone_extent(s, n, i);
        if (end < n && (is_word(s[end]) || ((s[end] == ',' || s[end] == '.') && end + 1 < n &&
                                            is_digit(s[end + 1])))) {
            /* runs into a word or a longer number: skip the whole candidate */
            i = end > i ? end : i + 1;
            continue;
        }
        if (end > i && phone_ok(s, i, end)) {
            if ((rc = buf_append(out, text + run, i - run, e)) ||
                (rc = buf_puts(out, REDACT_PHONE, e)))
                return rc;
            (*count)++;
            run = i = end;
            continue;
        }
        /* not a phone number: move past this run of digits */
        i++;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return buf_append(out, text + run, n - run, e);
}

int redact_text(const char *s, size_t n, struct buf *out, size_t *count, struct err *e)
{
    struct buf mid;
    size_t k = 0;
    int rc;

    if (!s)
        s = "";
    buf_reset(out);
    buf_init(&mid, out->max);
    if (count)
        *count = 0;
    if (!memchr(s, '@', n)) { /* no address: phones straight into out */
        rc = redact_phones(s, n, out, &k, e);
    } else {
        rc = redact_emails(s, n, &mid, &k, e);
        if (!rc)
            rc = redact_phones(mid.data ? mid.data : "", mid.len, out, &k, e);
    }
    buf_release(&mid);
    if (rc)
        return rc;
    if (!out->data && (rc = buf_reserve(out, 0, e))) /* an empty result is still a string */
        return rc;
    if (count)
        *count = k;
    return ERR_OK;
}
