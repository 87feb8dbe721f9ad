/* stress: the loop at scale, run only with `loopcompat run --stress`.
 * Every count is checked exactly and recorded as a measurement, with the
 * time it took; nothing may be left open or unreaped (the harness checks).
 *
 *   stress/watched-fds-10000    10 000 readable fds watched at once
 *   stress/timers-1000000       1 000 000 timers, each fires once, in order
 *   stress/subprocesses-1000    1 000 children, 100 at a time, all reaped
 *   stress/signals-10000        10 000 kill(2)s to self, in batches
 *   stress/threadsafe-8x100000  8 threads x 100 000 call_soon_threadsafe */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifndef _WIN32
#include <sys/resource.h>
#include <sys/wait.h>
#endif

#include "case_util.h"
#include "loopcompat/process.h"
#include "loopcompat/signals.h"

static double ms_since(int64_t t0)
{
    return (double)(lc_time_ns() - t0) / 1e6;
}

/* ---- stress/watched-fds-10000 ------------------------------------------ */

#define WF_N 10000
/* Headroom for the harness's own fds and the loop's (wakeup, poller). */
#define WF_SPARE 64

struct wf_state {
    int fds[WF_N];
    size_t n;      /* fds open */
    size_t added;  /* fds registered */
    long fired;
    long reads;
};

static void wf_reader(lc_loop *loop, int fd, void *arg)
{
    struct wf_state *st = arg;
    char c;
    if (read(fd, &c, 1) == 1)
        st->reads++;
    st->fired++;
    lc_remove_reader(loop, fd);
    if (st->fired == (long)st->added)
        lc_loop_stop(loop);
}

static void wf_cleanup(lc_loop *loop, struct wf_state *st)
{
    for (size_t i = 0; i < st->n; i++) {
        if (i < st->added)
            lc_remove_reader(loop, st->fds[i]);
        close(st->fds[i]);
    }
}

static void stress_watched_fds(lc_case_ctx *ctx, lc_loop *loop)
{
#ifndef _WIN32
    /* getrlimit(2): an unprivileged process may raise its soft limit up to
     * the hard limit. */
    struct rlimit rl;
    LC_REQUIRE(ctx, getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit: %s", strerror(errno));
    rlim_t need = WF_N + WF_SPARE;
    lc_case_measure_limit(ctx, "rlimit_nofile_hard",
                          rl.rlim_max == RLIM_INFINITY ? -1 : (long long)rl.rlim_max, "fd",
                          "RLIMIT_NOFILE");
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        lc_case_skip(ctx, "needs %lu fds; the hard RLIMIT_NOFILE is %lu", (unsigned long)need,
                     (unsigned long)rl.rlim_max);
        return;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        struct rlimit nrl = {need, rl.rlim_max};
        LC_REQUIRE(ctx, setrlimit(RLIMIT_NOFILE, &nrl) == 0, "setrlimit(RLIMIT_NOFILE, %lu): %s",
                   (unsigned long)need, strerror(errno));
    }
#endif /* Windows has no RLIMIT_NOFILE: sockets are kernel objects without a per-process cap */
    struct wf_state *st = calloc(1, sizeof *st);
    LC_REQUIRE(ctx, st, "out of memory");

    /* Both ends of WF_N/2 socketpairs, a byte written into each end so
     * that every watched fd is readable. */
    int64_t t0 = lc_time_ns();
    while (st->n < WF_N) {
        int p[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p) < 0) {
            lc_case_fail(ctx, "socketpair after %zu fds: %s", st->n, strerror(errno));
            wf_cleanup(loop, st);
            free(st);
            return;
        }
        st->fds[st->n++] = p[0];
        st->fds[st->n++] = p[1];
        if (write(p[0], "x", 1) != 1 || write(p[1], "y", 1) != 1) {
            lc_case_fail(ctx, "write to a new socketpair: %s", strerror(errno));
            wf_cleanup(loop, st);
            free(st);
            return;
        }
    }
    while (st->added < st->n) {
        int rc = lc_add_reader(loop, st->fds[st->added], wf_reader, st);
        if (rc < 0) {
            lc_case_measure_counter(ctx, "watched_before_refusal", (long long)st->added, "fd");
            lc_case_evidence_int(ctx, "refused_fd", st->fds[st->added]);
            if (lc__case_is_refusal(rc))
                lc_case_unsupported(ctx, loop, rc, "add_reader refused fd %d after %zu watched fds",
                                    st->fds[st->added], st->added);
            else
                lc_case_fail(ctx, "add_reader(fd %d) after %zu fds: %s (%s)", st->fds[st->added],
                             st->added, lc_strerror(rc), lc_errname(rc));
            wf_cleanup(loop, st);
            free(st);
            return;
        }
        st->added++;
    }
    lc_case_measure_value(ctx, "setup_elapsed", ms_since(t0), "ms");

    int guard = 0;
    int64_t t1 = lc_time_ns();
    int rc = lc__case_run_guarded(loop, LC__MS(30000), &guard);
    double run_ms = ms_since(t1);
    long fired = st->fired, reads = st->reads;
    size_t added = st->added;
    wf_cleanup(loop, st);
    free(st);
    lc_case_measure_counter(ctx, "watched", (long long)added, "fd");
    lc_case_measure_counter(ctx, "callbacks", fired, "callback");
    lc_case_measure_value(ctx, "dispatch_elapsed", run_ms, "ms");
    LC_REQUIRE(ctx, rc >= 0, "loop error: %s (%s)", lc_strerror(rc), lc_errname(rc));
    LC_REQUIRE(ctx, fired == (long)added && reads == (long)added,
               "%ld of %zu readers fired (%ld read their byte)%s", fired, added, reads,
               guard ? " before the 30 s guard" : "");
    lc_case_pass(ctx, "%zu watched fds, each reader fired exactly once (%.0f ms)", added, run_ms);
}

