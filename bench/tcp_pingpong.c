/* TCP ping-pong over loopback (libuv's ping_pongs shape): both ends of one
 * connection in one loop, "PING\n" written, echoed, counted; round trips
 * per second over `seconds` (5 s; --tiny 0.2 s).  Ours through transports
 * (lc_stream_open on each fd) on every backend that takes them, and again
 * in completion mode where a backend has it (LC_LOOP_COMPLETION); libuv
 * uv_read_start/uv_write; libevent bufferevents; a raw epoll loop with
 * read(2)/write(2) as the floor.  Runs interleave round by round. */
#include "bench_util.h"
#include "workloads.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "loopcompat/loop.h"
#include "loopcompat/transport.h"

/* A connected loopback pair: cfd (client), sfd (accepted), both
 * non-blocking with TCP_NODELAY. */
static int tcp_pair(int *cfd, int *sfd)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) < 0)
        return -errno;
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0)
        return -errno;
    int s = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    close(l);
    if (s < 0)
        return -errno;
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int fl = fcntl(c, F_GETFL);
    fcntl(c, F_SETFL, fl | O_NONBLOCK);
    *cfd = c;
    *sfd = s;
    return 0;
}

/* ---- ours: transports ---- */

struct lc_pp {
    lc_loop *loop;
    lc_transport *c, *s;
    long rts;
    size_t got;
    int64_t deadline;
    int failed;
};

static struct lc_pp *lc_pp_cur;

static void lc_client_rx(lc_transport *t, const void *data, size_t len)
{
    (void)data;
    struct lc_pp *p = lc_pp_cur;
    p->got += len;
    while (p->got >= LCB_PING_LEN) {
        p->got -= LCB_PING_LEN;
        p->rts++;
    }
    if (p->got)
        return;
    if (lcb_now_ns() >= p->deadline)
        lc_loop_stop(p->loop);
    else if (lc_transport_write(t, LCB_PING, LCB_PING_LEN) < 0)
        p->failed = 1;
}

static void lc_server_rx(lc_transport *t, const void *data, size_t len)
{
    if (lc_transport_write(t, data, len) < 0)
        lc_pp_cur->failed = 1;
}

static void lc_lost(lc_transport *t, int err)
{
    (void)t;
    if (err != 0) {
        lc_pp_cur->failed = 1;
        lc_loop_stop(lc_pp_cur->loop);
    }
}

static const lc_protocol lc_client_proto = {.data_received = lc_client_rx, .connection_lost = lc_lost};
static const lc_protocol lc_server_proto = {.data_received = lc_server_rx, .connection_lost = lc_lost};

static const char *lc_backend_now;
static unsigned lc_flags_now; /* LC_LOOP_COMPLETION for the -completion rows */

static int lc_pingpong(int cfd, int sfd, double seconds, long *rts, double *elapsed_ns, char *why, size_t len)
{
    struct lc_pp p;
    memset(&p, 0, sizeof p);
    lc_loop_options o = {0};
    o.backend = lc_backend_now;
    o.flags = lc_flags_now;
    int rc = lc_loop_new(&p.loop, &o);
    if (rc == 0 && (rc = lc_stream_open(p.loop, cfd, &lc_client_proto, NULL, &p.c)) == 0)
        cfd = -1;
    if (rc == 0 && (rc = lc_stream_open(p.loop, sfd, &lc_server_proto, NULL, &p.s)) == 0)
        sfd = -1;
    if (rc < 0) {
        snprintf(why, len, "%s: %s", p.loop ? "lc_stream_open" : "lc_loop_new", lc_strerror(rc));
        if (cfd >= 0)
            close(cfd);
        if (sfd >= 0)
            close(sfd);
        lc_loop_free(p.loop);
        return -1;
    }
    lc_pp_cur = &p;
    int64_t t0 = lcb_now_ns();
    p.deadline = t0 + (int64_t)(seconds * 1e9);
    lc_transport_write(p.c, LCB_PING, LCB_PING_LEN);
    lc_loop_run(p.loop);
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    *rts = p.rts;
    lc_transport_close(p.c);
    lc_transport_close(p.s);
    for (int i = 0; i < 4; i++)
        lc_loop_run_once(p.loop, 0);
    lc_loop_free(p.loop);
    if (p.failed) {
        snprintf(why, len, "a transport failed during the run");
        return -1;
    }
    return 0;
}

/* ---- the floor: epoll with read(2)/write(2) ---- */

