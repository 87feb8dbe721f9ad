/* fds/hup-err-callbacks: which callbacks run when an fd reports POLLHUP or
 * POLLERR, and nothing it was asked for.
 *
 * poll(2): POLLHUP and POLLERR are always returned in revents, whether or
 * not they were asked for; epoll_ctl(2): "epoll_wait(2) will always wait
 * for this event; it is not necessary to set it in events" (EPOLLERR,
 * EPOLLHUP).  select(2), "Correspondence between select() and poll()
 * notifications": the kernel counts POLLHUP and POLLERR as ready for
 * reading, and only POLLERR as ready for writing.  asyncio's selectors
 * (Lib/selectors.py, PollSelector and EpollSelector) turn any event but
 * POLLIN into EVENT_WRITE and any but POLLOUT into EVENT_READ, so there a
 * hangup wakes a writer too.
 *
 * Four fds, each with a reader and a writer, in one loop:
 *   hup-pipe-read   a pipe's read end, its writer closed: POLLHUP only
 *   err-pipe-write  a pipe's write end, its reader closed: POLLERR (and
 *                   POLLOUT: a write would not block, it fails with EPIPE)
 *   err-udp         a UDP socket whose datagram drew an ICMP port
 *                   unreachable (udp(7): the error is pending, ECONNREFUSED)
 *   hup-socketpair  a stream socketpair whose peer closed: EOF and HUP
 * Asserted, as documented for every backend: the reader runs on all four
 * (the error or hangup is reported even to a reader alone, and select
 * counts both as readable), and the writer runs where POLLOUT or POLLERR
 * is set.  Whether a writer runs on POLLHUP alone is where the backends
 * may differ (select no, asyncio's poll and epoll mapping yes): recorded,
 * not asserted. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case_util.h"

enum { NPROBE = 4 };

struct hup_probe {
    const char *name;
    int fd;
    int reader, writer; /* fired */
    int want_writer;    /* documented to fire */
    struct hup_all *all;
};

struct hup_all {
    struct hup_probe p[NPROBE];
    int pending;
};

static void hup_check_done(lc_loop *loop, struct hup_all *a)
{
    if (--a->pending == 0)
        lc_loop_stop(loop);
}

static void hup_read(lc_loop *loop, int fd, void *arg)
{
    struct hup_probe *p = arg;
    p->reader++;
    lc_remove_reader(loop, fd);
    hup_check_done(loop, p->all);
}

static void hup_write(lc_loop *loop, int fd, void *arg)
{
    struct hup_probe *p = arg;
    p->writer++;
    lc_remove_writer(loop, fd);
    hup_check_done(loop, p->all);
}

/* A UDP socket connected to a port nothing listens on, with the ICMP port
 * unreachable error pending.  On loopback it is usually queued before send
 * returns, but ICMP errors are rate-limited (icmp(7): icmp_ratelimit,
 * icmp_msgs_per_sec), and with many cases sending to closed ports at once
 * one can go unsent: so the error is awaited with poll(2), which does not
 * clear it, and the datagram sent again, for up to a second. */
static int udp_with_error(void)
{
    int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    int ok = probe >= 0 && fd >= 0 && bind(probe, (struct sockaddr *)&a, sizeof a) == 0 &&
             getsockname(probe, (struct sockaddr *)&a, &al) == 0;
    if (probe >= 0)
        close(probe); /* the port is free again: nothing listens on it */
    if (ok && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        for (int i = 0; i < 20; i++) {
            struct pollfd pf = {fd, 0, 0};
            /* A send can also meet (and clear) an error that came late. */
            if (send(fd, "x", 1, 0) != 1) {
                if (errno == ECONNREFUSED)
                    continue;
                break;
            }
            if (poll(&pf, 1, 50) == 1 && (pf.revents & POLLERR))
                return fd;
        }
    }
    if (fd >= 0)
        close(fd);
    return -1;
}

