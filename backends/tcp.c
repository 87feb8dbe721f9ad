/* TCP: connections and servers over IPv4 and IPv6 (asyncio
 * create_connection / create_server).  Address resolution is in
 * sockaddr.c, the connect state machine in connect.c, accepting in
 * server.c. */
#include "lc_transport.h"

#include <errno.h>
#include <string.h>
#ifndef _WIN32
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#define LC__MAX_ADDRS 16

int lc_tcp_connect(lc_loop *loop, const char *host, int port, int family,
                   const lc_protocol *proto, void *ud, lc_connect_cb cb)
{
    return lc_tcp_connect_ex(loop, host, port, family, NULL, proto, ud, cb);
}

int lc_tcp_connect_ex(lc_loop *loop, const char *host, int port, int family,
                      const lc_tcp_connect_options *opts, const lc_protocol *proto, void *ud,
                      lc_connect_cb cb)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (host == NULL || host[0] == '\0' || port <= 0 || cb == NULL)
        return LC_EINVAL;
    struct lc__addr addrs[LC__MAX_ADDRS], locals[LC__MAX_ADDRS];
    size_t n, nlocal = 0;
    if ((rc = lc__inet_resolve(host, port, family, SOCK_STREAM, 0, addrs, LC__MAX_ADDRS, &n)) < 0)
        return rc;
    if (opts && ((opts->local_host && opts->local_host[0]) || opts->local_port != 0) &&
        (rc = lc__inet_resolve(opts->local_host, opts->local_port, family, SOCK_STREAM, 1,
                               locals, LC__MAX_ADDRS, &nlocal)) < 0)
        return rc;
    return lc__connect_start(loop, addrs, n, locals, nlocal, 1, proto, ud, cb);
}

static void set_port(struct lc__addr *a, int port)
{
    if (a->ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
    else if (a->ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
}

/* One listening socket; 1 if the address family is not available here
 * (asyncio skips those), 0 on success, <0 on error. */
static int listen_on(lc_server *srv, struct lc__addr *a, int backlog, int wildcard,
                     int reuse_port)
{
    int fd = lc__socket(a->ss.ss_family, SOCK_STREAM);
    if (fd < 0)
        return fd == -EAFNOSUPPORT ? 1 : fd;
    int one = 1, rc;
    /* asyncio create_server: SO_REUSEADDR on Unix only — on Windows it
     * lets another socket take over a bound port (asyncio-eventloop,
     * reuse_address: "If not specified will automatically be set to True
     * on Unix") — and IPV6_V6ONLY on IPv6 sockets so that an IPv4 socket
     * can take the same port (ipv6(7)). */
#ifndef _WIN32
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* socket(7) SO_REUSEPORT: "For TCP sockets, this option allows
     * accept(2) load distribution in a multi-threaded server"; it must be
     * set on every socket before bind(2). */
    if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        rc = -errno;
        lc__sock_close(fd);
        lc__set_refusal(lc_server_loop(srv), "setsockopt(SO_REUSEPORT)", -rc, "man:socket(7)");
        return rc == -ENOPROTOOPT ? LC_ENOTSUP : rc;
    }
#else
    (void)reuse_port; /* refused before any socket (lc_tcp_server_ex) */
#endif
    if (a->ss.ss_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, (const void *)&one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a->ss, a->len) < 0) {
        rc = -lc__sock_errno();
        lc__sock_close(fd);
        /* A wildcard IPv6 address on a host with IPv6 disabled. */
        return wildcard && a->ss.ss_family == AF_INET6 && rc == -EADDRNOTAVAIL ? 1 : rc;
    }
    if ((rc = lc__server_add_listener(srv, fd, backlog)) < 0) {
        lc__sock_close(fd);
        return rc;
    }
    return 0;
}

static int same_addr(const struct lc__addr *a, const struct lc__addr *b)
{
    return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/* Resolve every host into addrs, without duplicates (asyncio create_server
 * collects the addrinfos of all hosts into a set). */
static int resolve_hosts(const char *const *hosts, int port, struct lc__addr *addrs, size_t *n)
{
    static const char *const every[] = {NULL, NULL};
    if (hosts == NULL || hosts[0] == NULL)
        hosts = every;
    *n = 0;
    size_t i = 0;
    do {
        struct lc__addr one[LC__MAX_ADDRS];
        size_t k;
        int rc = lc__inet_resolve(hosts[i], port, LC_AF_UNSPEC, SOCK_STREAM, 1, one,
                                  LC__MAX_ADDRS, &k);
        if (rc < 0)
            return rc;
        for (size_t j = 0; j < k; j++) {
            int dup = 0;
            for (size_t m = 0; m < *n && !dup; m++)
                dup = same_addr(&addrs[m], &one[j]);
            if (dup)
                continue;
            if (*n == LC__MAX_ADDRS)
                return LC_EINVAL;
            addrs[(*n)++] = one[j];
        }
    } while (hosts[++i] != NULL);
    return 0;
}

int lc_tcp_server(lc_loop *loop, const char *host, int port, int backlog,
                  lc_protocol_factory factory, void *ud, lc_server **out)
{
    const char *const hosts[] = {host, NULL};
    lc_tcp_server_options o = {hosts, port, backlog, 0};
    return lc_tcp_server_ex(loop, &o, factory, ud, out);
}

int lc_tcp_server_ex(lc_loop *loop, const lc_tcp_server_options *opts,
                     lc_protocol_factory factory, void *ud, lc_server **out)
{
    if (out)
        *out = NULL;
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (opts == NULL || out == NULL || factory == NULL || opts->port < 0 || opts->port > 65535)
        return LC_EINVAL;
#ifdef _WIN32
    if (opts->reuse_port) {
        /* Winsock has no SO_REUSEPORT (its SO_REUSEADDR lets a socket take
         * over a bound port, a different thing); asyncio raises
         * ValueError("reuse_port not supported by socket module"). */
        lc__set_refusal(loop, "setsockopt(SO_REUSEPORT)", 0,
                        "https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.create_server");
        return LC_ENOTSUP;
    }
#endif
    struct lc__addr addrs[LC__MAX_ADDRS];
    size_t n;
    if ((rc = resolve_hosts(opts->hosts, opts->port, addrs, &n)) < 0)
        return rc;
    lc_server *srv;
    if ((rc = lc__server_new(loop, 0, factory, ud, &srv)) < 0)
        return rc;
    int wildcard = opts->hosts == NULL || opts->hosts[0] == NULL || opts->hosts[0][0] == '\0';
    for (size_t i = 0; i < n; i++) {
        if (opts->port == 0 && lc_server_nsockets(srv) > 0)
            set_port(&addrs[i], lc_server_port(srv));
        rc = listen_on(srv, &addrs[i], opts->backlog, wildcard, opts->reuse_port);
        if (rc < 0) {
            lc__server_discard(srv);
            return rc;
        }
    }
    if (lc_server_nsockets(srv) == 0) {
        lc__server_discard(srv);
        return -EAFNOSUPPORT;
    }
    *out = srv;
    return 0;
}
