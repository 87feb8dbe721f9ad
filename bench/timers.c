/* A million timers (libuv's million_timers, with shuffled deadlines):
 * arm n one-shot timers whose delays are spread over 1..1000 ms in a fixed
 * pseudo-random order (1000 per millisecond), cancel every odd one, run the
 * loop until the rest fired.  Time is not scaled: dispatch spans the real
 * second the deadlines cover, and what is compared is the CPU the loop
 * spends in it (getrusage(2)), plus the wall time of arming and cancelling
 * (CPU-bound).  lc-epoll arms with lc_call_later, which reads the clock
 * for every timer; lc-epoll-call_at reads it once and arms with absolute
 * deadlines, which is what a relative timer against a cached loop time
 * (libev, libuv) amounts to. */
#include "bench_util.h"
#include "workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loopcompat/loop.h"

static long lc_fired, lc_target;

static void lc_timer_cb(lc_loop *loop, void *arg)
{
    (void)arg;
    if (++lc_fired == lc_target)
        lc_loop_stop(loop);
}

static int lc_timers(const char *backend, int absolute, int n, const int64_t *d, struct lcb_timers_result *o,
                     char *why, size_t len)
{
    lc_loop *loop;
    lc_loop_options opts = {0};
    opts.backend = backend;
    int rc = lc_loop_new(&loop, &opts);
    /* Each record is zeroed in the timed loop right before it is armed, as
     * every peer's adapter initialises its own there (ev_timer_init,
     * uv_timer_init, evtimer_assign).  calloc'd records would be read
     * first and fault in twice: once to the shared zero page, once more
     * when written. */
    lc_timer *t = malloc((size_t)n * sizeof *t);
    if (rc < 0 || t == NULL) {
        snprintf(why, len, "lc_loop_new(%s): %s", backend, lc_strerror(rc < 0 ? rc : LC_ENOMEM));
        lc_loop_free(rc < 0 ? NULL : loop);
        free(t);
        return -1;
    }
    lc_fired = 0;
    lc_target = (n + 1) / 2;
    int64_t c0 = lcb_cpu_ns(), t0 = lcb_now_ns();
    if (absolute) {
        /* One clock read for the batch, as libev's and libuv's relative
         * timers do implicitly (against the cached loop time). */
        int64_t base = lc_loop_time(loop);
        for (int i = 0; i < n; i++) {
            t[i] = (lc_timer){0};
            lc_call_at(loop, &t[i], base + d[i], lc_timer_cb, NULL);
        }
    } else {
        for (int i = 0; i < n; i++) {
            t[i] = (lc_timer){0};
            lc_call_later(loop, &t[i], d[i], lc_timer_cb, NULL);
        }
    }
    int64_t t1 = lcb_now_ns();
    for (int i = 1; i < n; i += 2)
        lc_timer_cancel(&t[i]);
    int64_t t2 = lcb_now_ns(), c2 = lcb_cpu_ns();
    lc_loop_run(loop);
    int64_t t3 = lcb_now_ns(), c3 = lcb_cpu_ns();
    lcb_timers_result_set(o, c0, t0, t1, t2, c2, t3, c3, lc_fired);
    lc_loop_free(loop);
    free(t);
    return 0;
}

static int lc_epoll_timers(int n, const int64_t *d, struct lcb_timers_result *o, char *why, size_t len)
{
    return lc_timers("epoll", 0, n, d, o, why, len);
}

static int lc_epoll_at_timers(int n, const int64_t *d, struct lcb_timers_result *o, char *why, size_t len)
{
    return lc_timers("epoll", 1, n, d, o, why, len);
}

static int lc_io_uring_timers(int n, const int64_t *d, struct lcb_timers_result *o, char *why, size_t len)
{
    return lc_timers("io_uring", 0, n, d, o, why, len);
}

struct impl {
    const char *name;
    lcb_timers_fn fn;
    int skipped;
};

