/* Connecting and accepting on iocp: ConnectEx and AcceptEx, as asyncio's
 * IocpProactor.connect / accept do (Lib/asyncio/windows_events.py).
 *
 * ConnectEx (https://learn.microsoft.com/en-us/windows/win32/api/mswsock/nc-mswsock-lpfn_connectex)
 * needs a bound socket ("The parameter s is an unbound or a listening
 * socket" is WSAEINVAL), so each attempt binds the wildcard address of its
 * family first; on success SO_UPDATE_CONNECT_CONTEXT makes getpeername and
 * shutdown work on it.  The addresses are tried in order, the callback gets
 * the first success or the last error, as connect.c does with readiness.
 *
 * AcceptEx (https://learn.microsoft.com/en-us/windows/win32/api/mswsock/nf-mswsock-acceptex)
 * takes a socket created beforehand; one is in flight per listening socket
 * (asyncio's _start_serving loop).  SO_UPDATE_ACCEPT_CONTEXT gives the
 * accepted socket the listener's properties.  An accept that fails for a
 * connection already gone (WSAECONNRESET) is skipped; one that fails for
 * lack of resources pauses that listener for a second, as asyncio's
 * ACCEPT_RETRY_DELAY and server.c do. */
#include "compat_win.h"

#include "lc_transport.h"

#include <mswsock.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ACCEPT_RETRY_NS 1000000000LL
#define ADDR_SLOT (sizeof(struct sockaddr_storage) + 16) /* AcceptEx: + 16 bytes */

static void *extension(SOCKET s, GUID id)
{
    void *fn = NULL;
    DWORD n = 0;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &fn, sizeof fn, &n, NULL,
                 NULL) != 0)
        return NULL;
    return fn;
}

/* ---- ConnectEx ---- */

struct iocp_conn {
    struct lc__iocp_node node; /* first */
    lc_loop *loop;
    struct lc__iocp_op op;
    int fd;
    bool busy, detached;
    struct lc__closer closer;
    int err, nodelay;
    size_t i, n, nlocal;
    struct lc__addr *addrs; /* n remote addresses, then nlocal local ones */
    const lc_protocol *proto;
    void *ud;
    lc_connect_cb cb;
};

static void conn_release(struct lc__iocp_node *n)
{
    struct iocp_conn *c = (struct iocp_conn *)n;
    if (c->fd >= 0)
        lc__sock_close(c->fd);
    free(c->addrs);
    free(c);
}

static void conn_closer(lc_loop *loop, void *arg)
{
    struct iocp_conn *c = arg;
    c->detached = true;
    if (c->fd >= 0) {
        lc__sock_close(c->fd); /* aborts the ConnectEx in flight */
        c->fd = -1;
    }
    lc_connect_cb cb = c->cb;
    void *ud = c->ud;
    if (!c->busy) {
        lc__iocp_node_unlink(loop, &c->node);
        conn_release(&c->node);
    }
    /* else the loop's teardown frees it once the kernel gave it back */
    cb(loop, NULL, LC_ECLOSED, ud);
}

/* Start a ConnectEx on address i: 0 in flight, else -errno. */
static int attempt(struct iocp_conn *c)
{
    const struct lc__addr *a = &c->addrs[c->i];
    int fd = lc__socket(a->ss.ss_family, SOCK_STREAM);
    if (fd < 0)
        return fd;
    SOCKET s = (SOCKET)(uintptr_t)(unsigned)fd;
    struct sockaddr_storage any;
    memset(&any, 0, sizeof any);
    any.ss_family = a->ss.ss_family;
    int len = a->ss.ss_family == AF_INET6 ? (int)sizeof(struct sockaddr_in6)
                                          : (int)sizeof(struct sockaddr_in);
    GUID gid = WSAID_CONNECTEX;
    LPFN_CONNECTEX connect_ex = extension(s, gid);
    int rc = 0;
    if (c->nlocal) /* create_connection's local_addr, bound instead of the wildcard */
        rc = lc__bind_local(fd, a->ss.ss_family, c->addrs + c->n, c->nlocal);
    else if (bind(s, (struct sockaddr *)&any, len) != 0)
        rc = -lc__sock_errno();
    if (rc == 0 && connect_ex == NULL)
        rc = LC_ENOTSUP;
    if (rc == 0 && (rc = lc__iocp_associate(c->loop, (HANDLE)s)) == 0) {
        memset(&c->op.ov, 0, sizeof c->op.ov);
        c->op.handle = (HANDLE)s;
        c->op.in_kernel = 1;
        if (!connect_ex(s, (const struct sockaddr *)&a->ss, a->len, NULL, 0, NULL, &c->op.ov) &&
            WSAGetLastError() != ERROR_IO_PENDING) {
            c->op.in_kernel = 0;
            rc = -lc__sock_errno();
        }
    }
    if (rc < 0) {
        lc__sock_close(fd);
        return rc;
    }
    c->fd = fd;
    c->busy = true;
    return 0;
}

