/* callbacks: call_soon order, call_soon_threadsafe waking a blocked loop,
 * and stop() before run().  Semantics: asyncio-eventloop "Scheduling
 * callbacks" and "Running and stopping the loop"; CPython's test_events.py
 * and test_base_events.py. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "case_util.h"

/* ---- callbacks/call-soon-fifo ------------------------------------------ */

/* Enough to make a ring buffer grow and wrap several times. */
#define FIFO_N 1000
#define FIFO_LATE 10

struct fifo_state {
    int ids[FIFO_N + FIFO_LATE];
    int seen[FIFO_N + FIFO_LATE];
    uint64_t iter[FIFO_N + FIFO_LATE];
    int n;
    int err;
};

static struct fifo_state *fifo_g;

static void fifo_cb(lc_loop *loop, void *arg)
{
    struct fifo_state *st = fifo_g;
    int id = *(int *)arg;
    if (st->n < FIFO_N + FIFO_LATE) {
        st->seen[st->n] = id;
        st->iter[st->n] = lc_loop_iterations(loop);
    }
    st->n++;
    /* Added while the iteration runs its ready queue: must wait for the
     * next iteration, after everything already queued. */
    if (id < FIFO_LATE) {
        int rc = lc_call_soon(loop, fifo_cb, &st->ids[FIFO_N + id]);
        if (rc < 0)
            st->err = rc;
    }
    if (id == FIFO_N + FIFO_LATE - 1)
        lc_loop_stop(loop);
}

static void callbacks_call_soon_fifo(lc_case_ctx *ctx, lc_loop *loop)
{
    struct fifo_state *st = calloc(1, sizeof *st);
    LC_REQUIRE(ctx, st, "out of memory");
    fifo_g = st;
    for (int i = 0; i < FIFO_N + FIFO_LATE; i++)
        st->ids[i] = i;
    int rc = 0;
    for (int i = 0; i < FIFO_N && rc >= 0; i++)
        rc = lc_call_soon(loop, fifo_cb, &st->ids[i]);
    int guard = 0;
    if (rc >= 0)
        rc = lc__case_run_guarded(loop, LC__MS(2000), &guard);
    if (rc >= 0 && st->err < 0)
        rc = st->err;

    const int total = FIFO_N + FIFO_LATE;
    if (rc < 0) {
        lc_case_fail(ctx, "loop error: %s (%s)", lc_strerror(rc), lc_errname(rc));
    } else if (st->n != total) {
        lc_case_fail(ctx, "%d of %d callbacks ran%s", st->n, total, guard ? " before the 2 s guard" : "");
    } else {
        int bad = -1;
        for (int i = 0; i < total && bad < 0; i++)
            if (st->seen[i] != i)
                bad = i;
        uint64_t first = st->iter[0];
        int mixed = -1;
        for (int i = 0; i < total && mixed < 0; i++)
            if (st->iter[i] != (i < FIFO_N ? first : first + 1))
                mixed = i;
        lc_case_evidence_int(ctx, "first_batch_iterations", (long long)(st->iter[FIFO_N - 1] - first + 1));
        if (bad >= 0)
            lc_case_fail(ctx, "position %d ran callback %d: not FIFO", bad, st->seen[bad]);
        else if (mixed >= 0)
            lc_case_fail(ctx, "callback %d ran in iteration +%llu (queued %s the run: want +%d)", mixed,
                         (unsigned long long)(st->iter[mixed] - first),
                         mixed < FIFO_N ? "before" : "during", mixed < FIFO_N ? 0 : 1);
        else
            lc_case_pass(ctx, "%d callbacks in FIFO order in one iteration; %d added during it ran in the next",
                         FIFO_N, FIFO_LATE);
    }
    free(st);
}

/* ---- callbacks/threadsafe-wakeup ---------------------------------------- */

#define TS_ROUNDS 5
/* A loop blocked in its poll needs about two iterations per wakeup (the
 * wakeup, then the callback); one that spins does thousands in 50 ms. */
#define TS_MAX_ITERS_PER_ROUND 5

struct ts_state {
    lc_loop *loop;
    pthread_t main_thread;
    atomic_int posting;      /* round being posted */
    atomic_int ran_round;    /* last round whose callback ran, -1 before */
    atomic_int loop_returned;
    int64_t posted_at[TS_ROUNDS], ran_at[TS_ROUNDS];
    uint64_t iters_at[TS_ROUNDS];
    int post_err;
    int kicked;              /* the callback did not run in 2 s: the loop was interrupted */
};

#ifndef _WIN32
static void ts_on_signal(int sig)
{
    (void)sig;
}
#endif

