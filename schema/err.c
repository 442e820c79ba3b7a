/* err: formatting of the shared error record (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int code, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return code;
    e->code = code;
    e->http_status = 0;
    e->sqlite_code = 0;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
    char outer[ERR_MSG_MAX];
    char inner[ERR_MSG_MAX];
    va_list ap;

    if (!e)
        return ERR_OK;
    va_start(ap, fmt);
    vsnprintf(outer, sizeof outer, fmt, ap);
    va_end(ap);
    memcpy(inner, e->msg, sizeof inner);
    /* Truncation is fine: the outer context matters most. */
    if (snprintf(e->msg, sizeof e->msg, "%s: %s", outer, inner) < 0)
        e->msg[0] = '\0';
    return e->code;
}

void err_detail(struct err *e, long http_status, int sqlite_code)
{
    if (!e)
        return;
    e->http_status = http_status;
    e->sqlite_code = sqlite_code;
}

int err_sqlite_primary(const struct err *e)
{
    return e ? e->sqlite_code & 0xff : 0;
}

void err_clear(struct err *e)
{
    if (!e)
        return;
    e->code = ERR_OK;
    e->http_status = 0;
    e->sqlite_code = 0;
    e->msg[0] = '\0';
}
