/* Transports, continued: datagrams (UDP, AF_UNIX), pipes and PTYs. */
#include "test_transports.h"

/* ---- datagrams ---- */

struct drec {
    int made, lost, lost_err, n, errors, last_error;
    size_t last_len;
    char last[128];
    int echo;
    int stop_after;
    int stop_on_error;
};

static void d_made(lc_transport *t) { ((struct drec *)lc_transport_userdata(t))->made++; }

static void d_recv(lc_transport *t, const void *d, size_t n, const struct sockaddr *a, socklen_t al)
{
    struct drec *r = lc_transport_userdata(t);
    r->n++;
    r->last_len = n;
    memcpy(r->last, d, n < sizeof r->last ? n : sizeof r->last);
    if (r->echo) {
        char buf[160];
        int l = snprintf(buf, sizeof buf, "resp:%.*s", (int)(n < 100 ? n : 100), (const char *)d);
        ck_assert_int_eq(lc_transport_sendto(t, buf, (size_t)l, a, al), 0);
    }
    if (r->stop_after && r->n >= r->stop_after)
        lc_loop_stop(lc_transport_loop(t));
}

static void d_error(lc_transport *t, int err)
{
    struct drec *r = lc_transport_userdata(t);
    r->errors++;
    r->last_error = err;
    if (r->stop_on_error)
        lc_loop_stop(lc_transport_loop(t));
}

static void d_lost(lc_transport *t, int err)
{
    struct drec *r = lc_transport_userdata(t);
    r->lost++;
    r->lost_err = err;
}

static const lc_datagram_protocol d_proto = {d_made, d_recv, d_error, d_lost, NULL, NULL};

static void udp_echo(const char *host, int family)
{
    lc_loop *loop = new_loop();
    struct drec sr = {0}, cr = {0};
    sr.echo = 1;
    cr.stop_after = 1;
    lc_transport *st, *ct;
    ck_assert_int_eq(lc_udp_endpoint(loop, host, 0, NULL, 0, family, &d_proto, &sr, &st), 0);
    struct sockaddr_storage ss;
    socklen_t sl;
    ck_assert_int_eq(lc_transport_get_extra(st, LC_EXTRA_SOCKNAME, &ss, &sl), 0);
    int port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                             : ((struct sockaddr_in6 *)&ss)->sin6_port);
    ck_assert_int_eq(lc_udp_endpoint(loop, NULL, 0, host, port, family, &d_proto, &cr, &ct), 0);
    ck_assert_int_eq(lc_transport_sendto(ct, "xxx", 3, NULL, 0), 0);
    run(loop);
    ck_assert_int_eq(sr.n, 1);
    ck_assert_int_eq(cr.n, 1);
    ck_assert_uint_eq(cr.last_len, 8);
    ck_assert(memcmp(cr.last, "resp:xxx", 8) == 0);
    ck_assert_int_eq(sr.made + cr.made, 2);
    /* sendto without an address on an unconnected endpoint is wrong. */
    ck_assert_int_eq(lc_transport_sendto(st, "x", 1, NULL, 0), LC_EINVAL);
    lc_transport_close(st);
    lc_transport_close(ct);
    ck_assert_int_eq(lc_transport_sendto(ct, "x", 1, NULL, 0), LC_ECLOSED);
    spin(loop, 2);
    ck_assert_int_eq(sr.lost + cr.lost, 2);
    ck_assert_int_eq(sr.lost_err, 0);
    lc_loop_free(loop);
}

START_TEST(udp_echo_v4) { udp_echo("127.0.0.1", LC_AF_INET); }
END_TEST

START_TEST(udp_echo_v6)
{
    if (!have_ipv6()) {
        fprintf(stderr, "udp_echo_v6: no IPv6 loopback here, not run\n");
        return;
    }
    udp_echo("::1", LC_AF_INET6);
}
END_TEST

/* asyncio create_datagram_endpoint(sock=...): the loop takes over a bound
 * (or connected) socket as it is. */
