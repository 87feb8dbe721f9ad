/* tcp: servers (asyncio create_server and Server.close) — over an existing
 * socket, on several hosts, with SO_REUSEPORT, on an address in use, on
 * both IP families, after close, and when accept(2) runs out of fds.
 *
 * socket(7) SO_REUSEPORT: several sockets may bind one address when every
 * one of them set the option.  bind(2) EADDRINUSE otherwise.  ipv6(7)
 * IPV6_V6ONLY: an AF_INET6 socket restricted to IPv6, so that an AF_INET
 * socket can take the same port.  accept(2) EMFILE: "The per-process
 * limit on the number of open file descriptors has been reached". */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifndef _WIN32
#include <sys/resource.h>
#endif

#include "case_transport.h"

/* Connect to host:port and wait until the server accepted it as
 * connection number `n`; 1 on success, else 0 with the case failed. */
static int dial_accepted(lc_case_ctx *ctx, lc_loop *loop, const char *host, int port, int family,
                         lc__conn *c, const lc__srv *sv, int n)
{
    if (!lc__case_tcp_dial(ctx, loop, host, port, family, NULL, c, 2000))
        return 0;
    if (c->err != 0) {
        lc_case_fail(ctx, "connect to %s port %d: %s", host, port, lc_errname(c->err));
        return 0;
    }
    if (!lc__case_wait_accepted(loop, sv, n, 2000)) {
        lc_case_fail(ctx, "the connection to %s was not accepted within 2 s", host);
        return 0;
    }
    return 1;
}

/* CPython test_create_server_sock. */
static void tcp_server_from_socket(lc_case_ctx *ctx, lc_loop *loop)
{
    int port;
    int fd = lc__case_loopback_socket(ctx, SOCK_STREAM, &port, "bound socket");
    if (fd < 0)
        return;
    lc__srv sv = {0};
    sv.echo = 1;
    lc__conn c = {0};
    lc_server *s = NULL;
    int rc = lc_server_from_socket(loop, fd, 0, lc__srv_factory, &sv, &s);
    if (rc < 0) {
        close(fd);
        lc__case_transport_error(ctx, loop, rc, "server from a bound socket");
        return;
    }
    if (lc_server_nsockets(s) != 1 || lc_server_port(s) != port)
        lc_case_fail(ctx, "server over the socket: %zu socket(s), port %d (bound %d)",
                     lc_server_nsockets(s), lc_server_port(s), port);
    else if (dial_accepted(ctx, loop, "127.0.0.1", port, LC_AF_INET, &c, &sv, 1)) {
        c.rec.stop_at = 3;
        rc = lc_transport_write(c.t, "abc", 3);
        if (rc != 0 || !lc__case_wait(loop, LC__MS(2000)) || c.rec.len != 3)
            lc_case_fail(ctx, "%zu of 3 bytes echoed (write %s)", c.rec.len, lc_errname(rc));
        else
            lc_case_pass(ctx, "the server listened on the given socket (port %d) and served", port);
    }
    lc__case_net_finish(loop, &c, s, &sv);
}

/* create_server with a sequence of hosts: one listening socket per
 * address, duplicates bound once (test_create_server_multiple_hosts_*). */
static void tcp_server_several_hosts(lc_case_ctx *ctx, lc_loop *loop)
{
    if (!lc__have_ipv6_loopback()) {
        lc_case_skip(ctx, "no IPv6 loopback address on this host");
        return;
    }
    const char *const hosts[] = {"127.0.0.1", "::1", "127.0.0.1", NULL};
    lc_tcp_server_options o = {hosts, 0, 0, 0};
    lc__srv sv = {0};
    lc__conn c4 = {0}, c6 = {0};
    lc_server *s = NULL;
    int rc = lc_tcp_server_ex(loop, &o, lc__srv_factory, &sv, &s);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "tcp_server on 127.0.0.1, ::1, 127.0.0.1");
        return;
    }
    int port = lc_server_port(s), fams = 0;
    for (size_t i = 0; i < lc_server_nsockets(s); i++) {
        struct sockaddr_storage ss;
        socklen_t sl;
        if (lc_server_sockname(s, i, &ss, &sl) == 0 && lc__sockaddr_port(&ss) == port)
            fams |= ss.ss_family == AF_INET ? 1 : ss.ss_family == AF_INET6 ? 2 : 4;
    }
    lc_case_measure_counter(ctx, "listening_sockets", (long long)lc_server_nsockets(s), "fd");
    if (lc_server_nsockets(s) != 2 || fams != 3)
        lc_case_fail(ctx, "%zu listening sockets (families mask %d), expected one IPv4 and one IPv6 on port %d",
                     lc_server_nsockets(s), fams, port);
    else if (dial_accepted(ctx, loop, "127.0.0.1", port, LC_AF_INET, &c4, &sv, 1) &&
             dial_accepted(ctx, loop, "::1", port, LC_AF_INET6, &c6, &sv, 2))
        lc_case_pass(ctx, "one socket per address (duplicate bound once), both accept on port %d", port);
    lc__rec_finish(loop, &c6.rec, 1);
    lc__rec_free(&c6.rec);
    lc__case_net_finish(loop, &c4, s, &sv);
}

