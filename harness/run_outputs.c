/* JUnit, TAP and baseline comparison at the end of `loopcompat run`. */
#include "run_outputs.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "plan.h"
#include "report_ci.h"
#include "report_io.h"
#include "report_dest.h"
#include "report_diff.h"
#include "report_load.h"

int lc_run_outputs_prepare(lc_run_outputs *o, char *err, size_t errlen)
{
    o->base = NULL;
    if (!o->baseline)
        return 0;
    char lerr[768];
    o->base = lc_doc_load(o->baseline, LC_DOC_REPORT, NULL, lerr, sizeof lerr);
    if (!o->base && o->missing_warn && lc_report_fetch_missing()) {
        fprintf(stderr, "loopcompat run: warning: --baseline: %s; going on without a baseline\n",
                lerr);
        return 0;
    }
    if (!o->base) {
        snprintf(err, errlen, "--baseline: %s", lerr);
        return -1;
    }
    return 0;
}

int lc_run_outputs_check(const lc_run_outputs *o, const char *output, const char *expectations,
                         char *err, size_t errlen)
{
    char derr[768];
    int in_place = lc_dest_in_place(output);
    char *journal = in_place ? NULL : lc_journal_path(output);
    if (!in_place && !journal) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Outputs first, then inputs; each output against everything before. */
    struct {
        const char *opt, *path;
        int output;
    } f[] = {
        {"--output", output, 1},      {"the journal", journal, 1}, {"--junit", o->junit, 1},
        {"--tap", o->tap, 1},         {"--expectations", expectations, 0},
        {"--baseline", o->baseline && !lc_report_is_url(o->baseline) ? o->baseline : NULL, 0},
    };
    size_t n = sizeof f / sizeof f[0];
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        if (!f[i].path || !f[i].output || i == 1)
            continue;
        /* The report's directory may be made (reports/ by default). */
        if (lc_dest_check_output(f[i].path, i == 0, derr, sizeof derr) != 0) {
            snprintf(err, errlen, "%s: %s", f[i].opt, derr);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++) {
            if (!f[i].path || !f[k].path || !f[i].output)
                continue;
            /* Two writes into one device (/dev/null) are harmless. */
            if (lc_dest_in_place(f[i].path) && lc_dest_in_place(f[k].path))
                continue;
            if (lc_dest_same_file(f[i].path, f[k].path)) {
                snprintf(err, errlen, "%s %s and %s %s name the same file", f[i].opt, f[i].path,
                         f[k].opt, f[k].path);
                goto out;
            }
        }
    rc = 0;
out:
    free(journal);
    return rc;
}

int lc_run_outputs_finish(lc_run_outputs *o, const json_t *report, const char *report_name,
                          FILE *out)
{
    char err[768];
    if (o->junit) {
        if (lc_report_write_junit(report, o->junit, err, sizeof err) != 0) {
            fprintf(stderr, "loopcompat run: --junit: %s\n", err);
            return 2;
        }
        fprintf(out, "junit: %s\n", o->junit);
    }
    if (o->tap) {
        if (lc_report_write_tap(report, o->tap, o->tap_version, err, sizeof err) != 0) {
            fprintf(stderr, "loopcompat run: --tap: %s\n", err);
            return 2;
        }
        fprintf(out, "tap: %s\n", o->tap);
    }
    if (!o->base)
        return 0;
    fputs("compared with the baseline:\n", out);
    int rc = lc_diff_run(o->base, report, o->baseline, report_name,
                         LC_DIFF_DEFAULT_TOLERANCE_PCT, 0, out, err, sizeof err);
    if (rc == 2)
        fprintf(stderr, "loopcompat run: --baseline: %s\n", err);
    return rc;
}

static int in_scope(const json_t *r, const lc_plan_filter *f)
{
    const char *c = json_string_value(json_object_get(r, "case"));
    const char *b = json_string_value(json_object_get(r, "backend"));
    if (!c || !b || !lc_plan_list_has(f->backends, b))
        return 0;
    if (!f->case_globs)
        return 1;
    for (const char *const *g = f->case_globs; *g; g++)
        if (fnmatch(*g, c, 0) == 0)
            return 1;
    return 0;
}

void lc_run_outputs_scope(lc_run_outputs *o, const lc_plan_filter *f)
{
    json_t *rows = json_object_get(o->base, "results");
    if (!json_is_array(rows))
        return;
    for (size_t i = json_array_size(rows); i-- > 0;)
        if (!in_scope(json_array_get(rows, i), f))
            json_array_remove(rows, i);
}

void lc_run_outputs_free(lc_run_outputs *o)
{
    json_decref(o->base);
    o->base = NULL;
}
