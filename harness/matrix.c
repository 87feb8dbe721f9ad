/* Building the loopcompat-matrix document from reports and matrices. */
#include "matrix.h"

#include <stdlib.h>
#include <string.h>

#include "loopcompat/loop.h"
#include "report_load.h"
#include "text.h"

json_t *lc_matrix_generator(void)
{
    return json_pack("{s:s, s:s, s:s}", "name", "loopcompat", "version", LC_VERSION_STRING, "revision",
                     LC_REVISION);
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static const char *const result_fields[] = {
    "case",       "backend", "variant", "status",       "expected", "known_intermittent",
    "unexpected", "message", "refs",    "measurements", NULL};

static json_t *matrix_result(const json_t *r, const char *platform)
{
    json_t *m = json_object();
    json_object_set_new(m, "case", json_string(str(r, "case")));
    json_object_set_new(m, "platform", json_string(platform));
    for (int i = 1; result_fields[i]; i++)
        json_object_set_new(m, result_fields[i], json_deep_copy(json_object_get(r, result_fields[i])));
    return m;
}

/* One platform entry from a report. */
static json_t *platform_of_report(const json_t *report, const char *name)
{
    return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:[s]}", "run_info",
                     json_object_get(report, "run_info"), "backends",
                     json_object_get(report, "backends"), "platform_limits",
                     json_object_get(report, "platform_limits"), "time_start",
                     json_object_get(report, "time_start"), "time_end",
                     json_object_get(report, "time_end"), "generator",
                     json_object_get(report, "generator"), "sources", name);
}

struct acc {
    json_t *platforms; /* the output "platforms" */
    json_t *index;     /* key -> result */
    json_t *order;     /* results in first-seen order */
    json_t *runs;      /* platform id -> number of runs merged */
    size_t replaced;
};

/* The first run_info key whose value differs, for the error message. */
static const char *first_difference(const json_t *a, const json_t *b)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)a, key, v)
        if (!json_equal(v, json_object_get(b, key)))
            return key;
    json_object_foreach((json_t *)b, key, v)
        if (!json_object_get(a, key))
            return key;
    return "?";
}

static void describe(char *buf, size_t len, const json_t *v)
{
    char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    snprintf(buf, len, "%s", s ? s : "(absent)");
    free(s);
}

static const char *first_source(const json_t *pl)
{
    const char *s = json_string_value(json_array_get(json_object_get(pl, "sources"), 0));
    return s ? s : "?";
}

static int add_platform(struct acc *a, const char *pid, const json_t *pl, char *err,
                        size_t errlen)
{
    json_t *have = json_object_get(a->platforms, pid);
    json_object_set_new(a->runs, pid,
                        json_integer(json_integer_value(json_object_get(a->runs, pid)) + 1));
    if (!have) {
        json_object_set_new(a->platforms, pid, json_deep_copy(pl));
        return 0;
    }
    json_t *ri0 = json_object_get(have, "run_info"), *ri1 = json_object_get(pl, "run_info");
    if (!json_equal(ri0, ri1)) {
        const char *key = first_difference(ri0, ri1);
        char v0[128], v1[128];
        describe(v0, sizeof v0, json_object_get(ri0, key));
        describe(v1, sizeof v1, json_object_get(ri1, key));
        snprintf(err, errlen,
                 "platform %s: run_info.%s differs between %s (%s) and %s (%s); runs of one "
                 "platform_id must come from the same host and build",
                 pid, key, first_source(have), v0, first_source(pl), v1);
        return -1;
    }
    json_int_t t0 = json_integer_value(json_object_get(pl, "time_start"));
    json_int_t t1 = json_integer_value(json_object_get(pl, "time_end"));
    if (t0 < json_integer_value(json_object_get(have, "time_start")))
        json_object_set_new(have, "time_start", json_integer(t0));
    if (t1 > json_integer_value(json_object_get(have, "time_end")))
        json_object_set_new(have, "time_end", json_integer(t1));
    /* A source named twice (a report merged again into a matrix holding
     * it) is listed once. */
    json_t *sources = json_object_get(have, "sources");
    size_t i, j;
    json_t *s, *t;
    json_array_foreach(json_object_get(pl, "sources"), i, s) {
        int dup = 0;
        json_array_foreach(sources, j, t)
            dup |= json_equal(s, t);
        if (!dup)
            json_array_append(sources, s);
    }
    json_object_set(have, "generator", json_object_get(pl, "generator"));
    json_object_update(json_object_get(have, "platform_limits"),
                       json_object_get(pl, "platform_limits"));
    const char *name;
    json_t *b;
    json_t *backends = json_object_get(have, "backends");
    json_object_foreach(json_object_get(pl, "backends"), name, b) {
        json_t *old = json_object_get(backends, name);
        /* Results from the run where a backend was available are kept, so
         * it stays available. */
        if (!old || json_is_true(json_object_get(b, "available")))
            json_object_set_new(backends, name, json_deep_copy(b));
    }
    return 0;
}

