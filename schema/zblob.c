/* zblob: sqlar-convention blobs through libdeflate (see zblob.h). */
#include "zblob.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct zblob_codec {
    struct libdeflate_compressor *c;
    struct libdeflate_decompressor *d;
};

struct zblob_codec *zblob_codec_new(int level)
{
    struct zblob_codec *z = calloc(1, sizeof *z);

    if (!z)
        return NULL;
    z->c = libdeflate_alloc_compressor(level);
    z->d = libdeflate_alloc_decompressor();
    if (!z->c || !z->d) {
        zblob_codec_free(z);
        return NULL;
    }
    return z;
}

void zblob_codec_free(struct zblob_codec *z)
{
    if (!z)
        return;
    if (z->c)
        libdeflate_free_compressor(z->c);
    if (z->d)
        libdeflate_free_decompressor(z->d);
    free(z);
}

int zblob_deflate(struct zblob_codec *z, const void *text, size_t len, struct buf *out,
                  struct err *e)
{
    size_t bound, n;
    int rc;

    buf_reset(out);
    bound = libdeflate_zlib_compress_bound(z->c, len);
    rc = buf_reserve(out, bound, e);
    if (rc) { /* not `return err_wrap(...)`: with e NULL that would return ERR_OK */
        err_wrap(e, "compress %zu bytes", len);
        return rc;
    }
    /* Leave room: a result of len bytes or more is stored as plain text instead. */
    n = len ? libdeflate_zlib_compress(z->c, text, len, out->data, len - 1) : 0;
    if (n == 0 || n >= len)
        return buf_append(out, text, len, e); /* sqlar: stored as is, size == length */
    out->len = n;
    out->data[n] = '\0';
    return ERR_OK;
}

int zblob_inflate(struct zblob_codec *z, const void *blob, size_t n_blob, size_t raw_len,
                  struct buf *out, struct err *e)
{
    size_t got = 0;
    enum libdeflate_result r;
    int rc;

    buf_reset(out);
    rc = buf_reserve(out, raw_len, e);
    if (rc) { /* a transcript over the buffer's cap, or a size that lies */
        err_wrap(e, "inflate %zu bytes", raw_len);
        return rc;
    }
    if (n_blob == raw_len) { /* sqlar: stored uncompressed */
        if (raw_len)
            memcpy(out->data, blob, raw_len);
        out->len = raw_len;
        out->data[raw_len] = '\0';
        return ERR_OK;
    }
    r = libdeflate_zlib_decompress(z->d, blob, n_blob, out->data, raw_len, &got);
    if (r != LIBDEFLATE_SUCCESS || got != raw_len) {
        buf_reset(out);
        return err_set(e, ERR_PARSE, "inflate blob: corrupt or not %zu bytes long", raw_len);
    }
    out->len = raw_len;
    out->data[raw_len] = '\0';
    return ERR_OK;
}
