/* The matrix as a Markdown table for READMEs (GitHub-flavoured tables).
 * Cells say the status in words next to the symbol; refusals point to
 * numbered notes with their documentation. */
#include <string.h>

#include "platform_info.h"
#include "render.h"
#include "report_load.h"
#include "text.h"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* A table cell cannot hold '|' or a line break; '\' and '*', '_', '`' and
 * '<' would change the rendering of case ids and messages.  The text is
 * cleaned first (text.h): a line break or another control character
 * becomes a visible escape, whose backslash is then escaped in turn. */
static void md(FILE *out, const char *s)
{
    for (s = lc_text_show(s); *s; s++) {
        if (strchr("|\\*_`<>[]", *s))
            fprintf(out, "\\%c", *s);
        else
            fputc(*s, out);
    }
}

/* One line per platform: where it ran and the backends it lacks. */
static void platform_list(const lc_render *r, FILE *out)
{
    const char *pid;
    json_t *pl;
    json_object_foreach(json_object_get(r->matrix, "platforms"), pid, pl) {
        json_t *ri = json_object_get(pl, "run_info");
        fputs("- **", out);
        md(out, pid);
        fputs("**: ", out);
        md(out, str(ri, "os"));
        fputc(' ', out);
        md(out, str(ri, "os_version"));
        fputs(", ", out);
        md(out, str(ri, "arch"));
        if (str(ri, "libc")[0]) {
            fputs(", ", out);
            md(out, str(ri, "libc"));
        }
        char where[96];
        if (*lc__virt_phrase(str(ri, "virtualization"), str(ri, "hypervisor"), where, sizeof where)) {
            fputs(", ", out);
            md(out, where);
        }
        const char *bname;
        json_t *b;
        json_object_foreach(json_object_get(pl, "backends"), bname, b) {
            if (json_is_true(json_object_get(b, "available")))
                continue;
            fputs("; ", out);
            md(out, bname);
            fputs(" n/a (", out);
            md(out, str(json_object_get(b, "reason"), "code"));
            fputc(')', out);
        }
        fputc('\n', out);
    }
}

/* "| case [variant] |": a row's first cell. */
static void case_cell(FILE *out, const struct lc_render_row *row)
{
    fputs("| ", out);
    md(out, row->case_id);
    if (row->variant) {
        fputs(" \\[", out);
        md(out, row->variant);
        fputs("\\]", out);
    }
    fputs(" |", out);
}

int lc_render_markdown(const lc_render *r, FILE *out)
{
    fputs("## loopcompat compatibility matrix\n\n", out);
    platform_list(r, out);
    fputs("\n| case |", out);
    for (size_t c = 0; c < r->ncols; c++) {
        fputc(' ', out);
        md(out, r->cols[c].backend);
        if (json_object_size(json_object_get(r->matrix, "platforms")) > 1) {
            fputs("<br>", out);
            md(out, r->cols[c].platform);
        }
        fputs(" |", out);
    }
    fputs("\n|---|", out);
    for (size_t c = 0; c < r->ncols; c++)
        fputs("---|", out);
    fputc('\n', out);
    for (size_t ri = 0; ri < r->nrows; ri++) {
        const struct lc_render_row *row = &r->rows[ri];
        if (ri == 0 || strcmp(row->area, r->rows[ri - 1].area) != 0) {
            fputs("| **", out);
            md(out, row->area);
            fputs("** |", out);
            for (size_t c = 0; c < r->ncols; c++)
                fputs(" |", out);
            fputc('\n', out);
        }
        case_cell(out, row);
        for (size_t c = 0; c < r->ncols; c++) {
            const struct lc_row *cellrow = lc_render_cell(r, ri, c);
            json_t *res = cellrow ? lc_row_json(cellrow) : NULL;
            if (!res) {
                fputs(" \xc2\xb7 |", out);
                continue;
            }
            const char *st = str(res, "status");
            int unexpected = json_is_true(json_object_get(res, "unexpected"));
            int note = lc_render_note(r, res);
            fprintf(out, " %s%s %s%s", unexpected ? "**! " : "", lc_render_symbol(st), st,
                    unexpected ? "**" : "");
            if (note)
                fprintf(out, " [%d]", note);
            const char *mname;
            json_t *m;
            json_object_foreach(json_object_get(res, "measurements"), mname, m) {
                if (strcmp(str(m, "kind"), "distribution") != 0 &&
                    strcmp(str(m, "kind"), "limit") != 0)
                    continue;
                char text[160];
                lc_render_measurement(m, text, sizeof text);
                fputs("<br>", out);
                md(out, text);
                break;
            }
            json_decref(res);
            fputs(" |", out);
        }
        fputc('\n', out);
    }
    fputs("\nLegend:", out);
    for (int i = 0; lc_report_statuses[i]; i++)
        fprintf(out, " %s %s;", lc_render_symbol(lc_report_statuses[i]), lc_report_statuses[i]);
    fputs(" \xc2\xb7 no data; **!** unexpected (differs from the documented expectation).\n", out);
    if (json_array_size(r->notes)) {
        fputs("\nDocumentation behind each UNSUPPORTED:\n\n", out);
        size_t i;
        json_t *n;
        json_array_foreach(r->notes, i, n) {
            fprintf(out, "%zu. ", i + 1);
            md(out, json_string_value(n));
            fputc('\n', out);
        }
    }
    return ferror(out) ? -1 : 0;
}

