/* libevent adapters.  Debian's libev.so also exports libevent's function
 * names (libev's libevent emulation), so which library answers depends on
 * link order; lcb_event_version() returns NULL unless the library that
 * answers is the libevent these headers describe, and every adapter then
 * refuses.  libevent's default Linux clock is CLOCK_MONOTONIC_COARSE;
 * EVENT_BASE_FLAG_PRECISE_TIMER switches to CLOCK_MONOTONIC (event.h). */
#include "../bench_util.h"
#include "../workloads.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *lcb_event_version(void)
{
    const char *v = event_get_version();
    return v && strcmp(v, LIBEVENT_VERSION) == 0 ? v : NULL;
}

static struct event_base *new_base(int precise, char *why, size_t len)
{
    if (lcb_event_version() == NULL) {
        snprintf(why, len, "event_get_version() is '%s', not libevent %s: another library answered",
                 event_get_version(), LIBEVENT_VERSION);
        return NULL;
    }
    struct event_config *cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
    if (precise)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    struct event_base *b = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (b == NULL)
        snprintf(why, len, "event_base_new_with_config failed");
    else if (strcmp(event_base_get_method(b), "epoll") != 0) {
        snprintf(why, len, "libevent picked %s, not epoll", event_base_get_method(b));
        event_base_free(b);
        b = NULL;
    }
    return b;
}

/* ---- pipes chain: persistent read events ---- */

struct ev_chain {
    struct event_base *base;
    struct event *evs;
    struct lcb_chain *c;
    int nev;
};

static struct ev_chain *chain_state;

static void chain_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lcb_chain_readable(chain_state->c, (int)(intptr_t)arg);
}

static void event_chain_stop(void *st)
{
    struct ev_chain *s = st;
    for (int i = 0; i < s->nev; i++)
        event_del(&s->evs[i]);
    event_base_free(s->base);
    free(s->evs);
    free(s);
}

static void *event_chain_start(struct lcb_chain *c, char *why, size_t len)
{
    struct ev_chain *s = calloc(1, sizeof *s);
    if (s == NULL || (s->base = new_base(0, why, len)) == NULL) {
        free(s);
        return NULL;
    }
    s->c = c;
    s->evs = calloc((size_t)c->n, sizeof *s->evs);
    chain_state = s;
    for (int i = 0; i < c->n; i++) {
        event_assign(&s->evs[i], s->base, c->fds[i][0], EV_READ | EV_PERSIST, chain_cb, (void *)(intptr_t)i);
        if (event_add(&s->evs[i], NULL) < 0) {
            snprintf(why, len, "event_add on fd %d failed", c->fds[i][0]);
            event_chain_stop(s);
            return NULL;
        }
        s->nev++;
    }
    return s;
}

static void event_chain_once(void *st)
{
    event_base_loop(((struct ev_chain *)st)->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

const struct lcb_chain_impl lcb_event_chain = {"libevent", event_chain_start, event_chain_once,
                                               event_chain_stop};

/* ---- a million timers ---- */

static long timers_fired;

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    timers_fired++;
}

int lcb_event_timers(int n, const int64_t *d, struct lcb_timers_result *o, char *why, size_t len)
{
    struct event_base *base = new_base(0, why, len);
    if (base == NULL)
        return -1;
    struct event *t = malloc((size_t)n * sizeof *t);
    if (t == NULL) {
        event_base_free(base);
        snprintf(why, len, "out of memory");
        return -1;
    }
    timers_fired = 0;
    int64_t c0 = lcb_cpu_ns(), t0 = lcb_now_ns();
    for (int i = 0; i < n; i++) {
        struct timeval tv = {(time_t)(d[i] / 1000000000), (suseconds_t)(d[i] % 1000000000 / 1000)};
        evtimer_assign(&t[i], base, timer_cb, NULL);
        evtimer_add(&t[i], &tv);
    }
    int64_t t1 = lcb_now_ns();
    for (int i = 1; i < n; i += 2)
        evtimer_del(&t[i]);
    int64_t t2 = lcb_now_ns(), c2 = lcb_cpu_ns();
    event_base_dispatch(base);
    int64_t t3 = lcb_now_ns(), c3 = lcb_cpu_ns();
    lcb_timers_result_set(o, c0, t0, t1, t2, c2, t3, c3, timers_fired);
    event_base_free(base);
    free(t);
    return 0;
}

/* ---- timer lateness ---- */

struct late_state {
    struct lcb_late *l;
    struct event ev;
};

static void arm_late(struct late_state *s)
{
    struct timeval tv = {(time_t)(s->l->delay_ns / 1000000000), (suseconds_t)(s->l->delay_ns % 1000000000 / 1000)};
    s->l->armed_at = lcb_now_ns();
    evtimer_add(&s->ev, &tv);
}

static void late_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct late_state *s = arg;
    if (!lcb_late_fired(s->l, lcb_now_ns()))
        return;
    lcb_spin_ns(s->l->work_ns);
    arm_late(s);
}

