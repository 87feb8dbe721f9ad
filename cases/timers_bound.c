/* timers/lateness-bound: how late a timer may fire, asserted.
 *
 * loop.h: "The loop may let it fire later by up to the rule Linux applies
 * to a poll(2)/select(2)/epoll_wait(2) timeout of the same length
 * (fs/select.c, select_estimate_accuracy()): the thread's timer slack
 * (prctl(2) PR_SET_TIMERSLACK, 50 us by default) or 0.1% of the time left
 * when the loop took the timer in, whichever is larger, at most 100 ms".
 * Beyond that allowance the only lateness is the scheduler's: the thread
 * was woken on time but ran later.  That margin is measured, not promised,
 * and docs/timers.md says how LAT_MARGIN_NS was chosen from measurements on
 * a loaded 2-vCPU machine.  The judgement is on the median of each delay's
 * samples: on a shared machine the 90th percentile reached 4.4 ms and single
 * samples 157 ms, scheduling delays that say nothing of the loop, but a
 * loop that oversleeps every wait moves the median by as much. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>
#include <sys/time.h>
#endif

#include "case_util.h"

/* The scheduling margin (docs/timers.md "How late is too late"). */
#define LAT_MARGIN_NS LC__MS(4)
#define LAT_SAMPLES 40

static const int64_t lat_delays[] = {LC__MS(1), LC__MS(4), LC__MS(15)};
#define LAT_NDELAYS (sizeof lat_delays / sizeof lat_delays[0])

struct lat_chain {
    lc_timer t;
    int64_t delay, deadline;
    double samples[LAT_SAMPLES];
    int n, early;
    struct lat_state *st;
};

struct lat_state {
    struct lat_chain c[LAT_NDELAYS];
    int done, arm_err;
};

static void lat_cb(lc_loop *loop, void *arg)
{
    struct lat_chain *c = arg;
    int64_t late = lc_loop_time(loop) - c->deadline;
    c->early += late < 0;
    c->samples[c->n++] = (double)late / 1e3;
    if (c->n < LAT_SAMPLES) {
        c->deadline = lc_loop_time(loop) + c->delay;
        int rc = lc_call_at(loop, &c->t, c->deadline, lat_cb, c);
        if (rc < 0) {
            c->st->arm_err = rc;
            lc_loop_stop(loop);
        }
    } else if (++c->st->done == (int)LAT_NDELAYS) {
        lc_loop_stop(loop);
    }
}

/* The thread's timer slack in ns: 50 us by default, 0 for a real-time
 * thread (prctl(2) PR_GET_TIMERSLACK); 0 where there is no such thing. */
static int64_t lat_slack_ns(void)
{
#ifdef PR_GET_TIMERSLACK
    long s = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    return s > 0 ? s : 0;
#else
    return 0;
#endif
}

