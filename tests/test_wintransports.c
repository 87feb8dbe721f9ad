/* Transports, signals and AF_UNIX on the Windows backends, through the
 * public API; subprocesses and pipes are in test_winprocess.c.  One
 * executable, run once per backend ($LC_TEST_BACKEND); under wine when
 * cross-built.  The program is its own child for the subprocess tests. */
#include "test_wintransports.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *wt_backend;
const char *wt_self_exe;

int wt_is_iocp(void) { return strcmp(wt_backend, "iocp") == 0; }

/* ntdll exports wine_get_version only under wine. */
static int under_wine(void)
{
    HMODULE nt = GetModuleHandleA("ntdll.dll");
    return nt && GetProcAddress(nt, "wine_get_version") != NULL;
}

lc_loop *wt_new_loop(void)
{
    lc_loop_options o;
    memset(&o, 0, sizeof o);
    o.backend = wt_backend;
    lc_loop *loop = NULL;
    ck_assert_int_eq(lc_loop_new(&loop, &o), 0);
    return loop;
}

void wt_noop(lc_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
}

void wt_run_until(lc_loop *loop, const int *flag)
{
    lc_timer tick;
    memset(&tick, 0, sizeof tick);
    int64_t end = lc_time_ns() + 10 * 1000000000LL;
    while (!*flag && lc_time_ns() < end) {
        if (!lc_timer_pending(&tick))
            ck_assert_int_eq(lc_call_later(loop, &tick, 50 * 1000000LL, wt_noop, NULL), 0);
        ck_assert_int_eq(lc_loop_run_once(loop, 1), 0);
    }
    lc_timer_cancel(&tick);
    ck_assert_msg(*flag, "timed out");
}

/* ---- refusals ---- */

static void on_sig(lc_loop *loop, int signo, void *arg)
{
    (void)loop;
    (void)signo;
    (void)arg;
}

START_TEST(t_signals_refused)
{
    lc_loop *loop = wt_new_loop();
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGINT, on_sig, NULL), LC_ENOTSUP);
    lc_refusal why;
    lc_loop_last_refusal(loop, &why);
    ck_assert_ptr_nonnull(why.ref);
    ck_assert_ptr_nonnull(strstr(why.ref, "asyncio-platforms"));
    ck_assert_int_eq(lc_remove_signal_handler(loop, SIGINT), LC_ENOTSUP);
    ck_assert_ptr_null(lc_loop_signal_impl_name(loop));
    lc_loop_close(loop);
    ck_assert_int_eq(lc_add_signal_handler(loop, SIGINT, on_sig, NULL), LC_ECLOSED);
    ck_assert_int_eq(lc_remove_signal_handler(loop, SIGINT), 0);
    lc_loop_free(loop);
}
END_TEST

static const lc_protocol nothing_proto = {0};
static const lc_datagram_protocol nothing_dproto = {0};

static void connect_never(lc_loop *loop, lc_transport *t, int err, void *ud)
{
    (void)loop;
    (void)t;
    (void)err;
    (void)ud;
    ck_abort_msg("connect callback after a refusal");
}

static int factory_any(lc_server *srv, void *ud, const lc_protocol **proto, void **conn_ud)
{
    (void)srv;
    *proto = ud;
    *conn_ud = NULL;
    return 0;
}

