/* fuzz_transcript: the stored transcript format (transcript.h) and the blob codec (zblob.h).
 *
 * The first byte picks a mode:
 *   0  round trip: sentences with any int64 times, any speaker the parser would keep (no
 *      NUL, TAB, CR or LF) and any text bytes are appended, then read back with
 *      transcript_next and transcript_unescape: every field must come back exactly.
 *   1  reading arbitrary bytes: transcript_next never reads outside s[0..len), always
 *      advances, and its fields lie inside the line; a line read back, re-encoded and read
 *      again gives the same fields. metrics_compute (metrics.h) reads the same bytes: it
 *      fails exactly when some line is malformed, else counts every line as a sentence.
 *   2  zblob_inflate on an arbitrary (blob, size) pair never crashes; what it inflates
 *      deflates and inflates back to itself.
 *   3  zblob_deflate then zblob_inflate gives the text back exactly, and the blob is never
 *      longer than the text (the sqlar convention). */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "metrics.h"
#include "transcript.h"
#include "zblob.h"

#include "banned.h"

#define MAX_LINES 64

static struct zblob_codec *codec(void)
{
    static struct zblob_codec *z; /* reused across inputs, as store.c reuses its codec */

    if (!z && !(z = zblob_codec_new(ZBLOB_LEVEL)))
        abort();
    return z;
}

struct sentence {
    int64_t start, end;
    char speaker[64];
    const uint8_t *text;
    size_t text_len;
};

static void round_trip(struct fz *f)
{
    struct sentence s[MAX_LINES];
    struct buf b, u;
    struct transcript_line ln;
    struct err e = {0};
    size_t n = 0, pos = 0;
    char *copy;

    buf_init(&b, 0);
    buf_init(&u, 0);
    while (f->n && n < MAX_LINES) {
        struct sentence *x = &s[n++];
        size_t sl;
        const uint8_t *sp;

        x->start = (int64_t)fz_u64(f, 8);
        x->end = (int64_t)fz_u64(f, 8);
        sp = fz_piece(f, sizeof x->speaker - 1, &sl);
        for (size_t i = 0; i < sl; i++) /* what parse.c lets through to the speaker field */
            x->speaker[i] =
                sp[i] == 0 || sp[i] == '\t' || sp[i] == '\r' || sp[i] == '\n' ? '_' : (char)sp[i];
        x->speaker[sl] = '\0';
        x->text = fz_piece(f, 255, &x->text_len);
        /* the speaker NULL and "" are the same empty field */
        FUZZ_CHECK(transcript_append(&b, x->start, x->end, sl ? x->speaker : NULL,
                                     (const char *)x->text, x->text_len, &e) == ERR_OK);
    }
    copy = fz_dup_exact(b.data ? b.data : "", b.len);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(transcript_next(copy, b.len, &pos, &ln) == 1);
        FUZZ_CHECK(ln.start_ms == s[i].start && ln.end_ms == s[i].end);
        FUZZ_CHECK(ln.speaker_len == strlen(s[i].speaker));
        FUZZ_CHECK(memcmp(ln.speaker, s[i].speaker, ln.speaker_len) == 0);
        FUZZ_CHECK(memchr(ln.text, '\n', ln.text_len) == NULL);
        FUZZ_CHECK(transcript_unescape(ln.text, ln.text_len, &u, &e) == ERR_OK);
        FUZZ_CHECK(u.len == s[i].text_len);
        FUZZ_CHECK(u.len == 0 || memcmp(u.data, s[i].text, u.len) == 0);
        FUZZ_CHECK(u.data[u.len] == '\0');
        FUZZ_CHECK(ln.escaped == (memchr(ln.text, '\\', ln.text_len) != NULL));
    }
    FUZZ_CHECK(transcript_next(copy, b.len, &pos, &ln) == 0);
    FUZZ_CHECK(pos == b.len);
    free(copy);
    buf_release(&b);
    buf_release(&u);
}

