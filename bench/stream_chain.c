/* The stream chain: libevent's pipes chain (pipes_chain.c) through each
 * library's stream API instead of raw readers.  n AF_UNIX socketpairs; the
 * library reads fds[i][0] and the data callback writes what arrived to
 * fds[i+1][1] with the library's write call.  Ours: lc_stream_open on every
 * fd, data_received -> lc_transport_write, on epoll, io_uring (readiness)
 * and io_uring in completion mode (LC_LOOP_COMPLETION: the backend
 * performs the recv and the send); libuv: uv_pipe_open, uv_read_start,
 * uv_write; libevent: bufferevent_socket_new; and a hand-written epoll
 * loop with read(2)/write(2) as the floor.  Two phases are timed: setup
 * (opening a stream on every fd, and the loop iterations that make the
 * connections and arm the first reads — libuv registers its fds with epoll
 * in uv_run, we with connection_made) and dispatch (from the first write
 * until every byte written was read); each run makes fresh socketpairs and
 * a fresh loop.  Rounds interleave the implementations, rotating the
 * order. */
#include "bench_util.h"
#include "workloads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopcompat/loop.h"
#include "loopcompat/transport.h"

/* ---- ours: transports ---- */

struct lc_schain {
    lc_loop *loop;
    struct lcb_schain *c;
    lc_transport **wt; /* the transport on fds[i][1] */
    int failed;
};

static struct lc_schain *lc_cur;
static const char *lc_backend_now;
static unsigned lc_flags_now;

static void lc_read_made(lc_transport *t) { (void)t; }

/* The write ends only write: they do not read (libuv's and libevent's
 * write ends are not read either). */
static void lc_write_made(lc_transport *t) { lc_transport_pause_reading(t); }

static void lc_data(lc_transport *t, const void *data, size_t len)
{
    struct lc_schain *s = lc_cur;
    int idx = (int)(intptr_t)lc_transport_userdata(t);
    size_t fwd = lcb_schain_received(s->c, len);
    if (fwd == 0)
        return;
    int next = idx + 1 < s->c->n ? idx + 1 : 0;
    if (lc_transport_write(s->wt[next], data, fwd) < 0)
        s->failed = 1;
}

static void lc_lost(lc_transport *t, int err)
{
    (void)t;
    if (err != 0 && err != LC_ECLOSED)
        lc_cur->failed = 1;
}

static const lc_protocol lc_read_proto = {.connection_made = lc_read_made, .data_received = lc_data,
                                          .connection_lost = lc_lost};
static const lc_protocol lc_write_proto = {.connection_made = lc_write_made, .connection_lost = lc_lost};

static void lc_stop(void *st)
{
    struct lc_schain *s = st;
    lc_loop_free(s->loop); /* closes every transport and its fd */
    free(s->wt);
    free(s);
}

static void *lc_start(struct lcb_schain *c, char *why, size_t len)
{
    struct lc_schain *s = calloc(1, sizeof *s);
    lc_loop_options o = {0};
    o.backend = lc_backend_now;
    o.flags = lc_flags_now;
    int rc = s ? lc_loop_new(&s->loop, &o) : LC_ENOMEM;
    if (rc < 0) {
        snprintf(why, len, "lc_loop_new(%s): %s", lc_backend_now, lc_strerror(rc));
        free(s);
        return NULL;
    }
    s->c = c;
    s->wt = calloc((size_t)c->n, sizeof *s->wt);
    lc_cur = s;
    for (int i = 0; i < c->n && rc == 0; i++) {
        lc_transport *r;
        rc = lc_stream_open(s->loop, c->fds[i][0], &lc_read_proto, (void *)(intptr_t)i, &r);
        if (rc == 0)
            rc = lc_stream_open(s->loop, c->fds[i][1], &lc_write_proto, NULL, &s->wt[i]);
    }
    if (rc < 0) {
        snprintf(why, len, "lc_stream_open: %s", lc_strerror(rc));
        lc_stop(s);
        return NULL;
    }
    return s;
}

static void lc_once(void *st) { lc_loop_run_once(((struct lc_schain *)st)->loop, 0); }

static const struct lcb_schain_impl lc_schain = {"lc", lc_start, lc_once, lc_stop};

/* ---- the floor: a hand-written epoll loop ----
 * What any readiness loop must do per hop: epoll_wait(2), read(2) into one
 * buffer, write(2) to the next pair; no queue (a short write spins until
 * the rest went, which a 4096-byte message into an empty socketpair never
 * needs).  Its fds are registered in setup, as the libraries' are. */

struct raw_schain {
    int epfd;
    struct lcb_schain *c;
    struct epoll_event evs[256];
    unsigned char buf[1 << 16];
};

