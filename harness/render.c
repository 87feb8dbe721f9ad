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
    lc_rdoc *m = lc_rdoc_from_json(matrix);
    if (!m) {
        memset(r, 0, sizeof *r);
        return -1;
    }
    int rc = lc_render_init_rows(r, m);
    r->owned = m;
    return rc;
}

/* The cells UNSUPPORTED with refs get numbered notes, in reading order:
 * row by row, left to right. */
static int number_notes(lc_render *r)
{
    for (size_t ri = 0; ri < r->nrows; ri++)
        for (size_t ci = 0; ci < r->ncols; ci++) {
            const struct lc_row *row = lc_render_cell(r, ri, ci);
            if (!row || strcmp(lc_report_statuses[row->status], "UNSUPPORTED") != 0 ||
                !row->has_refs)
                continue;
            json_t *c = lc_row_json(row);
            if (!c)
                return -1;
            char refs[1024];
            lc_result_refs_text(c, refs, sizeof refs);
            json_decref(c);
            if (json_object_get(r->note_numbers, refs))
                continue;
            json_array_append_new(r->notes, json_string(refs));
            json_object_set_new(r->note_numbers, refs,
                                json_integer((json_int_t)json_array_size(r->notes)));
        }
    return 0;
}

int lc_render_init_rows(lc_render *r, const lc_rdoc *m)
{
    memset(r, 0, sizeof *r);
    r->doc = m;
    r->matrix = m->head;
    r->notes = json_array();
    r->note_numbers = json_object();
    lc_rowmap_init(&r->cells, LC_ROWKEY_FULL);
    json_t *platforms = json_object_get(m->head, "platforms");
    size_t ncols = 0;
    const char *pid, *bname;
    json_t *pl, *b;
    json_object_foreach(platforms, pid, pl)
        json_object_foreach(json_object_get(pl, "backends"), bname, b)
            ncols += json_is_true(json_object_get(b, "available"));
    r->cols = calloc(ncols ? ncols : 1, sizeof *r->cols);
    r->rows = calloc(m->n + 1, sizeof *r->rows);
    if (!r->notes || !r->note_numbers || !r->cols || !r->rows)
        return -1;
    json_object_foreach(platforms, pid, pl)
        json_object_foreach(json_object_get(pl, "backends"), bname, b)
            if (json_is_true(json_object_get(b, "available")))
                r->cols[r->ncols++] = (struct lc_render_col){pid, bname};

    struct lc_rowmap seen;
    lc_rowmap_init(&seen, LC_ROWKEY_CELL_ROW);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        const struct lc_row *res = &m->rows[i];
        if (lc_rowmap_find(&r->cells, m->rows, res) != SIZE_MAX)
            continue; /* a checked matrix has none; the first one stays */
        rc = lc_rowmap_put(&r->cells, m->rows, i);
        if (rc != 0 || lc_rowmap_find(&seen, m->rows, res) != SIZE_MAX)
            continue;
        rc = lc_rowmap_put(&seen, m->rows, i);
        struct lc_render_row *row = &r->rows[r->nrows++];
        row->case_id = res->case_id;
        row->variant = res->variant;
        const char *slash = strchr(row->case_id, '/');
        size_t n = slash ? (size_t)(slash - row->case_id) : strlen(row->case_id);
        if (n >= sizeof row->area)
            n = sizeof row->area - 1;
        memcpy(row->area, row->case_id, n);
        row->area[n] = '\0';
    }
    lc_rowmap_free(&seen);
    if (rc != 0)
        return -1;
    qsort(r->rows, r->nrows, sizeof *r->rows, cmp_row);
    return number_notes(r);
}

void lc_render_free(lc_render *r)
{
    free(r->cols);
    free(r->rows);
    lc_rowmap_free(&r->cells);
    json_decref(r->notes);
    json_decref(r->note_numbers);
    lc_rdoc_free(r->owned);
    memset(r, 0, sizeof *r);
}

const struct lc_row *lc_render_cell(const lc_render *r, size_t row, size_t col)
{
    struct lc_row probe = {.platform = r->cols[col].platform,
                           .case_id = r->rows[row].case_id,
                           .backend = r->cols[col].backend,
                           .variant = r->rows[row].variant};
    size_t i = lc_rowmap_find(&r->cells, r->doc->rows, &probe);
    return i == SIZE_MAX ? NULL : &r->doc->rows[i];
}

int lc_render_note(const lc_render *r, const json_t *result)
{
    if (strcmp(str(result, "status"), "UNSUPPORTED") != 0 ||
        !json_array_size(json_object_get(result, "refs")))
        return 0;
    char refs[1024];
    lc_result_refs_text(result, refs, sizeof refs);
    return (int)json_integer_value(json_object_get(r->note_numbers, refs));
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

