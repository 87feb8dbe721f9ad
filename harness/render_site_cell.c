/* One result's panel on its case page: what the matrix cell links to.  It
 * shows everything the result holds, nothing behind a hover: the status
 * and what was expected, why (the expectation's note and refs), the
 * message, the evidence, every measurement with its unit, and a CDF of its
 * distributions. */
#include <stdlib.h>
#include <string.h>

#include "expectations.h"
#include "render_site.h"
#include "report_ci.h"
#include "report_load.h"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void refs_list(FILE *out, const json_t *refs)
{
    size_t i;
    json_t *ref;
    fputs("<ul class=\"refs\">", out);
    json_array_foreach(refs, i, ref) {
        fputs("<li>", out);
        lc_html_ref(out, json_string_value(ref));
        fputs("</li>", out);
    }
    fputs("</ul>", out);
}

/* Every figure a measurement holds, each with the unit. */
static void figures(FILE *out, const json_t *m)
{
    const char *kind = str(m, "kind"), *unit = str(m, "unit");
    char buf[64];
    if (strcmp(kind, "distribution") == 0) {
        static const char *const keys[] = {"min", "p50", "p90", "p99", "max", "mean", NULL};
        fprintf(out, "n %lld", (long long)json_integer_value(json_object_get(m, "n")));
        for (int i = 0; keys[i]; i++) {
            json_t *v = json_object_get(m, keys[i]);
            if (!json_is_number(v))
                continue;
            snprintf(buf, sizeof buf, "%.6g", json_number_value(v));
            fprintf(out, ", %s %s ", keys[i], buf);
            lc_html_esc(out, unit);
        }
        json_t *h = json_object_get(m, "histogram");
        if (h) {
            fputs("; histogram ", out);
            lc_html_esc(out, str(h, "scheme"));
            fprintf(out, ", %zu buckets", json_array_size(json_object_get(h, "buckets")));
        }
        return;
    }
    snprintf(buf, sizeof buf, "%.10g", json_number_value(json_object_get(m, "value")));
    fputs(buf, out);
    fputc(' ', out);
    lc_html_esc(out, unit);
    if (strcmp(kind, "limit") == 0) {
        fputs(", stopped by ", out);
        lc_html_esc(out, str(m, "stopped_by"));
    }
}

static void measurements(FILE *out, const json_t *ms, const char *title)
{
    const char *names[128];
    size_t n = lc_site_measurement_order(ms, names, 128);
    if (!n)
        return;
    fputs("<table class=\"meas\"><thead><tr><th>measurement</th><th>kind</th><th>figures</th>"
          "</tr></thead><tbody>",
          out);
    struct lc_svg_series s[16];
    size_t ns = 0;
    const char *unit = "";
    for (size_t i = 0; i < n; i++) {
        const json_t *m = json_object_get(ms, names[i]);
        fputs("<tr><th scope=\"row\">", out);
        lc_html_esc(out, names[i]);
        fputs("</th><td>", out);
        lc_html_esc(out, str(m, "kind"));
        fputs("</td><td>", out);
        figures(out, m);
        fputs("</td></tr>", out);
        if (strcmp(str(m, "kind"), "distribution") == 0 && ns < 16 &&
            (!ns || strcmp(unit, str(m, "unit")) == 0) && lc_svg_dist_cdf(m, &s[ns]) == 0) {
            snprintf(s[ns].label, sizeof s[ns].label, "%s", names[i]);
            unit = str(m, "unit");
            ns++;
        }
    }
    fputs("</tbody></table>", out);
    if (ns) {
        char t[600];
        snprintf(t, sizeof t, "%s: CDF", title);
        lc_svg_cdf(out, t, unit, s, ns);
    }
    for (size_t i = 0; i < ns; i++)
        lc_svg_series_free(&s[i]);
}

/* The report's evidence and duration, which a matrix carries since
 * format_minor 2; an older matrix has neither. */