START_TEST(t_unix_refused)
{
    lc_loop *loop = wt_new_loop();
    lc_server *srv = (lc_server *)1;
    lc_transport *t = (lc_transport *)1;
    ck_assert_int_eq(lc_unix_connect(loop, "x.sock", &nothing_proto, NULL, connect_never),
                     LC_ENOTSUP);
    ck_assert_int_eq(lc_unix_server(loop, "x.sock", 0, factory_any, NULL, &srv), LC_ENOTSUP);
    ck_assert_ptr_null(srv);
    ck_assert_int_eq(lc_unix_datagram_endpoint(loop, "x.sock", NULL, &nothing_dproto, NULL, &t),
                     LC_ENOTSUP);
    ck_assert_ptr_null(t);
    /* socket(AF_UNIX) was asked.  Windows 10 1803 and later grant a
     * stream socket (then the refusal is asyncio's, the library's); wine
     * 8.0 fails it with WSAEAFNOSUPPORT, and the datagram one too. */
    lc_refusal why;
    lc_loop_last_refusal(loop, &why);
    ck_assert_str_eq(why.call, "socket");
    ck_assert_ptr_nonnull(why.ref);
    ck_assert_ptr_nonnull(why.decided_by);
    if (under_wine()) {
        ck_assert_int_eq(why.sys_errno, EAFNOSUPPORT);
        ck_assert_str_eq(why.decided_by, "os");
    } else {
        ck_assert_str_eq(why.decided_by, why.sys_errno ? "os" : "library");
    }
    lc_loop_free(loop);
}
END_TEST

/* ---- TCP ---- */

struct conn {
    lc_transport *t;
    char buf[256];
    size_t len;
    int made, eof, lost, lost_err, keep_open, connected, connect_err;
    int paused, resumed;
    size_t total;
    const char *reply; /* server: written after EOF, then close */
};

static struct conn *last_sink; /* the server side of the last sink connection */

static void c_made(lc_transport *t)
{
    struct conn *c = lc_transport_userdata(t);
    if (c == NULL) {
        static struct conn srv_conns[8];
        static int next;
        c = &srv_conns[next++ % 8];
        memset(c, 0, sizeof *c);
        lc_transport_set_userdata(t, c);
        last_sink = c;
    }
    c->t = t;
    c->made++;
}

static void c_data(lc_transport *t, const void *data, size_t len)
{
    struct conn *c = lc_transport_userdata(t);
    c->total += len;
    if (c->len + len <= sizeof c->buf) {
        memcpy(c->buf + c->len, data, len);
        c->len += len;
    }
}

static int c_eof(lc_transport *t)
{
    struct conn *c = lc_transport_userdata(t);
    c->eof++;
    if (c->reply) {
        /* Half-close: the peer shut its side, we still write, then close. */
        ck_assert_int_eq(lc_transport_write(t, c->buf, c->len), 0);
        ck_assert_int_eq(lc_transport_write(t, c->reply, strlen(c->reply)), 0);
        ck_assert_int_eq(lc_transport_close(t), 0);
        return 1;
    }
    return c->keep_open;
}

static void c_lost(lc_transport *t, int err)
{
    struct conn *c = lc_transport_userdata(t);
    c->lost++;
    c->lost_err = err;
    c->t = NULL;
}

static void c_pause(lc_transport *t) { ((struct conn *)lc_transport_userdata(t))->paused++; }
static void c_resume(lc_transport *t) { ((struct conn *)lc_transport_userdata(t))->resumed++; }

static const lc_protocol conn_proto = {c_made, c_data, c_eof, c_lost, c_pause, c_resume};

static struct conn *last_server_conn;

static void srv_made(lc_transport *t)
{
    static struct conn sc;
    memset(&sc, 0, sizeof sc);
    sc.reply = " bye";
    lc_transport_set_userdata(t, &sc);
    last_server_conn = &sc;
    c_made(t);
}

static const lc_protocol srv_proto = {srv_made, c_data, c_eof, c_lost, NULL, NULL};

static void on_connected(lc_loop *loop, lc_transport *t, int err, void *ud)
{
    (void)loop;
    struct conn *c = ud;
    c->connected++;
    c->connect_err = err;
    if (t)
        ck_assert_int_eq(c->made, 1); /* connection_made came first */
}

