/* timers: call_later/call_at ordering, cancellation, never firing early,
 * zero delays, and the timeout rounding that keeps a loop from spinning.
 * Semantics: asyncio-eventloop "Scheduling delayed callbacks"; CPython's
 * test_events.py / test_base_events.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_util.h"

/* ---- timers/call-later-order ------------------------------------------ */

#define ORDER_N 10

struct order_state {
    lc_timer t[ORDER_N];
    int idx[ORDER_N];
    int fired[ORDER_N];
    int seen[ORDER_N];
    /* The deadline each timer must have, bounded by the clock read just
     * before and just after arming it (exact for call_at). */
    int64_t lo[ORDER_N], hi[ORDER_N];
    int n;
};

static const int64_t order_delay_ms[ORDER_N] = {30, 10, 20, 0, -1, 5, 15, 25, 1, 2};

static struct order_state *order_g;

static void order_cb(lc_loop *loop, void *arg)
{
    int i = *(int *)arg;
    struct order_state *st = order_g;
    st->fired[i]++;
    if (st->n < ORDER_N)
        st->seen[st->n] = i;
    if (++st->n == ORDER_N)
        lc_loop_stop(loop);
}

static int cmp_deadline(const void *a, const void *b)
{
    int ia = *(const int *)a, ib = *(const int *)b;
    int64_t da = order_g->lo[ia], db = order_g->lo[ib];
    return da != db ? (da > db) - (da < db) : (ia > ib) - (ia < ib);
}

static void order_list(char *buf, size_t cap, const int *which)
{
    size_t len = 0;
    for (int i = 0; i < ORDER_N && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? "," : "",
                                (long long)order_delay_ms[which[i]]);
}

static void timers_call_later_order(lc_case_ctx *ctx, lc_loop *loop)
{
    struct order_state st;
    memset(&st, 0, sizeof st);
    order_g = &st;
    /* Half through call_later, half through call_at: both land in the same
     * heap keyed by absolute deadline.  The order asked for is the order
     * of the deadlines, not of the delays: each deadline is the clock at
     * its arming call plus the delay, and arming can take longer than the
     * 1 ms between two delays (a vCPU descheduled under QEMU TCG on a
     * loaded host spread the ten calls over more than 30 ms).  The clock
     * is read around every call, so each deadline is known to within the
     * call's own duration. */
    for (int i = 0; i < ORDER_N; i++) {
        st.idx[i] = i;
        int64_t d = LC__MS(order_delay_ms[i]);
        int64_t before = lc_loop_time(loop);
        if (i % 2)
            LC_REQUIRE_OK(ctx, lc_call_at(loop, &st.t[i], before + d, order_cb, &st.idx[i]));
        else
            LC_REQUIRE_OK(ctx, lc_call_later(loop, &st.t[i], d, order_cb, &st.idx[i]));
        st.lo[i] = before + d;
        st.hi[i] = i % 2 ? before + d : lc_loop_time(loop) + d;
    }
    int64_t arming_ns = st.hi[ORDER_N - 1] - LC__MS(order_delay_ms[ORDER_N - 1]) -
                        (st.lo[0] - LC__MS(order_delay_ms[0]));
    lc_case_evidence_int(ctx, "arming_us", (long long)(arming_ns / 1000));
    int guard = 0;
    LC_REQUIRE_OK(ctx, lc__case_run_guarded(loop, LC__MS(2000), &guard));
    for (int i = 0; i < ORDER_N; i++)
        lc_timer_cancel(&st.t[i]);
    LC_REQUIRE(ctx, st.n == ORDER_N, "only %d of %d timers fired within 2 s", st.n, ORDER_N);

    int want[ORDER_N];
    for (int i = 0; i < ORDER_N; i++)
        want[i] = i;
    qsort(want, ORDER_N, sizeof want[0], cmp_deadline);
    char got_s[128] = "", want_s[128] = "";
    order_list(got_s, sizeof got_s, st.seen);
    order_list(want_s, sizeof want_s, want);
    lc_case_evidence(ctx, "order_ms", got_s);
    for (int i = 0; i < ORDER_N; i++) {
        LC_REQUIRE(ctx, st.fired[i] == 1, "timer with delay %lld ms fired %d times",
                   (long long)order_delay_ms[i], st.fired[i]);
        LC_REQUIRE(ctx, !lc_timer_pending(&st.t[i]), "a fired timer is still pending");
    }
    /* Out of order: a timer ran before one whose deadline was surely
     * earlier (its latest possible deadline before the other's earliest). */
    for (int a = 0; a < ORDER_N; a++)
        for (int b = a + 1; b < ORDER_N; b++) {
            int x = st.seen[a], y = st.seen[b];
            LC_REQUIRE(ctx, st.lo[x] <= st.hi[y],
                       "timers fired out of deadline order: got delays %s ms, want %s ms (the "
                       "%lld ms timer's deadline was %lld us after the %lld ms one's; arming "
                       "took %lld us)",
                       got_s, want_s, (long long)order_delay_ms[x],
                       (long long)((st.lo[x] - st.hi[y]) / 1000), (long long)order_delay_ms[y],
                       (long long)(arming_ns / 1000));
        }
    lc_case_pass(ctx, "%d timers fired once each in deadline order (delays %s ms, armed in %lld us)",
                 ORDER_N, got_s, (long long)(arming_ns / 1000));
}

