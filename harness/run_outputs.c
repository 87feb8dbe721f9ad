/* JUnit, TAP and baseline comparison at the end of `loopcompat run`. */
#include "run_outputs.h"

#include "report_ci.h"
#include "report_diff.h"
#include "report_load.h"

int lc_run_outputs_prepare(lc_run_outputs *o, char *err, size_t errlen)
{
    o->base = NULL;
    if (!o->baseline)
        return 0;
    char lerr[768];
    o->base = lc_doc_load(o->baseline, LC_DOC_REPORT, NULL, lerr, sizeof lerr);
    if (!o->base) {
        snprintf(err, errlen, "--baseline: %s", lerr);
        return -1;
    }
    return 0;
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
        if (lc_report_write_tap(report, o->tap, err, sizeof err) != 0) {
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

void lc_run_outputs_free(lc_run_outputs *o)
{
    json_decref(o->base);
    o->base = NULL;
}
