/* The core suite, part two: readers and writers, close, policies and
 * error codes, on the backend named by $LC_TEST_BACKEND (see
 * test_core.c). */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test_core.h"

/* ---- readers and writers ---- */

struct rw {
    int reads, writes;
    char buf[64];
    ssize_t got;
};

static void on_read(lc_loop *loop, int fd, void *arg)
{
    struct rw *rw = arg;
    rw->reads++;
    rw->got = read(fd, rw->buf, sizeof rw->buf);
    lc_loop_stop(loop);
}

static void on_write(lc_loop *loop, int fd, void *arg)
{
    (void)fd;
    struct rw *rw = arg;
    rw->writes++;
    lc_loop_stop(loop);
}

START_TEST(reader_fires_on_data)
{
    lc_loop *loop = new_loop();
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct rw rw = {0};
    ck_assert_int_eq(lc_add_reader(loop, sv[0], on_read, &rw), 0);
    ck_assert_int_eq(write(sv[1], "abc", 3), 3);
    lc_timer guard = {0};
    lc_call_later(loop, &guard, 2000000000LL, stop_cb, NULL);
    lc_loop_run(loop);
    ck_assert_int_eq(rw.reads, 1);
    ck_assert_int_eq(rw.got, 3);
    ck_assert_int_eq(memcmp(rw.buf, "abc", 3), 0);
    ck_assert_int_eq(lc_remove_reader(loop, sv[0]), 1);
    ck_assert_int_eq(lc_remove_reader(loop, sv[0]), 0);
    close(sv[0]);
    close(sv[1]);
    lc_loop_free(loop);
}
END_TEST

/* A reader on a PTY master runs once per readiness and never for nothing:
 * a byte written to the slave, read; another 50 ms later, read; then
 * silence.  A tty polls on two wait queues, which io_uring cannot re-arm
 * by an update: the poll ends with -ECANCELED, and that must not be taken
 * for readiness (docs/io_uring-pty-6.12.md). */
struct pty_reads {
    int reads, eagain, bytes, slave;
    lc_timer second, end;
};

static void pty_on_read(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    struct pty_reads *p = arg;
    char buf[16];
    p->reads++;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0)
        p->bytes += (int)n;
    else if (n < 0 && errno == EAGAIN)
        p->eagain++;
}

static void pty_write_again(lc_loop *loop, void *arg)
{
    (void)loop;
    struct pty_reads *p = arg;
    ck_assert_int_eq(write(p->slave, "y", 1), 1);
}

START_TEST(reader_on_pty_runs_once_per_readiness)
{
    lc_loop *loop = new_loop();
    int m, s;
    ck_assert_int_eq(openpty(&m, &s, NULL, NULL, NULL), 0);
    ck_assert_int_eq(fcntl(m, F_SETFL, O_NONBLOCK), 0);
    struct pty_reads p = {.slave = s};
    ck_assert_int_eq(lc_add_reader(loop, m, pty_on_read, &p), 0);
    ck_assert_int_eq(write(s, "x", 1), 1);
    lc_call_later(loop, &p.second, 50000000LL, pty_write_again, &p);
    lc_call_later(loop, &p.end, 300000000LL, stop_cb, NULL);
    lc_loop_run(loop);
    ck_assert_int_eq(p.bytes, 2);
    ck_assert_msg(p.reads == 2 && p.eagain == 0, "%d reader calls for 2 readinesses, %d with EAGAIN",
                  p.reads, p.eagain);
    ck_assert_int_eq(lc_remove_reader(loop, m), 1);
    close(m);
    close(s);
    lc_loop_free(loop);
}
END_TEST

START_TEST(reader_and_writer_share_one_fd)
{
    lc_loop *loop = new_loop();
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct rw rw = {0};
    ck_assert_int_eq(lc_add_writer(loop, sv[0], on_write, &rw), 0);
    ck_assert_int_eq(lc_add_reader(loop, sv[0], on_read, &rw), 0);
    lc_loop_run_once(loop, 1);
    ck_assert_int_eq(rw.writes, 1); /* writable at once */
    ck_assert_int_eq(rw.reads, 0);
    ck_assert_int_eq(lc_remove_writer(loop, sv[0]), 1);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    lc_timer guard = {0};
    lc_call_later(loop, &guard, 2000000000LL, stop_cb, NULL);
    lc_loop_run(loop);
    ck_assert_int_eq(rw.reads, 1); /* the reader survived removing the writer */
    ck_assert_int_eq(rw.writes, 1);
    ck_assert_int_eq(lc_remove_reader(loop, sv[0]), 1);
    close(sv[0]);
    close(sv[1]);
    lc_loop_free(loop);
}
END_TEST

struct remover {
    int fd_other;
    int calls;
};

