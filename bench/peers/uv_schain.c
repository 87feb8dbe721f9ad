/* libuv stream chain: uv_pipe_open on each socketpair fd, uv_read_start on
 * the read ends, uv_try_write to the next write end and uv_write for what
 * it did not take.  uv_write keeps the caller's buffer until its callback,
 * so that rest is copied into a request from a free list (no allocation
 * once the list is warm). */
#include "../bench_util.h"
#include "../workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define RBUF (64 * 1024)

struct wreq {
    uv_write_t req;
    struct wreq *next;
    char data[RBUF];
};

struct uv_schain {
    uv_loop_t loop;
    uv_pipe_t *rd, *wr;
    struct lcb_schain *c;
    struct wreq *free_reqs;
    int nopen;
    char rbuf[RBUF];
};

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct uv_schain *s = h->loop->data;
    buf->base = s->rbuf;
    buf->len = sizeof s->rbuf;
}

static void write_cb(uv_write_t *req, int status)
{
    (void)status;
    struct uv_schain *s = req->handle->loop->data;
    struct wreq *w = (struct wreq *)req;
    w->next = s->free_reqs;
    s->free_reqs = w;
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct uv_schain *s = st->loop->data;
    if (n <= 0)
        return;
    size_t fwd = lcb_schain_received(s->c, (size_t)n);
    if (fwd == 0)
        return;
    int idx = (int)(intptr_t)st->data;
    int next = idx + 1 < s->c->n ? idx + 1 : 0;
    /* libuv's fast path first: uv_try_write sends what the socket takes
     * without a request or a deferred callback; only the rest is queued
     * with uv_write. */
    uv_buf_t tb = uv_buf_init((char *)buf->base, (unsigned)fwd);
    int sent = uv_try_write((uv_stream_t *)&s->wr[next], &tb, 1);
    if (sent == (int)fwd)
        return;
    size_t off = sent > 0 ? (size_t)sent : 0;
    struct wreq *w = s->free_reqs;
    if (w)
        s->free_reqs = w->next;
    else if ((w = malloc(sizeof *w)) == NULL)
        return;
    memcpy(w->data, buf->base + off, fwd - off);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)(fwd - off));
    uv_write(&w->req, (uv_stream_t *)&s->wr[next], &b, 1, write_cb);
}

static void uv_schain_stop(void *st)
{
    struct uv_schain *s = st;
    for (int i = 0; i < s->nopen; i++) {
        uv_close((uv_handle_t *)&s->rd[i], NULL);
        uv_close((uv_handle_t *)&s->wr[i], NULL);
    }
    uv_run(&s->loop, UV_RUN_DEFAULT); /* closes the fds, cancels the writes */
    uv_loop_close(&s->loop);
    while (s->free_reqs) {
        struct wreq *w = s->free_reqs;
        s->free_reqs = w->next;
        free(w);
    }
    free(s->rd);
    free(s->wr);
    free(s);
}

static void *uv_schain_start(struct lcb_schain *c, char *why, size_t len)
{
    struct uv_schain *s = calloc(1, sizeof *s);
    if (s == NULL || uv_loop_init(&s->loop) != 0) {
        snprintf(why, len, "uv_loop_init failed");
        free(s);
        return NULL;
    }
    s->loop.data = s;
    s->c = c;
    s->rd = calloc((size_t)c->n, sizeof *s->rd);
    s->wr = calloc((size_t)c->n, sizeof *s->wr);
    int rc = 0;
    for (int i = 0; i < c->n && rc == 0; i++) {
        uv_pipe_init(&s->loop, &s->rd[i], 0);
        uv_pipe_init(&s->loop, &s->wr[i], 0);
        s->nopen++;
        s->rd[i].data = (void *)(intptr_t)i;
        rc = uv_pipe_open(&s->rd[i], c->fds[i][0]);
        if (rc == 0)
            rc = uv_pipe_open(&s->wr[i], c->fds[i][1]);
        if (rc == 0)
            rc = uv_read_start((uv_stream_t *)&s->rd[i], alloc_cb, read_cb);
    }
    if (rc != 0) {
        snprintf(why, len, "uv_pipe_open/uv_read_start: %s", uv_strerror(rc));
        uv_schain_stop(s);
        return NULL;
    }
    return s;
}

static void uv_schain_once(void *st) { uv_run(&((struct uv_schain *)st)->loop, UV_RUN_NOWAIT); }

const struct lcb_schain_impl lcb_uv_schain = {"libuv", uv_schain_start, uv_schain_once, uv_schain_stop};
