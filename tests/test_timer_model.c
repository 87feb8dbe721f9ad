/* The timer queue against a reference model: random sequences of call_at,
 * call_later, cancel and re-arm, from the driver between iterations and from
 * inside timer callbacks, with many equal deadlines, negative delays and
 * bursts large enough to take the sorted-batch path as well as the heap.
 * The model is a plain array scanned for the smallest (deadline, sequence).
 * What it checks (loop.h, timers; asyncio's BaseEventLoop._run_once):
 *  - each firing is the model's first eligible timer: scheduled before the
 *    iteration started (a timer armed during an iteration waits for the
 *    next one), ordered by (deadline, arming order);
 *  - no timer fires before its deadline by the loop's clock, and
 *    lc_call_later's deadline is at least the clock before the call + delay;
 *  - after an iteration no eligible timer is left that was due by the
 *    loop's clock (none lost);
 *  - lc_timer_pending and lc_timer_cancel's result match the model;
 *  - nothing fires twice; closing the loop unschedules everything.
 * Run once per backend (ctest timer_model__<backend>). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loopcompat/loop.h"
/* White box: lc__timers_wake and lc__allowance, the wakeup computation. */
#include "lc_internal.h"

enum { N = 2048 };
#define Q 100000LL              /* 100 µs: deadlines are multiples, so many tie */
#define HOUR 3600000000000LL

static const char *backend(void)
{
    const char *b = getenv("LC_TEST_BACKEND");
    return b && *b ? b : "poll";
}

struct model {
    lc_loop *loop;
    lc_timer t[N];
    int idx[N];
    int sched[N];       /* scheduled, per the model */
    int fresh[N];       /* armed during the current iteration */
    int64_t when[N];
    uint64_t seq[N];    /* the model's own arming order */
    uint64_t next_seq;
    uint64_t rng;
    int in_iter;        /* inside lc_loop_run_once */
    int ops_per_cb;     /* upper bound of random operations per callback */
    int64_t max_fired_when;
    long fired, arms, cancels;
};

static struct model *M;

/* Check's ck_assert records every passing check (a write per call); the
 * model checks millions of times, so it fails through ck_abort_msg only. */
#define MUST(cond, ...)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

static uint64_t rnd(void)
{
    uint64_t x = M->rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return M->rng = x;
}

static void fire_cb(lc_loop *loop, void *arg);

/* The model's next timer: scheduled, not armed in this iteration, smallest
 * (deadline, sequence).  -1 if none. */
static int first_eligible(void)
{
    int m = -1;
    for (int i = 0; i < N; i++) {
        if (!M->sched[i] || M->fresh[i])
            continue;
        if (m < 0 || M->when[i] < M->when[m] || (M->when[i] == M->when[m] && M->seq[i] < M->seq[m]))
            m = i;
    }
    return m;
}

static int64_t pick_when(int64_t now)
{
    int64_t base = now / Q * Q;
    switch (rnd() % 16) {
    case 0:
        return INT64_MIN + (int64_t)(rnd() % 2); /* the far past, tied */
    case 1:
        return INT64_MAX - (int64_t)(rnd() % 2); /* never due, tied */
    case 2:
    case 3:
        return base + HOUR + (int64_t)(rnd() % 3) * Q;
    default:
        return base + ((int64_t)(rnd() % 60) - 30) * Q; /* -3 ms .. +3 ms */
    }
}

