/* Signal handlers on the loop, both implementations (signalfd and
 * self-pipe) on the backend named by $LC_TEST_BACKEND.  Every test is a
 * loop test over the implementation (_i: 0 signalfd, 1 selfpipe); fork
 * mode keeps the dispositions one test changes away from the others. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loopcompat/loopcompat.h"
#include "test_util.h"

static const int impls[] = {LC_SIGNAL_SIGNALFD, LC_SIGNAL_SELFPIPE};
static const char *const impl_names[] = {"signalfd", "selfpipe"};

static const char *backend(void) { return test_backend(); }

static lc_loop *new_loop(int i)
{
    lc_loop *loop = NULL;
    lc_loop_options o = {0};
    o.backend = backend();
    o.signal_impl = impls[i];
    int rc = lc_loop_new(&loop, &o);
    ck_assert_msg(rc == 0, "lc_loop_new(%s): %s", backend(), lc_strerror(rc));
    ck_assert_str_eq(lc_loop_signal_impl_name(loop), impl_names[i]);
    return loop;
}

struct hits {
    int n;
    int last_signo;
    int stop_after;
};

static void on_signal(lc_loop *loop, int signo, void *arg)
{
    struct hits *h = arg;
    h->n++;
    h->last_signo = signo;
    if (h->stop_after && h->n >= h->stop_after)
        lc_loop_stop(loop);
}

static void stop_cb(lc_loop *loop, void *arg)
{
    *(int *)arg = 1;
    lc_loop_stop(loop);
}

/* Run until stopped or `ms` pass; returns 1 if the guard stopped it. */
static int run_for(lc_loop *loop, int ms)
{
    lc_timer guard;
    int fired = 0;
    memset(&guard, 0, sizeof guard);
    ck_assert_int_eq(lc_call_later(loop, &guard, (int64_t)ms * 1000000, stop_cb, &fired), 0);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    lc_timer_cancel(&guard);
    return fired;
}

static int count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            n++;
    return n;
}

static int blocked(int signo)
{
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    return sigismember(&m, signo);
}

START_TEST(handler_runs)
{
    lc_loop *loop = new_loop(_i);
    struct hits h = {0, 0, 1};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR1, on_signal, &h), 0);
    ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
    ck_assert_int_eq(run_for(loop, 2000), 0);
    ck_assert_int_eq(h.n, 1);
    ck_assert_int_eq(h.last_signo, SIGUSR1);
    lc_loop_free(loop);
}
END_TEST

START_TEST(wakes_blocked_poll)
{
    lc_loop *loop = new_loop(_i);
    struct hits h = {0, 0, 1};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGALRM, on_signal, &h), 0);
    struct itimerval it = {{0, 0}, {0, 20000}};
    ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
    int64_t t0 = lc_time_ns();
    ck_assert_msg(run_for(loop, 5000) == 0, "the loop slept through SIGALRM");
    int64_t took = lc_time_ns() - t0;
    ck_assert_int_eq(h.n, 1);
    ck_assert_msg(took < 2000000000, "woke after %lld ns", (long long)took);
    lc_loop_free(loop);
}
END_TEST

START_TEST(invalid_numbers)
{
    lc_loop *loop = new_loop(_i);
    struct hits h = {0};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGKILL, on_signal, &h), LC_EINVAL);
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGSTOP, on_signal, &h), LC_EINVAL);
    ck_assert_int_eq(lc_add_signal_handler(loop, 0, on_signal, &h), LC_EINVAL);
    ck_assert_int_eq(lc_add_signal_handler(loop, -1, on_signal, &h), LC_EINVAL);
    ck_assert_int_eq(lc_add_signal_handler(loop, NSIG, on_signal, &h), LC_EINVAL);
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR1, NULL, &h), LC_EINVAL);
    ck_assert_int_eq(lc_remove_signal_handler(loop, SIGKILL), 0);
    ck_assert_int_eq(lc_remove_signal_handler(loop, SIGUSR1), 0);
    ck_assert_int_eq(lc_remove_signal_handler(loop, 0), LC_EINVAL);
    ck_assert_int_eq(lc_remove_signal_handler(loop, NSIG), LC_EINVAL);
    lc_loop_free(loop);
}
END_TEST

static volatile sig_atomic_t sentinel_hits;
static void sentinel(int signo)
{
    (void)signo;
    sentinel_hits++;
}

