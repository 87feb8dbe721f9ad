/* The harness side of the case API: creating a case context, and turning
 * what the case recorded into the result record sent back to the parent. */
#ifndef LC_HARNESS_RESULT_H
#define LC_HARNESS_RESULT_H

#include <jansson.h>

#include "lc_case.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every status a report can carry, as a bit per lc_status. */
#define LC_STATUS_BIT(s) (1u << (unsigned)(s))

/* A context for one case run.  The strings are borrowed and must outlive
 * the context; opts is copied. */
lc_case_ctx *lc_ctx_new(const char *backend, const char *variant, const lc_loop_options *opts,
                        const char *tmpdir);
void lc_ctx_free(lc_case_ctx *ctx);

/* A leak found after the case returned ("fd 7 (pipe:[1234])"): recorded in
 * the evidence, and a PASS becomes a FAIL naming it. */
void lc_ctx_note_leak(lc_case_ctx *ctx, const char *what);

/* The result record: {"status", "message", "evidence", "refs",
 * "measurements"}.  A case that recorded no status, or misused the API
 * (unknown unit, empty or non-finite measurement), yields ERROR.  New
 * reference. */
json_t *lc_ctx_record(lc_case_ctx *ctx);

/* A JSON string for text that may not be UTF-8 (bytes >= 0x80 become '?'
 * if it is not); null for NULL.  New reference. */
json_t *lc_json_text(const char *s);

/* Units a measurement may carry (the report schema's enum).  NULL-terminated. */
extern const char *const lc_measurement_units[];
int lc_unit_known(const char *unit);

#ifdef __cplusplus
}
#endif
#endif