START_TEST(t_tcp_echo_half_close)
{
    lc_loop *loop = wt_new_loop();
    lc_server *srv = NULL;
    ck_assert_int_eq(lc_tcp_server(loop, "127.0.0.1", 0, 0, factory_any, (void *)&srv_proto, &srv), 0);
    int port = lc_server_port(srv);
    ck_assert_int_gt(port, 0);
    struct conn c;
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(lc_tcp_connect(loop, "127.0.0.1", port, LC_AF_INET, &conn_proto, &c, on_connected), 0);
    ck_assert_int_eq(c.connected, 0); /* never from inside the call */
    wt_run_until(loop, &c.connected);
    ck_assert_int_eq(c.connect_err, 0);
    ck_assert_ptr_nonnull(c.t);
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    ck_assert_int_eq(lc_transport_get_extra(c.t, LC_EXTRA_PEERNAME, &peer, &plen), 0);
    ck_assert_int_eq(ntohs(((struct sockaddr_in *)&peer)->sin_port), port);
    ck_assert_int_eq(lc_transport_write(c.t, "hello", 5), 0);
    ck_assert_int_eq(lc_transport_write_eof(c.t), 0);
    ck_assert_int_eq(lc_transport_write(c.t, "x", 1), LC_ECLOSED);
    c.keep_open = 0;
    wt_run_until(loop, &c.lost);
    ck_assert_int_eq(c.lost_err, 0);
    ck_assert_int_eq(c.eof, 1);
    ck_assert_int_eq((int)c.len, 9);
    ck_assert_int_eq(memcmp(c.buf, "hello bye", 9), 0);
    ck_assert_ptr_nonnull(last_server_conn);
    wt_run_until(loop, &last_server_conn->lost);
    ck_assert_int_eq(last_server_conn->eof, 1);
    ck_assert_int_eq(last_server_conn->lost_err, 0);
    lc_server_close(srv);
    lc_loop_free(loop);
}
END_TEST

START_TEST(t_tcp_refused)
{
    lc_loop *loop = wt_new_loop();
    /* A port nobody listens on: bind one, note it, close it. */
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    int len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    closesocket(s);
    struct conn c;
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(lc_tcp_connect(loop, "127.0.0.1", ntohs(a.sin_port), LC_AF_INET, &conn_proto,
                                    &c, on_connected), 0);
    wt_run_until(loop, &c.connected);
    ck_assert_int_eq(c.connect_err, -ECONNREFUSED);
    ck_assert_int_eq(c.made, 0);
    lc_loop_free(loop);
}
END_TEST

/* lc_tcp_server_ex's reuse_port: Winsock has no SO_REUSEPORT, so the
 * library refuses before any socket, as asyncio does. */
START_TEST(t_tcp_reuse_port_refused)
{
    lc_loop *loop = wt_new_loop();
    const char *const hosts[] = {"127.0.0.1", NULL};
    lc_tcp_server_options o = {hosts, 0, 0, 1};
    lc_server *srv = (lc_server *)1;
    ck_assert_int_eq(lc_tcp_server_ex(loop, &o, factory_any, (void *)&srv_proto, &srv),
                     LC_ENOTSUP);
    ck_assert_ptr_null(srv);
    lc_refusal why;
    lc_loop_last_refusal(loop, &why);
    ck_assert_str_eq(why.call, "setsockopt(SO_REUSEPORT)");
    ck_assert_int_eq(why.sys_errno, 0);
    lc_loop_free(loop);
}
END_TEST

/* A server over a socket the program bound; connections with a local
 * address (ConnectEx binds it on iocp), and one whose local address is
 * the listener's: WSAEADDRINUSE. */
