/* Comparing two runs: what `loopcompat diff` and `run --baseline` print.
 *
 * Results are matched by (case, backend, variant), and also platform when
 * both documents are matrices.  A regression is a result that was as
 * expected in the base and is unexpected now; a fix the reverse.  Status
 * changes with no change of expectedness, new and vanished results, and
 * measurements (value, counter, limit, distribution p50/p99) that moved
 * by more than the tolerance are listed but are not regressions. */
#ifndef LC_REPORT_DIFF_H
#define LC_REPORT_DIFF_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "report_rows.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Timer measurements on shared CI machines move by tens of percent from
 * run to run; smaller changes are noise. */
#define LC_DIFF_DEFAULT_TOLERANCE_PCT 25.0

/* A "loopcompat-diff" document: {"format", "format_version", "base", "new",
 * "tolerance_pct", "regressions": [...], "fixes", "status_changes", "new_results",
 * "vanished", "measurement_changes"}.  base_name and new_name are how the
 * inputs are named in it.  New reference, or NULL with err (documents of
 * different kinds). */
json_t *lc_diff_compute(const json_t *base, const json_t *newer, const char *base_name,
                        const char *new_name, double tolerance_pct, char *err, size_t errlen);

/* The same on documents held as rows. */
json_t *lc_rdiff_compute(const lc_rdoc *base, const lc_rdoc *newer, const char *base_name,
                         const char *new_name, double tolerance_pct, char *err, size_t errlen);

size_t lc_diff_regressions(const json_t *diff);

/* Human-readable listing, one line per finding, then a summary line. */
void lc_diff_print(const json_t *diff, FILE *out);

/* The whole `diff` behaviour on two loaded documents: prints (text, or JSON
 * when as_json) and returns the exit status: 1 with regressions, 0
 * without, 2 on bad input (message in err). */
int lc_diff_run(const json_t *base, const json_t *newer, const char *base_name,
                const char *new_name, double tolerance_pct, int as_json, FILE *out, char *err,
                size_t errlen);

int lc_rdiff_run(const lc_rdoc *base, const lc_rdoc *newer, const char *base_name,
                 const char *new_name, double tolerance_pct, int as_json, FILE *out, char *err,
                 size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