static int raw_pingpong(int cfd, int sfd, double seconds, long *rts, double *elapsed_ns, char *why, size_t len)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = cfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
    ev.data.fd = sfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    char buf[65536];
    long n_rts = 0;
    size_t got = 0;
    int64_t t0 = lcb_now_ns(), deadline = t0 + (int64_t)(seconds * 1e9);
    int done = 0, rc = 0;
    if (write(cfd, LCB_PING, LCB_PING_LEN) != LCB_PING_LEN)
        done = rc = -1;
    while (!done) {
        struct epoll_event evs[8];
        int n = epoll_wait(ep, evs, 8, -1);
        for (int i = 0; i < n && !done; i++) {
            int fd = evs[i].data.fd;
            ssize_t r = read(fd, buf, sizeof buf);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN)
                    continue;
                done = rc = -1;
                break;
            }
            if (fd == sfd) {
                if (write(sfd, buf, (size_t)r) != r)
                    done = rc = -1;
                continue;
            }
            got += (size_t)r;
            while (got >= LCB_PING_LEN) {
                got -= LCB_PING_LEN;
                n_rts++;
            }
            if (got == 0) {
                if (lcb_now_ns() >= deadline)
                    done = 1;
                else if (write(cfd, LCB_PING, LCB_PING_LEN) != LCB_PING_LEN)
                    done = rc = -1;
            }
        }
    }
    *elapsed_ns = (double)(lcb_now_ns() - t0);
    *rts = n_rts;
    close(ep);
    close(cfd);
    close(sfd);
    if (rc < 0)
        snprintf(why, len, "read/write failed: %s", strerror(errno));
    return rc;
}

struct impl {
    char name[40];
    const char *backend;
    lcb_pingpong_fn fn;
    int skipped;
    unsigned flags;
};

int main(int argc, char **argv)
{
    struct lcb_opts o;
    lcb_parse_args(argc, argv, &o, "TCP ping-pong over loopback, both ends in one loop; 5 s per run, 5 runs.");
    int runs = o.runs ? o.runs : (o.tiny ? 1 : 5);
    double seconds = o.tiny ? 0.2 : 5.0;
    struct lcb_report *r = lcb_report_new("tcp_pingpong", &o, "raw-epoll");
    char buf[96];
    snprintf(buf, sizeof buf, "%.1f s per run, %d runs, 5-byte messages, TCP_NODELAY", seconds, runs);
    lcb_report_param(r, "shape", buf);

    struct impl impls[16];
    int ni = 0;
    if (lcb_selected(&o, "raw-epoll"))
        impls[ni++] = (struct impl){"raw-epoll", NULL, raw_pingpong, 0, 0};
    const char *const *names;
    size_t nb = lc_backend_list(&names);
    for (size_t i = 0; i < nb && ni < 12; i++) {
        lc_probe why;
        if (lc_backend_probe(names[i], &why) < 0 || !why.available)
            continue;
        for (int completion = 0; completion < 2; completion++) {
            if (completion && !(lc_backend_loop_flags(names[i]) & LC_LOOP_COMPLETION))
                continue;
            snprintf(impls[ni].name, sizeof impls[ni].name, "lc-%s%s", names[i], completion ? "-completion" : "");
            if (!lcb_selected(&o, impls[ni].name))
                continue;
            impls[ni].backend = names[i];
            impls[ni].fn = lc_pingpong;
            impls[ni].skipped = 0;
            impls[ni].flags = completion ? LC_LOOP_COMPLETION : 0;
            ni++;
        }
    }
#ifdef LCB_HAVE_UV
    if (lcb_selected(&o, "libuv"))
        impls[ni++] = (struct impl){"libuv", NULL, lcb_uv_pingpong, 0, 0};
    lcb_report_peer(r, "libuv", lcb_uv_version());
#endif
#ifdef LCB_HAVE_EVENT
    if (lcb_selected(&o, "libevent"))
        impls[ni++] = (struct impl){"libevent", NULL, lcb_event_pingpong, 0, 0};
    if (lcb_event_version())
        lcb_report_peer(r, "libevent", lcb_event_version());
#endif

    const char *config = "loopback";
    for (int run = 0; run < runs; run++) {
        for (int j = 0; j < ni; j++) {
            struct impl *im = &impls[(j + run) % ni];
            if (im->skipped)
                continue;
            int cfd = -1, sfd = -1, rc = tcp_pair(&cfd, &sfd);
            if (rc < 0) {
                fprintf(stderr, "tcp_pingpong: loopback connection: %s\n", strerror(-rc));
                return 1;
            }
            char why[200];
            long rts = 0;
            double ns = 0;
            lc_backend_now = im->backend;
            lc_flags_now = im->flags;
            if (im->fn(cfd, sfd, seconds, &rts, &ns, why, sizeof why) < 0) {
                im->skipped = 1;
                lcb_skip(r, config, im->name, why);
                continue;
            }
            lcb_add(r, config, im->name, "round_trips", "k/s", (double)rts / ns * 1e6);
        }
        printf("run %d of %d done\n", run + 1, runs);
        fflush(stdout);
    }
    return lcb_report_finish(r);
}
