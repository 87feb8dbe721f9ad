/* libevent stream chain: a bufferevent on every socketpair fd
 * (bufferevent_socket_new, BEV_OPT_CLOSE_ON_FREE); the read ends' read
 * callback moves the input into the next write end's output buffer
 * (evbuffer_remove_buffer: no copy), which the bufferevent writes when its
 * fd is writable. */
#include "../bench_util.h"
#include "../workloads.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct event_schain;

struct rd_end {
    struct event_schain *s;
    int idx;
};

struct event_schain {
    struct event_base *base;
    struct bufferevent **rd, **wr;
    struct rd_end *ends;
    struct lcb_schain *c;
    int nopen;
};

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct rd_end *e = arg;
    struct event_schain *s = e->s;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    size_t fwd = lcb_schain_received(s->c, n);
    int next = e->idx + 1 < s->c->n ? e->idx + 1 : 0;
    if (fwd)
        evbuffer_remove_buffer(in, bufferevent_get_output(s->wr[next]), fwd);
    evbuffer_drain(in, evbuffer_get_length(in));
}

static void event_schain_stop(void *st)
{
    struct event_schain *s = st;
    for (int i = 0; i < s->nopen; i++) {
        if (s->rd[i])
            bufferevent_free(s->rd[i]);
        if (s->wr[i])
            bufferevent_free(s->wr[i]);
    }
    event_base_free(s->base);
    free(s->rd);
    free(s->wr);
    free(s->ends);
    free(s);
}

static void *event_schain_start(struct lcb_schain *c, char *why, size_t len)
{
    if (lcb_event_version() == NULL) {
        snprintf(why, len, "event_get_version() is '%s': another library answered", event_get_version());
        return NULL;
    }
    struct event_schain *s = calloc(1, sizeof *s);
    if (s == NULL || (s->base = event_base_new()) == NULL) {
        snprintf(why, len, "event_base_new failed");
        free(s);
        return NULL;
    }
    if (strcmp(event_base_get_method(s->base), "epoll") != 0) {
        snprintf(why, len, "libevent picked %s, not epoll", event_base_get_method(s->base));
        event_base_free(s->base);
        free(s);
        return NULL;
    }
    s->c = c;
    s->rd = calloc((size_t)c->n, sizeof *s->rd);
    s->wr = calloc((size_t)c->n, sizeof *s->wr);
    s->ends = calloc((size_t)c->n, sizeof *s->ends);
    int ok = 1;
    for (int i = 0; i < c->n && ok; i++) {
        s->nopen++;
        s->rd[i] = bufferevent_socket_new(s->base, c->fds[i][0], BEV_OPT_CLOSE_ON_FREE);
        s->wr[i] = bufferevent_socket_new(s->base, c->fds[i][1], BEV_OPT_CLOSE_ON_FREE);
        ok = s->rd[i] && s->wr[i];
        if (ok) {
            s->ends[i] = (struct rd_end){s, i};
            bufferevent_setcb(s->rd[i], read_cb, NULL, NULL, &s->ends[i]);
            ok = bufferevent_enable(s->rd[i], EV_READ) == 0;
        }
    }
    if (!ok) {
        snprintf(why, len, "bufferevent_socket_new/enable failed");
        event_schain_stop(s);
        return NULL;
    }
    return s;
}

static void event_schain_once(void *st)
{
    event_base_loop(((struct event_schain *)st)->base, EVLOOP_NONBLOCK);
}

const struct lcb_schain_impl lcb_event_schain = {"libevent", event_schain_start, event_schain_once,
                                                 event_schain_stop};
