/* The run report, format v1 (reports/schema/report-v1.schema.json). */
#ifndef LC_HARNESS_REPORT_JSON_H
#define LC_HARNESS_REPORT_JSON_H

#include <stdint.h>

#include <jansson.h>

#include "runner.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lc_report_info {
    json_t *run_info;        /* borrowed */
    json_t *backends;        /* borrowed */
    json_t *platform_limits; /* borrowed */
    int64_t time_start_ms, time_end_ms;
    int incomplete;          /* the run was interrupted: some items have no result */
} lc_report_info;

/* One result row in report order of fields.  New reference. */
json_t *lc_report_result(const lc_plan_item *item, const lc_result *r);
/* The whole document, with a row for every done result.  New reference. */
json_t *lc_report_build(const lc_report_info *info, const lc_plan *plan, const lc_result *results);

/* Write doc to path atomically: a temporary file in the same directory,
 * fsync, rename.  Creates the parent directory if it is missing (one
 * level).  0, or -errno with a one-line reason in err. */
int lc_report_write(json_t *doc, const char *path, char *err, size_t errlen);

/* "reports/<platform_id>.json" into buf. */
void lc_report_default_path(json_t *run_info, char *buf, size_t len);

int64_t lc_report_now_ms(void);

#ifdef __cplusplus
}
#endif
#endif
