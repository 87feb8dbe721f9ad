/* The site's matrix page (DIR/index.html).  Columns are grouped by
 * platform, then backend; each platform can be collapsed to one summary
 * column by a checkbox and CSS alone (the :checked selector), so the page
 * needs no JavaScript to read or to fold.  Every cell is a link to its
 * result's panel on the case page.  The script at the end only adds a row
 * filter and records the table's laid-out width for the browser test. */
#include <stdlib.h>
#include <string.h>

#include "render_site.h"
#include "report_ci.h"
#include "report_load.h"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static const char js[] =
    "(function(){"
    "var p=document.getElementById('filterp'),input=document.getElementById('filter'),"
    "shown=document.getElementById('shown');p.hidden=false;"
    "var rows=Array.prototype.slice.call(document.querySelectorAll('#matrix tr.case'));"
    "function apply(){"
    "var words=input.value.toLowerCase().split(/\\s+/).filter(function(w){return w;});"
    "var n=0;rows.forEach(function(r){"
    "var t=(r.getAttribute('data-search')||'').toLowerCase();"
    "var ok=words.every(function(w){return t.indexOf(w)>=0;});r.hidden=!ok;if(ok)n++;});"
    "Array.prototype.forEach.call(document.querySelectorAll('#matrix tbody'),function(tb){"
    "tb.hidden=!tb.querySelector('tr.case:not([hidden])');});"
    "shown.textContent=n+' of '+rows.length+' rows shown';}"
    "var h=location.hash;if(h.indexOf('#filter=')===0)"
    "input.value=decodeURIComponent(h.slice(8));"
    "input.addEventListener('input',apply);apply();"
    "var t=document.getElementById('matrix'),b=document.body;"
    "b.setAttribute('data-cells',String(document.querySelectorAll('#matrix td.c').length));"
    "b.setAttribute('data-rows',String(rows.length));"
    "b.setAttribute('data-table-width',String(Math.ceil(t.getBoundingClientRect().right)));"
    "b.setAttribute('data-viewport',String(document.documentElement.clientWidth));"
    "})();";

static void legend(FILE *out)
{
    fputs("<section class=\"legend\"><h2>Legend</h2><ul>\n", out);
    for (int i = 0; lc_report_statuses[i]; i++) {
        const char *s = lc_report_statuses[i];
        fprintf(out, "<li><span class=\"st st-%s\">%s %s</span> %s</li>\n", s,
                lc_render_symbol(s), s, lc_render_meaning(s));
    }
    fputs("<li><span class=\"st st-mixed\">\xc2\xb1 mixed</span> a collapsed platform whose "
          "backends differ</li>\n"
          "<li><span class=\"st st-none\">\xc2\xb7 no data</span> not run there</li>\n"
          "</ul><p>A result that differs from what the documentation (the expectations file) "
          "says is marked <b>!</b> with a red outline. Every cell is a link to its result: the "
          "message, the evidence, each measurement with its unit, what was expected and the "
          "documentation that says why. A case's name leads to its page.</p></section>\n",
          out);
}

/* A path's last component: the runs column names its inputs without the
 * directories they were read from. */
