/* tcp: connections and servers (asyncio create_connection /
 * create_server), half-close, refused connections, flow control.
 *
 * tcp(7) and connect(2): a non-blocking connect reports completion by
 * writability and SO_ERROR; a port nobody listens on answers with a reset,
 * ECONNREFUSED.  shutdown(2) SHUT_WR sends FIN: the peer reads EOF while
 * the other direction stays open (asyncio's write_eof / eof_received
 * returning true). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case_transport.h"

static lc_server *server(lc_case_ctx *ctx, lc_loop *loop, lc__srv *sv)
{
    lc_server *s = NULL;
    int rc = lc_tcp_server(loop, "127.0.0.1", 0, 16, lc__srv_factory, sv, &s);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "tcp_server on 127.0.0.1");
        return NULL;
    }
    return s;
}

/* Connect a client and run until its callback. 0 on success. */
static int connect_client(lc_case_ctx *ctx, lc_loop *loop, lc_server *s, lc__conn *c)
{
    lc__rec_init(&c->rec);
    int rc = lc_tcp_connect(loop, "127.0.0.1", lc_server_port(s), LC_AF_INET, &lc__rec_protocol,
                            c, lc__conn_cb);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "tcp_connect");
        return -1;
    }
    if (!lc__case_wait(loop, LC__MS(2000)) || c->err < 0) {
        lc_case_fail(ctx, "connect: %s", c->called ? lc_errname(c->err) : "no callback within 2 s");
        return -1;
    }
    return 0;
}

static void tcp_echo(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__srv sv = {0};
    sv.echo = 1;
    lc__conn c = {0};
    lc_server *s = server(ctx, loop, &sv);
    if (s == NULL)
        return;
    size_t n = 256 * 1024;
    unsigned char *msg = malloc(n);
    if (msg && connect_client(ctx, loop, s, &c) == 0) {
        lc__pattern_fill(msg, n, 0);
        c.rec.stop_at = n;
        int rc = lc_transport_write(c.t, msg, n);
        int in_time = rc == 0 && lc__case_wait(loop, LC__MS(5000));
        size_t bad = lc__pattern_check(c.rec.data, c.rec.len);
        lc_case_measure_counter(ctx, "bytes_echoed", (long long)c.rec.len, "byte");
        if (!in_time || c.rec.len != n)
            lc_case_fail(ctx, "%zu of %zu bytes came back (write %s)", c.rec.len, n,
                         lc_errname(rc));
        else if (bad != n || !c.rec.order_ok)
            lc_case_fail(ctx, "byte %zu of the echo differs", bad);
        else
            lc_case_pass(ctx, "%zu bytes echoed in order over 127.0.0.1", n);
    } else if (msg == NULL) {
        lc_case_fail(ctx, "out of memory");
    }
    free(msg);
    lc__case_net_finish(loop, &c, s, &sv);
}

/* The client sends and shuts its write side; the server sees EOF, keeps
 * the connection open, answers and closes; the client reads the answer,
 * then EOF, then connection_lost(0). */
static void tcp_half_close(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__srv sv = {0};
    sv.keep_open = 1;
    sv.eof_reply = "bye";
    lc__conn c = {0};
    lc_server *s = server(ctx, loop, &sv);
    if (s == NULL)
        return;
    if (connect_client(ctx, loop, s, &c) == 0) {
        c.rec.stop_on_lost = 1;
        int rc = lc_transport_write(c.t, "hello", 5);
        int rc2 = lc_transport_write_eof(c.t);
        int in_time = rc == 0 && rc2 == 0 && lc__case_wait(loop, LC__MS(3000));
        lc__rec *srv = sv.n ? &sv.conns[0] : NULL;
        if (rc < 0 || rc2 < 0)
            lc_case_fail(ctx, "write %s, write_eof %s", lc_errname(rc), lc_errname(rc2));
        else if (!in_time)
            lc_case_fail(ctx, "no connection_lost on the client within 3 s (got %zu bytes, eof %d)",
                         c.rec.len, c.rec.eof);
        else if (srv == NULL || srv->len != 5 || srv->eof != 1)
            lc_case_fail(ctx, "server: %zu bytes, eof %d", srv ? srv->len : 0,
                         srv ? srv->eof : 0);
        else if (c.rec.len != 3 || memcmp(c.rec.data, "bye", 3) != 0 || c.rec.eof != 1 ||
                 c.rec.lost_err != 0 || !c.rec.order_ok)
            lc_case_fail(ctx, "client after write_eof: %zu bytes, eof %d, connection_lost(%s)",
                         c.rec.len, c.rec.eof, lc_errname(c.rec.lost_err));
        else
            lc_case_pass(ctx, "write_eof: server read EOF and answered over the open half");
    }
    lc__case_net_finish(loop, &c, s, &sv);
}

