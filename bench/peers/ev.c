/* libev adapters.  libev's loop time (ev_now) is cached per iteration and
 * relative timers are armed against it (ev.pod, "The special problem of
 * time updates"); the adapters call ev_now_update only where ev.pod says a
 * program should (after blocking outside the loop). */
#include "../bench_util.h"
#include "../workloads.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>

static char ev_version_buf[32];

const char *lcb_ev_version(void)
{
    snprintf(ev_version_buf, sizeof ev_version_buf, "%d.%d", ev_version_major(), ev_version_minor());
    return ev_version_buf;
}

static struct ev_loop *new_loop(char *why, size_t len)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_NOENV | EVBACKEND_EPOLL);
    if (loop == NULL)
        snprintf(why, len, "ev_loop_new(EVBACKEND_EPOLL) failed");
    return loop;
}

/* ---- pipes chain: ev_io ---- */

struct ev_chain {
    struct ev_loop *loop;
    ev_io *io;
    struct lcb_chain *c;
};

static void chain_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct ev_chain *s = ev_userdata(loop);
    lcb_chain_readable(s->c, (int)(intptr_t)w->data);
}

static void *ev_chain_start(struct lcb_chain *c, char *why, size_t len)
{
    struct ev_chain *s = calloc(1, sizeof *s);
    if (s == NULL || (s->loop = new_loop(why, len)) == NULL) {
        free(s);
        return NULL;
    }
    s->c = c;
    s->io = calloc((size_t)c->n, sizeof *s->io);
    ev_set_userdata(s->loop, s);
    for (int i = 0; i < c->n; i++) {
        ev_io_init(&s->io[i], chain_cb, c->fds[i][0], EV_READ);
        s->io[i].data = (void *)(intptr_t)i;
        ev_io_start(s->loop, &s->io[i]);
    }
    return s;
}

static void ev_chain_once(void *st)
{
    ev_run(((struct ev_chain *)st)->loop, EVRUN_NOWAIT);
}

static void ev_chain_stop(void *st)
{
    struct ev_chain *s = st;
    for (int i = 0; i < s->c->n; i++)
        ev_io_stop(s->loop, &s->io[i]);
    ev_loop_destroy(s->loop);
    free(s->io);
    free(s);
}

const struct lcb_chain_impl lcb_ev_chain = {"libev", ev_chain_start, ev_chain_once, ev_chain_stop};

/* ---- a million timers ---- */

static long timers_fired;

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    timers_fired++;
}

int lcb_ev_timers(int n, const int64_t *d, struct lcb_timers_result *o, char *why, size_t len)
{
    struct ev_loop *loop = new_loop(why, len);
    ev_timer *t = malloc((size_t)n * sizeof *t);
    if (loop == NULL || t == NULL) {
        if (loop)
            ev_loop_destroy(loop);
        free(t);
        snprintf(why, len, "out of memory");
        return -1;
    }
    timers_fired = 0;
    ev_now_update(loop);
    int64_t c0 = lcb_cpu_ns(), t0 = lcb_now_ns();
    for (int i = 0; i < n; i++) {
        ev_timer_init(&t[i], timer_cb, (double)d[i] / 1e9, 0.);
        ev_timer_start(loop, &t[i]);
    }
    int64_t t1 = lcb_now_ns();
    for (int i = 1; i < n; i += 2)
        ev_timer_stop(loop, &t[i]);
    int64_t t2 = lcb_now_ns(), c2 = lcb_cpu_ns();
    ev_run(loop, 0);
    int64_t t3 = lcb_now_ns(), c3 = lcb_cpu_ns();
    lcb_timers_result_set(o, c0, t0, t1, t2, c2, t3, c3, timers_fired);
    ev_loop_destroy(loop);
    free(t);
    return 0;
}

/* ---- timer lateness ---- */

static void late_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct lcb_late *l = w->data;
    if (!lcb_late_fired(l, lcb_now_ns()))
        return;
    lcb_spin_ns(l->work_ns);
    l->armed_at = lcb_now_ns();
    ev_timer_set(w, (double)l->delay_ns / 1e9, 0.);
    ev_timer_start(loop, w);
}

int lcb_ev_late(struct lcb_late *l, char *why, size_t len)
{
    struct ev_loop *loop = new_loop(why, len);
    if (loop == NULL)
        return -1;
    ev_timer t;
    ev_timer_init(&t, late_cb, (double)l->delay_ns / 1e9, 0.);
    t.data = l;
    ev_now_update(loop);
    l->armed_at = lcb_now_ns();
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    ev_loop_destroy(loop);
    return 0;
}

/* ---- call_soon: idle watchers ---- */

static long soon_count, soon_total;

static void idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)w;
    (void)revents;
    if (++soon_count >= soon_total)
        ev_break(loop, EVBREAK_ALL);
}

int lcb_ev_soon(long total, int inflight, double *elapsed_ns, char *why, size_t len)
{
    struct ev_loop *loop = new_loop(why, len);
    ev_idle *h = calloc((size_t)inflight, sizeof *h);
    if (loop == NULL || h == NULL) {
        if (loop)
            ev_loop_destroy(loop);
        free(h);
        return -1;
    }
    soon_count = 0;
    soon_total = total;
    for (int i = 0; i < inflight; i++) {
        ev_idle_init(&h[i], idle_cb);
        ev_idle_start(loop, &h[i]);
    }
    int64_t t0 = lcb_now_ns();
    ev_run(loop, 0);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    for (int i = 0; i < inflight; i++)
        ev_idle_stop(loop, &h[i]);
    ev_loop_destroy(loop);
    free(h);
    return 0;
}

/* ---- threadsafe round trips: ev_async_send ---- */

struct ev_wake {
    struct ev_loop *loop;
    ev_async as[8];
    struct lcb_wake w;
};

static void wake_send(void *impl, int tid)
{
    struct ev_wake *s = impl;
    ev_async_send(s->loop, &s->as[tid]);
}

static void async_cb(struct ev_loop *loop, ev_async *a, int revents)
{
    (void)revents;
    struct ev_wake *s = ev_userdata(loop);
    if (lcb_wake_ack(&s->w, (int)(intptr_t)a->data))
        ev_break(loop, EVBREAK_ALL);
}

int lcb_ev_wake(int nthreads, long per_thread, double *elapsed_ns, char *why, size_t len)
{
    struct ev_wake *s = calloc(1, sizeof *s);
    if (s == NULL || (s->loop = new_loop(why, len)) == NULL) {
        free(s);
        return -1;
    }
    ev_set_userdata(s->loop, s);
    for (int i = 0; i < nthreads; i++) {
        ev_async_init(&s->as[i], async_cb);
        s->as[i].data = (void *)(intptr_t)i;
        ev_async_start(s->loop, &s->as[i]);
    }
    s->w.nthreads = nthreads;
    s->w.per_thread = per_thread;
    s->w.send = wake_send;
    s->w.impl = s;
    int64_t t0 = lcb_now_ns();
    if (lcb_wake_start(&s->w) < 0) {
        snprintf(why, len, "pthread_create failed");
        return -1;
    }
    ev_run(s->loop, 0);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    lcb_wake_join(&s->w);
    for (int i = 0; i < nthreads; i++)
        ev_async_stop(s->loop, &s->as[i]);
    ev_loop_destroy(s->loop);
    free(s);
    return 0;
}
