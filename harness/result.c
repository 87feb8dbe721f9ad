/* The case API (cases/lc_case.h): status rules, evidence, refs and
 * measurements, collected into one JSON record per case run. */
#include "result.h"
#include "histogram.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lc_case_ctx {
    const char *backend;
    const char *variant;
    const char *tmpdir;
    lc_loop_options opts;
    lc_status status;
    char *message;
    char *misuse;     /* first API misuse: the record becomes ERROR */
    json_t *evidence; /* object */
    json_t *refs;     /* array of unique strings */
    json_t *measurements;
    json_t *leaks;    /* array of strings */
};

static const char *const status_names[] = {
    [LC_STATUS_NONE] = "NONE",
    [LC_STATUS_PASS] = "PASS",
    [LC_STATUS_FAIL] = "FAIL",
    [LC_STATUS_UNSUPPORTED] = "UNSUPPORTED",
    [LC_STATUS_TIMEOUT] = "TIMEOUT",
    [LC_STATUS_CRASH] = "CRASH",
    [LC_STATUS_SKIP] = "SKIP",
    [LC_STATUS_ERROR] = "ERROR",
};

const char *lc_status_name(lc_status s)
{
    if ((unsigned)s < sizeof status_names / sizeof status_names[0])
        return status_names[s];
    return "NONE";
}

lc_status lc_status_from_name(const char *name)
{
    if (!name)
        return LC_STATUS_NONE;
    for (unsigned i = LC_STATUS_PASS; i <= LC_STATUS_ERROR; i++)
        if (strcmp(name, status_names[i]) == 0)
            return (lc_status)i;
    return LC_STATUS_NONE;
}

/* Time units, then counted things in the singular (one spelling each, so
 * reports compare): "3 wakeup" reads as "3 (unit: wakeup)". */
const char *const lc_measurement_units[] = {
    "ns", "us", "ms", "s",
    "byte", "fd", "event", "op", "entry", "iteration", "callback", "timer", "fire", "wakeup",
    "process", "signal", "thread", "datagram", "connection", "transfer", "percent", NULL,
};

int lc_unit_known(const char *unit)
{
    if (!unit)
        return 0;
    for (size_t i = 0; lc_measurement_units[i]; i++)
        if (strcmp(unit, lc_measurement_units[i]) == 0)
            return 1;
    return 0;
}

