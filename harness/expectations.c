/* Loading, validating and matching cases/expectations.json. */
#include "expectations.h"
#include "report_dest.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "result.h"

#define FORMAT_NAME "loopcompat-expectations"
/* The file is a few tens of KiB; anything this big is not one. */
#define LC_EXPECTATIONS_MAX_BYTES (16 << 20)

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* Keys and values come from the file. */
    lc_text_one_line(err);
    return -1;
}

static int id_char(int c, int allow_slash)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (allow_slash && c == '/');
}

/* "area/name": lower case, digits and hyphens, one slash. */
static int valid_case_id(const char *id)
{
    const char *slash = strchr(id, '/');
    if (!slash || slash == id || !slash[1] || strchr(slash + 1, '/'))
        return 0;
    for (const char *p = id; *p; p++)
        if (!id_char((unsigned char)*p, 1))
            return 0;
    return 1;
}

static int valid_backend_key(const char *k)
{
    if (strcmp(k, "*") == 0)
        return 1;
    if (!*k)
        return 0;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

static int is_scalar(json_t *v)
{
    return json_is_string(v) || json_is_integer(v) || json_is_boolean(v);
}

static int validate_when(json_t *when, const char *where, char *err, size_t errlen)
{
    if (!json_is_object(when))
        return fail(err, errlen, "%s.when: must be an object", where);
    const char *key;
    json_t *v;
    json_object_foreach(when, key, v)
    {
        if (!*key)
            return fail(err, errlen, "%s.when: empty key", where);
        if (is_scalar(v))
            continue;
        if (json_is_array(v)) {
            size_t i;
            json_t *x;
            if (json_array_size(v) == 0)
                return fail(err, errlen, "%s.when.%s: empty list", where, key);
            json_array_foreach(v, i, x) if (!is_scalar(x)) return fail(
                err, errlen, "%s.when.%s[%zu]: must be a string, integer or boolean", where, key, i);
            continue;
        }
        if (json_is_object(v)) {
            const char *op;
            json_t *bound;
            if (json_object_size(v) == 0)
                return fail(err, errlen, "%s.when.%s: empty comparison", where, key);
            json_object_foreach(v, op, bound)
            {
                if (strcmp(op, "lt") && strcmp(op, "le") && strcmp(op, "gt") && strcmp(op, "ge"))
                    return fail(err, errlen, "%s.when.%s: unknown comparison '%s' (lt, le, gt, ge)",
                                where, key, op);
                if (!json_is_string(bound) || !isdigit((unsigned char)json_string_value(bound)[0]))
                    return fail(err, errlen, "%s.when.%s.%s: must be a version string such as \"5.11\"",
                                where, key, op);
            }
            continue;
        }
        return fail(err, errlen, "%s.when.%s: must be a string, a list or a {lt,le,gt,ge} object",
                    where, key);
    }
    return 0;
}

static int validate_status_list(json_t *v, const char *where, const char *field, char *err,
                                size_t errlen)
{
    if (!json_is_array(v))
        return fail(err, errlen, "%s.%s: must be a list", where, field);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x) || lc_status_from_name(json_string_value(x)) == LC_STATUS_NONE)
            return fail(err, errlen, "%s.%s[%zu]: not a status", where, field, i);
    }
    return 0;
}

static int validate_entry(json_t *entry, const char *where, char *err, size_t errlen)
{
    if (!json_is_object(entry))
        return fail(err, errlen, "%s: must be an object", where);
    const char *key;
    json_t *v;
    json_object_foreach(entry, key, v)
    {
        if (strcmp(key, "when") && strcmp(key, "expected") && strcmp(key, "known_intermittent") &&
            strcmp(key, "refs") && strcmp(key, "note"))
            return fail(err, errlen, "%s.%s: unknown field", where, key);
    }
    json_t *exp = json_object_get(entry, "expected");
    if (!exp)
        return fail(err, errlen, "%s.expected: missing", where);
    if (!json_is_string(exp) || lc_status_from_name(json_string_value(exp)) == LC_STATUS_NONE)
        return fail(err, errlen, "%s.expected: not a status (PASS, FAIL, UNSUPPORTED, TIMEOUT, CRASH, SKIP, ERROR)",
                    where);
    if ((v = json_object_get(entry, "known_intermittent")) &&
        validate_status_list(v, where, "known_intermittent", err, errlen) < 0)
        return -1;
    json_t *refs = json_object_get(entry, "refs");
    if (refs) {
        size_t i;
        json_t *x;
        if (!json_is_array(refs))
            return fail(err, errlen, "%s.refs: must be a list of strings", where);
        json_array_foreach(refs, i, x) if (!json_is_string(x) || !*json_string_value(x)) return fail(
            err, errlen, "%s.refs[%zu]: must be a non-empty string", where, i);
    }
    /* A documented refusal is only documented if it says where. */
    if (strcmp(json_string_value(exp), "UNSUPPORTED") == 0 && json_array_size(refs) == 0)
        return fail(err, errlen, "%s.refs: an UNSUPPORTED expectation needs at least one ref", where);
    if ((v = json_object_get(entry, "note")) && !json_is_string(v))
        return fail(err, errlen, "%s.note: must be a string", where);
    if ((v = json_object_get(entry, "when")) && validate_when(v, where, err, errlen) < 0)
        return -1;
    return 0;
}