/* Try from address c->i on; 1 if a connect is in flight. */
static int try_next(struct iocp_conn *c)
{
    for (; c->i < c->n; c->i++) {
        int rc = attempt(c);
        if (rc == 0)
            return 1;
        c->err = rc;
    }
    return 0;
}

static void conn_finish(struct iocp_conn *c, lc_transport *t, int err)
{
    lc_loop *loop = c->loop;
    lc_connect_cb cb = c->cb;
    void *ud = c->ud;
    lc__remove_closer(&c->closer);
    lc__iocp_node_unlink(loop, &c->node);
    conn_release(&c->node);
    if (t == NULL)
        cb(loop, NULL, err, ud);
}

static void on_connect(lc_loop *loop, struct lc__iocp_op *op, DWORD bytes, int err)
{
    (void)bytes;
    struct iocp_conn *c = op->arg;
    c->busy = false;
    if (c->detached) {
        lc__iocp_node_unlink(loop, &c->node);
        conn_release(&c->node);
        return;
    }
    if (err == 0 && c->fd >= 0) {
        SOCKET s = (SOCKET)(uintptr_t)(unsigned)c->fd;
        int rc = setsockopt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0) == 0
                     ? 0
                     : -lc__sock_errno();
        if (rc == 0 && c->nodelay) {
            BOOL one = TRUE;
            (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
        }
        lc_transport *t = NULL;
        if (rc == 0 && (rc = lc__transport_new(loop, LC_TRANSPORT_STREAM, c->fd, &t)) == 0) {
            t->proto = c->proto;
            t->ud = c->ud;
            t->flags |= LC__T_IS_SOCKET;
            t->after_made = c->cb; /* run right after connection_made */
            t->after_made_ud = c->ud;
            if ((rc = lc__transport_start(t)) < 0) {
                lc__transport_discard(t);
                t = NULL;
            }
        }
        if (rc == 0) {
            c->fd = -1; /* the transport's now */
            conn_finish(c, t, 0);
            return;
        }
        conn_finish(c, NULL, rc);
        return;
    }
    if (c->fd >= 0) {
        c->err = err;
        lc__sock_close(c->fd);
        c->fd = -1;
        c->i++;
        if (try_next(c))
            return;
    }
    conn_finish(c, NULL, c->err ? c->err : LC_EINVAL);
}

int lc__iocp_connect_start(lc_loop *loop, const struct lc__addr *addrs, size_t n,
                           const struct lc__addr *locals, size_t nlocal, int nodelay,
                           const lc_protocol *proto, void *ud, lc_connect_cb cb)
{
    struct iocp_conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return LC_ENOMEM;
    if ((c->addrs = malloc((n + nlocal) * sizeof *addrs)) == NULL) {
        free(c);
        return LC_ENOMEM;
    }
    memcpy(c->addrs, addrs, n * sizeof *addrs);
    if (nlocal)
        memcpy(c->addrs + n, locals, nlocal * sizeof *locals);
    c->loop = loop;
    c->fd = -1;
    c->n = n;
    c->nlocal = nlocal;
    c->nodelay = nodelay;
    c->proto = proto;
    c->ud = ud;
    c->cb = cb;
    c->op.done = on_connect;
    c->op.arg = c;
    c->node.ops[0] = &c->op;
    c->node.release = conn_release;
    lc__add_closer(loop, &c->closer, conn_closer, c);
    int rc;
    lc__iocp_node_link(loop, &c->node);
    if (try_next(c))
        return 0;
    /* Every address failed at once: the callback still runs on a loop
     * iteration, with the last error. */
    c->busy = true;
    if ((rc = lc__iocp_done_soon(loop, &c->op, 0, c->err)) < 0) {
        c->busy = false;
        lc__remove_closer(&c->closer);
        lc__iocp_node_unlink(loop, &c->node);
        conn_release(&c->node);
        return rc;
    }
    return 0;
}

/* ---- AcceptEx ---- */

struct iocp_acc {
    struct lc__iocp_node node; /* first */
    lc_loop *loop;
    lc_server *srv; /* NULL once the server let go */
    SOCKET ls;
    int af, cfd;
    bool busy, in_cb;
    struct lc__iocp_op op;
    lc_timer retry;
    char addrs[2 * ADDR_SLOT];
};

