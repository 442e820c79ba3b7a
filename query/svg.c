/* svg: bar and column charts as inline SVG (see svg.h).
 *
 * Geometry is fixed in CSS pixels (a 760-pixel wide drawing that scales down with the page
 * through viewBox); colours come from the page's stylesheet classes (s0..s2, ref, band,
 * grid), so the charts follow the report's look. Numbers are written with %.1f: enough for
 * pixels, and locale-proof because the report never calls setlocale. */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "html.h"

#include "banned.h"

#define W 760.0
#define LABEL_W 210.0
#define VALUE_W 70.0
#define ROW_H 22.0
#define TOP 26.0

/* Append a label: escaped, cut to SVG_LABEL_MAX code points, isolated (FSI ... PDI). */
static int label(struct buf *b, const char *s, struct err *e)
{
    size_t n = 0, cps = 0;
    int rc;

    if (!s)
        s = "";
    while (s[n] && cps < SVG_LABEL_MAX) {
        n++;
        while (((unsigned char)s[n] & 0xC0) == 0x80)
            n++;
        cps++;
    }
    if ((rc = buf_puts(b, "\xE2\x81\xA8", e)) || (rc = html_escape(b, s, n, e)))
        return rc;
    if (s[n] && (rc = buf_puts(b, "\xE2\x80\xA6", e))) /* … */
        return rc;
    return buf_puts(b, "\xE2\x81\xA9", e);
}

static void fmt_value(const struct svg_chart *c, double v, char out[32])
{
    if (c->percent)
        html_fmt_percent(v, out);
    else if (c->money)
        html_fmt_money(v, out);
    else if (fabs(v) >= 100 || v == floor(v))
        snprintf(out, 32, "%.0f", v);
    else
        snprintf(out, 32, "%.1f", v);
}

static double axis_max(const struct svg_chart *c, const double *values, size_t n)
{
    double m = 0;

    if (c->max > 0)
        return c->max;
    for (size_t i = 0; i < n; i++)
        if (!isnan(values[i]) && values[i] > m)
            m = values[i];
    for (size_t i = 0; i < c->n_refs; i++)
        if (c->refs[i] > m)
            m = c->refs[i];
    if (c->band && c->band_hi > m)
        m = c->band_hi;
    return m > 0 ? m * 1.08 : 1;
}

