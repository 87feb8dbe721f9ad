/* fds: add_reader/add_writer on sockets, on one fd in both directions, on
 * fd types some pollers refuse (regular files, directories), on an fd above
 * FD_SETSIZE, and removal from inside a callback.  Semantics:
 * asyncio-eventloop "Watching file descriptors"; CPython test_events.py
 * test_reader_callback / test_writer_callback, test_selector_events.py
 * (one registration per fd), test_selectors.py test_above_fd_setsize. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#ifndef _WIN32
#include <sys/resource.h>
#endif
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case_util.h"

static int fds_socketpair(lc_case_ctx *ctx, int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        lc_case_fail(ctx, "socketpair: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void fds_nop(lc_loop *loop, void *arg)
{
}

static void close_pair(int sv[2])
{
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
}

/* ---- fds/reader-socketpair ---------------------------------------------- */

struct rs_state {
    int fd, peer;
    char buf[64];
    size_t len;
    int eof, spurious, err;
    int remove_rc, remove_again_rc;
    lc_timer t1, t2;
};

static void rs_reader(lc_loop *loop, int fd, void *arg)
{
    struct rs_state *st = arg;
    ssize_t n = read(fd, st->buf + st->len, sizeof st->buf - st->len);
    if (n > 0) {
        st->len += (size_t)n;
    } else if (n == 0) {
        st->eof = 1;
        st->remove_rc = lc_remove_reader(loop, fd);
        st->remove_again_rc = lc_remove_reader(loop, fd);
        lc_loop_stop(loop);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        /* Readiness without data: asyncio's test tolerates it ("possible
         * at least on Linux"). */
        st->spurious++;
    } else {
        st->err = errno;
        lc_loop_stop(loop);
    }
}

static void rs_send_more(lc_loop *loop, void *arg)
{
    struct rs_state *st = arg;
    if (write(st->peer, "def", 3) != 3)
        st->err = errno ? errno : EIO;
}

static void rs_close_peer(lc_loop *loop, void *arg)
{
    struct rs_state *st = arg;
    close(st->peer);
    st->peer = -1;
}

static void fds_reader_socketpair(lc_case_ctx *ctx, lc_loop *loop)
{
    int sv[2];
    if (fds_socketpair(ctx, sv) < 0)
        return;
    struct rs_state st;
    memset(&st, 0, sizeof st);
    st.fd = sv[0];
    st.peer = sv[1];
    int rc = lc_add_reader(loop, sv[0], rs_reader, &st);
    if (rc < 0) {
        lc__case_report_add_failure(ctx, loop, rc, "add_reader(socketpair)");
        close_pair(sv);
        return;
    }
    int guard = 0;
    if (write(sv[1], "abc", 3) != 3)
        rc = -errno;
    if (rc == 0)
        rc = lc_call_later(loop, &st.t1, LC__MS(20), rs_send_more, &st);
    if (rc == 0)
        rc = lc_call_later(loop, &st.t2, LC__MS(40), rs_close_peer, &st);
    if (rc == 0)
        rc = lc__case_run_guarded(loop, LC__MS(2000), &guard);
    lc_timer_cancel(&st.t1);
    lc_timer_cancel(&st.t2);
    lc_remove_reader(loop, sv[0]);
    sv[1] = st.peer;
    close_pair(sv);
    LC_REQUIRE_OK(ctx, rc);
    lc_case_measure_counter(ctx, "spurious_wakeups", st.spurious, "wakeup");
    LC_REQUIRE(ctx, st.err == 0, "read/write failed: %s", strerror(st.err));
    LC_REQUIRE(ctx, st.eof, "the reader saw no EOF within 2 s (read %zu bytes)", st.len);
    LC_REQUIRE(ctx, st.len == 6 && memcmp(st.buf, "abcdef", 6) == 0,
               "the reader collected %zu bytes \"%.*s\" (want \"abcdef\")", st.len, (int)st.len, st.buf);
    LC_REQUIRE(ctx, st.remove_rc == 1, "remove_reader of a registered fd returned %d (want 1)", st.remove_rc);
    LC_REQUIRE(ctx, st.remove_again_rc == 0, "a second remove_reader returned %d (want 0)",
               st.remove_again_rc);
    lc_case_pass(ctx, "the reader collected \"abcdef\" over two writes, then EOF");
}