int lc_expectations_validate(json_t *root, const char *path, char *err, size_t errlen)
{
    char where[512];
    if (!json_is_object(root))
        return fail(err, errlen, "%s: the top level must be an object", path);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "format") && strcmp(key, "format_version") && strcmp(key, "cases") &&
            strcmp(key, "$comment"))
            return fail(err, errlen, "%s: %s: unknown field", path, key);
    }
    v = json_object_get(root, "format");
    if (!json_is_string(v) || strcmp(json_string_value(v), FORMAT_NAME) != 0)
        return fail(err, errlen, "%s: format: must be \"" FORMAT_NAME "\"", path);
    v = json_object_get(root, "format_version");
    if (!json_is_integer(v) || json_integer_value(v) != 1)
        return fail(err, errlen, "%s: format_version: must be 1", path);
    json_t *cases = json_object_get(root, "cases");
    if (!json_is_object(cases))
        return fail(err, errlen, "%s: cases: must be an object", path);
    const char *id;
    json_t *per_backend;
    json_object_foreach(cases, id, per_backend)
    {
        if (!valid_case_id(id))
            return fail(err, errlen, "%s: cases[\"%s\"]: not a case id (area/name, lower case)", path, id);
        if (!json_is_object(per_backend) || json_object_size(per_backend) == 0)
            return fail(err, errlen, "%s: cases[\"%s\"]: must be a non-empty object of backends", path, id);
        const char *backend;
        json_t *list;
        json_object_foreach(per_backend, backend, list)
        {
            if (!valid_backend_key(backend))
                return fail(err, errlen, "%s: cases[\"%s\"][\"%s\"]: not a backend name or \"*\"", path,
                            id, backend);
            if (!json_is_array(list) || json_array_size(list) == 0)
                return fail(err, errlen, "%s: cases[\"%s\"][\"%s\"]: must be a non-empty list", path, id,
                            backend);
            size_t i;
            json_t *entry;
            json_array_foreach(list, i, entry)
            {
                snprintf(where, sizeof where, "%s: cases[\"%s\"][\"%s\"][%zu]", path, id, backend, i);
                if (validate_entry(entry, where, err, errlen) < 0)
                    return -1;
                if (!json_object_get(entry, "when") && i + 1 < json_array_size(list))
                    return fail(err, errlen,
                                "%s.when: missing, which makes entry %zu and later unreachable", where,
                                i + 1);
            }
        }
    }
    return 0;
}

int lc_expectations_load(lc_expectations *e, const char *path, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    /* json_load_file would report a directory or a runaway file as a
     * syntax error at its end, and block on a FIFO; say what is wrong
     * instead (lc_dest_open_input refuses anything but a regular file). */
    int fd = lc_dest_open_input(path, err, errlen);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int en = errno;
        close(fd);
        return fail(err, errlen, "%s: %s", path, strerror(en));
    }
    if (st.st_size > LC_EXPECTATIONS_MAX_BYTES) {
        close(fd);
        return fail(err, errlen, "%s: larger than %d MiB", path, LC_EXPECTATIONS_MAX_BYTES >> 20);
    }
    json_error_t je;
    json_t *root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &je);
    close(fd);
    if (!root) {
        if (je.line > 0)
            return fail(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return fail(err, errlen, "%s: %s", path, je.text);
    }
    if (lc_expectations_validate(root, path, err, errlen) < 0) {
        json_decref(root);
        return -1;
    }
    e->root = root;
    e->path = strdup(path);
    return 0;
}

void lc_expectations_free(lc_expectations *e)
{
    json_decref(e->root);
    free(e->path);
    memset(e, 0, sizeof *e);
}

int lc_version_compare(const char *a, const char *b)
{
    while (*a && !isdigit((unsigned char)*a))
        a++;
    while (*b && !isdigit((unsigned char)*b))
        b++;
    for (;;) {
        int ha = isdigit((unsigned char)*a), hb = isdigit((unsigned char)*b);
        if (!ha && !hb)
            return 0;
        unsigned long x = ha ? strtoul(a, (char **)&a, 10) : 0;
        unsigned long y = hb ? strtoul(b, (char **)&b, 10) : 0;
        if (x != y)
            return x < y ? -1 : 1;
        /* Only a '.' followed by a digit continues a version. */
        a = (*a == '.' && isdigit((unsigned char)a[1])) ? a + 1 : "";
        b = (*b == '.' && isdigit((unsigned char)b[1])) ? b + 1 : "";
    }
}

