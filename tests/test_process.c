/* Subprocesses on the backend named by $LC_TEST_BACKEND, with both child
 * watchers: every test is a loop test over the watcher (_i: 0 pidfd,
 * 1 sigchld).  pidfd needs Linux >= 5.3; without it those runs check that
 * lc_spawn refuses with LC_ENOTSUP. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loopcompat/loopcompat.h"
#include "loopcompat/process.h"
#include "test_util.h"

static const int watchers[] = {LC_CHILD_WATCHER_PIDFD, LC_CHILD_WATCHER_SIGCHLD};
static const char *const watcher_names[] = {"pidfd", "sigchld"};

static const char *backend(void) { return test_backend(); }

/* NULL when the watcher is unavailable here (then the test checks the
 * refusal and returns). */
static lc_loop *new_loop(int i)
{
    lc_loop *loop = NULL;
    lc_loop_options o = {0};
    o.backend = backend();
    o.child_watcher = watchers[i];
    int rc = lc_loop_new(&loop, &o);
    ck_assert_msg(rc == 0, "lc_loop_new(%s): %s", backend(), lc_strerror(rc));
    const char *name = lc_loop_child_watcher_name(loop);
    if (name == NULL) {
        ck_assert_int_eq(i, 0);
        lc_spawn_options so = {0};
        lc_process *p;
        so.shell = "true";
        ck_assert_int_eq(lc_spawn(loop, &so, NULL, NULL, &p), LC_ENOTSUP);
        lc_loop_free(loop);
        return NULL;
    }
    ck_assert_str_eq(name, watcher_names[i]);
    return loop;
}

/* What a test collects from one child. */
struct run {
    char out[2][8192];
    size_t len[2];
    int lost[3];     /* pipe_connection_lost seen per fd */
    int lost_err[3];
    int exited;
    int rc;
    int need_lost;   /* pipes to wait for before stopping */
    lc_loop *loop;
};

static void maybe_stop(struct run *r)
{
    int nlost = r->lost[0] + r->lost[1] + r->lost[2];
    if (r->exited && nlost >= r->need_lost)
        lc_loop_stop(r->loop);
}

static void on_data(lc_process *p, int fd, const void *d, size_t n, void *ud)
{
    (void)p;
    struct run *r = ud;
    ck_assert_msg(fd == 1 || fd == 2, "data on fd %d", fd);
    ck_assert_int_eq(r->lost[fd], 0); /* data precedes connection_lost */
    ck_assert_uint_lt(r->len[fd - 1] + n, sizeof r->out[0]);
    memcpy(r->out[fd - 1] + r->len[fd - 1], d, n);
    r->len[fd - 1] += n;
}

static void on_lost(lc_process *p, int fd, int err, void *ud)
{
    (void)p;
    struct run *r = ud;
    r->lost[fd]++;
    r->lost_err[fd] = err;
    maybe_stop(r);
}

static void on_exit_(lc_process *p, int rc, void *ud)
{
    (void)p;
    struct run *r = ud;
    r->exited++;
    r->rc = rc;
    maybe_stop(r);
}

static const lc_process_callbacks cbs = {on_data, on_lost, on_exit_};

static void guard_cb(lc_loop *loop, void *arg)
{
    *(int *)arg = 1;
    lc_loop_stop(loop);
}

static void run_until_done(lc_loop *loop, int ms)
{
    lc_timer guard;
    int fired = 0;
    memset(&guard, 0, sizeof guard);
    lc_call_later(loop, &guard, (int64_t)ms * 1000000, guard_cb, &fired);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    lc_timer_cancel(&guard);
    ck_assert_msg(!fired, "the child's events did not all arrive within %d ms", ms);
}

static void no_children_left(void)
{
    errno = 0;
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
}