static void ts_cb(lc_loop *loop, void *arg)
{
    struct ts_state *st = arg;
    int r = atomic_load(&st->posting);
    st->ran_at[r] = lc_time_ns();
    st->iters_at[r] = lc_loop_iterations(loop);
    atomic_store(&st->ran_round, r);
    if (r == TS_ROUNDS - 1)
        lc_loop_stop(loop);
}

static int ts_wait_ran(struct ts_state *st, int r, int64_t limit_ns)
{
    int64_t end = lc_time_ns() + limit_ns;
    while (atomic_load(&st->ran_round) < r) {
        if (lc_time_ns() >= end)
            return 0;
        lc__case_sleep_ns(LC__US(200));
    }
    return 1;
}

/* Interrupt the loop's poll with a signal (EINTR) until run() returns: the
 * way out when the wakeup itself is broken. */
static void ts_kick(struct ts_state *st)
{
    lc_loop_stop(st->loop);
    for (int i = 0; i < 50 && !atomic_load(&st->loop_returned); i++) {
#ifndef _WIN32
        pthread_kill(st->main_thread, SIGUSR1);
#else
        /* No signal interrupts a Windows wait: stop again and let the
         * runner's deadline end a loop whose wakeup is broken. */
        lc_loop_stop(st->loop);
#endif
        lc__case_sleep_ns(LC__MS(100));
    }
}

static void *ts_thread(void *arg)
{
    struct ts_state *st = arg;
    for (int r = 0; r < TS_ROUNDS; r++) {
        /* Long enough for the loop to be blocked in its poll. */
        lc__case_sleep_ns(LC__MS(50));
        atomic_store(&st->posting, r);
        st->posted_at[r] = lc_time_ns();
        int rc = lc_call_soon_threadsafe(st->loop, ts_cb, st);
        if (rc < 0) {
            st->post_err = rc;
            ts_kick(st);
            return NULL;
        }
        if (!ts_wait_ran(st, r, LC__MS(2000))) {
            st->kicked = 1;
            ts_kick(st);
            return NULL;
        }
    }
    return NULL;
}

static void callbacks_threadsafe_wakeup(lc_case_ctx *ctx, lc_loop *loop)
{
    struct ts_state st;
    memset(&st, 0, sizeof st);
    st.loop = loop;
    st.main_thread = pthread_self();
    atomic_init(&st.posting, 0);
    atomic_init(&st.ran_round, -1);
    atomic_init(&st.loop_returned, 0);

#ifndef _WIN32
    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ts_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the poll returns EINTR */
    sigaction(SIGUSR1, &sa, &old_sa);
    sigset_t unblock, old_mask;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &unblock, &old_mask);
#endif

    uint64_t it0 = lc_loop_iterations(loop);
    pthread_t th;
    int prc = pthread_create(&th, NULL, ts_thread, &st);
    int rc = 0;
    if (prc == 0) {
        /* No timers, no fds: the loop blocks in its poll until woken. */
        rc = lc_loop_run(loop);
        atomic_store(&st.loop_returned, 1);
        pthread_join(th, NULL);
    }
#ifndef _WIN32
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGUSR1, &old_sa, NULL);
#endif
    if (prc != 0) {
        lc_case_skip(ctx, "pthread_create: %s", strerror(prc));
        return;
    }
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, st.post_err == 0, "call_soon_threadsafe: %s (%s)", lc_strerror(st.post_err),
               lc_errname(st.post_err));
    int done = atomic_load(&st.ran_round) + 1;
    LC_REQUIRE(ctx, !st.kicked,
               "the loop did not wake within 2 s of call_soon_threadsafe (round %d of %d; "
               "interrupted with a signal to finish)", done + 1, TS_ROUNDS);
    LC_REQUIRE(ctx, done == TS_ROUNDS, "%d of %d threadsafe callbacks ran", done, TS_ROUNDS);

    double lat[TS_ROUNDS];
    double worst_lat = 0;
    long long worst_iters = 0;
    for (int r = 0; r < TS_ROUNDS; r++) {
        lat[r] = (double)(st.ran_at[r] - st.posted_at[r]) / 1e3;
        if (lat[r] > worst_lat)
            worst_lat = lat[r];
        long long di = (long long)(st.iters_at[r] - (r ? st.iters_at[r - 1] : it0));
        if (di > worst_iters)
            worst_iters = di;
    }
    lc_case_measure_counter(ctx, "max_iterations_per_wakeup", worst_iters, "iteration");
    lc_case_measure_distribution(ctx, "wakeup_latency", lat, TS_ROUNDS, "us");
    LC_REQUIRE(ctx, worst_iters <= TS_MAX_ITERS_PER_ROUND,
               "%lld loop iterations between two wakeups 50 ms apart: the loop did not block",
               worst_iters);
    lc_case_pass(ctx, "a blocked loop woke for each of %d call_soon_threadsafe calls (max latency %.0f us)",
                 TS_ROUNDS, worst_lat);
}

