/* A case's page: what it observes (the summary `loopcompat list` prints,
 * from the catalogue compiled in), its verdict on every platform and
 * backend, figures of its measurements across platforms, and a panel per
 * result (render_site_cell.c) that the matrix's cells link to. */
#include <string.h>

#include "lc_case.h"
#include "report_load.h"
#include "render_site.h"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The backends any platform ran this case on, in column order. */
static size_t case_backends(const lc_render *r, size_t first, size_t last, const char **out,
                            size_t cap)
{
    size_t n = 0;
    for (size_t c = 0; c < r->ncols; c++) {
        int have = 0;
        for (size_t row = first; row < last && !have; row++)
            have = lc_render_cell(r, row, c) != NULL;
        size_t k = 0;
        while (k < n && strcmp(out[k], r->cols[c].backend) != 0)
            k++;
        if (have && k == n && n < cap)
            out[n++] = r->cols[c].backend;
    }
    return n;
}

static const struct lc_row *find(const lc_render *r, size_t row, const char *platform,
                                 const char *backend)
{
    for (size_t c = 0; c < r->ncols; c++)
        if (strcmp(r->cols[c].platform, platform) == 0 && strcmp(r->cols[c].backend, backend) == 0)
            return lc_render_cell(r, row, c);
    return NULL;
}

/* Whether any platform ran row on backend. */
static int ran(const lc_render *r, size_t row, const char *backend)
{
    for (size_t c = 0; c < r->ncols; c++)
        if (strcmp(r->cols[c].backend, backend) == 0 && lc_render_cell(r, row, c))
            return 1;
    return 0;
}