static void remove_other(lc_loop *loop, int fd, void *arg)
{
    struct remover *r = arg;
    char b[8];
    (void)!read(fd, b, sizeof b);
    r->calls++;
    lc_remove_reader(loop, r->fd_other);
}

START_TEST(reader_removed_in_same_batch_does_not_run)
{
    lc_loop *loop = new_loop();
    int a[2], b[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
    struct remover ra = {b[0], 0}, rb = {a[0], 0};
    lc_add_reader(loop, a[0], remove_other, &ra);
    lc_add_reader(loop, b[0], remove_other, &rb);
    (void)!write(a[1], "x", 1);
    (void)!write(b[1], "x", 1);
    struct timespec d = {0, 5000000};
    nanosleep(&d, NULL);
    lc_loop_run_once(loop, 1);
    /* Both were ready in one poll; whichever ran first removed the other. */
    ck_assert_int_eq(ra.calls + rb.calls, 1);
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
    }
    lc_loop_free(loop);
}
END_TEST

START_TEST(add_reader_bad_fd_and_closed_loop)
{
    lc_loop *loop = new_loop();
    struct rw rw = {0};
    ck_assert_int_eq(lc_add_reader(loop, -1, on_read, &rw), LC_EINVAL);
    int fd = dup(0);
    close(fd);
    ck_assert_int_eq(lc_add_reader(loop, fd, on_read, &rw), LC_EBADF);
    ck_assert_int_eq(lc_loop_close(loop), 0);
    ck_assert_int_eq(lc_loop_close(loop), 0);
    ck_assert(lc_loop_is_closed(loop));
    ck_assert_int_eq(lc_add_reader(loop, 0, on_read, &rw), LC_ECLOSED);
    ck_assert_int_eq(lc_add_writer(loop, 0, on_write, &rw), LC_ECLOSED);
    ck_assert_int_eq(lc_remove_reader(loop, 0), 0);
    ck_assert_int_eq(lc_call_soon(loop, stop_cb, NULL), LC_ECLOSED);
    ck_assert_int_eq(lc_call_soon_threadsafe(loop, stop_cb, NULL), LC_ECLOSED);
    lc_timer t = {0};
    ck_assert_int_eq(lc_call_later(loop, &t, 0, stop_cb, NULL), LC_ECLOSED);
    ck_assert_int_eq(lc_loop_run(loop), LC_ECLOSED);
    ck_assert_int_eq(lc_loop_run_once(loop, 0), LC_ECLOSED);
    lc_loop_free(loop);
}
END_TEST

static void close_inside(lc_loop *loop, void *arg)
{
    *(int *)arg = lc_loop_close(loop);
    lc_loop_stop(loop);
}

static void run_inside(lc_loop *loop, void *arg)
{
    *(int *)arg = lc_loop_run_once(loop, 0);
}

START_TEST(close_or_rerun_while_running_refused)
{
    lc_loop *loop = new_loop();
    int close_rc = 1, run_rc = 1;
    lc_call_soon(loop, close_inside, &close_rc);
    lc_call_soon(loop, run_inside, &run_rc);
    lc_loop_run(loop);
    ck_assert_int_eq(close_rc, LC_ERUNNING);
    ck_assert_int_eq(run_rc, LC_ERUNNING);
    ck_assert(!lc_loop_is_closed(loop));
    lc_loop_free(loop);
}
END_TEST

static int count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            n++;
    return n;
}

START_TEST(close_releases_fds)
{
    int before = count_fds();
    lc_loop *loop = new_loop();
    ck_assert_int_gt(count_fds(), before - 1);
    lc_loop_close(loop);
    ck_assert_int_eq(count_fds(), before);
    lc_loop_free(loop);
}
END_TEST

/* ---- policies ---- */

static void *other_thread_get(void *arg)
{
    int *err = arg;
    lc_loop *l = lc_get_event_loop(err);
    return l;
}

START_TEST(policy_main_thread_creates_other_thread_fails)
{
    int err = 0;
    lc_loop *l = lc_get_event_loop(&err);
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(err, 0);
    ck_assert_ptr_eq(lc_get_event_loop(&err), l); /* stable */
    pthread_t th;
    void *res = (void *)1;
    int terr = 0;
    pthread_create(&th, NULL, other_thread_get, &terr);
    pthread_join(th, &res);
    ck_assert_ptr_null(res);
    ck_assert_int_eq(terr, LC_ENOLOOP);
    lc_policy_reset_thread();
}
END_TEST

