/* For the Linux-only suites: observing in a forked child, and a short run. */
#ifndef TEST_FORK_H
#define TEST_FORK_H

#include <check.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loopcompat/loop.h"

/* Runs fn(view, arg) in a forked child and copies the size bytes it fills
 * in back to view: for what cannot be undone in the test process (a
 * seccomp filter, for one).  The child must exit normally. */
static inline void test_in_child(void (*fn)(void *view, void *arg), void *arg, void *view,
                                 size_t size)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        memset(view, 0, size);
        fn(view, arg);
        ssize_t n = write(p[1], view, size);
        _exit(n == (ssize_t)size ? 0 : 1);
    }
    close(p[1]);
    ssize_t n = read(p[0], view, size);
    close(p[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    ck_assert_int_eq(n, (ssize_t)size);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static inline void test_stop_loop(lc_loop *loop, void *arg)
{
    (void)arg;
    lc_loop_stop(loop);
}

/* Runs loop until a 1 ms timer stops it; lc_loop_run's result. */
static inline int test_run_1ms(lc_loop *loop)
{
    lc_timer t = {0};
    lc_call_later(loop, &t, 1000000, test_stop_loop, NULL);
    return lc_loop_run(loop);
}

#endif
