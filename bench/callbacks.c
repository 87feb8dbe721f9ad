/* Callbacks per second.
 *  - soon: `inflight` callbacks (1 or 1000), each rescheduling itself with
 *    call_soon until `total` ran.  With 1 in flight every callback costs a
 *    loop iteration (and its zero-timeout poll); with 1000 the queue itself
 *    dominates.  Peers' nearest equivalents: libuv idle handles, libev idle
 *    watchers, libevent events re-activated with event_active(3).
 *  - threadsafe: 1, 2 or 4 threads each do `per_thread` round trips: wake
 *    the loop with call_soon_threadsafe (uv_async_send, ev_async_send,
 *    event_active from the thread) and wait on a semaphore the loop's
 *    callback posts. */
#include "bench_util.h"
#include "workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loopcompat/loop.h"

static const char *lc_backend_now;

static lc_loop *lc_new(char *why, size_t len)
{
    lc_loop *loop;
    lc_loop_options o = {0};
    o.backend = lc_backend_now;
    int rc = lc_loop_new(&loop, &o);
    if (rc < 0) {
        snprintf(why, len, "lc_loop_new(%s): %s", lc_backend_now, lc_strerror(rc));
        return NULL;
    }
    return loop;
}

static long soon_count, soon_total;

static void soon_cb(lc_loop *loop, void *arg)
{
    if (++soon_count >= soon_total)
        lc_loop_stop(loop);
    else
        lc_call_soon(loop, soon_cb, arg);
}

static int lc_soon(long total, int inflight, double *elapsed_ns, char *why, size_t len)
{
    lc_loop *loop = lc_new(why, len);
    if (loop == NULL)
        return -1;
    soon_count = 0;
    soon_total = total;
    for (int i = 0; i < inflight; i++)
        lc_call_soon(loop, soon_cb, NULL);
    int64_t t0 = lcb_now_ns();
    lc_loop_run(loop);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    lc_loop_free(loop);
    return 0;
}

struct lc_wake {
    lc_loop *loop;
    struct lcb_wake w;
};

static struct lc_wake *lc_wake_cur;

static void lc_wake_cb(lc_loop *loop, void *arg)
{
    if (lcb_wake_ack(&lc_wake_cur->w, (int)(intptr_t)arg))
        lc_loop_stop(loop);
}

static void lc_wake_send(void *impl, int tid)
{
    lc_call_soon_threadsafe(((struct lc_wake *)impl)->loop, lc_wake_cb, (void *)(intptr_t)tid);
}

static int lc_wake(int nthreads, long per_thread, double *elapsed_ns, char *why, size_t len)
{
    struct lc_wake s;
    memset(&s, 0, sizeof s);
    if ((s.loop = lc_new(why, len)) == NULL)
        return -1;
    lc_wake_cur = &s;
    s.w.nthreads = nthreads;
    s.w.per_thread = per_thread;
    s.w.send = lc_wake_send;
    s.w.impl = &s;
    int64_t t0 = lcb_now_ns();
    if (lcb_wake_start(&s.w) < 0) {
        snprintf(why, len, "pthread_create failed");
        return -1;
    }
    lc_loop_run(s.loop);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    lcb_wake_join(&s.w);
    lc_loop_free(s.loop);
    return 0;
}

struct impl {
    char name[40];
    const char *backend;
    lcb_soon_fn soon;
    lcb_wake_fn wake;
    int skipped;
};

int main(int argc, char **argv)
{
    struct lcb_opts o;
    lcb_parse_args(argc, argv, &o, "call_soon per second (1 and 1000 in flight); threadsafe round trips per second "
                                   "from 1, 2, 4 threads.");
    int runs = o.runs ? o.runs : (o.tiny ? 1 : 7);
    long total = o.tiny ? 10000 : 1000000;
    long per_thread = o.tiny ? 200 : 20000;

    struct lcb_report *r = lcb_report_new("callbacks", &o, "lc-epoll");
    char buf[96];
    snprintf(buf, sizeof buf, "%ld callbacks per soon run; %ld round trips per thread", total, per_thread);
    lcb_report_param(r, "shape", buf);

    struct impl impls[16];
    int ni = 0;
    const char *const *names;
    size_t nb = lc_backend_list(&names);
    for (size_t i = 0; i < nb && ni < 10; i++) {
        lc_probe why;
        if (lc_backend_probe(names[i], &why) < 0 || !why.available)
            continue;
        snprintf(impls[ni].name, sizeof impls[ni].name, "lc-%s", names[i]);
        if (!lcb_selected(&o, impls[ni].name))
            continue;
        impls[ni].backend = names[i];
        impls[ni].soon = lc_soon;
        impls[ni].wake = lc_wake;
        impls[ni].skipped = 0;
        ni++;
    }
#ifdef LCB_HAVE_UV
    if (lcb_selected(&o, "libuv"))
        impls[ni++] = (struct impl){"libuv", NULL, lcb_uv_soon, lcb_uv_wake, 0};
    lcb_report_peer(r, "libuv", lcb_uv_version());
#endif
#ifdef LCB_HAVE_EV
    if (lcb_selected(&o, "libev"))
        impls[ni++] = (struct impl){"libev", NULL, lcb_ev_soon, lcb_ev_wake, 0};
    lcb_report_peer(r, "libev", lcb_ev_version());
#endif
#ifdef LCB_HAVE_EVENT
    if (lcb_selected(&o, "libevent"))
        impls[ni++] = (struct impl){"libevent", NULL, lcb_event_soon, lcb_event_wake, 0};
    if (lcb_event_version())
        lcb_report_peer(r, "libevent", lcb_event_version());
#endif

    static const int inflight[] = {1, 1000};
    static const int threads[] = {1, 2, 4};
    for (int run = 0; run < runs; run++) {
        for (int c = 0; c < 5; c++) {
            char config[40];
            if (c < 2)
                snprintf(config, sizeof config, "soon inflight=%d", inflight[c]);
            else
                snprintf(config, sizeof config, "threadsafe threads=%d", threads[c - 2]);
            if (!lcb_config_selected(&o, config))
                continue;
            for (int j = 0; j < ni; j++) {
                struct impl *im = &impls[(j + run) % ni];
                char why[200];
                double ns = 0;
                lc_backend_now = im->backend;
                int rc = c < 2 ? im->soon(total, inflight[c], &ns, why, sizeof why)
                               : im->wake(threads[c - 2], per_thread, &ns, why, sizeof why);
                if (rc < 0) {
                    lcb_skip(r, config, im->name, why);
                    continue;
                }
                double count = c < 2 ? (double)total : (double)threads[c - 2] * (double)per_thread;
                lcb_add(r, config, im->name, c < 2 ? "callbacks" : "round_trips", "k/s", count / ns * 1e6);
            }
        }
        printf("run %d of %d done\n", run + 1, runs);
        fflush(stdout);
    }
    return lcb_report_finish(r);
}
