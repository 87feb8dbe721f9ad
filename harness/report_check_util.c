/* Building blocks of the strict document checks. */
#include "report_check_util.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static unsigned type_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return LC__T_OBJ;
    case JSON_ARRAY: return LC__T_ARR;
    case JSON_STRING: return LC__T_STR;
    case JSON_INTEGER: return LC__T_INT;
    case JSON_REAL: return LC__T_REAL;
    case JSON_TRUE:
    case JSON_FALSE: return LC__T_BOOL;
    default: return LC__T_NULL;
    }
}

static const char *type_name(unsigned t)
{
    switch (t) {
    case LC__T_OBJ: return "object";
    case LC__T_ARR: return "array";
    case LC__T_STR: return "string";
    case LC__T_INT: return "integer";
    case LC__T_REAL: return "number";
    case LC__T_BOOL: return "boolean";
    default: return "null";
    }
}

int lc__bad(struct lc__chk *c, const char *path, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s%s%s", path, path[0] ? ": " : "", msg);
    /* Paths and values come from the document. */
    lc_text_one_line(c->err);
    return -1;
}

void lc__join_key(char *out, const char *path, const char *key)
{
    char tmp[LC__PATH];
    snprintf(tmp, sizeof tmp, "%s%s%s", path, path[0] ? "." : "", key);
    memcpy(out, tmp, sizeof tmp);
}

void lc__join_index(char *out, const char *path, size_t i)
{
    char tmp[LC__PATH];
    snprintf(tmp, sizeof tmp, "%s[%zu]", path, i);
    memcpy(out, tmp, sizeof tmp);
}

int lc__want_type(struct lc__chk *c, const char *path, const json_t *v, unsigned types)
{
    if (type_of(v) & types)
        return 0;
    char want[80] = "";
    if ((types & LC__T_NUM) == LC__T_NUM)
        types = (types & ~(unsigned)LC__T_NUM) | LC__T_REAL; /* "number" covers both */
    for (unsigned bit = 1; bit <= LC__T_NULL; bit <<= 1) {
        if (!(types & bit))
            continue;
        size_t n = strlen(want);
        snprintf(want + n, sizeof want - n, "%s%s", n ? " or " : "", type_name(bit));
    }
    return lc__bad(c, path, "expected %s, got %s", want, type_name(type_of(v)));
}

int lc__check_fields(struct lc__chk *c, const char *path, const json_t *obj,
                     const struct lc__field *f, int closed)
{
    char p[LC__PATH];
    if (lc__want_type(c, path, obj, LC__T_OBJ) != 0)
        return -1;
    for (size_t i = 0; f[i].key; i++) {
        json_t *v = json_object_get(obj, f[i].key);
        lc__join_key(p, path, f[i].key);
        if (!v) {
            if (f[i].required)
                return lc__bad(c, p, "required field missing");
            continue;
        }
        if (lc__want_type(c, p, v, f[i].types) != 0)
            return -1;
        if ((f[i].flags & LC__F_NONEMPTY) && json_is_string(v) && json_string_length(v) == 0)
            return lc__bad(c, p, "must not be empty");
        if ((f[i].flags & LC__F_NONNEG) && json_is_number(v) && json_number_value(v) < 0)
            return lc__bad(c, p, "must not be negative");
        if ((f[i].flags & LC__F_POS) && json_is_number(v) && json_number_value(v) < 1)
            return lc__bad(c, p, "must be at least 1");
    }
    if (!closed)
        return 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i;
        for (i = 0; f[i].key; i++)
            if (strcmp(f[i].key, key) == 0)
                break;
        if (!f[i].key) {
            lc__join_key(p, path, key);
            return lc__bad(c, p, "unknown field");
        }
    }
    return 0;
}

int lc__check_enum(struct lc__chk *c, const char *path, const json_t *v,
                   const char *const *allowed)
{
    const char *s = json_string_value(v);
    for (int i = 0; s && allowed[i]; i++)
        if (strcmp(s, allowed[i]) == 0)
            return 0;
    char list[300] = "";
    for (int i = 0; allowed[i]; i++) {
        size_t n = strlen(list);
        snprintf(list + n, sizeof list - n, "%s%s", i ? "," : "", allowed[i]);
    }
    if (s)
        return lc__bad(c, path, "expected one of %s, got \"%.40s\"", list, s);
    return lc__bad(c, path, "expected one of %s, got %s", list, type_name(type_of(v)));
}

int lc__check_chars(struct lc__chk *c, const char *path, const char *s, int (*ok)(int ch),
                    const char *pattern)
{
    if (!s[0])
        return lc__bad(c, path, "must not be empty");
    for (const char *q = s; *q; q++)
        if (!ok((unsigned char)*q))
            return lc__bad(c, path, "\"%.60s\" does not match %s", s, pattern);
    return 0;
}

int lc__check_string_set(struct lc__chk *c, const char *path, const json_t *arr, int nonempty)
{
    char p[LC__PATH];
    size_t i, j;
    json_t *v, *w;
    json_array_foreach(arr, i, v) {
        lc__join_index(p, path, i);
        if (lc__want_type(c, p, v, LC__T_STR) != 0)
            return -1;
        if (nonempty && json_string_length(v) == 0)
            return lc__bad(c, p, "must not be empty");
        json_array_foreach(arr, j, w) {
            if (j >= i)
                break;
            if (json_equal(v, w))
                return lc__bad(c, p, "repeats \"%.60s\"", json_string_value(v));
        }
    }
    return 0;
}
