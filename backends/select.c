/* select backend: pselect(2) with a nanosecond timespec, or select(2) with a
 * microsecond timeval when the loop asks for the coarse call.
 *
 * select(2) NOTES/BUGS: an fd_set holds fds below FD_SETSIZE (1024 with
 * glibc); FD_SET on a larger fd is undefined, and with _FORTIFY_SOURCE
 * glibc aborts ("bit out of range").  check_fd refuses such an fd before
 * touching any set, as asyncio's SelectSelector does ("filedescriptor out
 * of range in select()").  POSIX pselect: "File descriptors associated with
 * regular files shall always select true for ready to read, ready to
 * write, and error conditions", so any fd type is accepted. */
#include "lc_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

struct lc__select {
    fd_set rset, wset;
    int maxfd;
};

static int64_t sel_granularity(unsigned flags)
{
    return (flags & LC_LOOP_COARSE_TIMEOUT) ? 1000 : 1; /* timeval µs vs timespec ns */
}

static int sel_probe(lc_probe *why)
{
    why->available = 1; /* POSIX.1-2001: always present */
    return 0;
}

static int sel_init(lc_loop *loop)
{
    struct lc__select *s = calloc(1, sizeof *s);
    if (s == NULL)
        return LC_ENOMEM;
    FD_ZERO(&s->rset);
    FD_ZERO(&s->wset);
    s->maxfd = -1;
    loop->backend = s;
    return 0;
}

static void sel_destroy(lc_loop *loop)
{
    free(loop->backend);
    loop->backend = NULL;
}

static int sel_check_fd(lc_loop *loop, int fd)
{
    if (fd >= FD_SETSIZE) {
        lc__set_refusal(loop, "select", 0, "man:select(2)");
        return LC_ENOTSUP;
    }
    return 0;
}

static int sel_watch(lc_loop *loop, int fd, unsigned old_ev, unsigned new_ev)
{
    struct lc__select *s = loop->backend;
    (void)old_ev;
    if (fd >= FD_SETSIZE)
        return LC_ENOTSUP;
    if (new_ev & LC__EV_READ)
        FD_SET(fd, &s->rset);
    else
        FD_CLR(fd, &s->rset);
    if (new_ev & LC__EV_WRITE)
        FD_SET(fd, &s->wset);
    else
        FD_CLR(fd, &s->wset);
    if (new_ev && fd > s->maxfd)
        s->maxfd = fd;
    while (s->maxfd >= 0 && !FD_ISSET(s->maxfd, &s->rset) && !FD_ISSET(s->maxfd, &s->wset))
        s->maxfd--;
    return 0;
}

static int sel_poll(lc_loop *loop, int64_t timeout_ns)
{
    struct lc__select *s = loop->backend;
    fd_set r = s->rset, w = s->wset;
    int n;
    if (loop->opts.flags & LC_LOOP_COARSE_TIMEOUT) {
        struct timeval tv, *tvp = NULL;
        if (timeout_ns >= 0) {
            int64_t us = (timeout_ns + 999) / 1000; /* round up: never wake early */
            tv.tv_sec = us / 1000000;
            tv.tv_usec = us % 1000000;
            tvp = &tv;
        }
        n = select(s->maxfd + 1, &r, &w, NULL, tvp);
    } else {
        struct timespec ts, *tsp = NULL;
        if (timeout_ns >= 0) {
            ts.tv_sec = timeout_ns / 1000000000;
            ts.tv_nsec = timeout_ns % 1000000000;
            tsp = &ts;
        }
        n = pselect(s->maxfd + 1, &r, &w, NULL, tsp, NULL);
    }
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int fd = 0; fd <= s->maxfd && n > 0; fd++) {
        unsigned ev = 0;
        if (FD_ISSET(fd, &r))
            ev |= LC__EV_READ;
        if (FD_ISSET(fd, &w))
            ev |= LC__EV_WRITE;
        if (ev) {
            lc__io_event(loop, fd, ev);
            n -= (ev == (LC__EV_READ | LC__EV_WRITE)) ? 2 : 1;
        }
    }
    return 0;
}

const struct lc_backend_ops lc__backend_select = {
    .name = "select",
    .features = LC_FEAT_ANY_FD | LC_FEAT_NS_TIMEOUT,
    .granularity = sel_granularity,
    .probe = sel_probe,
    .init = sel_init,
    .destroy = sel_destroy,
    .check_fd = sel_check_fd,
    .watch = sel_watch,
    .poll = sel_poll,
    .after_fork = NULL,
};
