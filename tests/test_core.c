/* The backend-generic core suite: run once per backend (ctest entries
 * core__<backend>), the backend named by $LC_TEST_BACKEND.  This file:
 * call_soon, call_soon_threadsafe and timers; test_core_io.c: readers and
 * writers, close, policies and errors. */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "test_core.h"

/* A log of small integers that callbacks append to. */
struct log {
    int v[256];
    int n;
};

struct entry {
    struct log *log;
    int value;
};

static void append(lc_loop *loop, void *arg)
{
    (void)loop;
    struct entry *e = arg;
    e->log->v[e->log->n++] = e->value;
}

/* ---- call_soon ---- */

START_TEST(call_soon_fifo)
{
    lc_loop *loop = new_loop();
    struct log log = {0};
    struct entry e[100];
    for (int i = 0; i < 100; i++) {
        e[i].log = &log;
        e[i].value = i;
        ck_assert_int_eq(lc_call_soon(loop, append, &e[i]), 0);
    }
    ck_assert_int_eq(lc_call_soon(loop, stop_cb, NULL), 0);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    ck_assert_int_eq(log.n, 100);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(log.v[i], i);
    lc_loop_free(loop);
}
END_TEST

struct nested {
    struct log *log;
    struct entry inner;
    uint64_t iter_outer, iter_inner;
};

static void inner_cb(lc_loop *loop, void *arg)
{
    struct nested *n = arg;
    n->iter_inner = lc_loop_iterations(loop);
    append(loop, &n->inner);
}

static void outer_cb(lc_loop *loop, void *arg)
{
    struct nested *n = arg;
    n->iter_outer = lc_loop_iterations(loop);
    lc_call_soon(loop, inner_cb, n);
}

START_TEST(call_soon_added_runs_next_iteration)
{
    lc_loop *loop = new_loop();
    struct log log = {0};
    struct nested n = {&log, {&log, 7}, 0, 0};
    lc_call_soon(loop, outer_cb, &n);
    ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
    ck_assert_int_eq(log.n, 0); /* the inner callback waits */
    ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
    ck_assert_int_eq(log.n, 1);
    ck_assert_uint_eq(n.iter_inner, n.iter_outer + 1);
    lc_loop_free(loop);
}
END_TEST

START_TEST(handle_cancel)
{
    lc_loop *loop = new_loop();
    struct log log = {0};
    struct entry a = {&log, 1}, b = {&log, 2};
    lc_handle ha, hb;
    lc_call_soon_handle(loop, &ha, append, &a);
    lc_call_soon_handle(loop, &hb, append, &b);
    lc_handle_cancel(&ha);
    ck_assert(lc_handle_cancelled(&ha));
    ck_assert(!lc_handle_cancelled(&hb));
    lc_loop_run_once(loop, 0);
    ck_assert_int_eq(log.n, 1);
    ck_assert_int_eq(log.v[0], 2);
    lc_loop_free(loop);
}
END_TEST

START_TEST(stop_before_run_is_one_iteration)
{
    lc_loop *loop = new_loop();
    struct log log = {0};
    struct entry a = {&log, 1};
    lc_call_soon(loop, append, &a);
    lc_loop_stop(loop);
    uint64_t before = lc_loop_iterations(loop);
    int64_t t0 = lc_time_ns();
    ck_assert_int_eq(lc_loop_run(loop), 0);
    ck_assert_uint_eq(lc_loop_iterations(loop), before + 1);
    ck_assert_int_eq(log.n, 1);
    ck_assert_int_lt(lc_time_ns() - t0, 500000000); /* did not block */
    lc_loop_free(loop);
}
END_TEST

/* ---- threadsafe ---- */

struct ts_arg {
    lc_loop *loop;
    int fired;
    int64_t sent_at;
};

static void ts_cb(lc_loop *loop, void *arg)
{
    struct ts_arg *a = arg;
    a->fired++;
    lc_loop_stop(loop);
}

static void *ts_thread(void *arg)
{
    struct ts_arg *a = arg;
    struct timespec d = {0, 50 * 1000 * 1000};
    nanosleep(&d, NULL);
    a->sent_at = lc_time_ns();
    lc_call_soon_threadsafe(a->loop, ts_cb, a);
    return NULL;
}

START_TEST(threadsafe_wakes_blocked_poll)
{
    lc_loop *loop = new_loop();
    struct ts_arg a = {loop, 0, 0};
    lc_timer guard = {0};
    /* The guard timer is far away: only the wakeup can end the run early. */
    lc_call_later(loop, &guard, 5000000000LL, stop_cb, NULL);
    pthread_t th;
    pthread_create(&th, NULL, ts_thread, &a);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    pthread_join(th, NULL);
    ck_assert_int_eq(a.fired, 1);
    ck_assert_int_lt(lc_time_ns() - a.sent_at, 1000000000LL);
    ck_assert(lc_timer_pending(&guard));
    lc_loop_free(loop);
}
END_TEST

