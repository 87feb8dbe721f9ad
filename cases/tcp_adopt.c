/* tcp: where a connection's socket comes from — bound to a chosen local
 * address before connecting (asyncio create_connection's local_addr), or
 * connected by the program and handed to the loop (asyncio
 * connect_accepted_socket).
 *
 * bind(2): EADDRINUSE "The given address is already in use"; a listening
 * socket holds its address, and a socket without SO_REUSEADDR cannot bind
 * it (socket(7) SO_REUSEADDR: "unless there is an active listening socket
 * bound to the address"). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case_transport.h"

static lc_server *loopback_server(lc_case_ctx *ctx, lc_loop *loop, lc__srv *sv)
{
    lc_server *s = NULL;
    int rc = lc_tcp_server(loop, "127.0.0.1", 0, 16, lc__srv_factory, sv, &s);
    if (rc < 0)
        lc__case_transport_error(ctx, loop, rc, "tcp_server on 127.0.0.1");
    return s;
}

static int transport_port(const lc_transport *t, int what)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    return t && lc_transport_get_extra(t, what, &ss, &sl) == 0 ? lc__sockaddr_port(&ss) : -1;
}

/* CPython test_create_connection_local_addr: the client's socket is bound
 * to the port asked for, and the server sees the connection from it. */
static void tcp_connect_local_addr(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__srv sv = {0};
    lc__conn c = {0};
    lc_server *s = loopback_server(ctx, loop, &sv);
    if (s == NULL)
        return;
    int lport;
    int fd = lc__case_loopback_socket(ctx, SOCK_STREAM, &lport, "finding a free port");
    if (fd < 0) {
        lc__case_net_finish(loop, NULL, s, &sv);
        return;
    }
    close(fd); /* free again: the connection binds it */
    lc_tcp_connect_options o = {"127.0.0.1", lport};
    if (lc__case_tcp_dial(ctx, loop, "127.0.0.1", lc_server_port(s), LC_AF_INET, &o, &c, 2000)) {
        int accepted = lc__case_wait_accepted(loop, &sv, 1, 2000);
        int local = transport_port(c.t, LC_EXTRA_SOCKNAME);
        int seen = accepted ? transport_port(sv.conns[0].t, LC_EXTRA_PEERNAME) : -1;
        lc_case_evidence_int(ctx, "local_port_asked", lport);
        lc_case_evidence_int(ctx, "local_port_bound", local);
        if (c.err != 0)
            lc_case_fail(ctx, "connect with local_addr 127.0.0.1:%d: %s", lport,
                         lc_errname(c.err));
        else if (local != lport || seen != lport)
            lc_case_fail(ctx, "asked for local port %d: the socket has %d, the server saw %d",
                         lport, local, seen);
        else
            lc_case_pass(ctx, "bound to 127.0.0.1:%d before connecting; the server saw that port",
                         lport);
    }
    /* test_create_connection_local_addr_nomatch_family: no local address
     * of the remote's family is an error, not a silent unbound connect. */
    if (lc_case_status(ctx) == LC_STATUS_PASS) {
        lc__conn c2 = {0};
        lc_tcp_connect_options v6 = {"::1", 0};
        if (lc__case_tcp_dial(ctx, loop, "127.0.0.1", lc_server_port(s), LC_AF_UNSPEC, &v6, &c2,
                              2000) &&
            (c2.err == 0 || c2.t != NULL))
            lc_case_fail(ctx, "an IPv4 connection with local_addr ::1 connected");
        lc__rec_finish(loop, &c2.rec, 1);
        lc__rec_free(&c2.rec);
    }
    lc__case_net_finish(loop, &c, s, &sv);
}

/* CPython test_create_connection_local_addr_in_use: local_addr is the
 * listening server's own address. */
