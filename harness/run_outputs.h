/* What `loopcompat run` writes besides its report: JUnit XML (--junit),
 * TAP 13 or 14 (--tap, --tap-version), and the comparison with a baseline report (--baseline),
 * the CI gate. */
#ifndef LC_RUN_OUTPUTS_H
#define LC_RUN_OUTPUTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lc_run_outputs {
    const char *junit;    /* path or NULL */
    const char *tap;      /* path or NULL */
    const char *baseline; /* path or URL, or NULL */
    json_t *base;         /* the loaded baseline */
    int tap_version;      /* 13 or 14 (--tap-version) */
    int missing_warn;     /* --baseline-missing=warn */
} lc_run_outputs;

/* Loads the baseline before the run, so a bad one fails in a second rather
 * than after the run.  0, or -1 with a one-line message in err.  With
 * missing_warn, a baseline that does not exist (no such file, or HTTP 404
 * or 410) prints one warning line and gives 0 with no baseline: a
 * project's first run has none yet. */
int lc_run_outputs_prepare(lc_run_outputs *o, char *err, size_t errlen);

/* Narrows the baseline to what a run with these --case and --backend
 * filters can produce, so that a filtered run compared with a full
 * baseline is not told that everything it did not select VANISHED; a row
 * inside the filters that the run lacks still is.  Needs plan.h's
 * lc_plan_filter. */
struct lc_plan_filter;
void lc_run_outputs_scope(lc_run_outputs *o, const struct lc_plan_filter *f);

/* Checks every destination of the run before the first case, so that a bad
 * one fails at once and leaves nothing behind: the report (output), its
 * journal (unless the report is written in place, into a device), --junit
 * and --tap (lc_dest_check_output), and that no two of them, nor one of
 * them and an input (expectations, a --baseline path), name the same file.
 * Temporary files interrupted writers of these paths left are removed.
 * 0, or -1 with a one-line message in err. */
int lc_run_outputs_check(const lc_run_outputs *o, const char *output, const char *expectations,
                         char *err, size_t errlen);

/* After the report is written: the JUnit and TAP files, then the baseline
 * comparison printed to out.  Returns 0, 1 if the comparison found
 * regressions, 2 if a file could not be written (message on stderr). */
int lc_run_outputs_finish(lc_run_outputs *o, const json_t *report, const char *report_name,
                          FILE *out);

void lc_run_outputs_free(lc_run_outputs *o);

#ifdef __cplusplus
}
#endif
#endif
