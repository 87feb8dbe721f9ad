/* The pipes chain of libevent's test/bench.c: n socketpairs, a reader on
 * each, `a` active writers, w = n chained writes.  Only the dispatch phase
 * is timed (from the first write until every byte fired was read); each
 * run creates a fresh loop, registers every reader, runs one non-blocking
 * iteration (as bench.c does), then starts the chain.  Implementations run
 * round by round: every round times each implementation once. */
#include "bench_util.h"
#include "workloads.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>

#include "loopcompat/loop.h"

/* ---- ours ---- */

static const char *lc_backend_now;

struct lc_chain {
    lc_loop *loop;
    struct lcb_chain *c;
};

static struct lc_chain *lc_chain_cur;

static void lc_chain_cb(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    (void)fd;
    lcb_chain_readable(lc_chain_cur->c, (int)(intptr_t)arg);
}

static void lc_chain_stop(void *st)
{
    struct lc_chain *s = st;
    for (int i = 0; i < s->c->n; i++)
        lc_remove_reader(s->loop, s->c->fds[i][0]);
    lc_loop_free(s->loop);
    free(s);
}

static void *lc_chain_start(struct lcb_chain *c, char *why, size_t len)
{
    struct lc_chain *s = calloc(1, sizeof *s);
    lc_loop_options o = {0};
    o.backend = lc_backend_now;
    int rc = s ? lc_loop_new(&s->loop, &o) : LC_ENOMEM;
    if (rc < 0) {
        snprintf(why, len, "lc_loop_new(%s): %s", lc_backend_now, lc_strerror(rc));
        free(s);
        return NULL;
    }
    s->c = c;
    lc_chain_cur = s;
    for (int i = 0; i < c->n; i++) {
        rc = lc_add_reader(s->loop, c->fds[i][0], lc_chain_cb, (void *)(intptr_t)i);
        if (rc < 0) {
            snprintf(why, len, "lc_add_reader(fd %d): %s", c->fds[i][0], lc_strerror(rc));
            lc_chain_stop(s);
            return NULL;
        }
    }
    return s;
}

static void lc_chain_once(void *st)
{
    lc_loop_run_once(((struct lc_chain *)st)->loop, 0);
}

static const struct lcb_chain_impl lc_chain = {"lc", lc_chain_start, lc_chain_once, lc_chain_stop};

/* ---- the floor: a hand-written epoll loop ---- */

struct raw_chain {
    int epfd;
    struct lcb_chain *c;
    struct epoll_event evs[1024];
};

static void raw_stop(void *st)
{
    struct raw_chain *s = st;
    close(s->epfd);
    free(s);
}

static void *raw_start(struct lcb_chain *c, char *why, size_t len)
{
    struct raw_chain *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(why, len, "out of memory");
        return NULL;
    }
    if ((s->epfd = lcb_epoll_read_ends(c->fds, c->n, why, len)) < 0) {
        free(s);
        return NULL;
    }
    s->c = c;
    return s;
}

static void raw_once(void *st)
{
    struct raw_chain *s = st;
    int n = epoll_wait(s->epfd, s->evs, 1024, 0);
    for (int i = 0; i < n; i++)
        lcb_chain_readable(s->c, (int)s->evs[i].data.u32);
}

static const struct lcb_chain_impl raw_chain = {"raw-epoll", raw_start, raw_once, raw_stop};

/* ---- driver ---- */

struct impl {
    char name[40];
    const char *backend; /* ours: the backend to use */
    const struct lcb_chain_impl *ops;
    int skipped;
    int runs_left; /* -1: no budget applies */
};

static int add_impl(struct impl *v, int n, const char *name, const char *backend, const struct lcb_chain_impl *ops)
{
    snprintf(v[n].name, sizeof v[n].name, "%s", name);
    v[n].backend = backend;
    v[n].ops = ops;
    v[n].skipped = 0;
    return n + 1;
}

/* One timed run; returns the dispatch time in µs, or < 0 if skipped. */
static double one_run(struct impl *im, struct lcb_chain *c, char *why, size_t len)
{
    lc_backend_now = im->backend;
    void *st = im->ops->start(c, why, len);
    if (st == NULL)
        return -1;
    im->ops->once(st);
    c->count = c->fired = 0;
    c->writes = c->w;
    int space = c->n / c->a;
    for (int i = 0; i < c->a; i++) {
        if (write(c->fds[i * space][1], "e", 1) == 1)
            c->fired++;
    }
    int64_t t0 = lcb_now_ns();
    long iters = 0;
    while (c->count != c->fired) {
        im->ops->once(st);
        if ((++iters & 1023) == 0 && lcb_now_ns() - t0 > 120 * (int64_t)1000000000) {
            fprintf(stderr, "pipes_chain: %s n=%d a=%d made no progress in 120 s (%ld of %ld bytes)\n", im->name,
                    c->n, c->a, c->count, c->fired);
            exit(1);
        }
    }
    int64_t t1 = lcb_now_ns();
    im->ops->stop(st);
    return (double)(t1 - t0) / 1e3;
}