/* ---- fds/writer-socketpair ---------------------------------------------- */

struct ws_state {
    int fd, peer;
    int wrote, remove_rc, remove_again_rc, err;
    int drained, before_drain, spurious, after_drain;
    lc_timer drain_t;
};

static void ws_writer_once(lc_loop *loop, int fd, void *arg)
{
    struct ws_state *st = arg;
    ssize_t n = write(fd, "hello", 5);
    if (n == 5)
        st->wrote = 1;
    else
        st->err = errno ? errno : EIO;
    st->remove_rc = lc_remove_writer(loop, fd);
    st->remove_again_rc = lc_remove_writer(loop, fd);
    lc_loop_stop(loop);
}

static void ws_writer_full(lc_loop *loop, int fd, void *arg)
{
    struct ws_state *st = arg;
    ssize_t n = write(fd, "x", 1);
    if (n != 1) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            st->spurious++;
            return;
        }
        st->err = errno;
    } else if (st->drained) {
        st->after_drain = 1;
    } else {
        st->before_drain = 1;
    }
    lc_remove_writer(loop, fd);
    lc_loop_stop(loop);
}

static void ws_drain(lc_loop *loop, void *arg)
{
    struct ws_state *st = arg;
    char buf[65536];
    while (read(st->peer, buf, sizeof buf) > 0) {
    }
    st->drained = 1;
}

static void fds_writer_socketpair(lc_case_ctx *ctx, lc_loop *loop)
{
    int sv[2];
    if (fds_socketpair(ctx, sv) < 0)
        return;
    struct ws_state st;
    memset(&st, 0, sizeof st);
    st.fd = sv[0];
    st.peer = sv[1];
    int guard = 0;
    int rc = lc_add_writer(loop, sv[0], ws_writer_once, &st);
    if (rc < 0) {
        lc__case_report_add_failure(ctx, loop, rc, "add_writer(socketpair)");
        close_pair(sv);
        return;
    }
    rc = lc__case_run_guarded(loop, LC__MS(1000), &guard);
    char got[8] = "";
    ssize_t n = read(sv[1], got, sizeof got);
    if (rc < 0 || !st.wrote || st.err) {
        lc_remove_writer(loop, sv[0]);
        close_pair(sv);
        LC_REQUIRE_OK(ctx, rc);
        LC_REQUIRE(ctx, st.err == 0, "write in the writer callback: %s", strerror(st.err));
        lc_case_fail(ctx, "the writer of a writable socket did not fire within 1 s");
        return;
    }
    if (st.remove_rc != 1 || st.remove_again_rc != 0 || n != 5 || memcmp(got, "hello", 5) != 0) {
        close_pair(sv);
        lc_case_fail(ctx, "remove_writer returned %d then %d (want 1, 0); the peer read %zd bytes",
                     st.remove_rc, st.remove_again_rc, n);
        return;
    }

    /* A full socket: the writer fires once the peer has drained it. */
    char chunk[16384];
    memset(chunk, 'f', sizeof chunk);
    long long filled = 0;
    for (;;) {
        ssize_t w = write(sv[0], chunk, sizeof chunk);
        if (w <= 0)
            break;
        filled += w;
    }
    lc_case_measure_value(ctx, "socket_buffer_filled", (double)filled, "byte");
    rc = lc_add_writer(loop, sv[0], ws_writer_full, &st);
    if (rc == 0)
        rc = lc_call_later(loop, &st.drain_t, LC__MS(50), ws_drain, &st);
    if (rc == 0)
        rc = lc__case_run_guarded(loop, LC__MS(2000), &guard);
    lc_timer_cancel(&st.drain_t);
    lc_remove_writer(loop, sv[0]);
    close_pair(sv);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, st.err == 0, "write in the writer callback: %s", strerror(st.err));
    lc_case_measure_counter(ctx, "spurious_wakeups", st.spurious, "wakeup");
    lc_case_evidence_int(ctx, "fired_before_drain", st.before_drain);
    LC_REQUIRE(ctx, st.after_drain || st.before_drain,
               "the writer of a full socket did not fire within 2 s (peer drained at 50 ms)");
    lc_case_pass(ctx, "the writer fired on a writable socket; on a full one it fired %s the peer drained",
                 st.after_drain ? "after" : "before");
}

