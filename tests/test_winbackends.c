/* The Windows backends (winselect, iocp) through the loop's public API, plus
 * the iocp completion path the transports build on.  One executable, run
 * once per backend ($LC_TEST_BACKEND); under wine when cross-built. */
#include "compat_win.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loopcompat/loop.h"

static const char *backend;

static int is_iocp(void) { return strcmp(backend, "iocp") == 0; }

static lc_loop *new_loop(void)
{
    lc_loop_options o;
    memset(&o, 0, sizeof o);
    o.backend = backend;
    lc_loop *loop = NULL;
    ck_assert_int_eq(lc_loop_new(&loop, &o), 0);
    ck_assert_ptr_nonnull(loop);
    return loop;
}

/* A connected pair of loopback TCP sockets (Windows has no socketpair). */
static void tcp_pair(SOCKET s[2])
{
    struct sockaddr_in a;
    int len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOCKET l = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert(l != INVALID_SOCKET);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &len), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    s[1] = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(s[1], (struct sockaddr *)&a, sizeof a), 0);
    s[0] = accept(l, NULL, NULL);
    ck_assert(s[0] != INVALID_SOCKET);
    closesocket(l);
}

static void stop_cb(lc_loop *loop, void *arg)
{
    int *n = arg;
    (*n)++;
    lc_loop_stop(loop);
}

START_TEST(t_create)
{
    lc_loop *loop = new_loop();
    ck_assert_str_eq(lc_loop_backend_name(loop), backend);
    /* GetQueuedCompletionStatusEx waits in ms, Winsock select in µs. */
    ck_assert_int_eq(lc_loop_timeout_granularity_ns(loop), is_iocp() ? 1000000 : 1000);
    const char *const *names;
    size_t n = lc_backend_list(&names);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(names[0], "iocp");
    ck_assert_str_eq(names[1], "winselect");
    lc_loop_free(loop);
}
END_TEST

START_TEST(t_timer_never_early)
{
    lc_loop *loop = new_loop();
    lc_timer t;
    memset(&t, 0, sizeof t);
    int fired = 0;
    int64_t t0 = lc_time_ns();
    ck_assert_int_eq(lc_call_later(loop, &t, 30 * 1000000LL, stop_cb, &fired), 0);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    int64_t dt = lc_time_ns() - t0;
    ck_assert_int_eq(fired, 1);
    ck_assert_int_ge(dt, 30 * 1000000LL);
    ck_assert_int_lt(dt, 2000 * 1000000LL);
    lc_loop_free(loop);
}
END_TEST

struct wake_arg {
    lc_loop *loop;
    int ran;
};

static void *wake_thread(void *p)
{
    struct wake_arg *w = p;
    Sleep(50);
    lc_call_soon_threadsafe(w->loop, stop_cb, &w->ran);
    return NULL;
}

START_TEST(t_threadsafe_wakes_blocked_poll)
{
    struct wake_arg w = {new_loop(), 0};
    /* A far timer keeps the poll blocking; only the wakeup can end it. */
    lc_timer t;
    memset(&t, 0, sizeof t);
    int never = 0;
    ck_assert_int_eq(lc_call_later(w.loop, &t, 60 * 1000000000LL, stop_cb, &never), 0);
    pthread_t th;
    int64_t t0 = lc_time_ns();
    ck_assert_int_eq(pthread_create(&th, NULL, wake_thread, &w), 0);
    ck_assert_int_eq(lc_loop_run(w.loop), 0);
    pthread_join(th, NULL);
    ck_assert_int_eq(w.ran, 1);
    ck_assert_int_eq(never, 0);
    ck_assert_int_lt(lc_time_ns() - t0, 10 * 1000000000LL);
    lc_loop_free(w.loop);
}
END_TEST

static void *stop_thread(void *p)
{
    Sleep(50);
    lc_loop_stop(p);
    return NULL;
}

START_TEST(t_stop_from_other_thread)
{
    lc_loop *loop = new_loop();
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, stop_thread, loop), 0);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    pthread_join(th, NULL);
    lc_loop_free(loop);
}
END_TEST

