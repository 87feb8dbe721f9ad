/* CI formats written from a report: JUnit XML and TAP 13 or 14.
 *
 * Mapping (docs/reports.md, "CI formats"):
 *   PASS as expected                 JUnit: plain testcase       TAP: ok
 *   SKIP (could not run)             <skipped>reason</skipped>   ok # SKIP
 *   UNSUPPORTED as expected          passing testcase,           ok # SKIP
 *                                    status="UNSUPPORTED", refs
 *                                    and evidence in system-out
 *   any other expected outcome       <skipped> saying so         not ok # TODO
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
/* version: 13 or 14 (anything else writes 13). */
int lc_report_write_tap(const json_t *report, const char *path, int version, char *err,
                        size_t errlen);

#define LC_TAP_VERSION_DEFAULT 13
/* "13" -> 13, "14" -> 14, anything else -> -1. */
int lc_report_tap_version_parse(const char *s);

/* The same documents to a stream (the tests use these). */
int lc_report_junit_stream(const json_t *report, FILE *out);
int lc_report_tap_stream(const json_t *report, FILE *out); /* TAP 13 */
int lc_report_tap_stream_version(const json_t *report, FILE *out, int version);

/* A result's measurements as the CI formats show them: a new object (free
 * it with json_decref) without the distributions' histograms, which are for
 * plotting and would bury the figures a reader of a CI log wants. */
json_t *lc_report_ci_measurements(const json_t *result);

/* Writes what one of the stream functions produces to path atomically. */
int lc_report_write_with(int (*fn)(const json_t *, FILE *), const json_t *report,
                         const char *path, char *err, size_t errlen);

/* refs joined with ", " into buf ("" when none). */
void lc_result_refs_text(const json_t *result, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