static void acc_release(struct lc__iocp_node *n)
{
    struct iocp_acc *a = (struct iocp_acc *)n;
    lc_timer_cancel(&a->retry);
    if (a->cfd >= 0)
        lc__sock_close(a->cfd);
    free(a);
}

static void acc_maybe_free(struct iocp_acc *a)
{
    if (a->srv || a->busy || a->in_cb)
        return;
    lc__iocp_node_unlink(a->loop, &a->node);
    acc_release(&a->node);
}

static void arm(struct iocp_acc *a);

static void on_retry(lc_loop *loop, void *arg)
{
    (void)loop;
    struct iocp_acc *a = arg;
    if (a->srv)
        arm(a);
}

static bool resource_error(int err)
{
    return err == -EMFILE || err == -ENFILE || err == -ENOBUFS || err == -ENOMEM ||
           err == LC_ENOMEM;
}

static void pause_listener(struct iocp_acc *a)
{
    lc_call_later(a->loop, &a->retry, ACCEPT_RETRY_NS, on_retry, a);
}

static void arm(struct iocp_acc *a)
{
    int fd = lc__socket(a->af, SOCK_STREAM);
    if (fd < 0) {
        pause_listener(a);
        return;
    }
    GUID gid = WSAID_ACCEPTEX;
    LPFN_ACCEPTEX accept_ex = extension(a->ls, gid);
    a->cfd = fd;
    memset(&a->op.ov, 0, sizeof a->op.ov);
    a->op.in_kernel = 1;
    a->busy = true;
    DWORD got = 0;
    BOOL ok = accept_ex ? accept_ex(a->ls, (SOCKET)(uintptr_t)(unsigned)fd, a->addrs, 0, ADDR_SLOT,
                                    ADDR_SLOT, &got, &a->op.ov)
                        : FALSE;
    DWORD err = ok ? 0 : (accept_ex ? (DWORD)WSAGetLastError() : (DWORD)WSAEOPNOTSUPP);
    if (lc__iocp_submitted(a->loop, &a->op, ok, err) < 0) {
        a->busy = false;
        lc__sock_close(a->cfd);
        a->cfd = -1;
        pause_listener(a);
    }
}

static void on_accept(lc_loop *loop, struct lc__iocp_op *op, DWORD bytes, int err)
{
    (void)loop;
    (void)bytes;
    struct iocp_acc *a = op->arg;
    a->busy = false;
    int cfd = a->cfd;
    a->cfd = -1;
    if (a->srv == NULL) {
        if (cfd >= 0)
            lc__sock_close(cfd);
        acc_maybe_free(a);
        return;
    }
    if (err == 0 &&
        setsockopt((SOCKET)(uintptr_t)(unsigned)cfd, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                   (const char *)&a->ls, sizeof a->ls) != 0)
        err = -lc__sock_errno();
    if (err < 0) {
        lc__sock_close(cfd);
        if (resource_error(err)) {
            pause_listener(a);
            return;
        }
        /* A connection reset before it was accepted, or similar: that one
         * connection is gone, the listener goes on. */
        arm(a);
        return;
    }
    a->in_cb = true;
    int open = lc__server_accepted(a->srv, cfd);
    a->in_cb = false;
    if (!open || a->srv == NULL) {
        a->srv = NULL;
        acc_maybe_free(a);
        return;
    }
    arm(a);
}

int lc__iocp_accept_start(lc_loop *loop, lc_server *srv, int fd, void **slot)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    SOCKET ls = (SOCKET)(uintptr_t)(unsigned)fd;
    if (getsockname(ls, (struct sockaddr *)&ss, &len) != 0)
        return -lc__sock_errno();
    int rc = lc__iocp_associate(loop, (HANDLE)ls);
    if (rc < 0)
        return rc;
    struct iocp_acc *a = calloc(1, sizeof *a);
    if (a == NULL)
        return LC_ENOMEM;
    a->loop = loop;
    a->srv = srv;
    a->ls = ls;
    a->af = ss.ss_family;
    a->cfd = -1;
    a->op.done = on_accept;
    a->op.arg = a;
    a->op.handle = (HANDLE)ls;
    a->node.ops[0] = &a->op;
    a->node.release = acc_release;
    lc__iocp_node_link(loop, &a->node);
    *slot = a;
    arm(a);
    return 0;
}

void lc__iocp_accept_stop(void *slot)
{
    struct iocp_acc *a = slot;
    a->srv = NULL;
    lc_timer_cancel(&a->retry);
    /* The server closes the listening socket next, which aborts the
     * AcceptEx in flight; its completion frees the state. */
    if (a->busy && a->op.in_kernel)
        CancelIoEx((HANDLE)a->ls, &a->op.ov);
    acc_maybe_free(a);
}
