/* Strict loading of report (loopcompat-report v1) and matrix
 * (loopcompat-matrix v1) documents.
 *
 * The checks mirror reports/schema/report-v1.schema.json and
 * matrix-v1.schema.json, plus what a schema cannot say ((case, backend,
 * variant) unique, results only for available backends, percentiles in
 * order, time_end >= time_start).  An error names the first offending
 * field: "results[3].status: expected one of PASS,FAIL,...". */
#ifndef LC_REPORT_LOAD_H
#define LC_REPORT_LOAD_H

#include <jansson.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The minor version the writers put in "format_minor": additions to
 * format 1 that old readers can ignore (1: a distribution may carry a
 * "histogram"; 2: a matrix's results may carry the report's "evidence" and
 * "duration_ms").  Documents without it (written before it existed) are
 * minor 0 and load as ever. */
#define LC_REPORT_FORMAT_MINOR 2

typedef enum lc_doc_kind {
    LC_DOC_ANY = 0, /* as an argument: either kind */
    LC_DOC_REPORT = 1,
    LC_DOC_MATRIX = 2
} lc_doc_kind;

/* Checks a parsed document of the given kind (LC_DOC_ANY: decided by its
 * "format").  Returns the kind, or -1 with a one-line message in err. */
int lc_doc_check(const json_t *doc, lc_doc_kind want, char *err, size_t errlen);
int lc_report_check(const json_t *doc, char *err, size_t errlen);
int lc_matrix_check(const json_t *doc, char *err, size_t errlen);
/* Checks results[i] (r) of doc, a document of the given kind whose top
 * level passed its checks: everything the document check says of one
 * result but that its (platform,) case, backend and variant are unique. */
int lc_doc_check_result(const json_t *doc, lc_doc_kind kind, size_t i, const json_t *r,
                        char *err, size_t errlen);

/* Reads (path or http/https/file URL), parses and checks a document.
 * Errors are "SRC: what" on one line.  *kind gets the document's kind when
 * not NULL.  New reference, or NULL. */
json_t *lc_doc_load(const char *src, lc_doc_kind want, lc_doc_kind *kind, char *err,
                    size_t errlen);

/* Parses and checks a document already in memory; name is used in errors. */
json_t *lc_doc_parse(const char *name, const char *data, size_t len, lc_doc_kind want,
                     lc_doc_kind *kind, char *err, size_t errlen);

/* The statuses of report v1, in the order the tools list them. */
extern const char *const lc_report_statuses[];
int lc_report_status_known(const char *s);

/* The expected status, or a phrase for a result without an expectation. */
const char *lc_result_expected_text(const json_t *result);

/* "case" + " [variant]" when the result has one: how the tools name a row. */
void lc_result_label(const json_t *result, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
