/* The matrix as one self-contained HTML page: inline CSS and JS, no
 * fetches.  Every cell carries its status as a symbol and a word, so it
 * reads without colour; the colour is an aid, explained in the legend. */
#include <stdlib.h>
#include <string.h>

#include "platform_info.h"
#include "render.h"
#include "report_ci.h"
#include "report_load.h"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void esc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111;background:#fff}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}"
    "table{border-collapse:collapse}th,td{border:1px solid #999;padding:3px 6px;"
    "vertical-align:top}thead th{background:#eee;position:sticky;top:0}"
    "th[scope=row]{text-align:left;font-weight:normal;font-family:monospace;white-space:nowrap}"
    "tr.area th{background:#dde;text-align:left;font-weight:bold}"
    "td.cell{white-space:nowrap}td.cell .m{font-size:.85em;color:#333}"
    ".st-PASS{background:#c8f0c8}.st-FAIL{background:#f6b3b3}"
    ".st-UNSUPPORTED{background:#d6e2f3}.st-TIMEOUT{background:#fbd49a}"
    ".st-CRASH{background:#e3b0e8}.st-SKIP{background:#ececec}.st-ERROR{background:#f5a3d8}"
    ".st-none{background:#fff;color:#777}"
    "td.unexpected{outline:3px solid #b00;outline-offset:-3px;font-weight:bold}"
    ".legend span.st{display:inline-block;min-width:9em;padding:1px 6px;border:1px solid #999}"
    "#filter{font-size:1em;padding:3px;width:24em}#shown{margin-left:1em;color:#555}"
    "ol.notes li{font-family:monospace}";

/* Filtering: a row stays when its text contains every word typed; a link
 * to index.html#filter=WORDS opens the page filtered. */
static const char js[] =
    "(function(){"
    "var input=document.getElementById('filter'),shown=document.getElementById('shown');"
    "var rows=Array.prototype.slice.call(document.querySelectorAll('#matrix tr.case'));"
    "function apply(){"
    "var words=input.value.toLowerCase().split(/\\s+/).filter(function(w){return w;});"
    "var n=0;rows.forEach(function(r){"
    "var t=(r.textContent+' '+(r.getAttribute('data-search')||'')).toLowerCase();"
    "var ok=words.every(function(w){return t.indexOf(w)>=0;});r.hidden=!ok;if(ok)n++;});"
    "Array.prototype.forEach.call(document.querySelectorAll('#matrix tbody'),function(tb){"
    "tb.hidden=!tb.querySelector('tr.case:not([hidden])');});"
    "shown.textContent=n+' of '+rows.length+' rows shown';}"
    "var h=location.hash;if(h.indexOf('#filter=')===0)"
    "input.value=decodeURIComponent(h.slice(8));"
    "input.addEventListener('input',apply);apply();"
    "document.body.setAttribute('data-cells',"
    "String(document.querySelectorAll('#matrix td.cell').length));"
    "document.body.setAttribute('data-rows',String(rows.length));"
    "})();";

static void legend(FILE *out)
{
    fputs("<section class=\"legend\"><h2>Legend</h2><ul>\n", out);
    for (int i = 0; lc_report_statuses[i]; i++) {
        const char *s = lc_report_statuses[i];
        fprintf(out, "<li><span class=\"st st-%s\">%s %s</span> %s</li>\n", s,
                lc_render_symbol(s), s, lc_render_meaning(s));
    }
    fputs("<li><span class=\"st st-none\">\xc2\xb7 no data</span> not run there</li>\n"
          "</ul><p>A result that differs from what the documentation (the expectations file) "
          "says is marked <b>! unexpected</b> with a red outline. Superscript numbers point to the "
          "documentation behind each refusal, listed under <a href=\"#notes\">Notes</a>; hover "
          "a cell for its message and measurements.</p></section>\n",
          out);
}