static void raw_stop(void *st)
{
    struct raw_schain *s = st;
    lcb_close_pairs(s->c->fds, s->c->n);
    close(s->epfd);
    free(s);
}

static void *raw_start(struct lcb_schain *c, char *why, size_t len)
{
    struct raw_schain *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(why, len, "out of memory");
        return NULL;
    }
    if ((s->epfd = lcb_epoll_read_ends(c->fds, c->n, why, len)) < 0) {
        free(s); /* the fds stay the caller's */
        return NULL;
    }
    s->c = c;
    return s;
}

static void raw_once(void *st)
{
    struct raw_schain *s = st;
    struct lcb_schain *c = s->c;
    int n = epoll_wait(s->epfd, s->evs, 256, 0);
    for (int i = 0; i < n; i++) {
        int idx = (int)s->evs[i].data.u32;
        ssize_t got = read(c->fds[idx][0], s->buf, sizeof s->buf);
        if (got <= 0)
            continue;
        size_t fwd = lcb_schain_received(c, (size_t)got);
        int next = idx + 1 < c->n ? idx + 1 : 0;
        for (size_t off = 0; off < fwd;) {
            ssize_t w = write(c->fds[next][1], s->buf + off, fwd - off);
            if (w > 0)
                off += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                break;
        }
    }
}

static const struct lcb_schain_impl raw_schain = {"raw-epoll", raw_start, raw_once, raw_stop};

/* ---- driver ---- */

struct impl {
    char name[48];
    const char *backend;
    unsigned flags;
    const struct lcb_schain_impl *ops;
    int skipped;
};

static int add_impl(struct impl *v, int n, const char *name, const char *backend, unsigned flags,
                    const struct lcb_schain_impl *ops)
{
    snprintf(v[n].name, sizeof v[n].name, "%s", name);
    v[n].backend = backend;
    v[n].flags = flags;
    v[n].ops = ops;
    v[n].skipped = 0;
    return n + 1;
}

static int make_pairs(struct lcb_schain *c)
{
    for (int i = 0; i < c->n; i++) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, c->fds[i]) < 0) {
            int err = errno;
            lcb_close_pairs(c->fds, i);
            return -err;
        }
    }
    return 0;
}

/* One timed run on fresh socketpairs; the dispatch time in µs (the setup
 * time in *setup_us), or < 0 if the implementation cannot run (why says
 * why). */
static double one_run(struct impl *im, struct lcb_schain *c, double *setup_us, char *why,
                      size_t len)
{
    int rc = make_pairs(c);
    if (rc < 0) {
        fprintf(stderr, "stream_chain: socketpair: %s\n", strerror(-rc));
        exit(1);
    }
    lc_backend_now = im->backend;
    lc_flags_now = im->flags;
    int64_t s0 = lcb_now_ns();
    void *st = im->ops->start(c, why, len);
    if (st == NULL) {
        lcb_close_pairs(c->fds, c->n);
        return -1;
    }
    for (int i = 0; i < 3; i++) /* connection_made and the first reads armed */
        im->ops->once(st);
    *setup_us = (double)(lcb_now_ns() - s0) / 1e3;
    static char msg[1 << 16];
    memset(msg, 'e', c->size);
    c->count = c->fired = 0;
    c->budget = (long long)c->w * (long long)c->size;
    int space = c->n / c->a;
    for (int i = 0; i < c->a; i++) {
        if (write(c->fds[i * space][1], msg, c->size) == (ssize_t)c->size)
            c->fired += (long long)c->size;
    }
    int64_t t0 = lcb_now_ns();
    long iters = 0;
    while (c->count != c->fired) {
        im->ops->once(st);
        if ((++iters & 1023) == 0 && lcb_now_ns() - t0 > 120 * (int64_t)1000000000) {
            fprintf(stderr, "stream_chain: %s n=%d a=%d size=%zu made no progress in 120 s (%lld of %lld bytes)\n",
                    im->name, c->n, c->a, c->size, c->count, c->fired);
            exit(1);
        }
    }
    int64_t t1 = lcb_now_ns();
    int failed = im->ops == &lc_schain && lc_cur->failed;
    im->ops->stop(st);
    if (failed) {
        snprintf(why, len, "a transport failed during the run");
        return -1;
    }
    return (double)(t1 - t0) / 1e3;
}