static int hup_setup(struct hup_all *a)
{
    int pr[2], pw[2], sp[2];
    if (pipe2(pr, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    close(pr[1]);
    a->p[0] = (struct hup_probe){"hup-pipe-read", pr[0], 0, 0, 0, a};
    if (pipe2(pw, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    close(pw[0]);
    a->p[1] = (struct hup_probe){"err-pipe-write", pw[1], 0, 0, 1, a};
    int u = udp_with_error();
    if (u < 0)
        return -1;
    a->p[2] = (struct hup_probe){"err-udp", u, 0, 0, 1, a};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0)
        return -1;
    close(sp[1]);
    a->p[3] = (struct hup_probe){"hup-socketpair", sp[0], 0, 0, 1, a};
    return 0;
}

static void fds_hup_err_callbacks(lc_case_ctx *ctx, lc_loop *loop)
{
    lc_case_ref(ctx, "man:poll(2)");
    lc_case_ref(ctx, "man:epoll_ctl(2)");
    lc_case_ref(ctx, "man:select(2)");
    struct hup_all a;
    memset(&a, 0, sizeof a);
    for (int i = 0; i < NPROBE; i++)
        a.p[i].fd = -1;
    if (hup_setup(&a) < 0) {
        int err = errno;
        for (int i = 0; i < NPROBE; i++)
            if (a.p[i].fd >= 0)
                close(a.p[i].fd);
        lc_case_fail(ctx, "setting up the pipes and sockets: %s", strerror(err));
        return;
    }
    int rc = 0;
    for (int i = 0; i < NPROBE && rc == 0; i++) {
        if ((rc = lc_add_reader(loop, a.p[i].fd, hup_read, &a.p[i])) == 0)
            a.pending++;
        else
            break;
        if ((rc = lc_add_writer(loop, a.p[i].fd, hup_write, &a.p[i])) == 0)
            a.pending++;
    }
    int guard = 0, run = 0;
    if (rc == 0)
        run = lc__case_run_guarded(loop, LC__MS(1000), &guard);
    /* The UDP error must really have been pending for the probe to mean
     * anything; reading SO_ERROR clears it (socket(7)), so only now. */
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(a.p[2].fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    char fired[256] = "";
    size_t len = 0;
    for (int i = 0; i < NPROBE; i++) {
        lc_remove_reader(loop, a.p[i].fd);
        lc_remove_writer(loop, a.p[i].fd);
        close(a.p[i].fd);
        int n = snprintf(fired + len, sizeof fired - len, "%s%s:%s%s", len ? " " : "", a.p[i].name,
                         a.p[i].reader ? "R" : "", a.p[i].writer ? "W" : "");
        if (n > 0 && (size_t)n < sizeof fired - len)
            len += (size_t)n;
    }
    if (rc < 0) {
        lc__case_report_add_failure(ctx, loop, rc, "add_reader/add_writer");
        return;
    }
    LC_REQUIRE_OK(ctx, run);
    lc_case_evidence(ctx, "callbacks_fired", fired);
    lc_case_evidence(ctx, "udp_so_error", lc_errname(-soerr));
    lc_case_evidence(ctx, "writer_on_hup_alone", a.p[0].writer ? "yes" : "no");
    LC_REQUIRE(ctx, soerr == ECONNREFUSED, "the UDP socket had no pending ECONNREFUSED (SO_ERROR %s)",
               lc_errname(-soerr));
    for (int i = 0; i < NPROBE; i++) {
        LC_REQUIRE(ctx, a.p[i].reader == 1, "%s: the reader did not run within 1 s (fired: %s)",
                   a.p[i].name, fired);
        LC_REQUIRE(ctx, !a.p[i].want_writer || a.p[i].writer == 1,
                   "%s: the writer did not run within 1 s (fired: %s)", a.p[i].name, fired);
    }
    lc_case_pass(ctx, "readers ran on POLLHUP and POLLERR, writers where writable or POLLERR (%s)", fired);
}

const lc_case lc_cases_pollhup[] = {
    {"fds/hup-err-callbacks",
     "POLLHUP/POLLERR on pipes and sockets: readers always run; which writers run is recorded",
     fds_hup_err_callbacks, 0, NULL, 0},
    {0},
};
