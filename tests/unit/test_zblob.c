/* test_zblob: sqlar-convention blobs: compressed, stored-as-is, corrupt. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "zblob.h"

int main(void)
{
    struct zblob_codec *z = zblob_codec_new(ZBLOB_LEVEL);
    struct buf c, d;
    struct err e = {0};
    char text[20000];
    uLongf zn = sizeof text;
    char *zout = malloc(sizeof text);

    CHECK(z != NULL);
    buf_init(&c, 0);
    buf_init(&d, 0);
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "the price of discovery "[i % 23];

    CHECK(zblob_deflate(z, text, sizeof text, &c, &e) == ERR_OK);
    CHECK(c.len < sizeof text / 10);
    CHECK(zblob_inflate(z, c.data, c.len, sizeof text, &d, &e) == ERR_OK);
    CHECK(d.len == sizeof text && memcmp(d.data, text, d.len) == 0 && d.data[d.len] == 0);
    /* zlib (what sqlar_uncompress uses) reads it too */
    CHECK(uncompress((Bytef *)zout, &zn, (const Bytef *)c.data, c.len) == Z_OK &&
          zn == sizeof text && memcmp(zout, text, zn) == 0);

    /* incompressible short text is stored as is: size == length(body) */
    CHECK(zblob_deflate(z, "ab", 2, &c, &e) == ERR_OK && c.len == 2 &&
          memcmp(c.data, "ab", 2) == 0);
    CHECK(zblob_inflate(z, c.data, c.len, 2, &d, &e) == ERR_OK && strcmp(d.data, "ab") == 0);
    CHECK(zblob_deflate(z, "", 0, &c, &e) == ERR_OK && c.len == 0);
    CHECK(zblob_inflate(z, "", 0, 0, &d, &e) == ERR_OK && d.len == 0);

    /* corrupt blob or wrong size */
    CHECK(zblob_deflate(z, text, sizeof text, &c, &e) == ERR_OK);
    CHECK(zblob_inflate(z, c.data, c.len, sizeof text - 1, &d, &e) == ERR_PARSE);
    c.data[c.len / 2] ^= 0x55;
    CHECK(zblob_inflate(z, c.data, c.len, sizeof text, &d, &e) == ERR_PARSE);
    CHECK(strstr(e.msg, "corrupt") != NULL);
    CHECK(zblob_inflate(z, "xyz", 3, 5, &d, &e) == ERR_PARSE);
    /* a hostile size larger than the buffer cap fails cleanly */
    d.max = 1024;
    CHECK(zblob_inflate(z, c.data, c.len, (size_t)1 << 40, &d, &e) == ERR_NOMEM);

    buf_release(&c);
    buf_release(&d);
    free(zout);
    zblob_codec_free(z);
    zblob_codec_free(NULL);
    return CHECK_DONE("test_zblob");
}
