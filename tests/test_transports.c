/* Transports, run once per backend (ctest entries transports__<backend>,
 * the backend named by $LC_TEST_BACKEND): stream sockets, TCP and Unix
 * stream sockets here; datagrams, pipes and PTYs in test_transports_io.c. */
#include "test_transports.h"
#include "test_util.h"

const char *backend(void) { return test_backend(); }

/* $LC_TEST_LOOP_FLAGS: "completion" runs every test with the backend
 * performing stream I/O (ctest entry transports__<backend>_completion). */
unsigned loop_flags(void)
{
    const char *f = getenv("LC_TEST_LOOP_FLAGS");
    return f && strcmp(f, "completion") == 0 ? LC_LOOP_COMPLETION : 0;
}

lc_loop *new_loop(void)
{
    lc_loop *loop = NULL;
    lc_loop_options o = {0};
    o.backend = backend();
    o.flags = loop_flags();
    int rc = lc_loop_new(&loop, &o);
    ck_assert_msg(rc == 0, "lc_loop_new(%s): %s", backend(), lc_strerror(rc));
    return loop;
}

/* ---- a recording protocol ---- */

static void rec_made(lc_transport *t)
{
    struct rec *r = lc_transport_userdata(t);
    ck_assert_int_eq(r->made, 0);
    r->made++;
    r->t = t;
}

static void rec_data(lc_transport *t, const void *d, size_t n)
{
    struct rec *r = lc_transport_userdata(t);
    ck_assert_int_eq(r->made, 1);
    ck_assert_int_eq(r->eof, 0);
    if (r->len + n > r->cap) {
        r->cap = (r->len + n) * 2;
        r->data = realloc(r->data, r->cap);
        ck_assert_ptr_nonnull(r->data);
    }
    memcpy(r->data + r->len, d, n);
    r->len += n;
    if (r->echo)
        ck_assert_int_eq(lc_transport_write(t, d, n), 0);
    if (r->stop_at && r->len >= r->stop_at)
        lc_loop_stop(lc_transport_loop(t));
}

static int rec_eof(lc_transport *t)
{
    struct rec *r = lc_transport_userdata(t);
    r->eof++;
    if (r->close_on_eof) {
        if (r->reply)
            ck_assert_int_eq(lc_transport_write(t, r->reply, strlen(r->reply)), 0);
        lc_transport_close(t);
    }
    return r->keep_open;
}

static void rec_lost(lc_transport *t, int err)
{
    struct rec *r = lc_transport_userdata(t);
    ck_assert_int_eq(r->lost, 0);
    r->lost++;
    r->lost_err = err;
    r->t = NULL;
    if (r->stop_on_lost)
        lc_loop_stop(lc_transport_loop(t));
}

static void rec_pause(lc_transport *t)
{
    struct rec *r = lc_transport_userdata(t);
    r->paused++;
    r->size_at_pause = lc_transport_get_write_buffer_size(t);
}

static void rec_resume(lc_transport *t)
{
    struct rec *r = lc_transport_userdata(t);
    r->resumed++;
    r->size_at_resume = lc_transport_get_write_buffer_size(t);
}

const lc_protocol rec_proto = {rec_made, rec_data, rec_eof, rec_lost, rec_pause, rec_resume};

void rec_free(struct rec *r) { free(r->data); }

/* Run until stopped, failing after 5 s. */
static void on_guard(lc_loop *loop, void *arg)
{
    *(int *)arg = 1;
    lc_loop_stop(loop);
}

void run(lc_loop *loop)
{
    lc_timer guard = {0};
    int fired = 0;
    ck_assert_int_eq(lc_call_later(loop, &guard, 5000000000LL, on_guard, &fired), 0);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    lc_timer_cancel(&guard);
    ck_assert_msg(!fired, "the loop did not stop within 5 s");
}

/* Run a few iterations without blocking for long. */
void spin(lc_loop *loop, int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
}

void fill_pattern(unsigned char *p, size_t n, size_t off)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((off + i) * 2654435761u >> 13);
}

