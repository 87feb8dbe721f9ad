/* Differences between two reports (or two matrices). */
#include "report_diff.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_load.h"
#include "text.h"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* A document's string as it may be printed (text.h): reports come from
 * anywhere, a baseline from the network. */
static const char *shown(const json_t *o, const char *key)
{
    return lc_text_show(str(o, key));
}

static int is_matrix(const json_t *doc)
{
    return strcmp(str(doc, "format"), "loopcompat-matrix") == 0;
}

static void result_key(const json_t *r, int with_platform, char *buf, size_t len)
{
    const char *v = json_string_value(json_object_get(r, "variant"));
    snprintf(buf, len, "%s\x1f%s\x1f%s\x1f%s", with_platform ? str(r, "platform") : "",
             str(r, "case"), str(r, "backend"), v ? v : "");
}

/* key -> result (borrowed), for matching. */
static json_t *index_results(const json_t *doc, int with_platform)
{
    json_t *idx = json_object();
    size_t i;
    json_t *r;
    char key[768];
    json_array_foreach(json_object_get(doc, "results"), i, r) {
        result_key(r, with_platform, key, sizeof key);
        json_object_set(idx, key, r);
    }
    return idx;
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

static const char *doc_platform(const json_t *doc)
{
    if (is_matrix(doc))
        return "matrix";
    return str(json_object_get(doc, "run_info"), "platform_id");
}

json_t *lc_diff_compute(const json_t *base, const json_t *newer, const char *base_name,
                        const char *new_name, double tol, char *err, size_t errlen)
{
    int mat = is_matrix(base);
    /* The names are kept in the diff, and printed: URLs go without their
     * credentials. */
    char bname[1024], nname[1024];
    lc_url_redact(base_name, bname, sizeof bname);
    lc_url_redact(new_name, nname, sizeof nname);
    if (mat != is_matrix(newer)) {
        snprintf(err, errlen, "%s and %s: cannot compare a report with a matrix", bname, nname);
        return NULL;
    }
    if (!(tol >= 0) || !isfinite(tol)) {
        snprintf(err, errlen, "--tolerance: expected a percentage >= 0");
        return NULL;
    }
    json_t *regs = json_array(), *fixes = json_array(), *changes = json_array();
    json_t *added = json_array(), *vanished = json_array(), *meas = json_array();
    json_t *ia = index_results(base, mat), *ib = index_results(newer, mat);
    size_t i;
    json_t *a, *b;
    char key[768];
    json_array_foreach(json_object_get(base, "results"), i, a) {
        result_key(a, mat, key, sizeof key);
        b = json_object_get(ib, key);
        if (!b) {
            json_array_append_new(vanished, pair(a, NULL, mat));
            continue;
        }
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
    json_array_foreach(json_object_get(newer, "results"), i, b) {
        result_key(b, mat, key, sizeof key);
        if (!json_object_get(ia, key))
            json_array_append_new(added, pair(NULL, b, mat));
    }
    json_decref(ia);
    json_decref(ib);
    return json_pack("{s:s, s:i, s:{s:s, s:s, s:I}, s:{s:s, s:s, s:I}, s:f, s:o, s:o, s:o, "
                     "s:o, s:o, s:o}",
                     "format", "loopcompat-diff", "format_version", 1, "base", "source",
                     bname, "platform", doc_platform(base), "results",
                     (json_int_t)json_array_size(json_object_get(base, "results")), "new",
                     "source", nname, "platform", doc_platform(newer), "results",
                     (json_int_t)json_array_size(json_object_get(newer, "results")),
                     "tolerance_pct", tol, "regressions", regs, "fixes", fixes,
                     "status_changes", changes, "new_results", added, "vanished", vanished,
                     "measurement_changes", meas);
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

int lc_diff_run(const json_t *base, const json_t *newer, const char *base_name,
                const char *new_name, double tol, int as_json, FILE *out, char *err,
                size_t errlen)
{
    json_t *diff = lc_diff_compute(base, newer, base_name, new_name, tol, err, errlen);
    if (!diff)
        return 2;
    if (as_json) {
        json_dumpf(diff, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        fputc('\n', out);
    } else {
        lc_diff_print(diff, out);
    }
    int rc = lc_diff_regressions(diff) ? 1 : 0;
    json_decref(diff);
    return rc;
}
