/* libevent TCP ping-pong with bufferevents (bufferevent_socket_new on the
 * connected fds; the echo moves the input buffer to the output). */
#include "../bench_util.h"
#include "../workloads.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

struct event_pp {
    struct event_base *base;
    long rts;
    size_t got;
    int64_t deadline;
};

static void client_read(struct bufferevent *bev, void *arg)
{
    struct event_pp *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    evbuffer_drain(in, n);
    s->got += n;
    while (s->got >= LCB_PING_LEN) {
        s->got -= LCB_PING_LEN;
        s->rts++;
    }
    if (s->got)
        return;
    if (lcb_now_ns() >= s->deadline)
        event_base_loopbreak(s->base);
    else
        bufferevent_write(bev, LCB_PING, LCB_PING_LEN);
}

static void server_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct event_pp *s = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        event_base_loopbreak(s->base);
}

int lcb_event_pingpong(int cfd, int sfd, double seconds, long *rts, double *elapsed_ns, char *why, size_t len)
{
    struct event_pp s;
    memset(&s, 0, sizeof s);
    if (lcb_event_version() == NULL || (s.base = event_base_new()) == NULL) {
        snprintf(why, len, "no usable libevent (event_get_version() is '%s')", event_get_version());
        close(cfd);
        close(sfd);
        return -1;
    }
    struct bufferevent *c = bufferevent_socket_new(s.base, cfd, BEV_OPT_CLOSE_ON_FREE);
    struct bufferevent *sv = bufferevent_socket_new(s.base, sfd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c, client_read, NULL, on_event, &s);
    bufferevent_setcb(sv, server_read, NULL, on_event, &s);
    bufferevent_enable(c, EV_READ);
    bufferevent_enable(sv, EV_READ);
    int64_t t0 = lcb_now_ns();
    s.deadline = t0 + (int64_t)(seconds * 1e9);
    bufferevent_write(c, LCB_PING, LCB_PING_LEN);
    event_base_dispatch(s.base);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    *rts = s.rts;
    bufferevent_free(c);
    bufferevent_free(sv);
    event_base_free(s.base);
    return 0;
}