/* ---- timers/cancel ------------------------------------------------------ */

struct cancel_state {
    lc_timer a, b, c, e, head;
    int ran_a, ran_b, ran_c, ran_e, ran_head;
    int cancel_c_rc, cancel_self_rc;
};

static void cancel_a_cb(lc_loop *loop, void *arg)
{
    struct cancel_state *st = arg;
    st->ran_a++;
    st->cancel_c_rc = lc_timer_cancel(&st->c);
    st->cancel_self_rc = lc_timer_cancel(&st->a); /* already fired: nothing pending */
}

static void cancel_count_cb(lc_loop *loop, void *arg)
{
    (*(int *)arg)++;
}

static void cancel_e_cb(lc_loop *loop, void *arg)
{
    struct cancel_state *st = arg;
    st->ran_e++;
    lc_loop_stop(loop);
}

static void timers_cancel(lc_case_ctx *ctx, lc_loop *loop)
{
    struct cancel_state st;
    memset(&st, 0, sizeof st);
    lc_timer never = {0};
    LC_REQUIRE(ctx, lc_timer_cancel(&never) == 0, "cancelling a never-scheduled timer returned nonzero");

    LC_REQUIRE_OK(ctx, lc_call_later(loop, &st.head, LC__MS(1), cancel_count_cb, &st.ran_head));
    LC_REQUIRE_OK(ctx, lc_call_later(loop, &st.a, LC__MS(5), cancel_a_cb, &st));
    LC_REQUIRE_OK(ctx, lc_call_later(loop, &st.b, LC__MS(10), cancel_count_cb, &st.ran_b));
    LC_REQUIRE_OK(ctx, lc_call_later(loop, &st.c, LC__MS(30), cancel_count_cb, &st.ran_c));
    LC_REQUIRE_OK(ctx, lc_call_later(loop, &st.e, LC__MS(50), cancel_e_cb, &st));

    /* The head of the heap cancelled before the run: the poll must wait for
     * the first live timer instead of spinning on the dead one
     * (test_base_events.py test__run_once). */
    LC_REQUIRE(ctx, lc_timer_cancel(&st.head) == 1, "cancel of a pending timer did not return 1");
    LC_REQUIRE(ctx, lc_timer_cancel(&st.b) == 1, "cancel of a pending timer did not return 1");
    LC_REQUIRE(ctx, lc_timer_cancel(&st.b) == 0, "second cancel of the same timer did not return 0");
    LC_REQUIRE(ctx, !lc_timer_pending(&st.b), "a cancelled timer is still pending");

    uint64_t it0 = lc_loop_iterations(loop);
    int guard = 0;
    LC_REQUIRE_OK(ctx, lc__case_run_guarded(loop, LC__MS(2000), &guard));
    uint64_t iters = lc_loop_iterations(loop) - it0;
    lc_timer_cancel(&st.a);
    lc_timer_cancel(&st.c);
    lc_timer_cancel(&st.e);
    lc_case_measure_counter(ctx, "iterations", (long long)iters, "iteration");

    LC_REQUIRE(ctx, st.ran_e == 1, "the last live timer did not fire within 2 s");
    LC_REQUIRE(ctx, st.ran_a == 1, "a live timer fired %d times", st.ran_a);
    LC_REQUIRE(ctx, st.ran_head == 0, "a timer cancelled before the run fired");
    LC_REQUIRE(ctx, st.ran_b == 0, "a timer cancelled before the run fired");
    LC_REQUIRE(ctx, st.cancel_c_rc == 1, "cancelling a pending timer from a callback returned %d",
               st.cancel_c_rc);
    LC_REQUIRE(ctx, st.ran_c == 0, "a timer cancelled from another timer's callback fired");
    LC_REQUIRE(ctx, st.cancel_self_rc == 0,
               "cancelling a timer from its own callback returned %d (it was no longer pending)",
               st.cancel_self_rc);
    /* Three live wakeups (5, 50 ms) plus a few spare iterations; a loop that
     * spins on a cancelled head does thousands. */
    LC_REQUIRE(ctx, iters <= 20, "%llu iterations for 2 live timers: the loop spun",
               (unsigned long long)iters);
    lc_case_pass(ctx, "cancelled timers never ran (before the run and from a callback); %llu iterations",
                 (unsigned long long)iters);
}