int check_pattern(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 2654435761u >> 13))
            return 0;
    return 1;
}

/* ---- stream over a socketpair ---- */

static void never_io(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    (void)fd;
    (void)arg;
    ck_abort_msg("a reader on a transport's fd must not be registered");
}

START_TEST(stream_socketpair)
{
    lc_loop *loop = new_loop();
    int sv[2];
    struct rec r = {0};
    r.stop_on_lost = 1;
    lc_transport *t = stream_pair(loop, 0, sv, &r);
    ck_assert_int_eq(lc_transport_kind(t), LC_TRANSPORT_STREAM);
    ck_assert_int_eq(lc_transport_fileno(t), sv[0]);
    ck_assert_int_eq(r.made, 0); /* connection_made waits for the loop */
    /* The transport owns the fd. */
    ck_assert_int_eq(lc_add_reader(loop, sv[0], never_io, NULL), LC_EBUSY);
    ck_assert_int_eq(lc_transport_write(t, "ping", 4), 0);
    ck_assert_int_eq(write(sv[1], "hello", 5), 5);
    shutdown(sv[1], SHUT_WR);
    run(loop);
    ck_assert_int_eq(r.made, 1);
    ck_assert_int_eq(r.eof, 1);
    ck_assert_int_eq(r.lost, 1);
    ck_assert_int_eq(r.lost_err, 0);
    ck_assert_uint_eq(r.len, 5);
    ck_assert(memcmp(r.data, "hello", 5) == 0);
    char buf[8];
    ck_assert_int_eq(read(sv[1], buf, sizeof buf), 4);
    ck_assert(memcmp(buf, "ping", 4) == 0);
    /* The transport closed its fd: the peer reads EOF. */
    ck_assert_int_eq(read(sv[1], buf, sizeof buf), 0);
    close(sv[1]);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

START_TEST(stream_errors)
{
    lc_loop *loop = new_loop();
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    lc_transport *t;
    struct rec r = {0};
    ck_assert_int_eq(lc_stream_open(loop, p[0], &rec_proto, &r, &t), LC_ENOTSUP);
    int sv[2];
    t = stream_pair(loop, 0, sv, &r);
    ck_assert_int_eq(lc_transport_set_write_buffer_limits(t, 10, 20), LC_EINVAL);
    size_t hi, lo;
    lc_transport_get_write_buffer_limits(t, &hi, &lo);
    ck_assert_uint_eq(hi, 64 * 1024);
    ck_assert_uint_eq(lo, 16 * 1024);
    ck_assert_int_eq(lc_transport_set_write_buffer_limits(t, -1, 1000), 0);
    lc_transport_get_write_buffer_limits(t, &hi, &lo);
    ck_assert_uint_eq(hi, 4000);
    ck_assert_uint_eq(lo, 1000);
    ck_assert_int_eq(lc_transport_sendto(t, "x", 1, NULL, 0), LC_EINVAL);
    ck_assert_int_eq(lc_transport_can_write_eof(t), 1);
    ck_assert_int_eq(lc_transport_close(t), 0);
    ck_assert(lc_transport_is_closing(t));
    ck_assert_int_eq(lc_transport_write(t, "x", 1), LC_ECLOSED);
    ck_assert_int_eq(lc_transport_close(t), 0);
    r.stop_on_lost = 1;
    run(loop);
    ck_assert_int_eq(r.made, 1);
    ck_assert_int_eq(r.lost, 1);
    ck_assert_int_eq(r.lost_err, 0);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

START_TEST(abort_drops_buffer)
{
    lc_loop *loop = new_loop();
    int sv[2];
    struct rec r = {0};
    r.stop_on_lost = 1;
    lc_transport *t = stream_pair(loop, 0, sv, &r);
    static unsigned char big[4 << 20];
    ck_assert_int_eq(lc_transport_write(t, big, sizeof big), 0);
    ck_assert_uint_gt(lc_transport_get_write_buffer_size(t), 0);
    ck_assert_int_eq(r.paused, 1);
    ck_assert_int_eq(lc_transport_abort(t), 0);
    run(loop);
    ck_assert_int_eq(r.lost, 1);
    ck_assert_int_eq(r.lost_err, 0);
    ck_assert_int_eq(r.resumed, 0);
    close(sv[1]);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

START_TEST(loop_close_delivers_lost)
{
    lc_loop *loop = new_loop();
    int sv[2];
    struct rec r = {0};
    stream_pair(loop, 0, sv, &r);
    spin(loop, 2);
    ck_assert_int_eq(r.made, 1);
    ck_assert_int_eq(lc_loop_close(loop), 0);
    ck_assert_int_eq(r.lost, 1);
    ck_assert_int_eq(r.lost_err, LC_ECLOSED);
    char c;
    ck_assert_int_eq(read(sv[1], &c, 1), 0); /* the fd was closed */
    close(sv[1]);
    lc_loop_free(loop);
}
END_TEST

/* ---- TCP ---- */

static void srv_made(lc_transport *t)
{
    rec_made(t);
    struct rec *r = lc_transport_userdata(t);
    if (r->keep_open == 2) /* pause_on_made marker */
        ck_assert_int_eq(lc_transport_pause_reading(t), 0);
}

static const lc_protocol srv_proto = {srv_made, rec_data, rec_eof, rec_lost, rec_pause, rec_resume};

int factory(lc_server *s, void *ud, const lc_protocol **proto, void **conn_ud)
{
    (void)s;
    struct srv *sv = ud;
    ck_assert_int_lt(sv->n, 8);
    struct rec *r = &sv->conns[sv->n++];
    memset(r, 0, sizeof *r);
    r->echo = sv->echo;
    r->keep_open = sv->pause_on_made ? 2 : sv->keep_open;
    r->close_on_eof = sv->close_on_eof;
    r->reply = sv->reply;
    *proto = &srv_proto;
    *conn_ud = r;
    return 0;
}

void on_connect(lc_loop *loop, lc_transport *t, int err, void *ud)
{
    struct cli *c = ud;
    c->called++;
    c->err = err;
    c->t = t;
    if (t) {
        ck_assert_int_eq(c->rec.made, 1); /* connection_made came first */
        if (c->send)
            ck_assert_int_eq(lc_transport_write(t, c->send, c->send_len), 0);
        if (c->write_eof)
            ck_assert_int_eq(lc_transport_write_eof(t), 0);
    }
    if (c->stop)
        lc_loop_stop(loop);
}

int have_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in6 a = {0};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void tcp_echo(const char *host, int family)
{
    lc_loop *loop = new_loop();
    struct srv sv = {0};
    sv.echo = 1;
    lc_server *s;
    ck_assert_int_eq(lc_tcp_server(loop, host, 0, 16, factory, &sv, &s), 0);
    int port = lc_server_port(s);
    ck_assert_int_gt(port, 0);
    size_t n = 300000;
    unsigned char *msg = malloc(n);
    fill_pattern(msg, n, 0);
    struct cli c = {0};
    c.rec.stop_at = n;
    c.send = msg;
    c.send_len = n;
    ck_assert_int_eq(lc_tcp_connect(loop, host, port, family, &rec_proto, &c.rec, on_connect), 0);
    ck_assert_int_eq(c.called, 0);
    run(loop);
    ck_assert_int_eq(c.called, 1);
    ck_assert_int_eq(c.err, 0);
    ck_assert_uint_eq(c.rec.len, n);
    ck_assert(check_pattern(c.rec.data, n));
    struct sockaddr_storage ss;
    socklen_t sl;
    ck_assert_int_eq(lc_transport_get_extra(c.t, LC_EXTRA_PEERNAME, &ss, &sl), 0);
    ck_assert_int_eq(ss.ss_family, family == LC_AF_INET6 ? AF_INET6 : AF_INET);
    ck_assert_int_eq(sv.n, 1);
    c.rec.stop_on_lost = 1;
    lc_transport_close(c.t);
    run(loop);
    ck_assert_int_eq(c.rec.lost_err, 0);
    lc_server_close(s);
    free(msg);
    rec_free(&c.rec);
    rec_free(&sv.conns[0]);
    lc_loop_free(loop);
}

START_TEST(tcp_echo_v4) { tcp_echo("127.0.0.1", LC_AF_INET); }
END_TEST

START_TEST(tcp_echo_v6)
{
    if (!have_ipv6()) {
        fprintf(stderr, "tcp_echo_v6: no IPv6 loopback here, not run\n");
        return;
    }
    tcp_echo("::1", LC_AF_INET6);
}
END_TEST

START_TEST(tcp_half_close)
{
    lc_loop *loop = new_loop();
    struct srv sv = {0};
    sv.keep_open = 1;
    sv.close_on_eof = 1;
    sv.reply = "bye";
    lc_server *s;
    ck_assert_int_eq(lc_tcp_server(loop, "127.0.0.1", 0, 0, factory, &sv, &s), 0);
    struct cli c = {0};
    c.send = "hello";
    c.send_len = 5;
    c.write_eof = 1;
    c.rec.stop_on_lost = 1;
    ck_assert_int_eq(lc_tcp_connect(loop, "127.0.0.1", lc_server_port(s), LC_AF_INET, &rec_proto,
                                    &c.rec, on_connect), 0);
    run(loop);
    /* Client: its write side shut, it still received the reply, then EOF. */
    ck_assert_int_eq(c.err, 0);
    ck_assert_uint_eq(c.rec.len, 3);
    ck_assert(memcmp(c.rec.data, "bye", 3) == 0);
    ck_assert_int_eq(c.rec.eof, 1);
    ck_assert_int_eq(c.rec.lost, 1);
    ck_assert_int_eq(c.rec.lost_err, 0);
    /* Server: got the request, then EOF, kept open to answer. */
    ck_assert_int_eq(sv.n, 1);
    ck_assert_uint_eq(sv.conns[0].len, 5);
    ck_assert_int_eq(sv.conns[0].eof, 1);
    spin(loop, 3);
    ck_assert_int_eq(sv.conns[0].lost, 1);
    lc_server_close(s);
    rec_free(&c.rec);
    rec_free(&sv.conns[0]);
    lc_loop_free(loop);
}
END_TEST

START_TEST(tcp_refused)
{
    lc_loop *loop = new_loop();
    /* A bound socket that does not listen: connecting to it is refused. */
    int port;
    int fd = bound_loopback(SOCK_STREAM, &port);
    struct cli c = {0};
    c.stop = 1;
    ck_assert_int_eq(lc_tcp_connect(loop, "127.0.0.1", port, LC_AF_INET, &rec_proto, &c.rec,
                                    on_connect), 0);
    run(loop);
    ck_assert_int_eq(c.called, 1);
    ck_assert_ptr_null(c.t);
    ck_assert_int_eq(c.err, -ECONNREFUSED);
    ck_assert_int_eq(c.rec.made, 0);
    ck_assert_int_eq(lc_tcp_connect(loop, "127.0.0.1", 0, LC_AF_INET, &rec_proto, &c.rec,
                                    on_connect), LC_EINVAL);
    close(fd);
    lc_loop_free(loop);
}
END_TEST

START_TEST(tcp_backpressure)
{
    lc_loop *loop = new_loop();
    struct srv sv = {0};
    sv.pause_on_made = 1;
    lc_server *s;
    ck_assert_int_eq(lc_tcp_server(loop, "127.0.0.1", 0, 0, factory, &sv, &s), 0);
    struct cli c = {0};
    c.stop = 1;
    ck_assert_int_eq(lc_tcp_connect(loop, "127.0.0.1", lc_server_port(s), LC_AF_INET, &rec_proto,
                                    &c.rec, on_connect), 0);
    run(loop);
    ck_assert_int_eq(c.err, 0);
    /* Write until the transport says pause: the server reads nothing. */
    size_t chunk = 32768, sent = 0;
    unsigned char *buf = malloc(chunk);
    while (!c.rec.paused && sent < (256u << 20)) {
        fill_pattern(buf, chunk, sent);
        ck_assert_int_eq(lc_transport_write(c.t, buf, chunk), 0);
        sent += chunk;
        spin(loop, 1);
    }
    ck_assert_int_eq(c.rec.paused, 1);
    ck_assert_uint_gt(c.rec.size_at_pause, 64 * 1024);
    ck_assert_int_eq(c.rec.resumed, 0);
    /* The server reads again: everything arrives, in order, and the writer
     * is resumed once at the low water mark. */
    spin(loop, 2);
    ck_assert_int_eq(sv.n, 1);
    ck_assert_int_eq(lc_transport_is_reading(sv.conns[0].t), 0);
    sv.conns[0].stop_at = sent;
    ck_assert_int_eq(lc_transport_resume_reading(sv.conns[0].t), 0);
    run(loop);
    ck_assert_uint_eq(sv.conns[0].len, sent);
    ck_assert(check_pattern(sv.conns[0].data, sent));
    ck_assert_int_eq(c.rec.resumed, 1);
    ck_assert_uint_le(c.rec.size_at_resume, 16 * 1024);
    ck_assert_uint_eq(lc_transport_get_write_buffer_size(c.t), 0);
    lc_server_close(s);
    free(buf);
    rec_free(&c.rec);
    rec_free(&sv.conns[0]);
    lc_loop_free(loop);
}
END_TEST

/* accept(2) failing with EMFILE: the server stops listening for a second
 * instead of spinning on the ready socket, then accepts (asyncio's
 * ACCEPT_RETRY_DELAY). */
static void stop_cb(lc_loop *loop, void *arg)
{
    (void)arg;
    lc_loop_stop(loop);
}

START_TEST(tcp_accept_emfile_backoff)
{
    lc_loop *loop = new_loop();
    struct srv sv = {0};
    lc_server *s;
    ck_assert_int_eq(lc_tcp_server(loop, "127.0.0.1", 0, 0, factory, &sv, &s), 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)lc_server_port(s));
    ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0); /* in the backlog */
    struct rlimit old, low;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    int next = dup(0);
    ck_assert_int_ge(next, 0);
    close(next);
    low = old;
    low.rlim_cur = (rlim_t)next; /* no new fd can be made */
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    lc_timer t = {0};
    uint64_t it0 = lc_loop_iterations(loop);
    int64_t t0 = lc_time_ns();
    ck_assert_int_eq(lc_call_later(loop, &t, 300000000, stop_cb, NULL), 0);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    uint64_t iterations = lc_loop_iterations(loop) - it0;
    ck_assert_int_eq(sv.n, 0);
    ck_assert_msg(iterations < 20, "%llu iterations in 300 ms: the loop spins on EMFILE",
                  (unsigned long long)iterations);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    ck_assert_int_eq(lc_call_later(loop, &t, 3000000000LL, stop_cb, NULL), 0);
    while (sv.n == 0 && lc_timer_pending(&t))
        ck_assert_int_eq(lc_loop_run_once(loop, 1), 0);
    int64_t waited = lc_time_ns() - t0;
    lc_timer_cancel(&t);
    ck_assert_int_eq(sv.n, 1);
    ck_assert_msg(waited >= 900000000, "accepted after %lld ns: retried before the 1 s delay",
                  (long long)waited);
    close(c);
    spin(loop, 3);
    lc_server_close(s);
    rec_free(&sv.conns[0]);
    lc_loop_free(loop);
}
END_TEST

/* ---- Unix stream sockets ---- */

static void unix_echo_at(const char *path)
{
    lc_loop *loop = new_loop();
    struct srv sv = {0};
    sv.echo = 1;
    lc_server *s;
    ck_assert_int_eq(lc_unix_server(loop, path, 0, factory, &sv, &s), 0);
    ck_assert_int_eq(lc_server_port(s), -1);
    struct cli c = {0};
    c.send = "abc";
    c.send_len = 3;
    c.rec.stop_at = 3;
    ck_assert_int_eq(lc_unix_connect(loop, path, &rec_proto, &c.rec, on_connect), 0);
    run(loop);
    ck_assert_int_eq(c.err, 0);
    ck_assert_uint_eq(c.rec.len, 3);
    ck_assert(memcmp(c.rec.data, "abc", 3) == 0);
    lc_transport_abort(c.t);
    lc_server_close(s);
    spin(loop, 3);
    ck_assert_int_eq(c.rec.lost, 1);
    rec_free(&c.rec);
    rec_free(&sv.conns[0]);
    lc_loop_free(loop);
}

START_TEST(unix_stream_echo)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/lc-test-%d.sock", (int)getpid());
    unix_echo_at(path);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), -1); /* the server removed its socket file */
}
END_TEST