/* ---- fds/reader-writer-same-fd ------------------------------------------ */

struct rw_state {
    int step;
    int rcount, wcount, r2count;
};

static void rw_drain_fd(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

static void rw_maybe_stop(lc_loop *loop, struct rw_state *st)
{
    if ((st->step == 1 && st->rcount && st->wcount) || (st->step == 2 && st->rcount) ||
        (st->step == 3 && st->wcount) || (st->step == 5 && st->r2count))
        lc_loop_stop(loop);
}

static void rw_reader(lc_loop *loop, int fd, void *arg)
{
    struct rw_state *st = arg;
    st->rcount++;
    rw_drain_fd(fd);
    rw_maybe_stop(loop, st);
}

static void rw_reader2(lc_loop *loop, int fd, void *arg)
{
    struct rw_state *st = arg;
    st->r2count++;
    rw_drain_fd(fd);
    rw_maybe_stop(loop, st);
}

static void rw_writer(lc_loop *loop, int fd, void *arg)
{
    struct rw_state *st = arg;
    st->wcount++;
    rw_maybe_stop(loop, st);
}

/* Run one step: returns 0, or a negative loop code; *guard says the 1 s
 * guard ended it. */
static int rw_step(lc_loop *loop, struct rw_state *st, int step, int peer, const char *data,
                   int64_t limit_ns, int *guard)
{
    st->step = step;
    st->rcount = st->wcount = st->r2count = 0;
    if (data && write(peer, data, strlen(data)) != (ssize_t)strlen(data))
        return -errno;
    return lc__case_run_guarded(loop, limit_ns, guard);
}

static void fds_reader_writer_same_fd(lc_case_ctx *ctx, lc_loop *loop)
{
    int sv[2];
    if (fds_socketpair(ctx, sv) < 0)
        return;
    struct rw_state st;
    memset(&st, 0, sizeof st);
    int a = sv[0], b = sv[1], guard = 0, rc;
    char why[160] = "";

    rc = lc_add_reader(loop, a, rw_reader, &st);
    if (rc < 0) {
        lc__case_report_add_failure(ctx, loop, rc, "add_reader(socketpair)");
        goto out;
    }
    rc = lc_add_writer(loop, a, rw_writer, &st);
    if (rc < 0) {
        lc__case_report_add_failure(ctx, loop, rc, "add_writer(socketpair) next to a reader");
        goto out;
    }
    /* 1: both directions on one fd fire. */
    if ((rc = rw_step(loop, &st, 1, b, "x", LC__MS(1000), &guard)) < 0)
        goto loop_err;
    if (guard) {
        snprintf(why, sizeof why, "reader and writer on one fd: reader fired %d, writer %d times in 1 s",
                 st.rcount, st.wcount);
        goto fail;
    }
    /* 2: removing the writer keeps the reader. */
    if ((rc = lc_remove_writer(loop, a)) != 1) {
        snprintf(why, sizeof why, "remove_writer with a reader left returned %d (want 1)", rc);
        goto fail;
    }
    if ((rc = rw_step(loop, &st, 2, b, "y", LC__MS(1000), &guard)) < 0)
        goto loop_err;
    if (guard || st.wcount) {
        snprintf(why, sizeof why, "after remove_writer: reader fired %d times, removed writer %d times",
                 st.rcount, st.wcount);
        goto fail;
    }
    /* 3: writer back, reader removed: the writer fires, data pending on the
     * fd does not call the removed reader. */
    if ((rc = lc_add_writer(loop, a, rw_writer, &st)) < 0) {
        snprintf(why, sizeof why, "add_writer again: %s", lc_errname(rc));
        goto fail;
    }
    if ((rc = lc_remove_reader(loop, a)) != 1) {
        snprintf(why, sizeof why, "remove_reader with a writer left returned %d (want 1)", rc);
        goto fail;
    }
    if ((rc = rw_step(loop, &st, 3, b, "z", LC__MS(1000), &guard)) < 0)
        goto loop_err;
    if (guard || st.rcount) {
        snprintf(why, sizeof why, "after remove_reader: writer fired %d times, removed reader %d times",
                 st.wcount, st.rcount);
        goto fail;
    }
    /* 4: removing the last side unregisters the fd: nothing fires. */
    if ((rc = lc_remove_writer(loop, a)) != 1) {
        snprintf(why, sizeof why, "remove_writer (last side) returned %d (want 1)", rc);
        goto fail;
    }
    if ((rc = rw_step(loop, &st, 4, b, "w", LC__MS(100), &guard)) < 0)
        goto loop_err;
    if (st.rcount || st.wcount) {
        snprintf(why, sizeof why, "after removing both sides: reader fired %d, writer %d times",
                 st.rcount, st.wcount);
        goto fail;
    }
    if (lc_remove_reader(loop, a) != 0 || lc_remove_writer(loop, a) != 0) {
        snprintf(why, sizeof why, "removing an unregistered side did not return 0");
        goto fail;
    }
    /* 5: a second add_reader replaces the callback. */
    if ((rc = lc_add_reader(loop, a, rw_reader, &st)) < 0 || (rc = lc_add_reader(loop, a, rw_reader2, &st)) < 0) {
        snprintf(why, sizeof why, "add_reader again: %s", lc_errname(rc));
        goto fail;
    }
    if ((rc = rw_step(loop, &st, 5, b, NULL, LC__MS(1000), &guard)) < 0)
        goto loop_err;
    if (guard || st.rcount) {
        snprintf(why, sizeof why, "after replacing the reader: new one fired %d, old one %d times",
                 st.r2count, st.rcount);
        goto fail;
    }
    if ((rc = lc_remove_reader(loop, a)) != 1) {
        snprintf(why, sizeof why, "remove_reader after the replacement returned %d (want 1)", rc);
        goto fail;
    }
    lc_case_pass(ctx, "one fd, both directions: removing either side kept the other; removing both "
                      "silenced it; add_reader replaced the callback");
    goto out;
loop_err:
    lc_case_fail(ctx, "step %d: loop error %s (%s)", st.step, lc_strerror(rc), lc_errname(rc));
    goto out;
fail:
    lc_case_fail(ctx, "%s", why);
out:
    lc_remove_reader(loop, a);
    lc_remove_writer(loop, a);
    close_pair(sv);
}

/* ---- fds/regular-file, fds/directory -------------------------------------
 * POSIX select: "File descriptors associated with regular files shall
 * always select true for ready to read, ready to write, and error
 * conditions"; poll(2) likewise.  epoll_ctl(2): EPERM "The target file fd
 * does not support epoll.  This error can occur if fd refers to, for
 * example, a regular file or a directory." */

static void fds_regular_file(lc_case_ctx *ctx, lc_loop *loop)
{
    const char *dir = lc_case_tmpdir(ctx);
    if (!dir) {
        lc_case_skip(ctx, "no scratch directory for a regular file");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/regular-file", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        lc_case_skip(ctx, "open %s: %s", "a scratch regular file", strerror(errno));
        return;
    }
    if (write(fd, "data\n", 5) != 5 || lseek(fd, 0, SEEK_SET) != 0) {
        lc_case_skip(ctx, "writing a scratch regular file: %s", strerror(errno));
    } else {
        lc__case_expect_reader_fires(ctx, loop, fd, "regular file", LC__MS(1000));
    }
    close(fd);
    unlink(path);
}

static void fds_directory(lc_case_ctx *ctx, lc_loop *loop)
{
    const char *dir = lc_case_tmpdir(ctx);
    if (!dir) {
        lc_case_skip(ctx, "no scratch directory");
        return;
    }
#ifdef _WIN32
    /* The CRT cannot open a directory; CreateFile can, with
     * FILE_FLAG_BACKUP_SEMANTICS ("CreateFileA: Directories"), and the
     * handle becomes a CRT fd. */
    HANDLE h = CreateFileA(dir, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    int fd = h == INVALID_HANDLE_VALUE ? -1 : _open_osfhandle((intptr_t)h, _O_RDONLY);
    if (fd < 0 && h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    if (fd < 0)
        errno = EACCES;
#else
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#endif
    if (fd < 0) {
        lc_case_skip(ctx, "open the scratch directory: %s", strerror(errno));
        return;
    }
    lc__case_expect_reader_fires(ctx, loop, fd, "directory", LC__MS(1000));
    close(fd);
}

/* ---- fds/high-fd ----------------------------------------------------------
 * select(2): "an fd_set is a fixed size buffer.  Executing FD_CLR() or
 * FD_SET() with a value of fd that is negative or is equal to or larger
 * than FD_SETSIZE will result in undefined behavior."  Raising the soft
 * RLIMIT_NOFILE up to the hard limit needs no privilege (getrlimit(2)). */

static void fds_high_fd(lc_case_ctx *ctx, lc_loop *loop)
{
#ifdef _WIN32
    /* Winsock's fd_set is an array of up to FD_SETSIZE SOCKETs, not a
     * bitmap indexed by descriptor (winsock2.h): a socket whose handle
     * value is FD_SETSIZE or more is one entry like any other.  Make
     * sockets until one has such a value, then watch it. */
    int pairs[64][2], np = 0, hi = -1, peer = -1;
    while (np < 64 && hi < 0) {
        if (fds_socketpair(ctx, pairs[np]) < 0)
            break;
        for (int k = 0; k < 2 && hi < 0; k++)
            if (pairs[np][k] >= FD_SETSIZE) {
                hi = pairs[np][k];
                peer = pairs[np][1 - k];
            }
        np++;
    }
    lc_case_evidence_int(ctx, "fd_setsize", FD_SETSIZE);
    if (hi < 0 && lc_case_status(ctx) == LC_STATUS_NONE)
        lc_case_skip(ctx, "no socket handle value >= FD_SETSIZE (%d) among %d pairs", FD_SETSIZE, np);
    else if (hi >= 0 && write(peer, "x", 1) != 1)
        lc_case_fail(ctx, "write to the peer: %s", strerror(errno));
    else if (hi >= 0)
        lc__case_expect_reader_fires(ctx, loop, hi, "socket handle >= FD_SETSIZE", LC__MS(1000));
    for (int i = 0; i < np; i++)
        close_pair(pairs[i]);
#else
    const int target = FD_SETSIZE + 64;
    struct rlimit orig, rl;
    if (getrlimit(RLIMIT_NOFILE, &orig) != 0) {
        lc_case_skip(ctx, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
        return;
    }
    rl = orig;
    int raised = 0;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= (rlim_t)target) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= (rlim_t)target) {
            lc_case_skip(ctx, "RLIMIT_NOFILE hard limit %llu leaves no fd >= FD_SETSIZE (%d)",
                         (unsigned long long)rl.rlim_max, FD_SETSIZE);
            return;
        }
        rl.rlim_cur = (rlim_t)target + 1;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            lc_case_skip(ctx, "raising RLIMIT_NOFILE to %d: %s", target + 1, strerror(errno));
            return;
        }
        raised = 1;
    }
    lc_case_evidence_int(ctx, "fd_setsize", FD_SETSIZE);
    int sv[2];
    if (fds_socketpair(ctx, sv) == 0) {
        int hi = fcntl(sv[0], F_DUPFD_CLOEXEC, target);
        if (hi < 0) {
            lc_case_skip(ctx, "F_DUPFD to %d: %s", target, strerror(errno));
        } else {
            close(sv[0]);
            sv[0] = hi;
            if (write(sv[1], "x", 1) != 1)
                lc_case_fail(ctx, "write to the peer: %s", strerror(errno));
            else
                lc__case_expect_reader_fires(ctx, loop, hi, "fd >= FD_SETSIZE", LC__MS(1000));
        }
        close_pair(sv);
    }
    if (raised)
        setrlimit(RLIMIT_NOFILE, &orig);
#endif
}