/* ---- timers/never-early ------------------------------------------------- */

#define NE_CHAINS 8
#define NE_STEPS 28

static const int64_t ne_delays[] = {
    0, LC__US(1), LC__US(10), LC__US(50), LC__US(100), LC__US(250), LC__US(500),
    LC__US(999), LC__MS(1), LC__US(1001), LC__US(1500), LC__MS(3), LC__MS(7), LC__MS(20)};
#define NE_NDELAYS (sizeof ne_delays / sizeof ne_delays[0])

struct ne_state;
struct ne_chain {
    lc_timer t;
    int k, step;
    /* The deadline the caller asked for: now (read just before the call) +
     * delay.  A loop that computes its deadline from a clock cached at the
     * start of the iteration would set an earlier one. */
    int64_t deadline;
    struct ne_state *st;
};

struct ne_state {
    struct ne_chain chains[NE_CHAINS];
    double samples[NE_CHAINS * NE_STEPS];
    size_t n;
    long long early, done;
    int64_t worst_early_ns;
    int arm_err;
};

static void ne_cb(lc_loop *loop, void *arg)
{
    struct ne_chain *c = arg;
    struct ne_state *st = c->st;
    int64_t late = lc_time_ns() - c->deadline;
    if (late < 0) {
        st->early++;
        if (-late > st->worst_early_ns)
            st->worst_early_ns = -late;
    }
    st->samples[st->n++] = (double)late / 1e3;
    if (++c->step < NE_STEPS) {
        int64_t d = ne_delays[(size_t)(c->k + c->step) % NE_NDELAYS];
        c->deadline = lc_time_ns() + d;
        int rc = lc_call_later(loop, &c->t, d, ne_cb, c);
        if (rc < 0) {
            st->arm_err = rc;
            lc_loop_stop(loop);
        }
    } else if (++st->done == NE_CHAINS) {
        lc_loop_stop(loop);
    }
}

static void timers_never_early(lc_case_ctx *ctx, lc_loop *loop)
{
    struct ne_state *st = calloc(1, sizeof *st);
    LC_REQUIRE(ctx, st, "out of memory");
    for (int k = 0; k < NE_CHAINS; k++) {
        struct ne_chain *c = &st->chains[k];
        c->k = k;
        c->st = st;
        int64_t d = ne_delays[(size_t)k % NE_NDELAYS];
        c->deadline = lc_time_ns() + d;
        int rc = lc_call_later(loop, &c->t, d, ne_cb, c);
        if (rc < 0) {
            lc_case_fail(ctx, "lc_call_later: %s", lc_strerror(rc));
            free(st);
            return;
        }
    }
    int guard = 0;
    int rc = lc__case_run_guarded(loop, LC__MS(5000), &guard);
    for (int k = 0; k < NE_CHAINS; k++)
        lc_timer_cancel(&st->chains[k].t);
    lc_case_measure_counter(ctx, "early_fires", st->early, "fire");
    lc_case_measure_counter(ctx, "fires", (long long)st->n, "fire");
    if (st->n)
        lc_case_measure_distribution(ctx, "lateness", st->samples, st->n, "us");
    if (rc < 0 || st->arm_err < 0) {
        lc_case_fail(ctx, "loop error: %s", lc_strerror(rc < 0 ? rc : st->arm_err));
    } else if (st->early) {
        lc_case_fail(ctx, "%lld of %zu timers fired before their deadline (worst: %.3f us early)",
                     st->early, st->n, (double)st->worst_early_ns / 1e3);
    } else if (st->n != NE_CHAINS * NE_STEPS) {
        lc_case_fail(ctx, "only %zu of %d timers fired within 5 s", st->n, NE_CHAINS * NE_STEPS);
    } else {
        lc_case_pass(ctx, "%zu timers at delays 0..20 ms, none early", st->n);
    }
    free(st);
}

