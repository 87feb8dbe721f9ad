/* The case API: what a conformance case sees.
 *
 * A case observes one documented behaviour on the loop it is given and
 * records a result: a status, a message, evidence (the call and errno behind
 * a refusal), documentation refs and measurements with units.  It never
 * assumes a backend; cases/expectations.json says what is documented.
 *
 * Each case runs in its own forked child of the harness; the result record
 * goes back to the parent over a pipe as JSON. */
#ifndef LC_CASE_H
#define LC_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "loopcompat/loopcompat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Statuses, as in report format v1. */
typedef enum lc_status {
    LC_STATUS_NONE = 0, /* not set yet: the harness turns this into ERROR */
    LC_STATUS_PASS,
    LC_STATUS_FAIL,
    LC_STATUS_UNSUPPORTED,
    LC_STATUS_TIMEOUT,
    LC_STATUS_CRASH,
    LC_STATUS_SKIP,
    LC_STATUS_ERROR
} lc_status;

const char *lc_status_name(lc_status s);
/* LC_STATUS_NONE if the name is unknown. */
lc_status lc_status_from_name(const char *name);

typedef struct lc_case_ctx lc_case_ctx;

/* mingw-w64 with __USE_MINGW_ANSI_STDIO formats as C99 does (%zu, %lld):
 * its checks are gnu_printf's, not the CRT's ms_printf. */
#if defined(__MINGW32__)
#define LC__PRINTF_FMT gnu_printf
#else
#define LC__PRINTF_FMT printf
#endif

typedef void (*lc_case_fn)(lc_case_ctx *ctx, lc_loop *loop);

enum {
    /* The case creates its own loops (policy, close, fork): the harness does
     * not create one, and passes NULL as the loop. */
    LC_CASE_OWN_LOOP = 1u << 0,
    /* Run only with --stress. */
    LC_CASE_STRESS = 1u << 1,
    /* Runs for long (measurement cases): the harness scales its timeout. */
    LC_CASE_SLOW = 1u << 2
};

typedef struct lc_case {
    const char *id;                /* "area/name" */
    const char *summary;           /* one line: the behaviour observed */
    lc_case_fn fn;
    unsigned flags;                /* LC_CASE_* */
    const char *const *variants;   /* NULL-terminated, or NULL for none */
    double timeout_s;              /* 0: the harness default (10 s) */
} lc_case;

/* The registry: every case compiled in, in catalogue order. */
size_t lc_case_count(void);
const lc_case *lc_case_at(size_t i);
const lc_case *lc_case_find(const char *id);

/* --- what a case can ask --- */
const char *lc_case_backend(const lc_case_ctx *ctx);  /* backend name */
const char *lc_case_variant(const lc_case_ctx *ctx);  /* NULL if none */
/* Loop options for the backend (and variant) under test: use these to make
 * further loops in LC_CASE_OWN_LOOP cases. */
const lc_loop_options *lc_case_loop_options(const lc_case_ctx *ctx);
/* A scratch directory private to this run (removed afterwards). */
const char *lc_case_tmpdir(const lc_case_ctx *ctx);

/* --- what a case records ---
 * The first status set wins, except that FAIL overrides PASS (a late
 * check may still fail a case).  The message is printf-style. */
void lc_case_pass(lc_case_ctx *ctx, const char *fmt, ...)
    __attribute__((format(LC__PRINTF_FMT, 2, 3)));
void lc_case_fail(lc_case_ctx *ctx, const char *fmt, ...)
    __attribute__((format(LC__PRINTF_FMT, 2, 3)));
void lc_case_skip(lc_case_ctx *ctx, const char *fmt, ...)
    __attribute__((format(LC__PRINTF_FMT, 2, 3)));
/* The loop refused cleanly.  err is the code returned; evidence gets the
 * refusal's call and errno (lc_loop_last_refusal) when loop is not NULL. */
void lc_case_unsupported(lc_case_ctx *ctx, lc_loop *loop, int err, const char *fmt, ...)
    __attribute__((format(LC__PRINTF_FMT, 4, 5)));
lc_status lc_case_status(const lc_case_ctx *ctx);

void lc_case_evidence(lc_case_ctx *ctx, const char *key, const char *value);
void lc_case_evidence_int(lc_case_ctx *ctx, const char *key, long long value);
void lc_case_ref(lc_case_ctx *ctx, const char *ref);  /* "man:epoll_ctl(2)" */

/* Measurements (report v1): objects with a unit and one of value, limit,
 * counter or distribution. */
void lc_case_measure_value(lc_case_ctx *ctx, const char *name, double value, const char *unit);
void lc_case_measure_counter(lc_case_ctx *ctx, const char *name, long long n, const char *unit);
/* A limit reached, and what stopped it ("EMFILE", "cap"). */
void lc_case_measure_limit(lc_case_ctx *ctx, const char *name, long long limit,
                           const char *unit, const char *stopped_by);
/* A distribution: n, min, p50, p90, p99, max, mean of the samples (sorted in
 * place). */
void lc_case_measure_distribution(lc_case_ctx *ctx, const char *name, double *samples,
                                  size_t n, const char *unit);

/* Fail and return from the case function if cond is false. */
#define LC_REQUIRE(ctx, cond, ...)                                  \
    do {                                                            \
        if (!(cond)) {                                              \
            lc_case_fail((ctx), __VA_ARGS__);                       \
            return;                                                 \
        }                                                           \
    } while (0)

/* Fail with the loop's error text if the call returned a negative code. */
#define LC_REQUIRE_OK(ctx, expr)                                          \
    do {                                                                  \
        int lc__rc_ = (expr);                                             \
        if (lc__rc_ < 0) {                                                \
            lc_case_fail((ctx), "%s: %s (%s)", #expr, lc_strerror(lc__rc_), \
                         lc_errname(lc__rc_));                            \
            return;                                                       \
        }                                                                 \
    } while (0)

/* Case definition: each cases/<area>.c ends with a table
 *   const lc_case lc_cases_<area>[] = { {...}, ..., {0} };
 * and cases/registry.c lists the tables. */

#ifdef __cplusplus
}
#endif
#endif