lc_case_ctx *lc_ctx_new(const char *backend, const char *variant, const lc_loop_options *opts,
                        const char *tmpdir)
{
    lc_case_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->backend = backend;
    ctx->variant = variant;
    ctx->tmpdir = tmpdir;
    if (opts)
        ctx->opts = *opts;
    ctx->opts.backend = backend;
    ctx->evidence = json_object();
    ctx->refs = json_array();
    ctx->measurements = json_object();
    ctx->leaks = json_array();
    if (!ctx->evidence || !ctx->refs || !ctx->measurements || !ctx->leaks) {
        lc_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

void lc_ctx_free(lc_case_ctx *ctx)
{
    if (!ctx)
        return;
    free(ctx->message);
    free(ctx->misuse);
    json_decref(ctx->evidence);
    json_decref(ctx->refs);
    json_decref(ctx->measurements);
    json_decref(ctx->leaks);
    free(ctx);
}

const char *lc_case_backend(const lc_case_ctx *ctx) { return ctx->backend; }
const char *lc_case_variant(const lc_case_ctx *ctx) { return ctx->variant; }
const lc_loop_options *lc_case_loop_options(const lc_case_ctx *ctx) { return &ctx->opts; }
const char *lc_case_tmpdir(const lc_case_ctx *ctx) { return ctx->tmpdir; }
lc_status lc_case_status(const lc_case_ctx *ctx) { return ctx->status; }

static void misuse(lc_case_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void misuse(lc_case_ctx *ctx, const char *fmt, ...)
{
    if (ctx->misuse)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&ctx->misuse, fmt, ap) < 0)
        ctx->misuse = NULL;
    va_end(ap);
}

/* The first status wins, except that FAIL overrides PASS. */
static void set_status(lc_case_ctx *ctx, lc_status s, const char *fmt, va_list ap)
{
    int take = ctx->status == LC_STATUS_NONE ||
               (ctx->status == LC_STATUS_PASS && s == LC_STATUS_FAIL);
    if (!take)
        return;
    char *msg = NULL;
    if (fmt && vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    free(ctx->message);
    ctx->message = msg;
    ctx->status = s;
}

#define DEFINE_STATUS_FN(fname, st)                                  \
    void fname(lc_case_ctx *ctx, const char *fmt, ...)               \
    {                                                                \
        va_list ap;                                                  \
        va_start(ap, fmt);                                           \
        set_status(ctx, st, fmt, ap);                                \
        va_end(ap);                                                  \
    }
DEFINE_STATUS_FN(lc_case_pass, LC_STATUS_PASS)
DEFINE_STATUS_FN(lc_case_fail, LC_STATUS_FAIL)
DEFINE_STATUS_FN(lc_case_skip, LC_STATUS_SKIP)

void lc_case_unsupported(lc_case_ctx *ctx, lc_loop *loop, int err, const char *fmt, ...)
{
    if (ctx->status != LC_STATUS_NONE)
        return;
    va_list ap;
    va_start(ap, fmt);
    set_status(ctx, LC_STATUS_UNSUPPORTED, fmt, ap);
    va_end(ap);
    lc_case_evidence(ctx, "error", lc_errname(err));
    if (loop) {
        lc_refusal r;
        memset(&r, 0, sizeof r);
        lc_loop_last_refusal(loop, &r);
        if (r.call)
            lc_case_evidence(ctx, "call", r.call);
        if (r.sys_errno)
            lc_case_evidence(ctx, "errno", lc_errname(-r.sys_errno));
        if (r.ref)
            lc_case_ref(ctx, r.ref);
        if (r.decided_by)
            lc_case_evidence(ctx, "decided_by", r.decided_by);
    }
}

void lc_case_evidence(lc_case_ctx *ctx, const char *key, const char *value)
{
    if (!key || !*key) {
        misuse(ctx, "evidence with an empty key");
        return;
    }
    json_object_set_new(ctx->evidence, key, lc_json_text(value));
}

void lc_case_evidence_int(lc_case_ctx *ctx, const char *key, long long value)
{
    if (!key || !*key) {
        misuse(ctx, "evidence with an empty key");
        return;
    }
    json_object_set_new(ctx->evidence, key, json_integer(value));
}

void lc_case_ref(lc_case_ctx *ctx, const char *ref)
{
    if (!ref || !*ref) {
        misuse(ctx, "empty ref");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(ctx->refs, i, v)
        if (strcmp(json_string_value(v), ref) == 0)
            return;
    json_array_append_new(ctx->refs, json_string(ref));
}

/* A measurement object {"kind", "unit", ...}, or NULL after recording the
 * misuse. */
static json_t *measurement(lc_case_ctx *ctx, const char *name, const char *kind, const char *unit)
{
    if (!name || !*name) {
        misuse(ctx, "measurement with an empty name");
        return NULL;
    }
    if (!lc_unit_known(unit)) {
        misuse(ctx, "measurement '%s': unknown unit '%s'", name, unit ? unit : "(null)");
        return NULL;
    }
    json_t *m = json_pack("{s:s, s:s}", "kind", kind, "unit", unit);
    if (m)
        json_object_set_new(ctx->measurements, name, m);
    return m;
}

void lc_case_measure_value(lc_case_ctx *ctx, const char *name, double value, const char *unit)
{
    if (!isfinite(value)) {
        misuse(ctx, "measurement '%s' is not a finite number", name ? name : "");
        return;
    }
    json_t *m = measurement(ctx, name, "value", unit);
    if (m)
        json_object_set_new(m, "value", json_real(value));
}

void lc_case_measure_counter(lc_case_ctx *ctx, const char *name, long long n, const char *unit)
{
    json_t *m = measurement(ctx, name, "counter", unit);
    if (m)
        json_object_set_new(m, "value", json_integer(n));
}

void lc_case_measure_limit(lc_case_ctx *ctx, const char *name, long long limit, const char *unit,
                           const char *stopped_by)
{
    json_t *m = measurement(ctx, name, "limit", unit);
    if (!m)
        return;
    json_object_set_new(m, "value", json_integer(limit));
    json_object_set_new(m, "stopped_by", json_string(stopped_by && *stopped_by ? stopped_by : "unknown"));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples: the smallest sample with at
 * least p% of the samples at or below it. */
static double percentile(const double *s, size_t n, double p)
{
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    return s[rank - 1];
}

void lc_case_measure_distribution(lc_case_ctx *ctx, const char *name, double *samples, size_t n,
                                  const char *unit)
{
    if (n == 0 || !samples) {
        misuse(ctx, "distribution '%s' has no samples", name ? name : "");
        return;
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(samples[i])) {
            misuse(ctx, "distribution '%s' has a non-finite sample", name ? name : "");
            return;
        }
        sum += samples[i];
    }
    json_t *m = measurement(ctx, name, "distribution", unit);
    if (!m)
        return;
    qsort(samples, n, sizeof *samples, cmp_double);
    json_object_set_new(m, "n", json_integer((json_int_t)n));
    json_object_set_new(m, "min", json_real(samples[0]));
    json_object_set_new(m, "p50", json_real(percentile(samples, n, 50)));
    json_object_set_new(m, "p90", json_real(percentile(samples, n, 90)));
    json_object_set_new(m, "p99", json_real(percentile(samples, n, 99)));
    json_object_set_new(m, "max", json_real(samples[n - 1]));
    json_object_set_new(m, "mean", json_real(sum / (double)n));
    /* The shape beside the percentiles (histogram.h); left out only when
     * it cannot be written. */
    json_t *h = lc_histogram_build(samples, n);
    if (h)
        json_object_set_new(m, "histogram", h);
}

json_t *lc_json_text(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    /* Not UTF-8 (a case echoed raw bytes): keep ASCII, mark the rest. */
    char *copy = strdup(s);
    if (!copy)
        return json_null();
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j ? j : json_null();
}

void lc_ctx_note_leak(lc_case_ctx *ctx, const char *what)
{
    json_array_append_new(ctx->leaks, json_string(what));
}

json_t *lc_ctx_record(lc_case_ctx *ctx)
{
    lc_status st = ctx->status;
    const char *msg = ctx->message;
    char *owned = NULL;

    if (ctx->misuse) {
        st = LC_STATUS_ERROR;
        if (asprintf(&owned, "case misused the case API: %s", ctx->misuse) < 0)
            owned = NULL;
        msg = owned;
    } else if (st == LC_STATUS_NONE) {
        st = LC_STATUS_ERROR;
        msg = "the case returned without recording a status";
    }
    if (json_array_size(ctx->leaks) > 0) {
        size_t i;
        json_t *v;
        size_t len = 0;
        json_array_foreach(ctx->leaks, i, v) len += strlen(json_string_value(v)) + 2;
        char *joined = calloc(1, len + 1);
        if (joined) {
            json_array_foreach(ctx->leaks, i, v)
            {
                if (i)
                    strcat(joined, ", ");
                strcat(joined, json_string_value(v));
            }
            json_object_set_new(ctx->evidence, "leaked", json_string(joined));
        }
        if (st == LC_STATUS_PASS) {
            st = LC_STATUS_FAIL;
            char *m2 = NULL;
            if (asprintf(&m2, "leaked after the case: %s", joined ? joined : "resources") < 0)
                m2 = NULL;
            free(owned);
            owned = m2;
            msg = owned;
        }
        free(joined);
    }
    json_t *rec = json_pack("{s:s, s:o, s:O, s:O, s:O}", "status", lc_status_name(st), "message",
                            lc_json_text(msg), "evidence", ctx->evidence,
                            "refs", ctx->refs, "measurements", ctx->measurements);
    free(owned);
    return rec;
}
