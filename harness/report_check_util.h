/* Building blocks of the strict document checks (report_check.c): typed
 * fields, enums, name patterns, and error messages that name the field by
 * its path ("results[3].status"). */
#ifndef LC_REPORT_CHECK_UTIL_H
#define LC_REPORT_CHECK_UTIL_H

#include <jansson.h>
#include <stddef.h>

enum {
    LC__T_OBJ = 1,
    LC__T_ARR = 2,
    LC__T_STR = 4,
    LC__T_INT = 8,
    LC__T_REAL = 16,
    LC__T_BOOL = 32,
    LC__T_NULL = 64,
    LC__T_NUM = LC__T_INT | LC__T_REAL
};

enum {
    LC__F_NONEMPTY = 1, /* a string: minLength 1 */
    LC__F_NONNEG = 2,   /* a number: minimum 0 */
    LC__F_POS = 4       /* a number: minimum 1 */
};

struct lc__field {
    const char *key;
    unsigned types;
    int required;
    unsigned flags;
};

struct lc__chk {
    char *err;
    size_t errlen;
};

#define LC__PATH 256

int lc__bad(struct lc__chk *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lc__join_key(char *out, const char *path, const char *key);
void lc__join_index(char *out, const char *path, size_t i);
int lc__want_type(struct lc__chk *c, const char *path, const json_t *v, unsigned types);
/* Required fields present, typed and within their flags; with closed set,
 * no other keys (additionalProperties: false). */
int lc__check_fields(struct lc__chk *c, const char *path, const json_t *obj,
                     const struct lc__field *f, int closed);
int lc__check_enum(struct lc__chk *c, const char *path, const json_t *v,
                   const char *const *allowed);
/* Every character of a non-empty s satisfies ok (a schema "pattern" over
 * one character class). */
int lc__check_chars(struct lc__chk *c, const char *path, const char *s, int (*ok)(int ch),
                    const char *pattern);
/* An array of distinct strings (uniqueItems), each non-empty if nonempty. */
int lc__check_string_set(struct lc__chk *c, const char *path, const json_t *arr, int nonempty);

/* report_check_platform.c: run_info, and a backend's "features". */
int lc__check_run_info(struct lc__chk *c, const char *path, const json_t *ri);
int lc__check_backend_features(struct lc__chk *c, const char *path, const json_t *features);

#endif