/* ---- stress/timers-1000000 --------------------------------------------- */

#define TM_N 1000000
/* Deadlines spread over this span, many equal (asyncio: equal deadlines
 * fire in scheduling order). */
#define TM_SPAN_NS LC__MS(200)

struct tm_state {
    lc_timer *timers;
    long fired, early, out_of_order, twice;
    int64_t last_when;
    uint64_t last_seq;
    unsigned char *seen;
};

static struct tm_state *tm_g;

static void tm_cb(lc_loop *loop, void *arg)
{
    struct tm_state *st = tm_g;
    lc_timer *t = arg;
    size_t i = (size_t)(t - st->timers);
    if (st->seen[i]++)
        st->twice++;
    if (lc_loop_time(loop) < t->when)
        st->early++;
    if (st->fired > 0 && (t->when < st->last_when || (t->when == st->last_when && i < st->last_seq)))
        st->out_of_order++;
    st->last_when = t->when;
    st->last_seq = i;
    if (++st->fired == TM_N)
        lc_loop_stop(loop);
}

static void stress_timers(lc_case_ctx *ctx, lc_loop *loop)
{
    struct tm_state st = {0};
    st.timers = calloc(TM_N, sizeof *st.timers);
    st.seen = calloc(TM_N, 1);
    if (!st.timers || !st.seen) {
        free(st.timers);
        free(st.seen);
        lc_case_skip(ctx, "could not allocate %d timers", TM_N);
        return;
    }
    tm_g = &st;
    /* A fixed linear congruential sequence: the same deadlines every run. */
    uint32_t x = 12345;
    int64_t base = lc_loop_time(loop) + LC__MS(5);
    int64_t t0 = lc_time_ns();
    int rc = 0;
    for (size_t i = 0; i < TM_N && rc >= 0; i++) {
        x = x * 1103515245u + 12345u;
        int64_t when = base + (int64_t)((x >> 8) % (uint32_t)(TM_SPAN_NS / 1000)) * 1000;
        rc = lc_call_at(loop, &st.timers[i], when, tm_cb, &st.timers[i]);
    }
    double arm_ms = ms_since(t0);
    int guard = 0;
    int64_t t1 = lc_time_ns();
    if (rc >= 0)
        rc = lc__case_run_guarded(loop, LC__MS(60000), &guard);
    double run_ms = ms_since(t1);
    long pending = 0;
    for (size_t i = 0; i < TM_N; i++)
        if (lc_timer_pending(&st.timers[i])) {
            lc_timer_cancel(&st.timers[i]);
            pending++;
        }
    free(st.timers);
    free(st.seen);
    lc_case_measure_counter(ctx, "fired", st.fired, "timer");
    lc_case_measure_counter(ctx, "early", st.early, "timer");
    lc_case_measure_counter(ctx, "out_of_order", st.out_of_order, "timer");
    lc_case_measure_value(ctx, "arm_elapsed", arm_ms, "ms");
    lc_case_measure_value(ctx, "run_elapsed", run_ms, "ms");
    LC_REQUIRE(ctx, rc >= 0, "loop error: %s (%s)", lc_strerror(rc), lc_errname(rc));
    LC_REQUIRE(ctx, st.fired == TM_N && st.twice == 0 && pending == 0,
               "%ld of %d timers fired (%ld twice, %ld still pending)%s", st.fired, TM_N, st.twice,
               pending, guard ? " before the 60 s guard" : "");
    LC_REQUIRE(ctx, st.early == 0, "%ld timers fired before their deadline", st.early);
    LC_REQUIRE(ctx, st.out_of_order == 0,
               "%ld timers fired out of (deadline, scheduling) order", st.out_of_order);
    lc_case_pass(ctx, "%d timers fired once each, in order, none early (armed in %.0f ms, ran in %.0f ms)",
                 TM_N, arm_ms, run_ms);
}

