/* libuv TCP ping-pong: uv_tcp_open on the connected fds, uv_read_start,
 * and uv_try_write with uv_write for what it did not take (libuv's own
 * ping_pongs benchmark shape, both ends in one loop; the try first is how a
 * libuv program skips a request and a deferred callback per write). */
#include "../bench_util.h"
#include "../workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct uv_pp {
    uv_loop_t loop;
    uv_tcp_t client, server;
    uv_write_t creq, sreq;
    char rbuf[65536], echo[65536];
    long rts;
    size_t got;
    int64_t deadline;
};

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct uv_pp *s = h->loop->data;
    buf->base = s->rbuf;
    buf->len = sizeof s->rbuf;
}

static void write_cb(uv_write_t *req, int status)
{
    (void)req;
    (void)status;
}

/* One message in flight per direction: req and the bytes stay valid until
 * the write callback. */
static void send_msg(uv_stream_t *st, uv_write_t *req, const char *data, size_t n)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)n);
    int sent = uv_try_write(st, &b, 1);
    if (sent == (int)n)
        return;
    size_t off = sent > 0 ? (size_t)sent : 0;
    b = uv_buf_init((char *)data + off, (unsigned)(n - off));
    uv_write(req, st, &b, 1, write_cb);
}

static void client_write(struct uv_pp *s)
{
    send_msg((uv_stream_t *)&s->client, &s->creq, LCB_PING, LCB_PING_LEN);
}

static void client_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    struct uv_pp *s = st->loop->data;
    if (n <= 0) {
        if (n < 0)
            uv_stop(st->loop);
        return;
    }
    s->got += (size_t)n;
    while (s->got >= LCB_PING_LEN) {
        s->got -= LCB_PING_LEN;
        s->rts++;
    }
    if (s->got)
        return;
    if (lcb_now_ns() >= s->deadline)
        uv_stop(st->loop);
    else
        client_write(s);
}

static void server_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct uv_pp *s = st->loop->data;
    if (n <= 0) {
        if (n < 0)
            uv_stop(st->loop);
        return;
    }
    /* One message in flight: the echo buffer is free again by now. */
    memcpy(s->echo, buf->base, (size_t)n);
    send_msg(st, &s->sreq, s->echo, (size_t)n);
}

int lcb_uv_pingpong(int cfd, int sfd, double seconds, long *rts, double *elapsed_ns, char *why, size_t len)
{
    struct uv_pp *s = calloc(1, sizeof *s);
    if (s == NULL || uv_loop_init(&s->loop) != 0) {
        free(s);
        snprintf(why, len, "uv_loop_init failed");
        close(cfd);
        close(sfd);
        return -1;
    }
    s->loop.data = s;
    uv_tcp_init(&s->loop, &s->client);
    uv_tcp_init(&s->loop, &s->server);
    uv_tcp_open(&s->client, cfd);
    uv_tcp_open(&s->server, sfd);
    uv_read_start((uv_stream_t *)&s->client, alloc_cb, client_read);
    uv_read_start((uv_stream_t *)&s->server, alloc_cb, server_read);
    int64_t t0 = lcb_now_ns();
    s->deadline = t0 + (int64_t)(seconds * 1e9);
    client_write(s);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    *rts = s->rts;
    uv_close((uv_handle_t *)&s->client, NULL);
    uv_close((uv_handle_t *)&s->server, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    free(s);
    return 0;
}