static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void platforms(FILE *out, const lc_render *r)
{
    fputs("<section><h2>Platforms</h2><div class=\"scroll\"><table id=\"platforms\"><thead><tr>"
          "<th>platform</th><th>system</th><th>backends</th><th>limits</th><th>runs</th></tr>"
          "</thead><tbody>\n",
          out);
    const char *pid;
    json_t *pl;
    json_object_foreach(json_object_get(r->matrix, "platforms"), pid, pl) {
        json_t *ri = json_object_get(pl, "run_info");
        fputs("<tr><th scope=\"row\">", out);
        lc_html_esc(out, pid);
        fputs("</th><td>", out);
        char where[96];
        if (*lc_site_platform_where(r, pid, where, sizeof where)) {
            lc_html_esc(out, where);
            fputs("<br>", out);
        }
        static const char *const keys[] = {"os", "os_version", "kernel_version", "kernel_package",
                                           "kernel_package_version", "arch", "libc", "compiler",
                                           "build_type", NULL};
        for (int i = 0; keys[i]; i++) {
            if (!json_is_string(json_object_get(ri, keys[i])))
                continue;
            fprintf(out, "%s%s: ", i ? "<br>" : "", keys[i]);
            lc_html_esc(out, str(ri, keys[i]));
        }
        fputs("</td><td>", out);
        const char *bname;
        json_t *b;
        int first = 1;
        json_object_foreach(json_object_get(pl, "backends"), bname, b) {
            fputs(first ? "" : "<br>", out);
            first = 0;
            lc_html_esc(out, bname);
            if (json_is_true(json_object_get(b, "available"))) {
                fputs(": available", out);
            } else {
                json_t *why = json_object_get(b, "reason");
                fputs(": n/a (", out);
                lc_html_esc(out, str(why, "code"));
                fputs(": ", out);
                lc_html_esc(out, str(why, "message"));
                fputs(")", out);
            }
        }
        fputs("</td><td>", out);
        first = 1;
        const char *lname;
        json_t *l;
        json_object_foreach(json_object_get(pl, "platform_limits"), lname, l) {
            char text[128];
            lc_render_limit(l, text, sizeof text);
            fputs(first ? "" : "<br>", out);
            first = 0;
            lc_html_esc(out, lname);
            fputs(": ", out);
            lc_html_esc(out, text);
        }
        fputs("</td><td>", out);
        size_t i;
        json_t *src;
        json_array_foreach(json_object_get(pl, "sources"), i, src) {
            fputs(i ? "<br>" : "", out);
            lc_html_esc(out, base(json_string_value(src)));
        }
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table></div></section>\n", out);
}

/* Platforms in column order: each column's platform's index.  NULL when
 * out of memory. */
static size_t *platform_indices(const lc_render *r)
{
    size_t *pi = calloc(r->ncols ? r->ncols : 1, sizeof *pi);
    for (size_t c = 1; pi && c < r->ncols; c++)
        pi[c] = pi[c - 1] + (strcmp(r->cols[c].platform, r->cols[c - 1].platform) != 0);
    return pi;
}

static void collapse_css(FILE *out, size_t nplat)
{
    fputs("<style>", out);
    for (size_t p = 0; p < nplat; p++)
        fprintf(out, "#fold%zu:checked~.scroll .p%zu{display:none}"
                     "#fold%zu:checked~.scroll .q%zu{display:table-cell}",
                p, p, p, p);
    fputs("</style>\n", out);
}

static void head_rows(FILE *out, const lc_render *r, const size_t *pi)
{
    fputs("<thead><tr><th rowspan=\"2\">case</th>", out);
    for (size_t c = 0; c < r->ncols;) {
        size_t span = 1, p = pi[c];
        while (c + span < r->ncols && strcmp(r->cols[c + span].platform, r->cols[c].platform) == 0)
            span++;
        char where[96];
        const char *w = lc_site_platform_where(r, r->cols[c].platform, where, sizeof where);
        fprintf(out, "<th class=\"pl p%zu\" colspan=\"%zu\" scope=\"colgroup\">", p, span);
        lc_html_esc(out, r->cols[c].platform);
        if (*w) {
            fputs("<br><small>", out);
            lc_html_esc(out, w);
            fputs("</small>", out);
        }
        fprintf(out, "<br><label for=\"fold%zu\" title=\"collapse\">\xe2\x97\x82 fold</label></th>",
                p);
        fprintf(out, "<th class=\"pl pq q%zu\" rowspan=\"2\"><label for=\"fold%zu\" title=\"",
                p, p);
        lc_html_esc(out, r->cols[c].platform);
        fputs("\">\xe2\x96\xb8</label></th>", out);
        c += span;
    }
    fputs("</tr><tr>", out);
    for (size_t c = 0; c < r->ncols; c++) {
        fprintf(out, "<th class=\"bk p%zu\">", pi[c]);
        lc_html_esc(out, r->cols[c].backend);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n", out);
}

static void cell(FILE *out, const lc_render *r, size_t ri, size_t c, size_t p,
                 const char *case_file)
{
    const struct lc_row *res = lc_render_cell(r, ri, c);
    if (!res) {
        fprintf(out, "<td class=\"st-none p%zu\" title=\"no result\">\xc2\xb7</td>", p);
        return;
    }
    json_t *j = lc_row_json(res);
    const char *st = lc_report_statuses[res->status];
    char anchor[512];
    lc_site_cell_anchor(r->cols[c].platform, r->cols[c].backend, r->rows[ri].variant, anchor,
                        sizeof anchor);
    fprintf(out, "<td class=\"c st-%s p%zu%s\"><a href=\"%s#%s\" title=\"", st, p,
            res->unexpected ? " unexpected" : "", case_file, anchor);
    lc_html_esc(out, r->cols[c].backend);
    fputs(" on ", out);
    lc_html_esc(out, r->cols[c].platform);
    fprintf(out, ": %s, expected ", st);
    lc_html_esc(out, lc_result_expected_text(j));
    /* Every measurement in the tooltip too, a requested delay's in order
     * (all five of timers/resolution's); the panel has every figure. */
    const json_t *ms = json_object_get(j, "measurements");
    const char *names[64];
    size_t nm = lc_site_measurement_order(ms, names, 64);
    for (size_t i = 0; i < nm; i++) {
        char text[160];
        lc_render_measurement(json_object_get(ms, names[i]), text, sizeof text);
        fputs("&#10;", out);
        lc_html_esc(out, names[i]);
        fputs(": ", out);
        lc_html_esc(out, text);
    }
    fprintf(out, "\">%s%s<span class=\"vh\"> %s</span>", res->unexpected ? "!" : "",
            lc_render_symbol(st), st);
    int note = lc_render_note(r, j);
    if (note)
        fprintf(out, "<sup>%d</sup>", note);
    fputs("</a></td>", out);
    json_decref(j);
}

/* A folded platform's cell: its backends' status when they agree. */
static void folded(FILE *out, const lc_render *r, size_t ri, size_t c0, size_t c1, size_t p,
                   const char *case_file)
{
    int st = -1, mixed = 0, unexpected = 0;
    for (size_t c = c0; c < c1; c++) {
        const struct lc_row *res = lc_render_cell(r, ri, c);
        int s = res ? res->status : -2;
        unexpected |= res && res->unexpected;
        if (st == -1)
            st = s;
        else if (st != s)
            mixed = 1;
    }
    const char *name = mixed ? "mixed" : st >= 0 ? lc_report_statuses[st] : "none";
    const char *sym = mixed ? "\xc2\xb1" : st >= 0 ? lc_render_symbol(name) : "\xc2\xb7";
    fprintf(out, "<td class=\"pq q%zu st-%s%s\"><a href=\"%s#verdicts\">%s%s<span class=\"vh\"> "
                 "%s</span></a></td>",
            p, name, unexpected ? " unexpected" : "", case_file, unexpected ? "!" : "", sym, name);
}

static int table(FILE *out, const lc_render *r)
{
    size_t *pi = platform_indices(r);
    if (!pi)
        return -1;
    size_t nplat = r->ncols ? pi[r->ncols - 1] + 1 : 0;
    collapse_css(out, nplat);
    fputs("<p id=\"filterp\" hidden><label for=\"filter\">Filter rows: </label><input id=\"filter\" "
          "type=\"search\" placeholder=\"case, area, status, e.g. fds unsupported\"> "
          "<span id=\"shown\"></span></p>\n"
          "<span class=\"collapse\">Fold a platform to one column:</span>\n",
          out);
    /* The checkboxes precede the table as siblings of its wrapper, which
     * is what the ~ selector needs. */
    for (size_t c = 0; c < r->ncols; c++)
        if (c == 0 || strcmp(r->cols[c].platform, r->cols[c - 1].platform) != 0) {
            size_t p = pi[c];
            fprintf(out, "<input type=\"checkbox\" id=\"fold%zu\"><label class=\"collapse\" "
                         "for=\"fold%zu\">",
                    p, p);
            lc_html_esc(out, r->cols[c].platform);
            fputs("</label>\n", out);
        }
    fputs("<div class=\"scroll\"><table id=\"matrix\">", out);
    head_rows(out, r, pi);
    for (size_t ri = 0; ri < r->nrows; ri++) {
        const struct lc_render_row *row = &r->rows[ri];
        if (ri == 0 || strcmp(row->area, r->rows[ri - 1].area) != 0) {
            fputs(ri ? "</tbody>\n" : "", out);
            fprintf(out, "<tbody><tr class=\"area\"><th colspan=\"%zu\">", r->ncols + nplat + 1);
            lc_html_esc(out, row->area);
            fputs("</th></tr>\n", out);
        }
        char case_file[512];
        lc_site_case_file(row->case_id, case_file, sizeof case_file);
        fputs("<tr class=\"case\" data-search=\"", out);
        lc_html_esc(out, row->case_id);
        for (size_t c = 0; c < r->ncols; c++) {
            const struct lc_row *res = lc_render_cell(r, ri, c);
            if (res)
                fprintf(out, " %s%s", lc_report_statuses[res->status],
                        res->unexpected ? " unexpected" : "");
        }
        fputs("\"><th class=\"row\" scope=\"row\"><a href=\"", out);
        lc_html_esc(out, case_file);
        fputs("\">", out);
        lc_html_esc(out, row->case_id);
        if (row->variant) {
            fputs(" [", out);
            lc_html_esc(out, row->variant);
            fputs("]", out);
        }
        fputs("</a></th>", out);
        for (size_t c = 0; c < r->ncols;) {
            size_t end = c + 1;
            while (end < r->ncols && strcmp(r->cols[end].platform, r->cols[c].platform) == 0)
                end++;
            for (size_t k = c; k < end; k++)
                cell(out, r, ri, k, pi[k], case_file);
            folded(out, r, ri, c, end, pi[c], case_file);
            c = end;
        }
        fputs("</tr>\n", out);
    }
    if (r->nrows)
        fputs("</tbody>\n", out);
    fputs("</table></div>\n", out);
    free(pi);
    return 0;
}

static void notes(FILE *out, const lc_render *r)
{
    fputs("<section id=\"notes\"><h2>Notes</h2>", out);
    if (!json_array_size(r->notes)) {
        fputs("<p>No refusals in this matrix.</p></section>\n", out);
        return;
    }
    fputs("<p>The documentation each UNSUPPORTED result (superscript number) rests on:</p>"
          "<ol class=\"notes\">\n",
          out);
    size_t i;
    json_t *n;
    json_array_foreach(r->notes, i, n) {
        /* The note's text is its refs joined by ", " (lc_result_refs_text). */
        fprintf(out, "<li id=\"note-%zu\">", i + 1);
        const char *t = json_string_value(n);
        for (int first = 1; t; first = 0) {
            const char *sep = strstr(t, ", ");
            char ref[1024];
            snprintf(ref, sizeof ref, "%.*s", sep ? (int)(sep - t) : (int)strlen(t), t);
            fputs(first ? "" : ", ", out);
            lc_html_ref(out, ref);
            t = sep ? sep + 2 : NULL;
        }
        fputs("</li>\n", out);
    }
    fputs("</ol></section>\n", out);
}

static void pictures(FILE *out, const lc_render *r)
{
    fputs("<section id=\"figures\"><h2>Figures</h2><div class=\"figs\">", out);
    lc_site_overview_svg(out, r);
    struct lc_svg_bar bars[64];
    size_t n = 0;
    const char *pid;
    json_t *pl;
    json_object_foreach(json_object_get(r->matrix, "platforms"), pid, pl) {
        json_t *lim = json_object_get(pl, "platform_limits");
        json_t *soft = json_object_get(json_object_get(lim, "rlimit_nofile"), "soft");
        json_t *fdset = json_object_get(json_object_get(lim, "fd_setsize"), "value");
        if (json_is_number(soft) && n < 64) {
            snprintf(bars[n].label, sizeof bars[n].label, "%s RLIMIT_NOFILE", pid);
            bars[n].value = json_number_value(soft);
            bars[n++].reference = 0;
        }
        if (json_is_number(fdset) && n < 64) {
            snprintf(bars[n].label, sizeof bars[n].label, "%s FD_SETSIZE", pid);
            bars[n].value = json_number_value(fdset);
            bars[n++].reference = 1;
        }
    }
    if (n)
        lc_svg_bars(out, "fd limits per platform (soft RLIMIT_NOFILE; grey: FD_SETSIZE)", "fd",
                    bars, n);
    fputs("</div><p>Per backend: the fds/max-watched page; timer lateness per backend: the "
          "timers pages.</p></section>\n",
          out);
}

int lc_render_html(const lc_render *r, FILE *out)
{
    json_t *gen = json_object_get(r->matrix, "generator");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>loopcompat compatibility matrix</title>\n"
          "<link rel=\"stylesheet\" href=\"style.css\"></head>\n"
          "<body>\n<h1>loopcompat compatibility matrix</h1>\n<p>",
          out);
    fprintf(out, "%zu platforms, %zu columns, %zu rows, %zu results. Generated by ",
            json_object_size(json_object_get(r->matrix, "platforms")), r->ncols, r->nrows,
            r->doc->n);
    lc_html_esc(out, str(gen, "name"));
    fputc(' ', out);
    lc_html_esc(out, str(gen, "version"));
    fputs(" (", out);
    lc_html_esc(out, str(gen, "revision"));
    fputs("). <a href=\"#results\">Results</a> &middot; <a href=\"#platforms\">Platforms</a> "
          "&middot; <a href=\"#notes\">Notes</a> &middot; <a href=\"#figures\">Figures</a></p>\n",
          out);
    fputs("<section id=\"results\"><h2>Results</h2>\n", out);
    if (table(out, r) != 0)
        return -1;
    fputs("</section>\n", out);
    legend(out);
    platforms(out, r);
    notes(out, r);
    pictures(out, r);
    fprintf(out, "<script>%s</script>\n</body></html>\n", js);
    return ferror(out) ? -1 : 0;
}
