/* report_talk: mentions, quotes, topics and trackers in the report (see report_talk.h).
 *
 * A pattern's hits per call are computed once, by the first mention analysis that runs
 * (temp.mention_hits, see scope.h), and every breakdown of the pattern reads them. Quotes
 * come from up to REPORT_TALK_QUOTES calls with a hit, taken in turn from won, lost and open
 * deals, newest first: the first matching sentence of each (the match marked), who said it
 * and on which side, and the moment as m:ss after the call's start. Gong's web app has no
 * documented parameter to open a call at a time, so the link opens the call and the text
 * says where to look. */
#include "report_talk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpage.h"

#include "banned.h"

#define QUOTE_MAX_BYTES 400 /* of one quoted sentence; longer ones are cut with an ellipsis */

static const char quote_calls_sql[] =
    "SELECT call_id, title, url, outcome FROM (SELECT s.call_id, s.title, s.url, s.started, "
    "s.outcome, row_number() OVER (PARTITION BY s.outcome ORDER BY s.started DESC, s.call_id) "
    "AS rn FROM temp.mention_hits h JOIN temp.scope_calls s ON s.call_id = h.call_id "
    "WHERE h.pattern = ?1 AND h.flags = ?2 AND h.speaker = ?3 AND h.hits > 0) "
    "ORDER BY rn, CASE outcome WHEN 'won' THEN 1 WHEN 'lost' THEN 2 WHEN 'open' THEN 3 ELSE 4 "
    "END LIMIT ?4";

/* The first sentence of call ?1 that matches ?2 (flags ?3) spoken by side ?4. */
static const char quote_sql[] =
    "SELECT t.start_ms, t.text, regexp_substr(t.text, ?2, ?3), p.name, p.affiliation "
    "FROM transcript_sentences(?1) t LEFT JOIN parties p ON p.call_id = t.call_id "
    "AND p.speaker_id = t.speaker_id "
    "WHERE regexp_count(t.text, ?2, ?3) > 0 AND (?4 = 'all' OR (?4 = 'rep' AND "
    "p.affiliation = 'Internal' COLLATE NOCASE) OR (?4 = 'customer' AND "
    "p.affiliation = 'External' COLLATE NOCASE)) ORDER BY t.idx LIMIT 1";

/* Append s escaped, cut at QUOTE_MAX_BYTES on a character boundary, its first occurrence of
 * match marked. */
static int quoted(struct report *r, const char *s, const char *match, struct err *e)
{
    size_t n = strlen(s), cut = n, at = n, len = 0;
    const char *hit = match && *match ? strstr(s, match) : NULL;
    int rc;

    if (n > QUOTE_MAX_BYTES) {
        cut = QUOTE_MAX_BYTES;
        while (cut && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
    }
    if (hit && (size_t)(hit - s) + strlen(match) <= cut) {
        at = (size_t)(hit - s);
        len = strlen(match);
    }
    if ((rc = html_escape(&r->h, s, at < cut ? at : cut, e)))
        return rc;
    if (at < cut &&
        ((rc = rpage_put(r, "<mark>", e)) || (rc = html_escape(&r->h, s + at, len, e)) ||
         (rc = rpage_put(r, "</mark>", e)) ||
         (rc = html_escape(&r->h, s + at + len, cut - at - len, e))))
        return rc;
    return cut < n ? rpage_put(r, "\xE2\x80\xA6", e) : ERR_OK;
}

static int quotes(struct report *r, const char *pattern, struct err *e)
{
    const char *flags = r->caseless ? "i" : "";
    sqlite3_stmt *calls = NULL, *q = NULL;
    int rc, step, shown = 0;

    if ((rc = rpage_prepare(r, quote_calls_sql, &calls, e)) ||
        (rc = rpage_prepare(r, quote_sql, &q, e)))
        goto done;
    sqlite3_bind_text(calls, 1, pattern, -1, SQLITE_STATIC);
    sqlite3_bind_text(calls, 2, flags, -1, SQLITE_STATIC);
    sqlite3_bind_text(calls, 3, r->speaker, -1, SQLITE_STATIC);
    sqlite3_bind_int(calls, 4, REPORT_TALK_QUOTES);
    while (!rc && (step = sqlite3_step(calls)) == SQLITE_ROW) {
        const char *url = (const char *)sqlite3_column_text(calls, 2);
        const char *title = (const char *)sqlite3_column_text(calls, 1);
        const char *outcome = (const char *)sqlite3_column_text(calls, 3);
        char at[32];

        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, (const char *)sqlite3_column_text(calls, 0), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 2, pattern, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, flags, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, r->speaker, -1, SQLITE_STATIC);
        if ((step = sqlite3_step(q)) != SQLITE_ROW) {
            if (step != SQLITE_DONE)
                rc = err_set(e, ERR_DB, "report: quote a call: %s", sqlite3_errmsg(r->db));
            continue;
        }
        html_fmt_clock(sqlite3_column_double(q, 0) / 1000.0, at);
        if (!shown++ && (rc = rpage_put(r, "<h3>Examples</h3>\n", e)))
            break;
        if ((rc = rpage_put(r, "<blockquote><p><bdi>", e)) ||
            (rc = quoted(r, (const char *)sqlite3_column_text(q, 1),
                         (const char *)sqlite3_column_text(q, 2), e)) ||
            (rc = rpage_put(r, "</bdi></p><span class=\"meta\">\xE2\x80\x94 <bdi>", e)) ||
            (rc = rpage_text(r,
                             sqlite3_column_type(q, 3) != SQLITE_NULL
                                 ? (const char *)sqlite3_column_text(q, 3)
                                 : "unknown speaker",
                             e)) ||
            (rc = buf_printf(
                 &r->h, e, "</bdi> (%s), at %s in ",
                 !sqlite3_column_text(q, 4) ? "side unknown"
                 : sqlite3_stricmp((const char *)sqlite3_column_text(q, 4), "Internal") == 0 ? "rep"
                 : sqlite3_stricmp((const char *)sqlite3_column_text(q, 4), "External") == 0
                     ? "customer"
                     : "side unknown",
                 at)))
            break;
        if (html_url_ok(url) && ((rc = rpage_put(r, "<a href=\"", e)) ||
                                 (rc = rpage_text(r, url, e)) || (rc = rpage_put(r, "\">", e))))
            break;
        if ((rc = rpage_put(r, "<bdi>", e)) ||
            (rc = rpage_text(r, title && *title ? title : "(untitled)", e)) ||
            (rc = rpage_put(r, html_url_ok(url) ? "</bdi></a>" : "</bdi>", e)) ||
            (rc = buf_printf(&r->h, e, " (%s)</span></blockquote>\n",
                             outcome ? outcome : "no deal")))
            break;
    }
    if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = err_set(e, ERR_DB, "report: find quotes: %s", sqlite3_errmsg(r->db));
done:
    sqlite3_finalize(calls);
    sqlite3_finalize(q);
    return rc;
}

