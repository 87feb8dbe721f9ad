/* cases/expectations.json: what is documented to happen, per case and
 * backend (and platform condition), with the sources. */
#ifndef LC_HARNESS_EXPECTATIONS_H
#define LC_HARNESS_EXPECTATIONS_H

#include <jansson.h>

#include "runner.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lc_expectations {
    json_t *root;
    char *path;
} lc_expectations;

/* One matching entry. */
typedef struct lc_expectation {
    lc_status expected;
    unsigned known_intermittent;  /* LC_STATUS_BIT set */
    json_t *refs;                 /* borrowed array of strings */
    const char *note;             /* or NULL */
} lc_expectation;

/* Load and validate strictly.  0, or -1 with one line naming the file and
 * the field in err. */
int lc_expectations_load(lc_expectations *e, const char *path, char *err, size_t errlen);
/* Validate an already parsed document (path only names it in messages). */
int lc_expectations_validate(json_t *root, const char *path, char *err, size_t errlen);
void lc_expectations_free(lc_expectations *e);

/* The entry for (case, backend) under run_info: the backend's own list
 * first, then "*"; in each, the first entry whose `when` matches.  1 if
 * found, 0 if none. */
int lc_expectations_lookup(const lc_expectations *e, const char *case_id, const char *backend,
                           json_t *run_info, lc_expectation *out);

/* Whether a `when` object matches run_info. */
int lc_expectations_when_matches(json_t *when, json_t *run_info);

/* Compare the leading dotted-numeric parts of two versions ("6.18.0-1-amd64"
 * vs "5.11", "glibc 2.36" vs "2.34"); <0, 0, >0.  Missing parts are 0. */
int lc_version_compare(const char *a, const char *b);

/* Classify a result: expected, known_intermittent, unexpected, and the
 * entry's refs merged into the result's. */
void lc_expectations_classify(const lc_expectations *e, const char *case_id, const char *backend,
                              json_t *run_info, lc_result *r);

/* The default file: cases/expectations.json under the current directory,
 * then the source tree this was built from, then the installed copy.
 * NULL if none exists. */
const char *lc_expectations_default_path(void);

#ifdef __cplusplus
}
#endif
#endif