static lc_process *spawn_shell(lc_loop *loop, struct run *r, const char *cmd, int in, int out,
                               int err)
{
    lc_spawn_options so = {0};
    so.shell = cmd;
    so.stdio[0] = in;
    so.stdio[1] = out;
    so.stdio[2] = err;
    r->loop = loop;
    r->need_lost = (in == LC_STDIO_PIPE) + (out == LC_STDIO_PIPE) + (err == LC_STDIO_PIPE);
    lc_process *p = NULL;
    int rc = lc_spawn(loop, &so, &cbs, r, &p);
    ck_assert_msg(rc == 0, "lc_spawn(%s): %s", cmd, lc_strerror(rc));
    ck_assert_int_gt(lc_process_pid(p), 0);
    return p;
}

START_TEST(exec_stdout)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    struct run r = {0};
    const char *argv[] = {"echo", "hello", NULL};
    lc_spawn_options so = {0};
    so.file = "echo";
    so.argv = argv;
    so.stdio[1] = LC_STDIO_PIPE;
    r.loop = loop;
    r.need_lost = 1;
    lc_process *p;
    ck_assert_int_eq(lc_spawn(loop, &so, &cbs, &r, &p), 0);
    ck_assert_ptr_null(lc_process_pipe(p, 0));
    ck_assert_ptr_nonnull(lc_process_pipe(p, 1));
    run_until_done(loop, 5000);
    ck_assert_int_eq(r.exited, 1);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(r.lost_err[1], 0);
    ck_assert_int_eq((int)r.len[0], 6);
    ck_assert(memcmp(r.out[0], "hello\n", 6) == 0);
    int rc = -1;
    ck_assert_int_eq(lc_process_returncode(p, &rc), 1);
    ck_assert_int_eq(rc, 0);
    lc_process_close(p);
    lc_loop_free(loop);
    no_children_left();
}
END_TEST

START_TEST(stdin_echo)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    struct run r = {0};
    lc_process *p = spawn_shell(loop, &r, "cat", LC_STDIO_PIPE, LC_STDIO_PIPE, LC_STDIO_INHERIT);
    lc_transport *in = lc_process_pipe(p, 0);
    ck_assert_ptr_nonnull(in);
    ck_assert_int_eq(lc_transport_write(in, "abc", 3), 0);
    ck_assert_int_eq(lc_transport_write(in, "def", 3), 0);
    ck_assert_int_eq(lc_transport_close(in), 0);
    run_until_done(loop, 5000);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq((int)r.len[0], 6);
    ck_assert(memcmp(r.out[0], "abcdef", 6) == 0);
    ck_assert_int_eq(r.lost[0], 1);
    lc_process_close(p);
    lc_loop_free(loop);
    no_children_left();
}
END_TEST

START_TEST(exit_status)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    struct run r = {0};
    lc_process *p = spawn_shell(loop, &r, "exit 7", 0, 0, 0);
    int rc;
    ck_assert_int_eq(lc_process_returncode(p, &rc), 0);
    run_until_done(loop, 5000);
    ck_assert_int_eq(r.exited, 1);
    ck_assert_int_eq(r.rc, 7);
    lc_process_close(p);
    lc_loop_free(loop);
}
END_TEST

static void check_signal_death(int i, int signo, int (*send)(lc_process *))
{
    lc_loop *loop = new_loop(i);
    if (!loop)
        return;
    struct run r = {0};
    lc_process *p = spawn_shell(loop, &r, "exec sleep 30", 0, 0, 0);
    ck_assert_int_eq(send(p), 0);
    run_until_done(loop, 5000);
    ck_assert_int_eq(r.rc, -signo);
    /* Reaped: the pid may belong to someone else now. */
    ck_assert_int_eq(lc_process_kill(p), -ESRCH);
    ck_assert_int_eq(lc_process_send_signal(p, SIGTERM), -ESRCH);
    lc_process_close(p);
    lc_loop_free(loop);
}

static int send_hup(lc_process *p) { return lc_process_send_signal(p, SIGHUP); }

START_TEST(kill_terminate_send_signal)
{
    check_signal_death(_i, SIGKILL, lc_process_kill);
    check_signal_death(_i, SIGTERM, lc_process_terminate);
    check_signal_death(_i, SIGHUP, send_hup);
    no_children_left();
}
END_TEST