START_TEST(remove_restores)
{
    struct sigaction sa, now;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sentinel;
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    int fds0 = count_fds();

    lc_loop *loop = new_loop(_i);
    int fds_loop = count_fds();
    struct hits h = {0};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR1, on_signal, &h), 0);
    ck_assert_int_gt(count_fds(), fds_loop);
    sigaction(SIGUSR1, NULL, &now);
    ck_assert_ptr_ne((void *)now.sa_handler, (void *)sentinel);
    ck_assert_int_eq(blocked(SIGUSR1), _i == 0);

    ck_assert_int_eq(lc_remove_signal_handler(loop, SIGUSR1), 1);
    ck_assert_int_eq(lc_remove_signal_handler(loop, SIGUSR1), 0);
    sigaction(SIGUSR1, NULL, &now);
    ck_assert_ptr_eq((void *)now.sa_handler, (void *)sentinel);
    ck_assert_int_eq(blocked(SIGUSR1), 0);
    /* The last handler gone, the channel is gone too. */
    ck_assert_int_eq(count_fds(), fds_loop);

    sentinel_hits = 0;
    kill(getpid(), SIGUSR1);
    ck_assert_int_eq(sentinel_hits, 1);
    run_for(loop, 50);
    ck_assert_int_eq(h.n, 0);
    lc_loop_free(loop);
    ck_assert_int_eq(count_fds(), fds0);
}
END_TEST

START_TEST(close_restores)
{
    signal(SIGUSR2, SIG_IGN);
    int fds0 = count_fds();
    lc_loop *loop = new_loop(_i);
    struct hits h = {0};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR2, on_signal, &h), 0);
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGHUP, on_signal, &h), 0);
    ck_assert_int_eq(lc_loop_close(loop), 0);
    struct sigaction now;
    sigaction(SIGUSR2, NULL, &now);
    ck_assert_ptr_eq((void *)now.sa_handler, (void *)SIG_IGN);
    sigaction(SIGHUP, NULL, &now);
    ck_assert_ptr_eq((void *)now.sa_handler, (void *)SIG_DFL);
    ck_assert_int_eq(blocked(SIGUSR2), 0);
    ck_assert_int_eq(blocked(SIGHUP), 0);
    ck_assert_int_eq(count_fds(), fds0);
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR2, on_signal, &h), LC_ECLOSED);
    ck_assert_int_eq(lc_remove_signal_handler(loop, SIGUSR2), 0);
    lc_loop_free(loop);
}
END_TEST

START_TEST(coalescing)
{
    lc_loop *loop = new_loop(_i);
    struct hits h = {0};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR1, on_signal, &h), 0);
    for (int k = 0; k < 5; k++)
        kill(getpid(), SIGUSR1);
    run_for(loop, 100);
    /* signalfd: blocked standard signals merge while pending (signal(7)).
     * Self-pipe: each kill to ourselves is delivered before kill returns
     * (kill(2), POSIX), one byte each. */
    ck_assert_int_eq(h.n, _i == 0 ? 1 : 5);
    lc_loop_free(loop);
}
END_TEST

START_TEST(realtime_signals_queue)
{
    lc_loop *loop = new_loop(_i);
    struct hits h = {0};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGRTMIN, on_signal, &h), 0);
    for (int k = 0; k < 3; k++)
        kill(getpid(), SIGRTMIN);
    run_for(loop, 100);
    ck_assert_int_eq(h.n, 3);
    lc_loop_free(loop);
}
END_TEST

/* Several signals pending before one dispatch, more than one signalfd
 * read batch holds: every one is dispatched (each standard signal once,
 * each queued real-time signal once, signal(7)). */
struct per_signal {
    int usr1, usr2, rt;
};

static void count_each(lc_loop *loop, int signo, void *arg)
{
    struct per_signal *c = arg;
    if (signo == SIGUSR1)
        c->usr1++;
    else if (signo == SIGUSR2)
        c->usr2++;
    else if (signo == SIGRTMIN)
        c->rt++;
    if (c->usr1 && c->usr2 && c->rt >= 40)
        lc_loop_stop(loop);
}

START_TEST(distinct_and_queued_all_dispatched)
{
    lc_loop *loop = new_loop(_i);
    struct per_signal c = {0};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR1, count_each, &c), 0);
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR2, count_each, &c), 0);
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGRTMIN, count_each, &c), 0);
    ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
    for (int k = 0; k < 40; k++) {
        union sigval v = {.sival_int = k};
        ck_assert_int_eq(sigqueue(getpid(), SIGRTMIN, v), 0);
    }
    ck_assert_int_eq(kill(getpid(), SIGUSR2), 0);
    ck_assert_int_eq(run_for(loop, 2000), 0);
    run_for(loop, 50); /* nothing more may come */
    ck_assert_int_eq(c.usr1, 1);
    ck_assert_int_eq(c.usr2, 1);
    ck_assert_int_eq(c.rt, 40);
    lc_loop_free(loop);
}
END_TEST