/* One pattern: the overall share, by outcome, won against lost in words, by rep, quotes. */
static int mention(struct report *r, size_t i, struct err *e)
{
    static const char *const share_c[] = {"share"};
    static const char *const rep_t[] = {"group", "calls", "calls_with_hit", "share", "hits", NULL};
    const char *pat = r->mentions[i];
    struct svg_chart c = {
        .title = "Share of calls with a mention, by deal outcome", .percent = 1, .n_series = 1};
    struct html_rs rs;
    char a[32], b[32], f[32];
    int rc;

    if ((rc = buf_printf(&r->h, e, "<h3 id=\"mention-%zu\">Mentions of <code>", i + 1)) ||
        (rc = rpage_text(r, pat, e)) || (rc = rpage_put(r, "</code></h3>\n", e)) ||
        (rc = rpage_run(r, "mentions", "all", pat, 1, &rs, e)))
        return rc;
    if (rs.nrow) {
        html_fmt_count((long long)html_rs_num(&rs, 0, html_rs_col(&rs, "calls_with_hit")), a);
        html_fmt_count((long long)html_rs_num(&rs, 0, html_rs_col(&rs, "calls")), b);
        html_fmt_percent(html_rs_num(&rs, 0, html_rs_col(&rs, "share")), f);
        rc = buf_printf(&r->h, e,
                        "<p>Mentioned in <b>%s</b> of %s calls with a transcript (%s).</p>\n", a, b,
                        f);
    } else {
        rc = rpage_put(r, "<p>No call here has a transcript to search.</p>\n", e);
    }
    html_rs_free(&rs);
    if (rc || (rc = rpage_run(r, "won-vs-lost", "all", pat, 1, &rs, e)))
        return rc;
    if (rs.nrow && !isnan(html_rs_num(&rs, 0, html_rs_col(&rs, "won_minus_lost")))) {
        const char *sig = html_rs_at(&rs, 0, html_rs_col(&rs, "significant"))->s;
        char w[32], l[32], d[32], lo[32], hi[32];
        double diff = html_rs_num(&rs, 0, html_rs_col(&rs, "won_minus_lost"));

        html_fmt_percent(html_rs_num(&rs, 0, html_rs_col(&rs, "won_share")), w);
        html_fmt_percent(html_rs_num(&rs, 0, html_rs_col(&rs, "lost_share")), l);
        snprintf(d, sizeof d, "%+.0f", diff * 100);
        snprintf(lo, sizeof lo, "%+.0f", html_rs_num(&rs, 0, html_rs_col(&rs, "diff_low")) * 100);
        snprintf(hi, sizeof hi, "%+.0f", html_rs_num(&rs, 0, html_rs_col(&rs, "diff_high")) * 100);
        rc = buf_printf(&r->h, e,
                        "<p>Won deals: mentioned in <b>%s</b> of their calls; lost deals: "
                        "<b>%s</b>. Difference %s points (95%% interval %s to %s): %s.</p>\n",
                        w, l, strcmp(d, "-0") == 0 || strcmp(d, "+0") == 0 ? "0" : d,
                        strcmp(lo, "-0") == 0 ? "0" : lo, strcmp(hi, "-0") == 0 ? "0" : hi,
                        sig && strcmp(sig, "yes") == 0 ? "a real difference"
                                                       : "not enough to tell the outcomes apart");
    } else {
        rc = rpage_put(r, "<p>No won and lost deals here to compare.</p>\n", e);
    }
    html_rs_free(&rs);
    if (rc || (rc = rpage_run(r, "mentions", "outcome", pat, RPAGE_MAX_ROWS, &rs, e)))
        return rc;
    rc = rpage_bars(r, &rs, "group", &c, share_c, e);
    html_rs_free(&rs);
    if (rc || (rc = quotes(r, pat, e)) || (rc = rpage_put(r, "<h3>By rep</h3>\n", e)) ||
        (rc = rpage_run(r, "mentions", "rep", pat, RPAGE_MAX_ROWS, &rs, e)))
        return rc;
    rc = rpage_table(r, &rs, rep_t, "Rep", e);
    html_rs_free(&rs);
    return rc;
}