/* CPython test_create_server_reuse_port; socket(7) SO_REUSEPORT. */
static void tcp_server_reuse_port(lc_case_ctx *ctx, lc_loop *loop)
{
    const char *const hosts[] = {"127.0.0.1", NULL};
    lc_tcp_server_options o = {hosts, 0, 0, 1};
    lc__srv sv = {0};
    lc_server *a = NULL, *b = NULL;
    int rc = lc_tcp_server_ex(loop, &o, lc__srv_factory, &sv, &a);
    if (rc == LC_ENOTSUP) {
        lc_refusal why;
        lc_loop_last_refusal(loop, &why);
        if (why.sys_errno == 0)
            lc_case_evidence(ctx, "decided_by", "library");
        if (why.ref)
            lc_case_ref(ctx, why.ref);
    }
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "tcp_server with reuse_port");
        return;
    }
    o.port = lc_server_port(a);
    rc = lc_tcp_server_ex(loop, &o, lc__srv_factory, &sv, &b);
    lc_case_evidence(ctx, "second_bind", rc < 0 ? lc_errname(rc) : "ok");
    if (rc < 0) {
        lc_case_fail(ctx, "a second SO_REUSEPORT server on port %d: %s", o.port, lc_errname(rc));
    } else {
        /* Both listen: every connection is accepted by one of them. */
        lc__conn c[4];
        memset(c, 0, sizeof c);
        int ok = 1;
        for (int i = 0; i < 4 && ok; i++)
            ok = dial_accepted(ctx, loop, "127.0.0.1", o.port, LC_AF_INET, &c[i], &sv, i + 1);
        if (ok)
            lc_case_pass(ctx, "two SO_REUSEPORT servers on port %d; 4 connections accepted", o.port);
        for (int i = 0; i < 4; i++) {
            lc__rec_finish(loop, &c[i].rec, 1);
            lc__rec_free(&c[i].rec);
        }
        lc_server_close(b);
    }
    lc__case_net_finish(loop, NULL, a, &sv);
}

/* CPython test_create_server_addr_in_use: bind(2) EADDRINUSE. */
static void tcp_server_addr_in_use(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__srv sv = {0};
    lc_server *a = NULL, *b = NULL;
    int rc = lc_tcp_server(loop, "127.0.0.1", 0, 0, lc__srv_factory, &sv, &a);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "tcp_server on 127.0.0.1");
        return;
    }
    int port = lc_server_port(a);
    rc = lc_tcp_server(loop, "127.0.0.1", port, 0, lc__srv_factory, &sv, &b);
    lc_case_evidence(ctx, "call", "bind");
    lc_case_evidence(ctx, "errno", rc < 0 ? lc_errname(rc) : "none");
    if (rc != -EADDRINUSE || b != NULL)
        lc_case_fail(ctx, "a second server on 127.0.0.1:%d: %s", port,
                     rc < 0 ? lc_errname(rc) : "it listens");
    else
        lc_case_pass(ctx, "a second server on 127.0.0.1:%d: EADDRINUSE", port);
    if (b)
        lc_server_close(b);
    lc_server_close(a);
}

/* CPython test_create_server_dual_stack: host NULL listens on IPv4 and
 * IPv6 with one port; ipv6(7) IPV6_V6ONLY keeps them apart, so an IPv4
 * client is accepted by the AF_INET socket, not as a v4-mapped address. */