static void tcp_connect_refused(lc_case_ctx *ctx, lc_loop *loop)
{
    /* A bound socket that does not listen: connections to it are refused. */
    int port;
    int fd = lc__case_loopback_socket(ctx, SOCK_STREAM, &port, "reserving a port");
    if (fd < 0)
        return;
    lc__conn c = {0};
    lc__rec_init(&c.rec);
    int rc = lc_tcp_connect(loop, "127.0.0.1", port, LC_AF_INET, &lc__rec_protocol, &c, lc__conn_cb);
    int in_time = rc == 0 && lc__case_wait(loop, LC__MS(2000));
    close(fd);
    lc_case_evidence(ctx, "connect_result", c.called ? lc_errname(c.err) : lc_errname(rc));
    if (rc < 0)
        lc__case_transport_error(ctx, loop, rc, "tcp_connect");
    else if (!in_time || c.called != 1)
        lc_case_fail(ctx, "no connect callback within 2 s");
    else if (c.err != -ECONNREFUSED || c.t != NULL || c.rec.made)
        lc_case_fail(ctx, "connect callback: %s, transport %s", lc_errname(c.err),
                     c.t ? "created" : "none");
    else
        lc_case_pass(ctx, "connect callback with ECONNREFUSED, no transport");
    if (c.t)
        lc__rec_finish(loop, &c.rec, 1);
    lc__rec_free(&c.rec);
}

/* The server pauses reading; the client writes until pause_writing (above
 * the 64 KiB high water mark); the server resumes; every byte arrives in
 * order and resume_writing comes at the low water mark. */
static void tcp_backpressure(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__srv sv = {0};
    lc__conn c = {0};
    lc_server *s = server(ctx, loop, &sv);
    if (s == NULL)
        return;
    size_t chunk = 32768, sent = 0, cap = 64u << 20;
    unsigned char *buf = malloc(chunk);
    if (buf == NULL || connect_client(ctx, loop, s, &c) < 0)
        goto out;
    for (int i = 0; i < 5 && sv.n == 0; i++)
        lc_loop_run_once(loop, 0);
    lc__rec *srv = sv.n ? &sv.conns[0] : NULL;
    if (srv == NULL || srv->t == NULL) {
        lc_case_fail(ctx, "the server side has no transport");
        goto out;
    }
    lc_transport_pause_reading(srv->t);
    size_t high, low;
    lc_transport_get_write_buffer_limits(c.t, &high, &low);
    int rc = 0;
    while (!c.rec.paused && sent < cap && rc == 0) {
        lc__pattern_fill(buf, chunk, sent);
        if ((rc = lc_transport_write(c.t, buf, chunk)) == 0)
            sent += chunk;
        lc_loop_run_once(loop, 0);
    }
    if (!c.rec.paused) {
        lc_case_fail(ctx, "no pause_writing after %zu bytes (%s)", sent, lc_errname(rc));
        goto out;
    }
    lc_case_measure_value(ctx, "buffer_at_pause", (double)c.rec.size_at_pause, "byte");
    lc_case_measure_counter(ctx, "bytes_sent", (long long)sent, "byte");
    srv->stop_at = sent;
    lc_transport_resume_reading(srv->t);
    int in_time = lc__case_wait(loop, LC__MS(10000));
    size_t bad = lc__pattern_check(srv->data, srv->len);
    if (!in_time || srv->len != sent)
        lc_case_fail(ctx, "the server got %zu of %zu bytes", srv->len, sent);
    else if (bad != sent)
        lc_case_fail(ctx, "byte %zu differs: out of order or corrupted", bad);
    else if (c.rec.size_at_pause <= high)
        lc_case_fail(ctx, "pause_writing at %zu bytes, high water mark %zu", c.rec.size_at_pause,
                     high);
    else if (c.rec.resumed != 1 || c.rec.size_at_resume > low)
        lc_case_fail(ctx, "resume_writing %d time(s), at %zu bytes (low water mark %zu)",
                     c.rec.resumed, c.rec.size_at_resume, low);
    else
        lc_case_pass(ctx, "pause at %zu > %zu, resume at %zu <= %zu; %zu bytes in order",
                     c.rec.size_at_pause, high, c.rec.size_at_resume, low, sent);
out:
    free(buf);
    lc__case_net_finish(loop, &c, s, &sv);
}

const lc_case lc_cases_tcp[] = {
    {"tcp/echo", "TCP server and connection on 127.0.0.1: 256 KiB echoed in order", tcp_echo, 0,
     NULL, 0},
    {"tcp/half-close", "write_eof: the peer reads EOF, answers over the open half, then closes",
     tcp_half_close, 0, NULL, 0},
    {"tcp/connect-refused", "connecting to a port without a listener: ECONNREFUSED in the connect callback",
     tcp_connect_refused, 0, NULL, 0},
    {"tcp/backpressure", "pause_writing/resume_writing at the water marks; every byte arrives in order",
     tcp_backpressure, 0, NULL, 0},
    {0},
};
