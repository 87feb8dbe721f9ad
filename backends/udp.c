/* Datagram endpoints (asyncio create_datagram_endpoint): UDP over IPv4 and
 * IPv6, and AF_UNIX SOCK_DGRAM.
 *
 * Receiving follows _SelectorDatagramTransport._read_ready: one recvfrom
 * per readiness event; an error is handed to error_received and the
 * endpoint goes on.  On a connected UDP socket that is how an ICMP port
 * unreachable for an earlier datagram arrives: recvfrom fails with
 * ECONNREFUSED (udp(7) ERRORS).  Sending: see lc_transport_sendto in
 * transport.h. */
#include "lc_transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include "compat_win.h"
#else
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif

static void error_received(lc_transport *t, int err)
{
    if (t->dproto && t->dproto->error_received)
        t->dproto->error_received(t, err);
}

void lc__dgram_on_readable(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    lc_transport *t = arg;
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(fd, (void *)t->rbuf, LC__READ_CHUNK, 0, (struct sockaddr *)&from, &flen);
    if (n < 0) {
        /* Windows: after an ICMP port unreachable for an earlier datagram,
         * the next receive fails with WSAECONNRESET (recvfrom, Winsock):
         * error_received(-ECONNRESET). */
        int err = lc__sock_errno();
        if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR)
            error_received(t, -err);
        return;
    }
    /* An unbound AF_UNIX sender has no address: only the family comes back
     * (unix(7) "unnamed"). */
    const struct sockaddr *a = (const struct sockaddr *)&from;
    if (flen <= (socklen_t)sizeof(from.ss_family)) {
        a = NULL;
        flen = 0;
    }
    if (t->dproto && t->dproto->datagram_received)
        t->dproto->datagram_received(t, t->rbuf, (size_t)n, a, flen);
}

static ssize_t send_one(lc_transport *t, const void *data, size_t len, const struct sockaddr *addr,
                        socklen_t alen)
{
    ssize_t n;
    do
        n = sendto(t->fd, data, len, MSG_NOSIGNAL, addr, addr ? alen : 0);
    while (n < 0 && lc__sock_errno() == EINTR);
    return n < 0 ? -lc__sock_errno() : n;
}

void lc__dgram_on_writable(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    (void)fd;
    lc_transport *t = arg;
    while (t->whead && !(t->flags & LC__T_LOST_QUEUED)) {
        struct lc__wchunk *c = t->whead;
        ssize_t n = send_one(t, c->data, c->end, c->alen ? (struct sockaddr *)&c->addr : NULL,
                             c->alen);
        if (n == -EAGAIN || n == -EWOULDBLOCK)
            return;
        t->whead = c->next;
        if (t->whead == NULL)
            t->wtail = NULL;
        t->wsize -= c->end;
        lc__wchunk_put(t->loop, c);
        if (n < 0)
            error_received(t, (int)n);
    }
    if (t->flags & LC__T_LOST_QUEUED)
        return;
    lc__transport_maybe_resume(t);
    if (t->whead || (t->flags & LC__T_LOST_QUEUED))
        return;
    lc__transport_want_write(t, 0);
    if (t->flags & LC__T_CLOSING)
        lc__transport_lost_soon(t, 0);
}