static void *add_from_thread(void *arg)
{
    lc_loop *loop = arg;
    struct hits h = {0};
    static int rc[2];
    rc[0] = lc_add_signal_handler(loop, SIGUSR1, on_signal, &h);
    rc[1] = lc_remove_signal_handler(loop, SIGUSR1);
    return rc;
}

START_TEST(main_thread_only)
{
    lc_loop *loop = new_loop(_i);
    pthread_t th;
    void *res;
    ck_assert_int_eq(pthread_create(&th, NULL, add_from_thread, loop), 0);
    pthread_join(th, &res);
    ck_assert_int_eq(((int *)res)[0], LC_ETHREAD);
    ck_assert_int_eq(((int *)res)[1], LC_ETHREAD);
    lc_loop_free(loop);
}
END_TEST

START_TEST(one_loop_per_signal)
{
    lc_loop *a = new_loop(_i), *b = new_loop(_i);
    struct hits h = {0};
    ck_assert_int_eq(lc_add_signal_handler(a, SIGUSR1, on_signal, &h), 0);
    ck_assert_int_eq(lc_add_signal_handler(b, SIGUSR1, on_signal, &h), LC_EBUSY);
    ck_assert_int_eq(lc_add_signal_handler(b, SIGUSR2, on_signal, &h), 0);
    lc_loop_free(a);
    ck_assert_int_eq(lc_add_signal_handler(b, SIGUSR1, on_signal, &h), 0);
    lc_loop_free(b);
}
END_TEST

static void remove_self(lc_loop *loop, int signo, void *arg)
{
    struct hits *h = arg;
    h->n++;
    ck_assert_int_eq(lc_remove_signal_handler(loop, signo), 1);
}

START_TEST(remove_inside_handler)
{
    lc_loop *loop = new_loop(_i);
    struct hits h = {0};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR1, remove_self, &h), 0);
    kill(getpid(), SIGUSR1);
    run_for(loop, 100);
    ck_assert_int_eq(h.n, 1);
    /* Re-adding after the channel went away works. */
    struct hits h2 = {0, 0, 1};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR1, on_signal, &h2), 0);
    kill(getpid(), SIGUSR1);
    ck_assert_int_eq(run_for(loop, 2000), 0);
    ck_assert_int_eq(h2.n, 1);
    lc_loop_free(loop);
}
END_TEST

START_TEST(after_fork_child_own_channel)
{
    lc_loop *loop = new_loop(_i);
    struct hits h = {0};
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR1, on_signal, &h), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int ok = lc_loop_after_fork(loop) == 0;
        h.stop_after = 1;
        kill(getpid(), SIGUSR1);
        lc_timer guard;
        int fired = 0;
        memset(&guard, 0, sizeof guard);
        lc_call_later(loop, &guard, 2000000000, stop_cb, &fired);
        lc_loop_run(loop);
        lc_loop_free(loop);
        _exit(ok && h.n == 1 && !fired ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child's handler did not run");
    /* The child's signal never reached the parent's loop. */
    run_for(loop, 100);
    ck_assert_int_eq(h.n, 0);
    lc_loop_free(loop);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("signals");
    TCase *tc = tcase_create("signals");
    tcase_add_loop_test(tc, handler_runs, 0, 2);
    tcase_add_loop_test(tc, wakes_blocked_poll, 0, 2);
    tcase_add_loop_test(tc, invalid_numbers, 0, 2);
    tcase_add_loop_test(tc, remove_restores, 0, 2);
    tcase_add_loop_test(tc, close_restores, 0, 2);
    tcase_add_loop_test(tc, coalescing, 0, 2);
    tcase_add_loop_test(tc, realtime_signals_queue, 0, 2);
    tcase_add_loop_test(tc, distinct_and_queued_all_dispatched, 0, 2);
    tcase_add_loop_test(tc, main_thread_only, 0, 2);
    tcase_add_loop_test(tc, one_loop_per_signal, 0, 2);
    tcase_add_loop_test(tc, remove_inside_handler, 0, 2);
    tcase_add_loop_test(tc, after_fork_child_own_channel, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return test_run_suite(suite()); }
