/* close/pending-handles: what is still pending when the loop closes —
 * callbacks, timers, cancellable handles, thread-safe callbacks, ready
 * readers, transports — is dropped without being called, and every fd the
 * loop or a transport held is released.  asyncio-eventloop "loop.close()":
 * "pending callbacks ... are discarded"; CPython test_events.py test_close,
 * BaseEventLoopTests.test_close.
 *
 * On Windows the transports are stream transports on connected socket
 * pairs instead of read pipes (winselect has no pipe transports,
 * asyncio-platforms "Windows"; both loops have socket streams), and the
 * ready reader is winselect's: iocp has no readers and refuses one with
 * LC_ENOTSUP, recorded as evidence.  Every socket and handle is released. */
#ifndef _WIN32
#include <fcntl.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case_util.h"

struct cp_counts {
    int soon, timer, handle, threadsafe, reader, made, data, lost, lost_err;
};

static void cp_soon(lc_loop *loop, void *arg) { (void)loop; ((struct cp_counts *)arg)->soon++; }
static void cp_timer(lc_loop *loop, void *arg) { (void)loop; ((struct cp_counts *)arg)->timer++; }
static void cp_handle(lc_loop *loop, void *arg) { (void)loop; ((struct cp_counts *)arg)->handle++; }
static void cp_ts(lc_loop *loop, void *arg) { (void)loop; ((struct cp_counts *)arg)->threadsafe++; }
static void cp_reader(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    (void)fd;
    ((struct cp_counts *)arg)->reader++;
}

static void cp_made(lc_transport *t) { ((struct cp_counts *)lc_transport_userdata(t))->made++; }

static void cp_data(lc_transport *t, const void *d, size_t n)
{
    (void)d;
    (void)n;
    ((struct cp_counts *)lc_transport_userdata(t))->data++;
}

static void cp_lost(lc_transport *t, int err)
{
    struct cp_counts *c = lc_transport_userdata(t);
    c->lost++;
    c->lost_err = err;
}

static const lc_protocol cp_proto = {.connection_made = cp_made,
                                     .data_received = cp_data,
                                     .connection_lost = cp_lost};

struct cp_thread {
    lc_loop *loop;
    struct cp_counts *c;
    int rc;
};

static void *cp_thread_main(void *arg)
{
    struct cp_thread *t = arg;
    t->rc = lc_call_soon_threadsafe(t->loop, cp_ts, t->c);
    return NULL;
}

#ifdef _WIN32
#define CP_PAIR "socket pair"
#define CP_TRANSPORT "stream transport"
#define CP_FDS "handles"
#define CP_SOCK_FLAGS 0

static int cp_pair(int fds[2]) { return socketpair(AF_UNIX, SOCK_STREAM, 0, fds); }

static int cp_transport(lc_loop *loop, int fd, struct cp_counts *c, lc_transport **t)
{
    return lc_stream_open(loop, fd, &cp_proto, c, t);
}

