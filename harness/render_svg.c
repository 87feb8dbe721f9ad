/* Inline SVG figures written by the renderer itself: cumulative
 * distributions of a measurement (timer lateness) and horizontal bars (fd
 * limits, durations).  No plotting runtime, no fonts or files fetched: the
 * text uses the page's font, the colours are in the markup.  The palette is
 * Okabe and Ito's, told apart by people with colour-vision deficiencies
 * (its yellow, unreadable on white, swapped for olive);
 * lines past the fourth are dashed as well, so they differ without colour. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render_site.h"

static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#999933"};
#define NPAL (sizeof palette / sizeof palette[0])

static double num(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

void lc_svg_series_free(struct lc_svg_series *s)
{
    free(s->x);
    free(s->y);
    s->x = s->y = NULL;
    s->n = 0;
}

static int alloc_points(struct lc_svg_series *s, size_t n)
{
    s->x = calloc(n, sizeof *s->x);
    s->y = calloc(n, sizeof *s->y);
    s->n = 0;
    if (!s->x || !s->y) {
        lc_svg_series_free(s);
        return -1;
    }
    return 0;
}

/* Buckets [lo, hi, count]: the CDF rises linearly across each bucket (its
 * samples' places inside it are not kept), from 0 at the first bucket's lo
 * to 1 at the last one's hi. */
static int from_histogram(const json_t *buckets, struct lc_svg_series *s)
{
    size_t nb = json_array_size(buckets);
    double total = 0;
    for (size_t i = 0; i < nb; i++)
        total += json_number_value(json_array_get(json_array_get(buckets, i), 2));
    if (nb == 0 || total <= 0 || alloc_points(s, 2 * nb) != 0)
        return -1;
    double cum = 0;
    for (size_t i = 0; i < nb; i++) {
        const json_t *b = json_array_get(buckets, i);
        double lo = json_number_value(json_array_get(b, 0)),
               hi = json_number_value(json_array_get(b, 1)),
               count = json_number_value(json_array_get(b, 2));
        if (s->n == 0 || lo > s->x[s->n - 1]) {
            s->x[s->n] = lo;
            s->y[s->n++] = cum / total;
        }
        cum += count;
        s->x[s->n] = hi;
        s->y[s->n++] = cum / total;
    }
    s->from_histogram = 1;
    return 0;
}

int lc_svg_dist_cdf(const json_t *dist, struct lc_svg_series *s)
{
    s->x = s->y = NULL;
    s->n = 0;
    s->from_histogram = 0;
    const json_t *h = json_object_get(dist, "histogram");
    if (h && from_histogram(json_object_get(h, "buckets"), s) == 0)
        return 0;
    /* The percentiles alone: at least 50% of the samples are <= p50, and so
     * on, so the step rises at each figure and is flat between them. */
    static const char *const keys[] = {"min", "p50", "p90", "p99", "max"};
    static const double frac[] = {0, 0.5, 0.9, 0.99, 1};
    for (int i = 0; i < 5; i++)
        if (!json_is_number(json_object_get(dist, keys[i])))
            return -1;
    if (alloc_points(s, 10) != 0)
        return -1;
    s->x[0] = num(dist, "min");
    s->y[0] = 0;
    s->n = 1;
    for (int i = 1; i < 5; i++) {
        s->x[s->n] = num(dist, keys[i]);
        s->y[s->n++] = frac[i - 1];
        s->x[s->n] = num(dist, keys[i]);
        s->y[s->n++] = frac[i];
    }
    return 0;
}

#define W 520.0
#define PLOT_H 170.0
#define ML 46.0
#define MR 20.0
#define MT 24.0
#define AXIS_H 34.0
#define LEGEND_LINE 15.0

static void text(FILE *out, double x, double y, const char *anchor, const char *s)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
    lc_html_esc(out, s);
    fputs("</text>", out);
}

static void open_svg(FILE *out, double w, double h, const char *title)
{
    fprintf(out,
            "<svg class=\"fig\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"system-ui,sans-serif\" "
            "font-size=\"11\"><title>",
            w, h, w, h);
    lc_html_esc(out, title);
    fputs("</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>", out);
    text(out, w / 2, 15, "middle", title);
}

/* Ticks at powers of ten, labelled 1, 10, 100, 1k ... in unit. */
static void log_axis(FILE *out, double lx0, double lx1, const char *unit)
{
    double pw = W - ML - MR, y0 = MT + PLOT_H;
    for (int e = (int)floor(lx0); e <= (int)ceil(lx1); e++) {
        if (e < lx0 - 1e-9 || e > lx1 + 1e-9)
            continue;
        double x = ML + (e - lx0) / (lx1 - lx0) * pw;
        char lab[32];
        double v = pow(10, e);
        if (v >= 1e6)
            snprintf(lab, sizeof lab, "%gM", v / 1e6);
        else if (v >= 1e3)
            snprintf(lab, sizeof lab, "%gk", v / 1e3);
        else
            snprintf(lab, sizeof lab, "%g", v);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", x,
                MT, x, y0);
        text(out, x, y0 + 13, "middle", lab);
    }
    char cap[96];
    snprintf(cap, sizeof cap, "%s, log scale", unit);
    text(out, ML + pw / 2, y0 + 27, "middle", cap);
}

