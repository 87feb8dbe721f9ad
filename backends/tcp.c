/* TCP: connections and servers over IPv4 and IPv6 (asyncio
 * create_connection / create_server).  Address resolution is in
 * sockaddr.c, the connect state machine in connect.c, accepting in
 * server.c. */
#include "lc_transport.h"

#include <errno.h>
#ifndef _WIN32
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#define LC__MAX_ADDRS 16

int lc_tcp_connect(lc_loop *loop, const char *host, int port, int family,
                   const lc_protocol *proto, void *ud, lc_connect_cb cb)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (host == NULL || host[0] == '\0' || port <= 0 || cb == NULL)
        return LC_EINVAL;
    struct lc__addr addrs[LC__MAX_ADDRS];
    size_t n;
    if ((rc = lc__inet_resolve(host, port, family, SOCK_STREAM, 0, addrs, LC__MAX_ADDRS, &n)) < 0)
        return rc;
    return lc__connect_start(loop, addrs, n, 1, proto, ud, cb);
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
static int listen_on(lc_server *srv, struct lc__addr *a, int backlog, int wildcard)
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

int lc_tcp_server(lc_loop *loop, const char *host, int port, int backlog,
                  lc_protocol_factory factory, void *ud, lc_server **out)
{
    if (out)
        *out = NULL;
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (out == NULL || factory == NULL || port < 0 || port > 65535)
        return LC_EINVAL;
    struct lc__addr addrs[LC__MAX_ADDRS];
    size_t n;
    if ((rc = lc__inet_resolve(host, port, LC_AF_UNSPEC, SOCK_STREAM, 1, addrs, LC__MAX_ADDRS,
                               &n)) < 0)
        return rc;
    lc_server *srv;
    if ((rc = lc__server_new(loop, 0, factory, ud, &srv)) < 0)
        return rc;
    int wildcard = host == NULL || host[0] == '\0';
    for (size_t i = 0; i < n; i++) {
        if (port == 0 && lc_server_nsockets(srv) > 0)
            set_port(&addrs[i], lc_server_port(srv));
        rc = listen_on(srv, &addrs[i], backlog, wildcard);
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