START_TEST(udp_from_socket)
{
    lc_loop *loop = new_loop();
    int port;
    int fd = bound_loopback(SOCK_DGRAM, &port);
    struct drec r = {0};
    r.stop_after = 1;
    lc_transport *t;
    ck_assert_int_eq(lc_datagram_open(loop, fd, &d_proto, &r, &t), 0);
    ck_assert_int_eq(lc_transport_fileno(t), fd);
    ck_assert_int_eq(lc_transport_kind(t), LC_TRANSPORT_DATAGRAM);
    ck_assert_int_eq(lc_transport_sendto(t, "x", 1, NULL, 0), LC_EINVAL); /* not connected */
    /* A connected socket: datagrams go to its peer without an address. */
    int cport;
    int c = bound_loopback(SOCK_DGRAM, &cport);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    struct drec cr = {0};
    lc_transport *ct;
    ck_assert_int_eq(lc_datagram_open(loop, c, &d_proto, &cr, &ct), 0);
    ck_assert_int_eq(lc_transport_sendto(ct, "abc", 3, NULL, 0), 0);
    run(loop);
    ck_assert_int_eq(r.n, 1);
    ck_assert_uint_eq(r.last_len, 3);
    ck_assert(memcmp(r.last, "abc", 3) == 0);
    /* Already the loop's: refused. */
    lc_transport *again;
    ck_assert_int_eq(lc_datagram_open(loop, fd, &d_proto, &r, &again), LC_EBUSY);
    ck_assert_ptr_null(again);
    lc_transport_close(ct);
    lc_transport_close(t);
    spin(loop, 2);
    ck_assert_int_eq(r.lost + cr.lost, 2);
    /* A stream socket is not a datagram endpoint's: the caller keeps it. */
    int sp[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    ck_assert_int_eq(lc_datagram_open(loop, sp[0], &d_proto, &r, &t), LC_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(close(sp[0]), 0);
    close(sp[1]);
    lc_loop_free(loop);
}
END_TEST

START_TEST(udp_connected_refused)
{
    lc_loop *loop = new_loop();
    /* A port with a bound UDP socket that is then closed: nobody there. */
    int port;
    close(bound_loopback(SOCK_DGRAM, &port));
    struct drec r = {0};
    r.stop_on_error = 1;
    lc_transport *t;
    ck_assert_int_eq(lc_udp_endpoint(loop, NULL, 0, "127.0.0.1", port, LC_AF_INET, &d_proto, &r, &t),
                     0);
    ck_assert_int_eq(lc_transport_sendto(t, "x", 1, NULL, 0), 0);
    run(loop);
    ck_assert_int_eq(r.errors, 1);
    ck_assert_int_eq(r.last_error, -ECONNREFUSED);
    ck_assert(!lc_transport_is_closing(t));
    ck_assert_int_eq(lc_transport_sendto(t, "y", 1, NULL, 0), 0); /* still usable */
    lc_transport_close(t);
    spin(loop, 2);
    ck_assert_int_eq(r.lost, 1);
    lc_loop_free(loop);
}
END_TEST

START_TEST(udp_emsgsize)
{
    lc_loop *loop = new_loop();
    struct drec sr = {0}, cr = {0};
    sr.stop_after = 1;
    lc_transport *st, *ct;
    ck_assert_int_eq(lc_udp_endpoint(loop, "127.0.0.1", 0, NULL, 0, LC_AF_INET, &d_proto, &sr, &st), 0);
    struct sockaddr_storage ss;
    socklen_t sl;
    ck_assert_int_eq(lc_transport_get_extra(st, LC_EXTRA_SOCKNAME, &ss, &sl), 0);
    ck_assert_int_eq(lc_udp_endpoint(loop, NULL, 0, "127.0.0.1",
                                     ntohs(((struct sockaddr_in *)&ss)->sin_port), LC_AF_INET,
                                     &d_proto, &cr, &ct), 0);
    static char big[70000];
    ck_assert_int_eq(lc_transport_sendto(ct, big, sizeof big, NULL, 0), -EMSGSIZE);
    ck_assert(!lc_transport_is_closing(ct));
    ck_assert_int_eq(lc_transport_sendto(ct, "ok", 2, NULL, 0), 0);
    run(loop);
    ck_assert_int_eq(sr.n, 1);
    ck_assert_uint_eq(sr.last_len, 2);
    lc_loop_free(loop);
}
END_TEST

START_TEST(unix_dgram)
{
    lc_loop *loop = new_loop();
    char spath[64], cpath[64];
    snprintf(spath, sizeof spath, "/tmp/lc-test-%d-s.dgram", (int)getpid());
    snprintf(cpath, sizeof cpath, "/tmp/lc-test-%d-c.dgram", (int)getpid());
    struct drec sr = {0}, cr = {0};
    sr.echo = 1;
    cr.stop_after = 1;
    lc_transport *st, *ct;
    ck_assert_int_eq(lc_unix_datagram_endpoint(loop, spath, NULL, &d_proto, &sr, &st), 0);
    ck_assert_int_eq(lc_unix_datagram_endpoint(loop, cpath, spath, &d_proto, &cr, &ct), 0);
    ck_assert_int_eq(lc_transport_sendto(ct, "abc", 3, NULL, 0), 0);
    run(loop);
    ck_assert_int_eq(cr.n, 1);
    ck_assert(memcmp(cr.last, "resp:abc", 8) == 0);
    lc_transport_close(st);
    lc_transport_close(ct);
    spin(loop, 2);
    struct stat st_;
    ck_assert_int_eq(stat(spath, &st_), -1); /* removed on close */
    ck_assert_int_eq(stat(cpath, &st_), -1);
    lc_loop_free(loop);
}
END_TEST

/* ---- pipes ---- */

/* A pipe with its read end (or write end, if write_end) as a pipe
 * transport recording into r; r stops the loop on connection_lost. */
static lc_transport *pipe_end(lc_loop *loop, int p[2], int write_end, struct rec *r)
{
    ck_assert_int_eq(pipe(p), 0);
    r->stop_on_lost = 1;
    lc_transport *t;
    if (write_end)
        ck_assert_int_eq(lc_connect_write_pipe(loop, p[1], &rec_proto, r, &t), 0);
    else
        ck_assert_int_eq(lc_connect_read_pipe(loop, p[0], &rec_proto, r, &t), 0);
    return t;
}

START_TEST(pipe_read)
{
    lc_loop *loop = new_loop();
    int p[2];
    struct rec r = {0};
    lc_transport *t = pipe_end(loop, p, 0, &r);
    ck_assert_int_eq(lc_transport_kind(t), LC_TRANSPORT_READ_PIPE);
    ck_assert_int_eq(lc_transport_write(t, "x", 1), LC_EINVAL);
    ck_assert_int_eq(lc_transport_can_write_eof(t), 0);
    ck_assert_int_eq(write(p[1], "1", 1), 1);
    ck_assert_int_eq(write(p[1], "2345", 4), 4);
    close(p[1]);
    run(loop);
    ck_assert_uint_eq(r.len, 5);
    ck_assert_int_eq(r.eof, 1);
    ck_assert_int_eq(r.lost_err, 0);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

START_TEST(pipe_write)
{
    lc_loop *loop = new_loop();
    int p[2];
    struct rec r = {0};
    lc_transport *t = pipe_end(loop, p, 1, &r);
    ck_assert_int_eq(lc_transport_pause_reading(t), LC_EINVAL);
    /* More than the pipe holds (pipe(7): 64 KiB by default): the rest is
     * buffered and written as the reader drains. */
    size_t n = 1 << 20;
    unsigned char *msg = malloc(n), *got = malloc(n);
    fill_pattern(msg, n, 0);
    ck_assert_int_eq(lc_transport_write(t, msg, n), 0);
    ck_assert_uint_gt(lc_transport_get_write_buffer_size(t), 0);
    ck_assert_int_eq(lc_transport_write_eof(t), 0); /* closes after the flush */
    size_t have = 0;
    while (have < n) {
        spin(loop, 1);
        ssize_t k = read(p[0], got + have, n - have);
        ck_assert_int_ge(k, 0);
        have += (size_t)k;
    }
    run(loop);
    ck_assert(check_pattern(got, n));
    ck_assert_int_eq(r.lost_err, 0);
    char c;
    ck_assert_int_eq(read(p[0], &c, 1), 0);
    close(p[0]);
    free(msg);
    free(got);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

START_TEST(pipe_epipe)
{
    lc_loop *loop = new_loop();
    int p[2];
    struct rec r = {0};
    lc_transport *t = pipe_end(loop, p, 1, &r);
    close(p[0]);
    /* No SIGPIPE: the process survives and the error is reported. */
    ck_assert_int_eq(lc_transport_write(t, "x", 1), -EPIPE);
    run(loop);
    ck_assert_int_eq(r.lost_err, -EPIPE);
    lc_loop_free(loop);
}
END_TEST

START_TEST(pipe_peer_close_watched)
{
    lc_loop *loop = new_loop();
    int p[2];
    struct rec r = {0};
    pipe_end(loop, p, 1, &r);
    spin(loop, 1);
    close(p[0]);
    run(loop); /* no write: the transport notices the reader leaving */
    ck_assert_int_eq(r.lost, 1);
    ck_assert_int_eq(r.lost_err, 0);
    lc_loop_free(loop);
}
END_TEST

START_TEST(pipe_regular_file_refused)
{
    lc_loop *loop = new_loop();
    char path[64];
    snprintf(path, sizeof path, "/tmp/lc-test-%d.file", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    lc_transport *t = (lc_transport *)1;
    struct rec r = {0};
    ck_assert_int_eq(lc_connect_read_pipe(loop, fd, &rec_proto, &r, &t), LC_ENOTSUP);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(lc_connect_write_pipe(loop, fd, &rec_proto, &r, &t), LC_ENOTSUP);
    ck_assert_int_ge(fcntl(fd, F_GETFD), 0); /* still the caller's, still open */
    ck_assert_int_eq(lc_connect_read_pipe(loop, 1000000, &rec_proto, &r, &t), LC_EBADF);
    close(fd);
    lc_loop_free(loop);
}
END_TEST

/* ---- PTYs ---- */

static void raw(int fd)
{
    struct termios tio;
    ck_assert_int_eq(tcgetattr(fd, &tio), 0);
    cfmakeraw(&tio);
    ck_assert_int_eq(tcsetattr(fd, TCSANOW, &tio), 0);
}

START_TEST(pty_master_read_eio_eof)
{
    lc_loop *loop = new_loop();
    int m, s;
    ck_assert_int_eq(openpty(&m, &s, NULL, NULL, NULL), 0);
    raw(s);
    struct rec r = {0};
    r.stop_at = 5;
    lc_transport *t;
    int rc = lc_connect_read_pipe(loop, m, &rec_proto, &r, &t);
    if (rc == LC_ENOTSUP) { /* a backend that cannot poll a PTY refuses cleanly */
        close(m);
        close(s);
        lc_loop_free(loop);
        return;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(write(s, "1", 1), 1);
    ck_assert_int_eq(write(s, "2345", 4), 4);
    run(loop);
    ck_assert_uint_eq(r.len, 5);
    /* pty(7): with the slave closed, reading the master fails with EIO —
     * reported as EOF. */
    close(s);
    r.stop_on_lost = 1;
    run(loop);
    ck_assert_int_eq(r.eof, 1);
    ck_assert_int_eq(r.lost_err, 0);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

START_TEST(pty_slave_write)
{
    lc_loop *loop = new_loop();
    int m, s;
    ck_assert_int_eq(openpty(&m, &s, NULL, NULL, NULL), 0);
    raw(s);
    struct rec r = {0};
    r.stop_on_lost = 1;
    lc_transport *t;
    int rc = lc_connect_write_pipe(loop, s, &rec_proto, &r, &t);
    if (rc == LC_ENOTSUP) {
        close(m);
        close(s);
        lc_loop_free(loop);
        return;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(lc_transport_write(t, "12345", 5), 0);
    lc_transport_close(t);
    run(loop);
    char buf[16];
    ssize_t n = read(m, buf, sizeof buf);
    ck_assert_int_eq(n, 5);
    ck_assert(memcmp(buf, "12345", 5) == 0);
    close(m);
    lc_loop_free(loop);
}
END_TEST

void lc_tt_add_io_tcases(Suite *s)
{
    TCase *tc;
    tc = tcase_create("datagram");
    tcase_add_test(tc, udp_echo_v4);
    tcase_add_test(tc, udp_echo_v6);
    tcase_add_test(tc, udp_connected_refused);
    tcase_add_test(tc, udp_from_socket);
    tcase_add_test(tc, udp_emsgsize);
    tcase_add_test(tc, unix_dgram);
    suite_add_tcase(s, tc);
    tc = tcase_create("pipe");
    tcase_add_test(tc, pipe_read);
    tcase_add_test(tc, pipe_write);
    tcase_add_test(tc, pipe_epipe);
    tcase_add_test(tc, pipe_peer_close_watched);
    tcase_add_test(tc, pipe_regular_file_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("pty");
    tcase_add_test(tc, pty_master_read_eio_eof);
    tcase_add_test(tc, pty_slave_write);
    suite_add_tcase(s, tc);
}