struct ts_many {
    lc_loop *loop;
    int count;
};

static void ts_count(lc_loop *loop, void *arg)
{
    struct ts_many *m = arg;
    if (++m->count == 4 * 10000)
        lc_loop_stop(loop);
}

static void *ts_many_thread(void *arg)
{
    struct ts_many *m = arg;
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(lc_call_soon_threadsafe(m->loop, ts_count, m), 0);
    return NULL;
}

START_TEST(threadsafe_from_many_threads_exact_count)
{
    lc_loop *loop = new_loop();
    struct ts_many m = {loop, 0};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, ts_many_thread, &m);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(m.count, 40000);
    lc_loop_free(loop);
}
END_TEST

struct hammer {
    lc_loop *loop;
    long sent;
    int last;
    int started; /* atomic: the first call went in */
};

static void noop_cb(lc_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
}

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    /* The yield lets the closing thread in under schedulers that would
     * otherwise keep running this loop (valgrind's default one). */
    while ((h->last = lc_call_soon_threadsafe(h->loop, noop_cb, NULL)) == 0) {
        __atomic_store_n(&h->started, 1, __ATOMIC_RELEASE);
        if (++h->sent % 64 == 0)
            sched_yield();
    }
    return NULL;
}

START_TEST(threadsafe_racing_close_gets_eclosed)
{
    lc_loop *loop = new_loop();
    struct hammer h = {loop, 0, 0, 0};
    pthread_t th;
    pthread_create(&th, NULL, hammer_thread, &h);
    /* Close only once the thread is calling: on a loaded machine it may not
     * be scheduled for a while, and a close before its first call would
     * test nothing about the race. */
    struct timespec d = {0, 1000 * 1000};
    for (int i = 0; i < 5000 && !__atomic_load_n(&h.started, __ATOMIC_ACQUIRE); i++)
        nanosleep(&d, NULL);
    d.tv_nsec = 10 * 1000 * 1000;
    nanosleep(&d, NULL);
    ck_assert_int_eq(lc_loop_close(loop), 0);
    pthread_join(th, NULL);
    /* The thread stops on its own: once close began, calls are refused. */
    ck_assert_int_eq(h.last, LC_ECLOSED);
    ck_assert_int_gt(h.sent, 0);
    lc_loop_free(loop);
}
END_TEST

/* ---- timers ---- */

START_TEST(timers_fire_in_deadline_order)
{
    lc_loop *loop = new_loop();
    struct log log = {0};
    static const int delays_ms[] = {30, 10, 20, 10, 0, 5};
    lc_timer t[6];
    struct entry e[6];
    memset(t, 0, sizeof t);
    /* Deadlines from one clock read: under valgrind arming alone can take
     * longer than the gaps between the delays. */
    int64_t base = lc_loop_time(loop);
    for (int i = 0; i < 6; i++) {
        e[i].log = &log;
        e[i].value = i;
        lc_call_at(loop, &t[i], base + delays_ms[i] * 1000000LL, append, &e[i]);
    }
    lc_timer stop = {0};
    lc_call_later(loop, &stop, 40000000LL, stop_cb, NULL);
    lc_loop_run(loop);
    /* Equal deadlines (the two 10 ms timers) keep their arming order. */
    static const int want[] = {4, 5, 1, 3, 2, 0};
    ck_assert_int_eq(log.n, 6);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(log.v[i], want[i]);
    lc_loop_free(loop);
}
END_TEST

START_TEST(timer_cancel_and_rearm)
{
    lc_loop *loop = new_loop();
    struct log log = {0};
    struct entry a = {&log, 1}, b = {&log, 2};
    lc_timer ta = {0}, tb = {0};
    lc_call_later(loop, &ta, 1000000, append, &a);
    lc_call_later(loop, &tb, 2000000, append, &b);
    ck_assert_int_eq(lc_timer_cancel(&ta), 1);
    ck_assert_int_eq(lc_timer_cancel(&ta), 0);
    ck_assert(!lc_timer_pending(&ta));
    /* Re-arming moves a scheduled timer instead of adding it twice. */
    lc_call_later(loop, &tb, 3000000, append, &b);
    lc_timer stop = {0};
    lc_call_later(loop, &stop, 10000000, stop_cb, NULL);
    lc_loop_run(loop);
    ck_assert_int_eq(log.n, 1);
    ck_assert_int_eq(log.v[0], 2);
    lc_loop_free(loop);
}
END_TEST

struct early {
    int64_t when;
    int early;
    int fired;
};

static void check_early(lc_loop *loop, void *arg)
{
    struct early *e = arg;
    if (lc_loop_time(loop) < e->when)
        e->early++;
    e->fired++;
}