static int late(struct lcb_late *l, int precise, char *why, size_t len)
{
    struct event_base *base = new_base(precise, why, len);
    if (base == NULL)
        return -1;
    struct late_state s;
    memset(&s, 0, sizeof s);
    s.l = l;
    evtimer_assign(&s.ev, base, late_cb, &s);
    arm_late(&s);
    event_base_dispatch(base);
    event_base_free(base);
    return 0;
}

int lcb_event_late(struct lcb_late *l, char *why, size_t len) { return late(l, 0, why, len); }
int lcb_event_late_precise(struct lcb_late *l, char *why, size_t len) { return late(l, 1, why, len); }

/* ---- call_soon: events that re-activate themselves ---- */

static long soon_count, soon_total;
static struct event_base *soon_base;

static void soon_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    if (++soon_count >= soon_total)
        event_base_loopbreak(soon_base);
    else
        event_active(arg, EV_TIMEOUT, 1);
}

int lcb_event_soon(long total, int inflight, double *elapsed_ns, char *why, size_t len)
{
    struct event_base *base = new_base(0, why, len);
    if (base == NULL)
        return -1;
    struct event *evs = calloc((size_t)inflight, sizeof *evs);
    soon_base = base;
    soon_count = 0;
    soon_total = total;
    for (int i = 0; i < inflight; i++) {
        event_assign(&evs[i], base, -1, 0, soon_cb, &evs[i]);
        event_active(&evs[i], EV_TIMEOUT, 1);
    }
    int64_t t0 = lcb_now_ns();
    event_base_dispatch(base);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    event_base_free(base);
    free(evs);
    return 0;
}

/* ---- threadsafe round trips: event_active from other threads ---- */

struct event_wake {
    struct event_base *base;
    struct event evs[8];
    struct event keepalive;
    struct lcb_wake w;
};

static void wake_send(void *impl, int tid)
{
    struct event_wake *s = impl;
    event_active(&s->evs[tid], EV_READ, 1);
}

static struct event_wake *wake_state;

static void wake_slot_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    if (lcb_wake_ack(&wake_state->w, (int)(intptr_t)arg))
        event_base_loopbreak(wake_state->base);
}

int lcb_event_wake(int nthreads, long per_thread, double *elapsed_ns, char *why, size_t len)
{
    static int threads_on;
    if (!threads_on && evthread_use_pthreads() == 0)
        threads_on = 1;
    if (!threads_on) {
        snprintf(why, len, "evthread_use_pthreads failed");
        return -1;
    }
    struct event_wake *s = calloc(1, sizeof *s);
    if (s == NULL || (s->base = new_base(0, why, len)) == NULL) {
        free(s);
        return -1;
    }
    wake_state = s;
    for (int i = 0; i < nthreads; i++)
        event_assign(&s->evs[i], s->base, -1, 0, wake_slot_cb, (void *)(intptr_t)i);
    /* A far timer keeps the loop alive: an event with neither fd nor
     * timeout is never "added" (event_add(3)). */
    struct timeval hour = {3600, 0};
    evtimer_assign(&s->keepalive, s->base, wake_slot_cb, NULL);
    evtimer_add(&s->keepalive, &hour);
    s->w.nthreads = nthreads;
    s->w.per_thread = per_thread;
    s->w.send = wake_send;
    s->w.impl = s;
    int64_t t0 = lcb_now_ns();
    if (lcb_wake_start(&s->w) < 0) {
        snprintf(why, len, "pthread_create failed");
        return -1;
    }
    event_base_dispatch(s->base);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    lcb_wake_join(&s->w);
    evtimer_del(&s->keepalive);
    event_base_free(s->base);
    free(s);
    return 0;
}
