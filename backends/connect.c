/* Outgoing stream connections (TCP and Unix): a non-blocking connect(2)
 * over a list of addresses, tried in order, as asyncio's create_connection
 * does (it keeps the exceptions and raises the last one, or a combined one).
 *
 * connect(2): "EINPROGRESS The socket is nonblocking and the connection
 * cannot be completed immediately.  It is possible to select(2) or poll(2)
 * for completion by selecting the socket for writing.  After select(2)
 * indicates writability, use getsockopt(2) to read the SO_ERROR option". */
#include "lc_transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include "compat_win.h"
/* Winsock: a non-blocking connect that cannot complete at once fails with
 * WSAEWOULDBLOCK (connect, "Remarks"), mapped to EAGAIN. */
#define LC__CONNECTING EAGAIN
#else
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#define LC__CONNECTING EINPROGRESS
#endif

struct lc__conn_req {
    lc_loop *loop;
    int fd;
    int err;
    int nodelay;
    size_t i, n, nlocal;
    struct lc__addr *addrs; /* n remote addresses, then nlocal local ones */
    const lc_protocol *proto;
    void *ud;
    lc_connect_cb cb;
    struct lc__closer closer;
};

static void req_closer(lc_loop *loop, void *arg);

static void req_free(struct lc__conn_req *r)
{
    if (r->fd >= 0) {
        lc__io_stop(r->loop, r->fd, LC__EV_WRITE);
        lc__fd_set_owner(r->loop, r->fd, 0);
        lc__sock_close(r->fd);
    }
    free(r->addrs);
    free(r);
}

/* In loop context: hand the result to the user. */
static void complete(struct lc__conn_req *r)
{
    lc__remove_closer(&r->closer);
    lc_loop *loop = r->loop;
    if (r->fd >= 0 && r->err == 0) {
        int fd = r->fd;
        lc__io_stop(loop, fd, LC__EV_WRITE);
        lc__fd_set_owner(loop, fd, 0);
        if (r->nodelay) {
            int one = 1;
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (const void *)&one, sizeof one);
        }
        lc_transport *t;
        int rc = lc__transport_new(loop, LC_TRANSPORT_STREAM, fd, &t);
        if (rc == 0) {
            t->proto = r->proto;
            t->ud = r->ud;
            t->flags |= LC__T_IS_SOCKET;
            t->after_made = r->cb;
            t->after_made_ud = r->ud;
            if ((rc = lc__transport_start(t)) < 0)
                lc__transport_discard(t);
        }
        if (rc == 0) {
            r->fd = -1; /* the transport owns it; its connection_made runs the callback */
            req_free(r);
            return;
        }
        r->err = rc;
    }
    lc_connect_cb cb = r->cb;
    void *ud = r->ud;
    int err = r->err ? r->err : LC_EINVAL;
    req_free(r);
    cb(loop, NULL, err, ud);
}

static void complete_cb(lc_loop *loop, void *arg)
{
    (void)loop;
    complete(arg);
}

static void req_closer(lc_loop *loop, void *arg)
{
    struct lc__conn_req *r = arg;
    lc_connect_cb cb = r->cb;
    void *ud = r->ud;
    req_free(r);
    cb(loop, NULL, LC_ECLOSED, ud);
}

static void on_writable(lc_loop *loop, int fd, void *arg);

/* Try addresses from r->i on.  Returns 1 if a connect is in flight, 0 if
 * the request is decided (r->fd >= 0 with err 0: connected; else failed). */
static int try_next(struct lc__conn_req *r)
{
    for (; r->i < r->n; r->i++) {
        const struct lc__addr *a = &r->addrs[r->i];
        int fd = lc__socket(a->ss.ss_family, SOCK_STREAM);
        if (fd < 0) {
            r->err = fd;
            continue;
        }
        int rc;
        if (r->nlocal && (rc = lc__bind_local(fd, a->ss.ss_family, r->addrs + r->n, r->nlocal)) < 0) {
            r->err = rc;
            lc__sock_close(fd);
            continue;
        }
        do
            rc = connect(fd, (const struct sockaddr *)&a->ss, a->len);
        while (rc < 0 && lc__sock_errno() == EINTR);
        if (rc == 0) {
            r->fd = fd;
            r->err = 0;
            return 0;
        }
        if (lc__sock_errno() != LC__CONNECTING) {
            r->err = -lc__sock_errno();
            lc__sock_close(fd);
            continue;
        }
        rc = lc__io_start(r->loop, fd, LC__EV_WRITE, on_writable, r);
        if (rc < 0) {
            r->err = rc;
            lc__sock_close(fd);
            continue;
        }
        lc__fd_set_owner(r->loop, fd, LC__OWNER_TRANSPORT);
        r->fd = fd;
        return 1;
    }
    return 0;
}

static void on_writable(lc_loop *loop, int fd, void *arg)
{
    struct lc__conn_req *r = arg;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, (void *)&soerr, &len) < 0)
        soerr = lc__sock_errno();
#ifdef _WIN32
    else if (soerr != 0)
        soerr = -lc__win_err((DWORD)soerr); /* a WSAE* code */
#endif
    if (soerr == 0) {
        r->err = 0;
        complete(r);
        return;
    }
    r->err = -soerr;
    lc__io_stop(loop, fd, LC__EV_WRITE);
    lc__fd_set_owner(loop, fd, 0);
    lc__sock_close(fd);
    r->fd = -1;
    r->i++;
    if (!try_next(r))
        complete(r);
}

int lc__connect_start(lc_loop *loop, const struct lc__addr *addrs, size_t n,
                      const struct lc__addr *locals, size_t nlocal, int nodelay,
                      const lc_protocol *proto, void *ud, lc_connect_cb cb)
{
    if (n == 0 || cb == NULL)
        return LC_EINVAL;
#ifdef _WIN32
    if (loop->ops->watch == NULL) /* iocp: ConnectEx (iocp_sock.c) */
        return lc__iocp_connect_start(loop, addrs, n, locals, nlocal, nodelay, proto, ud, cb);
#endif
    struct lc__conn_req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return LC_ENOMEM;
    r->addrs = malloc((n + nlocal) * sizeof *addrs);
    if (r->addrs == NULL) {
        free(r);
        return LC_ENOMEM;
    }
    memcpy(r->addrs, addrs, n * sizeof *addrs);
    if (nlocal)
        memcpy(r->addrs + n, locals, nlocal * sizeof *locals);
    r->loop = loop;
    r->fd = -1;
    r->n = n;
    r->nlocal = nlocal;
    r->nodelay = nodelay;
    r->proto = proto;
    r->ud = ud;
    r->cb = cb;
    lc__add_closer(loop, &r->closer, req_closer, r);
    int rc;
    if (try_next(r))
        return 0;
    /* Decided at once (a Unix socket connects immediately; a missing path
     * fails immediately): the callback still runs on a loop iteration. */
    if ((rc = lc_call_soon(loop, complete_cb, r)) < 0) {
        lc__remove_closer(&r->closer);
        req_free(r);
        return rc;
    }
    return 0;
}