static void evidence(FILE *out, const json_t *res)
{
    json_t *ev = json_object_get(res, "evidence");
    fputs("<dt>evidence</dt><dd>", out);
    if (!ev) {
        fputs("not kept in this matrix (merged by a loopcompat before format_minor 2)", out);
    } else if (!json_object_size(ev)) {
        fputs("none recorded", out);
    } else {
        const char *k;
        json_t *v;
        fputs("<ul class=\"ev\">", out);
        json_object_foreach(ev, k, v) {
            fputs("<li><code>", out);
            lc_html_esc(out, k);
            fputs("</code>: ", out);
            char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            lc_html_esc(out, text ? text : json_string_value(v));
            free(text);
            fputs("</li>", out);
        }
        fputs("</ul>", out);
    }
    fputs("</dd>", out);
    if (json_is_integer(json_object_get(res, "duration_ms")))
        fprintf(out, "<dt>duration</dt><dd>%lld ms</dd>",
                (long long)json_integer_value(json_object_get(res, "duration_ms")));
}

/* Why the status is expected: the matching entry of the expectations for
 * this platform's run_info.  Its refs, or NULL. */
static const json_t *why(FILE *out, const lc_render *r, const json_t *res)
{
    const json_t *refs = NULL;
    lc_expectation e;
    json_t *ri = json_object_get(
        json_object_get(json_object_get(r->matrix, "platforms"), str(res, "platform")), "run_info");
    fputs("<dt>why</dt><dd>", out);
    if (!r->exp) {
        fputs("no expectations file was given to explain it", out);
    } else if (!lc_expectations_lookup(r->exp, str(res, "case"), str(res, "backend"), ri, &e)) {
        fputs("no expectation for this case and backend", out);
    } else {
        if (e.note) {
            fputs("<p class=\"note\">", out);
            lc_html_esc(out, e.note);
            fputs("</p>", out);
        }
        refs_list(out, e.refs);
        refs = e.refs;
    }
    fputs("</dd>", out);
    return refs;
}

void lc_site_cell_panel(FILE *out, const lc_render *r, const json_t *res)
{
    const char *st = str(res, "status"), *variant = json_string_value(json_object_get(res, "variant"));
    int unexpected = json_is_true(json_object_get(res, "unexpected"));
    char anchor[512], where[96], title[512];
    lc_site_cell_anchor(str(res, "platform"), str(res, "backend"), variant, anchor, sizeof anchor);
    snprintf(title, sizeof title, "%s on %s%s%s%s", str(res, "backend"), str(res, "platform"),
             variant ? " [" : "", variant ? variant : "", variant ? "]" : "");
    fprintf(out, "<section class=\"panel\" id=\"%s\"><h3>", anchor);
    lc_html_esc(out, title);
    fprintf(out, " <span class=\"st st-%s%s\">%s%s %s</span></h3>", st,
            unexpected ? " unexpected" : "", unexpected ? "! " : "", lc_render_symbol(st), st);
    fputs("<dl>", out);
    const char *w = lc_site_platform_where(r, str(res, "platform"), where, sizeof where);
    if (*w) {
        fputs("<dt>platform</dt><dd>", out);
        lc_html_esc(out, w);
        fputs("</dd>", out);
    }
    fprintf(out, "<dt>status</dt><dd>%s %s%s</dd><dt>expected</dt><dd>", lc_render_symbol(st), st,
            unexpected ? " &mdash; <strong>unexpected</strong>" : "");
    lc_html_esc(out, lc_result_expected_text(res));
    fputs("</dd>", out);
    /* The result's refs are the entry's merged with the case's own: shown
     * again only when they differ. */
    const json_t *why_refs = why(out, r, res);
    if (json_array_size(json_object_get(res, "refs")) &&
        !json_equal((json_t *)why_refs, json_object_get(res, "refs"))) {
        fputs("<dt>refs</dt><dd>", out);
        refs_list(out, json_object_get(res, "refs"));
        fputs("</dd>", out);
    }
    fputs("<dt>message</dt><dd>", out);
    lc_html_esc(out, str(res, "message")[0] ? str(res, "message") : "(none)");
    fputs("</dd>", out);
    evidence(out, res);
    fputs("</dl>", out);
    measurements(out, json_object_get(res, "measurements"), title);
    fputs("<p><a href=\"../index.html\">back to the matrix</a> &middot; <a href=\"#verdicts\">"
          "this case's verdicts</a></p></section>\n",
          out);
}