START_TEST(env_and_cwd)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    struct run r = {0};
    const char *env[] = {"LC_TEST_VALUE=42", "PATH=/usr/bin:/bin", NULL};
    lc_spawn_options so = {0};
    so.shell = "echo \"$LC_TEST_VALUE\"; pwd";
    so.env = env;
    so.cwd = "/";
    so.stdio[1] = LC_STDIO_PIPE;
    r.loop = loop;
    r.need_lost = 1;
    lc_process *p;
    ck_assert_int_eq(lc_spawn(loop, &so, &cbs, &r, &p), 0);
    run_until_done(loop, 5000);
    r.out[0][r.len[0]] = 0;
    ck_assert_str_eq(r.out[0], "42\n/\n");
    lc_process_close(p);
    lc_loop_free(loop);
}
END_TEST

START_TEST(stderr_pipe_and_merge)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    struct run r = {0};
    lc_process *p = spawn_shell(loop, &r, "echo out; echo err >&2", 0, LC_STDIO_PIPE, LC_STDIO_PIPE);
    run_until_done(loop, 5000);
    r.out[0][r.len[0]] = 0;
    r.out[1][r.len[1]] = 0;
    ck_assert_str_eq(r.out[0], "out\n");
    ck_assert_str_eq(r.out[1], "err\n");
    lc_process_close(p);

    struct run m = {0};
    p = spawn_shell(loop, &m, "echo out; echo err >&2", 0, LC_STDIO_PIPE, LC_STDIO_STDOUT);
    ck_assert_ptr_null(lc_process_pipe(p, 2));
    run_until_done(loop, 5000);
    m.out[0][m.len[0]] = 0;
    ck_assert_str_eq(m.out[0], "out\nerr\n");
    ck_assert_int_eq((int)m.len[1], 0);
    lc_process_close(p);
    lc_loop_free(loop);
}
END_TEST

START_TEST(devnull)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    struct run r = {0};
    /* cat reads EOF from /dev/null at once; its output goes to /dev/null
     * too, so no pipe at all. */
    lc_process *p = spawn_shell(loop, &r, "cat; echo x", LC_STDIO_DEVNULL, LC_STDIO_DEVNULL,
                                LC_STDIO_DEVNULL);
    for (int fd = 0; fd < 3; fd++)
        ck_assert_ptr_null(lc_process_pipe(p, fd));
    run_until_done(loop, 5000);
    ck_assert_int_eq(r.rc, 0);
    lc_process_close(p);
    lc_loop_free(loop);
}
END_TEST

START_TEST(new_session)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    struct run r = {0};
    lc_spawn_options so = {0};
    so.shell = "cat /proc/$$/stat; exit 8";
    so.stdio[1] = LC_STDIO_PIPE;
    so.flags = LC_SPAWN_NEW_SESSION;
    r.loop = loop;
    r.need_lost = 1;
    lc_process *p = NULL;
    ck_assert_int_eq(lc_spawn(loop, &so, &cbs, &r, &p), 0);
    int pid = lc_process_pid(p);
    run_until_done(loop, 5000);
    /* proc(5) stat: pid (comm) state ppid pgrp session; setsid(2) makes
     * the child leader of both. */
    r.out[0][r.len[0]] = 0;
    const char *rp = strrchr(r.out[0], ')');
    int pgrp = -1, sid = -1;
    ck_assert_ptr_nonnull(rp);
    ck_assert_int_eq(sscanf(rp + 1, " %*c %*d %d %d", &pgrp, &sid), 2);
    ck_assert_int_eq(sid, pid);
    ck_assert_int_eq(pgrp, pid);
    ck_assert_int_ne(getsid(0), pid);
    ck_assert_int_eq(r.exited, 1);
    ck_assert_int_eq(r.rc, 8);
    lc_process_close(p);
    lc_loop_free(loop);
    no_children_left();
}
END_TEST

