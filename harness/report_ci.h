/* CI formats written from a report: JUnit XML and TAP 14.
 *
 * Mapping (reference: report-formats.md §9.4):
 *   PASS as expected                 JUnit: plain testcase       TAP: ok
 *   SKIP                             <skipped>                   ok # SKIP
 *   UNSUPPORTED as expected          <skipped> with its refs     ok # SKIP
 *   any other expected outcome       <skipped> saying so         not ok # TODO / ok # SKIP
 *   FAIL, UNSUPPORTED, PASS unexp.   <failure>                   not ok + YAML
 *   ERROR, CRASH, TIMEOUT unexp.     <error type="...">          not ok + YAML
 * Both files are written atomically (temp file + rename). */
#ifndef LC_REPORT_CI_H
#define LC_REPORT_CI_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

int lc_report_write_junit(const json_t *report, const char *path, char *err, size_t errlen);
int lc_report_write_tap(const json_t *report, const char *path, char *err, size_t errlen);

/* The same documents to a stream (the tests use these). */
int lc_report_junit_stream(const json_t *report, FILE *out);
int lc_report_tap_stream(const json_t *report, FILE *out);

/* Writes what one of the stream functions produces to path atomically. */
int lc_report_write_with(int (*fn)(const json_t *, FILE *), const json_t *report,
                         const char *path, char *err, size_t errlen);

/* refs joined with ", " into buf ("" when none). */
void lc_result_refs_text(const json_t *result, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
