/* svg: the inline SVG charts of `report`: horizontal bars (one to three series, with
 * reference lines and a shaded band) and columns over time. No script, no external font:
 * plain shapes and text that any browser draws, sized in CSS pixels. Labels come from the
 * mirror: they are escaped (html.h), cut to SVG_LABEL_MAX characters, and isolated for
 * bidirectional text (U+2068 ... U+2069). */
#ifndef CALLMINE_SVG_H
#define CALLMINE_SVG_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define SVG_LABEL_MAX 28 /* code points of a label before it is cut with an ellipsis */
#define SVG_MAX_SERIES 3
#define SVG_MAX_REFS 3

struct svg_chart {
    const char *title;                  /* what the chart shows (its <title>, for screen readers) */
    int percent;                        /* values are shares 0..1, shown as percent */
    int money;                          /* values are amounts, shown as $1.2M */
    double max;                         /* the axis maximum; 0: from the data */
    size_t n_series;                    /* 1..SVG_MAX_SERIES; values are row-major [n][n_series] */
    const char *series[SVG_MAX_SERIES]; /* legend names when n_series > 1 */
    size_t n_refs;                      /* reference lines */
    double refs[SVG_MAX_REFS];
    const char *ref_labels[SVG_MAX_REFS];
    int band; /* shade band_lo..band_hi */
    double band_lo, band_hi;
    const char *band_label; /* under the band (may be NULL) */
};

/* Append an <svg class="chart"> of one bar per label and series; values NAN are left
 * blank. ERR_NOMEM on failure. */
int svg_hbars(struct buf *b, const struct svg_chart *c, const char *const *labels,
              const double *values, size_t n, struct err *e);

/* Append an <svg class="chart"> of one column per label (a time series; one series). Only
 * every k-th label is written, k chosen so that no two labels overlap whatever n is. */
int svg_columns(struct buf *b, const struct svg_chart *c, const char *const *labels,
                const double *values, size_t n, struct err *e);

#endif
