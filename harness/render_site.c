/* render --html DIR: the site's files and the names that link them.
 *
 *   DIR/index.html           the matrix (render_html.c)
 *   DIR/style.css            the one stylesheet, local (no CDN)
 *   DIR/lateness.svg         the README's figure (lc_site_overview_svg)
 *   DIR/cases/AREA.NAME.html a page per case, with a panel per result
 *
 * Every file is written whole to a temporary name and renamed into place
 * (report_io.h), so a failure leaves the previous site's file as it was. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform_info.h"
#include "render_site.h"
#include "report_io.h"

void lc_site_case_file(const char *case_id, char *buf, size_t len)
{
    /* Case ids are [a-z0-9-]+/[a-z0-9-]+: '.' cannot clash. */
    size_t o = (size_t)snprintf(buf, len, "cases/");
    for (const char *p = case_id; *p && o + 1 < len; p++)
        buf[o++] = *p == '/' ? '.' : *p;
    if (o + 6 < len)
        memcpy(buf + o, ".html", 6);
    else if (len)
        buf[len - 1] = '\0';
}

/* An id's characters: letters, digits, '.', '_' and '-'; any other byte
 * becomes ~XX, so two names cannot meet. */
static size_t id_part(char *buf, size_t o, size_t len, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < len; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '-' || *p == '_') {
            buf[o++] = (char)*p;
        } else {
            buf[o++] = '~';
            buf[o++] = hex[*p >> 4];
            buf[o++] = hex[*p & 15];
        }
    }
    buf[o] = '\0';
    return o;
}

void lc_site_cell_anchor(const char *platform, const char *backend, const char *variant,
                         char *buf, size_t len)
{
    size_t o = (size_t)snprintf(buf, len, "r-");
    o = id_part(buf, o, len, platform);
    o += (size_t)snprintf(buf + o, len - o, "--");
    o = id_part(buf, o < len ? o : len - 1, len, backend);
    if (variant) {
        o += (size_t)snprintf(buf + o, len - o, "--");
        id_part(buf, o < len ? o : len - 1, len, variant);
    }
}

const char *lc_site_platform_where(const lc_render *r, const char *platform, char *buf,
                                   size_t len)
{
    json_t *ri = json_object_get(json_object_get(json_object_get(r->matrix, "platforms"), platform),
                                 "run_info");
    return lc__virt_phrase(json_string_value(json_object_get(ri, "virtualization")),
                           json_string_value(json_object_get(ri, "hypervisor")), buf, len);
}

/* "NAME_<number><unit>" as (NAME, the number in ns); -1 for other names. */
static double delay_ns(const char *name, size_t *prefix)
{
    const char *u = strrchr(name, '_');
    *prefix = strlen(name);
    if (!u || u[1] < '0' || u[1] > '9')
        return -1;
    char *end;
    double v = strtod(u + 1, &end);
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            *prefix = (size_t)(u - name);
            return v * units[i].ns;
        }
    return -1;
}

static int cmp_measurement(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t px, py;
    double dx = delay_ns(x, &px), dy = delay_ns(y, &py);
    if (dx >= 0 && dy >= 0 && px == py && strncmp(x, y, px) == 0)
        return (dx > dy) - (dx < dy);
    return strcmp(x, y);
}

size_t lc_site_measurement_order(const json_t *measurements, const char **names, size_t cap)
{
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)measurements, k, v) {
        if (n < cap)
            names[n++] = k;
    }
    qsort(names, n, sizeof *names, cmp_measurement);
    return n;
}

size_t lc_site_dist_series(const lc_render *r, size_t row, const char *platform,
                           const char *backend, const char *name, struct lc_svg_series *s,
                           size_t cap, char *unit, size_t unitlen)
{
    size_t ns = 0;
    unit[0] = '\0';
    for (size_t c = 0; c < r->ncols && ns < cap; c++) {
        if ((platform && strcmp(r->cols[c].platform, platform) != 0) ||
            (backend && strcmp(r->cols[c].backend, backend) != 0))
            continue;
        const struct lc_row *res = lc_render_cell(r, row, c);
        json_t *j = res ? lc_row_json(res) : NULL;
        json_t *m = json_object_get(json_object_get(j, "measurements"), name);
        const char *u = json_string_value(json_object_get(m, "unit"));
        if (u && (!ns || strcmp(unit, u) == 0) && lc_svg_dist_cdf(m, &s[ns]) == 0) {
            char where[96];
            const char *w = lc_site_platform_where(r, r->cols[c].platform, where, sizeof where);
            if (platform)
                snprintf(s[ns].label, sizeof s[ns].label, "%s", r->cols[c].backend);
            else
                snprintf(s[ns].label, sizeof s[ns].label, "%s%s%s", r->cols[c].platform,
                         *w ? " " : "", w);
            snprintf(unit, unitlen, "%s", u);
            ns++;
        }
        json_decref(j);
    }
    return ns;
}

static int write_page(const char *dir, const char *name, int (*fn)(FILE *, const void *),
                      const void *arg, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    lc_report_out o;
    FILE *f = lc_report_out_open(&o, path, err, errlen);
    if (!f)
        return -1;
    return lc_report_out_commit(&o, fn(f, arg), "page", path, err, errlen);
}

static int css_fn(FILE *f, const void *arg)
{
    (void)arg;
    fputs(lc_site_css, f);
    return ferror(f) ? -1 : 0;
}

static int index_fn(FILE *f, const void *arg)
{
    return lc_render_html(arg, f);
}

static int overview_fn(FILE *f, const void *arg)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    int rc = lc_site_overview_svg(f, arg);
    fputc('\n', f);
    return rc != 0 || ferror(f) ? -1 : 0;
}

struct case_arg {
    const lc_render *r;
    size_t first, last;
};

static int case_fn(FILE *f, const void *arg)
{
    const struct case_arg *a = arg;
    return lc_site_case_page(f, a->r, a->first, a->last);
}

int lc_render_site(const lc_render *r, const char *dir, size_t *pages, char *err, size_t errlen)
{
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/cases", dir);
    if (lc_report_mkdirs(sub, err, errlen) != 0)
        return -1;
    *pages = 0;
    if (write_page(dir, "style.css", css_fn, NULL, err, errlen) != 0)
        return -1;
    /* Rows are sorted by case, so a case's variants are adjacent. */
    for (size_t first = 0; first < r->nrows;) {
        size_t last = first + 1;
        while (last < r->nrows && strcmp(r->rows[last].case_id, r->rows[first].case_id) == 0)
            last++;
        char name[512];
        lc_site_case_file(r->rows[first].case_id, name, sizeof name);
        struct case_arg a = {r, first, last};
        if (write_page(dir, name, case_fn, &a, err, errlen) != 0)
            return -1;
        ++*pages;
        first = last;
    }
    if (write_page(dir, "index.html", index_fn, r, err, errlen) != 0)
        return -1;
    ++*pages;
    /* The figure exists only when the matrix has what it shows. */
    lc_report_out o;
    char path[4096];
    snprintf(path, sizeof path, "%s/lateness.svg", dir);
    FILE *f = lc_report_out_open(&o, path, err, errlen);
    if (!f)
        return -1;
    int rc = overview_fn(f, r);
    if (rc != 0) {
        /* Not a figure of another matrix left from an earlier render. */
        lc_report_out_commit(&o, -1, "figure", path, err, errlen);
        if (remove(path) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    return lc_report_out_commit(&o, 0, "figure", path, err, errlen);
}