/* ---- timers/zero-delay-next-iteration ----------------------------------- */

struct zd_state {
    lc_timer zero, neg;
    uint64_t start_iter, zero_iter, neg_iter;
    int zero_ran, neg_ran, ran_inline;
    int arm_rc;
};

static void zd_fire_zero(lc_loop *loop, void *arg)
{
    struct zd_state *st = arg;
    st->zero_ran++;
    st->zero_iter = lc_loop_iterations(loop);
    if (st->neg_ran)
        lc_loop_stop(loop);
}

static void zd_fire_neg(lc_loop *loop, void *arg)
{
    struct zd_state *st = arg;
    st->neg_ran++;
    st->neg_iter = lc_loop_iterations(loop);
    if (st->zero_ran)
        lc_loop_stop(loop);
}

static void zd_start(lc_loop *loop, void *arg)
{
    struct zd_state *st = arg;
    st->start_iter = lc_loop_iterations(loop);
    int rc = lc_call_later(loop, &st->zero, 0, zd_fire_zero, st);
    if (rc == 0)
        rc = lc_call_later(loop, &st->neg, -LC__MS(1), zd_fire_neg, st);
    st->arm_rc = rc;
    /* A timer never runs inside call_later itself. */
    if (st->zero_ran || st->neg_ran)
        st->ran_inline = 1;
}

static void zd_mark(lc_loop *loop, void *arg)
{
    (*(int *)arg)++;
}

static void timers_zero_delay_next_iteration(lc_case_ctx *ctx, lc_loop *loop)
{
    struct zd_state st;
    memset(&st, 0, sizeof st);
    LC_REQUIRE_OK(ctx, lc_call_soon(loop, zd_start, &st));
    int guard = 0;
    int rc = lc__case_run_guarded(loop, LC__MS(1000), &guard);
    lc_timer_cancel(&st.zero);
    lc_timer_cancel(&st.neg);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE_OK(ctx, st.arm_rc);
    LC_REQUIRE(ctx, !st.ran_inline, "a zero-delay timer ran inside call_later");
    LC_REQUIRE(ctx, st.zero_ran && st.neg_ran, "zero/negative-delay timers did not fire within 1 s");
    LC_REQUIRE(ctx, st.zero_ran == 1 && st.neg_ran == 1, "a timer fired more than once");
    lc_case_evidence_int(ctx, "zero_delay_iteration_offset", (long long)(st.zero_iter - st.start_iter));
    lc_case_evidence_int(ctx, "negative_delay_iteration_offset", (long long)(st.neg_iter - st.start_iter));
    /* asyncio _run_once moves due timers to the ready queue before running
     * it, so a timer armed by a running callback waits for the next
     * iteration, and not longer (test_base_events.py
     * test__run_once_schedule_handle). */
    LC_REQUIRE(ctx, st.zero_iter == st.start_iter + 1,
               "a zero-delay timer armed in iteration %llu ran in iteration %llu (want the next)",
               (unsigned long long)st.start_iter, (unsigned long long)st.zero_iter);
    LC_REQUIRE(ctx, st.neg_iter == st.start_iter + 1,
               "a negative-delay timer armed in iteration %llu ran in iteration %llu (want the next)",
               (unsigned long long)st.start_iter, (unsigned long long)st.neg_iter);

    /* A due timer armed outside the loop runs in a single blocking
     * iteration without waiting: the poll timeout is zero when a timer is
     * due. */
    lc_timer t = {0}, g = {0};
    int ran = 0, guard_ran = 0;
    LC_REQUIRE_OK(ctx, lc_call_later(loop, &t, 0, zd_mark, &ran));
    LC_REQUIRE_OK(ctx, lc_call_later(loop, &g, LC__MS(1000), zd_mark, &guard_ran));
    int64_t t0 = lc_time_ns();
    rc = lc_loop_run_once(loop, 1);
    int64_t took = lc_time_ns() - t0;
    lc_timer_cancel(&t);
    lc_timer_cancel(&g);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, ran == 1, "a zero-delay timer did not run in one blocking run_once");
    LC_REQUIRE(ctx, took < LC__MS(500), "run_once with a due timer blocked for %.1f ms",
               (double)took / 1e6);
    lc_case_pass(ctx, "zero and negative delays armed in a callback ran in the next iteration; "
                      "a due timer ran in one run_once (%.0f us)", (double)took / 1e3);
}

