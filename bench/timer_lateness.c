/* Timer lateness: one one-shot timer at a time, re-armed from its own
 * callback, at 1 ms and 100 µs, each also with 500 µs of work in the
 * callback before re-arming (the pattern in which a loop that arms against
 * a time cached at the start of the iteration fires early).  Lateness =
 * the callback's first clock read - (clock read right before arming +
 * delay); negative is an early fire.  The floor is a bare epoll_pwait2(2)
 * with the delay as timeout, at the default timer slack and at 1 ns
 * (prctl(2) PR_SET_TIMERSLACK: the kernel may defer a wakeup by up to the
 * slack).  Rounds of `per_round` timers interleave the implementations. */
#include "bench_util.h"
#include "workloads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "loopcompat/loop.h"

/* ---- ours ---- */

struct lc_late {
    lc_timer t;
    struct lcb_late *l;
};

static void lc_late_cb(lc_loop *loop, void *arg)
{
    struct lc_late *s = arg;
    if (!lcb_late_fired(s->l, lcb_now_ns())) {
        lc_loop_stop(loop);
        return;
    }
    lcb_spin_ns(s->l->work_ns);
    s->l->armed_at = lcb_now_ns();
    lc_call_later(loop, &s->t, s->l->delay_ns, lc_late_cb, s);
}

static int lc_late_run(const char *backend, unsigned flags, struct lcb_late *l, char *why, size_t len)
{
    lc_loop *loop;
    lc_loop_options o = {0};
    o.backend = backend;
    o.flags = flags;
    int rc = lc_loop_new(&loop, &o);
    if (rc < 0) {
        snprintf(why, len, "lc_loop_new(%s): %s", backend, lc_strerror(rc));
        return -1;
    }
    struct lc_late s;
    memset(&s, 0, sizeof s);
    s.l = l;
    l->armed_at = lcb_now_ns();
    lc_call_later(loop, &s.t, l->delay_ns, lc_late_cb, &s);
    lc_loop_run(loop);
    lc_loop_free(loop);
    return 0;
}

/* ---- the floor ---- */

