/* test_metrics: the call_metrics row of hand-made transcripts, every figure computed by
 * hand in the comments: sides, turns (the 1000 ms gap on both sides of the limit), talk,
 * questions, switches and replies, unknown speakers, an empty transcript, one speaker, ties
 * between internal speakers, and a malformed line. */
#include <string.h>

#include "check.h"
#include "metrics.h"

static struct metrics_conv conv;
static struct metrics m;
static struct err e;

static int id_is(const char *p, size_t n, const char *want)
{
    if (!want)
        return p == NULL && n == 0;
    return p && n == strlen(want) && memcmp(p, want, n) == 0;
}

static void party(const char *spk, const char *aff, const char *uid)
{
    CHECK(metrics_add_party(&conv, spk, spk ? strlen(spk) : 0, aff, aff ? strlen(aff) : 0, uid,
                            uid ? strlen(uid) : 0, &e) == ERR_OK);
}

static int compute(const char *text)
{
    return metrics_compute(&conv, text, text ? strlen(text) : 0, &m, &e);
}

/* Rep 1 and customer 2 talk, 3 is of unknown side:
 *   turn 1  spk 1  0-3000     two sentences (gap 500 < 1000 joins), talk 1000 + 1500, 1 question
 *   turn 2  spk 2  3000-5000  talk 2000, 1 question; after rep: a switch, gap 0
 *   turn 3  spk 1  6000-7000  talk 1000; after customer: a switch (a rep reply), gap 1000
 *   turn 4  spk 3  7000-8000  talk 1000, unknown side: skipped over by switches
 *   turn 5  spk 1  8000-9500  talk 1500, 1 question; latest known side is rep: no switch */
static void test_conversation(void)
{
    const char *text = "0\t1000\t1\tHello there.\n"
                       "1500\t3000\t1\tHow are you?\n"
                       "3000\t5000\t2\tGood, thanks. And you?\n"
                       "6000\t7000\t1\tGreat!\n"
                       "7000\t8000\t3\tSorry, joining late.\n"
                       "8000\t9500\t1\tShall we start?  \n";

    metrics_parties_reset(&conv);
    party("1", "Internal", "u1");
    party("2", "External", "u2");
    party("3", "Unknown", NULL);
    party(NULL, "Internal", "u9"); /* no speaker id: ignored */
    CHECK(conv.np == 3);
    CHECK(compute(text) == ERR_OK);
    CHECK(conv.nt == 5 && conv.ns == 3);
    CHECK(m.sentences == 6);
    CHECK(id_is(m.rep_speaker_id, m.rep_speaker_len, "1"));
    CHECK(id_is(m.rep_user_id, m.rep_user_len, "u1"));
    CHECK(m.rep_talk_ms == 5000 && m.customer_talk_ms == 2000 && m.other_talk_ms == 1000);
    CHECK(m.rep_questions == 2 && m.customer_questions == 1);
    CHECK(m.has_rep_longest && m.rep_longest_ms == 3000);
    CHECK(m.has_customer_longest && m.customer_longest_ms == 2000);
    CHECK(m.switches == 2 && m.rep_replies == 1 && m.rep_reply_ms == 1000);
    CHECK(m.has_span && m.first_ms == 0 && m.last_ms == 9500);
    /* the turn and speaker rows the extension shows */
    CHECK(conv.t[0].sentences == 2 && conv.t[0].talk_ms == 2500 && !conv.t[0].has_gap);
    CHECK(conv.t[1].prev_side == METRICS_REP && conv.t[1].gap_ms == 0);
    CHECK(conv.t[3].side == METRICS_UNKNOWN && conv.t[4].prev_side == METRICS_REP);
    CHECK(conv.t[4].gap_ms == 1000);
    CHECK(conv.s[0].turns == 3 && conv.s[0].switches == 1 && conv.s[0].reply_ms == 1000);
}

/* A pause of exactly 1000 ms starts a new turn; 999 ms does not. */
static void test_gap_limit(void)
{
    metrics_parties_reset(&conv);
    party("1", "Internal", "u1");
    CHECK(compute("0\t1000\t1\ta\n2000\t2500\t1\tb\n") == ERR_OK);
    CHECK(conv.nt == 2 && m.rep_longest_ms == 1000 && m.rep_talk_ms == 1500);
    CHECK(compute("0\t1000\t1\ta\n1999\t2500\t1\tb\n") == ERR_OK);
    CHECK(conv.nt == 1 && m.rep_longest_ms == 2500 && m.rep_talk_ms == 1501);
    /* overlapping sentences join too; the turn ends at the largest end */
    CHECK(compute("0\t3000\t1\ta\n1000\t2000\t1\tb\n") == ERR_OK);
    CHECK(conv.nt == 1 && m.rep_longest_ms == 3000 && m.rep_talk_ms == 4000);
}

/* Speakers with no id, an id no party has, and a party without affiliation: all talk is
 * other talk, nobody is the rep, nothing switches. Two unknown speakers are one. */
static void test_unknown_speakers(void)
{
    metrics_parties_reset(&conv);
    party("7", NULL, "u7");
    CHECK(compute("0\t500\t\tWho is this?\n600\t900\t\tHello?\n2000\t2400\t8\tMe.\n"
                  "3000\t3100\t7\tOk.\n") == ERR_OK);
    CHECK(conv.nt == 3 && conv.ns == 3);
    CHECK(m.sentences == 4 && m.other_talk_ms == 500 + 300 + 400 + 100);
    CHECK(m.rep_talk_ms == 0 && m.customer_talk_ms == 0);
    CHECK(m.rep_questions == 0 && m.customer_questions == 0);
    CHECK(!m.rep_speaker_id && !m.rep_user_id);
    CHECK(!m.has_rep_longest && !m.has_customer_longest);
    CHECK(m.switches == 0 && m.rep_replies == 0 && m.rep_reply_ms == 0);
    CHECK(m.has_span && m.first_ms == 0 && m.last_ms == 3100);
}

