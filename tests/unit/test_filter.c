/* test_filter: FILTERS parse strictly, compile to one condition over calls with bound
 * parameters, and select exactly the calls CONTRACT.md's "Precise meanings" describe. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "check.h"
#include "db.h"
#include "ext.h"
#include "filter.h"
#include "isotime.h"
#include "mirror_fixture.h"
#include "scope.h"
#include "stages.h"

#include "banned.h"

static sqlite3 *db;

static void fixture(void)
{
    struct err e = {0};

    db = fixture_open();
    fixture_exec(
        db,
        "INSERT INTO users(id, first_name, last_name, email) VALUES"
        " ('u1', 'Dana', 'Smith', 'dana@acme.com'), ('u2', 'Lee', 'O''Brien', 'lee@acme.com'),"
        " ('u3', 'Omar', 'Owner', 'omar@acme.com');"
        "INSERT INTO calls(id, title, started, duration, primary_user_id) VALUES"
        " ('c1', 'one', '2024-02-29T23:59:59.999Z', 600, 'u1'),"
        " ('c2', 'two', '2024-03-01T00:00:00.000Z', 1200, 'u2'),"
        " ('c3', 'three', '2024-03-01T00:00:00.500Z', 1800, NULL),"
        " ('c4', 'four', '2024-03-02T10:00:00.000Z', 2400, NULL),"
        " ('c5', 'five', NULL, 100, NULL);"
        "INSERT INTO parties(call_id, ord, speaker_id, user_id, name, email, affiliation) VALUES"
        " ('c1', 0, 's1', 'u1', 'Dana Smith', NULL, 'Internal'),"
        " ('c1', 1, 'z1', NULL, 'Zoe Talker', 'zoe@acme.com', 'Internal'),"
        " ('c3', 0, 's1', NULL, 'Priya Patel', 'priya@acme.com', 'Internal'),"
        " ('c3', 1, 's2', NULL, 'Bob Buyer', 'bob@globex.com', 'External'),"
        " ('c4', 0, 's3', NULL, 'Dana Smith', 'dana@acme.com', 'External');"
        /* c1's rep is Zoe, who talked most, not its primary user Dana */
        "INSERT INTO call_metrics(call_id, sentences, rep_speaker_id, rep_user_id, rep_talk_ms,"
        " customer_talk_ms, other_talk_ms, rep_questions, customer_questions, switches,"
        " rep_replies, rep_reply_ms) VALUES ('c1', 10, 'z1', NULL, 9000, 1000, 0, 1, 1, 2, 1, 500);"
        "INSERT INTO crm_users(crm_id, system, name, email) VALUES"
        " ('005X', 'Salesforce', 'Omar Owner', 'omar@acme.com');"
        /* c1: the deal moved on since the call; c2: only Now; c3: two deals, listed in
         * another order at the call (the call's deal is d3 in both); c4: only TimeOfCall */
        "INSERT INTO deals(call_id, timing, ord, deal_id, stage, amount, owner, company_size)"
        " VALUES ('c1', 'TimeOfCall', 0, 'd1', 'qualified', 1000, 'OWN-9', 50),"
        " ('c1', 'Now', 0, 'd1', 'closedwon', 5000, 'OWN-9', 60),"
        " ('c2', 'Now', 0, 'd2', 'ClosedLost', 5000, '005X', 1000),"
        " ('c3', 'Now', 0, 'd3', 'demo', 100, 'omar@acme.com', 10),"
        " ('c3', 'Now', 1, 'd4', 'closedwon', 999999, NULL, 20000),"
        " ('c3', 'TimeOfCall', 0, 'd4', 'qualified', 999999, NULL, 20000),"
        " ('c3', 'TimeOfCall', 1, 'd3', 'appointment', 50, 'OWN-9', 15),"
        " ('c4', 'TimeOfCall', 0, 'd5', 'closedlost', 7000, NULL, 5);");
    if (stages_apply(db, NULL, &e)) {
        fprintf(stderr, "stages: %s\n", e.msg);
        exit(1);
    }
}

/* The ids the condition selects, comma-separated in id order ("" for none): over calls
 * (filter_sql), or over call_facts (filter_facts_sql, facts 1). NULL on an SQL error. */