START_TEST(policy_set_none_then_get_fails)
{
    ck_assert_int_eq(lc_set_event_loop(NULL), 0);
    int err = 0;
    ck_assert_ptr_null(lc_get_event_loop(&err));
    ck_assert_int_eq(err, LC_ENOLOOP);
    lc_loop *n = NULL;
    ck_assert_int_eq(lc_new_event_loop(&n), 0);
    ck_assert_ptr_null(lc_get_event_loop(&err)); /* new loops are not current */
    ck_assert_int_eq(lc_set_event_loop(n), 0);
    ck_assert_ptr_eq(lc_get_event_loop(&err), n);
    lc_set_event_loop(NULL);
    lc_loop_free(n);
    lc_policy_reset_thread();
}
END_TEST

static lc_loop *failing_get(void *self, int *err)
{
    (*(int *)self)++;
    *err = LC_ENOLOOP;
    return NULL;
}
static int noop_set(void *self, lc_loop *l) { (void)self; (void)l; return 0; }
static int plain_new(void *self, lc_loop **out) { (void)self; return lc_loop_new(out, NULL); }

struct running_probe {
    lc_loop *seen;
    int err;
};

static void probe_running(lc_loop *loop, void *arg)
{
    struct running_probe *p = arg;
    p->seen = lc_get_event_loop(&p->err);
    lc_loop_stop(loop);
}

START_TEST(policy_custom_running_loop_wins_and_restore)
{
    int calls = 0;
    lc_policy p = {&calls, failing_get, noop_set, plain_new};
    ck_assert_int_eq(lc_set_event_loop_policy(&p), 0);
    ck_assert_ptr_eq(lc_get_event_loop_policy(), &p);
    int err = 0;
    ck_assert_ptr_null(lc_get_event_loop(&err));
    ck_assert_int_eq(calls, 1);
    lc_loop *loop = new_loop();
    struct running_probe pr = {NULL, 1};
    lc_call_soon(loop, probe_running, &pr);
    lc_loop_run(loop);
    ck_assert_ptr_eq(pr.seen, loop);
    ck_assert_int_eq(calls, 1); /* the policy was not asked */
    ck_assert_int_eq(lc_set_event_loop_policy(NULL), 0);
    ck_assert_ptr_ne(lc_get_event_loop_policy(), &p);
    lc_policy bad = {NULL, NULL, noop_set, plain_new};
    ck_assert_int_eq(lc_set_event_loop_policy(&bad), LC_EINVAL);
    ck_assert_ptr_null(lc_get_running_loop(&err));
    ck_assert_int_eq(err, LC_ENOLOOP);
    lc_loop_free(loop);
    lc_policy_reset_thread();
}
END_TEST

/* ---- errors and backends ---- */

START_TEST(version_matches_header)
{
    /* The library linked is the one the header describes; the number and the
     * string say the same version. */
    ck_assert_uint_eq(lc_version(), LC_VERSION_HEX);
    ck_assert_str_eq(lc_version_string(), LC_VERSION_STRING);
    char s[32];
    snprintf(s, sizeof s, "%u.%u.%u", lc_version() >> 16, (lc_version() >> 8) & 0xff,
             lc_version() & 0xff);
    ck_assert_str_eq(s, lc_version_string());
}
END_TEST

START_TEST(errors_are_distinct_and_named)
{
    ck_assert_int_ne(LC_ENOTSUP, LC_ECLOSED);
    ck_assert_str_eq(lc_errname(LC_ENOTSUP), "LC_ENOTSUP");
    ck_assert_str_eq(lc_errname(-EPERM), "EPERM");
    ck_assert_str_ne(lc_strerror(LC_ECLOSED), lc_strerror(LC_ENOTSUP));
    lc_loop *l = NULL;
    lc_loop_options o = {0};
    o.backend = "no-such-backend";
    ck_assert_int_eq(lc_loop_new(&l, &o), LC_ENOBACKEND);
    ck_assert_ptr_null(l);
    lc_probe why;
    ck_assert_int_eq(lc_backend_probe(backend(), &why), 0);
    ck_assert_int_eq(why.available, 1);
}
END_TEST

void core_add_io_tests(TCase *tc)
{
    tcase_add_test(tc, version_matches_header);
    tcase_add_test(tc, reader_fires_on_data);
    tcase_add_test(tc, reader_and_writer_share_one_fd);
    tcase_add_test(tc, reader_on_pty_runs_once_per_readiness);
    tcase_add_test(tc, reader_removed_in_same_batch_does_not_run);
    tcase_add_test(tc, add_reader_bad_fd_and_closed_loop);
    tcase_add_test(tc, close_or_rerun_while_running_refused);
    tcase_add_test(tc, close_releases_fds);
    tcase_add_test(tc, policy_main_thread_creates_other_thread_fails);
    tcase_add_test(tc, policy_set_none_then_get_fails);
    tcase_add_test(tc, policy_custom_running_loop_wins_and_restore);
    tcase_add_test(tc, errors_are_distinct_and_named);
}