/* 1 if fd is still an open socket. */
static int fd_open(int fd)
{
    int type, len = sizeof type;
    return fd >= 0 &&
           getsockopt((SOCKET)(uintptr_t)fd, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}
#else
#define CP_PAIR "pipe2"
#define CP_TRANSPORT "read pipe transport"
#define CP_FDS "fds"
#define CP_SOCK_FLAGS SOCK_CLOEXEC

static int cp_pair(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

static int cp_transport(lc_loop *loop, int fd, struct cp_counts *c, lc_transport **t)
{
    return lc_connect_read_pipe(loop, fd, &cp_proto, c, t);
}

static int fd_open(int fd) { return fd >= 0 && fcntl(fd, F_GETFD) >= 0; }
#endif

static void close_pending_handles(lc_case_ctx *ctx, lc_loop *unused)
{
    (void)unused;
    int fds0 = lc__case_count_fds();
    int sv[2], pa[2], pb[2];
    LC_REQUIRE(ctx, socketpair(AF_UNIX, SOCK_STREAM | CP_SOCK_FLAGS, 0, sv) == 0, "socketpair failed");
    if (cp_pair(pa) < 0) {
        close(sv[0]), close(sv[1]);
        lc_case_fail(ctx, CP_PAIR " failed");
        return;
    }
    if (cp_pair(pb) < 0) {
        close(sv[0]), close(sv[1]), close(pa[0]), close(pa[1]);
        lc_case_fail(ctx, CP_PAIR " failed");
        return;
    }
    lc_loop *loop = NULL;
    int rc = lc_loop_new(&loop, lc_case_loop_options(ctx));
    if (rc < 0) {
        close(sv[0]), close(sv[1]), close(pa[0]), close(pa[1]), close(pb[0]), close(pb[1]);
        lc_case_fail(ctx, "lc_loop_new: %s", lc_strerror(rc));
        return;
    }
    struct cp_counts c = {0}, tc_made = {0}, tc_fresh = {0};
    lc_transport *made = NULL, *fresh = NULL;

    /* A transport whose connection_made was delivered, with data waiting. */
    rc = cp_transport(loop, pa[0], &tc_made, &made);
    if (rc == 0) {
        lc_loop_run_once(loop, 0);
        (void)!write(pa[1], "data", 4);
    }
    int made_fd = made ? lc_transport_fileno(made) : -1;
    /* A transport created just before close: connection_made never ran. */
    int rc2 = cp_transport(loop, pb[0], &tc_fresh, &fresh);
    (void)!write(pb[1], "data", 4);
    int fresh_fd = fresh ? lc_transport_fileno(fresh) : -1;
    if (rc < 0 || rc2 < 0) {
        lc_loop_free(loop);
        close(sv[0]), close(sv[1]), close(pa[1]), close(pb[1]);
        if (rc < 0)
            close(pa[0]);
        if (rc2 < 0)
            close(pb[0]);
        lc__case_report_add_failure(ctx, NULL, rc < 0 ? rc : rc2, CP_TRANSPORT);
        return;
    }

    /* Callbacks, a timer already due, a cancellable handle, a thread-safe
     * callback, a reader whose fd is readable: all pending, none run. */
    lc_timer t = {0};
    lc_handle h;
    memset(&h, 0, sizeof h);
    int setup = lc_call_soon(loop, cp_soon, &c);
    if (setup == 0)
        setup = lc_call_later(loop, &t, -LC__MS(1), cp_timer, &c);
    if (setup == 0)
        setup = lc_call_soon_handle(loop, &h, cp_handle, &c);
#ifdef _WIN32
    int reader_rc = setup == 0 ? lc_add_reader(loop, sv[0], cp_reader, &c) : 0;
    /* A proactor has no readers (asyncio-platforms): the rest still holds. */
    lc_case_evidence(ctx, "reader", reader_rc == 0 ? "pending" : lc_errname(reader_rc));
    if (reader_rc < 0 && reader_rc != LC_ENOTSUP)
        setup = reader_rc;
#else
    if (setup == 0)
        setup = lc_add_reader(loop, sv[0], cp_reader, &c);
#endif
    struct cp_thread th = {loop, &c, 0};
    pthread_t tid;
    if (setup == 0 && pthread_create(&tid, NULL, cp_thread_main, &th) == 0) {
        pthread_join(tid, NULL);
        setup = th.rc;
    }
    (void)!write(sv[1], "r", 1);

    int close_rc = setup == 0 ? lc_loop_close(loop) : 0;
    int timer_left = lc_timer_pending(&t);
    int made_fd_open = fd_open(made_fd), fresh_fd_open = fd_open(fresh_fd);
    lc_loop_free(loop);
    close(sv[0]), close(sv[1]), close(pa[1]), close(pb[1]);
    int fds1 = lc__case_count_fds();

    if (setup < 0) {
#ifndef _WIN32
        if (lc__case_is_refusal(setup))
            lc__case_report_add_failure(ctx, NULL, setup, "socketpair reader");
        else
#endif
            lc_case_fail(ctx, "scheduling before close: %s", lc_errname(setup));
        return;
    }
    LC_REQUIRE_OK(ctx, close_rc);
    lc_case_evidence_int(ctx, "made_transport_connection_lost", tc_made.lost);
    lc_case_evidence(ctx, "made_transport_lost_err", lc_errname(tc_made.lost_err));
    LC_REQUIRE(ctx, !c.soon && !c.timer && !c.handle && !c.threadsafe && !c.reader,
               "called at or after close: call_soon %d, timer %d, handle %d, threadsafe %d, reader %d",
               c.soon, c.timer, c.handle, c.threadsafe, c.reader);
    LC_REQUIRE(ctx, !timer_left, "the dropped timer still says it is pending");
    LC_REQUIRE(ctx, tc_made.made == 1 && tc_made.data == 0,
               "transport with data pending: connection_made %d, data_received %d",
               tc_made.made, tc_made.data);
    LC_REQUIRE(ctx, tc_fresh.made == 0 && tc_fresh.data == 0 && tc_fresh.lost == 0,
               "transport never made: made %d, data %d, lost %d", tc_fresh.made, tc_fresh.data,
               tc_fresh.lost);
#ifdef _WIN32
    LC_REQUIRE(ctx, !made_fd_open && !fresh_fd_open, "transport sockets still open after close");
#else
    LC_REQUIRE(ctx, !made_fd_open && !fresh_fd_open, "transport fds still open after close");
#endif
    LC_REQUIRE(ctx, fds0 < 0 || fds1 == fds0, "%d " CP_FDS " left open after close", fds1 - fds0);
#ifdef _WIN32
    lc_case_pass(ctx, "%d pending callbacks/timers%s and 2 transports dropped; all handles released",
                 reader_rc == 0 ? 5 : 4, reader_rc == 0 ? "/readers" : " (no reader: iocp)");
#else
    lc_case_pass(ctx, "5 pending callbacks/timers/readers and 2 transports dropped; all fds released");
#endif
}

const lc_case lc_cases_close_pending[] = {
    {"close/pending-handles",
     "pending callbacks, timers, readers and transports are dropped at close and release their fds",
     close_pending_handles, LC_CASE_OWN_LOOP, NULL, 0},
    {0},
};