int main(int argc, char **argv)
{
    struct lcb_opts o;
    lcb_parse_args(argc, argv, &o,
                   "stream chain: the pipes chain through stream APIs; n in {100,1000}, a in {1,100}, "
                   "size in {1,4096} bytes, w = n; 25 runs.");
    long nofile = lcb_raise_nofile();
    int runs = o.runs ? o.runs : (o.tiny ? 2 : 25);
    static const int ns_full[] = {100, 1000}, ns_tiny[] = {100};
    static const int as[] = {1, 100};
    static const size_t sizes[] = {1, 4096};
    const int *ns = o.tiny ? ns_tiny : ns_full;
    int nn = o.tiny ? 1 : 2;

    struct lcb_report *r = lcb_report_new("stream_chain", &o, "libuv");
    char buf[96];
    snprintf(buf, sizeof buf, "%d", runs);
    lcb_report_param(r, "runs", buf);
    lcb_report_param(r, "shape", "AF_UNIX socketpairs, data callback writes to the next pair, w = n; "
                                 "setup (streams opened, first reads armed) and dispatch timed apart");

    struct impl impls[16];
    int ni = 0;
    if (lcb_selected(&o, "raw-epoll"))
        ni = add_impl(impls, ni, "raw-epoll", NULL, 0, &raw_schain);
#ifdef LCB_HAVE_URING
    lc_probe uring_why;
    if (lcb_selected(&o, "raw-io_uring") && lc_backend_probe("io_uring", &uring_why) == 0 && uring_why.available)
        ni = add_impl(impls, ni, "raw-io_uring", NULL, 0, &lcb_uring_schain);
#endif
    const char *const *names;
    size_t nb = lc_backend_list(&names);
    for (size_t i = 0; i < nb && ni < 10; i++) {
        lc_probe why;
        /* poll and select scan every fd per iteration (pipes_chain.c
         * measures them); the stream chain compares the scalable ones. */
        if (strcmp(names[i], "poll") == 0 || strcmp(names[i], "select") == 0)
            continue;
        if (lc_backend_probe(names[i], &why) < 0 || !why.available)
            continue;
        char name[48];
        snprintf(name, sizeof name, "lc-%s", names[i]);
        if (lcb_selected(&o, name))
            ni = add_impl(impls, ni, name, names[i], 0, &lc_schain);
        snprintf(name, sizeof name, "lc-%s-completion", names[i]);
        if ((lc_backend_loop_flags(names[i]) & LC_LOOP_COMPLETION) && lcb_selected(&o, name))
            ni = add_impl(impls, ni, name, names[i], LC_LOOP_COMPLETION, &lc_schain);
    }
#ifdef LCB_HAVE_UV
    if (lcb_selected(&o, "libuv"))
        ni = add_impl(impls, ni, "libuv", NULL, 0, &lcb_uv_schain);
    lcb_report_peer(r, "libuv", lcb_uv_version());
#endif
#ifdef LCB_HAVE_EVENT
    if (lcb_selected(&o, "libevent"))
        ni = add_impl(impls, ni, "libevent", NULL, 0, &lcb_event_schain);
    if (lcb_event_version())
        lcb_report_peer(r, "libevent", lcb_event_version());
#endif

    for (int in = 0; in < nn; in++) {
        for (int ia = 0; ia < 2; ia++) {
            for (int is = 0; is < 2; is++) {
                struct lcb_schain c = {.n = ns[in], .a = as[ia], .w = ns[in], .size = sizes[is]};
                char config[48];
                snprintf(config, sizeof config, "n=%d a=%d size=%zu", c.n, c.a, c.size);
                if (!lcb_config_selected(&o, config))
                    continue;
                if (2L * c.n + 64 > nofile) {
                    for (int k = 0; k < ni; k++)
                        lcb_skip(r, config, impls[k].name, "RLIMIT_NOFILE too low for 2n + 64 fds");
                    continue;
                }
                c.fds = calloc((size_t)c.n, sizeof *c.fds);
                for (int k = 0; k < ni; k++)
                    impls[k].skipped = 0;
                printf("%s:", config);
                fflush(stdout);
                for (int run = 0; run < runs; run++) {
                    for (int j = 0; j < ni; j++) {
                        struct impl *im = &impls[(j + run) % ni];
                        if (im->skipped)
                            continue;
                        char why[200];
                        double setup_us = 0;
                        double us = one_run(im, &c, &setup_us, why, sizeof why);
                        if (us < 0) {
                            im->skipped = 1;
                            lcb_skip(r, config, im->name, why);
                            continue;
                        }
                        lcb_add(r, config, im->name, "dispatch", "us", us);
                        lcb_add(r, config, im->name, "per_hop", "ns", us * 1e3 / c.w);
                        lcb_add(r, config, im->name, "setup", "us", setup_us);
                    }
                    printf(" %d", run + 1);
                    fflush(stdout);
                }
                printf("\n");
                free(c.fds);
            }
        }
    }
    return lcb_report_finish(r);
}