START_TEST(t_tcp_adopted_server_local_addr)
{
    lc_loop *loop = wt_new_loop();
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    int len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    int port = ntohs(a.sin_port);
    lc_server *srv = NULL;
    ck_assert_int_eq(lc_server_from_socket(loop, (int)s, 0, factory_any, (void *)&srv_proto, &srv),
                     0);
    ck_assert_int_eq(lc_server_port(srv), port);
    struct conn c;
    memset(&c, 0, sizeof c);
    lc_tcp_connect_options lo = {"127.0.0.1", 0};
    ck_assert_int_eq(lc_tcp_connect_ex(loop, "127.0.0.1", port, LC_AF_INET, &lo, &conn_proto, &c,
                                       on_connected), 0);
    wt_run_until(loop, &c.connected);
    ck_assert_int_eq(c.connect_err, 0);
    ck_assert_int_eq(lc_transport_write_eof(c.t), 0);
    wt_run_until(loop, &c.lost);
    struct conn in_use;
    memset(&in_use, 0, sizeof in_use);
    lc_tcp_connect_options same = {"127.0.0.1", port};
    ck_assert_int_eq(lc_tcp_connect_ex(loop, "127.0.0.1", port, LC_AF_INET, &same, &conn_proto,
                                       &in_use, on_connected), 0);
    wt_run_until(loop, &in_use.connected);
    ck_assert_int_eq(in_use.connect_err, -EADDRINUSE);
    ck_assert_int_eq(in_use.made, 0);
    lc_server_close(srv);
    lc_loop_free(loop);
}
END_TEST

static const lc_protocol sink_proto = {c_made, c_data, c_eof, c_lost, NULL, NULL};

START_TEST(t_tcp_flow_control_and_close_flushes)
{
    lc_loop *loop = wt_new_loop();
    lc_server *srv = NULL;
    ck_assert_int_eq(lc_tcp_server(loop, "127.0.0.1", 0, 0, factory_any, (void *)&sink_proto, &srv), 0);
    struct conn c;
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(lc_tcp_connect(loop, "127.0.0.1", lc_server_port(srv), LC_AF_INET,
                                    &conn_proto, &c, on_connected), 0);
    wt_run_until(loop, &c.connected);
    ck_assert_int_eq(c.connect_err, 0);
    ck_assert_int_eq(lc_transport_set_write_buffer_limits(c.t, 64 * 1024, 16 * 1024), 0);
    enum { TOTAL = 8 * 1024 * 1024 };
    static char block[64 * 1024];
    memset(block, 'z', sizeof block);
    for (size_t sent = 0; sent < TOTAL; sent += sizeof block)
        ck_assert_int_eq(lc_transport_write(c.t, block, sizeof block), 0);
    /* 8 MiB cannot all be in the kernel at once: the buffer went above the
     * high mark. */
    ck_assert_int_eq(c.paused, 1);
    ck_assert_int_eq(lc_transport_close(c.t), 0);
    wt_run_until(loop, &c.lost);
    ck_assert_int_eq(c.lost_err, 0);
    ck_assert_int_eq(c.resumed, 0); /* closing: no resume_writing */
    /* The server side got every byte, then EOF (close flushed first). */
    ck_assert_ptr_nonnull(last_sink);
    wt_run_until(loop, &last_sink->lost);
    ck_assert_int_eq(last_sink->eof, 1);
    ck_assert_int_eq(last_sink->lost_err, 0);
    ck_assert_uint_eq(last_sink->total, TOTAL);
    lc_server_close(srv);
    lc_loop_free(loop);
}
END_TEST

/* ---- UDP ---- */

struct dg {
    int made, got, errs, last_err, lost;
    char buf[64];
    size_t len;
    struct sockaddr_storage from;
    socklen_t fromlen;
};

static void d_made(lc_transport *t) { ((struct dg *)lc_transport_userdata(t))->made++; }

static void d_recv(lc_transport *t, const void *data, size_t len, const struct sockaddr *addr,
                   socklen_t alen)
{
    struct dg *d = lc_transport_userdata(t);
    d->got++;
    d->len = len < sizeof d->buf ? len : sizeof d->buf;
    memcpy(d->buf, data, d->len);
    if (addr && alen <= (socklen_t)sizeof d->from) {
        memcpy(&d->from, addr, alen);
        d->fromlen = alen;
    }
}