static void tcp_server_dual_stack(lc_case_ctx *ctx, lc_loop *loop)
{
    if (!lc__have_ipv6_loopback()) {
        lc_case_skip(ctx, "no IPv6 loopback address on this host");
        return;
    }
    lc__srv sv = {0};
    lc__conn c4 = {0}, c6 = {0};
    lc_server *s = NULL;
    int rc = lc_tcp_server(loop, NULL, 0, 0, lc__srv_factory, &sv, &s);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "tcp_server on every address");
        return;
    }
    int port = lc_server_port(s);
    if (dial_accepted(ctx, loop, "127.0.0.1", port, LC_AF_INET, &c4, &sv, 1) &&
        dial_accepted(ctx, loop, "::1", port, LC_AF_INET6, &c6, &sv, 2)) {
        struct sockaddr_storage a4, a6;
        socklen_t l = sizeof a4;
        int f4 = lc_transport_get_extra(sv.conns[0].t, LC_EXTRA_SOCKNAME, &a4, &l) == 0
                     ? a4.ss_family : -1;
        l = sizeof a6;
        int f6 = lc_transport_get_extra(sv.conns[1].t, LC_EXTRA_SOCKNAME, &a6, &l) == 0
                     ? a6.ss_family : -1;
        lc_case_evidence(ctx, "ipv4_accepted_as", f4 == AF_INET ? "AF_INET" : "AF_INET6");
        if (f4 != AF_INET || f6 != AF_INET6)
            lc_case_fail(ctx, "IPv4 client accepted on family %d, IPv6 client on %d", f4, f6);
        else
            lc_case_pass(ctx, "port %d: IPv4 accepted by the AF_INET socket, IPv6 by the IPV6_V6ONLY one",
                         port);
    }
    lc__rec_finish(loop, &c6.rec, 1);
    lc__rec_free(&c6.rec);
    lc__case_net_finish(loop, &c4, s, &sv);
}

/* CPython test_server_close; asyncio Server.close: "close listening
 * sockets ... existing incoming client connections are left open". */
static void tcp_server_close_refuses(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__srv sv = {0};
    lc__conn c = {0}, late = {0};
    lc_server *s = NULL;
    int rc = lc_tcp_server(loop, "127.0.0.1", 0, 0, lc__srv_factory, &sv, &s);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "tcp_server on 127.0.0.1");
        return;
    }
    int port = lc_server_port(s);
    if (dial_accepted(ctx, loop, "127.0.0.1", port, LC_AF_INET, &c, &sv, 1)) {
        lc_server_close(s);
        s = NULL;
        /* Windows retries a refused connect before failing it (about 1 s
         * in all): 5 s allows for that. */
        if (lc__case_tcp_dial(ctx, loop, "127.0.0.1", port, LC_AF_INET, NULL, &late, 5000)) {
            lc_case_evidence(ctx, "connect_after_close", late.err ? lc_errname(late.err) : "connected");
            sv.conns[0].stop_at = 2;
            int wrc = lc_transport_write(c.t, "ok", 2);
            int in_time = wrc == 0 && lc__case_wait(loop, LC__MS(2000));
            if (late.err != -ECONNREFUSED || late.t != NULL)
                lc_case_fail(ctx, "connect after close: %s", lc_errname(late.err));
            else if (!in_time || sv.conns[0].len != 2 || sv.conns[0].lost)
                lc_case_fail(ctx, "the connection accepted before close: %zu of 2 bytes, lost %d",
                             sv.conns[0].len, sv.conns[0].lost);
            else
                lc_case_pass(ctx, "after close: ECONNREFUSED; the accepted connection still works");
        }
    }
    lc__rec_finish(loop, &late.rec, 1);
    lc__rec_free(&late.rec);
    lc__case_net_finish(loop, &c, s, &sv);
}