static int same_addr(const struct sockaddr *a, socklen_t alen, const struct sockaddr_storage *b,
                     socklen_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

int lc_transport_sendto(lc_transport *t, const void *data, size_t len,
                        const struct sockaddr *addr, socklen_t addrlen)
{
    if (t == NULL || t->kind != LC_TRANSPORT_DATAGRAM || (len && data == NULL))
        return LC_EINVAL;
    if (t->flags & LC__T_CLOSING)
        return LC_ECLOSED;
    if (t->flags & LC__T_CONNECTED) {
        if (addr) {
            struct sockaddr_storage peer;
            socklen_t plen = sizeof peer;
            if (getpeername(t->fd, (struct sockaddr *)&peer, &plen) < 0)
                return -lc__sock_errno();
            if (!same_addr(addr, addrlen, &peer, plen))
                return LC_EINVAL;
            addr = NULL;
        }
    } else if (addr == NULL || addrlen == 0) {
        return LC_EINVAL;
    }
#ifdef _WIN32
    if (t->cs) {
        /* iocp: the datagram is copied and sent overlapped; sent at once
         * when nothing is queued, so that an immediate error still comes
         * back from this call. */
        int first = t->whead == NULL;
        int rc = lc__wqueue_push(t, data, len, addr, addrlen, 1);
        if (rc < 0)
            return rc;
        if (first && (rc = lc__iocp_dgram_send_first(t)) < 0)
            return rc;
        lc__transport_maybe_pause(t);
        return 0;
    }
#endif
    if (t->whead == NULL) {
        ssize_t n = send_one(t, data, len, addr, addrlen);
        if (n >= 0)
            return 0;
        if (n != -EAGAIN && n != -EWOULDBLOCK)
            return (int)n;
    }
    int rc = lc__wqueue_push(t, data, len, addr, addrlen, 1);
    if (rc < 0)
        return rc;
    if ((rc = lc__transport_want_write(t, 1)) < 0)
        return rc;
    lc__transport_maybe_pause(t);
    return 0;
}

static int finish(lc_loop *loop, int fd, int connected, const lc_datagram_protocol *proto,
                  void *ud, const char *unlink_path, lc_transport **out)
{
    char *path = NULL;
    if (unlink_path && (path = strdup(unlink_path)) == NULL)
        return LC_ENOMEM;
    lc_transport *t;
    int rc = lc__transport_new(loop, LC_TRANSPORT_DATAGRAM, fd, &t);
    if (rc < 0) {
        free(path);
        return rc;
    }
    t->dproto = proto;
    t->ud = ud;
    t->flags |= LC__T_IS_SOCKET | (connected ? LC__T_CONNECTED : 0);
    if ((rc = lc__transport_start(t)) < 0) {
        lc__transport_discard(t);
        free(path);
        return rc;
    }
    t->unlink_path = path;
    *out = t;
    return 0;
}

#define LC__MAX_ADDRS 16

int lc_udp_endpoint(lc_loop *loop, const char *local_host, int local_port,
                    const char *remote_host, int remote_port, int family,
                    const lc_datagram_protocol *proto, void *ud, lc_transport **out)
{
    if (out)
        *out = NULL;
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (out == NULL)
        return LC_EINVAL;
    if (local_host && local_host[0] == '\0')
        local_host = NULL;
    int want_local = local_host != NULL || local_port > 0;
    if (!want_local && remote_host == NULL)
        return LC_EINVAL;

    struct lc__addr remote[LC__MAX_ADDRS], local[LC__MAX_ADDRS];
    size_t nremote = 0, nlocal = 0;
    if (remote_host &&
        (rc = lc__inet_resolve(remote_host, remote_port, family, SOCK_DGRAM, 0, remote,
                               LC__MAX_ADDRS, &nremote)) < 0)
        return rc;
    if (want_local &&
        (rc = lc__inet_resolve(local_host, local_port, family, SOCK_DGRAM, 1, local,
                               LC__MAX_ADDRS, &nlocal)) < 0)
        return rc;

    /* The first pair of one family (asyncio: the first that works). */
    const struct lc__addr *l = NULL, *r = NULL;
    if (nremote) {
        for (size_t i = 0; i < nremote && !r; i++) {
            if (!want_local) {
                r = &remote[i];
                break;
            }
            for (size_t j = 0; j < nlocal; j++)
                if (local[j].ss.ss_family == remote[i].ss.ss_family) {
                    r = &remote[i];
                    l = &local[j];
                    break;
                }
        }
        if (r == NULL)
            return -EAFNOSUPPORT;
    } else {
        l = &local[0];
    }
    int af = (r ? r : l)->ss.ss_family;
    int fd = lc__socket(af, SOCK_DGRAM);
    if (fd < 0)
        return fd;
    if ((l && bind(fd, (const struct sockaddr *)&l->ss, l->len) < 0) ||
        (r && connect(fd, (const struct sockaddr *)&r->ss, r->len) < 0)) {
        rc = -lc__sock_errno();
        lc__sock_close(fd);
        return rc;
    }
    if ((rc = finish(loop, fd, r != NULL, proto, ud, NULL, out)) < 0)
        lc__sock_close(fd);
    return rc;
}

int lc_datagram_open(lc_loop *loop, int fd, const lc_datagram_protocol *proto, void *ud,
                     lc_transport **out)
{
    if (out)
        *out = NULL;
    /* asyncio: ValueError("A UDP Socket was expected") */
    int rc = out ? lc__adopt_check(loop, fd, SOCK_DGRAM) : LC_EINVAL;
    if (rc < 0)
        return rc;
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int connected = getpeername(fd, (struct sockaddr *)&peer, &plen) == 0;
    if ((rc = lc__set_nonblock(fd, 1)) < 0)
        return rc;
    return finish(loop, fd, connected, proto, ud, NULL, out);
}

#ifndef _WIN32 /* no AF_UNIX on Windows loops: unix_win.c */

int lc_unix_datagram_endpoint(lc_loop *loop, const char *local_path, const char *remote_path,
                              const lc_datagram_protocol *proto, void *ud, lc_transport **out)
{
    if (out)
        *out = NULL;
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (out == NULL || (local_path == NULL && remote_path == NULL))
        return LC_EINVAL;
    struct sockaddr_un lsun, rsun;
    socklen_t llen = 0, rlen = 0;
    if (local_path && (rc = lc__unix_addr(local_path, &lsun, &llen)) < 0)
        return rc;
    if (remote_path && (rc = lc__unix_addr(remote_path, &rsun, &rlen)) < 0)
        return rc;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (local_path) {
        lc__unix_remove_stale(local_path);
        if (bind(fd, (struct sockaddr *)&lsun, llen) < 0) {
            rc = -errno;
            close(fd);
            return rc;
        }
    }
    if (remote_path && connect(fd, (struct sockaddr *)&rsun, rlen) < 0) {
        rc = -errno;
        close(fd);
        if (local_path && local_path[0] != '@')
            unlink(local_path);
        return rc;
    }
    const char *to_unlink = local_path && local_path[0] != '@' ? local_path : NULL;
    if ((rc = finish(loop, fd, remote_path != NULL, proto, ud, to_unlink, out)) < 0) {
        close(fd);
        if (to_unlink)
            unlink(to_unlink);
    }
    return rc;
}
#endif