static void verdicts(FILE *out, const lc_render *r, size_t first, size_t last)
{
    const char *bk[32];
    size_t nb = case_backends(r, first, last, bk, 32);
    fputs("<h2 id=\"verdicts\">Verdicts</h2><div class=\"scroll\"><table class=\"verdicts\"><thead>"
          "<tr><th>platform</th>",
          out);
    for (size_t row = first; row < last; row++)
        for (size_t b = 0; b < nb; b++) {
            if (!ran(r, row, bk[b]))
                continue;
            fputs("<th>", out);
            lc_html_esc(out, bk[b]);
            if (r->rows[row].variant) {
                fputs(" [", out);
                lc_html_esc(out, r->rows[row].variant);
                fputs("]", out);
            }
            fputs("</th>", out);
        }
    fputs("</tr></thead><tbody>", out);
    const char *pid;
    json_t *pl;
    json_object_foreach(json_object_get(r->matrix, "platforms"), pid, pl) {
        char where[96];
        fputs("<tr><th scope=\"row\">", out);
        lc_html_esc(out, pid);
        const char *w = lc_site_platform_where(r, pid, where, sizeof where);
        if (*w) {
            fputs("<br><small>", out);
            lc_html_esc(out, w);
            fputs("</small>", out);
        }
        fputs("</th>", out);
        for (size_t row = first; row < last; row++)
            for (size_t b = 0; b < nb; b++) {
                if (!ran(r, row, bk[b]))
                    continue;
                const struct lc_row *res = find(r, row, pid, bk[b]);
                if (!res) {
                    fputs("<td class=\"st-none\">\xc2\xb7 not run</td>", out);
                    continue;
                }
                const char *st = lc_report_statuses[res->status];
                char anchor[512];
                lc_site_cell_anchor(pid, bk[b], r->rows[row].variant, anchor, sizeof anchor);
                fprintf(out, "<td class=\"st-%s%s\"><a href=\"#%s\">%s%s %s</a></td>", st,
                        res->unexpected ? " unexpected" : "", anchor, res->unexpected ? "! " : "",
                        lc_render_symbol(st), st);
            }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table></div>\n", out);
}

/* For each distribution: a chart per platform, a line per backend. */
static void cdf_figures(FILE *out, const lc_render *r, size_t row, const char *name)
{
    const char *pid;
    json_t *pl;
    fputs("<h3>", out);
    lc_html_esc(out, name);
    fputs(": cumulative distribution per platform</h3><div class=\"figs\">", out);
    json_object_foreach(json_object_get(r->matrix, "platforms"), pid, pl) {
        struct lc_svg_series s[16];
        char unit[64];
        size_t ns = lc_site_dist_series(r, row, pid, NULL, name, s, 16, unit, sizeof unit);
        if (ns) {
            char title[256], where[96];
            const char *w = lc_site_platform_where(r, pid, where, sizeof where);
            snprintf(title, sizeof title, "%s, %s%s%s", name, pid, *w ? " " : "", w);
            lc_svg_cdf(out, title, unit, s, ns);
        }
        for (size_t i = 0; i < ns; i++)
            lc_svg_series_free(&s[i]);
    }
    fputs("</div>\n", out);
}

/* A limit measurement's bars, a platform's RLIMIT_NOFILE soft limit in
 * grey before its backends' figures. */
static void limit_figure(FILE *out, const lc_render *r, size_t row, const char *name)
{
    struct lc_svg_bar bars[96];
    size_t n = 0;
    char unit[64] = "";
    const char *last_pid = NULL;
    for (size_t c = 0; c < r->ncols && n + 2 < 96; c++) {
        const struct lc_row *res = lc_render_cell(r, row, c);
        json_t *j = res ? lc_row_json(res) : NULL;
        json_t *m = json_object_get(json_object_get(j, "measurements"), name);
        if (m) {
            const char *pid = r->cols[c].platform;
            json_t *soft = json_object_get(
                json_object_get(json_object_get(json_object_get(json_object_get(r->matrix, "platforms"), pid),
                                                "platform_limits"),
                                "rlimit_nofile"),
                "soft");
            if ((!last_pid || strcmp(last_pid, pid) != 0) && json_is_number(soft)) {
                snprintf(bars[n].label, sizeof bars[n].label, "%s RLIMIT_NOFILE", pid);
                bars[n].value = json_number_value(soft);
                bars[n++].reference = 1;
            }
            last_pid = pid;
            snprintf(bars[n].label, sizeof bars[n].label, "%s %s", pid, r->cols[c].backend);
            bars[n].value = json_number_value(json_object_get(m, "value"));
            bars[n++].reference = 0;
            snprintf(unit, sizeof unit, "%s", str(m, "unit"));
        }
        json_decref(j);
    }
    if (!n)
        return;
    char title[256];
    snprintf(title, sizeof title, "%s per platform and backend (grey: the soft RLIMIT_NOFILE)", name);
    fputs("<h3>", out);
    lc_html_esc(out, name);
    fputs("</h3>", out);
    lc_svg_bars(out, title, unit, bars, n);
}

/* duration_ms of each result (a matrix carries it since format_minor 2). */
static void duration_figure(FILE *out, const lc_render *r, size_t row)
{
    struct lc_svg_bar bars[96];
    size_t n = 0;
    for (size_t c = 0; c < r->ncols && n < 96; c++) {
        const struct lc_row *cell = lc_render_cell(r, row, c);
        json_t *res = cell ? lc_row_json(cell) : NULL;
        json_t *d = json_object_get(res, "duration_ms");
        if (!json_is_integer(d)) {
            json_decref(res);
            continue;
        }
        snprintf(bars[n].label, sizeof bars[n].label, "%s %s", r->cols[c].platform,
                 r->cols[c].backend);
        bars[n].value = (double)json_integer_value(d);
        bars[n++].reference = 0;
        json_decref(res);
    }
    if (n) {
        fputs("<h3>duration</h3>", out);
        lc_svg_bars(out, "duration of each run of the case", "ms", bars, n);
    }
}

static void figures(FILE *out, const lc_render *r, size_t first, size_t last)
{
    fputs("<h2 id=\"figures\">Figures</h2>\n", out);
    for (size_t row = first; row < last; row++) {
        /* The measurement names and kinds, from the row's first result. */
        json_t *kinds = json_object();
        for (size_t c = 0; c < r->ncols; c++) {
            const struct lc_row *res = lc_render_cell(r, row, c);
            json_t *j = res ? lc_row_json(res) : NULL;
            const char *k;
            json_t *m;
            json_object_foreach(json_object_get(j, "measurements"), k, m)
                json_object_set_new(kinds, k, json_string(str(m, "kind")));
            json_decref(j);
        }
        const char *names[128];
        size_t n = lc_site_measurement_order(kinds, names, 128);
        if (r->rows[row].variant) {
            fputs("<h3>variant ", out);
            lc_html_esc(out, r->rows[row].variant);
            fputs("</h3>", out);
        }
        for (size_t i = 0; i < n; i++) {
            const char *kind = str(kinds, names[i]);
            if (strcmp(kind, "distribution") == 0)
                cdf_figures(out, r, row, names[i]);
            else if (strcmp(kind, "limit") == 0)
                limit_figure(out, r, row, names[i]);
        }
        duration_figure(out, r, row);
        json_decref(kinds);
    }
}

int lc_site_case_page(FILE *out, const lc_render *r, size_t first, size_t last)
{
    const char *id = r->rows[first].case_id;
    const lc_case *c = lc_case_find(id);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    lc_html_esc(out, id);
    fputs(" \xe2\x80\x94 loopcompat</title>\n<link rel=\"stylesheet\" href=\"../style.css\">"
          "</head>\n<body class=\"case\">\n<p><a href=\"../index.html\">\xe2\x86\x90 the matrix</a></p>\n<h1>",
          out);
    lc_html_esc(out, id);
    fputs("</h1>\n<p class=\"summary\">", out);
    if (c && c->summary)
        lc_html_esc(out, c->summary);
    else
        fputs("(this case is not in the catalogue of the loopcompat that rendered the page)", out);
    fputs("</p>\n", out);
    verdicts(out, r, first, last);
    figures(out, r, first, last);
    fputs("<h2 id=\"results\">Every result</h2>\n", out);
    for (size_t row = first; row < last; row++)
        for (size_t col = 0; col < r->ncols; col++) {
            const struct lc_row *res = lc_render_cell(r, row, col);
            json_t *j = res ? lc_row_json(res) : NULL;
            if (!j)
                continue;
            lc_site_cell_panel(out, r, j);
            json_decref(j);
        }
    fputs("</body></html>\n", out);
    return ferror(out) ? -1 : 0;
}