/* A run_info value as text for comparisons: strings as they are, integers
 * and booleans printed. */
static const char *as_text(json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return NULL;
}

static int scalar_matches(json_t *cond, json_t *actual)
{
    char b1[32], b2[32];
    const char *x = as_text(cond, b1, sizeof b1), *y = as_text(actual, b2, sizeof b2);
    return x && y && strcmp(x, y) == 0;
}

int lc_expectations_when_matches(json_t *when, json_t *run_info)
{
    if (!when)
        return 1;
    const char *key;
    json_t *cond;
    json_object_foreach(when, key, cond)
    {
        json_t *actual = json_object_get(run_info, key);
        if (!actual)
            return 0;
        if (json_is_array(cond)) {
            size_t i;
            json_t *x;
            int any = 0;
            json_array_foreach(cond, i, x) any |= scalar_matches(x, actual);
            if (!any)
                return 0;
        } else if (json_is_object(cond)) {
            char buf[32];
            const char *have = as_text(actual, buf, sizeof buf);
            if (!have)
                return 0;
            const char *op;
            json_t *bound;
            json_object_foreach(cond, op, bound)
            {
                int c = lc_version_compare(have, json_string_value(bound));
                int ok = (!strcmp(op, "lt") && c < 0) || (!strcmp(op, "le") && c <= 0) ||
                         (!strcmp(op, "gt") && c > 0) || (!strcmp(op, "ge") && c >= 0);
                if (!ok)
                    return 0;
            }
        } else if (!scalar_matches(cond, actual)) {
            return 0;
        }
    }
    return 1;
}

static int first_match(json_t *list, json_t *run_info, lc_expectation *out)
{
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry)
    {
        if (!lc_expectations_when_matches(json_object_get(entry, "when"), run_info))
            continue;
        out->expected = lc_status_from_name(json_string_value(json_object_get(entry, "expected")));
        out->known_intermittent = 0;
        json_t *ki = json_object_get(entry, "known_intermittent"), *x;
        size_t k;
        json_array_foreach(ki, k, x) out->known_intermittent |=
            LC_STATUS_BIT(lc_status_from_name(json_string_value(x)));
        out->refs = json_object_get(entry, "refs");
        out->note = json_string_value(json_object_get(entry, "note"));
        return 1;
    }
    return 0;
}

int lc_expectations_lookup(const lc_expectations *e, const char *case_id, const char *backend,
                           json_t *run_info, lc_expectation *out)
{
    memset(out, 0, sizeof *out);
    if (!e || !e->root)
        return 0;
    json_t *per_backend = json_object_get(json_object_get(e->root, "cases"), case_id);
    if (!per_backend)
        return 0;
    json_t *own = json_object_get(per_backend, backend);
    if (own && first_match(own, run_info, out))
        return 1;
    json_t *any = json_object_get(per_backend, "*");
    return any && first_match(any, run_info, out);
}

void lc_expectations_classify(const lc_expectations *e, const char *case_id, const char *backend,
                              json_t *run_info, lc_result *r)
{
    lc_expectation x;
    if (!r->refs)
        r->refs = json_array();
    if (!lc_expectations_lookup(e, case_id, backend, run_info, &x)) {
        r->has_expectation = 0;
        r->expected = LC_STATUS_NONE;
        r->known_intermittent = 0;
        r->unexpected = 1;
        char *m = NULL;
        if (asprintf(&m, "%s%sno expectation for %s on %s in %s", r->message ? r->message : "",
                     r->message ? "; " : "", case_id, backend,
                     e && e->path ? e->path : "the expectations file") >= 0) {
            free(r->message);
            r->message = m;
        }
        return;
    }
    r->has_expectation = 1;
    r->expected = x.expected;
    r->known_intermittent = x.known_intermittent;
    r->unexpected = r->status != x.expected && !(x.known_intermittent & LC_STATUS_BIT(r->status));
    size_t i, j;
    json_t *ref, *have;
    json_array_foreach(x.refs, i, ref)
    {
        int dup = 0;
        json_array_foreach(r->refs, j, have) dup |= json_equal(ref, have);
        if (!dup)
            json_array_append(r->refs, ref);
    }
}

#ifndef LC_SOURCE_DIR
#define LC_SOURCE_DIR ""
#endif
#ifndef LC_DATA_DIR
#define LC_DATA_DIR ""
#endif

const char *lc_expectations_default_path(void)
{
    static char buf[4096];
    const char *rel = "cases/expectations.json";
    if (access(rel, R_OK) == 0)
        return rel;
    if (LC_SOURCE_DIR[0]) {
        snprintf(buf, sizeof buf, "%s/%s", LC_SOURCE_DIR, rel);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    if (LC_DATA_DIR[0]) {
        snprintf(buf, sizeof buf, "%s/loopcompat/expectations.json", LC_DATA_DIR);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    return NULL;
}