static char *run_selection(const struct filter *f, int facts)
{
    struct buf q;
    struct err e = {0};
    sqlite3_stmt *st = NULL;
    char *out = NULL;

    buf_init(&q, 0);
    if (facts) {
        buf_puts(&q,
                 "SELECT ifnull(group_concat(id, ','), '') FROM (SELECT cf.call_id AS id FROM "
                 "call_facts cf WHERE ",
                 &e);
        filter_facts_sql(f, NULL, &q, &e);
        buf_puts(&q, " ORDER BY cf.call_id)", &e);
    } else {
        buf_puts(&q,
                 "SELECT ifnull(group_concat(id, ','), '') FROM (SELECT calls.id AS id FROM "
                 "calls WHERE ",
                 &e);
        filter_sql(f, &q, &e);
        buf_puts(&q, " ORDER BY calls.id)", &e);
    }
    if (sqlite3_prepare_v2(db, q.data, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "  prepare: %s\n  %s\n", sqlite3_errmsg(db), q.data);
    } else if (filter_bind(f, st, &e) == 0 && sqlite3_step(st) == SQLITE_ROW) {
        out = strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    buf_release(&q);
    return out;
}

/* The ids the filter selects, comma-separated in id order ("" for none); NULL on an error
 * or when the condition over call_facts (what `calls` lists with) selects other calls than
 * the one over calls (what every other command reads). */
static char *select_ids(const struct filter *f)
{
    char *over_calls = run_selection(f, 0), *over_facts = run_selection(f, 1);

    if (over_calls && (!over_facts || strcmp(over_calls, over_facts) != 0)) {
        fprintf(stderr, "  over calls '%s', over call_facts '%s'\n", over_calls,
                over_facts ? over_facts : "(error)");
        free(over_calls);
        over_calls = NULL;
    }
    free(over_facts);
    return over_calls;
}

/* Apply options (pairs of code, value, terminated by 0) and compare the selection. */
static int64_t test_now; /* when not 0, the now of relative WHEN forms */

static int selects(const char *want, ...)
{
    struct filter f;
    struct err e = {0};
    va_list ap;
    int opt, ok = 1;
    char *got;

    filter_init(&f);
    if (test_now)
        f.now_ms = test_now;
    va_start(ap, want);
    while ((opt = va_arg(ap, int)) != 0) {
        const char *arg = va_arg(ap, const char *);

        if (filter_option(&f, opt, arg, &e) != 0) {
            fprintf(stderr, "  option %s: %s\n", arg, e.msg);
            ok = 0;
        }
    }
    va_end(ap);
    got = ok ? select_ids(&f) : NULL;
    ok = ok && got && strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "  selected '%s', want '%s'\n", got ? got : "(error)", want);
    free(got);
    filter_release(&f);
    return ok;
}

static int refuses(int opt, const char *arg, const char *msg_part)
{
    struct filter f;
    struct err e = {0};
    int rc;

    filter_init(&f);
    rc = filter_option(&f, opt, arg, &e);
    filter_release(&f);
    if (rc != ERR_USAGE || !strstr(e.msg, msg_part))
        fprintf(stderr, "  %s -> %d '%s'\n", arg, rc, e.msg);
    return rc == ERR_USAGE && strstr(e.msg, msg_part) != NULL;
}

static int where_refused(const char *where)
{
    struct filter f;
    struct err e = {0};
    int rc;

    filter_init(&f);
    rc = filter_option(&f, FILTER_OPT_WHERE, where, &e);
    if (!rc)
        rc = filter_validate(&f, db, &e);
    filter_release(&f);
    return rc == ERR_USAGE && strncmp(e.msg, "--where", 7) == 0;
}

/* Whether WHEN, counted from now_ms, parses to the instant want (fixed-width text). */
static int when_is(const char *when, int64_t now_ms, const char *want)
{
    struct filter f;
    struct err e = {0};
    char got[ISOTIME_MAX] = "(error)";

    filter_init(&f);
    f.now_ms = now_ms;
    if (filter_option(&f, FILTER_OPT_FROM, when, &e) == 0)
        isotime_format(f.from_ms, 1, got);
    filter_release(&f);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "  %s -> %s, want %s (%s)\n", when, got, want, e.msg);
    return strcmp(got, want) == 0;
}