/* ---- timers/timeout-rounding -------------------------------------------- */

/* asyncio's test_timeout_rounding sleeps 1e-2, 1e-4, 1e-6, 1e-8 and 1e-10 s
 * in sequence; in ns the last two are 10 and 0.1 (rounded up to 1: the delay
 * stays positive as in asyncio). */
static const int64_t tr_delays[] = {10000000, 100000, 1000, 10, 1};
#define TR_N (sizeof tr_delays / sizeof tr_delays[0])

struct tr_state {
    lc_timer t;
    size_t step;
    int err;
};

static void tr_cb(lc_loop *loop, void *arg)
{
    struct tr_state *st = arg;
    if (++st->step < TR_N) {
        int rc = lc_call_later(loop, &st->t, tr_delays[st->step], tr_cb, st);
        if (rc < 0) {
            st->err = rc;
            lc_loop_stop(loop);
        }
    } else {
        lc_loop_stop(loop);
    }
}

/* Runs the sequence; returns the iteration count or a negative code. */
static long long tr_run(lc_loop *loop, int64_t *elapsed_ns, int *completed)
{
    struct tr_state st;
    memset(&st, 0, sizeof st);
    uint64_t it0 = lc_loop_iterations(loop);
    int64_t t0 = lc_time_ns();
    int rc = lc_call_later(loop, &st.t, tr_delays[0], tr_cb, &st);
    if (rc < 0)
        return rc;
    int guard = 0;
    rc = lc__case_run_guarded(loop, LC__MS(3000), &guard);
    *elapsed_ns = lc_time_ns() - t0;
    lc_timer_cancel(&st.t);
    if (rc < 0)
        return rc;
    if (st.err < 0)
        return st.err;
    *completed = st.step == TR_N;
    return (long long)(lc_loop_iterations(loop) - it0);
}

#define TR_BOUND 20 /* asyncio: assertLessEqual(_run_once_counter, 20) */

static void timers_timeout_rounding(lc_case_ctx *ctx, lc_loop *loop)
{
    int64_t elapsed = 0;
    int completed = 0;
    long long iters = tr_run(loop, &elapsed, &completed);
    LC_REQUIRE_OK(ctx, (int)(iters < 0 ? iters : 0));
    lc_case_measure_counter(ctx, "iterations", iters, "iteration");
    lc_case_measure_value(ctx, "elapsed", (double)elapsed / 1e6, "ms");
    lc_case_evidence_int(ctx, "timeout_granularity_ns", lc_loop_timeout_granularity_ns(loop));
    LC_REQUIRE(ctx, completed, "the sleep sequence did not complete within 3 s");

    /* The same sequence through the backend's millisecond wait call: a
     * sub-millisecond timeout must round up, not down to a zero wait that
     * spins (epoll_wait(2), poll(2)). */
    const lc_loop_options *base = lc_case_loop_options(ctx);
    lc_loop_options o = base ? *base : (lc_loop_options){0};
    long long coarse = -1;
    int64_t coarse_elapsed = 0;
    if (!(o.flags & LC_LOOP_COARSE_TIMEOUT)) {
        o.flags |= LC_LOOP_COARSE_TIMEOUT;
        lc_loop *cl = NULL;
        int rc = lc_loop_new(&cl, &o);
        if (rc < 0) {
            lc_case_evidence(ctx, "coarse_timeout_loop", lc_errname(rc));
        } else {
            int c_done = 0;
            coarse = tr_run(cl, &coarse_elapsed, &c_done);
            lc_case_evidence_int(ctx, "coarse_timeout_granularity_ns",
                                 lc_loop_timeout_granularity_ns(cl));
            lc_loop_free(cl);
            LC_REQUIRE_OK(ctx, (int)(coarse < 0 ? coarse : 0));
            LC_REQUIRE(ctx, c_done, "the sleep sequence (coarse timeout) did not complete within 3 s");
            lc_case_measure_counter(ctx, "iterations_coarse_timeout", coarse, "iteration");
            lc_case_measure_value(ctx, "elapsed_coarse_timeout", (double)coarse_elapsed / 1e6, "ms");
        }
    }
    LC_REQUIRE(ctx, iters <= TR_BOUND, "%lld loop iterations for 5 sleeps (asyncio's bound: %d)",
               iters, TR_BOUND);
    LC_REQUIRE(ctx, coarse <= TR_BOUND,
               "%lld loop iterations for 5 sleeps with the millisecond wait (asyncio's bound: %d)",
               coarse, TR_BOUND);
    if (coarse >= 0)
        lc_case_pass(ctx, "%lld iterations (%lld with the millisecond wait), bound %d", iters, coarse,
                     TR_BOUND);
    else
        lc_case_pass(ctx, "%lld iterations, bound %d", iters, TR_BOUND);
}