START_TEST(timers_never_early)
{
    lc_loop *loop = new_loop();
    enum { N = 200 };
    lc_timer *t = calloc(N, sizeof *t);
    struct early *e = calloc(N, sizeof *e);
    for (int i = 0; i < N; i++) {
        int64_t delay = (i % 10) * 150000LL + (i % 7) * 1000; /* 0 .. 1.4 ms */
        e[i].when = lc_loop_time(loop) + delay;
        lc_call_at(loop, &t[i], e[i].when, check_early, &e[i]);
    }
    lc_timer stop = {0};
    lc_call_later(loop, &stop, 5000000, stop_cb, NULL);
    lc_loop_run(loop);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(e[i].fired, 1);
        ck_assert_int_eq(e[i].early, 0);
    }
    free(t);
    free(e);
    lc_loop_free(loop);
}
END_TEST

START_TEST(coarse_timeout_never_early)
{
    lc_loop *loop = new_loop_flags(LC_LOOP_COARSE_TIMEOUT);
    ck_assert_int_ge(lc_loop_timeout_granularity_ns(loop), 1000);
    struct early e[20];
    lc_timer t[20];
    memset(t, 0, sizeof t);
    memset(e, 0, sizeof e);
    for (int i = 0; i < 20; i++) {
        e[i].when = lc_loop_time(loop) + i * 250000LL; /* sub-ms deadlines */
        lc_call_at(loop, &t[i], e[i].when, check_early, &e[i]);
    }
    lc_timer stop = {0};
    lc_call_later(loop, &stop, 8000000, stop_cb, NULL);
    uint64_t it0 = lc_loop_iterations(loop);
    lc_loop_run(loop);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(e[i].early, 0);
    /* Rounding the ms timeout up means no busy spinning toward a deadline. */
    ck_assert_uint_lt(lc_loop_iterations(loop) - it0, 200);
    lc_loop_free(loop);
}
END_TEST

static void rearm_zero(lc_loop *loop, void *arg);

struct rearm {
    lc_timer t;
    uint64_t iters[3];
    int n;
};

static void rearm_zero(lc_loop *loop, void *arg)
{
    struct rearm *r = arg;
    r->iters[r->n++] = lc_loop_iterations(loop);
    if (r->n < 3)
        lc_call_later(loop, &r->t, 0, rearm_zero, r);
    else
        lc_loop_stop(loop);
}

START_TEST(zero_delay_timer_from_timer_waits_an_iteration)
{
    lc_loop *loop = new_loop();
    struct rearm r;
    memset(&r, 0, sizeof r);
    lc_call_later(loop, &r.t, 0, rearm_zero, &r);
    lc_loop_run(loop);
    ck_assert_int_eq(r.n, 3);
    ck_assert_uint_gt(r.iters[1], r.iters[0]);
    ck_assert_uint_gt(r.iters[2], r.iters[1]);
    lc_loop_free(loop);
}
END_TEST

struct soon_arms {
    lc_timer t;
    uint64_t armed_at, fired_at;
    int fired;
};

static void soon_fired(lc_loop *loop, void *arg)
{
    struct soon_arms *a = arg;
    a->fired_at = lc_loop_iterations(loop);
    a->fired = 1;
    lc_loop_stop(loop);
}

static void soon_arm(lc_loop *loop, void *arg)
{
    struct soon_arms *a = arg;
    a->armed_at = lc_loop_iterations(loop);
    lc_call_later(loop, &a->t, -1000, soon_fired, a); /* already due */
}

START_TEST(due_timer_armed_by_callback_waits_an_iteration)
{
    lc_loop *loop = new_loop();
    struct soon_arms a;
    memset(&a, 0, sizeof a);
    lc_call_soon(loop, soon_arm, &a);
    lc_loop_run(loop);
    ck_assert_int_eq(a.fired, 1);
    ck_assert_uint_eq(a.fired_at, a.armed_at + 1);
    lc_loop_free(loop);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, call_soon_fifo);
    tcase_add_test(tc, call_soon_added_runs_next_iteration);
    tcase_add_test(tc, handle_cancel);
    tcase_add_test(tc, stop_before_run_is_one_iteration);
    tcase_add_test(tc, threadsafe_wakes_blocked_poll);
    tcase_add_test(tc, threadsafe_from_many_threads_exact_count);
    tcase_add_test(tc, threadsafe_racing_close_gets_eclosed);
    tcase_add_test(tc, timers_fire_in_deadline_order);
    tcase_add_test(tc, timer_cancel_and_rearm);
    tcase_add_test(tc, timers_never_early);
    tcase_add_test(tc, coarse_timeout_never_early);
    tcase_add_test(tc, zero_delay_timer_from_timer_waits_an_iteration);
    tcase_add_test(tc, due_timer_armed_by_callback_waits_an_iteration);
    core_add_io_tests(tc);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