int main(int argc, char **argv)
{
    struct lcb_opts o;
    lcb_parse_args(argc, argv, &o, "libevent bench.c pipes chain: n in {100,1000,9000}, a in {1,100}, w = n; 25 runs.");
    long nofile = lcb_raise_nofile();
    int runs = o.runs ? o.runs : (o.tiny ? 2 : 25);
    static const int ns_full[] = {100, 1000, 9000}, ns_tiny[] = {100};
    static const int as_full[] = {1, 100};
    const int *ns = o.tiny ? ns_tiny : ns_full;
    int nn = o.tiny ? 1 : 3;

    struct lcb_report *r = lcb_report_new("pipes_chain", &o, "raw-epoll");
    char buf[64];
    snprintf(buf, sizeof buf, "%d", runs);
    lcb_report_param(r, "runs", buf);
    lcb_report_param(r, "shape", "libevent test/bench.c: AF_UNIX socketpairs, w = n, dispatch time only");
    snprintf(buf, sizeof buf, "%ld", nofile);
    lcb_report_param(r, "rlimit_nofile", buf);

    struct impl impls[16];
    int ni = 0;
    if (lcb_selected(&o, "raw-epoll"))
        ni = add_impl(impls, ni, "raw-epoll", NULL, &raw_chain);
    const char *const *names;
    size_t nb = lc_backend_list(&names);
    for (size_t i = 0; i < nb && ni < 12; i++) {
        lc_probe why;
        char name[40];
        snprintf(name, sizeof name, "lc-%s", names[i]);
        if (lc_backend_probe(names[i], &why) == 0 && why.available && lcb_selected(&o, name))
            ni = add_impl(impls, ni, name, names[i], &lc_chain);
    }
#ifdef LCB_HAVE_UV
    if (lcb_selected(&o, "libuv"))
        ni = add_impl(impls, ni, "libuv", NULL, &lcb_uv_chain);
    lcb_report_peer(r, "libuv", lcb_uv_version());
#endif
#ifdef LCB_HAVE_EV
    if (lcb_selected(&o, "libev"))
        ni = add_impl(impls, ni, "libev", NULL, &lcb_ev_chain);
    lcb_report_peer(r, "libev", lcb_ev_version());
#endif
#ifdef LCB_HAVE_EVENT
    if (lcb_selected(&o, "libevent"))
        ni = add_impl(impls, ni, "libevent", NULL, &lcb_event_chain);
    if (lcb_event_version())
        lcb_report_peer(r, "libevent", lcb_event_version());
#endif

    for (int in = 0; in < nn; in++) {
        for (int ia = 0; ia < 2; ia++) {
            struct lcb_chain c = {.n = ns[in], .a = as_full[ia], .w = ns[in]};
            char config[32];
            snprintf(config, sizeof config, "n=%d a=%d", c.n, c.a);
            if (!lcb_config_selected(&o, config))
                continue;
            /* Two fds per pair plus each loop's own (epoll fd, wakeup). */
            if (2L * c.n + 64 > nofile) {
                for (int k = 0; k < ni; k++)
                    lcb_skip(r, config, impls[k].name, "RLIMIT_NOFILE too low for 2n + 64 fds");
                continue;
            }
            c.fds = calloc((size_t)c.n, sizeof *c.fds);
            for (int i = 0; i < c.n; i++) {
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, c.fds[i]) < 0) {
                    fprintf(stderr, "pipes_chain: socketpair: %s\n", strerror(errno));
                    return 1;
                }
            }
            for (int k = 0; k < ni; k++) {
                impls[k].skipped = 0;
                impls[k].runs_left = -1;
            }
            printf("%s:", config);
            fflush(stdout);
            for (int k = 0; k < ni; k++) {
                /* select(2): "fd_set ... FD_SETSIZE": every fd, the loop's
                 * own included, must stay below it. */
                if (impls[k].backend && strcmp(impls[k].backend, "select") == 0 && 2L * c.n + 16 >= FD_SETSIZE) {
                    impls[k].skipped = 1;
                    lcb_skip(r, config, impls[k].name, "fds reach FD_SETSIZE (select(2))");
                }
            }
            for (int run = 0; run < runs; run++) {
                /* Rotate the order each round so no implementation always
                 * runs first after the socketpairs were made. */
                for (int j = 0; j < ni; j++) {
                    int k = (j + run) % ni;
                    if (impls[k].skipped || impls[k].runs_left == 0)
                        continue;
                    char why[200];
                    double us = one_run(&impls[k], &c, why, sizeof why);
                    if (us < 0) {
                        impls[k].skipped = 1;
                        lcb_skip(r, config, impls[k].name, why);
                        continue;
                    }
                    lcb_add(r, config, impls[k].name, "dispatch", "us", us);
                    /* Budget: a backend whose iteration scans every fd
                     * (poll(2) at n = 9000, a = 1 takes seconds per run)
                     * gets at least 3 runs and at most ~10 s in all. */
                    if (impls[k].runs_left < 0 && us > 1e6) {
                        int keep = (int)(10e6 / us);
                        impls[k].runs_left = keep < 3 ? 2 : keep - 1;
                    } else if (impls[k].runs_left > 0) {
                        impls[k].runs_left--;
                    }
                }
                printf(" %d", run + 1);
                fflush(stdout);
            }
            printf("\n");
            for (int i = 0; i < c.n; i++) {
                close(c.fds[i][0]);
                close(c.fds[i][1]);
            }
            free(c.fds);
        }
    }
    return lcb_report_finish(r);
}