/* An analysis by outcome with one row per group and name (trackers, topics) as a chart of
 * its value column with one series per outcome and a table of the same. */
static int by_outcome(struct report *r, const char *analysis, const char *name_col,
                      const char *value_col, const char *title, const char *empty, struct err *e)
{
    static const char *const outcomes[] = {"won", "lost", "open"};
    struct svg_chart c = {
        .title = title, .percent = 1, .n_series = 3, .series = {"won", "lost", "open"}};
    const char *labels[RPAGE_MAX_BARS];
    double v[RPAGE_MAX_BARS * 3];
    struct html_rs rs;
    size_t n = 0;
    int g, t, sh, rc;

    if ((rc = rpage_run(r, analysis, "outcome", NULL, 4 * RPAGE_MAX_ROWS, &rs, e)))
        return rc;
    g = html_rs_col(&rs, "group"), t = html_rs_col(&rs, name_col), sh = html_rs_col(&rs, value_col);
    for (size_t i = 0; i < rs.nrow; i++) {
        const char *name = html_rs_at(&rs, i, t)->s, *grp = html_rs_at(&rs, i, g)->s;
        size_t k = 0;

        while (k < n && strcmp(labels[k], name ? name : "") != 0)
            k++;
        if (k == n) {
            if (n == RPAGE_MAX_BARS)
                continue;
            labels[n] = name ? name : "";
            v[n * 3] = v[n * 3 + 1] = v[n * 3 + 2] = NAN;
            n++;
        }
        for (size_t o = 0; o < 3; o++)
            if (grp && strcmp(grp, outcomes[o]) == 0)
                v[k * 3 + o] = html_rs_num(&rs, i, sh);
    }
    rc = n ? svg_hbars(&r->h, &c, labels, v, n, e) : rpage_put(r, empty, e);
    if (!rc && n) {
        char tmp[64];

        rc = buf_printf(&r->h, e,
                        "<div class=\"tw\"><table><thead><tr><th>%s</th><th class=\"n\">Won"
                        "</th><th class=\"n\">Lost</th><th class=\"n\">Open</th></tr></thead>"
                        "<tbody>\n",
                        html_label(name_col, tmp));
        for (size_t k = 0; k < n && !rc; k++) {
            char p[3][32];

            for (size_t o = 0; o < 3; o++)
                html_fmt_percent(v[k * 3 + o], p[o]);
            if ((rc = rpage_put(r, "<tr><td><bdi>", e)) || (rc = rpage_text(r, labels[k], e)))
                break;
            rc = buf_printf(&r->h, e,
                            "</bdi></td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                            "<td class=\"n\">%s</td></tr>\n",
                            p[0], p[1], p[2]);
        }
        if (!rc)
            rc = rpage_put(r, "</tbody></table></div>\n", e);
    }
    html_rs_free(&rs);
    return rc;
}

int report_talk(struct report *r, struct err *e)
{
    int rc;

    if ((rc = rpage_section(r, "talk", "What was said",
                            r->n_mentions ? "The --mention patterns (matched in each "
                                            "sentence as grep matches them), then Gong's "
                                            "topics and trackers, by the deal's outcome."
                                          : "Gong's topics and trackers by the deal's outcome "
                                            "(add --mention PATTERN for words of your own).",
                            e)))
        return rc;
    for (size_t i = 0; i < r->n_mentions && !rc; i++)
        rc = mention(r, i, e);
    if (rc ||
        (rc = rpage_put(r,
                        "<h3 id=\"topics\">Topics</h3>\n<p class=\"def\">Share of "
                        "the topic time Gong measured in the calls of won, lost "
                        "and open deals.</p>\n",
                        e)) ||
        (rc = by_outcome(r, "topics", "topic", "share_of_time", "Share of topic time by outcome",
                         "<p>No topic data in these calls.</p>\n", e)) ||
        (rc = rpage_put(r,
                        "<h3 id=\"trackers\">Trackers</h3>\n<p class=\"def\">Share of "
                        "calls where each of Gong's trackers fired, by the deal's "
                        "outcome.</p>\n",
                        e)))
        return rc;
    return by_outcome(r, "trackers", "tracker", "share", "Share of calls where each tracker fired",
                      "<p>No tracker data in these calls.</p>\n", e);
}
