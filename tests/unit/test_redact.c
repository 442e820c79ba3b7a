/* test_redact: e-mail addresses and phone numbers become placeholders; dates, ids, amounts
 * and ordinary numbers stay as they are. */
#include <string.h>

#include "check.h"
#include "redact.h"

#include "banned.h"

/* Redact s and compare with want; also checks the replacement count when count >= 0. */
static int redacts(const char *s, const char *want, int count)
{
    struct buf out;
    struct err e = {0};
    size_t k = 99;
    int ok;

    buf_init(&out, 0);
    ok = redact_text(s, strlen(s), &out, &k, &e) == 0 && out.data && strcmp(out.data, want) == 0 &&
         (count < 0 || k == (size_t)count);
    if (!ok)
        fprintf(stderr, "  redact(\"%s\") = \"%s\" (%zu), want \"%s\"\n", s,
                out.data ? out.data : "(null)", k, want);
    buf_release(&out);
    return ok;
}

int main(void)
{
    /* e-mail */
    CHECK(redacts("write to dana.smith@acme.com today", "write to [email] today", 1));
    CHECK(redacts("Dana <dana+sales@mail.acme.co.uk>.", "Dana <[email]>.", 1));
    CHECK(redacts("a@b.io,c_d@e-f.example.org", "[email],[email]", 2));
    CHECK(redacts("mailto:bob@x.com.", "mailto:[email].", 1));
    CHECK(redacts("4155551234@txt.example.net", "[email]", 1));
    CHECK(redacts("[\"x@y.com\",\"z@w.com\"]", "[\"[email]\",\"[email]\"]", 2));
    CHECK(redacts("@handle and user@localhost and a@b.c1", "@handle and user@localhost and a@b.c1",
                  0));
    CHECK(redacts("meet @ 5pm", "meet @ 5pm", 0));
    /* phone */
    CHECK(redacts("call me at +1 415 555 1234 tomorrow", "call me at [phone] tomorrow", 1));
    CHECK(redacts("(415) 555-1234", "[phone]", 1));
    CHECK(redacts("415-555-1234.", "[phone].", 1));
    CHECK(redacts("415.555.1234", "[phone]", 1));
    CHECK(redacts("+44 20 7946 0958", "[phone]", 1));
    CHECK(redacts("+4915112345678", "[phone]", 1));
    CHECK(redacts("my cell: 4155551234", "my cell: [phone]", 1));
    CHECK(redacts("dial 555-1234 now", "dial [phone] now", 1));
    CHECK(redacts("tel 020 7946 0958, thanks", "tel [phone], thanks", 1));
    CHECK(redacts("+1-800-555-0199 or (212) 555-0100", "[phone] or [phone]", 2));
    /* not phones */
    CHECK(redacts("2024-03-01T17:01:12.345Z", "2024-03-01T17:01:12.345Z", 0));
    CHECK(redacts("on 2024-03-01 we met", "on 2024-03-01 we met", 0));
    CHECK(redacts("on 01.03.2024 and 01-03-2024", "on 01.03.2024 and 01-03-2024", 0));
    CHECK(redacts("id 7782342274025937895", "id 7782342274025937895", 0));
    CHECK(redacts("$1500000000 deal", "$1500000000 deal", 0));
    CHECK(redacts("\xE2\x82\xAC"
                  "1234567890",
                  "\xE2\x82\xAC"
                  "1234567890",
                  0));
    CHECK(redacts("1.234.567 units", "1.234.567 units", 0));
    CHECK(redacts("seats 1,500,000", "seats 1,500,000", 0));
    CHECK(redacts("from 2023-2024 budget", "from 2023-2024 budget", 0));
    CHECK(redacts("50 to 200 people, 1234567 rows", "50 to 200 people, 1234567 rows", 0));
    CHECK(redacts("pi is 3.14159265358", "pi is 3.14159265358", 0));
    CHECK(redacts("abc4155551234", "abc4155551234", 0));
    CHECK(redacts("4155551234abc", "4155551234abc", 0));
    CHECK(redacts("version 10.2.3", "version 10.2.3", 0));
    CHECK(redacts("12345678901234567", "12345678901234567", 0));
    /* edges */
    CHECK(redacts("", "", 0));
    CHECK(redacts("+", "+", 0));
    CHECK(redacts("(", "(", 0));
    CHECK(redacts("@", "@", 0));
    CHECK(redacts("x@", "x@", 0));
    CHECK(redacts("café bob@example.com 😀 +33 6 12 34 56 78", "café [email] 😀 [phone]", 2));
    {
        struct buf out;
        struct err e = {0};
        size_t k;
        const char bin[] = "a\0b@c.de\0 4155551234";

        buf_init(&out, 0);
        CHECK(redact_text(bin, sizeof bin - 1, &out, &k, &e) == 0);
        CHECK(k == 2 && out.len == 18 && memcmp(out.data, "a\0[email]\0 [phone]", 18) == 0);
        CHECK(redact_text(NULL, 0, &out, NULL, &e) == 0 && out.len == 0 && out.data);
        buf_release(&out);
    }
    return CHECK_DONE("test_redact");
}