/* ---- callbacks/stop-before-run ------------------------------------------ */

struct sbr_state {
    int ran_a, ran_b, ran_child, ran_stopper;
    int child_rc;
};

static void sbr_child(lc_loop *loop, void *arg)
{
    ((struct sbr_state *)arg)->ran_child++;
}

static void sbr_a(lc_loop *loop, void *arg)
{
    struct sbr_state *st = arg;
    st->ran_a++;
    st->child_rc = lc_call_soon(loop, sbr_child, st);
}

static void sbr_b(lc_loop *loop, void *arg)
{
    ((struct sbr_state *)arg)->ran_b++;
}

static void sbr_stopper(lc_loop *loop, void *arg)
{
    ((struct sbr_state *)arg)->ran_stopper++;
    lc_loop_stop(loop);
}

static void sbr_nop(lc_loop *loop, void *arg)
{
}

static void callbacks_stop_before_run(lc_case_ctx *ctx, lc_loop *loop)
{
    struct sbr_state st;
    memset(&st, 0, sizeof st);

    /* asyncio run_forever after stop(): exactly one iteration, running what
     * was ready (test_base_events.py test_run_forever_pre_stopped). */
    LC_REQUIRE_OK(ctx, lc_call_soon(loop, sbr_a, &st));
    LC_REQUIRE_OK(ctx, lc_call_soon(loop, sbr_b, &st));
    lc_loop_stop(loop);
    uint64_t it0 = lc_loop_iterations(loop);
    LC_REQUIRE_OK(ctx, lc_loop_run(loop));
    uint64_t delta = lc_loop_iterations(loop) - it0;
    lc_case_evidence_int(ctx, "iterations_with_ready_callbacks", (long long)delta);
    LC_REQUIRE(ctx, delta == 1, "run after stop did %llu iterations (want exactly 1)",
               (unsigned long long)delta);
    LC_REQUIRE(ctx, st.ran_a == 1 && st.ran_b == 1,
               "callbacks scheduled before the pre-stopped run did not run once (a=%d b=%d)", st.ran_a,
               st.ran_b);
    LC_REQUIRE_OK(ctx, st.child_rc);
    LC_REQUIRE(ctx, st.ran_child == 0, "a callback queued during the single iteration also ran");
    LC_REQUIRE_OK(ctx, lc_loop_run_once(loop, 0));
    LC_REQUIRE(ctx, st.ran_child == 1, "the callback queued during the pre-stopped run was lost");

    /* Nothing ready, a far timer pending: the single iteration polls with a
     * zero timeout instead of waiting for the timer. */
    lc_timer far_timer = {0};
    LC_REQUIRE_OK(ctx, lc_call_later(loop, &far_timer, LC__MS(2000), sbr_nop, NULL));
    lc_loop_stop(loop);
    it0 = lc_loop_iterations(loop);
    int64_t t0 = lc_time_ns();
    int rc = lc_loop_run(loop);
    int64_t took = lc_time_ns() - t0;
    lc_timer_cancel(&far_timer);
    LC_REQUIRE_OK(ctx, rc);
    delta = lc_loop_iterations(loop) - it0;
    lc_case_measure_value(ctx, "prestopped_run_duration", (double)took / 1e3, "us");
    LC_REQUIRE(ctx, delta == 1, "run after stop (nothing ready) did %llu iterations (want 1)",
               (unsigned long long)delta);
    LC_REQUIRE(ctx, took < LC__MS(500), "run after stop waited %.1f ms for a timer (want a zero timeout)",
               (double)took / 1e6);

    /* The stop was consumed: the next run runs until stopped again. */
    LC_REQUIRE_OK(ctx, lc_call_soon(loop, sbr_stopper, &st));
    int guard = 0;
    LC_REQUIRE_OK(ctx, lc__case_run_guarded(loop, LC__MS(2000), &guard));
    LC_REQUIRE(ctx, st.ran_stopper == 1 && !guard, "the run after a pre-stopped run did not run normally");
    lc_case_pass(ctx, "stop() then run(): one iteration, the ready callbacks ran, %.0f us with a far timer",
                 (double)took / 1e3);
}

const lc_case lc_cases_callbacks[] = {
    {"callbacks/call-soon-fifo",
     "call_soon runs callbacks FIFO; ones added during an iteration run in the next",
     callbacks_call_soon_fifo, 0, NULL, 0},
    {"callbacks/threadsafe-wakeup",
     "call_soon_threadsafe from another thread wakes a loop blocked in its poll",
     callbacks_threadsafe_wakeup, 0, NULL, 0},
    {"callbacks/stop-before-run",
     "stop() before run() gives exactly one iteration with a zero timeout",
     callbacks_stop_before_run, 0, NULL, 0},
    {0},
};
