/* Building the loopcompat-matrix document from reports and matrices. */
#include "matrix.h"
#include "json_flags.h"

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
    json_t *runs;      /* platform id -> number of runs merged */
    lc_rdoc *out;      /* the results, first-seen order until sorted */
    struct lc_rowmap index;
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
    char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | LC_JSON_REALS) : NULL;
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

static int add_result(struct acc *a, const struct lc_row *r)
{
    size_t old = lc_rowmap_find(&a->index, a->out->rows, r);
    if (old != SIZE_MAX) {
        /* Later wins, in place (the order is sorted at the end anyway). */
        a->out->rows[old] = *r;
        a->replaced++;
        return 0;
    }
    if (lc_rdoc_add_row(a->out, r) != 0)
        return -1;
    return lc_rowmap_put(&a->index, a->out->rows, a->out->n - 1);
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_row(const void *x, const void *y)
{
    const struct lc_row *a = x, *b = y;
    int c = cmp_str(a->case_id, b->case_id);
    if (!c)
        c = cmp_str(a->platform, b->platform);
    if (!c)
        c = cmp_str(a->backend, b->backend);
    return c ? c : cmp_str(a->variant, b->variant);
}

static void acc_free(struct acc *a)
{
    json_decref(a->platforms);
    json_decref(a->runs);
    lc_rdoc_free(a->out);
    lc_rowmap_free(&a->index);
}

/* The merged matrix passes the checks any matrix must: its top level,
 * then each result, in the order the document lists them. */
static int check_merged(const lc_rdoc *m, char *err, size_t errlen)
{
    char perr[512];
    int rc = lc_matrix_check(m->head, perr, sizeof perr);
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        json_t *r = lc_row_json(&m->rows[i]);
        rc = r ? lc_doc_check_result(m->head, LC_DOC_MATRIX, i, r, perr, sizeof perr) : -1;
        if (!r)
            snprintf(perr, sizeof perr, "out of memory");
        json_decref(r);
    }
    if (rc != 0)
        snprintf(err, errlen, "merged matrix fails its own checks: %s", perr);
    return rc;
}

lc_rdoc *lc_rdoc_merge(lc_rdoc *const *docs, const char *const *names, size_t n, FILE *notes,
                       lc_matrix_stats *stats, char *err, size_t errlen)
{
    struct acc a = {json_object(), json_object(), lc_rdoc_new(LC_DOC_MATRIX, NULL), {0}, 0};
    lc_rowmap_init(&a.index, LC_ROWKEY_FULL);
    char perr[512] = "out of memory";
    if (!a.platforms || !a.runs || !a.out)
        goto fail;
    for (size_t d = 0; d < n; d++) {
        const json_t *doc = docs[d]->head;
        if (docs[d]->kind != LC_DOC_MATRIX) {
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
        for (size_t i = 0; i < docs[d]->n; i++)
            if (add_result(&a, &docs[d]->rows[i]) != 0) {
                snprintf(perr, sizeof perr, "out of memory");
                goto fail;
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
    if (a.out->n) /* no rows: rows may be NULL, which qsort must not get */
        qsort(a.out->rows, a.out->n, sizeof *a.out->rows, cmp_row);
    a.out->head = json_pack("{s:s, s:i, s:i, s:o, s:O, s:[]}", "format", "loopcompat-matrix",
                            "format_version", 1, "format_minor", LC_REPORT_FORMAT_MINOR,
                            "generator", lc_matrix_generator(),
                            "platforms", a.platforms, "results");
    if (!a.out->head)
        goto fail;
    if (stats) {
        stats->inputs = n;
        stats->platforms = json_object_size(a.platforms);
        stats->results = a.out->n;
        stats->replaced = a.replaced;
    }
    lc_rdoc *m = a.out;
    a.out = NULL;
    acc_free(&a);
    if (check_merged(m, err, errlen) != 0) {
        lc_rdoc_free(m);
        return NULL;
    }
    return m;
fail:
    snprintf(err, errlen, "%s", perr);
    acc_free(&a);
    return NULL;
}

json_t *lc_matrix_merge(json_t *const *docs, const char *const *names, size_t n, FILE *notes,
                        lc_matrix_stats *stats, char *err, size_t errlen)
{
    lc_rdoc **rdocs = calloc(n ? n : 1, sizeof *rdocs);
    json_t *m = NULL;
    size_t i;
    for (i = 0; rdocs && i < n; i++)
        if (!(rdocs[i] = lc_rdoc_from_json(docs[i])))
            break;
    lc_rdoc *merged = NULL;
    if (!rdocs || i < n)
        snprintf(err, errlen, "out of memory");
    else
        merged = lc_rdoc_merge(rdocs, names, n, notes, stats, err, errlen);
    if (merged && !(m = lc_rdoc_to_json(merged)))
        snprintf(err, errlen, "out of memory");
    lc_rdoc_free(merged);
    for (i = 0; rdocs && i < n; i++)
        lc_rdoc_free(rdocs[i]);
    free(rdocs);
    return m;
}

json_t *lc_matrix_from_report(const json_t *report, const char *name, char *err, size_t errlen)
{
    json_t *const docs[1] = {(json_t *)report};
    const char *const names[1] = {name};
    return lc_matrix_merge(docs, names, 1, NULL, NULL, err, errlen);
}