/* The smallest 1, 2 or 5 times a power of ten that is at least x (x > 0). */
static double nice_step(double x)
{
    double p = pow(10, floor(log10(x))), m = x / p;

    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static int open_svg(struct buf *b, const struct svg_chart *c, double h, struct err *e)
{
    int rc;

    if ((rc = buf_printf(
             b, e,
             "<div class=\"tw\"><svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
             "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
             "role=\"img\" aria-label=\"",
             W, h, W, h)) ||
        (rc = html_escape_str(b, c->title, e)) || (rc = buf_puts(b, "\"><title>", e)) ||
        (rc = html_escape_str(b, c->title, e)))
        return rc;
    return buf_puts(b, "</title>\n", e);
}

/* The legend of a multi-series chart, at the top right. */
static int legend(struct buf *b, const struct svg_chart *c, struct err *e)
{
    double x = W - 120.0 * (double)c->n_series;
    int rc;

    for (size_t s = 0; c->n_series > 1 && s < c->n_series; s++, x += 120) {
        if ((rc = buf_printf(b, e,
                             "<rect class=\"s%zu\" x=\"%.1f\" y=\"4\" width=\"12\" height=\"12\"/>"
                             "<text x=\"%.1f\" y=\"14\">",
                             s, x, x + 16)) ||
            (rc = label(b, c->series[s], e)) || (rc = buf_puts(b, "</text>\n", e)))
            return rc;
    }
    return ERR_OK;
}

int svg_hbars(struct buf *b, const struct svg_chart *c, const char *const *labels,
              const double *values, size_t n, struct err *e)
{
    size_t ns = c->n_series ? c->n_series : 1;
    double bar_w = W - LABEL_W - VALUE_W, max = axis_max(c, values, n * ns);
    double row = ROW_H * (double)(ns > 1 ? ns : 1) + (ns > 1 ? 6 : 0);
    double h = TOP + row * (double)n + 22, sub = (row - (ns > 1 ? 6 : 0)) / (double)ns;
    char num[32];
    int rc;

    if ((rc = open_svg(b, c, h, e)) || (rc = legend(b, c, e)))
        return rc;
    if (c->band &&
        ((rc = buf_printf(b, e,
                          "<rect class=\"band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                          "height=\"%.1f\"/><text class=\"bandlab\" x=\"%.1f\" "
                          "y=\"%.1f\">",
                          LABEL_W + bar_w * c->band_lo / max, TOP - 4,
                          bar_w * (c->band_hi - c->band_lo) / max, row * (double)n + 4,
                          LABEL_W + bar_w * c->band_lo / max + 2, h - 6)) ||
         (rc = html_escape_str(b, c->band_label, e)) || (rc = buf_puts(b, "</text>\n", e))))
        return rc;
    for (size_t i = 0; i < n; i++) {
        double y = TOP + row * (double)i;

        if ((rc = buf_printf(b, e, "<text class=\"lab\" x=\"%.1f\" y=\"%.1f\">", LABEL_W - 6,
                             y + row / 2 + 4)) ||
            (rc = label(b, labels[i], e)) || (rc = buf_puts(b, "</text>\n", e)))
            return rc;
        for (size_t s = 0; s < ns; s++) {
            double v = values[i * ns + s], yy = y + sub * (double)s + 2;

            if (isnan(v))
                continue;
            fmt_value(c, v, num);
            if ((rc = buf_printf(b, e,
                                 "<rect class=\"s%zu\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                 "height=\"%.1f\"><title>%s</title></rect>"
                                 "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                                 s, LABEL_W, yy, v > 0 ? bar_w * v / max : 0, sub - 4, num,
                                 LABEL_W + (v > 0 ? bar_w * v / max : 0) + 4, yy + sub - 7, num)))
                return rc;
        }
    }
    for (size_t r = 0; r < c->n_refs; r++) {
        double x = LABEL_W + bar_w * c->refs[r] / max;

        if ((rc = buf_printf(b, e,
                             "<line class=\"ref\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                             "y2=\"%.1f\"/><text class=\"reflab\" x=\"%.1f\" y=\"%.1f\">",
                             x, TOP - 6, x, TOP + row * (double)n, x + 3, h - 6)) ||
            (rc = html_escape_str(b, c->ref_labels[r], e)) || (rc = buf_puts(b, "</text>\n", e)))
            return rc;
    }
    return buf_puts(b, "</svg></div>\n", e);
}

int svg_columns(struct buf *b, const struct svg_chart *c, const char *const *labels,
                const double *values, size_t n, struct err *e)
{
    const double h = 240, left = 50, bottom = 40, top = 14;
    double max = 4 * nice_step(axis_max(c, values, n) / 1.08 / 4), plot_w = W - left - 10;
    double plot_h = h - top - bottom;
    double col_w = n ? plot_w / (double)n : plot_w;
    size_t every = 1, longest = 1;
    char num[32];
    int rc;

    for (size_t i = 0; i < n; i++) { /* the widest label, at about 7.5 px a character */
        size_t len = labels[i] ? strlen(labels[i]) : 0;

        longest = len > longest ? len : longest;
    }
    longest = longest > SVG_LABEL_MAX ? SVG_LABEL_MAX : longest;
    while (col_w * (double)every < 7.5 * (double)longest + 12) /* room for a label and a gap */
        every++;
    if ((rc = open_svg(b, c, h, e)))
        return rc;
    for (int t = 0; t <= 4; t++) { /* grid lines and their values */
        double v = max * t / 4, y = top + plot_h - plot_h * t / 4;

        fmt_value(c, v, num);
        if ((rc = buf_printf(b, e,
                             "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                             "y2=\"%.1f\"/><text class=\"lab\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                             left, y, W - 10, y, left - 4, y + 4, num)))
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        double v = isnan(values[i]) ? 0 : values[i], bh = plot_h * v / max;
        double x = left + col_w * (double)i;

        fmt_value(c, v, num);
        if ((rc = buf_printf(b, e,
                             "<rect class=\"s0\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                             "height=\"%.1f\"><title>",
                             x + col_w * 0.1, top + plot_h - bh, col_w * 0.8, bh)) ||
            (rc = html_escape_str(b, labels[i], e)) ||
            (rc = buf_printf(b, e, ": %s</title></rect>\n", num)))
            return rc;
        if (i % every == 0 && ((rc = buf_printf(b, e, "<text class=\"xlab\" x=\"%.1f\" y=\"%.1f\">",
                                                x + col_w / 2, h - bottom + 21)) ||
                               (rc = label(b, labels[i], e)) || (rc = buf_puts(b, "</text>\n", e))))
            return rc;
    }
    return buf_puts(b, "</svg></div>\n", e);
}
