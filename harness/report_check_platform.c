/* Strict checks of where a run happened: run_info and a backend's probed
 * kernel features (report-v1.schema.json, $defs run_info and backend). */
#include <stdio.h>
#include <string.h>

#include "report_check_util.h"

static int lower_digit(int ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); }
static int platform_char(int ch) { return lower_digit(ch) || (ch && strchr("._-", ch)); } /* ^[a-z0-9._-]+$ */
static int word_char(int ch) { return lower_digit(ch) || ch == '-'; }   /* ^[a-z0-9-]+$ */

/* ^[0-9]+(\.[0-9]+)*$ */
static int check_version(struct lc__chk *c, const char *path, const json_t *v)
{
    const char *s = json_string_value(v);
    int ok = s && *s >= '0' && *s <= '9';
    for (const char *p = s; ok && *p; p++)
        ok = (*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9');
    return ok ? 0 : lc__bad(c, path, "\"%.40s\" does not match ^[0-9]+(\\.[0-9]+)*$", s ? s : "");
}

/* dependentRequired: `key` only with `needs`. */
static int needs(struct lc__chk *c, const char *path, const json_t *obj, const char *key,
                 const char *need)
{
    char p[LC__PATH];
    if (!json_object_get(obj, key) || json_object_get(obj, need))
        return 0;
    lc__join_key(p, path, need);
    return lc__bad(c, p, "required when %s is given", key);
}

int lc__check_run_info(struct lc__chk *c, const char *path, const json_t *ri)
{
    static const struct lc__field f[] = {
        {"platform_id", LC__T_STR, 1, LC__F_NONEMPTY}, {"os", LC__T_STR, 1, LC__F_NONEMPTY},
        {"os_version", LC__T_STR, 1, LC__F_NONEMPTY},  {"arch", LC__T_STR, 1, LC__F_NONEMPTY},
        {"libc", LC__T_STR, 1, LC__F_NONEMPTY},        {"cpu_count", LC__T_INT, 1, LC__F_POS},
        {"compiler", LC__T_STR, 1, LC__F_NONEMPTY},    {"build_type", LC__T_STR, 1, 0},
        {"runtime", LC__T_STR, 0, LC__F_NONEMPTY},     {"runtime_version", LC__T_STR, 0, LC__F_NONEMPTY},
        /* Added with the kernel columns; older reports have none of them. */
        {"virtualization", LC__T_STR, 0, LC__F_NONEMPTY}, {"hypervisor", LC__T_STR, 0, LC__F_NONEMPTY},
        {"kernel_version", LC__T_STR, 0, LC__F_NONEMPTY}, {"kernel_flavour", LC__T_STR, 0, LC__F_NONEMPTY},
        {"kernel_package", LC__T_STR, 0, LC__F_NONEMPTY},
        {"kernel_package_version", LC__T_STR, 0, LC__F_NONEMPTY},
        {NULL, 0, 0, 0}};
    char p[LC__PATH];
    if (lc__check_fields(c, path, ri, f, 1) != 0)
        return -1;
    lc__join_key(p, path, "platform_id");
    if (lc__check_chars(c, p, json_string_value(json_object_get(ri, "platform_id")), platform_char,
                        "^[a-z0-9._-]+$") != 0)
        return -1;
    static const char *const words[] = {"virtualization", "hypervisor", NULL};
    for (int i = 0; words[i]; i++) {
        lc__join_key(p, path, words[i]);
        const char *s = json_string_value(json_object_get(ri, words[i]));
        if (s && lc__check_chars(c, p, s, word_char, "^[a-z0-9-]+$") != 0)
            return -1;
    }
    lc__join_key(p, path, "kernel_flavour");
    const char *fl = json_string_value(json_object_get(ri, "kernel_flavour"));
    if (fl && lc__check_chars(c, p, fl, lower_digit, "^[a-z0-9]+$") != 0)
        return -1;
    lc__join_key(p, path, "kernel_version");
    if (json_object_get(ri, "kernel_version") &&
        check_version(c, p, json_object_get(ri, "kernel_version")) != 0)
        return -1;
    if (needs(c, path, ri, "runtime_version", "runtime") != 0 ||
        needs(c, path, ri, "kernel_package_version", "kernel_package") != 0 ||
        needs(c, path, ri, "hypervisor", "virtualization") != 0)
        return -1;
    return 0;
}

int lc__check_backend_features(struct lc__chk *c, const char *path, const json_t *features)
{
    static const struct lc__field f[] = {{"available", LC__T_BOOL, 1, 0},
                                         {"since", LC__T_STR, 1, LC__F_NONEMPTY},
                                         {"probe", LC__T_STR, 1, LC__F_NONEMPTY},
                                         {"errno", LC__T_STR, 0, LC__F_NONEMPTY},
                                         {NULL, 0, 0, 0}};
    char p[LC__PATH], q[LC__PATH];
    if (lc__want_type(c, path, features, LC__T_OBJ) != 0)
        return -1;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)features, name, v) {
        lc__join_key(p, path, name);
        if (lc__check_fields(c, p, v, f, 1) != 0)
            return -1;
        lc__join_key(q, p, "since");
        if (check_version(c, q, json_object_get(v, "since")) != 0)
            return -1;
    }
    return 0;
}