/* ---- stress/subprocesses-1000 ------------------------------------------ */

#define SP_N 1000
/* In flight at once: the pidfd watcher holds an fd per child, and select
 * takes fds below FD_SETSIZE only. */
#define SP_WAVE 100

#ifdef _WIN32
#define SP_VARIANTS NULL /* one watcher: a wait on the process handle */
#else
static const char *const sp_variants[] = {"pidfd", "sigchld", NULL};
#define SP_VARIANTS sp_variants
#endif

struct spx_state {
    lc_loop *loop;
    int exited, wrong, in_wave;
};

struct spx_child {
    struct spx_state *st;
    int want;
};

static void spx_exited(lc_process *p, int returncode, void *ud)
{
    (void)p;
    struct spx_child *c = ud;
    if (returncode != c->want)
        c->st->wrong++;
    c->st->exited++;
    if (--c->st->in_wave == 0)
        lc_loop_stop(c->st->loop);
}

static void stress_subprocesses(lc_case_ctx *ctx, lc_loop *loop)
{
    static const lc_process_callbacks cbs = {NULL, NULL, spx_exited};
    const char *w = lc_loop_child_watcher_name(loop);
    lc_case_evidence(ctx, "child_watcher", w ? w : "none");
    struct spx_state st = {.loop = loop};
    int handles0 = lc__case_count_fds();
    struct spx_child kids[SP_WAVE];
    lc_process *ps[SP_WAVE];
    int spawned = 0, rc = 0, guard = 0;
    int64_t t0 = lc_time_ns();
    while (spawned < SP_N && rc >= 0 && !guard) {
        int n = 0;
        for (; n < SP_WAVE && spawned < SP_N; n++, spawned++) {
            char cmd[32];
            kids[n].st = &st;
            kids[n].want = spawned % 64;
            snprintf(cmd, sizeof cmd, "exit %d", kids[n].want);
            lc_spawn_options so = {.shell = cmd};
            so.stdio[0] = so.stdio[1] = so.stdio[2] = LC_STDIO_DEVNULL;
            rc = lc_spawn(loop, &so, &cbs, &kids[n], &ps[n]);
            if (rc < 0)
                break;
            st.in_wave++;
        }
        if (rc >= 0)
            rc = lc__case_run_guarded(loop, LC__MS(30000), &guard);
        for (int i = 0; i < n; i++)
            lc_process_close(ps[i]);
    }
    double ms = ms_since(t0);
    if (rc == LC_ENOTSUP) {
#ifndef _WIN32
        lc_case_ref(ctx, "man:pidfd_open(2)");
#endif
        lc_case_unsupported(ctx, loop, rc, "lc_spawn refused: the %s child watcher is not available here",
                            lc_case_variant(ctx) ? lc_case_variant(ctx) : "default");
        return;
    }
#ifdef _WIN32
    /* No zombies on Windows: a child not reaped is a process handle the
     * loop still holds, so count the handles instead. */
    int handles1 = lc__case_count_fds();
    int left = handles0 >= 0 && handles1 > handles0;
    struct {
        int si_pid;
    } si = {handles1 - handles0};
#else
    (void)handles0;
    /* waitid(2) with WNOHANG: ECHILD once every child was reaped; a pid
     * means one is still a zombie (or running). */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int left = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0;
#endif
    lc_case_measure_counter(ctx, "spawned", spawned, "process");
    lc_case_measure_counter(ctx, "reaped", st.exited, "process");
    lc_case_measure_counter(ctx, "in_flight_max", SP_WAVE, "process");
    lc_case_measure_value(ctx, "elapsed", ms, "ms");
    LC_REQUIRE(ctx, rc >= 0, "after %d children: %s (%s)", spawned, lc_strerror(rc), lc_errname(rc));
    LC_REQUIRE(ctx, st.exited == SP_N, "%d of %d children reported their exit%s", st.exited, SP_N,
               guard ? " before the 30 s guard" : "");
    LC_REQUIRE(ctx, st.wrong == 0, "%d children reported the wrong returncode", st.wrong);
#ifdef _WIN32
    LC_REQUIRE(ctx, !left, "%d more handles open: a child was not reaped", (int)si.si_pid);
#else
    LC_REQUIRE(ctx, !left, "pid %d is still waitable: a child was not reaped", (int)si.si_pid);
#endif
    lc_case_pass(ctx, "%d children, %d at a time: all reaped with their own exit codes, no zombie (%.0f ms)",
                 SP_N, SP_WAVE, ms);
}