void lc_svg_cdf(FILE *out, const char *title, const char *unit, const struct lc_svg_series *s,
                size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < s[i].n; k++) {
            if (s[i].x[k] > 0 && s[i].x[k] < lo)
                lo = s[i].x[k];
            if (s[i].x[k] > hi)
                hi = s[i].x[k];
        }
    if (!(lo < INFINITY) || !(hi > 0)) {
        lo = 1;
        hi = 10;
    }
    /* Zero and below sit on the left edge: a log scale has no zero. */
    double lx0 = floor(log10(lo)), lx1 = ceil(log10(hi));
    if (lx1 <= lx0)
        lx1 = lx0 + 1;
    size_t from_hist = 0;
    for (size_t i = 0; i < n; i++)
        from_hist += s[i].from_histogram != 0;
    /* All from percentiles: one line says so; a mix: each such series. */
    int caption = from_hist == 0;
    double h = MT + PLOT_H + AXIS_H + LEGEND_LINE * (double)(n + (size_t)caption) + 4;
    open_svg(out, W, h, title);
    double pw = W - ML - MR, y0 = MT + PLOT_H;
    /* 0.99 gets a line but no label: it would print over the 1's. */
    static const double grid[] = {0, 0.5, 0.9, 1, 0.99};
    static const char *const glab[] = {"0", "0.5", "0.9", "1", ""};
    for (int g = 0; g < 5; g++) {
        double y = y0 - grid[g] * PLOT_H;
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", ML,
                y, ML + pw, y);
        text(out, ML - 4, y + 4, "end", glab[g]);
    }
    log_axis(out, lx0, lx1, unit);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                 "stroke=\"#888\"/>",
            ML, MT, pw, PLOT_H);
    for (size_t i = 0; i < n; i++) {
        const char *dash = i >= 4 ? " stroke-dasharray=\"5 3\"" : "";
        fprintf(out, "<polyline class=\"cdf\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s "
                     "points=\"",
                palette[i % NPAL], dash);
        for (size_t k = 0; k < s[i].n; k++) {
            double lx = s[i].x[k] > 0 ? log10(s[i].x[k]) : lx0;
            if (lx < lx0)
                lx = lx0;
            fprintf(out, "%s%.1f,%.1f", k ? " " : "", ML + (lx - lx0) / (lx1 - lx0) * pw,
                    y0 - s[i].y[k] * PLOT_H);
        }
        fputs("\"/>", out);
        double ly = y0 + AXIS_H + LEGEND_LINE * (double)i + 8;
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"2\"%s/>",
                ML, ly - 4, ML + 22, ly - 4, palette[i % NPAL], dash);
        char lab[200];
        snprintf(lab, sizeof lab, "%s%s", s[i].label,
                 s[i].from_histogram || caption ? "" : " (from percentiles)");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", ML + 28, ly);
        lc_html_esc(out, lab);
        fputs("</text>", out);
    }
    if (caption)
        text(out, ML, y0 + AXIS_H + LEGEND_LINE * (double)n + 8, "start",
             "steps through min, p50, p90, p99 and max (the report has no histogram)");
    fputs("</svg>", out);
}

void lc_svg_bars(FILE *out, const char *title, const char *unit, const struct lc_svg_bar *b,
                 size_t n)
{
    /* Wider than a CDF: the labels name a platform and a backend. */
    const double bar_h = 14, gap = 4, label_w = 250, w = 620;
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i].value > max)
            max = b[i].value;
    if (max <= 0)
        max = 1;
    double h = MT + (bar_h + gap) * (double)n + 8;
    open_svg(out, w, h, title);
    double pw = w - label_w - MR - 70;
    for (size_t i = 0; i < n; i++) {
        double y = MT + (bar_h + gap) * (double)i;
        double bw = b[i].value > 0 ? b[i].value / max * pw : 0;
        text(out, label_w - 6, y + bar_h - 3, "end", b[i].label);
        fprintf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                     "fill=\"%s\"/>",
                label_w, y, bw, bar_h, b[i].reference ? "#bbb" : palette[0]);
        char v[64];
        snprintf(v, sizeof v, "%.10g %s", b[i].value, unit);
        text(out, label_w + bw + 4, y + bar_h - 3, "start", v);
    }
    fputs("</svg>", out);
}