static void op_arm(int i)
{
    int64_t when;
    int rc;
    if (rnd() % 3) {
        when = pick_when(lc_loop_time(M->loop));
        rc = lc_call_at(M->loop, &M->t[i], when, fire_cb, &M->idx[i]);
    } else {
        int64_t delay = ((int64_t)(rnd() % 50) - 20) * Q; /* -2 ms .. +3 ms */
        if (rnd() % 8 == 0)
            delay = HOUR;
        int64_t before = lc_loop_time(M->loop);
        rc = lc_call_later(M->loop, &M->t[i], delay, fire_cb, &M->idx[i]);
        when = M->t[i].when;
        MUST(when >= before + delay, "call_later(%lld) deadline %lld < clock before the call %lld + delay",
                      (long long)delay, (long long)when, (long long)before);
    }
    MUST(rc == 0, "arming timer %d: %s", i, lc_strerror(rc));
    M->sched[i] = 1;
    M->fresh[i] = M->in_iter;
    M->when[i] = when;
    M->seq[i] = M->next_seq++;
    M->arms++;
}

static void op_cancel(int i)
{
    int rc = lc_timer_cancel(&M->t[i]);
    MUST(rc == M->sched[i], "lc_timer_cancel(timer %d) = %d, the model says %d", i, rc, M->sched[i]);
    M->sched[i] = 0;
    M->cancels++;
}

static void op_check(int i)
{
    int p = lc_timer_pending(&M->t[i]);
    MUST(p == M->sched[i], "lc_timer_pending(timer %d) = %d, the model says %d", i, p, M->sched[i]);
}

static void random_op(void)
{
    int i = (int)(rnd() % N);
    unsigned r = (unsigned)(rnd() % 10);
    if (r < 5)
        op_arm(i);
    else if (r < 8)
        op_cancel(i);
    else
        op_check(i);
}

static void fire_cb(lc_loop *loop, void *arg)
{
    int i = *(int *)arg;
    int64_t now = lc_loop_time(loop);
    MUST(M->in_iter, "timer %d fired outside an iteration", i);
    MUST(M->sched[i], "timer %d fired but is not scheduled (cancelled or already run)", i);
    MUST(!M->fresh[i], "timer %d fired in the iteration that armed it", i);
    MUST(now >= M->when[i], "timer %d fired %lld ns early", i, (long long)(M->when[i] - now));
    int m = first_eligible();
    MUST(m == i, "timer %d (when %lld seq %llu) fired before timer %d (when %lld seq %llu)", i,
                  (long long)M->when[i], (unsigned long long)M->seq[i], m, (long long)M->when[m],
                  (unsigned long long)M->seq[m]);
    MUST(!lc_timer_pending(&M->t[i]), "timer %d pending in its own callback", i);
    M->sched[i] = 0;
    M->fired++;
    if (M->when[i] > M->max_fired_when)
        M->max_fired_when = M->when[i];
    if (M->ops_per_cb == 0)
        return;
    if (rnd() % 400 == 0) {
        for (int k = 0; k < 300; k++) /* a burst from a callback */
            op_arm((int)(rnd() % N));
        return;
    }
    int ops = (int)(rnd() % (unsigned)(M->ops_per_cb + 1));
    for (int k = 0; k < ops; k++) {
        if (rnd() % 8 == 0)
            op_arm(i); /* re-arm itself */
        else
            random_op();
    }
}

/* One iteration, then the end-of-iteration checks. */
static void iterate(int block)
{
    for (int i = 0; i < N; i++)
        M->fresh[i] = 0;
    M->max_fired_when = INT64_MIN;
    int64_t lo = lc_loop_time(M->loop); /* <= the clock the loop compares with */
    M->in_iter = 1;
    int rc = lc_loop_run_once(M->loop, block);
    MUST(rc == 0, "lc_loop_run_once: %s", lc_strerror(rc));
    M->in_iter = 0;
    int m = first_eligible();
    if (m >= 0) {
        int64_t x = lo > M->max_fired_when ? lo : M->max_fired_when;
        MUST(M->when[m] > x, "timer %d was due (when %lld <= %lld) but did not fire", m,
                      (long long)M->when[m], (long long)x);
    }
    for (int i = 0; i < N; i++)
        op_check(i);
}

