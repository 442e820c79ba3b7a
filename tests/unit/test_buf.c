/* test_buf: growth, the cap, printf, steal. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"

int main(void)
{
    struct buf b;
    struct err e = {0};
    char *s;
    size_t n;

    buf_init(&b, 0);
    CHECK(b.max == BUF_DEFAULT_MAX && b.len == 0);
    int ok = 1;

    for (int i = 0; i < 1000; i++)
        ok &= buf_puts(&b, "abc", &e) == ERR_OK;
    CHECK(ok);
    CHECK(b.len == 3000 && b.data[3000] == '\0');
    CHECK(buf_printf(&b, &e, "%d-%s", 42, "x") == ERR_OK && strcmp(b.data + 3000, "42-x") == 0);
    buf_reset(&b);
    CHECK(b.len == 0 && b.data[0] == '\0');
    CHECK(buf_putc(&b, 'z', &e) == ERR_OK);
    s = buf_steal(&b, &n);
    CHECK(s && n == 1 && strcmp(s, "z") == 0 && b.data == NULL && b.len == 0);
    free(s);
    s = buf_steal(&b, &n);
    CHECK(s && n == 0 && s[0] == '\0');
    free(s);

    buf_init(&b, 10);
    CHECK(buf_append(&b, "0123456789", 10, &e) == ERR_OK);
    CHECK(buf_putc(&b, 'x', &e) == ERR_NOMEM && b.data == NULL && b.len == 0);
    CHECK(strstr(e.msg, "more than 10 bytes") != NULL);
    buf_release(&b);
    buf_release(&b);
    return CHECK_DONE("test_buf");
}
