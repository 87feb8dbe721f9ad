/* timers: equal deadlines fire in scheduling order, and timers cancelled
 * inside a large batch never fire.
 *
 * loop.h promises timers "ordered by (deadline, sequence): equal deadlines
 * fire in scheduling order", as asyncio's TimerHandle does (its heap
 * compares `when`, and heapq keeps insertion order only through the
 * handle's own tie-break: test_base_events.py test__run_once keeps it by
 * scheduling).  The loop takes a batch of 256 or more timers armed in one
 * iteration into a sorted array rather than its heap (backends/timer.c), so
 * each behaviour is checked below and above that size: the two paths order
 * and cancel differently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_util.h"

/* ---- timers/equal-deadline-order, timers/equal-deadline-order-1000 ------ */

struct eq_timer {
    lc_timer t;
    int idx;
    struct eq_state *st;
};

struct eq_state {
    struct eq_timer *tm;
    int n;          /* armed */
    int fired;      /* callbacks run */
    int first_bad;  /* position of the first out-of-order fire, or -1 */
    int got_at_bad; /* the index that fired there */
    int dup;        /* a timer fired twice */
    unsigned char *seen;
};

static void eq_cb(lc_loop *loop, void *arg)
{
    struct eq_timer *e = arg;
    struct eq_state *st = e->st;
    if (st->seen[e->idx]++)
        st->dup = 1;
    if (e->idx != st->fired && st->first_bad < 0) {
        st->first_bad = st->fired;
        st->got_at_bad = e->idx;
    }
    if (++st->fired == st->n)
        lc_loop_stop(loop);
}

/* Arm timers [from, to) at one absolute deadline with call_at: call_later
 * computes its deadline from the clock at the call, so two call_laters
 * rarely share one (timers/call-later-order covers the mix). */