static void tcp_connect_local_addr_in_use(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__srv sv = {0};
    lc__conn c = {0};
    lc_server *s = loopback_server(ctx, loop, &sv);
    if (s == NULL)
        return;
    int port = lc_server_port(s);
    lc_tcp_connect_options o = {"127.0.0.1", port};
    if (lc__case_tcp_dial(ctx, loop, "127.0.0.1", port, LC_AF_INET, &o, &c, 2000)) {
        lc_case_evidence(ctx, "call", "bind");
        lc_case_evidence(ctx, "errno", c.err < 0 ? lc_errname(c.err) : "none");
        if (c.err != -EADDRINUSE || c.t != NULL || c.rec.made)
            lc_case_fail(ctx, "connect from the listener's address: %s, transport %s",
                         lc_errname(c.err), c.t ? "made" : "none");
        else
            lc_case_pass(ctx, "bind to the listener's address: EADDRINUSE in the connect callback");
    }
    lc__case_net_finish(loop, &c, s, &sv);
}

/* A socket pair connected by the program itself: a listening socket, a
 * blocking connect, accept(2).  Returns 0 with *accepted and *client. */
static int connected_pair(lc_case_ctx *ctx, int *accepted, int *client)
{
    int port;
    int lfd = lc__case_loopback_socket(ctx, SOCK_STREAM, &port, "listening socket");
    if (lfd < 0)
        return -1;
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    int afd = -1;
    if (listen(lfd, 1) == 0 && cfd >= 0 && connect(cfd, (struct sockaddr *)&a, sizeof a) == 0)
        afd = accept(lfd, NULL, NULL);
    close(lfd);
    if (afd < 0) {
        lc_case_fail(ctx, "making a connected pair: %s", strerror(errno));
        if (cfd >= 0)
            close(cfd);
        return -1;
    }
    *accepted = afd;
    *client = cfd;
    return 0;
}

/* CPython test_connect_accepted_socket: the loop adopts a socket the
 * program accepted; data flows both ways and close reaches the peer. */
static void tcp_connect_accepted_socket(lc_case_ctx *ctx, lc_loop *loop)
{
    int afd, cfd;
    if (connected_pair(ctx, &afd, &cfd) < 0)
        return;
    lc__rec r;
    lc__rec_init(&r);
    r.stop_at = 3;
    lc_transport *t = NULL;
    int rc = lc_stream_open(loop, afd, &lc__rec_protocol, &r, &t);
    if (rc < 0) {
        close(afd);
        close(cfd);
        lc__case_transport_error(ctx, loop, rc, "connect_accepted_socket (lc_stream_open)");
        lc__rec_free(&r);
        return;
    }
    int sent = (int)send(cfd, "abc", 3, 0);
    int in_time = sent == 3 && lc__case_wait(loop, LC__MS(2000));
    int wrc = lc_transport_write(t, "xyz", 3);
    lc__rec_finish(loop, &r, 0); /* close: flush, then connection_lost */
    char back[8];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof back && (n = recv(cfd, back + got, sizeof back - got, 0)) > 0)
        got += (size_t)n; /* blocking: the close ends it with EOF */
    close(cfd);
    if (!in_time || r.len != 3 || memcmp(r.data, "abc", 3) != 0)
        lc_case_fail(ctx, "the adopted transport received %zu of 3 bytes", r.len);
    else if (wrc != 0 || got != 3 || memcmp(back, "xyz", 3) != 0)
        lc_case_fail(ctx, "the peer read %zu of 3 bytes before EOF (write %s)", got,
                     lc_errname(wrc));
    else if (!r.made || !r.lost || r.lost_err != 0 || !r.order_ok)
        lc_case_fail(ctx, "callbacks: made %d, lost %d (%s), in order %d", r.made, r.lost,
                     lc_errname(r.lost_err), r.order_ok);
    else
        lc_case_pass(ctx, "accepted socket adopted: 3 bytes each way, close gave the peer EOF");
    lc__rec_free(&r);
}

const lc_case lc_cases_tcp_adopt[] = {
    {"tcp/connect-local-addr", "create_connection with local_addr: bound to that port before connecting",
     tcp_connect_local_addr, 0, NULL, 0},
    {"tcp/connect-local-addr-in-use", "local_addr held by a listening socket: EADDRINUSE from bind",
     tcp_connect_local_addr_in_use, 0, NULL, 0},
    {"tcp/connect-accepted-socket", "connect_accepted_socket: a socket accepted by the program becomes a transport",
     tcp_connect_accepted_socket, 0, NULL, 0},
    {0},
};