/* ---- stress/signals-10000 ---------------------------------------------- */

#define SG_N 10000
#define SG_BATCH 100

struct sg_state {
    long runs;
};

static void sg_handler(lc_loop *loop, int signo, void *arg)
{
    (void)signo;
    ((struct sg_state *)arg)->runs++;
    lc_loop_stop(loop);
}

#ifdef _WIN32
/* No POSIX signals (asyncio-platforms: add_signal_handler is not supported
 * on Windows): the case asks for SIGINT, one of the CRT's few, and reports
 * the answer; no variants. */
#define SG_VARIANTS NULL
#define SIGUSR1 SIGINT
#define SG_SIGNAME "SIGINT"
#else
/* Both ways the loop can receive signals: they merge differently. */
static const char *const sg_variants[] = {"signalfd", "selfpipe", NULL};
#define SG_VARIANTS sg_variants
#define SG_SIGNAME "SIGUSR1"
#endif

static void sg_stop(lc_loop *loop, void *arg)
{
    (void)arg;
    lc_loop_stop(loop);
}

static void stress_signals(lc_case_ctx *ctx, lc_loop *loop)
{
    struct sg_state st = {0};
    int rc = lc_add_signal_handler(loop, SIGUSR1, sg_handler, &st);
    if (rc == LC_ENOTSUP) {
        lc_case_unsupported(ctx, loop, rc, "add_signal_handler(%s): %s", SG_SIGNAME, lc_strerror(rc));
        return;
    }
#ifdef _WIN32
    if (rc == 0)
        lc_remove_signal_handler(loop, SIGUSR1);
    lc_case_fail(ctx, "add_signal_handler(SIGINT) on Windows: %s, not LC_ENOTSUP", lc_errname(rc));
    (void)sg_stop;
#else
    LC_REQUIRE_OK(ctx, rc);
    lc_case_evidence(ctx, "signal_impl", lc_loop_signal_impl_name(loop));

    /* Each batch: SG_BATCH kill(2)s, then the loop runs until the handler
     * has run for it.  signal(7): a standard signal sent while one is
     * already pending is merged, so a batch may run the handler only once;
     * it must run at least once per batch and never more than sent. */
    long sent = 0, batches = 0, missed = 0;
    int64_t t0 = lc_time_ns();
    for (int b = 0; b < SG_N / SG_BATCH; b++) {
        long before = st.runs;
        for (int k = 0; k < SG_BATCH; k++) {
            if (kill(getpid(), SIGUSR1) != 0) {
                lc_remove_signal_handler(loop, SIGUSR1);
                lc_case_fail(ctx, "kill(SIGUSR1) after %ld: %s", sent, strerror(errno));
                return;
            }
            sent++;
        }
        batches++;
        int64_t end = lc_time_ns() + LC__MS(2000);
        while (st.runs == before && lc_time_ns() < end) {
            lc_timer t = {0};
            lc_call_later(loop, &t, LC__MS(50), sg_stop, NULL);
            rc = lc_loop_run(loop);
            lc_timer_cancel(&t);
            if (rc < 0)
                break;
        }
        if (rc < 0)
            break;
        if (st.runs == before)
            missed++;
    }
    /* Deliveries still queued in the pipe (self-pipe) run now, so the
     * accounting below is complete. */
    for (int i = 0; i < 3 && rc >= 0; i++) {
        lc_timer t = {0};
        lc_call_later(loop, &t, LC__MS(20), sg_stop, NULL);
        rc = lc_loop_run(loop);
        lc_timer_cancel(&t);
    }
    double ms = ms_since(t0);
    lc_remove_signal_handler(loop, SIGUSR1);
    lc_case_measure_counter(ctx, "sent", sent, "signal");
    lc_case_evidence_int(ctx, "batches", batches);
    lc_case_evidence_int(ctx, "batch_size", SG_BATCH);
    lc_case_measure_counter(ctx, "handler_runs", st.runs, "callback");
    lc_case_measure_counter(ctx, "coalesced", sent - st.runs, "signal");
    lc_case_measure_value(ctx, "elapsed", ms, "ms");
    LC_REQUIRE(ctx, rc >= 0, "loop error: %s (%s)", lc_strerror(rc), lc_errname(rc));
    LC_REQUIRE(ctx, missed == 0, "%ld of %ld batches ran no handler within 2 s", missed, batches);
    LC_REQUIRE(ctx, st.runs >= batches && st.runs <= sent,
               "%ld handler runs for %ld signals in %ld batches", st.runs, sent, batches);
    lc_case_pass(ctx, "%ld signals in %ld batches: %ld handler runs, %ld merged (%.0f ms)", sent,
                 batches, st.runs, sent - st.runs, ms);
#endif
}

