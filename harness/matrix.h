/* The published matrix (loopcompat-matrix v1,
 * reports/schema/matrix-v1.schema.json): many run reports in one document,
 * with per-platform provenance.
 *
 *   {"format": "loopcompat-matrix", "format_version": 1, "generator": {...},
 *    "platforms": {PLATFORM_ID: {"run_info", "backends", "platform_limits",
 *                                "time_start", "time_end", "generator", "sources"}},
 *    "results": [{"case", "platform", "backend", "variant", "status", "expected",
 *                 "known_intermittent", "unexpected", "message", "refs",
 *                 "measurements"}]}
 *
 * Merging rules: reports of the same platform_id must have identical
 * run_info, or the merge is refused.  Runs of one platform merge: the time
 * span grows, sources accumulate, a backend available in any run is
 * available, platform limits and generator come from the later run, and
 * the later run wins per (case, backend, variant). */
#ifndef LC_MATRIX_H
#define LC_MATRIX_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "report_rows.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lc_matrix_stats {
    size_t inputs;
    size_t platforms;
    size_t results;
    size_t replaced; /* results a later run overrode */
} lc_matrix_stats;

/* Merges checked documents (reports or matrices) in order; names[i] is how
 * docs[i] is recorded in "sources".  notes (may be NULL) gets one line per
 * platform that several runs contributed to.  New reference, or NULL with
 * a one-line message in err. */
json_t *lc_matrix_merge(json_t *const *docs, const char *const *names, size_t n, FILE *notes,
                        lc_matrix_stats *stats, char *err, size_t errlen);

/* The same on documents held as rows.  The matrix's rows point into the
 * inputs, which must outlive it. */
lc_rdoc *lc_rdoc_merge(lc_rdoc *const *docs, const char *const *names, size_t n, FILE *notes,
                       lc_matrix_stats *stats, char *err, size_t errlen);

/* A single report as a one-platform matrix (what render shows). */
json_t *lc_matrix_from_report(const json_t *report, const char *name, char *err, size_t errlen);

/* {"name": "loopcompat", "version", "revision"} of this build. */
json_t *lc_matrix_generator(void);

#ifdef __cplusplus
}
#endif
#endif