START_TEST(spawn_errors)
{
    int fds0 = 0;
    for (int fd = 0; fd < 1024; fd++)
        fds0 += fcntl(fd, F_GETFD) >= 0;
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    lc_spawn_options so = {0};
    lc_process *p = (lc_process *)1;
    so.file = "/nonexistent/program";
    so.stdio[0] = so.stdio[1] = LC_STDIO_PIPE;
    ck_assert_int_eq(lc_spawn(loop, &so, &cbs, NULL, &p), -ENOENT);
    ck_assert_ptr_null(p);
    so.file = "loopcompat-no-such-program-in-path";
    ck_assert_int_eq(lc_spawn(loop, &so, &cbs, NULL, &p), -ENOENT);
    so.file = "true";
    so.cwd = "/nonexistent/dir";
    ck_assert_int_eq(lc_spawn(loop, &so, &cbs, NULL, &p), -ENOENT);
    so.cwd = NULL;
    so.shell = "true";
    ck_assert_int_eq(lc_spawn(loop, &so, &cbs, NULL, &p), LC_EINVAL);
    so.file = NULL;
    so.stdio[1] = LC_STDIO_STDOUT;
    ck_assert_int_eq(lc_spawn(loop, &so, &cbs, NULL, &p), LC_EINVAL);
    no_children_left();
    /* No pipe end survives a failed spawn. */
    lc_loop_free(loop);
    int fds1 = 0;
    for (int fd = 0; fd < 1024; fd++)
        fds1 += fcntl(fd, F_GETFD) >= 0;
    ck_assert_int_eq(fds1, fds0);
}
END_TEST

struct many {
    int exited, bad;
    lc_loop *loop;
};

static void many_exit(lc_process *p, int rc, void *ud)
{
    (void)p;
    struct many *m = ud;
    if (rc != 3)
        m->bad++;
    if (++m->exited == 100)
        lc_loop_stop(m->loop);
}

START_TEST(hundred_children)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    static const lc_process_callbacks mc = {NULL, NULL, many_exit};
    struct many m = {0, 0, loop};
    lc_process *ps[100];
    lc_spawn_options so = {0};
    so.shell = "exit 3";
    for (int k = 0; k < 100; k++)
        ck_assert_int_eq(lc_spawn(loop, &so, &mc, &m, &ps[k]), 0);
    lc_timer guard;
    int fired = 0;
    memset(&guard, 0, sizeof guard);
    lc_call_later(loop, &guard, 20000000000, guard_cb, &fired);
    lc_loop_run(loop);
    ck_assert_int_eq(m.exited, 100);
    ck_assert_int_eq(m.bad, 0);
    for (int k = 0; k < 100; k++)
        lc_process_close(ps[k]);
    lc_loop_free(loop);
    no_children_left();
}
END_TEST

static void count_signal(lc_loop *loop, int signo, void *arg)
{
    (void)loop;
    (void)signo;
    (*(int *)arg)++;
}

START_TEST(child_signal_state_reset)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    /* The loop blocks (signalfd) or catches SIGUSR1; SIGPIPE is ignored. */
    static int hits;
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGUSR1, count_signal, &hits), 0);
    signal(SIGPIPE, SIG_IGN);
    struct run r = {0};
    lc_process *p = spawn_shell(loop, &r, "grep -E '^Sig(Blk|Ign)' /proc/self/status", 0,
                                LC_STDIO_PIPE, 0);
    run_until_done(loop, 5000);
    r.out[0][r.len[0]] = 0;
    /* Signals 1..31 (bits 0..30, proc(5)); glibc's posix_spawn leaves its
     * internal signals 32 and 33 ignored, which are not the loop's doing. */
    const char *blk = strstr(r.out[0], "SigBlk:"), *ign = strstr(r.out[0], "SigIgn:");
    ck_assert_msg(blk && ign, "%s", r.out[0]);
    ck_assert_msg((strtoull(blk + 7, NULL, 16) & 0x7fffffffULL) == 0, "%s", r.out[0]);
    ck_assert_msg((strtoull(ign + 7, NULL, 16) & 0x7fffffffULL) == 0, "%s", r.out[0]);
    lc_process_close(p);
    lc_loop_free(loop);
}
END_TEST