static int amount_is(const char *arg, double want)
{
    struct filter f;
    struct err e = {0};
    int ok;

    filter_init(&f);
    ok = filter_option(&f, FILTER_OPT_MIN_AMOUNT, arg, &e) == 0 && f.min_amount == want;
    if (!ok)
        fprintf(stderr, "  amount %s -> %g, want %g (%s)\n", arg, f.min_amount, want, e.msg);
    filter_release(&f);
    return ok;
}

/* Apply a stages file with this text (NULL: none, an empty --stages file). */
static int with_stages(const char *text)
{
    char path[] = "/tmp/test_filter_stages_XXXXXX";
    struct err e = {0};
    int fd = mkstemp(path), rc;

    if (fd < 0)
        return 0;
    if (text && write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    rc = stages_apply(db, path, &e);
    unlink(path);
    if (rc)
        fprintf(stderr, "  stages: %s\n", e.msg);
    return rc == 0;
}

/* Whether filter_deal_column(col) in timing equals call_facts.fact_col for every call. */
static int deal_columns_agree(const char *timing, const char *col, const char *fact_col)
{
    struct filter f;
    struct err e = {0};
    struct buf q;
    sqlite3_stmt *st = NULL;
    int ok = 0;

    filter_init(&f);
    buf_init(&q, 0);
    filter_option(&f, FILTER_OPT_DEAL_TIMING, timing, &e);
    buf_puts(&q, "SELECT count(*), sum(", &e);
    filter_deal_column(&f, col, &q, &e);
    buf_printf(&q, &e, " IS cf.%s) FROM calls JOIN call_facts cf ON cf.call_id = calls.id",
               fact_col);
    if (sqlite3_prepare_v2(db, q.data, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        ok = sqlite3_column_int(st, 0) == 5 && sqlite3_column_int(st, 1) == 5;
    else
        fprintf(stderr, "  %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    buf_release(&q);
    filter_release(&f);
    return ok;
}

/* The calls call_facts gives outcome word (in id order) are the ones --outcome word selects;
 * the rep and participant filters agree with call_facts' rep_name/rep_email the same way. */
static int outcome_agrees(const char *word)
{
    sqlite3_stmt *st = NULL;
    char *want = NULL;
    int ok;

    if (sqlite3_prepare_v2(db,
                           "SELECT ifnull(group_concat(call_id, ','), '') FROM (SELECT call_id "
                           "FROM call_facts WHERE outcome = ?1 ORDER BY call_id)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, word, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            want = strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    ok = want && selects(want, FILTER_OPT_OUTCOME, word, 0);
    free(want);
    return ok;
}

/* The scope the analyses and the report read (scope.h) gives every call call_facts'
 * outcome, its deals joined (deals 1) or looked up per column (deals 0). */
static int scope_outcome_agrees(int deals)
{
    struct filter f;
    struct err e = {0};
    sqlite3_stmt *st = NULL;
    int ok = 0;

    filter_init(&f);
    if (scope_build(db, &f, deals, &e) == 0 &&
        sqlite3_prepare_v2(db,
                           "SELECT count(*), count(f.call_id), sum(s.outcome IS NOT f.outcome) "
                           "FROM temp.scope_calls s LEFT JOIN call_facts f ON f.call_id = "
                           "s.call_id",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        ok = sqlite3_column_int(st, 0) > 0 &&
             sqlite3_column_int(st, 0) == sqlite3_column_int(st, 1) &&
             sqlite3_column_int(st, 2) == 0;
    sqlite3_finalize(st);
    filter_release(&f);
    return ok;
}

/* Names and stages beyond ASCII: calls c6..c9 added to the fixture. */
static void unicode_checks(void)
{
    fixture_exec(
        db,
        "INSERT INTO users(id, first_name, last_name, email) VALUES"
        " ('u4', 'Gonçalo', 'DĄBROWSKA', 'g.dabrowska@acme.com');"
        "INSERT INTO calls(id, title, started, duration, primary_user_id) VALUES"
        " ('c6', 'six', '2024-04-01T00:00:00.000Z', 60, 'u4'),"
        " ('c7', 'seven', '2024-04-02T00:00:00.000Z', 60, NULL),"
        " ('c8', 'eight', '2024-04-03T00:00:00.000Z', 60, NULL),"
        " ('c9', 'nine', '2024-04-04T00:00:00.000Z', 60, NULL);"
        "INSERT INTO parties(call_id, ord, speaker_id, user_id, name, email, affiliation) VALUES"
        " ('c7', 0, 'g1', NULL, 'ΝΙΚΟΣ Παπαδόπουλος', 'nikos@acme.com', 'Internal'),"
        " ('c9', 0, 'k1', NULL, 'Straße', NULL, 'Internal');"
        "INSERT INTO call_metrics(call_id, sentences, rep_speaker_id, rep_user_id, rep_talk_ms,"
        " customer_talk_ms, other_talk_ms, rep_questions, customer_questions, switches,"
        " rep_replies, rep_reply_ms) VALUES ('c7', 5, 'g1', NULL, 100, 0, 0, 0, 0, 0, 0, 0),"
        " ('c9', 5, 'k1', NULL, 100, 0, 0, 0, 0, 0, 0, 0);"
        /* stages call_facts reads as won, lost, open (a newline is not a separator), open
         * (SQLite's lower() leaves the long s alone) */
        "INSERT INTO deals(call_id, timing, ord, deal_id, stage, amount, owner) VALUES"
        " ('c6', 'Now', 0, 'd6', ' Closed-Won_ ', 1, 'ÉLODIE-7'),"
        " ('c7', 'Now', 0, 'd7', 'CLOSED LOST', 1, NULL),"
        " ('c8', 'Now', 0, 'd8', 'closed' || char(10) || 'lost', 1, NULL),"
        " ('c9', 'Now', 0, 'd9', 'cloſedwon', 1, NULL);");

    /* --rep, --participant, --owner fold case in any script, on both sides */
    CHECK(selects("c6", FILTER_OPT_REP, "GONÇALO", 0));
    CHECK(selects("c6", FILTER_OPT_REP, "dąbrowska", 0));
    CHECK(selects("c6", FILTER_OPT_PARTICIPANT, "gonçalo dą", 0));
    CHECK(selects("c7", FILTER_OPT_REP, "νικος", 0)); /* final sigma: ς, Σ and σ are one */
    CHECK(selects("c7", FILTER_OPT_PARTICIPANT, "ΠΑΠΑΔΌΠΟΥΛΟΣ", 0));
    CHECK(selects("c9", FILTER_OPT_REP, "STRAẞE", 0));  /* capital sharp s folds to ß */
    CHECK(selects("", FILTER_OPT_REP, "strasse", 0));   /* simple folding: ß is not ss */
    CHECK(selects("", FILTER_OPT_REP, "goncalo d", 0)); /* accents are not ignored */
    CHECK(selects("c6", FILTER_OPT_OWNER, "élodie-7", 0));
    CHECK(selects("c6", FILTER_OPT_OWNER, "ÉLODIE-7", 0));

    /* --outcome equals call_facts.outcome on every call, spelled any way */
    CHECK(selects("c1,c6", FILTER_OPT_OUTCOME, "won", 0));
    CHECK(selects("c2,c7", FILTER_OPT_OUTCOME, "lost", 0));
    CHECK(outcome_agrees("won") && outcome_agrees("lost") && outcome_agrees("open"));
    CHECK(scope_outcome_agrees(1) && scope_outcome_agrees(0));
    CHECK(with_stages("open = CLOSED LOST\nlost = cloſedwon\n"));
    CHECK(outcome_agrees("won") && outcome_agrees("lost") && outcome_agrees("open"));
    CHECK(scope_outcome_agrees(1) && scope_outcome_agrees(0));
    CHECK(selects("c2,c9", FILTER_OPT_OUTCOME, "lost", 0));
    CHECK(with_stages(NULL));
}

/* Deals without an id (c10: both snapshots; c11: at the call only, beside a Now deal that
 * has one; c12: the text 'NULL' as id): at the call, the TimeOfCall row whose id IS the
 * call's Now deal's, NULL matching NULL only. */
static void null_deal_checks(void)
{
    fixture_exec(
        db, "INSERT INTO calls(id, title, started, duration) VALUES"
            " ('c10', 'ten', '2024-05-01T00:00:00.000Z', 60),"
            " ('c11', 'eleven', '2024-05-02T00:00:00.000Z', 60),"
            " ('c12', 'twelve', '2024-05-03T00:00:00.000Z', 60);"
            "INSERT INTO deals(call_id, timing, ord, deal_id, stage, amount, owner, company_size)"
            " VALUES ('c10', 'Now', 0, NULL, 'won later', 70, 'N-1', 77),"
            " ('c10', 'TimeOfCall', 0, NULL, 'early', 71, 'N-2', 78),"
            " ('c11', 'Now', 0, 'd11', 'later', 80, 'N-1', 87),"
            " ('c11', 'TimeOfCall', 0, NULL, 'early', 81, 'N-2', 88),"
            " ('c12', 'Now', 0, NULL, 'later', 90, 'N-1', 97),"
            " ('c12', 'TimeOfCall', 0, 'NULL', 'early', 91, 'N-2', 98);");
    CHECK(selects("c10", FILTER_OPT_COMPANY_SIZE, "78", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c10", FILTER_OPT_COMPANY_SIZE, "77", 0));
    CHECK(selects("", FILTER_OPT_COMPANY_SIZE, "77", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("", FILTER_OPT_COMPANY_SIZE, "88", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("", FILTER_OPT_COMPANY_SIZE, "98", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c10", FILTER_OPT_OWNER, "n-2", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c10", FILTER_OPT_OWNER, "n-2", FILTER_OPT_MIN_AMOUNT, "71", FILTER_OPT_STAGE,
                  "EARLY", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c10,c11,c12", FILTER_OPT_OWNER, "n-1", 0));
    CHECK(selects("c10", FILTER_OPT_STAGE, "early", FILTER_OPT_DEAL_TIMING, "call", 0));
}

int main(void)
{
    struct filter f;
    struct err e = {0};
    struct buf b;

    setenv("XDG_CONFIG_HOME", "/nonexistent/callmine-test", 1); /* no user stages config */
    fixture();

    /* no filter: everything, as the condition "(1)" */
    filter_init(&f);
    buf_init(&b, 0);
    CHECK(filter_sql(&f, &b, &e) == 0 && strcmp(b.data, "(1)") == 0);
    buf_release(&b);
    CHECK(filter_option(&f, 'x', "y", &e) == FILTER_PASS);
    filter_release(&f);
    CHECK(selects("c1,c2,c3,c4,c5", 0));

    /* time windows: from inclusive, to exclusive, milliseconds exact */
    CHECK(selects("c2,c3,c4", FILTER_OPT_FROM, "2024-03-01", 0));
    CHECK(selects("c1", FILTER_OPT_TO, "2024-03-01", 0));
    CHECK(selects("c3,c4", FILTER_OPT_FROM, "2024-03-01T00:00:00.001Z", 0));
    CHECK(selects("c1,c2", FILTER_OPT_TO, "2024-03-01T00:00:00.500Z", 0));
    CHECK(selects("c1,c2,c3", FILTER_OPT_TO, "2024-03-01T00:00:00.501Z", 0));
    CHECK(selects("c1", FILTER_OPT_FROM, "2024-02-29T23:59:59.999Z", FILTER_OPT_TO,
                  "2024-03-01T00:00:00Z", 0));
    CHECK(selects("c2,c3", FILTER_OPT_FROM, "2024-03-01T01:00:00+01:00", FILTER_OPT_TO,
                  "2024-03-01T01:00:01+01:00", 0));
    CHECK(refuses(FILTER_OPT_FROM, "the day before", "--from 'the day before'"));
    CHECK(refuses(FILTER_OPT_TO, "2024-03-01T10:00:00", "--to"));
    CHECK(refuses(FILTER_OPT_FROM, "2024-02-30", "--from"));
    filter_init(&f);
    CHECK(filter_option(&f, FILTER_OPT_FROM, "2024-03-02", &e) == 0);
    CHECK(filter_option(&f, FILTER_OPT_TO, "2024-03-01", &e) == ERR_USAGE);
    filter_release(&f);

    /* relative WHEN forms, from a fixed now: 2024-03-02T12:00:00Z */
    test_now = INT64_C(1709380800000);
    CHECK(selects("c4", FILTER_OPT_FROM, "1d", 0));
    CHECK(selects("c4", FILTER_OPT_FROM, "today", 0));
    CHECK(selects("c2,c3", FILTER_OPT_FROM, "yesterday", FILTER_OPT_TO, "TODAY", 0));
    CHECK(selects("c1,c2,c3,c4", FILTER_OPT_FROM, "1w", 0));
    CHECK(selects("c1,c2,c3", FILTER_OPT_FROM, "1m", FILTER_OPT_TO, "1D", 0));
    CHECK(selects("", FILTER_OPT_TO, "3m", 0));
    test_now = 0;
    CHECK(when_is("6m", INT64_C(1711886400000), "2023-09-30T12:00:00.000Z")); /* from 03-31 */
    CHECK(when_is("1m", INT64_C(1711886400000), "2024-02-29T12:00:00.000Z"));
    CHECK(when_is("13m", INT64_C(1711886400000), "2023-02-28T12:00:00.000Z"));
    CHECK(when_is("90d", INT64_C(1711886400000), "2024-01-01T12:00:00.000Z"));
    CHECK(when_is("12w", INT64_C(1711886400000), "2024-01-07T12:00:00.000Z"));
    CHECK(when_is("0d", INT64_C(1711886400000), "2024-03-31T12:00:00.000Z"));
    CHECK(when_is("yesterday", INT64_C(1711886400000), "2024-03-30T00:00:00.000Z"));
    CHECK(refuses(FILTER_OPT_FROM, "5y", "--from '5y'"));
    CHECK(refuses(FILTER_OPT_FROM, "d", "--from"));
    CHECK(refuses(FILTER_OPT_FROM, "-3d", "--from"));
    CHECK(refuses(FILTER_OPT_FROM, "99999999d", "too far back"));

    /* --rep: the call's rep (who talked most, else the primary user), name or e-mail */
    CHECK(selects("", FILTER_OPT_REP, "DANA", 0)); /* c1's rep is Zoe; c4's Dana is External */
    CHECK(selects("c1", FILTER_OPT_REP, "zoe", 0));
    CHECK(selects("c2", FILTER_OPT_REP, "o'brien", 0)); /* bound, never formatted */
    CHECK(selects("c2", FILTER_OPT_REP, "lee@", 0));
    CHECK(selects("c1,c2", FILTER_OPT_REP, "@acme.com", 0));
    CHECK(selects("", FILTER_OPT_REP, "bob", 0));
    CHECK(selects("", FILTER_OPT_REP, "%", 0)); /* no LIKE wildcards */
    CHECK(refuses(FILTER_OPT_REP, "", "--rep"));

    /* --participant: anyone internal: parties, their Gong users, the primary user */
    CHECK(selects("c1", FILTER_OPT_PARTICIPANT, "DANA", 0));
    CHECK(selects("c3", FILTER_OPT_PARTICIPANT, "priya@", 0));
    CHECK(selects("c2", FILTER_OPT_PARTICIPANT, "o'brien", 0)); /* the primary user */
    CHECK(selects("c1,c2,c3", FILTER_OPT_PARTICIPANT, "@acme.com", 0));
    CHECK(selects("", FILTER_OPT_PARTICIPANT, "bob", 0));
    CHECK(refuses(FILTER_OPT_PARTICIPANT, "", "--participant"));

    /* --stage: exact, ignoring case, commas; the call's deal (ord 0) in the timing: Now by
     * default; with call, its TimeOfCall row, or Now for a call that has none */
    CHECK(selects("c1", FILTER_OPT_STAGE, "ClosedWon", 0)); /* not c3: d4 is its 2nd deal */
    CHECK(selects("", FILTER_OPT_STAGE, "qualified", 0));
    CHECK(selects("c1", FILTER_OPT_STAGE, "qualified", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c2", FILTER_OPT_STAGE, "closedlost", 0)); /* c4 has no Now deal */
    CHECK(selects("c2", FILTER_OPT_STAGE, "closedlost", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c2,c3", FILTER_OPT_STAGE, "closedlost, demo", 0));
    CHECK(selects("c3", FILTER_OPT_STAGE, "appointment", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("", FILTER_OPT_STAGE, "demo", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("", FILTER_OPT_STAGE, "closed", 0));
    CHECK(selects("c1", FILTER_OPT_STAGE, "a", FILTER_OPT_STAGE, "closedwon", FILTER_OPT_TO,
                  "2024-03-01", 0));
    CHECK(refuses(FILTER_OPT_STAGE, " , ", "--stage"));
    CHECK(refuses(FILTER_OPT_DEAL_TIMING, "later", "--deal-timing 'later'"));

    /* amounts inclusive, with k and m; all deal terms hold for the call's deal */
    CHECK(selects("c3", FILTER_OPT_MAX_AMOUNT, "100", 0));
    CHECK(selects("c1,c3", FILTER_OPT_MAX_AMOUNT, "1k", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c1,c2", FILTER_OPT_MIN_AMOUNT, "5k", 0));
    CHECK(selects("c2", FILTER_OPT_MIN_AMOUNT, "5K", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("", FILTER_OPT_MIN_AMOUNT, "0.01m", 0));
    CHECK(selects("", FILTER_OPT_MIN_AMOUNT, "5000", FILTER_OPT_STAGE, "demo", 0));
    CHECK(selects("c1", FILTER_OPT_MIN_AMOUNT, "5000", FILTER_OPT_STAGE, "closedwon", 0));
    CHECK(amount_is("50k", 50000) && amount_is("1.5m", 1500000) && amount_is("1.5M", 1500000));
    CHECK(amount_is("2500", 2500) && amount_is("-2k", -2000) && amount_is("0.5K", 500));
    CHECK(refuses(FILTER_OPT_MIN_AMOUNT, "5kk", "--min-amount '5kk'"));
    CHECK(refuses(FILTER_OPT_MIN_AMOUNT, "0x10", "--min-amount"));
    CHECK(refuses(FILTER_OPT_MIN_AMOUNT, "inf", "--min-amount"));
    CHECK(refuses(FILTER_OPT_MIN_AMOUNT, "k", "--min-amount"));
    CHECK(refuses(FILTER_OPT_MIN_AMOUNT, "5 k", "--min-amount"));
    CHECK(refuses(FILTER_OPT_MAX_AMOUNT, "", "--max-amount"));
    filter_init(&f);
    CHECK(filter_option(&f, FILTER_OPT_MIN_AMOUNT, "10", &e) == 0);
    CHECK(filter_option(&f, FILTER_OPT_MAX_AMOUNT, "5", &e) == ERR_USAGE);
    filter_release(&f);

    /* --owner: the value exactly, or the name or e-mail of the person it resolves to */
    CHECK(selects("c1", FILTER_OPT_OWNER, "own-9", 0));
    CHECK(selects("", FILTER_OPT_OWNER, "own-", 0));       /* values match exactly */
    CHECK(selects("c2,c3", FILTER_OPT_OWNER, "owner", 0)); /* names and e-mails by part */
    CHECK(selects("c2", FILTER_OPT_OWNER, "005x", 0));
    CHECK(selects("c2,c3", FILTER_OPT_OWNER, "omar", 0)); /* a CRM user; a Gong user's e-mail */
    CHECK(selects("c2,c3", FILTER_OPT_OWNER, "OMAR@ACME.COM", 0));
    CHECK(selects("c1,c3", FILTER_OPT_OWNER, "own-9", FILTER_OPT_DEAL_TIMING, "call", 0));
    /* at the call: c2 through its Now row (no TimeOfCall snapshot), c3 through d3's */
    CHECK(selects("c2", FILTER_OPT_OWNER, "omar", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c2", FILTER_OPT_OWNER, "005x", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c1,c3", FILTER_OPT_OWNER, "own-9", FILTER_OPT_COMPANY_SIZE, "10-50",
                  FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c3", FILTER_OPT_OWNER, "own-9", FILTER_OPT_STAGE, "appointment",
                  FILTER_OPT_MAX_AMOUNT, "50", FILTER_OPT_DEAL_TIMING, "call", 0));

    /* --company-size */
    CHECK(selects("c3", FILTER_OPT_COMPANY_SIZE, "10-50", 0));
    CHECK(selects("c1,c3", FILTER_OPT_COMPANY_SIZE, "10-50", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c2", FILTER_OPT_COMPANY_SIZE, "1000+", 0));
    CHECK(selects("c1", FILTER_OPT_COMPANY_SIZE, "60", 0));
    CHECK(selects("", FILTER_OPT_COMPANY_SIZE, "60", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c2", FILTER_OPT_COMPANY_SIZE, "1000+", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("", FILTER_OPT_COMPANY_SIZE, "20000", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("", FILTER_OPT_COMPANY_SIZE, "5", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c3", FILTER_OPT_COMPANY_SIZE, "15", FILTER_OPT_OUTCOME, "open",
                  FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(refuses(FILTER_OPT_COMPANY_SIZE, "50-10", "--company-size"));
    CHECK(refuses(FILTER_OPT_COMPANY_SIZE, "big", "--company-size"));
    CHECK(refuses(FILTER_OPT_COMPANY_SIZE, "-5", "--company-size"));

    /* --outcome: from the Now stage whatever the timing; the stages config overrides */
    CHECK(selects("c1", FILTER_OPT_OUTCOME, "won", 0));
    CHECK(selects("c1", FILTER_OPT_OUTCOME, "WON", FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c2", FILTER_OPT_OUTCOME, "lost", 0));
    CHECK(selects("c3", FILTER_OPT_OUTCOME, "open", 0));
    CHECK(selects("c1,c2", FILTER_OPT_OUTCOME, "won, lost", 0));
    CHECK(selects("c2", FILTER_OPT_OUTCOME, "lost", FILTER_OPT_OUTCOME, "lost", 0));
    /* with deal terms: one pass over deals in timing now, two in timing call */
    CHECK(selects("c1", FILTER_OPT_OUTCOME, "won", FILTER_OPT_MIN_AMOUNT, "5000", 0));
    CHECK(selects("c2", FILTER_OPT_OUTCOME, "won,lost", FILTER_OPT_COMPANY_SIZE, "1000+", 0));
    CHECK(selects("", FILTER_OPT_OUTCOME, "won", FILTER_OPT_STAGE, "qualified", 0));
    CHECK(selects("c1", FILTER_OPT_OUTCOME, "won", FILTER_OPT_STAGE, "qualified",
                  FILTER_OPT_DEAL_TIMING, "call", 0));
    CHECK(selects("c3", FILTER_OPT_OUTCOME, "open", FILTER_OPT_OWNER, "omar", 0));
    CHECK(refuses(FILTER_OPT_OUTCOME, "maybe", "--outcome 'maybe'"));
    CHECK(refuses(FILTER_OPT_OUTCOME, ",", "--outcome"));
    CHECK(with_stages("won = Demo\n# a comment\nlost = closedwon  # moved\n"));
    CHECK(selects("c3", FILTER_OPT_OUTCOME, "won", 0));
    CHECK(selects("c1,c2", FILTER_OPT_OUTCOME, "lost", 0));
    CHECK(selects("", FILTER_OPT_OUTCOME, "open", 0));
    CHECK(with_stages(NULL));
    CHECK(selects("c1", FILTER_OPT_OUTCOME, "won", 0));

    /* --where: the user's own condition, ANDed; one condition only */
    CHECK(selects("c3,c4", FILTER_OPT_WHERE, "duration >= 1800", 0));
    CHECK(selects("c3", FILTER_OPT_WHERE, "duration >= 1800", FILTER_OPT_WHERE,
                  "title LIKE 't%' -- a comment", 0));
    CHECK(where_refused("no_such_column = 1"));
    CHECK(where_refused("1); DROP TABLE calls; --"));
    CHECK(where_refused("1) UNION SELECT 1 FROM users WHERE (1"));
    CHECK(where_refused("1) ORDER BY (1"));
    CHECK(refuses(FILTER_OPT_WHERE, "   ", "--where"));
    filter_init(&f);
    CHECK(filter_option(&f, FILTER_OPT_WHERE, "duration > 0", &e) == 0);
    CHECK(filter_validate(&f, db, &e) == 0);
    filter_release(&f);

    /* the deal columns commands show read the same row as call_facts, in both timings */
    CHECK(deal_columns_agree("now", "stage", "stage"));
    CHECK(deal_columns_agree("now", "amount", "amount"));
    CHECK(deal_columns_agree("call", "stage", "stage_at_call"));
    CHECK(deal_columns_agree("call", "amount", "amount_at_call"));
    filter_init(&f);
    CHECK(filter_has_deal_terms(&f) == 0 && f.timing == FILTER_TIMING_NOW);
    filter_release(&f);

    unicode_checks();
    null_deal_checks();
    sqlite3_close(db);
    return CHECK_DONE("test_filter");
}
