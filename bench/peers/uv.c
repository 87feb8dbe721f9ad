/* libuv adapters.  libuv's timers take whole milliseconds and its loop time
 * is cached once per iteration (docs/src/loop.rst, uv_now/uv_update_time);
 * the adapters use libuv as its documentation says to, nothing more. */
#include "../bench_util.h"
#include "../workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

const char *lcb_uv_version(void) { return uv_version_string(); }

/* ---- pipes chain: uv_poll ---- */

struct uv_chain {
    uv_loop_t loop;
    uv_poll_t *polls;
    struct lcb_chain *c;
    int npolls;
};

static void chain_cb(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    struct uv_chain *s = p->loop->data;
    lcb_chain_readable(s->c, (int)(intptr_t)p->data);
}

static void uv_chain_stop(void *st)
{
    struct uv_chain *s = st;
    for (int i = 0; i < s->npolls; i++)
        uv_close((uv_handle_t *)&s->polls[i], NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    free(s->polls);
    free(s);
}

static void *uv_chain_start(struct lcb_chain *c, char *why, size_t len)
{
    struct uv_chain *s = calloc(1, sizeof *s);
    if (s == NULL || uv_loop_init(&s->loop) != 0) {
        snprintf(why, len, "uv_loop_init failed");
        free(s);
        return NULL;
    }
    s->loop.data = s;
    s->c = c;
    s->polls = calloc((size_t)c->n, sizeof *s->polls);
    for (int i = 0; i < c->n; i++) {
        int rc = uv_poll_init(&s->loop, &s->polls[i], c->fds[i][0]);
        if (rc == 0) {
            s->npolls++;
            s->polls[i].data = (void *)(intptr_t)i;
            rc = uv_poll_start(&s->polls[i], UV_READABLE, chain_cb);
        }
        if (rc != 0) {
            snprintf(why, len, "uv_poll on fd %d: %s", c->fds[i][0], uv_strerror(rc));
            uv_chain_stop(s);
            return NULL;
        }
    }
    return s;
}

static void uv_chain_once(void *st)
{
    uv_run(&((struct uv_chain *)st)->loop, UV_RUN_NOWAIT);
}

const struct lcb_chain_impl lcb_uv_chain = {"libuv", uv_chain_start, uv_chain_once, uv_chain_stop};

/* ---- a million timers ---- */

static long timers_fired;

static void timer_cb(uv_timer_t *t)
{
    (void)t;
    timers_fired++;
}

int lcb_uv_timers(int n, const int64_t *d, struct lcb_timers_result *o, char *why, size_t len)
{
    uv_loop_t loop;
    uv_timer_t *t = malloc((size_t)n * sizeof *t);
    if (t == NULL || uv_loop_init(&loop) != 0) {
        free(t);
        snprintf(why, len, "out of memory");
        return -1;
    }
    timers_fired = 0;
    uv_update_time(&loop);
    int64_t c0 = lcb_cpu_ns(), t0 = lcb_now_ns();
    for (int i = 0; i < n; i++) {
        uv_timer_init(&loop, &t[i]);
        uv_timer_start(&t[i], timer_cb, (uint64_t)((d[i] + 999999) / 1000000), 0);
    }
    int64_t t1 = lcb_now_ns();
    for (int i = 1; i < n; i += 2)
        uv_timer_stop(&t[i]);
    int64_t t2 = lcb_now_ns(), c2 = lcb_cpu_ns();
    uv_run(&loop, UV_RUN_DEFAULT);
    int64_t t3 = lcb_now_ns(), c3 = lcb_cpu_ns();
    lcb_timers_result_set(o, c0, t0, t1, t2, c2, t3, c3, timers_fired);
    for (int i = 0; i < n; i++)
        uv_close((uv_handle_t *)&t[i], NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(t);
    return 0;
}

/* ---- timer lateness ---- */

static void late_cb(uv_timer_t *t)
{
    struct lcb_late *l = t->data;
    if (!lcb_late_fired(l, lcb_now_ns()))
        return;
    lcb_spin_ns(l->work_ns);
    l->armed_at = lcb_now_ns();
    uv_timer_start(t, late_cb, (uint64_t)((l->delay_ns + 999999) / 1000000), 0);
}

int lcb_uv_late(struct lcb_late *l, char *why, size_t len)
{
    uv_loop_t loop;
    uv_timer_t t;
    if (uv_loop_init(&loop) != 0) {
        snprintf(why, len, "uv_loop_init failed");
        return -1;
    }
    uv_timer_init(&loop, &t);
    t.data = l;
    uv_update_time(&loop);
    l->armed_at = lcb_now_ns();
    uv_timer_start(&t, late_cb, (uint64_t)((l->delay_ns + 999999) / 1000000), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}

/* ---- call_soon: idle handles ---- */

static long soon_count, soon_total;

static void idle_cb(uv_idle_t *h)
{
    if (++soon_count >= soon_total)
        uv_stop(h->loop);
}

int lcb_uv_soon(long total, int inflight, double *elapsed_ns, char *why, size_t len)
{
    uv_loop_t loop;
    uv_idle_t *h = calloc((size_t)inflight, sizeof *h);
    if (h == NULL || uv_loop_init(&loop) != 0) {
        free(h);
        snprintf(why, len, "out of memory");
        return -1;
    }
    soon_count = 0;
    soon_total = total;
    for (int i = 0; i < inflight; i++) {
        uv_idle_init(&loop, &h[i]);
        uv_idle_start(&h[i], idle_cb);
    }
    int64_t t0 = lcb_now_ns();
    uv_run(&loop, UV_RUN_DEFAULT);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    for (int i = 0; i < inflight; i++)
        uv_close((uv_handle_t *)&h[i], NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(h);
    return 0;
}

/* ---- threadsafe round trips: uv_async_send ---- */

struct uv_wake {
    uv_loop_t loop;
    uv_async_t as[8];
    struct lcb_wake w;
};

static void wake_send(void *impl, int tid)
{
    uv_async_send(&((struct uv_wake *)impl)->as[tid]);
}

static void async_cb(uv_async_t *a)
{
    struct uv_wake *s = a->loop->data;
    if (lcb_wake_ack(&s->w, (int)(intptr_t)a->data))
        uv_stop(a->loop);
}

int lcb_uv_wake(int nthreads, long per_thread, double *elapsed_ns, char *why, size_t len)
{
    struct uv_wake *s = calloc(1, sizeof *s);
    if (s == NULL || uv_loop_init(&s->loop) != 0) {
        free(s);
        snprintf(why, len, "uv_loop_init failed");
        return -1;
    }
    s->loop.data = s;
    for (int i = 0; i < nthreads; i++) {
        uv_async_init(&s->loop, &s->as[i], async_cb);
        s->as[i].data = (void *)(intptr_t)i;
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
    uv_run(&s->loop, UV_RUN_DEFAULT);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    lcb_wake_join(&s->w);
    for (int i = 0; i < nthreads; i++)
        uv_close((uv_handle_t *)&s->as[i], NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    free(s);
    return 0;
}