struct rd {
    int calls;
    char buf[16];
    int len;
};

static void on_read(lc_loop *loop, int fd, void *arg)
{
    struct rd *r = arg;
    r->calls++;
    r->len = recv((SOCKET)(unsigned)fd, r->buf, sizeof r->buf, 0);
    lc_loop_stop(loop);
}

START_TEST(t_reader_on_socket)
{
    lc_loop *loop = new_loop();
    SOCKET s[2];
    tcp_pair(s);
    struct rd r = {0};
    int rc = lc_add_reader(loop, (int)s[0], on_read, &r);
    if (is_iocp()) {
        /* asyncio-platforms: ProactorEventLoop has no add_reader/add_writer. */
        ck_assert_int_eq(rc, LC_ENOTSUP);
        ck_assert_int_eq(lc_add_writer(loop, (int)s[0], on_read, &r), LC_ENOTSUP);
        ck_assert_int_eq(lc_remove_reader(loop, (int)s[0]), 0);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_int_eq(send(s[1], "ping", 4, 0), 4);
        ck_assert_int_eq(lc_loop_run(loop), 0);
        ck_assert_int_eq(r.calls, 1);
        ck_assert_int_eq(r.len, 4);
        ck_assert_int_eq(memcmp(r.buf, "ping", 4), 0);
        ck_assert_int_eq(lc_remove_reader(loop, (int)s[0]), 1);
    }
    closesocket(s[0]);
    closesocket(s[1]);
    lc_loop_free(loop);
}
END_TEST

static void on_write(lc_loop *loop, int fd, void *arg)
{
    (void)fd;
    (*(int *)arg)++;
    lc_loop_stop(loop);
}

START_TEST(t_writer_on_socket)
{
    if (is_iocp())
        return; /* covered by t_reader_on_socket */
    lc_loop *loop = new_loop();
    SOCKET s[2];
    tcp_pair(s);
    int calls = 0;
    ck_assert_int_eq(lc_add_writer(loop, (int)s[0], on_write, &calls), 0);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(lc_remove_writer(loop, (int)s[0]), 1);
    closesocket(s[0]);
    closesocket(s[1]);
    lc_loop_free(loop);
}
END_TEST

START_TEST(t_pipe_refused)
{
    lc_loop *loop = new_loop();
    int p[2];
    ck_assert_int_eq(_pipe(p, 4096, _O_BINARY), 0);
    struct rd r = {0};
    ck_assert_int_eq(lc_add_reader(loop, p[0], on_read, &r), LC_ENOTSUP);
    lc_refusal why;
    lc_loop_last_refusal(loop, &why);
    ck_assert_ptr_nonnull(why.ref);
    ck_assert_ptr_nonnull(why.decided_by);
    if (!is_iocp()) {
        /* select itself refused the pipe handle: WSAENOTSOCK, "one of the
         * descriptor sets contains an entry that is not a socket" (select,
         * Return value), on Windows and wine alike for a CRT fd. */
        ck_assert_ptr_nonnull(why.call);
        ck_assert_str_eq(why.call, "select");
        ck_assert_int_eq(why.sys_errno, ENOTSOCK);
        ck_assert_str_eq(why.decided_by, "os");
    } else {
        /* The proactor has no readiness by design (asyncio-platforms). */
        ck_assert_str_eq(why.decided_by, "library");
    }
    ck_assert_int_eq(lc_add_writer(loop, p[1], on_write, &r), LC_ENOTSUP);
    /* Nothing was registered: the loop still runs and stops. */
    int n = 0;
    ck_assert_int_eq(lc_call_soon(loop, stop_cb, &n), 0);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    ck_assert_int_eq(n, 1);
    _close(p[0]);
    _close(p[1]);
    lc_loop_free(loop);
}
END_TEST

START_TEST(t_bad_fd)
{
    lc_loop *loop = new_loop();
    struct rd r = {0};
    /* No CRT fd and no socket: 4093 is not a multiple of 4, and CRT fds
     * stay small. */
    ck_assert_int_eq(lc_add_reader(loop, 4093, on_read, &r), is_iocp() ? LC_ENOTSUP : LC_EBADF);
    lc_loop_free(loop);
}
END_TEST

