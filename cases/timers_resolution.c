/* timers/resolution: how late timers fire for short delays, per backend.
 *
 * For each requested delay, timers are armed back to back (each one from the
 * previous one's callback) and the lateness — when the callback ran minus
 * its deadline, on the loop's clock — is recorded as a distribution in µs.
 * A timer must never run before its deadline (asyncio-eventloop, "Scheduling
 * delayed callbacks": the callback is called after delay seconds); any early
 * fire fails the case.
 *
 * The lateness is the loop's wait call (its timeout granularity, 1 ns for
 * epoll_pwait2/ppoll/pselect/io_uring, 1 ms for epoll_wait/poll rounded up)
 * plus the thread's timer slack, which the kernel may add to any timed wait
 * (prctl(2) PR_SET_TIMERSLACK: 50 µs by default).  The "slack1ns" variant
 * lowers the slack to 1 ns first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "case_util.h"

#define RES_SAMPLES 200

static const struct {
    int64_t delay_ns;
    const char *name;
} res_delays[] = {
    {0, "lateness_0us"},
    {LC__US(50), "lateness_50us"},
    {LC__US(100), "lateness_100us"},
    {LC__MS(1), "lateness_1ms"},
    {LC__MS(10), "lateness_10ms"},
};

#define RES_NDELAYS (sizeof res_delays / sizeof res_delays[0])

struct res_state {
    lc_timer t;
    size_t d;              /* index into res_delays */
    size_t n;              /* samples taken at this delay */
    double late_us[RES_NDELAYS][RES_SAMPLES];
    long long early;
    int64_t worst_early_ns;
    int err;
};

static void res_cb(lc_loop *loop, void *arg)
{
    struct res_state *st = arg;
    int64_t now = lc_time_ns();
    int64_t late = now - st->t.when;
    if (late < 0) {
        st->early++;
        if (-late > st->worst_early_ns)
            st->worst_early_ns = -late;
    }
    st->late_us[st->d][st->n++] = (double)late / 1e3;
    if (st->n == RES_SAMPLES) {
        st->n = 0;
        if (++st->d == RES_NDELAYS) {
            lc_loop_stop(loop);
            return;
        }
    }
    st->err = lc_call_later(loop, &st->t, res_delays[st->d].delay_ns, res_cb, st);
    if (st->err < 0)
        lc_loop_stop(loop);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *sorted, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

static void timers_resolution(lc_case_ctx *ctx, lc_loop *loop)
{
#ifdef __linux__
    const char *variant = lc_case_variant(ctx);
    if (variant && strcmp(variant, "slack1ns") == 0) {
        /* prctl(2): PR_SET_TIMERSLACK with 0 restores the default, so 1 ns
         * is the lowest slack a thread can ask for. */
        if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) < 0) {
            lc_case_skip(ctx, "prctl(PR_SET_TIMERSLACK, 1): %s", strerror(errno));
            return;
        }
    }
    int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    if (slack >= 0)
        lc_case_measure_value(ctx, "timer_slack", slack, "ns");
#endif
    lc_case_measure_value(ctx, "timeout_granularity", (double)lc_loop_timeout_granularity_ns(loop),
                          "ns");

    struct res_state *st = calloc(1, sizeof *st);
    LC_REQUIRE(ctx, st != NULL, "out of memory");
    int rc = lc_call_later(loop, &st->t, res_delays[0].delay_ns, res_cb, st);
    if (rc < 0) {
        free(st);
        LC_REQUIRE_OK(ctx, rc);
    }
    int guard = 0;
    rc = lc__case_run_guarded(loop, LC__MS(20000), &guard);
    lc_timer_cancel(&st->t);

    lc_case_measure_counter(ctx, "early_fires", st->early, "fire");
    double p50_1ms = 0, p99_1ms = 0, p50_100us = 0, p99_100us = 0;
    for (size_t d = 0; d < RES_NDELAYS; d++) {
        size_t n = d < st->d ? RES_SAMPLES : d == st->d ? st->n : 0;
        if (n == 0)
            continue;
        qsort(st->late_us[d], n, sizeof st->late_us[d][0], cmp_double);
        if (res_delays[d].delay_ns == LC__MS(1)) {
            p50_1ms = pct(st->late_us[d], n, 0.50);
            p99_1ms = pct(st->late_us[d], n, 0.99);
        } else if (res_delays[d].delay_ns == LC__US(100)) {
            p50_100us = pct(st->late_us[d], n, 0.50);
            p99_100us = pct(st->late_us[d], n, 0.99);
        }
        lc_case_measure_distribution(ctx, res_delays[d].name, st->late_us[d], n, "us");
    }
    size_t done_delays = st->d;
    long long early = st->early;
    int64_t worst_early = st->worst_early_ns;
    int err = st->err;
    free(st);

    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE_OK(ctx, err);
    LC_REQUIRE(ctx, done_delays == RES_NDELAYS, "only %zu of %zu delays completed within 20 s",
               done_delays, (size_t)RES_NDELAYS);
    LC_REQUIRE(ctx, early == 0, "%lld of %d timers fired before their deadline (worst %.3f us early)",
               early, (int)(RES_NDELAYS * RES_SAMPLES), (double)worst_early / 1e3);
    lc_case_pass(ctx,
                 "%d timers per delay, none early; lateness p50/p99: 1 ms %.1f/%.1f us, "
                 "100 us %.1f/%.1f us",
                 RES_SAMPLES, p50_1ms, p99_1ms, p50_100us, p99_100us);
}

#ifdef __linux__
static const char *const res_variants[] = {"", "slack1ns", NULL};
#else
static const char *const res_variants[] = {"", NULL}; /* no timer slack to lower */
#endif

const lc_case lc_cases_timers_resolution[] = {
    {"timers/resolution",
     "lateness of timers at 0, 50 us, 100 us, 1 ms and 10 ms (200 each); never early",
     timers_resolution, LC_CASE_SLOW, res_variants, 30},
    {0},
};
