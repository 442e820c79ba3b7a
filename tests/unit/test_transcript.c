/* test_transcript: the stored line format round-trips any sentence text byte for byte. */
#include <string.h>

#include "check.h"
#include "transcript.h"

static int round_trip(const char *text)
{
    struct buf b, u;
    struct transcript_line ln;
    struct err e = {0};
    size_t pos = 0;
    int ok;

    buf_init(&b, 0);
    buf_init(&u, 0);
    ok = transcript_append(&b, 1200, 4310, "7000000000000000001", text, strlen(text), &e) == 0;
    ok = ok && transcript_next(b.data, b.len, &pos, &ln) == 1 && pos == b.len;
    ok = ok && ln.start_ms == 1200 && ln.end_ms == 4310 && ln.speaker_len == 19;
    ok = ok && transcript_unescape(ln.text, ln.text_len, &u, &e) == 0;
    ok = ok && u.len == strlen(text) && memcmp(u.data, text, u.len) == 0;
    ok = ok && memchr(b.data, '\n', b.len) == b.data + b.len - 1; /* one line */
    buf_release(&b);
    buf_release(&u);
    return ok;
}

int main(void)
{
    struct buf b;
    struct transcript_line ln;
    struct err e = {0};
    size_t pos = 0;
    int n = 0;

    CHECK(round_trip("Thanks for joining, Bob."));
    CHECK(round_trip("tab\there \"quoted\" back\\slash"));
    CHECK(round_trip("line one\nline two\r\nend\\n literal"));
    CHECK(round_trip("trailing backslash \\"));
    CHECK(round_trip("Café über niño — 価格は？ 😀👩‍💻 שלום مرحبا"));
    CHECK(round_trip(""));

    buf_init(&b, 0);
    CHECK(transcript_append(&b, 0, 10, NULL, "no speaker", 10, &e) == 0);
    CHECK(transcript_append(&b, 10, 20, "42", "second", 6, &e) == 0);
    while (transcript_next(b.data, b.len, &pos, &ln) == 1) {
        n++;
        if (n == 1)
            CHECK(ln.speaker_len == 0 && ln.text_len == 10 && !ln.escaped);
        else
            CHECK(ln.speaker_len == 2 && memcmp(ln.speaker, "42", 2) == 0);
    }
    CHECK(n == 2);
    buf_release(&b);

    pos = 0;
    CHECK(transcript_next("garbage\n", 8, &pos, &ln) == -1 && pos == 8);
    pos = 0;
    CHECK(transcript_next("1\t2\tno-text-tab", 15, &pos, &ln) == -1);
    pos = 0;
    CHECK(transcript_next("1\t2\t\tlast line without LF", 25, &pos, &ln) == 1 && pos == 25);
    CHECK(transcript_next("", 0, &pos, &ln) == 0);
    return CHECK_DONE("test_transcript");
}