/* FD_SETSIZE is 512 per set.  The loop's own wakeup socket sits in the read
 * set, so 511 more readers fit and the next one is refused; the write set
 * is separate and takes 512. */
START_TEST(t_fd_setsize_limit)
{
    if (is_iocp())
        return;
    enum { N = 520 };
    SOCKET *s = calloc(N, sizeof *s);
    ck_assert_ptr_nonnull(s);
    lc_loop *loop = new_loop();
    struct rd r = {0};
    int added = 0, rc = 0;
    for (int i = 0; i < N; i++) {
        s[i] = socket(AF_INET, SOCK_DGRAM, 0);
        ck_assert(s[i] != INVALID_SOCKET);
    }
    for (int i = 0; i < N; i++) {
        rc = lc_add_reader(loop, (int)s[i], on_read, &r);
        if (rc < 0)
            break;
        added++;
    }
    ck_assert_int_eq(rc, LC_ENOTSUP);
    ck_assert_int_eq(added, FD_SETSIZE - 1);
    /* select was asked with the FD_SETSIZE + 1 sockets and took them (the
     * cap is the fd_set's, Winsock reads fd_count entries): the refusal is
     * the library's 512, asyncio's. */
    lc_refusal why;
    lc_loop_last_refusal(loop, &why);
    ck_assert_str_eq(why.call, "select");
    ck_assert_int_eq(why.sys_errno, 0);
    ck_assert_str_eq(why.decided_by, "library");
    ck_assert_ptr_nonnull(strstr(why.ref, "asyncio-platforms"));
    int wadded = 0;
    for (int i = 0; i < N; i++) {
        rc = lc_add_writer(loop, (int)s[i], on_write, &r);
        if (rc < 0)
            break;
        wadded++;
    }
    ck_assert_int_eq(rc, LC_ENOTSUP);
    ck_assert_int_eq(wadded, FD_SETSIZE);
    /* The refused socket was left unregistered, and a freed slot is reusable. */
    ck_assert_int_eq(lc_remove_reader(loop, (int)s[added]), 0);
    ck_assert_int_eq(lc_remove_reader(loop, (int)s[0]), 1);
    ck_assert_int_eq(lc_add_reader(loop, (int)s[added], on_read, &r), 0);
    /* A poll over full sets works (every UDP socket is writable). */
    int calls = 0;
    ck_assert_int_eq(lc_remove_writer(loop, (int)s[1]), 1);
    ck_assert_int_eq(lc_add_writer(loop, (int)s[1], on_write, &calls), 0);
    ck_assert_int_eq(lc_loop_run_once(loop, 1), 0);
    ck_assert_int_eq(calls, 1);
    lc_loop_free(loop);
    for (int i = 0; i < N; i++)
        closesocket(s[i]);
    free(s);
}
END_TEST

/* --- iocp completions --- */

struct done_rec {
    int calls;
    DWORD bytes;
    int err;
};

static void on_done(lc_loop *loop, struct lc__iocp_op *op, DWORD bytes, int err)
{
    (void)loop;
    struct done_rec *d = op->arg;
    d->calls++;
    d->bytes = bytes;
    d->err = err;
}

static void overlapped_pipe(HANDLE *srv, HANDLE *cli)
{
    char name[128];
    snprintf(name, sizeof name, "\\\\.\\pipe\\lc-test-%lu-%p", GetCurrentProcessId(), (void *)srv);
    *srv = CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                            PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, 4096, 4096, 0, NULL);
    ck_assert(*srv != INVALID_HANDLE_VALUE);
    *cli = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
    ck_assert(*cli != INVALID_HANDLE_VALUE);
}