static void model_init(uint64_t seed)
{
    M = calloc(1, sizeof *M);
    ck_assert_ptr_nonnull(M);
    lc_loop_options o = {0};
    o.backend = backend();
    int rc = lc_loop_new(&M->loop, &o);
    ck_assert_msg(rc == 0, "lc_loop_new(%s): %s", backend(), lc_strerror(rc));
    for (int i = 0; i < N; i++)
        M->idx[i] = i;
    M->rng = seed * 0x9E3779B97F4A7C15ull + 1;
}

/* Driver steps: a burst of arms (the sorted-batch path), a burst of
 * cancels, or a few operations; then one non-blocking iteration. */
static void drive(int steps)
{
    for (int s = 0; s < steps; s++) {
        unsigned kind = (unsigned)(rnd() % 10);
        if (kind == 0) {
            int n = 256 + (int)(rnd() % 1024);
            for (int k = 0; k < n; k++)
                op_arm((int)(rnd() % N));
        } else if (kind == 1) {
            for (int k = 0; k < N / 2; k++)
                op_cancel((int)(rnd() % N));
        } else {
            int n = (int)(rnd() % 9);
            for (int k = 0; k < n; k++)
                random_op();
        }
        iterate(0);
    }
}

/* Cancel what would never come due, then block until the rest fired. */
static void drain(void)
{
    int64_t horizon = lc_loop_time(M->loop) + HOUR / 2;
    for (int i = 0; i < N; i++)
        if (M->sched[i] && M->when[i] > horizon)
            op_cancel(i);
    M->ops_per_cb = 0;
    for (int k = 0; k < 10000; k++) {
        int left = 0;
        for (int i = 0; i < N; i++)
            left += M->sched[i];
        if (left == 0)
            break;
        iterate(1);
    }
    for (int i = 0; i < N; i++) {
        MUST(!M->sched[i], "timer %d never fired", i);
        MUST(!lc_timer_pending(&M->t[i]), "timer %d pending after it fired", i);
    }
}

static void model_free(void)
{
    lc_loop_free(M->loop);
    free(M);
    M = NULL;
}

START_TEST(random_sequences_match_the_model)
{
    uint64_t seed = (uint64_t)_i + 1;
    model_init(seed);
    M->ops_per_cb = 3;
    drive(300);
    drain();
    ck_assert_int_gt(M->fired, 1000);
    ck_assert_int_gt(M->cancels, 1000);
    model_free();
}
END_TEST

START_TEST(busy_callbacks_match_the_model)
{
    /* Many operations per callback: holes in the sorted batch while it is
     * being consumed, re-arms of timers that are about to fire. */
    model_init((uint64_t)_i + 1000);
    M->ops_per_cb = 12;
    drive(150);
    drain();
    model_free();
}
END_TEST

START_TEST(close_unschedules_every_timer)
{
    model_init(77);
    M->ops_per_cb = 2;
    drive(40);
    /* Timers in every state: a burst flushed into the sorted batch, a few
     * flushed into the heap, and some armed since the last iteration. */
    for (int k = 0; k < 600; k++)
        op_arm((int)(rnd() % N));
    iterate(0);
    for (int k = 0; k < 20; k++)
        op_arm((int)(rnd() % N));
    iterate(0);
    for (int k = 0; k < 50; k++)
        op_arm((int)(rnd() % N));
    int scheduled = 0;
    for (int i = 0; i < N; i++)
        scheduled += M->sched[i];
    ck_assert_int_gt(scheduled, 100);
    ck_assert_int_eq(lc_loop_close(M->loop), 0);
    for (int i = 0; i < N; i++) {
        ck_assert(!lc_timer_pending(&M->t[i]));
        ck_assert_int_eq(lc_timer_cancel(&M->t[i]), 0);
    }
    ck_assert_int_eq(lc_call_later(M->loop, &M->t[0], 0, fire_cb, &M->idx[0]), LC_ECLOSED);
    model_free();
}
END_TEST

/* ---- with real waits: lc_loop_run, blocking polls ---- */