static void test_empty(void)
{
    metrics_parties_reset(&conv);
    party("1", "Internal", "u1");
    CHECK(compute("") == ERR_OK);
    CHECK(m.sentences == 0 && !m.rep_speaker_id && !m.has_span && !m.has_rep_longest);
    CHECK(m.rep_talk_ms == 0 && m.other_talk_ms == 0 && m.switches == 0);
    CHECK(compute(NULL) == ERR_OK && m.sentences == 0);
}

/* One internal speaker: the rep, no customer, no switches. */
static void test_single_speaker(void)
{
    metrics_parties_reset(&conv);
    party("5", "internal", "u5"); /* affiliation case does not matter */
    CHECK(compute("100\t2100\t5\tLet me walk you through it.\n2500\t4100\t5\tAny questions?\n") ==
          ERR_OK);
    CHECK(id_is(m.rep_speaker_id, m.rep_speaker_len, "5"));
    CHECK(id_is(m.rep_user_id, m.rep_user_len, "u5"));
    CHECK(m.rep_talk_ms == 3600 && m.rep_questions == 1 && m.rep_longest_ms == 4000);
    CHECK(!m.has_customer_longest && m.switches == 0 && m.rep_replies == 0);
    CHECK(m.first_ms == 100 && m.last_ms == 4100);
}

/* Equal talk between internal speakers: the smallest id in byte order ("100" < "20",
 * "10" < "100"); a rep party without user id gives no rep_user_id. */
static void test_ties(void)
{
    metrics_parties_reset(&conv);
    party("20", "Internal", "u20");
    party("100", "Internal", NULL);
    CHECK(compute("0\t1000\t20\ta\n2000\t3000\t100\tb\n") == ERR_OK);
    CHECK(id_is(m.rep_speaker_id, m.rep_speaker_len, "100") && !m.rep_user_id);
    CHECK(m.rep_talk_ms == 2000 && m.switches == 0);

    metrics_parties_reset(&conv);
    party("100", "Internal", "u100");
    party("10", "Internal", "u10");
    CHECK(compute("0\t1000\t100\ta\n2000\t3000\t10\tb\n") == ERR_OK);
    CHECK(id_is(m.rep_speaker_id, m.rep_speaker_len, "10"));
    CHECK(id_is(m.rep_user_id, m.rep_user_len, "u10"));
    /* more talk wins over the smaller id */
    CHECK(compute("0\t1000\t100\ta\n2000\t2500\t10\tb\n") == ERR_OK);
    CHECK(id_is(m.rep_speaker_id, m.rep_speaker_len, "100"));
}

/* The first party with a speaker id decides its side and user id. */
static void test_first_party_decides(void)
{
    metrics_parties_reset(&conv);
    party("1", "External", "c1");
    party("1", "Internal", "u1");
    party("2", "EXTERNAL", NULL);
    CHECK(conv.np == 2 && conv.p[0].side == METRICS_CUSTOMER && conv.p[1].side == METRICS_CUSTOMER);
    CHECK(compute("0\t1000\t1\ta\n") == ERR_OK);
    CHECK(!m.rep_speaker_id && m.customer_talk_ms == 1000);
    CHECK(metrics_side("Internal", 8) == METRICS_REP && metrics_side("Intern", 6) == 0);
    CHECK(metrics_side(NULL, 0) == METRICS_UNKNOWN && metrics_side("Unknown", 7) == 0);
}

/* Questions: '?', U+FF1F, U+061F, trailing white space, and escapes read as text. */
static void test_questions(void)
{
    metrics_parties_reset(&conv);
    party("1", "Internal", "u1");
    CHECK(compute("0\t1\t1\twhat ? \t\n"     /* trailing space and tab */
                  "1\t2\t1\t価格は？\n"      /* U+FF1F */
                  "2\t3\t1\tكيف؟\n"          /* U+061F */
                  "3\t4\t1\twhy?\\n\n"       /* 'why?' + newline: a question */
                  "4\t5\t1\tnot one\\\\?x\n" /* ends in x */
                  "5\t6\t1\tends in a backslash?\\\\\n") == ERR_OK);
    CHECK(m.sentences == 6 && m.rep_questions == 4);
}

static void test_malformed(void)
{
    metrics_parties_reset(&conv);
    err_clear(&e);
    CHECK(compute("0\t1\t1\tok\nnot a line\n") == ERR_PARSE);
    CHECK(strcmp(e.msg, "line 2 is malformed") == 0);
    err_clear(&e);
}

/* Hostile times saturate instead of overflowing. */
static void test_extreme_times(void)
{
    metrics_parties_reset(&conv);
    party("1", "Internal", "u1");
    CHECK(compute("-9223372036854775808\t9223372036854775807\t1\ta\n"
                  "0\t9223372036854775807\t1\tb\n") == ERR_OK);
    CHECK(m.rep_talk_ms == INT64_MAX && m.rep_longest_ms == INT64_MAX);
}

int main(void)
{
    metrics_conv_init(&conv);
    test_conversation();
    test_gap_limit();
    test_unknown_speakers();
    test_empty();
    test_single_speaker();
    test_ties();
    test_first_party_decides();
    test_questions();
    test_malformed();
    test_extreme_times();
    metrics_conv_release(&conv);
    return CHECK_DONE("test_metrics");
}
