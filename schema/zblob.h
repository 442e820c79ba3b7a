/* zblob: the transcript codec, the only code that compresses or inflates stored blobs.
 *
 * Blobs follow SQLite's sqlar convention so the stock sqlite3 shell reads them with
 * sqlar_uncompress(body, size): body is a zlib stream of the text and size its
 * uncompressed length, except when compression would not shrink the text, in which case
 * body is the text itself and size == length(body). Compression uses libdeflate, which
 * writes the same zlib format as zlib but runs several times faster. */
#ifndef CALLMINE_ZBLOB_H
#define CALLMINE_ZBLOB_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define ZBLOB_LEVEL 6 /* libdeflate level: ratio close to zlib 9, faster than zlib 6 */

struct zblob_codec; /* reusable compressor/decompressor state; not thread-safe */

/* A codec for one thread. NULL on out of memory. */
struct zblob_codec *zblob_codec_new(int level);
void zblob_codec_free(struct zblob_codec *z); /* NULL ok */

/* Compress len bytes of text into out (reset first). On success out holds the blob to
 * store in body, and the size to store is len. ERR_NOMEM on failure. */
int zblob_deflate(struct zblob_codec *z, const void *text, size_t len, struct buf *out,
                  struct err *e);

/* Inflate a stored (body, size) pair into out (reset first); out->data is NUL-terminated.
 * ERR_PARSE when the blob is corrupt or does not inflate to exactly raw_len bytes. */
int zblob_inflate(struct zblob_codec *z, const void *blob, size_t n_blob, size_t raw_len,
                  struct buf *out, struct err *e);

#endif
