/* timers/sub-millisecond-wait: can the loop wait less than a millisecond?
 *
 * asyncio sleeps of 100 µs (asyncio-eventloop, "Scheduling delayed
 * callbacks") can only be kept by a wait call that takes a finer timeout
 * than milliseconds: epoll_pwait2 (a timespec; Linux 5.11, epoll_wait(2)
 * VERSIONS), ppoll, pselect, io_uring's timespec — not epoll_wait or
 * poll, whose millisecond timeout the loop must round up.  The case asks
 * the backend for its finest wait (the loop's options without
 * LC_LOOP_COARSE_TIMEOUT, which asks for the millisecond call on purpose),
 * runs 100 timers of 100 µs one after another and records their lateness
 * either way.  PASS: the wait's granularity is 1 µs or finer and no timer
 * ran early.  UNSUPPORTED: the OS refused the finer call, with the call and
 * errno (lc_backend_timeout_refusal).  The lateness is measured, not judged:
 * it also holds the thread's timer slack and the scheduler's wakeup. */
#include <string.h>

#include "case_util.h"

#define SW_SAMPLES 100
#define SW_DELAY_NS LC__US(100)

struct sw_state {
    lc_timer t;
    size_t n;
    double late_us[SW_SAMPLES];
    long long early;
    int err;
};

static void sw_cb(lc_loop *loop, void *arg)
{
    struct sw_state *st = arg;
    int64_t late = lc_time_ns() - st->t.when;
    st->early += late < 0;
    st->late_us[st->n++] = (double)late / 1e3;
    if (st->n == SW_SAMPLES) {
        lc_loop_stop(loop);
        return;
    }
    st->err = lc_call_later(loop, &st->t, SW_DELAY_NS, sw_cb, st);
    if (st->err < 0)
        lc_loop_stop(loop);
}

static void timers_sub_ms_wait(lc_case_ctx *ctx, lc_loop *given)
{
    (void)given;
    const lc_loop_options *base = lc_case_loop_options(ctx);
    lc_loop_options o = base ? *base : (lc_loop_options){0};
    o.flags &= ~(unsigned)LC_LOOP_COARSE_TIMEOUT;
    lc_loop *loop = NULL;
    LC_REQUIRE_OK(ctx, lc_loop_new(&loop, &o));
    int64_t gran = lc_loop_timeout_granularity_ns(loop);
    lc_case_measure_value(ctx, "timeout_granularity", (double)gran, "ns");

    struct sw_state st;
    memset(&st, 0, sizeof st);
    int rc = lc_call_later(loop, &st.t, SW_DELAY_NS, sw_cb, &st);
    if (rc >= 0) {
        int guard = 0;
        rc = lc__case_run_guarded(loop, LC__MS(5000), &guard);
    }
    lc_timer_cancel(&st.t);
    lc_loop_free(loop);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE_OK(ctx, st.err);
    LC_REQUIRE(ctx, st.n == SW_SAMPLES, "only %zu of %d timers of 100 us ran within 5 s", st.n,
               SW_SAMPLES);
    /* Sorts the samples in place (lc_case.h). */
    lc_case_measure_distribution(ctx, "lateness_100us", st.late_us, SW_SAMPLES, "us");
    double p50 = st.late_us[SW_SAMPLES / 2];
    lc_case_measure_counter(ctx, "early_fires", st.early, "fire");
    LC_REQUIRE(ctx, st.early == 0, "%lld of %d timers of 100 us ran before their deadline",
               st.early, SW_SAMPLES);

    lc_case_evidence_int(ctx, "timeout_granularity_ns", gran);
    if (gran <= 1000) {
        lc_case_pass(ctx, "the wait takes %lld ns steps; 100 us timers late by p50 %.1f us",
                     (long long)gran, p50);
        return;
    }
    lc_refusal why;
    if (lc_backend_timeout_refusal(lc_case_backend(ctx), o.flags, &why) == 1) {
        /* lc_case_unsupported takes the loop's add_reader refusal: this
         * one is the wait's, recorded here. */
        lc_case_unsupported(ctx, NULL, LC_ENOTSUP,
                            "the wait takes whole milliseconds: %s%s%s; 100 us timers late by "
                            "p50 %.1f us",
                            why.call, why.sys_errno ? " refused with " : " takes milliseconds",
                            why.sys_errno ? lc_errname(-why.sys_errno) : "", p50);
        lc_case_evidence(ctx, "call", why.call);
        if (why.sys_errno)
            lc_case_evidence(ctx, "errno", lc_errname(-why.sys_errno));
        if (why.ref)
            lc_case_ref(ctx, why.ref);
        lc_case_evidence(ctx, "decided_by", why.decided_by);
        return;
    }
    lc_case_fail(ctx, "the wait takes %lld ns steps and the backend names no call that refused a "
                      "finer one",
                 (long long)gran);
}

const lc_case lc_cases_timers_wait[] = {
    {"timers/sub-millisecond-wait",
     "a wait finer than 1 ms: 100 timers of 100 us, lateness measured; UNSUPPORTED where the OS "
     "refuses the finer call",
     timers_sub_ms_wait, LC_CASE_OWN_LOOP, NULL, 0},
    {0},
};
