#include "case_transport.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void rec_made(lc_transport *t)
{
    lc__rec *r = lc_transport_userdata(t);
    if (r->made || r->lost)
        r->order_ok = 0;
    r->made++;
    r->t = t;
    if (r->stop_on_made)
        lc_loop_stop(lc_transport_loop(t));
}

static void rec_data(lc_transport *t, const void *d, size_t n)
{
    lc__rec *r = lc_transport_userdata(t);
    if (!r->made || r->eof || r->lost || n == 0)
        r->order_ok = 0;
    if (r->len + n > r->cap) {
        size_t ncap = (r->len + n) * 2;
        unsigned char *nd = realloc(r->data, ncap);
        if (nd == NULL) {
            r->order_ok = 0;
            return;
        }
        r->data = nd;
        r->cap = ncap;
    }
    memcpy(r->data + r->len, d, n);
    r->len += n;
    if (r->echo && lc_transport_write(t, d, n) < 0)
        r->order_ok = 0;
    if (r->stop_at && r->len >= r->stop_at)
        lc_loop_stop(lc_transport_loop(t));
}

static int rec_eof(lc_transport *t)
{
    lc__rec *r = lc_transport_userdata(t);
    if (!r->made || r->eof || r->lost)
        r->order_ok = 0;
    r->eof++;
    if (r->eof_reply) {
        if (lc_transport_write(t, r->eof_reply, strlen(r->eof_reply)) < 0)
            r->order_ok = 0;
        lc_transport_close(t);
    }
    if (r->stop_on_eof)
        lc_loop_stop(lc_transport_loop(t));
    return r->keep_open;
}

static void rec_lost(lc_transport *t, int err)
{
    lc__rec *r = lc_transport_userdata(t);
    if (!r->made || r->lost)
        r->order_ok = 0;
    r->lost++;
    r->lost_err = err;
    r->t = NULL;
    if (r->stop_on_lost)
        lc_loop_stop(lc_transport_loop(t));
}

static void rec_pause(lc_transport *t)
{
    lc__rec *r = lc_transport_userdata(t);
    r->paused++;
    r->size_at_pause = lc_transport_get_write_buffer_size(t);
    /* pause_writing runs inside write(): stop only a running loop (a stop
     * before run would cut the next run short). */
    if (r->stop_on_pause && lc_loop_is_running(lc_transport_loop(t)))
        lc_loop_stop(lc_transport_loop(t));
}

static void rec_resume(lc_transport *t)
{
    lc__rec *r = lc_transport_userdata(t);
    r->resumed++;
    r->size_at_resume = lc_transport_get_write_buffer_size(t);
}

const lc_protocol lc__rec_protocol = {rec_made, rec_data, rec_eof, rec_lost, rec_pause, rec_resume};

void lc__rec_init(lc__rec *r)
{
    memset(r, 0, sizeof *r);
    r->order_ok = 1;
}

void lc__rec_free(lc__rec *r)
{
    free(r->data);
    r->data = NULL;
    r->len = r->cap = 0;
}

int lc__case_wait(lc_loop *loop, int64_t limit_ns)
{
    int fired = 0;
    int rc = lc__case_run_guarded(loop, limit_ns, &fired);
    return rc == 0 && !fired;
}

void lc__rec_finish(lc_loop *loop, lc__rec *r, int abort)
{
    if (r->t == NULL || r->lost)
        return;
    r->stop_on_lost = 1;
    if (abort)
        lc_transport_abort(r->t);
    else
        lc_transport_close(r->t);
    lc__case_wait(loop, LC__MS(1000));
}

void lc__case_transport_error(lc_case_ctx *ctx, lc_loop *loop, int rc, const char *what)
{
    if (rc == LC_ENOTSUP)
        lc__case_report_add_failure(ctx, loop, rc, what);
    else
        lc_case_fail(ctx, "%s failed: %s (%s)", what, lc_strerror(rc), lc_errname(rc));
}

int lc__case_stream_on_pair(lc_case_ctx *ctx, lc_loop *loop, const int sv[2], lc__rec *r,
                            lc_transport **t)
{
    lc__rec_init(r);
    *t = NULL;
    int rc = lc_stream_open(loop, sv[0], &lc__rec_protocol, r, t);
    if (rc < 0) {
        close(sv[0]);
        close(sv[1]);
        lc__rec_free(r);
        lc__case_transport_error(ctx, loop, rc, "lc_stream_open");
    }
    return rc;
}

int lc__case_pipe_open(lc_case_ctx *ctx, lc_loop *loop, int for_write, int fd, int other_fd, lc__rec *r,
                       lc_transport **t, const char *what)
{
    int rc = for_write ? lc_connect_write_pipe(loop, fd, &lc__rec_protocol, r, t)
                       : lc_connect_read_pipe(loop, fd, &lc__rec_protocol, r, t);
    if (rc < 0) {
        close(fd);
        if (other_fd >= 0)
            close(other_fd);
        lc__case_transport_error(ctx, loop, rc, what);
    }
    return rc;
}

int lc__case_loopback_socket(lc_case_ctx *ctx, int type, int *port, const char *what)
{
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
        lc_case_fail(ctx, "%s: %s", what, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

void lc__pattern_fill(unsigned char *p, size_t n, size_t offset)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(((offset + i) * 2654435761u) >> 13);
}

size_t lc__pattern_check(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)((i * 2654435761u) >> 13))
            return i;
    return n;
}