/* ---- stress/threadsafe-8x100000 ---------------------------------------- */

#define TS_THREADS 8
#define TS_CALLS 100000

struct tsx_state {
    lc_loop *loop;
    long ran; /* touched by the loop thread only */
    atomic_long post_errors;
    atomic_int first_error;
};

static void tsx_cb(lc_loop *loop, void *arg)
{
    struct tsx_state *st = arg;
    if (++st->ran == (long)TS_THREADS * TS_CALLS)
        lc_loop_stop(loop);
}

static void *tsx_thread(void *arg)
{
    struct tsx_state *st = arg;
    for (int i = 0; i < TS_CALLS; i++) {
        int rc = lc_call_soon_threadsafe(st->loop, tsx_cb, st);
        if (rc < 0) {
            int zero = 0;
            atomic_compare_exchange_strong(&st->first_error, &zero, rc);
            atomic_fetch_add(&st->post_errors, 1);
        }
    }
    return NULL;
}

static void stress_threadsafe(lc_case_ctx *ctx, lc_loop *loop)
{
    struct tsx_state st = {.loop = loop};
    pthread_t th[TS_THREADS];
    int started = 0;
    int64_t t0 = lc_time_ns();
    for (; started < TS_THREADS; started++) {
        int e = pthread_create(&th[started], NULL, tsx_thread, &st);
        if (e != 0) {
            lc_case_fail(ctx, "pthread_create: %s", strerror(e));
            break;
        }
    }
    int guard = 0;
    int rc = started == TS_THREADS ? lc__case_run_guarded(loop, LC__MS(60000), &guard) : 0;
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (started < TS_THREADS)
        return;
    double ms = ms_since(t0);
    long posted = (long)TS_THREADS * TS_CALLS - atomic_load(&st.post_errors);
    lc_case_measure_counter(ctx, "posted", posted, "callback");
    lc_case_measure_counter(ctx, "ran", st.ran, "callback");
    lc_case_measure_value(ctx, "elapsed", ms, "ms");
    LC_REQUIRE(ctx, rc >= 0, "loop error: %s (%s)", lc_strerror(rc), lc_errname(rc));
    int e = atomic_load(&st.first_error);
    LC_REQUIRE(ctx, e == 0, "%ld call_soon_threadsafe calls failed, the first with %s (%s)",
               atomic_load(&st.post_errors), lc_strerror(e), lc_errname(e));
    LC_REQUIRE(ctx, st.ran == posted, "%ld of %ld threadsafe callbacks ran%s", st.ran, posted,
               guard ? " before the 60 s guard" : "");
    lc_case_pass(ctx, "%d threads x %d call_soon_threadsafe: %ld callbacks ran, each once (%.0f ms)",
                 TS_THREADS, TS_CALLS, st.ran, ms);
}

const lc_case lc_cases_stress[] = {
    {"stress/watched-fds-10000", "10 000 readable socketpair fds watched at once; each reader fires once",
     stress_watched_fds, LC_CASE_STRESS, NULL, 90},
    {"stress/timers-1000000", "1 000 000 timers fire once each, in deadline order, none early",
     stress_timers, LC_CASE_STRESS, NULL, 120},
    {"stress/subprocesses-1000", "1 000 children, 100 at a time: all reaped with their exit codes, no zombie",
     stress_subprocesses, LC_CASE_STRESS, SP_VARIANTS, 120},
    {"stress/signals-10000", "10 000 signals sent to self in batches: at least one handler run per batch",
     stress_signals, LC_CASE_STRESS, SG_VARIANTS, 90},
    {"stress/threadsafe-8x100000", "8 threads x 100 000 call_soon_threadsafe: every callback runs once",
     stress_threadsafe, LC_CASE_STRESS, NULL, 90},
    {0},
};