static void read_arbitrary(const uint8_t *data, size_t size)
{
    char *s = fz_dup_exact(data, size);
    struct transcript_line ln, again;
    struct buf u, b, u2;
    struct err e = {0};
    size_t pos = 0;
    int64_t lines = 0, bad = 0;
    struct metrics_conv mc;
    struct metrics m;
    int rc;

    buf_init(&u, 0);
    buf_init(&b, 0);
    buf_init(&u2, 0);
    for (;;) {
        size_t before = pos, p2 = 0;

        memset(&ln, 0, sizeof ln);
        rc = transcript_next(s, size, &pos, &ln);
        FUZZ_CHECK(rc >= -1 && rc <= 1);
        FUZZ_CHECK(pos <= size);
        if (rc == 0) {
            FUZZ_CHECK(before >= size && pos == before);
            break;
        }
        FUZZ_CHECK(pos > before);
        lines++;
        bad += rc < 0;
        if (rc < 0)
            continue;
        /* the fields lie inside the line just read */
        FUZZ_CHECK(ln.speaker >= s + before && ln.speaker + ln.speaker_len <= s + pos);
        FUZZ_CHECK(ln.text >= ln.speaker + ln.speaker_len && ln.text + ln.text_len <= s + pos);
        FUZZ_CHECK(memchr(ln.speaker, '\t', ln.speaker_len) == NULL);
        FUZZ_CHECK(transcript_unescape(ln.text, ln.text_len, &u, &e) == ERR_OK);
        FUZZ_CHECK(u.len <= ln.text_len && u.data[u.len] == '\0');
        /* decode, encode, decode: a fixed point (a NUL in the speaker would be cut by
         * transcript_append's %s, which parse.c never lets happen) */
        if (memchr(ln.speaker, '\0', ln.speaker_len))
            continue;
        {
            char *spk = fz_strndup(ln.speaker, ln.speaker_len);

            buf_reset(&b);
            FUZZ_CHECK(transcript_append(&b, ln.start_ms, ln.end_ms, spk, u.data, u.len, &e) ==
                       ERR_OK);
            free(spk);
        }
        FUZZ_CHECK(transcript_next(b.data, b.len, &p2, &again) == 1 && p2 == b.len);
        FUZZ_CHECK(again.start_ms == ln.start_ms && again.end_ms == ln.end_ms);
        FUZZ_CHECK(again.speaker_len == ln.speaker_len);
        FUZZ_CHECK(memcmp(again.speaker, ln.speaker, ln.speaker_len) == 0);
        FUZZ_CHECK(transcript_unescape(again.text, again.text_len, &u2, &e) == ERR_OK);
        FUZZ_CHECK(u2.len == u.len && memcmp(u2.data, u.data, u.len) == 0);
    }
    metrics_conv_init(&mc);
    FUZZ_CHECK(metrics_add_party(&mc, "1", 1, "Internal", 8, "u1", 2, &e) == ERR_OK);
    FUZZ_CHECK(metrics_add_party(&mc, "2", 1, "External", 8, NULL, 0, &e) == ERR_OK);
    rc = metrics_compute(&mc, s, size, &m, &e);
    FUZZ_CHECK(rc == (bad ? ERR_PARSE : ERR_OK));
    if (rc == ERR_OK) {
        FUZZ_CHECK(m.sentences == lines && mc.nt <= (size_t)lines && mc.ns <= mc.nt);
        FUZZ_CHECK(m.has_span == (lines > 0) && m.rep_replies <= m.switches);
        FUZZ_CHECK(!m.rep_speaker_id || (m.rep_speaker_len == 1 && *m.rep_speaker_id == '1'));
    }
    metrics_conv_release(&mc);
    buf_release(&u);
    buf_release(&b);
    buf_release(&u2);
    free(s);
}

static void inflate_arbitrary(struct fz *f)
{
    struct buf out, blob, back;
    struct err e = {0};
    size_t raw_len = (size_t)fz_u64(f, 3) & 0xFFFFF; /* up to 1 MiB */
    char *in;
    int rc;

    if (fz_u8(f) & 1) /* often the interesting case: near the blob's own length */
        raw_len = f->n + (raw_len & 3) - 1;
    in = fz_dup_exact(f->p, f->n);
    buf_init(&out, 0);
    buf_init(&blob, 0);
    buf_init(&back, 0);
    rc = zblob_inflate(codec(), in, f->n, raw_len, &out, &e);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_PARSE || rc == ERR_NOMEM);
    if (rc == ERR_OK) {
        FUZZ_CHECK(out.len == raw_len && out.data[raw_len] == '\0');
        FUZZ_CHECK(zblob_deflate(codec(), out.data, out.len, &blob, &e) == ERR_OK);
        FUZZ_CHECK(zblob_inflate(codec(), blob.data, blob.len, out.len, &back, &e) == ERR_OK);
        FUZZ_CHECK(back.len == out.len && memcmp(back.data, out.data, out.len) == 0);
    }
    free(in);
    buf_release(&out);
    buf_release(&blob);
    buf_release(&back);
}

static void deflate_round_trip(struct fz *f)
{
    struct buf blob, back;
    struct err e = {0};
    char *text = fz_dup_exact(f->p, f->n), *b;

    buf_init(&blob, 0);
    buf_init(&back, 0);
    FUZZ_CHECK(zblob_deflate(codec(), text, f->n, &blob, &e) == ERR_OK);
    FUZZ_CHECK(blob.len <= f->n);
    b = fz_dup_exact(blob.data ? blob.data : "", blob.len);
    FUZZ_CHECK(zblob_inflate(codec(), b, blob.len, f->n, &back, &e) == ERR_OK);
    FUZZ_CHECK(back.len == f->n && (f->n == 0 || memcmp(back.data, text, f->n) == 0));
    free(b);
    free(text);
    buf_release(&blob);
    buf_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};

    switch (fz_u8(&f) & 3) {
    case 0: round_trip(&f); break;
    case 1: read_arbitrary(f.p, f.n); break;
    case 2: inflate_arbitrary(&f); break;
    default: deflate_round_trip(&f); break;
    }
    return 0;
}
