/* Transports, continued: what asyncio's create_connection / create_server
 * take beyond a host and port — a local address, several hosts,
 * reuse_port, an existing listening socket — and Server.close. */
#include "test_transports.h"

static int sock_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Connect to 127.0.0.1:port (options o) and run until the callback. */
static void connect_to(lc_loop *loop, int port, const lc_tcp_connect_options *o, struct cli *c)
{
    c->stop = 1;
    ck_assert_int_eq(lc_tcp_connect_ex(loop, "127.0.0.1", port, LC_AF_UNSPEC, o, &rec_proto,
                                       &c->rec, on_connect), 0);
    run(loop);
    ck_assert_int_eq(c->called, 1);
}

static void finish_cli(lc_loop *loop, struct cli *c)
{
    if (c->t)
        lc_transport_abort(c->t);
    spin(loop, 2);
    rec_free(&c->rec);
}

START_TEST(connect_local_addr)
{
    lc_loop *loop = new_loop();
    struct srv sv = {0};
    lc_server *s;
    ck_assert_int_eq(lc_tcp_server(loop, "127.0.0.1", 0, 0, factory, &sv, &s), 0);
    int lport;
    close(bound_loopback(SOCK_STREAM, &lport)); /* a port that was free just now */
    lc_tcp_connect_options o = {"127.0.0.1", lport};
    struct cli c = {0};
    connect_to(loop, lc_server_port(s), &o, &c);
    ck_assert_int_eq(c.err, 0);
    ck_assert_int_eq(sock_port(lc_transport_fileno(c.t)), lport);
    finish_cli(loop, &c);
    lc_server_close(s);
    for (int i = 0; i < sv.n; i++)
        rec_free(&sv.conns[i]);
    lc_loop_free(loop);
}
END_TEST

/* CPython test_create_connection_local_addr_in_use: the local address is
 * the listening server's own. */
START_TEST(connect_local_addr_in_use)
{
    lc_loop *loop = new_loop();
    struct srv sv = {0};
    lc_server *s;
    ck_assert_int_eq(lc_tcp_server(loop, "127.0.0.1", 0, 0, factory, &sv, &s), 0);
    lc_tcp_connect_options o = {"127.0.0.1", lc_server_port(s)};
    struct cli c = {0};
    connect_to(loop, lc_server_port(s), &o, &c);
    ck_assert_int_eq(c.err, -EADDRINUSE);
    ck_assert_ptr_null(c.t);
    ck_assert_int_eq(c.rec.made, 0);
    /* No local address of the remote's family: refused without a bind. */
    lc_tcp_connect_options v6 = {"::1", 0};
    struct cli c2 = {0};
    connect_to(loop, lc_server_port(s), &v6, &c2);
    ck_assert_int_eq(c2.err, LC_EINVAL);
    lc_server_close(s);
    lc_loop_free(loop);
}
END_TEST