static int64_t lat_allowance_ns(int64_t slack, int64_t delay)
{
    if (slack == 0)
        return 0;
    int64_t a = delay / 1000 > slack ? delay / 1000 : slack;
    return a > LC__MS(100) ? LC__MS(100) : a;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void timers_lateness_bound(lc_case_ctx *ctx, lc_loop *loop)
{
    struct lat_state *st = calloc(1, sizeof *st);
    LC_REQUIRE(ctx, st, "out of memory");
    for (size_t k = 0; k < LAT_NDELAYS; k++) {
        struct lat_chain *c = &st->c[k];
        c->st = st;
        c->delay = lat_delays[k];
        c->deadline = lc_loop_time(loop) + c->delay;
        int rc = lc_call_at(loop, &c->t, c->deadline, lat_cb, c);
        if (rc < 0) {
            free(st);
            LC_REQUIRE_OK(ctx, rc);
        }
    }
    int guard = 0;
    int rc = lc__case_run_guarded(loop, LC__MS(6000), &guard);
    for (size_t k = 0; k < LAT_NDELAYS; k++)
        lc_timer_cancel(&st->c[k].t);
    int64_t slack = lat_slack_ns();
    lc_case_measure_value(ctx, "timer_slack", (double)slack, "ns");
    lc_case_measure_value(ctx, "margin", (double)LAT_MARGIN_NS / 1e3, "us");

    char worst[200] = "";
    int over = 0, early = 0, short_n = 0;
    for (size_t k = 0; k < LAT_NDELAYS; k++) {
        struct lat_chain *c = &st->c[k];
        early += c->early;
        short_n += c->n < LAT_SAMPLES;
        if (c->n == 0)
            continue;
        double bound_us = (double)(lat_allowance_ns(slack, c->delay) + LAT_MARGIN_NS) / 1e3;
        char name[32];
        snprintf(name, sizeof name, "lateness_%lldms", (long long)(c->delay / LC__MS(1)));
        double sorted[LAT_SAMPLES];
        memcpy(sorted, c->samples, sizeof(double) * (size_t)c->n);
        qsort(sorted, (size_t)c->n, sizeof *sorted, cmp_double);
        double p50 = sorted[(c->n - 1) / 2];
        lc_case_measure_distribution(ctx, name, c->samples, (size_t)c->n, "us");
        snprintf(name, sizeof name, "bound_%lldms", (long long)(c->delay / LC__MS(1)));
        lc_case_measure_value(ctx, name, bound_us, "us");
        if (p50 > bound_us && !over++)
            snprintf(worst, sizeof worst, "%lld ms timers: median lateness %.1f us, bound %.1f us",
                     (long long)(c->delay / LC__MS(1)), p50, bound_us);
    }
    free(st);
    if (rc < 0)
        lc_case_fail(ctx, "loop error: %s (%s)", lc_strerror(rc), lc_errname(rc));
    else if (early)
        lc_case_fail(ctx, "%d timers fired before their deadline", early);
    else if (short_n)
        lc_case_fail(ctx, "not every chain of %d timers finished within 6 s", LAT_SAMPLES);
    else if (over)
        lc_case_fail(ctx, "later than the documented allowance plus a %.1f ms scheduling margin: %s",
                     (double)LAT_MARGIN_NS / 1e6, worst);
    else
        lc_case_pass(ctx, "1, 4 and 15 ms timers: median lateness within max(slack %lld ns, 0.1%% of the "
                     "delay) + %.1f ms",
                     (long long)slack, (double)LAT_MARGIN_NS / 1e6);
}

/* ---- timers/signal-interrupted-wait --------------------------------------
 * PEP 475: a system call interrupted by a signal whose handler does not
 * raise is retried, and a wait is retried "with a recomputed timeout"
 * (test_selectors.py test_select_interrupt_noraise).  A SIGALRM with a
 * no-op handler installed without SA_RESTART (sigaction(2)) interrupts the
 * loop's wait 400 ms into a 600 ms timer: epoll_wait(2), poll(2) and
 * select(2) then fail with EINTR whatever SA_RESTART says (signal(7),
 * "Interruption of system calls").  The timer must still fire: not early,
 * not an error, and not after a full restarted 600 ms, which would make it
 * 400 ms late.  The bound is half of that, 200 ms: one sample's scheduling
 * delay on a loaded machine reached tens of ms (docs/timers.md), and the
 * precision of a timer is timers/lateness-bound's to judge. */

#ifdef __linux__
static volatile sig_atomic_t siw_alarms;

static void siw_handler(int sig)
{
    (void)sig;
    siw_alarms++;
}

struct siw_state {
    int64_t deadline, fired_at;
    int fired;
};

static void siw_cb(lc_loop *loop, void *arg)
{
    struct siw_state *st = arg;
    st->fired_at = lc_loop_time(loop);
    st->fired++;
    lc_loop_stop(loop);
}
#endif

static void timers_signal_interrupted_wait(lc_case_ctx *ctx, lc_loop *loop)
{
#ifndef __linux__
    (void)loop;
    lc_case_skip(ctx, "setitimer(2) and SIGALRM are POSIX; this platform has no such interruption");
#else
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = siw_handler;
    sa.sa_flags = 0; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    LC_REQUIRE(ctx, sigaction(SIGALRM, &sa, &old) == 0, "sigaction(SIGALRM) failed");
    siw_alarms = 0;
    struct siw_state st;
    memset(&st, 0, sizeof st);
    lc_timer t = {0};
    st.deadline = lc_loop_time(loop) + LC__MS(600);
    int rc = lc_call_at(loop, &t, st.deadline, siw_cb, &st);
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = 400000;
    if (rc == 0 && setitimer(ITIMER_REAL, &it, NULL) != 0)
        rc = -1;
    uint64_t it0 = lc_loop_iterations(loop);
    int guard = 0;
    if (rc == 0)
        rc = lc__case_run_guarded(loop, LC__MS(2000), &guard);
    uint64_t iters = lc_loop_iterations(loop) - it0;
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    sigaction(SIGALRM, &old, NULL);
    lc_timer_cancel(&t);
    int alarms = siw_alarms;
    lc_case_measure_counter(ctx, "alarms", alarms, "signal");
    lc_case_measure_counter(ctx, "iterations", (long long)iters, "iteration");
    LC_REQUIRE(ctx, rc == 0, "the run failed: %s (%s)", rc == -1 ? "setitimer" : lc_strerror(rc),
               rc == -1 ? "" : lc_errname(rc));
    LC_REQUIRE(ctx, alarms == 1, "SIGALRM's handler ran %d times (want 1)", alarms);
    LC_REQUIRE(ctx, st.fired == 1, "the 600 ms timer did not fire within 2 s of an interrupted wait");
    double late_us = (double)(st.fired_at - st.deadline) / 1e3;
    lc_case_measure_value(ctx, "lateness", late_us, "us");
    double bound_us = 200e3;
    LC_REQUIRE(ctx, late_us >= 0, "the timer fired %.1f us early after the interrupted wait", -late_us);
    LC_REQUIRE(ctx, late_us <= bound_us,
               "the timer fired %.1f us late (bound %.1f us; a restarted full wait is 400 ms late): the "
               "interrupted wait was not retried with the remaining time",
               late_us, bound_us);
    lc_case_pass(ctx, "a wait interrupted by SIGALRM (no-op handler, no SA_RESTART) was retried: the 600 ms "
                      "timer fired %.1f us late, in %llu iterations",
                 late_us, (unsigned long long)iters);
#endif
}

const lc_case lc_cases_timers_bound[] = {
    {"timers/lateness-bound",
     "1, 4 and 15 ms timers: median lateness within loop.h's allowance plus a measured scheduling margin",
     timers_lateness_bound, 0, NULL, 0},
    {"timers/signal-interrupted-wait",
     "a wait interrupted by a signal with a no-op handler is retried with the remaining time (PEP 475)",
     timers_signal_interrupted_wait, 0, NULL, 0},
    {0},
};