static void d_err(lc_transport *t, int err)
{
    struct dg *d = lc_transport_userdata(t);
    d->errs++;
    d->last_err = err;
}

static void d_lost(lc_transport *t, int err)
{
    struct dg *d = lc_transport_userdata(t);
    d->lost++;
    d->last_err = err;
}

static const lc_datagram_protocol dg_proto = {d_made, d_recv, d_err, d_lost, NULL, NULL};

static int udp_port(lc_transport *t)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ck_assert_int_eq(lc_transport_get_extra(t, LC_EXTRA_SOCKNAME, &ss, &len), 0);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

START_TEST(t_udp_roundtrip)
{
    lc_loop *loop = wt_new_loop();
    struct dg a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    lc_transport *ta, *tb;
    ck_assert_int_eq(lc_udp_endpoint(loop, "127.0.0.1", 0, NULL, 0, LC_AF_INET, &dg_proto, &a, &ta), 0);
    int pa = udp_port(ta);
    ck_assert_int_eq(lc_udp_endpoint(loop, "127.0.0.1", 0, "127.0.0.1", pa, LC_AF_INET, &dg_proto, &b, &tb), 0);
    int pb = udp_port(tb);
    wt_run_until(loop, &b.made);
    ck_assert_int_eq(a.made, 1);
    ck_assert_int_eq(lc_transport_sendto(tb, "ping", 4, NULL, 0), 0);
    wt_run_until(loop, &a.got);
    ck_assert_int_eq((int)a.len, 4);
    ck_assert_int_eq(memcmp(a.buf, "ping", 4), 0);
    ck_assert_int_eq(ntohs(((struct sockaddr_in *)&a.from)->sin_port), pb);
    /* Reply to the sender's address; an empty datagram is a datagram. */
    ck_assert_int_eq(lc_transport_sendto(ta, "", 0, (struct sockaddr *)&a.from, a.fromlen), 0);
    wt_run_until(loop, &b.got);
    ck_assert_int_eq((int)b.len, 0);
    /* An unconnected endpoint needs an address; a connected one takes none
     * other than its peer's. */
    ck_assert_int_eq(lc_transport_sendto(ta, "x", 1, NULL, 0), LC_EINVAL);
    ck_assert_int_eq(lc_transport_sendto(tb, "x", 1, (struct sockaddr *)&a.from, a.fromlen), LC_EINVAL);
    ck_assert_int_eq(lc_transport_write(ta, "x", 1), LC_EINVAL);
    /* Larger than a UDP datagram can be: refused at once (WSAEMSGSIZE),
     * dropped, and the endpoint goes on. */
    static char big[70000];
    ck_assert_int_eq(lc_transport_sendto(tb, big, sizeof big, NULL, 0), -EMSGSIZE);
    ck_assert_uint_eq(lc_transport_get_write_buffer_size(tb), 0);
    a.got = 0;
    ck_assert_int_eq(lc_transport_sendto(tb, "again", 5, NULL, 0), 0);
    wt_run_until(loop, &a.got);
    ck_assert_int_eq((int)a.len, 5);
    ck_assert_int_eq(lc_transport_close(ta), 0);
    ck_assert_int_eq(lc_transport_sendto(ta, "x", 1, (struct sockaddr *)&a.from, a.fromlen), LC_ECLOSED);
    wt_run_until(loop, &a.lost);
    ck_assert_int_eq(a.last_err, 0);
    lc_transport_close(tb);
    wt_run_until(loop, &b.lost);
    lc_loop_free(loop);
}
END_TEST