int lc__have_ipv6_loopback(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

void lc__conn_cb(lc_loop *loop, lc_transport *t, int err, void *ud)
{
    lc__conn *c = ud;
    c->called++;
    c->err = err;
    c->t = t;
    lc_loop_stop(loop);
}

int lc__srv_factory(lc_server *s, void *ud, const lc_protocol **proto, void **conn_ud)
{
    (void)s;
    lc__srv *sv = ud;
    if (sv->n == (int)(sizeof sv->conns / sizeof sv->conns[0])) {
        sv->refused++;
        return -1;
    }
    lc__rec *r = &sv->conns[sv->n++];
    lc__rec_init(r);
    r->echo = sv->echo;
    r->keep_open = sv->keep_open;
    r->eof_reply = sv->eof_reply;
    *proto = &lc__rec_protocol;
    *conn_ud = r;
    return 0;
}

void lc__srv_free(lc__srv *s)
{
    for (int i = 0; i < s->n; i++)
        lc__rec_free(&s->conns[i]);
}

int lc__case_tcp_dial(lc_case_ctx *ctx, lc_loop *loop, const char *host, int port, int family,
                      const lc_tcp_connect_options *opts, lc__conn *c, int limit_ms)
{
    lc__rec_init(&c->rec);
    int rc = lc_tcp_connect_ex(loop, host, port, family, opts, &lc__rec_protocol, c, lc__conn_cb);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "tcp_connect");
        return 0;
    }
    int64_t end = lc_time_ns() + LC__MS(limit_ms);
    while (!c->called && lc_time_ns() < end)
        lc__case_wait(loop, end - lc_time_ns());
    if (!c->called) {
        lc_case_fail(ctx, "connect to %s port %d: no callback within %d ms", host, port, limit_ms);
        return 0;
    }
    return 1;
}

void lc__case_net_finish(lc_loop *loop, lc__conn *c, lc_server *s, lc__srv *sv)
{
    if (c) {
        lc__rec_finish(loop, &c->rec, 1);
        lc__rec_free(&c->rec);
    }
    for (int i = 0; i < sv->n; i++)
        lc__rec_finish(loop, &sv->conns[i], 1);
    if (s)
        lc_server_close(s);
    lc__srv_free(sv);
}

static void deadline_cb(lc_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
}

int lc__case_wait_accepted(lc_loop *loop, const lc__srv *sv, int n, int limit_ms)
{
    lc_timer t = {0};
    if (lc_call_later(loop, &t, LC__MS(limit_ms), deadline_cb, NULL) < 0)
        return sv->n >= n;
    while (sv->n < n && lc_timer_pending(&t) && lc_loop_run_once(loop, 1) == 0)
        ;
    lc_timer_cancel(&t);
    return sv->n >= n;
}

int lc__sockaddr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return -1;
}

int lc__case_write_no_reader(lc_case_ctx *ctx, lc_loop *loop, lc_transport *t, const lc__rec *b,
                             int reader_fd)
{
    close(reader_fd);
    int wrc = lc_transport_write(t, "x", 1);
    int in_time = lc__case_wait(loop, LC__MS(2000));
    lc_case_evidence(ctx, "write_result", lc_errname(wrc));
    lc_case_evidence(ctx, "connection_lost", in_time ? lc_errname(b->lost_err) : "none");
    if (!in_time || b->lost != 1)
        lc_case_fail(ctx, "no connection_lost after writing to a pipe without readers");
    else if (b->lost_err != -EPIPE)
        lc_case_fail(ctx, "connection_lost(%s), expected EPIPE", lc_errname(b->lost_err));
    else
        return 1;
    return 0;
}

int lc__case_write_until_paused(lc_case_ctx *ctx, lc_transport *t, const lc__rec *r,
                                unsigned char *out, size_t chunk, size_t cap, size_t *sent)
{
    int rc = 0;
    while (out && !r->paused && *sent < cap && !lc_transport_is_closing(t)) {
        lc__pattern_fill(out, chunk, *sent);
        if ((rc = lc_transport_write(t, out, chunk)) < 0)
            break;
        *sent += chunk;
    }
    if (!out || rc < 0 || !r->paused) {
        lc_case_fail(ctx, "no pause_writing after %zu bytes (write: %s)", *sent, lc_errname(rc));
        return -1;
    }
    lc_case_measure_value(ctx, "buffer_at_pause", (double)r->size_at_pause, "byte");
    return 0;
}

void lc__case_backpressure_verdict(lc_case_ctx *ctx, const lc__rec *r, int in_time, size_t sent,
                                   const unsigned char *in, size_t got, size_t high, size_t low)
{
    size_t bad = lc__pattern_check(in, got);
    lc_case_measure_counter(ctx, "bytes_sent", (long long)sent, "byte");
    lc_case_measure_counter(ctx, "bytes_received", (long long)got, "byte");
    if (!in_time || got != sent)
        lc_case_fail(ctx, "received %zu of %zu bytes", got, sent);
    else if (bad != got)
        lc_case_fail(ctx, "byte %zu differs: data out of order or corrupted", bad);
    else if (r->size_at_pause <= high)
        lc_case_fail(ctx, "pause_writing at %zu bytes buffered, high water mark %zu",
                     r->size_at_pause, high);
    else if (r->resumed != 1 || r->size_at_resume > low)
        lc_case_fail(ctx, "resume_writing called %d times, at %zu bytes (low water mark %zu)",
                     r->resumed, r->size_at_resume, low);
    else
        lc_case_pass(ctx, "pause_writing at %zu > %zu bytes, resume_writing at %zu <= %zu; "
                     "%zu bytes in order", r->size_at_pause, high, r->size_at_resume, low, sent);
}