static struct {
    int64_t when[4000];
    int order[4000]; /* arming order, the tie-break */
    int fired[4000];
    int64_t last_when;
    int last_order;
    int early, out_of_order, n;
} R;

static void run_cb(lc_loop *loop, void *arg)
{
    int i = (int)(intptr_t)arg;
    int64_t now = lc_loop_time(loop);
    if (now < R.when[i])
        R.early++;
    if (R.when[i] < R.last_when || (R.when[i] == R.last_when && R.order[i] < R.last_order))
        R.out_of_order++;
    R.last_when = R.when[i];
    R.last_order = R.order[i];
    R.fired[i]++;
    R.n++;
}

static void stop_cb(lc_loop *loop, void *arg)
{
    (void)arg;
    lc_loop_stop(loop);
}

START_TEST(large_batch_fires_in_order_never_early)
{
    enum { K = 4000 };
    lc_loop *loop;
    lc_loop_options o = {0};
    o.backend = backend();
    ck_assert_int_eq(lc_loop_new(&loop, &o), 0);
    lc_timer *t = calloc(K, sizeof *t);
    memset(&R, 0, sizeof R);
    R.last_when = INT64_MIN;
    uint64_t x = 12345;
    int order = 0, live = 0;
    int64_t base = lc_loop_time(loop);
    /* Deadlines over 0..25 ms in whole ms (ties), half absolute, half
     * relative; then a third cancelled and some re-armed (a re-arm is a new
     * arming: it goes after the timers armed before it). */
    for (int i = 0; i < K; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t d = (int64_t)(x % 26) * 1000000;
        if (i % 2) {
            ck_assert_int_eq(lc_call_later(loop, &t[i], d, run_cb, (void *)(intptr_t)i), 0);
        } else {
            ck_assert_int_eq(lc_call_at(loop, &t[i], base + d, run_cb, (void *)(intptr_t)i), 0);
        }
        R.when[i] = t[i].when;
        R.order[i] = order++;
    }
    for (int i = 0; i < K; i += 3)
        ck_assert_int_eq(lc_timer_cancel(&t[i]), 1);
    for (int i = 0; i < K; i += 7) {
        ck_assert_int_eq(lc_call_later(loop, &t[i], (int64_t)(i % 5) * 1000000, run_cb, (void *)(intptr_t)i), 0);
        R.when[i] = t[i].when;
        R.order[i] = order++;
    }
    for (int i = 0; i < K; i++)
        live += lc_timer_pending(&t[i]);
    lc_timer stop = {0};
    ck_assert_int_eq(lc_call_later(loop, &stop, 40000000, stop_cb, NULL), 0);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    ck_assert_int_eq(R.early, 0);
    ck_assert_int_eq(R.out_of_order, 0);
    ck_assert_int_eq(R.n, live);
    for (int i = 0; i < K; i++) {
        int cancelled = i % 3 == 0 && i % 7 != 0;
        ck_assert_int_eq(R.fired[i], cancelled ? 0 : 1);
        ck_assert(!lc_timer_pending(&t[i]));
    }
    lc_loop_free(loop);
    free(t);
}
END_TEST

/* ---- the wakeup: never later than any timer's allowance ---- */

static void noop_cb(lc_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
}

/* Arm k timers at deadlines spread over [lo, lo + span) ns from now, take
 * them in with one non-blocking iteration, and check lc__timers_wake against
 * the allowances computed with the clock before and after the intake: the
 * answer is at most the smallest deadline + allowance (time left measured
 * from before, the most it can be) and, when exact (fewer timers than the
 * look covers), at least the smallest measured from after.  Then cancel
 * every other one and check the kept answer is still safe. */