/* Windows reports an ICMP port unreachable for an earlier datagram on the
 * next receive as WSAECONNRESET, which is error_received(-ECONNRESET); the
 * endpoint keeps working.  recvfrom: "WSAECONNRESET ... On a UDP-datagram
 * socket this error indicates a previous send operation resulted in an
 * ICMP Port Unreachable message"; WSARecvFrom says the same; the
 * SIO_UDP_CONNRESET ioctl turns the report off, and it is on by default
 * ("Winsock IOCTLs"), as here and in asyncio, which leaves it alone.
 * https://learn.microsoft.com/en-us/windows/win32/api/winsock/nf-winsock-recvfrom
 * https://learn.microsoft.com/en-us/windows/win32/api/winsock2/nf-winsock2-wsarecvfrom
 * https://learn.microsoft.com/en-us/windows/win32/winsock/winsock-ioctls */
START_TEST(t_udp_port_unreachable)
{
    lc_loop *loop = wt_new_loop();
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    int len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    closesocket(s);
    struct dg d;
    memset(&d, 0, sizeof d);
    lc_transport *t;
    ck_assert_int_eq(lc_udp_endpoint(loop, NULL, 0, "127.0.0.1", ntohs(a.sin_port), LC_AF_INET,
                                     &dg_proto, &d, &t), 0);
    wt_run_until(loop, &d.made);
    /* Where the error shows depends on when the ICMP message arrives: the
     * next receive (error_received) or the next send (returned). */
    int rc = 0;
    for (int i = 0; i < 5 && rc == 0 && d.errs == 0; i++) {
        rc = lc_transport_sendto(t, "x", 1, NULL, 0);
        for (int j = 0; j < 5 && d.errs == 0; j++)
            ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
        Sleep(20);
    }
    int err = rc ? rc : d.last_err;
    fprintf(stderr, "%s: port unreachable: sendto %s, error_received %d x %s\n", wt_backend,
            lc_errname(rc), d.errs, lc_errname(d.last_err));
    /* Windows: WSAECONNRESET, strictly.  Wine 8.0 departs from it, and
     * what it does instead is asserted so that a change shows: its
     * overlapped WSARecvFrom fails with a refused connection (iocp:
     * -ECONNREFUSED), and its select never reports the error readable on
     * a UDP socket nor does its send return it (winselect: no error). */
    if (!under_wine())
        ck_assert_msg(err == -ECONNRESET, "error %s, documented ECONNRESET", lc_errname(err));
    else if (wt_is_iocp())
        ck_assert_msg(err == -ECONNREFUSED, "wine iocp: error %s, observed ECONNREFUSED before",
                      lc_errname(err));
    else
        ck_assert_msg(err == 0, "wine winselect: error %s, observed none before", lc_errname(err));
    ck_assert_int_eq(d.lost, 0);
    ck_assert_int_eq(lc_transport_is_closing(t), 0);
    lc_transport_abort(t);
    wt_run_until(loop, &d.lost);
    lc_loop_free(loop);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "child") == 0)
        return wt_child_main(argv[2]);
    static char exe[MAX_PATH];
    if (GetModuleFileNameA(NULL, exe, sizeof exe) == 0)
        return 1;
    wt_self_exe = exe;
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return 1;
    wt_backend = getenv("LC_TEST_BACKEND");
    if (wt_backend == NULL || *wt_backend == '\0')
        wt_backend = "iocp";
    lc_probe why;
    if (lc_backend_probe(wt_backend, &why) != 0 || !why.available)
        return 77;
    Suite *s = suite_create("wintransports");
    TCase *tc = tcase_create(wt_backend);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_signals_refused);
    tcase_add_test(tc, t_unix_refused);
    tcase_add_test(tc, t_tcp_echo_half_close);
    tcase_add_test(tc, t_tcp_refused);
    tcase_add_test(tc, t_tcp_reuse_port_refused);
    tcase_add_test(tc, t_tcp_adopted_server_local_addr);
    tcase_add_test(tc, t_tcp_flow_control_and_close_flushes);
    tcase_add_test(tc, t_udp_roundtrip);
    tcase_add_test(tc, t_udp_port_unreachable);
    wt_add_process_tests(tc);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