/* ---- fds/remove-in-callback ----------------------------------------------
 * Two fds ready in the same poll; the first callback to run removes the
 * other's reader, which then must not run (asyncio looks the handler up at
 * dispatch time: test_selector_events.py
 * test_process_events_read_cancelled). */

struct ric_state {
    int fd[2];
    int ran[2];
    int removed_rc;
    int first;
};

static void ric_reader(lc_loop *loop, int fd, void *arg)
{
    struct ric_state *st = arg;
    int me = fd == st->fd[1];
    st->ran[me]++;
    if (!st->first) {
        st->first = me + 1;
        st->removed_rc = lc_remove_reader(loop, st->fd[!me]);
    }
    rw_drain_fd(fd);
}

static void fds_remove_in_callback(lc_case_ctx *ctx, lc_loop *loop)
{
    int p1[2], p2[2];
    if (fds_socketpair(ctx, p1) < 0)
        return;
    if (fds_socketpair(ctx, p2) < 0) {
        close_pair(p1);
        return;
    }
    struct ric_state st;
    memset(&st, 0, sizeof st);
    st.fd[0] = p1[0];
    st.fd[1] = p2[0];
    int rc = lc_add_reader(loop, p1[0], ric_reader, &st);
    if (rc == 0)
        rc = lc_add_reader(loop, p2[0], ric_reader, &st);
    if (rc < 0) {
        lc__case_report_add_failure(ctx, loop, rc, "add_reader(socketpair)");
        goto out;
    }
    if (write(p1[1], "x", 1) != 1 || write(p2[1], "x", 1) != 1) {
        lc_case_fail(ctx, "write: %s", strerror(errno));
        goto out;
    }
    /* Both fds are readable before the poll: one batch carries both. */
    int64_t end = lc_time_ns() + LC__MS(1000);
    while (!st.first && lc_time_ns() < end && rc >= 0) {
        lc_timer g = {0};
        rc = lc_call_later(loop, &g, LC__MS(50), fds_nop, NULL);
        if (rc == 0)
            rc = lc_loop_run_once(loop, 1);
        lc_timer_cancel(&g);
    }
    if (rc < 0) {
        lc_case_fail(ctx, "loop error: %s (%s)", lc_strerror(rc), lc_errname(rc));
        goto out;
    }
    if (!st.first) {
        lc_case_fail(ctx, "neither reader fired within 1 s");
        goto out;
    }
    int removed = st.first == 1 ? 1 : 0;
    int ran_same_batch = st.ran[removed];
    /* The removed fd still has unread data: a registration left behind
     * would keep reporting it. */
    int guard = 0;
    rc = lc__case_run_guarded(loop, LC__MS(100), &guard);
    if (rc < 0) {
        lc_case_fail(ctx, "loop error: %s (%s)", lc_strerror(rc), lc_errname(rc));
        goto out;
    }
    if (st.removed_rc != 1)
        lc_case_fail(ctx, "remove_reader from a callback returned %d (want 1)", st.removed_rc);
    else if (ran_same_batch)
        lc_case_fail(ctx, "a reader removed by an earlier callback of the same batch still ran");
    else if (st.ran[removed])
        lc_case_fail(ctx, "a removed reader ran %d times later", st.ran[removed]);
    else
        lc_case_pass(ctx, "a reader removed by another callback of the same batch did not run");
out:
    lc_remove_reader(loop, p1[0]);
    lc_remove_reader(loop, p2[0]);
    close_pair(p1);
    close_pair(p2);
}

const lc_case lc_cases_fds[] = {
    {"fds/reader-socketpair", "add_reader on a socketpair end fires on data and on EOF",
     fds_reader_socketpair, 0, NULL, 0},
    {"fds/writer-socketpair", "add_writer fires on a writable socket, and on a full one once drained",
     fds_writer_socketpair, 0, NULL, 0},
    {"fds/reader-writer-same-fd",
     "reader and writer on one fd: removing either side keeps the other, removing both silences it",
     fds_reader_writer_same_fd, 0, NULL, 0},
    {"fds/regular-file", "add_reader on a regular file: refused, or fires (always readable)",
     fds_regular_file, 0, NULL, 0},
    {"fds/directory", "add_reader on a directory: refused, or fires (always readable)", fds_directory, 0,
     NULL, 0},
    {"fds/high-fd", "add_reader on a socketpair end duplicated above FD_SETSIZE: refused, or fires",
     fds_high_fd, 0, NULL, 0},
    {"fds/remove-in-callback", "a reader removed by another callback of the same batch does not run",
     fds_remove_in_callback, 0, NULL, 0},
    {0},
};
