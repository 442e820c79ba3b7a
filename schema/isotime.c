/* isotime: parsing and formatting of ISO-8601 instants and durations (see isotime.h).
 * Pure arithmetic, no libc time zone state: no timegm, no TZ. */
#include "isotime.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "banned.h"

/* Howard Hinnant's days_from_civil. */
int64_t isotime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void isotime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Read exactly n digits at *p into *v; advances *p. Returns 0 if not n digits. */
static int digits(const char **p, int n, int *v)
{
    int x = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return 0;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 1;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : dm[m - 1];
}

int isotime_parse(const char *s, int allow_local, int64_t *ms, struct err *e)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, oh = 0, om = 0, sign = 1;
    int64_t t;

    if (!s || !digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        goto bad;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        goto bad;
    if (*p == '\0')
        goto done; /* a date alone: midnight UTC */
    if (*p != 'T' && *p != 't' && *p != ' ')
        goto bad;
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
        goto bad;
    if (*p == ':') {
        p++;
        if (!digits(&p, 2, &sec))
            goto bad;
        if (*p == '.' || *p == ',') {
            int scale = 100, n = 0;

            p++;
            while (isdigit((unsigned char)*p)) {
                frac += (*p - '0') * scale; /* keep milliseconds, drop the rest */
                scale /= 10;
                p++;
                n++;
            }
            if (n == 0)
                goto bad;
        }
    }
    if (h > 23 || mi > 59 || sec > 60)
        goto bad;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
        if (!digits(&p, 2, &oh))
            goto bad;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && !digits(&p, 2, &om))
            goto bad;
        if (oh > 23 || om > 59)
            goto bad;
    } else if (!(*p == '\0' && allow_local)) {
        return err_set(e, ERR_PARSE, "time '%s' has no time zone: add Z or an offset like +02:00",
                       s);
    }
    if (*p != '\0')
        goto bad;
done:
    t = isotime_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
    t -= sign * (oh * 3600 + om * 60);
    *ms = t * 1000 + frac;
    return ERR_OK;
bad:
    return err_set(e, ERR_PARSE,
                   "bad time '%s': expected YYYY-MM-DD or an ISO-8601 date-time such as "
                   "2024-03-01T09:00:00Z",
                   s ? s : "(null)");
}

void isotime_format(int64_t ms, int with_ms, char out[ISOTIME_MAX])
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int msec = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400, y;
    unsigned m, d;

    isotime_civil_from_days(days, &y, &m, &d);
    if (with_ms > 0 || (with_ms < 0 && msec != 0))
        snprintf(out, ISOTIME_MAX, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
                 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), msec);
    else
        snprintf(out, ISOTIME_MAX, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
                 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

int isotime_normalize(const char *s, char out[ISOTIME_MAX], struct err *e)
{
    int64_t ms;
    int rc = isotime_parse(s, 0, &ms, e);

    if (rc)
        return rc;
    isotime_format(ms, 1, out);
    return ERR_OK;
}

int64_t isotime_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int isotime_parse_duration(const char *s, int64_t *ms, struct err *e)
{
    const char *p = s;
    int64_t total = 0;

    if (!s || !*s)
        goto bad;
    while (*p) {
        int64_t n = 0, unit;
        int nd = 0;

        while (isdigit((unsigned char)*p) && nd < 12) {
            n = n * 10 + (*p++ - '0');
            nd++;
        }
        if (nd == 0)
            goto bad;
        switch (*p++) {
        case 'w': unit = 7 * 86400000LL; break;
        case 'd': unit = 86400000LL; break;
        case 'h': unit = 3600000LL; break;
        case 'm': unit = 60000LL; break;
        case 's': unit = 1000LL; break;
        default: goto bad;
        }
        total += n * unit;
    }
    *ms = total;
    return ERR_OK;
bad:
    return err_set(e, ERR_PARSE, "bad duration '%s': use a number and a unit, e.g. 2d, 36h, 90m",
                   s ? s : "(null)");
}