static int eq_arm(lc_loop *loop, struct eq_state *st, int from, int to, int64_t when)
{
    for (int i = from; i < to; i++) {
        struct eq_timer *e = &st->tm[i];
        e->idx = i;
        e->st = st;
        int rc = lc_call_at(loop, &e->t, when, eq_cb, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Arm `n` timers at one deadline in three rounds, each round in a later
 * loop iteration than the one before: the first two rounds are taken in
 * before the third is armed, so the order checked is the one across the
 * loop's structures (heap, sorted run, merge) as well as inside a batch. */
static void eq_run(lc_case_ctx *ctx, lc_loop *loop, int n)
{
    struct eq_state st;
    memset(&st, 0, sizeof st);
    st.tm = calloc((size_t)n, sizeof *st.tm);
    st.seen = calloc((size_t)n, 1);
    st.first_bad = -1;
    st.n = n;
    if (!st.tm || !st.seen) {
        free(st.tm);
        free(st.seen);
        lc_case_fail(ctx, "out of memory");
        return;
    }
    /* Far enough ahead that the three rounds are armed before it passes,
     * even on a descheduled vCPU (arming is O(1), docs/timers.md). */
    int64_t when = lc_loop_time(loop) + LC__MS(200);
    int r1 = n * 2 / 5, r2 = n * 4 / 5;
    int rc = eq_arm(loop, &st, 0, r1, when);
    if (rc == 0)
        rc = lc_loop_run_once(loop, 0);
    if (rc == 0)
        rc = eq_arm(loop, &st, r1, r2, when);
    if (rc == 0)
        rc = lc_loop_run_once(loop, 0);
    if (rc == 0)
        rc = eq_arm(loop, &st, r2, n, when);
    int early = st.fired;
    int guard = 0;
    if (rc == 0)
        rc = lc__case_run_guarded(loop, LC__MS(3000), &guard);
    for (int i = 0; i < n; i++)
        lc_timer_cancel(&st.tm[i].t);
    lc_case_measure_counter(ctx, "timers", n, "timer");
    lc_case_measure_counter(ctx, "fired", st.fired, "fire");
    if (rc < 0)
        lc_case_fail(ctx, "loop error: %s (%s)", lc_strerror(rc), lc_errname(rc));
    else if (early)
        lc_case_fail(ctx, "%d timers fired while the rounds were armed, before their deadline", early);
    else if (st.dup)
        lc_case_fail(ctx, "a timer fired twice");
    else if (st.fired != n)
        lc_case_fail(ctx, "%d of %d timers fired within 3 s", st.fired, n);
    else if (st.first_bad >= 0)
        lc_case_fail(ctx, "%d timers with one deadline: position %d ran timer #%d (scheduling order wants #%d)",
                     n, st.first_bad, st.got_at_bad, st.first_bad);
    else
        lc_case_pass(ctx, "%d timers with one deadline, armed over 3 iterations, fired in scheduling order", n);
    free(st.tm);
    free(st.seen);
}

static void timers_equal_deadline_order(lc_case_ctx *ctx, lc_loop *loop)
{
    eq_run(ctx, loop, 20);
}

static void timers_equal_deadline_order_1000(lc_case_ctx *ctx, lc_loop *loop)
{
    /* Rounds of 400, 400 and 200: each at least 256, so each is a batch
     * the loop sorts rather than pushes into its heap. */
    eq_run(ctx, loop, 1000);
}

/* ---- timers/cancel-in-large-batch --------------------------------------- */

#define CB_N 1000

struct cb_timer {
    lc_timer t;
    int idx;
    struct cb_state *st;
};

struct cb_state {
    struct cb_timer tm[CB_N];
    int fired[CB_N];
    int cancelled[CB_N];
    int cancel_rc_bad; /* a cancel of a pending timer that did not return 1 */
    int pending_after_cancel;
    int order_bad;
    int last;          /* index of the last timer fired */
    int live_fired, live;
    int64_t when0;
};

/* Deadlines: ten distinct ones 100 us apart, 100 timers on each, armed in
 * an order that interleaves them so the batch really has to be sorted. */
static int64_t cb_when(const struct cb_state *st, int i)
{
    return st->when0 + LC__US(100) * (i % 10);
}

/* The (deadline, sequence) order: the timer armed as i precedes j. */
static int cb_before(const struct cb_state *st, int i, int j)
{
    int64_t wi = cb_when(st, i), wj = cb_when(st, j);
    return wi < wj || (wi == wj && i < j);
}

static void cb_cancel(struct cb_state *st, int j)
{
    if (st->cancelled[j])
        return;
    st->cancelled[j] = 1;
    if (lc_timer_cancel(&st->tm[j].t) != 1)
        st->cancel_rc_bad++;
    if (lc_timer_pending(&st->tm[j].t))
        st->pending_after_cancel++;
}

static void cb_fire(lc_loop *loop, void *arg)
{
    struct cb_timer *e = arg;
    struct cb_state *st = e->st;
    int i = e->idx;
    st->fired[i]++;
    if (st->last >= 0 && !cb_before(st, st->last, i))
        st->order_bad++;
    st->last = i;
    /* Inside the batch: each timer cancels the one 13 places after it in
     * firing order when that one is due in the same batch, so it sits in
     * the loop's run or heap, already taken in, maybe in the same wakeup. */
    int j = i + 130 < CB_N ? i + 130 : -1; /* same deadline, armed later */
    if (j >= 0 && j % 13 == 0)
        cb_cancel(st, j);
    if (++st->live_fired == st->live)
        lc_loop_stop(loop);
}

/* Runs in the first iteration, after the loop took the batch in. */
static void cb_cancel_every_7th(lc_loop *loop, void *arg)
{
    struct cb_state *st = arg;
    for (int j = 3; j < CB_N; j += 7)
        cb_cancel(st, j);
}

static void timers_cancel_in_large_batch(lc_case_ctx *ctx, lc_loop *loop)
{
    struct cb_state *st = calloc(1, sizeof *st);
    LC_REQUIRE(ctx, st, "out of memory");
    st->last = -1;
    st->when0 = lc_loop_time(loop) + LC__MS(50);
    int rc = 0;
    for (int i = 0; i < CB_N && rc == 0; i++) {
        st->tm[i].idx = i;
        st->tm[i].st = st;
        rc = lc_call_at(loop, &st->tm[i].t, cb_when(st, i), cb_fire, &st->tm[i]);
    }
    /* Before the run, while the batch is still being armed: cancel every
     * 11th (the loop has not taken them in yet). */
    for (int j = 5; j < CB_N && rc == 0; j += 11)
        cb_cancel(st, j);
    if (rc == 0)
        rc = lc_call_soon(loop, cb_cancel_every_7th, st);
    /* The live count the stop waits for: what neither the pre-run nor the
     * first-iteration cancels remove, less what the batch cancels; the
     * stop comes from the last live timer, so the count is computed by
     * replaying the cancel rules in firing order. */
    if (rc == 0) {
        int *dead = calloc(CB_N, sizeof *dead);
        LC_REQUIRE(ctx, dead, "out of memory");
        for (int j = 5; j < CB_N; j += 11)
            dead[j] = 1;
        for (int j = 3; j < CB_N; j += 7)
            dead[j] = 1;
        /* Firing order: deadline slot (i % 10), then index. */
        for (int slot = 0; slot < 10; slot++)
            for (int i = slot; i < CB_N; i += 10) {
                if (dead[i])
                    continue;
                st->live++;
                int j = i + 130;
                if (j < CB_N && j % 13 == 0)
                    dead[j] = 1;
            }
        free(dead);
    }
    int guard = 0;
    if (rc == 0)
        rc = lc__case_run_guarded(loop, LC__MS(3000), &guard);
    /* A cancelled slot left live would fire late too: give it one more
     * iteration past the last deadline. */
    if (rc == 0)
        rc = lc_loop_run_once(loop, 0);
    int ran_cancelled = 0, missed = 0, twice = 0, still_pending = 0, ncancelled = 0;
    for (int i = 0; i < CB_N; i++) {
        if (st->cancelled[i]) {
            ncancelled++;
            ran_cancelled += st->fired[i] != 0;
            still_pending += lc_timer_pending(&st->tm[i].t) != 0;
        } else {
            missed += st->fired[i] == 0;
            twice += st->fired[i] > 1;
        }
        lc_timer_cancel(&st->tm[i].t);
    }
    lc_case_measure_counter(ctx, "timers", CB_N, "timer");
    lc_case_measure_counter(ctx, "cancelled", ncancelled, "timer");
    lc_case_measure_counter(ctx, "cancelled_fired", ran_cancelled, "timer");
    if (rc < 0)
        lc_case_fail(ctx, "loop error: %s (%s)", lc_strerror(rc), lc_errname(rc));
    else if (ran_cancelled)
        lc_case_fail(ctx, "%d of %d cancelled timers fired anyway", ran_cancelled, ncancelled);
    else if (st->cancel_rc_bad || st->pending_after_cancel || still_pending)
        lc_case_fail(ctx, "cancel of a pending timer: %d did not return 1, %d still pending after it, %d at the end",
                     st->cancel_rc_bad, st->pending_after_cancel, still_pending);
    else if (missed || twice)
        lc_case_fail(ctx, "of %d live timers %d never fired and %d fired twice", CB_N - ncancelled, missed, twice);
    else if (st->order_bad)
        lc_case_fail(ctx, "%d live timers fired out of (deadline, scheduling) order", st->order_bad);
    else
        lc_case_pass(ctx, "%d of %d timers cancelled (before the run, after the batch was taken in, and from "
                     "inside it): none fired; the %d others fired once each, in order",
                     ncancelled, CB_N, CB_N - ncancelled);
    free(st);
}

const lc_case lc_cases_timers_order[] = {
    {"timers/equal-deadline-order", "20 timers with one deadline, armed over 3 iterations, fire in scheduling order",
     timers_equal_deadline_order, 0, NULL, 0},
    {"timers/equal-deadline-order-1000",
     "1 000 timers with one deadline, armed in batches of 256 or more, fire in scheduling order",
     timers_equal_deadline_order_1000, 0, NULL, 0},
    {"timers/cancel-in-large-batch",
     "every 7th, 11th and some 13th of 1 000 timers armed at once cancelled (before, after intake, inside the "
     "batch): none fires",
     timers_cancel_in_large_batch, 0, NULL, 0},
    {0},
};