static void check_wake(lc_loop *loop, lc_timer *t, int k, int64_t lo, int64_t span, int exact)
{
    uint64_t x = 0x9E3779B97F4A7C15ull ^ (uint64_t)k;
    int64_t t0 = lc_loop_time(loop);
    for (int i = 0; i < k; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ck_assert_int_eq(lc_call_at(loop, &t[i], t0 + lo + (int64_t)(x % (uint64_t)span), noop_cb, NULL), 0);
    }
    ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
    int64_t t1 = lc_loop_time(loop);
    int64_t hi = INT64_MAX, lo_late = INT64_MAX, first = INT64_MAX;
    for (int i = 0; i < k; i++) {
        int64_t d = t[i].when;
        if (d + lc__allowance(loop, d - t0) < hi)
            hi = d + lc__allowance(loop, d - t0);
        if (d + lc__allowance(loop, d - t1) < lo_late)
            lo_late = d + lc__allowance(loop, d - t1);
        if (d < first)
            first = d;
    }
    int64_t w = lc__timers_wake(loop);
    ck_assert_msg(w <= hi, "k=%d: wake %lld after the latest allowed %lld", k, (long long)w, (long long)hi);
    ck_assert_msg(w >= first, "k=%d: wake %lld before the first deadline %lld", k, (long long)w, (long long)first);
    if (exact)
        ck_assert_msg(w >= lo_late, "k=%d: wake %lld earlier than need be (%lld)", k, (long long)w,
                      (long long)lo_late);
    hi = INT64_MAX;
    for (int i = 0; i < k; i += 2)
        ck_assert_int_eq(lc_timer_cancel(&t[i]), 1);
    for (int i = 1; i < k; i += 2)
        if (t[i].when + lc__allowance(loop, t[i].when - t0) < hi)
            hi = t[i].when + lc__allowance(loop, t[i].when - t0);
    ck_assert(lc__timers_wake(loop) <= hi);
    for (int i = 1; i < k; i += 2)
        lc_timer_cancel(&t[i]);
}

START_TEST(wake_never_later_than_an_allowance)
{
    enum { K = 5000 };
    lc_loop *loop;
    lc_loop_options o = {0};
    o.backend = backend();
    ck_assert_int_eq(lc_loop_new(&loop, &o), 0);
    lc_timer *t = calloc(K, sizeof *t);
    const int64_t S = 1000000000;
    check_wake(loop, t, 100, S, 4 * S, 1);  /* a small batch: the heap */
    check_wake(loop, t, 600, S, 4 * S, 1);  /* a sorted run the look covers */
    check_wake(loop, t, K, S, 4 * S, 0);    /* one it does not */
    check_wake(loop, t, 600, S, 1000, 1);   /* dense deadlines */
    /* One timer 2 s out may be 0.1% of that late, 2 ms, unless the thread
     * has no slack (real-time: fs/select.c, select_estimate_accuracy()). */
    int64_t now = lc_loop_time(loop);
    ck_assert_int_eq(lc_call_at(loop, &t[0], now + 2 * S, noop_cb, NULL), 0);
    ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
    int64_t late = lc__timers_wake(loop) - (now + 2 * S);
    if (loop->slack_ns > 0) {
        ck_assert_int_ge(late, 1990000);
        ck_assert_int_le(late, 2000000);
    }
    /* A timer taken in later with an earlier deadline is looked at. */
    ck_assert_int_eq(lc_call_at(loop, &t[1], now + S, noop_cb, NULL), 0);
    ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
    ck_assert(lc__timers_wake(loop) <= now + S + lc__allowance(loop, S));
    lc_loop_free(loop);
    free(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("timer_model");
    TCase *tc = tcase_create("model");
    tcase_add_loop_test(tc, random_sequences_match_the_model, 0, 4);
    tcase_add_loop_test(tc, busy_callbacks_match_the_model, 0, 2);
    tcase_add_test(tc, close_unschedules_every_timer);
    tcase_add_test(tc, large_batch_fires_in_order_never_early);
    tcase_add_test(tc, wake_never_later_than_an_allowance);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    lc_probe why;
    if (lc_backend_probe(backend(), &why) < 0 || !why.available) {
        printf("backend %s unavailable here\n", backend());
        return 77;
    }
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
