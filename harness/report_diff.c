/* Differences between two reports (or two matrices). */
#include "report_diff.h"
#include "json_flags.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_load.h"
#include "text.h"

static const char *str(const json_t *o, const char *key);

/* A document's string as it may be printed (text.h): reports come from
 * anywhere, a baseline from the network. */
static const char *shown(const json_t *o, const char *key)
{
    return lc_text_show(str(o, key));
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static json_t *ident(const json_t *r, int with_platform)
{
    json_t *o = json_pack("{s:s, s:s, s:O}", "case", str(r, "case"), "backend",
                          str(r, "backend"), "variant", json_object_get(r, "variant"));
    if (with_platform)
        json_object_set_new(o, "platform", json_string(str(r, "platform")));
    return o;
}

static json_t *outcome(const json_t *r)
{
    return json_pack("{s:s, s:O, s:O, s:O}", "status", str(r, "status"), "expected",
                     json_object_get(r, "expected"), "unexpected", json_object_get(r, "unexpected"),
                     "message", json_object_get(r, "message"));
}

static json_t *pair(const json_t *a, const json_t *b, int with_platform)
{
    json_t *o = ident(a ? a : b, with_platform);
    if (a)
        json_object_set_new(o, "base", outcome(a));
    if (b)
        json_object_set_new(o, "new", outcome(b));
    return o;
}

/* Numbers worth comparing in a measurement: its value, or a distribution's
 * median and tail. */
static const char *const value_fields[] = {"value", NULL};
static const char *const dist_fields[] = {"p50", "p99", NULL};

static void measurement_changes(json_t *out, const json_t *a, const json_t *b, double tol,
                                int with_platform)
{
    json_t *ma = json_object_get(a, "measurements");
    json_t *mb = json_object_get(b, "measurements");
    const char *name;
    json_t *x;
    json_object_foreach(ma, name, x) {
        json_t *y = json_object_get(mb, name);
        json_t *change = NULL;
        if (!y || strcmp(str(x, "kind"), str(y, "kind")) != 0 ||
            strcmp(str(x, "unit"), str(y, "unit")) != 0) {
            change = ident(a, with_platform);
            json_object_set_new(change, "measurement", json_string(name));
            json_object_set_new(change, "field", json_string(y ? "unit" : "missing"));
            json_object_set_new(change, "unit", json_string(str(x, "unit")));
            json_object_set_new(change, "base", json_string(str(x, "unit")));
            json_object_set_new(change, "new", y ? json_string(str(y, "unit")) : json_null());
            json_object_set_new(change, "change_pct", json_null());
            json_array_append_new(out, change);
            continue;
        }
        const char *const *fields =
            strcmp(str(x, "kind"), "distribution") == 0 ? dist_fields : value_fields;
        for (int i = 0; fields[i]; i++) {
            double va = json_number_value(json_object_get(x, fields[i]));
            double vb = json_number_value(json_object_get(y, fields[i]));
            double pct = va != 0 ? (vb - va) / fabs(va) * 100.0 : (vb != 0 ? INFINITY : 0);
            if (fabs(pct) <= tol)
                continue;
            change = ident(a, with_platform);
            json_object_set_new(change, "measurement", json_string(name));
            json_object_set_new(change, "field", json_string(fields[i]));
            json_object_set_new(change, "unit", json_string(str(x, "unit")));
            json_object_set_new(change, "base", json_real(va));
            json_object_set_new(change, "new", json_real(vb));
            json_object_set_new(change, "change_pct", isfinite(pct) ? json_real(pct) : json_null());
            json_array_append_new(out, change);
        }
    }
    json_object_foreach(mb, name, x) {
        if (json_object_get(ma, name))
            continue;
        json_t *change = ident(b, with_platform);
        json_object_set_new(change, "measurement", json_string(name));
        json_object_set_new(change, "field", json_string("added"));
        json_object_set_new(change, "unit", json_string(str(x, "unit")));
        json_object_set_new(change, "base", json_null());
        json_object_set_new(change, "new", json_string(str(x, "unit")));
        json_object_set_new(change, "change_pct", json_null());
        json_array_append_new(out, change);
    }
}

static const char *doc_platform(const lc_rdoc *doc)
{
    if (doc->kind == LC_DOC_MATRIX)
        return "matrix";
    return str(json_object_get(doc->head, "run_info"), "platform_id");
}

/* Both rows' results as json_t while they are compared. */
static void compare(const struct lc_row *ra, const struct lc_row *rb, int mat, double tol,
                    json_t *regs, json_t *fixes, json_t *changes, json_t *meas)
{
    json_t *a = lc_row_json(ra), *b = lc_row_json(rb);
    if (a && b) {
        int ua = json_is_true(json_object_get(a, "unexpected"));
        int ub = json_is_true(json_object_get(b, "unexpected"));
        if (!ua && ub)
            json_array_append_new(regs, pair(a, b, mat));
        else if (ua && !ub)
            json_array_append_new(fixes, pair(a, b, mat));
        else if (strcmp(str(a, "status"), str(b, "status")) != 0 ||
                 strcmp(str(a, "expected"), str(b, "expected")) != 0)
            json_array_append_new(changes, pair(a, b, mat));
        measurement_changes(meas, a, b, tol, mat);
    }
    json_decref(a);
    json_decref(b);
}

static int index_rows(struct lc_rowmap *m, const lc_rdoc *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (lc_rowmap_find(m, d->rows, &d->rows[i]) == SIZE_MAX &&
            lc_rowmap_put(m, d->rows, i) != 0)
            return -1;
    return 0;
}

/* Rows without a match on the other side, as new or vanished. */
static void unmatched(json_t *list, const lc_rdoc *d, const struct lc_rowmap *other,
                      const lc_rdoc *od, int mat, int is_base)
{
    for (size_t i = 0; i < d->n; i++) {
        if (lc_rowmap_find(other, od->rows, &d->rows[i]) != SIZE_MAX)
            continue;
        json_t *r = lc_row_json(&d->rows[i]);
        if (r)
            json_array_append_new(list, is_base ? pair(r, NULL, mat) : pair(NULL, r, mat));
        json_decref(r);
    }
}

json_t *lc_rdiff_compute(const lc_rdoc *base, const lc_rdoc *newer, const char *base_name,
                         const char *new_name, double tol, char *err, size_t errlen)
{
    int mat = base->kind == LC_DOC_MATRIX;
    /* The names are kept in the diff, and printed: URLs go without their
     * credentials. */
    char bname[1024], nname[1024];
    lc_url_redact(base_name, bname, sizeof bname);
    lc_url_redact(new_name, nname, sizeof nname);
    if (mat != (newer->kind == LC_DOC_MATRIX)) {
        snprintf(err, errlen, "%s and %s: cannot compare a report with a matrix", bname, nname);
        return NULL;
    }
    if (!(tol >= 0) || !isfinite(tol)) {
        snprintf(err, errlen, "--tolerance: expected a percentage >= 0");
        return NULL;
    }
    enum lc_rowkey key = mat ? LC_ROWKEY_FULL : LC_ROWKEY_NO_PLATFORM;
    struct lc_rowmap ia, ib;
    lc_rowmap_init(&ia, key);
    lc_rowmap_init(&ib, key);
    if (index_rows(&ia, base) != 0 || index_rows(&ib, newer) != 0) {
        lc_rowmap_free(&ia);
        lc_rowmap_free(&ib);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    json_t *regs = json_array(), *fixes = json_array(), *changes = json_array();
    json_t *added = json_array(), *vanished = json_array(), *meas = json_array();
    for (size_t i = 0; i < base->n; i++) {
        size_t j = lc_rowmap_find(&ib, newer->rows, &base->rows[i]);
        if (j != SIZE_MAX)
            compare(&base->rows[i], &newer->rows[j], mat, tol, regs, fixes, changes, meas);
    }
    unmatched(vanished, base, &ib, newer, mat, 1);
    unmatched(added, newer, &ia, base, mat, 0);
    lc_rowmap_free(&ia);
    lc_rowmap_free(&ib);
    return json_pack("{s:s, s:i, s:{s:s, s:s, s:I}, s:{s:s, s:s, s:I}, s:f, s:o, s:o, s:o, "
                     "s:o, s:o, s:o}",
                     "format", "loopcompat-diff", "format_version", 1, "base", "source",
                     bname, "platform", doc_platform(base), "results", (json_int_t)base->n,
                     "new", "source", nname, "platform", doc_platform(newer), "results",
                     (json_int_t)newer->n, "tolerance_pct", tol, "regressions", regs, "fixes",
                     fixes, "status_changes", changes, "new_results", added, "vanished",
                     vanished, "measurement_changes", meas);
}

/* The json_t entry points, on the same code. */
static int as_rows(const json_t *a, const json_t *b, lc_rdoc **ra, lc_rdoc **rb, char *err,
                   size_t errlen)
{
    *ra = lc_rdoc_from_json(a);
    *rb = lc_rdoc_from_json(b);
    if (*ra && *rb)
        return 0;
    lc_rdoc_free(*ra);
    lc_rdoc_free(*rb);
    snprintf(err, errlen, "out of memory");
    return -1;
}

json_t *lc_diff_compute(const json_t *base, const json_t *newer, const char *base_name,
                        const char *new_name, double tol, char *err, size_t errlen)
{
    lc_rdoc *a, *b;
    if (as_rows(base, newer, &a, &b, err, errlen) != 0)
        return NULL;
    json_t *diff = lc_rdiff_compute(a, b, base_name, new_name, tol, err, errlen);
    lc_rdoc_free(a);
    lc_rdoc_free(b);
    return diff;
}

size_t lc_diff_regressions(const json_t *diff)
{
    return json_array_size(json_object_get(diff, "regressions"));
}

static void print_who(FILE *out, const json_t *e)
{
    const char *v = json_string_value(json_object_get(e, "variant"));
    const char *p = json_string_value(json_object_get(e, "platform"));
    fprintf(out, "%s%s%s %s%s%s%s", lc_text_show(p), p ? " " : "", shown(e, "backend"),
            shown(e, "case"), v ? " [" : "", lc_text_show(v), v ? "]" : "");
}

static void print_outcome(FILE *out, const json_t *o)
{
    if (json_is_true(json_object_get(o, "unexpected")))
        fprintf(out, "%s (unexpected, expected %s)", shown(o, "status"),
                lc_text_show(lc_result_expected_text(o)));
    else
        fprintf(out, "%s (as expected)", shown(o, "status"));
}

/* New and vanished results can be many when one run was filtered: the text
 * listing shows the first LIST_MAX of those (--json has them all). */
#define LIST_MAX 20

static void print_list(FILE *out, const json_t *diff, const char *key, const char *tag,
                       size_t max)
{
    size_t i;
    json_t *e;
    json_t *list = json_object_get(diff, key);
    json_array_foreach(list, i, e) {
        if (i == max) {
            fprintf(out, "%-11s ... and %zu more (see --json)\n", tag, json_array_size(list) - max);
            break;
        }
        json_t *a = json_object_get(e, "base"), *b = json_object_get(e, "new");
        fprintf(out, "%-11s ", tag);
        print_who(out, e);
        fputs(": ", out);
        if (a)
            print_outcome(out, a);
        if (a && b)
            fputs(" -> ", out);
        if (b)
            print_outcome(out, b);
        const char *msg = str(b ? b : a, "message");
        if (msg[0])
            fprintf(out, ": %s", lc_text_excerpt(msg, strlen(msg), 200));
        fputc('\n', out);
    }
}

void lc_diff_print(const json_t *diff, FILE *out)
{
    json_t *base = json_object_get(diff, "base"), *nw = json_object_get(diff, "new");
    fprintf(out, "base %s (%s, %lld results) -> new %s (%s, %lld results)\n", shown(base, "source"),
            shown(base, "platform"), (long long)json_integer_value(json_object_get(base, "results")),
            shown(nw, "source"), shown(nw, "platform"),
            (long long)json_integer_value(json_object_get(nw, "results")));
    print_list(out, diff, "regressions", "REGRESSION", (size_t)-1);
    print_list(out, diff, "fixes", "FIXED", (size_t)-1);
    print_list(out, diff, "status_changes", "CHANGED", (size_t)-1);
    print_list(out, diff, "new_results", "NEW", LIST_MAX);
    print_list(out, diff, "vanished", "VANISHED", LIST_MAX);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(diff, "measurement_changes"), i, e) {
        fprintf(out, "%-11s ", "MEASUREMENT");
        print_who(out, e);
        const char *field = str(e, "field");
        if (strcmp(field, "unit") == 0 || strcmp(field, "missing") == 0 ||
            strcmp(field, "added") == 0) {
            fprintf(out, ": %s %s\n", shown(e, "measurement"),
                    strcmp(field, "unit") == 0    ? "changed unit"
                    : strcmp(field, "added") == 0 ? "added"
                                                  : "missing");
            continue;
        }
        fprintf(out, ": %s.%s %g -> %g %s", shown(e, "measurement"), lc_text_show(field),
                json_number_value(json_object_get(e, "base")),
                json_number_value(json_object_get(e, "new")), shown(e, "unit"));
        json_t *pct = json_object_get(e, "change_pct");
        if (json_is_number(pct))
            fprintf(out, " (%+.1f%%)\n", json_number_value(pct));
        else
            fputs(" (from zero)\n", out);
    }
    fprintf(out,
            "summary: %zu regressions, %zu fixed, %zu status changes, %zu new, %zu vanished, "
            "%zu measurement changes beyond %g%%\n",
            lc_diff_regressions(diff), json_array_size(json_object_get(diff, "fixes")),
            json_array_size(json_object_get(diff, "status_changes")),
            json_array_size(json_object_get(diff, "new_results")),
            json_array_size(json_object_get(diff, "vanished")),
            json_array_size(json_object_get(diff, "measurement_changes")),
            json_number_value(json_object_get(diff, "tolerance_pct")));
}

int lc_rdiff_run(const lc_rdoc *base, const lc_rdoc *newer, const char *base_name,
                 const char *new_name, double tol, int as_json, FILE *out, char *err,
                 size_t errlen)
{
    json_t *diff = lc_rdiff_compute(base, newer, base_name, new_name, tol, err, errlen);
    if (!diff)
        return 2;
    if (as_json) {
        json_dumpf(diff, out, JSON_INDENT(2) | JSON_ENSURE_ASCII | LC_JSON_REALS);
        fputc('\n', out);
    } else {
        lc_diff_print(diff, out);
    }
    /* A vanished row fails the comparison as a regression does: a case or
     * backend that stopped running (a backend gone unavailable, a case
     * dropped from the catalogue) is not a pass, and exiting 0 let it go
     * unnoticed.  Compare runs of the same selection (docs/reports.md). */
    int rc = lc_diff_regressions(diff) || json_array_size(json_object_get(diff, "vanished")) ? 1 : 0;
    json_decref(diff);
    return rc;
}

int lc_diff_run(const json_t *base, const json_t *newer, const char *base_name,
                const char *new_name, double tol, int as_json, FILE *out, char *err,
                size_t errlen)
{
    lc_rdoc *a, *b;
    if (as_rows(base, newer, &a, &b, err, errlen) != 0)
        return 2;
    int rc = lc_rdiff_run(a, b, base_name, new_name, tol, as_json, out, err, errlen);
    lc_rdoc_free(a);
    lc_rdoc_free(b);
    return rc;
}