static int floor_run(struct lcb_late *l, char *why, size_t len)
{
#ifdef SYS_epoll_pwait2
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        snprintf(why, len, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    struct epoll_event ev;
    struct timespec ts = {(time_t)(l->delay_ns / 1000000000), (long)(l->delay_ns % 1000000000)};
    for (;;) {
        l->armed_at = lcb_now_ns();
        long rc;
        struct timespec left = ts;
        /* A signal ends the wait with EINTR; wait out the rest, as a loop
         * would.  A return of 0 before the timeout is counted as early. */
        while ((rc = syscall(SYS_epoll_pwait2, epfd, &ev, 1, &left, NULL, (size_t)0)) < 0 && errno == EINTR) {
            int64_t rest = l->armed_at + l->delay_ns - lcb_now_ns();
            left.tv_sec = rest > 0 ? (time_t)(rest / 1000000000) : 0;
            left.tv_nsec = rest > 0 ? (long)(rest % 1000000000) : 0;
        }
        if (rc < 0) {
            snprintf(why, len, "epoll_pwait2: %s", strerror(errno));
            close(epfd);
            return -1;
        }
        if (!lcb_late_fired(l, lcb_now_ns()))
            break;
        lcb_spin_ns(l->work_ns);
    }
    close(epfd);
    return 0;
#else
    (void)l;
    snprintf(why, len, "epoll_pwait2 not in these headers");
    return -1;
#endif
}

/* ---- implementations ---- */

struct impl {
    char name[40];
    const char *backend; /* ours */
    unsigned flags;      /* ours: LC_LOOP_* */
    lcb_late_fn peer;    /* a peer, or NULL */
    int floor;
    int slack_ns;        /* 0: leave the default */
    int skipped;
};

static int run_impl(struct impl *im, struct lcb_late *l, char *why, size_t len)
{
    int old = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    if (im->slack_ns)
        prctl(PR_SET_TIMERSLACK, (unsigned long)im->slack_ns, 0, 0, 0);
    int rc;
    if (im->floor)
        rc = floor_run(l, why, len);
    else if (im->peer)
        rc = im->peer(l, why, len);
    else
        rc = lc_late_run(im->backend, im->flags, l, why, len);
    if (im->slack_ns)
        prctl(PR_SET_TIMERSLACK, (unsigned long)old, 0, 0, 0);
    return rc;
}

static int add(struct impl *v, int n, const struct lcb_opts *o, const char *name, const char *backend,
               unsigned flags, lcb_late_fn peer, int floor, int slack)
{
    if (!lcb_selected(o, name))
        return n;
    memset(&v[n], 0, sizeof v[n]);
    snprintf(v[n].name, sizeof v[n].name, "%s", name);
    v[n].backend = backend;
    v[n].flags = flags;
    v[n].peer = peer;
    v[n].floor = floor;
    v[n].slack_ns = slack;
    return n + 1;
}

int main(int argc, char **argv)
{
    struct lcb_opts o;
    lcb_parse_args(argc, argv, &o,
                   "timer lateness: 1 ms and 100 us one-shot timers, 500 each, with and without 500 us of work\n"
                   "in the callback; --runs sets the number of rounds (100 timers each).");
    int rounds = o.runs ? o.runs : (o.tiny ? 1 : 5);
    int per_round = o.tiny ? 10 : 100;
    struct lcb_report *r = lcb_report_new("timer_lateness", &o, "floor-pwait2");
    char buf[96];
    snprintf(buf, sizeof buf, "%d rounds x %d timers per pattern", rounds, per_round);
    lcb_report_param(r, "shape", buf);
    lcb_report_param(r, "libuv", "timeouts in whole ms: 100 us is armed as 1 ms");

    struct impl impls[24];
    int ni = 0;
    ni = add(impls, ni, &o, "floor-pwait2", NULL, 0, NULL, 1, 0);
    ni = add(impls, ni, &o, "floor-pwait2@1ns", NULL, 0, NULL, 1, 1);
    const char *const *names;
    size_t nb = lc_backend_list(&names);
    for (size_t i = 0; i < nb && ni < 16; i++) {
        lc_probe why;
        if (lc_backend_probe(names[i], &why) < 0 || !why.available)
            continue;
        char name[40];
        snprintf(name, sizeof name, "lc-%s", names[i]);
        ni = add(impls, ni, &o, name, names[i], 0, NULL, 0, 0);
        if (strcmp(names[i], "epoll") == 0 || strcmp(names[i], "io_uring") == 0) {
            /* The ns-capable waits: at 1 ns slack too. */
            snprintf(name, sizeof name, "lc-%s@1ns", names[i]);
            ni = add(impls, ni, &o, name, names[i], 0, NULL, 0, 1);
        }
        if (strcmp(names[i], "epoll") == 0)
            ni = add(impls, ni, &o, "lc-epoll-coarse", names[i], LC_LOOP_COARSE_TIMEOUT, NULL, 0, 0);
    }
#ifdef LCB_HAVE_UV
    ni = add(impls, ni, &o, "libuv", NULL, 0, lcb_uv_late, 0, 0);
    lcb_report_peer(r, "libuv", lcb_uv_version());
#endif
#ifdef LCB_HAVE_EV
    ni = add(impls, ni, &o, "libev", NULL, 0, lcb_ev_late, 0, 0);
    lcb_report_peer(r, "libev", lcb_ev_version());
#endif
#ifdef LCB_HAVE_EVENT
    ni = add(impls, ni, &o, "libevent", NULL, 0, lcb_event_late, 0, 0);
    ni = add(impls, ni, &o, "libevent-precise", NULL, 0, lcb_event_late_precise, 0, 0);
    if (lcb_event_version())
        lcb_report_peer(r, "libevent", lcb_event_version());
#endif

    static const struct {
        const char *name;
        int64_t delay_ns, work_ns;
    } pats[] = {{"1ms", 1000000, 0}, {"100us", 100000, 0}, {"1ms+500us-work", 1000000, 500000},
                {"100us+500us-work", 100000, 500000}};
    double *samples = calloc((size_t)per_round, sizeof *samples);
    long early_total[24][4];
    memset(early_total, 0, sizeof early_total);
    for (int round = 0; round < rounds; round++) {
        for (int p = 0; p < 4; p++) {
            for (int j = 0; j < ni; j++) {
                int k = (j + round) % ni;
                struct impl *im = &impls[k];
                if (im->skipped)
                    continue;
                struct lcb_late l = {.delay_ns = pats[p].delay_ns, .work_ns = pats[p].work_ns,
                                     .count = per_round, .lateness_ns = samples};
                char why[200];
                if (run_impl(im, &l, why, sizeof why) < 0) {
                    im->skipped = 1;
                    lcb_skip(r, pats[p].name, im->name, why);
                    continue;
                }
                long early = 0;
                for (int i = 0; i < l.done; i++) {
                    lcb_add(r, pats[p].name, im->name, "lateness", "us", samples[i] / 1e3);
                    early += samples[i] < 0;
                }
                early_total[k][p] += early;
                lcb_add(r, pats[p].name, im->name, "early_fires", "count", (double)early);
            }
        }
        printf("round %d of %d done\n", round + 1, rounds);
        fflush(stdout);
    }
    printf("\nearly fires in total (of %d per pattern):\n", rounds * per_round);
    for (int k = 0; k < ni; k++)
        printf("  %-18s 1ms %4ld  100us %4ld  1ms+work %4ld  100us+work %4ld\n", impls[k].name, early_total[k][0],
               early_total[k][1], early_total[k][2], early_total[k][3]);
    free(samples);
    return lcb_report_finish(r);
}