START_TEST(server_from_socket)
{
    lc_loop *loop = new_loop();
    int port;
    int fd = bound_loopback(SOCK_STREAM, &port);
    struct srv sv = {0};
    lc_server *s;
    ck_assert_int_eq(lc_server_from_socket(loop, fd, 0, factory, &sv, &s), 0);
    ck_assert_uint_eq(lc_server_nsockets(s), 1);
    ck_assert_int_eq(lc_server_port(s), port);
    /* The loop owns it now: a reader cannot be added to it. */
    ck_assert_int_eq(lc_add_reader(loop, fd, NULL, NULL), LC_EBUSY);
    struct cli c = {0};
    connect_to(loop, port, NULL, &c);
    ck_assert_int_eq(c.err, 0);
    spin(loop, 3);
    ck_assert_int_eq(sv.n, 1);
    finish_cli(loop, &c);
    lc_server_close(s);
    spin(loop, 2);
    rec_free(&sv.conns[0]);
    /* A datagram socket is not a server's: refused, the caller keeps it. */
    int u = bound_loopback(SOCK_DGRAM, &port);
    ck_assert_int_eq(lc_server_from_socket(loop, u, 0, factory, &sv, &s), LC_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(close(u), 0);
    lc_loop_free(loop);
}
END_TEST

/* asyncio Server.close closes the listening sockets: a new connection
 * is refused (CPython test_server_close). */
START_TEST(server_close_refuses)
{
    lc_loop *loop = new_loop();
    struct srv sv = {0};
    lc_server *s;
    ck_assert_int_eq(lc_tcp_server(loop, "127.0.0.1", 0, 0, factory, &sv, &s), 0);
    int port = lc_server_port(s);
    struct cli c = {0};
    connect_to(loop, port, NULL, &c);
    ck_assert_int_eq(c.err, 0);
    spin(loop, 3);
    lc_server_close(s);
    struct cli c2 = {0};
    connect_to(loop, port, NULL, &c2);
    ck_assert_int_eq(c2.err, -ECONNREFUSED);
    /* The connection accepted before the close is still open. */
    ck_assert_int_eq(sv.n, 1);
    ck_assert_int_eq(sv.conns[0].lost, 0);
    ck_assert_int_eq(lc_transport_write(c.t, "x", 1), 0);
    sv.conns[0].stop_at = 1;
    run(loop);
    ck_assert_uint_eq(sv.conns[0].len, 1);
    finish_cli(loop, &c);
    lc_transport_close(sv.conns[0].t);
    spin(loop, 2);
    rec_free(&sv.conns[0]);
    lc_loop_free(loop);
}
END_TEST

START_TEST(server_several_hosts)
{
    lc_loop *loop = new_loop();
    struct srv sv = {0};
    lc_server *s;
    int v6 = have_ipv6();
    const char *const both[] = {"127.0.0.1", v6 ? "::1" : NULL, NULL};
    lc_tcp_server_options o = {both, 0, 0, 0};
    ck_assert_int_eq(lc_tcp_server_ex(loop, &o, factory, &sv, &s), 0);
    ck_assert_uint_eq(lc_server_nsockets(s), v6 ? 2 : 1);
    int port = lc_server_port(s);
    for (size_t i = 0; i < lc_server_nsockets(s); i++) {
        struct sockaddr_storage ss;
        socklen_t sl;
        ck_assert_int_eq(lc_server_sockname(s, i, &ss, &sl), 0);
        ck_assert_int_eq(ss.ss_family, i == 0 ? AF_INET : AF_INET6);
    }
    lc_server_close(s);
    /* The same address twice is bound once. */
    const char *const twice[] = {"127.0.0.1", "127.0.0.1", NULL};
    o.hosts = twice;
    o.port = port;
    ck_assert_int_eq(lc_tcp_server_ex(loop, &o, factory, &sv, &s), 0);
    ck_assert_uint_eq(lc_server_nsockets(s), 1);
    ck_assert_int_eq(lc_server_port(s), port);
    lc_server_close(s);
    lc_loop_free(loop);
}
END_TEST

START_TEST(server_reuse_port_and_in_use)
{
    lc_loop *loop = new_loop();
    struct srv sv = {0};
    lc_server *a, *b, *c;
    const char *const lo[] = {"127.0.0.1", NULL};
    lc_tcp_server_options o = {lo, 0, 0, 1};
    ck_assert_int_eq(lc_tcp_server_ex(loop, &o, factory, &sv, &a), 0);
    o.port = lc_server_port(a);
    /* socket(7): every socket on the address set SO_REUSEPORT: both bind. */
    ck_assert_int_eq(lc_tcp_server_ex(loop, &o, factory, &sv, &b), 0);
    ck_assert_int_eq(lc_server_port(b), o.port);
    /* Without SO_REUSEPORT the address is in use (bind(2) EADDRINUSE). */
    o.reuse_port = 0;
    ck_assert_int_eq(lc_tcp_server_ex(loop, &o, factory, &sv, &c), -EADDRINUSE);
    ck_assert_ptr_null(c);
    lc_server_close(a);
    lc_server_close(b);
    lc_loop_free(loop);
}
END_TEST

void lc_tt_add_net_tcases(Suite *s)
{
    TCase *tc = tcase_create("net");
    tcase_add_test(tc, connect_local_addr);
    tcase_add_test(tc, connect_local_addr_in_use);
    tcase_add_test(tc, server_from_socket);
    tcase_add_test(tc, server_close_refuses);
    tcase_add_test(tc, server_several_hosts);
    tcase_add_test(tc, server_reuse_port_and_in_use);
    suite_add_tcase(s, tc);
}
