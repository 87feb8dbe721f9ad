/* The published-matrix site (render --html DIR): its pages, the HTML
 * escaper, ref links and the inline SVG figures they share. */
#ifndef LC_RENDER_SITE_H
#define LC_RENDER_SITE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "render.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Text as HTML text or attribute value (render_html_esc.c). */
void lc_html_esc(FILE *out, const char *s);

/* A ref's URL (render_site_ref.c): 1 with buf set, 0 for a form with no
 * link. */
int lc_ref_url(const char *ref, char *buf, size_t len);
/* The ref as <a href> (or as plain text when it has no link). */
void lc_html_ref(FILE *out, const char *ref);

/* --- figures (render_svg.c) --- */
struct lc_svg_series {
    char label[160];
    double *x, *y; /* a CDF: x ascending, y in [0, 1] */
    size_t n;
    int from_histogram;
};
/* A distribution measurement's CDF: from its "histogram" (log2x8 buckets,
 * [lo, hi) each) when it has one, else a step through min, p50, p90, p99
 * and max.  0, or -1 when it has neither or out of memory. */
int lc_svg_dist_cdf(const json_t *dist, struct lc_svg_series *s);
void lc_svg_series_free(struct lc_svg_series *s);
/* One CDF chart, x on a log scale in unit. */
void lc_svg_cdf(FILE *out, const char *title, const char *unit, const struct lc_svg_series *s,
                size_t n);

struct lc_svg_bar {
    char label[160];
    double value;
    int reference; /* drawn grey: a platform limit beside the measured bars */
};
/* Horizontal bars, one per item, with their values in unit. */
void lc_svg_bars(FILE *out, const char *title, const char *unit, const struct lc_svg_bar *b,
                 size_t n);

/* --- pages --- */
/* Relative file names: "cases/timers.resolution.html", and the anchor of a
 * cell's panel there, "r-PLATFORM--BACKEND[--VARIANT]". */
void lc_site_case_file(const char *case_id, char *buf, size_t len);
void lc_site_cell_anchor(const char *platform, const char *backend, const char *variant,
                         char *buf, size_t len);
/* "under QEMU (TCG)", "under wine", or "" for a platform. */
const char *lc_site_platform_where(const lc_render *r, const char *platform, char *buf,
                                   size_t len);
/* The measurements of a result in reading order: a requested delay's
 * figures by delay ("lateness_50us" before "lateness_1ms"), then by name. */
size_t lc_site_measurement_order(const json_t *measurements, const char **names, size_t cap);

/* The CDFs of measurement name in row's results, a series per column of
 * platform (labelled by backend) or of backend (labelled by platform and
 * where it ran), all in one unit (the first's, copied to unit).  The
 * number of series. */
size_t lc_site_dist_series(const lc_render *r, size_t row, const char *platform,
                           const char *backend, const char *name, struct lc_svg_series *s,
                           size_t cap, char *unit, size_t unitlen);

/* One cell's panel on its case page (render_site_cell.c). */
void lc_site_cell_panel(FILE *out, const lc_render *r, const json_t *result);
/* A case's page (render_site_case.c): rows [first, last) of r are its
 * variants. 0 or -1. */
int lc_site_case_page(FILE *out, const lc_render *r, size_t first, size_t last);
/* The figure the README shows: timers/resolution's 1 ms lateness on epoll,
 * a line per platform.  0, or -1 when the matrix has none. */
int lc_site_overview_svg(FILE *out, const lc_render *r);
extern const char lc_site_css[];

#ifdef __cplusplus
}
#endif
#endif