START_TEST(t_iocp_completion_next_iteration)
{
    if (!is_iocp())
        return;
    lc_loop *loop = new_loop();
    HANDLE srv, cli;
    overlapped_pipe(&srv, &cli);
    ck_assert_int_eq(lc__iocp_associate(loop, srv), 0);
    struct done_rec d = {0};
    struct lc__iocp_op op;
    memset(&op, 0, sizeof op);
    op.done = on_done;
    op.arg = &d;
    op.handle = srv;
    char buf[16];
    BOOL ok = ReadFile(srv, buf, sizeof buf, NULL, &op.ov);
    ck_assert(ok || GetLastError() == ERROR_IO_PENDING);
    OVERLAPPED wov;
    memset(&wov, 0, sizeof wov);
    wov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
    DWORD wrote = 0;
    if (!WriteFile(cli, "hello", 5, NULL, &wov))
        ck_assert_int_eq(GetLastError(), ERROR_IO_PENDING);
    ck_assert(GetOverlappedResult(cli, &wov, &wrote, TRUE));
    ck_assert_int_eq(wrote, 5);
    /* The poll takes the completion; its callback is queued like a future's
     * done-callback and runs in the following iteration. */
    ck_assert_int_eq(lc_loop_run_once(loop, 1), 0);
    ck_assert_int_eq(d.calls, 0);
    ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
    ck_assert_int_eq(d.calls, 1);
    ck_assert_int_eq(d.err, 0);
    ck_assert_int_eq(d.bytes, 5);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);

    /* The peer goes away: the pending read completes with a broken pipe. */
    memset(&op.ov, 0, sizeof op.ov);
    ok = ReadFile(srv, buf, sizeof buf, NULL, &op.ov);
    ck_assert(!ok && GetLastError() == ERROR_IO_PENDING);
    CloseHandle(cli);
    for (int i = 0; i < 10 && d.calls < 2; i++)
        ck_assert_int_eq(lc_loop_run_once(loop, 1), 0);
    ck_assert_int_eq(d.calls, 2);
    ck_assert_int_eq(d.err, -EPIPE);
    CloseHandle(wov.hEvent);
    CloseHandle(srv);
    lc_loop_free(loop);
}
END_TEST

START_TEST(t_iocp_associate_needs_iocp)
{
    lc_loop *loop = new_loop();
    HANDLE srv, cli;
    overlapped_pipe(&srv, &cli);
    ck_assert_int_eq(lc__iocp_associate(loop, srv), is_iocp() ? 0 : LC_ENOTSUP);
    lc_loop_close(loop);
    ck_assert_int_eq(lc__iocp_associate(loop, srv), LC_ECLOSED);
    CloseHandle(cli);
    CloseHandle(srv);
    lc_loop_free(loop);
}
END_TEST

START_TEST(t_error_mapping)
{
    ck_assert_int_eq(lc__win_err(WSAENOTSOCK), -ENOTSOCK);
    ck_assert_int_eq(lc__win_err(WSAEWOULDBLOCK), -EAGAIN);
    ck_assert_int_eq(lc__win_err(ERROR_BROKEN_PIPE), -EPIPE);
    ck_assert_str_eq(lc_errname(-ENOTSOCK), "ENOTSOCK");
    ck_assert_str_eq(lc_errname(LC_ENOTSUP), "LC_ENOTSUP");
    ck_assert_str_eq(lc_strerror(-ECONNREFUSED), "Connection refused");
}
END_TEST

int main(void)
{
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return 1;
    backend = getenv("LC_TEST_BACKEND");
    if (backend == NULL || *backend == '\0')
        backend = "winselect";
    lc_probe why;
    if (lc_backend_probe(backend, &why) != 0 || !why.available)
        return 77;
    Suite *s = suite_create("winbackends");
    TCase *tc = tcase_create(backend);
    tcase_add_test(tc, t_create);
    tcase_add_test(tc, t_timer_never_early);
    tcase_add_test(tc, t_threadsafe_wakes_blocked_poll);
    tcase_add_test(tc, t_stop_from_other_thread);
    tcase_add_test(tc, t_reader_on_socket);
    tcase_add_test(tc, t_writer_on_socket);
    tcase_add_test(tc, t_pipe_refused);
    tcase_add_test(tc, t_bad_fd);
    tcase_add_test(tc, t_fd_setsize_limit);
    tcase_add_test(tc, t_iocp_completion_next_iteration);
    tcase_add_test(tc, t_iocp_associate_needs_iocp);
    tcase_add_test(tc, t_error_mapping);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