START_TEST(close_kills_running)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    struct run r = {0};
    lc_process *p = spawn_shell(loop, &r, "exec sleep 30", 0, LC_STDIO_PIPE, 0);
    pid_t pid = lc_process_pid(p);
    lc_process_close(p);
    /* The loop still reaps it, with no callback. */
    for (int k = 0; k < 500 && kill(pid, 0) == 0; k++)
        lc_loop_run_once(loop, 0), usleep(2000);
    ck_assert_int_eq(kill(pid, 0), -1);
    ck_assert_int_eq(r.exited, 0);
    ck_assert_int_eq(r.lost[1], 0);
    lc_loop_free(loop);
    no_children_left();
}
END_TEST

START_TEST(loop_close_then_process_close)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    struct run r = {0};
    lc_process *p = spawn_shell(loop, &r, "exec sleep 30", 0, LC_STDIO_PIPE, 0);
    ck_assert_int_eq(lc_loop_close(loop), 0);
    ck_assert_int_eq(kill(lc_process_pid(p), 0), 0);
    lc_process_close(p);
    ck_assert_int_eq(r.exited, 0);
    lc_loop_free(loop);
    no_children_left();
}
END_TEST

static void *spawn_from_thread(void *arg)
{
    static int rc;
    lc_loop *loop = arg;
    lc_spawn_options so = {0};
    lc_process *p = NULL;
    so.shell = "exit 0";
    rc = lc_spawn(loop, &so, NULL, NULL, &p);
    if (rc == 0) {
        int status;
        while (!lc_process_returncode(p, &status))
            lc_loop_run_once(loop, 1);
        lc_process_close(p);
    }
    return &rc;
}

START_TEST(thread_rule)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    pthread_t th;
    void *res;
    ck_assert_int_eq(pthread_create(&th, NULL, spawn_from_thread, loop), 0);
    pthread_join(th, &res);
    /* pidfd works in any thread; SIGCHLD is a signal handler: main only. */
    ck_assert_int_eq(*(int *)res, _i == 0 ? 0 : LC_ETHREAD);
    lc_loop_free(loop);
    no_children_left();
}
END_TEST

START_TEST(other_children_not_reaped)
{
    lc_loop *loop = new_loop(_i);
    if (!loop)
        return;
    /* A child the loop did not start stays for its owner to wait for. */
    pid_t other = fork();
    if (other == 0)
        _exit(5);
    struct run r = {0};
    lc_process *p = spawn_shell(loop, &r, "exit 0", 0, 0, 0);
    run_until_done(loop, 5000);
    usleep(20000);
    int status;
    ck_assert_int_eq(waitpid(other, &status, 0), other);
    ck_assert_int_eq(WEXITSTATUS(status), 5);
    lc_process_close(p);
    lc_loop_free(loop);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("process");
    TCase *tc = tcase_create("process");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, exec_stdout, 0, 2);
    tcase_add_loop_test(tc, stdin_echo, 0, 2);
    tcase_add_loop_test(tc, exit_status, 0, 2);
    tcase_add_loop_test(tc, kill_terminate_send_signal, 0, 2);
    tcase_add_loop_test(tc, env_and_cwd, 0, 2);
    tcase_add_loop_test(tc, stderr_pipe_and_merge, 0, 2);
    tcase_add_loop_test(tc, devnull, 0, 2);
    tcase_add_loop_test(tc, new_session, 0, 2);
    tcase_add_loop_test(tc, spawn_errors, 0, 2);
    tcase_add_loop_test(tc, hundred_children, 0, 2);
    tcase_add_loop_test(tc, child_signal_state_reset, 0, 2);
    tcase_add_loop_test(tc, close_kills_running, 0, 2);
    tcase_add_loop_test(tc, loop_close_then_process_close, 0, 2);
    tcase_add_loop_test(tc, thread_rule, 0, 2);
    tcase_add_loop_test(tc, other_children_not_reaped, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return test_run_suite(suite()); }