int main(int argc, char **argv)
{
    struct lcb_opts o;
    lcb_parse_args(argc, argv, &o, "1 000 000 timers over 1-1000 ms, cancel half, dispatch the rest; 5 runs.");
    int runs = o.runs ? o.runs : (o.tiny ? 1 : 5);
    int n = o.tiny ? 20000 : 1000000;
    int span_ms = o.tiny ? 20 : 1000;

    /* delay_i = (1 + h(i) mod span) ms: the same multiset as libuv's
     * ceil(i/1000) ms, in an order that does not arrive sorted. */
    int64_t *d = malloc((size_t)n * sizeof *d);
    for (int i = 0; i < n; i++) {
        uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull;
        x ^= x >> 29;
        d[i] = (int64_t)(1 + (x % (uint64_t)span_ms)) * 1000000;
    }

    struct lcb_report *r = lcb_report_new("timers", &o, "libev");
    char buf[96];
    snprintf(buf, sizeof buf, "%d timers, delays 1..%d ms shuffled, every odd one cancelled", n, span_ms);
    lcb_report_param(r, "shape", buf);
    snprintf(buf, sizeof buf, "%d", runs);
    lcb_report_param(r, "runs", buf);

    struct impl impls[8];
    int ni = 0;
    if (lcb_selected(&o, "lc-epoll"))
        impls[ni++] = (struct impl){"lc-epoll", lc_epoll_timers, 0};
    if (lcb_selected(&o, "lc-epoll-call_at"))
        impls[ni++] = (struct impl){"lc-epoll-call_at", lc_epoll_at_timers, 0};
    lc_probe why;
    if (lc_backend_probe("io_uring", &why) == 0 && why.available && o.only && lcb_selected(&o, "lc-io_uring"))
        impls[ni++] = (struct impl){"lc-io_uring", lc_io_uring_timers, 0};
#ifdef LCB_HAVE_UV
    if (lcb_selected(&o, "libuv"))
        impls[ni++] = (struct impl){"libuv", lcb_uv_timers, 0};
    lcb_report_peer(r, "libuv", lcb_uv_version());
#endif
#ifdef LCB_HAVE_EV
    if (lcb_selected(&o, "libev"))
        impls[ni++] = (struct impl){"libev", lcb_ev_timers, 0};
    lcb_report_peer(r, "libev", lcb_ev_version());
#endif
#ifdef LCB_HAVE_EVENT
    if (lcb_selected(&o, "libevent"))
        impls[ni++] = (struct impl){"libevent", lcb_event_timers, 0};
    if (lcb_event_version())
        lcb_report_peer(r, "libevent", lcb_event_version());
#endif

    char config[32];
    snprintf(config, sizeof config, "n=%d", n);
    int status = 0;
    for (int run = 0; run < runs; run++) {
        for (int k = 0; k < ni; k++) {
            if (impls[k].skipped)
                continue;
            struct lcb_timers_result res;
            char whybuf[200];
            memset(&res, 0, sizeof res);
            if (impls[k].fn(n, d, &res, whybuf, sizeof whybuf) < 0) {
                impls[k].skipped = 1;
                lcb_skip(r, config, impls[k].name, whybuf);
                continue;
            }
            if (res.fired != (n + 1) / 2) {
                fprintf(stderr, "timers: %s fired %ld timers, expected %d\n", impls[k].name, res.fired, (n + 1) / 2);
                status = 1;
            }
            lcb_add(r, config, impls[k].name, "arm", "ms", res.arm_ms);
            lcb_add(r, config, impls[k].name, "cancel", "ms", res.cancel_ms);
            lcb_add(r, config, impls[k].name, "setup", "ms", res.arm_ms + res.cancel_ms);
            lcb_add(r, config, impls[k].name, "dispatch_cpu", "ms", res.dispatch_cpu_ms);
            lcb_add(r, config, impls[k].name, "dispatch_wall", "ms", res.dispatch_wall_ms);
            lcb_add(r, config, impls[k].name, "total_cpu", "ms", res.total_cpu_ms);
            printf("run %d %-10s setup %8.1f ms  dispatch cpu %8.1f ms\n", run + 1, impls[k].name,
                   res.arm_ms + res.cancel_ms, res.dispatch_cpu_ms);
            fflush(stdout);
        }
    }
    free(d);
    int rc = lcb_report_finish(r);
    return status ? status : rc;
}
