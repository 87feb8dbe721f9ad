/* The run plan: every (case, backend, variant) to run, in report order. */
#ifndef LC_HARNESS_PLAN_H
#define LC_HARNESS_PLAN_H

#include <stddef.h>

#include "lc_case.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lc_plan_item {
    const lc_case *c;
    const char *backend;   /* a name from lc_backend_list() (static storage) */
    const char *variant;   /* from the case's variants, or NULL */
} lc_plan_item;

typedef struct lc_plan {
    lc_plan_item *items;
    size_t n, cap;
    /* The backends the plan covers, in lc_backend_list() order (available
     * and selected). */
    const char **backends;
    size_t n_backends;
} lc_plan;

typedef struct lc_plan_filter {
    const char *backends;          /* comma-separated list, NULL: all */
    const char *const *case_globs; /* fnmatch patterns (any matches), NULL-terminated; NULL: all */
    int include_stress;            /* run LC_CASE_STRESS cases */
    /* Comma-separated loop-mode variants ("coarse-timeout", "completion")
     * added as extra rows to every case and every backend that has the
     * mode; NULL: none. */
    const char *extra_variants;
} lc_plan_filter;

void lc_plan_init(lc_plan *plan);
void lc_plan_free(lc_plan *plan);
/* Append one item; 0 or LC_ENOMEM. */
int lc_plan_add(lc_plan *plan, const lc_case *c, const char *backend, const char *variant);
/* Append a backend column (once). */
int lc_plan_add_backend(lc_plan *plan, const char *backend);

/* Check a --backend list against the compiled-in backends.  0, or -1 with a
 * one-line reason in err. */
int lc_plan_check_backends(const char *list, char *err, size_t errlen);

/* Build from `cases` (count n; NULL: the registry) × available backends ×
 * variants, filtered.  0, or -1 with a one-line reason in err (unknown
 * backend, a glob that matches no case). */
int lc_plan_build(lc_plan *plan, const lc_case *const *cases, size_t n, const lc_plan_filter *f,
                  char *err, size_t errlen);

/* Check a --variants list: every name must be a loop-mode variant.  0, or
 * -1 with a one-line reason in err. */
int lc_plan_check_variants(const char *list, char *err, size_t errlen);

/* Whether backend `name` appears in the comma-separated list (NULL: yes). */
int lc_plan_list_has(const char *list, const char *name);

#ifdef __cplusplus
}
#endif
#endif
