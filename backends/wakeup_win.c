/* Cross-thread wakeup on Windows.
 *
 * A readiness backend (winselect) can only wait on sockets, so the wakeup
 * is a connected pair of loopback TCP sockets: Windows has no socketpair(),
 * and asyncio's self-pipe on Windows is the same emulation
 * (socket.socketpair, Lib/socket.py).  A completion backend (iocp) has its
 * own wakeup op: a packet posted to its port. */
#include "compat_win.h"

#include <errno.h>
#include <string.h>

static void on_wakeup(lc_loop *loop, int fd, void *arg)
{
    (void)fd;
    (void)arg;
    lc__wakeup_drain(loop);
}

static void close_sock(SOCKET *s)
{
    if (*s != INVALID_SOCKET)
        closesocket(*s);
    *s = INVALID_SOCKET;
}

/* Connect two TCP sockets over 127.0.0.1.  Another local process could
 * connect to the listener first, so the accepted peer must be our own
 * connecting socket (its address is compared, as Lib/socket.py does). */
static int loopback_pair(SOCKET out[2])
{
    SOCKET lsn = INVALID_SOCKET, a = INVALID_SOCKET, b = INVALID_SOCKET;
    struct sockaddr_in addr, got, mine;
    int len = sizeof addr, rc = 0;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    lsn = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (lsn == INVALID_SOCKET || bind(lsn, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(lsn, (struct sockaddr *)&addr, &len) != 0 || listen(lsn, 1) != 0)
        goto fail;
    b = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (b == INVALID_SOCKET || connect(b, (struct sockaddr *)&addr, sizeof addr) != 0)
        goto fail;
    len = sizeof got;
    a = accept(lsn, (struct sockaddr *)&got, &len);
    if (a == INVALID_SOCKET)
        goto fail;
    len = sizeof mine;
    if (getsockname(b, (struct sockaddr *)&mine, &len) != 0)
        goto fail;
    if (got.sin_port != mine.sin_port || got.sin_addr.s_addr != mine.sin_addr.s_addr) {
        rc = -ECONNABORTED;
        close_sock(&lsn);
        close_sock(&a);
        close_sock(&b);
        return rc;
    }
    close_sock(&lsn);
    BOOL nodelay = TRUE;
    setsockopt(b, IPPROTO_TCP, TCP_NODELAY, (const char *)&nodelay, sizeof nodelay);
    out[0] = a;
    out[1] = b;
    return 0;
fail:
    rc = lc__win_err((DWORD)WSAGetLastError());
    close_sock(&lsn);
    close_sock(&a);
    close_sock(&b);
    return rc;
}

int lc__wakeup_open(lc_loop *loop)
{
    loop->wake_rfd = loop->wake_wfd = -1;
    if (loop->ops->watch == NULL)
        return 0; /* the backend's wakeup op does it */
    SOCKET s[2] = {INVALID_SOCKET, INVALID_SOCKET};
    int rc = loopback_pair(s);
    if (rc < 0)
        return rc;
    loop->wake_rfd = (int)s[0];
    loop->wake_wfd = (int)s[1];
    if ((rc = lc__set_nonblock(loop->wake_rfd, 1)) < 0 || (rc = lc__set_nonblock(loop->wake_wfd, 1)) < 0 ||
        (rc = lc__set_cloexec(loop->wake_rfd, 1)) < 0 || (rc = lc__set_cloexec(loop->wake_wfd, 1)) < 0 ||
        (rc = lc__io_start(loop, loop->wake_rfd, LC__EV_READ, on_wakeup, NULL)) < 0) {
        lc__wakeup_close(loop);
        return rc;
    }
    lc__fd_set_owner(loop, loop->wake_rfd, 1);
    return 0;
}

void lc__wakeup_close(lc_loop *loop)
{
    if (loop->wake_rfd >= 0) {
        lc__io_stop(loop, loop->wake_rfd, LC__EV_READ);
        lc__fd_set_owner(loop, loop->wake_rfd, 0);
        closesocket((SOCKET)(unsigned)loop->wake_rfd);
    }
    if (loop->wake_wfd >= 0)
        closesocket((SOCKET)(unsigned)loop->wake_wfd);
    loop->wake_rfd = loop->wake_wfd = -1;
}

void lc__wakeup_signal(lc_loop *loop)
{
    if (loop->ops->wakeup) {
        loop->ops->wakeup(loop);
        return;
    }
    if (loop->wake_wfd < 0)
        return;
    char c = 0;
    /* WSAEWOULDBLOCK: the pipe is full of wakeups already, which is all we
     * need. */
    (void)send((SOCKET)(unsigned)loop->wake_wfd, &c, 1, 0);
}

void lc__wakeup_drain(lc_loop *loop)
{
    char buf[64];
    while (recv((SOCKET)(unsigned)loop->wake_rfd, buf, sizeof buf, 0) > 0) {
    }
}