static void platforms(FILE *out, const json_t *matrix)
{
    fputs("<section><h2>Platforms</h2><table id=\"platforms\"><thead><tr><th>platform</th>"
          "<th>system</th><th>backends</th><th>limits</th><th>runs</th></tr></thead><tbody>\n",
          out);
    const char *pid;
    json_t *pl;
    json_object_foreach(json_object_get(matrix, "platforms"), pid, pl) {
        json_t *ri = json_object_get(pl, "run_info");
        fputs("<tr><th scope=\"row\">", out);
        esc(out, pid);
        fputs("</th><td>", out);
        char where[96];
        if (*lc__virt_phrase(str(ri, "virtualization"), str(ri, "hypervisor"), where, sizeof where)) {
            esc(out, where);
            fputs("<br>", out);
        }
        static const char *const keys[] = {"os", "os_version", "kernel_version", "kernel_package",
                                           "kernel_package_version", "arch", "libc", "compiler",
                                           "build_type", NULL};
        for (int i = 0; keys[i]; i++) {
            if (!json_is_string(json_object_get(ri, keys[i])))
                continue;
            fprintf(out, "%s%s: ", i ? "<br>" : "", keys[i]);
            esc(out, str(ri, keys[i]));
        }
        fputs("</td><td>", out);
        const char *bname;
        json_t *b;
        int first = 1;
        json_object_foreach(json_object_get(pl, "backends"), bname, b) {
            fputs(first ? "" : "<br>", out);
            first = 0;
            esc(out, bname);
            if (json_is_true(json_object_get(b, "available"))) {
                fputs(": available", out);
            } else {
                json_t *why = json_object_get(b, "reason");
                fputs(": n/a (<span title=\"", out);
                esc(out, str(why, "message"));
                fputs("\">", out);
                esc(out, str(why, "code"));
                fputs("</span>)", out);
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
            esc(out, lname);
            fputs(": ", out);
            esc(out, text);
        }
        fputs("</td><td>", out);
        size_t i;
        json_t *src;
        json_array_foreach(json_object_get(pl, "sources"), i, src) {
            fputs(i ? "<br>" : "", out);
            esc(out, json_string_value(src));
        }
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table></section>\n", out);
}

static void cell(FILE *out, const lc_render *r, const json_t *c)
{
    const char *st = str(c, "status");
    int unexpected = json_is_true(json_object_get(c, "unexpected"));
    int note = lc_render_note(r, c);
    char refs[1024];
    lc_result_refs_text(c, refs, sizeof refs);
    fprintf(out, "<td class=\"cell st-%s%s\" title=\"", st, unexpected ? " unexpected" : "");
    fprintf(out, "%s%s, expected ", st, unexpected ? " (unexpected)" : "");
    esc(out, lc_result_expected_text(c));
    if (str(c, "message")[0]) {
        fputs("&#10;", out);
        esc(out, str(c, "message"));
    }
    if (refs[0]) {
        fputs("&#10;documented: ", out);
        esc(out, refs);
    }
    const char *mname;
    json_t *m;
    json_object_foreach(json_object_get(c, "measurements"), mname, m) {
        char text[160];
        lc_render_measurement(m, text, sizeof text);
        fputs("&#10;", out);
        esc(out, mname);
        fputs(": ", out);
        esc(out, text);
    }
    fprintf(out, "\">%s%s %s", unexpected ? "! " : "", lc_render_symbol(st), st);
    if (note)
        fprintf(out, "<sup><a href=\"#note-%d\">%d</a></sup>", note, note);
    /* Two measurements inline, distributions and limits first (timer
     * lateness, fd limits); all of them in the tooltip. */
    int shown = 0;
    for (int pass = 0; pass < 2; pass++)
        json_object_foreach(json_object_get(c, "measurements"), mname, m) {
            const char *kind = str(m, "kind");
            int major = strcmp(kind, "distribution") == 0 || strcmp(kind, "limit") == 0;
            if (shown == 2 || major != (pass == 0))
                continue;
            shown++;
            char text[160];
            lc_render_measurement(m, text, sizeof text);
            fputs("<div class=\"m\">", out);
            esc(out, mname);
            fputs(": ", out);
            esc(out, text);
            fputs("</div>", out);
        }
    fputs("</td>", out);
}

static void table(FILE *out, const lc_render *r)
{
    fputs("<p><label for=\"filter\">Filter rows: </label><input id=\"filter\" type=\"search\" "
          "placeholder=\"case, area, status, e.g. fds unsupported\"><span id=\"shown\"></span></p>\n"
          "<table id=\"matrix\"><thead><tr><th rowspan=\"2\">case</th>",
          out);
    for (size_t c = 0; c < r->ncols;) {
        size_t span = 1;
        while (c + span < r->ncols && strcmp(r->cols[c + span].platform, r->cols[c].platform) == 0)
            span++;
        fprintf(out, "<th colspan=\"%zu\">", span);
        esc(out, r->cols[c].platform);
        fputs("</th>", out);
        c += span;
    }
    fputs("</tr><tr>", out);
    for (size_t c = 0; c < r->ncols; c++) {
        fputs("<th>", out);
        esc(out, r->cols[c].backend);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n", out);
    for (size_t ri = 0; ri < r->nrows; ri++) {
        const struct lc_render_row *row = &r->rows[ri];
        if (ri == 0 || strcmp(row->area, r->rows[ri - 1].area) != 0) {
            fputs(ri ? "</tbody>\n" : "", out);
            fputs("<tbody><tr class=\"area\"><th colspan=\"", out);
            fprintf(out, "%zu\">", r->ncols + 1);
            esc(out, row->area);
            fputs("</th></tr>\n", out);
        }
        int any_unexpected = 0;
        for (size_t c = 0; c < r->ncols; c++) {
            const struct lc_row *res = lc_render_cell(r, ri, c);
            any_unexpected |= res && res->unexpected;
        }
        fprintf(out, "<tr class=\"case\" data-search=\"%s\"><th scope=\"row\">",
                any_unexpected ? "unexpected" : "");
        esc(out, row->case_id);
        if (row->variant) {
            fputs(" [", out);
            esc(out, row->variant);
            fputs("]", out);
        }
        fputs("</th>", out);
        for (size_t c = 0; c < r->ncols; c++) {
            const struct lc_row *res = lc_render_cell(r, ri, c);
            json_t *j = res ? lc_row_json(res) : NULL;
            if (j)
                cell(out, r, j);
            else
                fputs("<td class=\"cell st-none\" title=\"no result\">\xc2\xb7 no data</td>",
                      out);
            json_decref(j);
        }
        fputs("</tr>\n", out);
    }
    if (r->nrows)
        fputs("</tbody>\n", out);
    fputs("</table>\n", out);
}

static void notes(FILE *out, const lc_render *r)
{
    fputs("<section id=\"notes\"><h2>Notes</h2>", out);
    if (!json_array_size(r->notes)) {
        fputs("<p>No refusals in this matrix.</p></section>\n", out);
        return;
    }
    fputs("<p>The documentation each UNSUPPORTED result rests on:</p><ol class=\"notes\">\n", out);
    size_t i;
    json_t *n;
    json_array_foreach(r->notes, i, n) {
        fprintf(out, "<li id=\"note-%zu\">", i + 1);
        esc(out, json_string_value(n));
        fputs("</li>\n", out);
    }
    fputs("</ol></section>\n", out);
}

int lc_render_html(const lc_render *r, FILE *out)
{
    json_t *gen = json_object_get(r->matrix, "generator");
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>loopcompat compatibility matrix</title>\n<style>%s</style></head>\n"
                 "<body>\n<h1>loopcompat compatibility matrix</h1>\n<p>",
            css);
    fprintf(out, "%zu platforms, %zu columns, %zu rows, %zu results. Generated by ",
            json_object_size(json_object_get(r->matrix, "platforms")), r->ncols, r->nrows,
            r->doc->n);
    esc(out, str(gen, "name"));
    fputc(' ', out);
    esc(out, str(gen, "version"));
    fputs(" (", out);
    esc(out, str(gen, "revision"));
    fputs(").</p>\n", out);
    legend(out);
    platforms(out, r->matrix);
    fputs("<section><h2>Results</h2>\n", out);
    table(out, r);
    fputs("</section>\n", out);
    notes(out, r);
    fprintf(out, "<script>%s</script>\n</body></html>\n", js);
    return ferror(out) ? -1 : 0;
}