/* The status of row ri in column c, or NULL when the column has no result. */
static const char *cell_status(const lc_render *r, size_t ri, size_t c)
{
    const struct lc_row *cell = lc_render_cell(r, ri, c);
    return cell ? lc_report_statuses[cell->status] : NULL;
}

/* For one row and one backend: the columns of that backend (one per
 * platform that has it) and whether their statuses disagree. */
static int backend_differs(const lc_render *r, size_t ri, const char *backend)
{
    const char *first = NULL;
    for (size_t c = 0; c < r->ncols; c++) {
        const char *st = strcmp(r->cols[c].backend, backend) == 0 ? cell_status(r, ri, c) : NULL;
        if (!st)
            continue;
        if (first && strcmp(first, st) != 0)
            return 1;
        first = st;
    }
    return 0;
}

/* "PASS on a, b; FAIL on c": each status once, in the order the columns
 * first show it, with the platforms that gave it. */
static void statuses_by_platform(const lc_render *r, size_t ri, const char *backend, FILE *out)
{
    int any = 0;
    for (size_t c = 0; c < r->ncols; c++) {
        const char *st = strcmp(r->cols[c].backend, backend) == 0 ? cell_status(r, ri, c) : NULL;
        int seen = 0;
        for (size_t e = 0; st && e < c && !seen; e++)
            seen = strcmp(r->cols[e].backend, backend) == 0 && cell_status(r, ri, e) &&
                   strcmp(cell_status(r, ri, e), st) == 0;
        if (!st || seen)
            continue;
        fprintf(out, "%s%s %s on ", any ? "; " : "", lc_render_symbol(st), st);
        any = 1;
        int n = 0;
        for (size_t d = c; d < r->ncols; d++) {
            const char *o = strcmp(r->cols[d].backend, backend) == 0 ? cell_status(r, ri, d) : NULL;
            if (!o || strcmp(o, st) != 0)
                continue;
            fputs(n++ ? ", " : "", out);
            md(out, r->cols[d].platform);
        }
    }
}

int lc_render_markdown_differences(const lc_render *r, FILE *out)
{
    fputs("Platforms:\n\n", out);
    platform_list(r, out);
    fputs("\n| case | backend | results by platform |\n|---|---|---|\n", out);
    size_t rows = 0;
    for (size_t ri = 0; ri < r->nrows; ri++)
        for (size_t c = 0; c < r->ncols; c++) {
            const char *b = r->cols[c].backend;
            int first = 1; /* each backend once per row: its first column */
            for (size_t e = 0; e < c && first; e++)
                first = strcmp(r->cols[e].backend, b) != 0;
            if (!first || !backend_differs(r, ri, b))
                continue;
            case_cell(out, &r->rows[ri]);
            fputc(' ', out);
            md(out, b);
            fputs(" | ", out);
            statuses_by_platform(r, ri, b, out);
            fputs(" |\n", out);
            rows++;
        }
    if (rows == 0)
        fputs("| (none: every backend gives the same status on every platform that has it) | | |\n",
              out);
    fprintf(out, "\n%zu of %zu rows differ between platforms.\n", rows, r->nrows);
    return ferror(out) ? -1 : 0;
}