#ifndef _WIN32
/* Connect n blocking clients into the server's backlog. */
static int flood(lc_case_ctx *ctx, int port, int *fds, int n)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof a) < 0) {
            lc_case_fail(ctx, "client %d: %s", i, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void stop_cb(lc_loop *loop, void *arg)
{
    (void)arg;
    lc_loop_stop(loop);
}
#endif

/* transport.h (lc_tcp_server): accept failing with EMFILE stops listening
 * for one second (asyncio's ACCEPT_RETRY_DELAY) instead of spinning on a
 * ready socket; the connections waiting are accepted once fds are free. */
static void tcp_accept_emfile_backoff(lc_case_ctx *ctx, lc_loop *loop)
{
#ifdef _WIN32
    (void)loop;
    lc_case_skip(ctx, "Windows has no per-process descriptor limit (RLIMIT_NOFILE) to lower");
#else
    enum { N = 4 }; /* lc__srv records 4 connections */
    lc__srv sv = {0};
    lc_server *s = NULL;
    int rc = lc_tcp_server(loop, "127.0.0.1", 0, N, lc__srv_factory, &sv, &s);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "tcp_server on 127.0.0.1");
        return;
    }
    int fds[N];
    for (int i = 0; i < N; i++)
        fds[i] = -1;
    struct rlimit old, low;
    int probe = -1;
    if (flood(ctx, lc_server_port(s), fds, N) < 0)
        goto out;
    if (getrlimit(RLIMIT_NOFILE, &old) < 0 || (probe = dup(fds[0])) < 0) {
        lc_case_fail(ctx, "getrlimit or dup: %s", strerror(errno));
        goto out;
    }
    close(probe);
    low = old;
    low.rlim_cur = (rlim_t)probe; /* the lowest free fd: no new fd can be made */
    if (setrlimit(RLIMIT_NOFILE, &low) < 0) {
        lc_case_fail(ctx, "setrlimit(RLIMIT_NOFILE, %d): %s", probe, strerror(errno));
        goto out;
    }
    /* 200 ms with N connections ready and no fd to accept them into. */
    lc_timer t = {0};
    uint64_t it0 = lc_loop_iterations(loop);
    int64_t t0 = lc_time_ns();
    rc = lc_call_later(loop, &t, LC__MS(200), stop_cb, NULL);
    if (rc == 0)
        rc = lc_loop_run(loop);
    uint64_t spins = lc_loop_iterations(loop) - it0;
    int accepted_low = sv.n;
    setrlimit(RLIMIT_NOFILE, &old);
    int all = rc == 0 && lc__case_wait_accepted(loop, &sv, N, 3000);
    double delay_ms = (double)(lc_time_ns() - t0) / 1e6;
    lc_case_measure_counter(ctx, "iterations_in_200ms", (long long)spins, "iteration");
    lc_case_measure_value(ctx, "accepted_after", delay_ms, "ms");
    lc_case_evidence(ctx, "call", "accept4");
    lc_case_evidence(ctx, "errno", "EMFILE");
    /* A spinning loop iterates once per poll that finds the socket ready:
     * tens of thousands in 200 ms.  Backing off, it wakes for its own
     * timer only; 20 leaves room for stray wakeups on a loaded machine. */
    if (rc < 0)
        lc_case_fail(ctx, "run: %s", lc_errname(rc));
    else if (accepted_low != 0)
        lc_case_fail(ctx, "%d connections accepted with no fd free", accepted_low);
    else if (spins > 20)
        lc_case_fail(ctx, "%llu loop iterations in 200 ms with accept failing: it spins",
                     (unsigned long long)spins);
    else if (!all)
        lc_case_fail(ctx, "%d of %d waiting connections accepted within 3 s of the limit raised",
                     sv.n, N);
    else if (delay_ms < 900)
        lc_case_fail(ctx, "accepted %.0f ms after EMFILE: retried before the 1 s delay", delay_ms);
    else
        lc_case_pass(ctx, "%llu iterations in 200 ms under EMFILE; all %d accepted %.0f ms later",
                     (unsigned long long)spins, N, delay_ms);
out:
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    lc__case_net_finish(loop, NULL, s, &sv);
#endif
}

const lc_case lc_cases_tcp_server[] = {
    {"tcp/server-from-socket", "create_server over an existing bound socket: it listens there and serves",
     tcp_server_from_socket, 0, NULL, 0},
    {"tcp/server-several-hosts", "create_server on 127.0.0.1 and ::1 (one given twice): one socket per address, same port",
     tcp_server_several_hosts, 0, NULL, 0},
    {"tcp/server-reuse-port", "reuse_port: two servers share one port with SO_REUSEPORT and both accept",
     tcp_server_reuse_port, 0, NULL, 0},
    {"tcp/server-addr-in-use", "a second server on a port in use: EADDRINUSE from bind",
     tcp_server_addr_in_use, 0, NULL, 0},
    {"tcp/server-dual-stack", "host NULL: IPv4 and IPV6_V6ONLY IPv6 sockets on one port, each accepting its family",
     tcp_server_dual_stack, 0, NULL, 0},
    {"tcp/server-close-refuses", "after Server.close a new connection is refused; an accepted one stays open",
     tcp_server_close_refuses, 0, NULL, 0},
    {"tcp/accept-emfile-backoff", "accept hitting EMFILE: the server backs off 1 s instead of spinning, then accepts",
     tcp_accept_emfile_backoff, 0, NULL, 0},
    {0},
};