static void add_result(struct acc *a, json_t *r /* stolen */)
{
    char key[768];
    const char *v = json_string_value(json_object_get(r, "variant"));
    snprintf(key, sizeof key, "%s\x1f%s\x1f%s\x1f%s", str(r, "platform"), str(r, "case"),
             str(r, "backend"), v ? v : "");
    json_t *old = json_object_get(a->index, key);
    if (old) {
        /* Later wins: replace the content in place, keeping its position. */
        json_object_clear(old);
        json_object_update(old, r);
        json_decref(r);
        a->replaced++;
        return;
    }
    json_object_set(a->index, key, r);
    json_array_append_new(a->order, r);
}

static int cmp_result(const void *x, const void *y)
{
    const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    static const char *const keys[] = {"case", "platform", "backend", NULL};
    for (int i = 0; keys[i]; i++) {
        int c = strcmp(str(a, keys[i]), str(b, keys[i]));
        if (c)
            return c;
    }
    return strcmp(str(a, "variant"), str(b, "variant"));
}

static json_t *sorted(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    json_t *out = json_array();
    if (!v)
        return out;
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(arr, i);
    qsort(v, n, sizeof *v, cmp_result);
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

json_t *lc_matrix_merge(json_t *const *docs, const char *const *names, size_t n, FILE *notes,
                        lc_matrix_stats *stats, char *err, size_t errlen)
{
    struct acc a = {json_object(), json_object(), json_array(), json_object(), 0};
    char perr[512];
    for (size_t d = 0; d < n; d++) {
        const json_t *doc = docs[d];
        int is_matrix = strcmp(str(doc, "format"), "loopcompat-matrix") == 0;
        if (!is_matrix) {
            const char *pid = str(json_object_get(doc, "run_info"), "platform_id");
            json_t *pl = platform_of_report(doc, names[d]);
            int rc = add_platform(&a, pid, pl, perr, sizeof perr);
            json_decref(pl);
            if (rc != 0)
                goto fail;
        } else {
            const char *pid;
            json_t *pl;
            json_object_foreach(json_object_get(doc, "platforms"), pid, pl)
                if (add_platform(&a, pid, pl, perr, sizeof perr) != 0)
                    goto fail;
        }
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(doc, "results"), i, r) {
            const char *pid =
                is_matrix ? str(r, "platform") : str(json_object_get(doc, "run_info"), "platform_id");
            add_result(&a, matrix_result(r, pid));
        }
    }
    const char *pid;
    json_t *count;
    json_object_foreach(a.runs, pid, count)
        if (notes && json_integer_value(count) > 1)
            fprintf(notes,
                    "merge: platform %s: %lld runs merged; the later run wins per (case, "
                    "backend, variant)\n",
                    lc_text_show(pid), (long long)json_integer_value(count));
    json_t *m = json_pack("{s:s, s:i, s:o, s:O, s:o}", "format", "loopcompat-matrix",
                          "format_version", 1, "generator", lc_matrix_generator(), "platforms",
                          a.platforms, "results", sorted(a.order));
    if (stats) {
        stats->inputs = n;
        stats->platforms = json_object_size(a.platforms);
        stats->results = json_array_size(a.order);
        stats->replaced = a.replaced;
    }
    json_decref(a.platforms);
    json_decref(a.index);
    json_decref(a.order);
    json_decref(a.runs);
    if (m && lc_matrix_check(m, perr, sizeof perr) != 0) {
        snprintf(err, errlen, "merged matrix fails its own checks: %s", perr);
        json_decref(m);
        return NULL;
    }
    return m;
fail:
    snprintf(err, errlen, "%s", perr);
    json_decref(a.platforms);
    json_decref(a.index);
    json_decref(a.order);
    json_decref(a.runs);
    return NULL;
}

json_t *lc_matrix_from_report(const json_t *report, const char *name, char *err, size_t errlen)
{
    json_t *const docs[1] = {(json_t *)report};
    const char *const names[1] = {name};
    return lc_matrix_merge(docs, names, 1, NULL, NULL, err, errlen);
}