/* ---- timers/never-early-long-callback ----------------------------------- */

static const int64_t lcb_delays[] = {LC__MS(1), LC__MS(5), LC__MS(10), LC__MS(20)};
#define LCB_N (sizeof lcb_delays / sizeof lcb_delays[0])

struct lcb_state {
    lc_timer t;
    size_t round;
    int64_t armed_at;
    double waited_over[LCB_N];
    long long early, stale;
    int64_t worst_early_ns;
    int err;
};

static void lcb_fire(lc_loop *loop, void *arg);

/* Runs longer than the delay it then arms: by the end of this callback the
 * time the iteration started at is long past. */
static void lcb_busy(lc_loop *loop, void *arg)
{
    struct lcb_state *st = arg;
    int64_t d = lcb_delays[st->round];
    lc__case_busy_ns(2 * d + LC__MS(5));
    st->armed_at = lc_time_ns();
    int rc = lc_call_later(loop, &st->t, d, lcb_fire, st);
    if (rc < 0) {
        st->err = rc;
        lc_loop_stop(loop);
        return;
    }
    if (st->t.when < st->armed_at + d)
        st->stale++;
}

static void lcb_fire(lc_loop *loop, void *arg)
{
    struct lcb_state *st = arg;
    int64_t d = lcb_delays[st->round];
    int64_t waited = lc_time_ns() - st->armed_at;
    if (waited < d) {
        st->early++;
        if (d - waited > st->worst_early_ns)
            st->worst_early_ns = d - waited;
    }
    st->waited_over[st->round] = (double)(waited - d) / 1e3;
    if (++st->round < LCB_N) {
        int rc = lc_call_soon(loop, lcb_busy, st);
        if (rc < 0) {
            st->err = rc;
            lc_loop_stop(loop);
        }
    } else {
        lc_loop_stop(loop);
    }
}

static void timers_never_early_long_callback(lc_case_ctx *ctx, lc_loop *loop)
{
    struct lcb_state st;
    memset(&st, 0, sizeof st);
    LC_REQUIRE_OK(ctx, lc_call_soon(loop, lcb_busy, &st));
    int guard = 0;
    int rc = lc__case_run_guarded(loop, LC__MS(3000), &guard);
    lc_timer_cancel(&st.t);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE_OK(ctx, st.err);
    lc_case_measure_counter(ctx, "early_fires", st.early, "fire");
    lc_case_measure_counter(ctx, "stale_deadlines", st.stale, "timer");
    if (st.round)
        lc_case_measure_distribution(ctx, "lateness", st.waited_over, st.round, "us");
    LC_REQUIRE(ctx, st.round == LCB_N, "only %zu of %zu timers fired within 3 s", st.round, LCB_N);
    LC_REQUIRE(ctx, st.early == 0,
               "%lld of %zu timers armed after a long callback fired before their delay "
               "(worst: %.3f ms early; %lld deadlines computed from a stale clock)",
               st.early, LCB_N, (double)st.worst_early_ns / 1e6, st.stale);
    lc_case_pass(ctx, "%zu timers armed at the end of long callbacks each waited their full delay",
                 LCB_N);
}

const lc_case lc_cases_timers[] = {
    {"timers/call-later-order", "call_later/call_at callbacks run once each, in deadline order",
     timers_call_later_order, 0, NULL, 0},
    {"timers/cancel", "cancelled timers never run; a cancelled heap head does not make the loop spin",
     timers_cancel, 0, NULL, 0},
    {"timers/never-early", "timers at delays 0..20 ms never fire before now+delay; lateness recorded",
     timers_never_early, 0, NULL, 0},
    {"timers/zero-delay-next-iteration",
     "a zero or negative delay armed in a callback runs in the next iteration",
     timers_zero_delay_next_iteration, 0, NULL, 0},
    {"timers/timeout-rounding",
     "asyncio's 1e-2..1e-10 s sleep sequence takes at most 20 loop iterations",
     timers_timeout_rounding, 0, NULL, 0},
    {"timers/never-early-long-callback",
     "a timer armed at the end of a long callback waits its full delay from when it was armed",
     timers_never_early_long_callback, 0, NULL, 0},
    {0},
};
