/* The table model shared by the HTML and Markdown renderers. */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "report_ci.h"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void cell_key(char *buf, size_t len, const char *platform, const char *backend,
                     const char *case_id, const char *variant)
{
    snprintf(buf, len, "%s\x1f%s\x1f%s\x1f%s", platform, backend, case_id, variant ? variant : "");
}

static int cmp_row(const void *x, const void *y)
{
    const struct lc_render_row *a = x, *b = y;
    int c = strcmp(a->case_id, b->case_id);
    if (c)
        return c;
    if (!a->variant || !b->variant)
        return (a->variant != NULL) - (b->variant != NULL);
    return strcmp(a->variant, b->variant);
}

int lc_render_init(lc_render *r, const json_t *matrix)
{
    memset(r, 0, sizeof *r);
    r->matrix = matrix;
    r->cells = json_object();
    r->notes = json_array();
    json_t *results = json_object_get(matrix, "results");
    json_t *platforms = json_object_get(matrix, "platforms");
    size_t ncols = 0;
    const char *pid, *bname;
    json_t *pl, *b;
    json_object_foreach(platforms, pid, pl)
        json_object_foreach(json_object_get(pl, "backends"), bname, b)
            ncols += json_is_true(json_object_get(b, "available"));
    r->cols = calloc(ncols ? ncols : 1, sizeof *r->cols);
    r->rows = calloc(json_array_size(results) + 1, sizeof *r->rows);
    if (!r->cells || !r->notes || !r->cols || !r->rows)
        return -1;
    json_object_foreach(platforms, pid, pl)
        json_object_foreach(json_object_get(pl, "backends"), bname, b)
            if (json_is_true(json_object_get(b, "available")))
                r->cols[r->ncols++] = (struct lc_render_col){pid, bname};

    json_t *seen = json_object();
    size_t i;
    json_t *res;
    char key[768];
    json_array_foreach(results, i, res) {
        const char *v = json_string_value(json_object_get(res, "variant"));
        cell_key(key, sizeof key, str(res, "platform"), str(res, "backend"), str(res, "case"), v);
        json_object_set(r->cells, key, res);
        cell_key(key, sizeof key, "", "", str(res, "case"), v);
        if (json_object_get(seen, key))
            continue;
        json_object_set_new(seen, key, json_true());
        struct lc_render_row *row = &r->rows[r->nrows++];
        row->case_id = str(res, "case");
        row->variant = v;
        const char *slash = strchr(row->case_id, '/');
        size_t n = slash ? (size_t)(slash - row->case_id) : strlen(row->case_id);
        if (n >= sizeof row->area)
            n = sizeof row->area - 1;
        memcpy(row->area, row->case_id, n);
        row->area[n] = '\0';
    }
    json_decref(seen);
    qsort(r->rows, r->nrows, sizeof *r->rows, cmp_row);

    /* Notes in reading order: row by row, left to right. */
    for (size_t ri = 0; ri < r->nrows; ri++)
        for (size_t ci = 0; ci < r->ncols; ci++) {
            const json_t *c = lc_render_cell(r, ri, ci);
            if (!c || strcmp(str(c, "status"), "UNSUPPORTED") != 0 ||
                !json_array_size(json_object_get(c, "refs")))
                continue;
            char refs[1024];
            lc_result_refs_text(c, refs, sizeof refs);
            if (!lc_render_note(r, c))
                json_array_append_new(r->notes, json_string(refs));
        }
    return 0;
}

void lc_render_free(lc_render *r)
{
    free(r->cols);
    free(r->rows);
    json_decref(r->cells);
    json_decref(r->notes);
    memset(r, 0, sizeof *r);
}

const json_t *lc_render_cell(const lc_render *r, size_t row, size_t col)
{
    char key[768];
    cell_key(key, sizeof key, r->cols[col].platform, r->cols[col].backend, r->rows[row].case_id,
             r->rows[row].variant);
    return json_object_get(r->cells, key);
}

int lc_render_note(const lc_render *r, const json_t *result)
{
    if (strcmp(str(result, "status"), "UNSUPPORTED") != 0 ||
        !json_array_size(json_object_get(result, "refs")))
        return 0;
    char refs[1024];
    lc_result_refs_text(result, refs, sizeof refs);
    size_t i;
    json_t *n;
    json_array_foreach(r->notes, i, n)
        if (strcmp(json_string_value(n), refs) == 0)
            return (int)i + 1;
    return 0;
}

static const struct {
    const char *status, *symbol, *meaning;
} statuses[] = {
    {"PASS", "\xe2\x9c\x93", "behaved as documented"},
    {"FAIL", "\xe2\x9c\x97", "ran, and did not behave as documented"},
    {"UNSUPPORTED", "\xe2\x8a\x98", "refused cleanly, as the cited documentation says"},
    {"TIMEOUT", "\xe2\x97\x94", "did not finish in time"},
    {"CRASH", "\xe2\x80\xa0", "the case process died from a signal"},
    {"SKIP", "\xe2\x80\x93", "could not run on this host (reason in the tooltip)"},
    {"ERROR", "\xe2\x80\xbc", "the harness itself failed; says nothing about the backend"},
    {NULL, NULL, NULL}};

const char *lc_render_symbol(const char *status)
{
    for (int i = 0; statuses[i].status; i++)
        if (strcmp(status, statuses[i].status) == 0)
            return statuses[i].symbol;
    return "?";
}

const char *lc_render_meaning(const char *status)
{
    for (int i = 0; statuses[i].status; i++)
        if (strcmp(status, statuses[i].status) == 0)
            return statuses[i].meaning;
    return "";
}

void lc_render_measurement(const json_t *m, char *buf, size_t len)
{
    const char *kind = str(m, "kind"), *unit = str(m, "unit");
    if (strcmp(kind, "distribution") == 0)
        snprintf(buf, len, "p50 %.4g / p99 %.4g %s (n=%lld)",
                 json_number_value(json_object_get(m, "p50")),
                 json_number_value(json_object_get(m, "p99")), unit,
                 (long long)json_integer_value(json_object_get(m, "n")));
    else if (strcmp(kind, "limit") == 0)
        snprintf(buf, len, "%.10g %s (stopped by %s)", json_number_value(json_object_get(m, "value")),
                 unit, str(m, "stopped_by"));
    else
        snprintf(buf, len, "%.10g %s", json_number_value(json_object_get(m, "value")), unit);
}

static void number_or_unlimited(char *buf, size_t len, const json_t *v)
{
    if (json_is_number(v))
        snprintf(buf, len, "%.10g", json_number_value(v));
    else
        snprintf(buf, len, "unlimited");
}

void lc_render_limit(const json_t *l, char *buf, size_t len)
{
    char a[32], b[32];
    if (json_object_get(l, "soft")) {
        number_or_unlimited(a, sizeof a, json_object_get(l, "soft"));
        number_or_unlimited(b, sizeof b, json_object_get(l, "hard"));
        snprintf(buf, len, "soft %s / hard %s %s", a, b, str(l, "unit"));
    } else {
        number_or_unlimited(a, sizeof a, json_object_get(l, "value"));
        snprintf(buf, len, "%s %s", a, str(l, "unit"));
    }
}