START_TEST(unix_abstract)
{
    char name[64];
    snprintf(name, sizeof name, "@lc-test-%d", (int)getpid());
    unix_echo_at(name);
}
END_TEST

START_TEST(unix_too_long)
{
    lc_loop *loop = new_loop();
    char path[200];
    memset(path, 'a', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    lc_server *s;
    struct srv sv = {0};
    struct cli c = {0};
    ck_assert_int_eq(lc_unix_server(loop, path, 0, factory, &sv, &s), LC_ENAMETOOLONG);
    ck_assert_int_eq(lc_unix_connect(loop, path, &rec_proto, &c.rec, on_connect), LC_ENAMETOOLONG);
    /* sun_path holds 108 bytes with the terminator: 108 characters do not fit. */
    struct sockaddr_un sun;
    path[sizeof sun.sun_path] = '\0';
    ck_assert_int_eq(lc_unix_connect(loop, path, &rec_proto, &c.rec, on_connect), LC_ENAMETOOLONG);
    /* The abstract namespace has no terminator: '@' + 107 bytes fit. */
    path[0] = '@';
    ck_assert_int_eq(lc_unix_server(loop, path, 0, factory, &sv, &s), 0);
    lc_server_close(s);
    path[sizeof sun.sun_path] = 'a';
    path[sizeof sun.sun_path + 1] = '\0';
    ck_assert_int_eq(lc_unix_server(loop, path, 0, factory, &sv, &s), LC_ENAMETOOLONG);
    c.stop = 1;
    ck_assert_int_eq(lc_unix_connect(loop, "/nonexistent/lc.sock", &rec_proto, &c.rec, on_connect), 0);
    run(loop);
    ck_assert_int_eq(c.err, -ENOENT);
    lc_loop_free(loop);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("transports");
    TCase *tc = tcase_create("stream");
    tcase_add_test(tc, stream_socketpair);
    tcase_add_test(tc, stream_errors);
    tcase_add_test(tc, abort_drops_buffer);
    tcase_add_test(tc, loop_close_delivers_lost);
    suite_add_tcase(s, tc);
    tc = tcase_create("tcp");
    tcase_add_test(tc, tcp_echo_v4);
    tcase_add_test(tc, tcp_echo_v6);
    tcase_add_test(tc, tcp_half_close);
    tcase_add_test(tc, tcp_refused);
    tcase_add_test(tc, tcp_backpressure);
    tcase_add_test(tc, tcp_accept_emfile_backoff);
    suite_add_tcase(s, tc);
    tc = tcase_create("unix");
    tcase_add_test(tc, unix_stream_echo);
    tcase_add_test(tc, unix_abstract);
    tcase_add_test(tc, unix_too_long);
    suite_add_tcase(s, tc);
    lc_tt_add_io_tcases(s);
    lc_tt_add_mode_tcases(s);
    lc_tt_add_open_tcases(s);
    lc_tt_add_net_tcases(s);
    return s;
}

int main(void)
{
    lc_probe why;
    if (lc_backend_probe(backend(), &why) < 0 || !why.available) {
        fprintf(stderr, "backend %s not available: %s\n", backend(), why.message);
        return 77;
    }
    if (loop_flags() & ~lc_backend_loop_flags(backend())) {
        fprintf(stderr, "backend %s has no completion mode\n", backend());
        return 77;
    }
    return test_run_suite(suite());
}
