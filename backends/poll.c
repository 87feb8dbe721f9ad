/* poll backend: ppoll(2) with a nanosecond timespec, or poll(2) with its
 * millisecond timeout (rounded up, poll(2): "the timeout interval will be
 * rounded up to the system clock granularity") when the loop asks for the
 * coarse call.  No FD_SETSIZE cap; regular files poll as always readable and
 * writable (poll(2), POSIX). */
#include "lc_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct lc__poll {
    struct pollfd *pfd;
    int *slot;       /* fd -> index in pfd + 1, 0 if absent */
    int nslot;
    int n, cap;
};

static int64_t poll_granularity(unsigned flags)
{
    return (flags & LC_LOOP_COARSE_TIMEOUT) ? 1000000 : 1;
}

static int poll_probe(lc_probe *why)
{
    why->available = 1; /* POSIX.1-2001 */
    return 0;
}

static int poll_init(lc_loop *loop)
{
    struct lc__poll *p = calloc(1, sizeof *p);
    if (p == NULL)
        return LC_ENOMEM;
    loop->backend = p;
    return 0;
}

static void poll_destroy(lc_loop *loop)
{
    struct lc__poll *p = loop->backend;
    if (p) {
        free(p->pfd);
        free(p->slot);
        free(p);
    }
    loop->backend = NULL;
}

static int poll_check_fd(lc_loop *loop, int fd)
{
    (void)loop;
    (void)fd;
    return 0;
}

static short to_poll(unsigned ev)
{
    return (short)(((ev & LC__EV_READ) ? POLLIN : 0) | ((ev & LC__EV_WRITE) ? POLLOUT : 0));
}

static int poll_watch(lc_loop *loop, int fd, unsigned old_ev, unsigned new_ev)
{
    struct lc__poll *p = loop->backend;
    (void)old_ev;
    if (fd >= p->nslot) {
        int n = p->nslot ? p->nslot : 64;
        while (n <= fd)
            n *= 2;
        int *ns = realloc(p->slot, (size_t)n * sizeof *ns);
        if (ns == NULL)
            return LC_ENOMEM;
        memset(ns + p->nslot, 0, (size_t)(n - p->nslot) * sizeof *ns);
        p->slot = ns;
        p->nslot = n;
    }
    int i = p->slot[fd] - 1;
    if (new_ev == 0) {
        if (i >= 0) { /* swap-remove keeps the array dense */
            p->pfd[i] = p->pfd[--p->n];
            if (i < p->n)
                p->slot[p->pfd[i].fd] = i + 1;
            p->slot[fd] = 0;
        }
        return 0;
    }
    if (i < 0) {
        if (p->n == p->cap) {
            int ncap = p->cap ? p->cap * 2 : 64;
            struct pollfd *np = realloc(p->pfd, (size_t)ncap * sizeof *np);
            if (np == NULL)
                return LC_ENOMEM;
            p->pfd = np;
            p->cap = ncap;
        }
        i = p->n++;
        p->pfd[i].fd = fd;
        p->slot[fd] = i + 1;
    }
    p->pfd[i].events = to_poll(new_ev);
    p->pfd[i].revents = 0;
    return 0;
}

static int poll_poll(lc_loop *loop, int64_t timeout_ns)
{
    struct lc__poll *p = loop->backend;
    int n;
    if (loop->opts.flags & LC_LOOP_COARSE_TIMEOUT) {
        n = poll(p->pfd, (nfds_t)p->n, lc__timeout_ms_ceil(timeout_ns));
    } else {
        struct timespec ts, *tsp = NULL;
        if (timeout_ns >= 0) {
            ts.tv_sec = timeout_ns / 1000000000;
            ts.tv_nsec = timeout_ns % 1000000000;
            tsp = &ts;
        }
        n = ppoll(p->pfd, (nfds_t)p->n, tsp, NULL);
    }
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < p->n && n > 0; i++) {
        short re = p->pfd[i].revents;
        if (re == 0)
            continue;
        n--;
        /* As Lib/selectors.py does: anything but POLLIN counts as writable,
         * anything but POLLOUT as readable, so HUP/ERR/NVAL wake both. */
        unsigned ev = 0;
        if (re & ~POLLOUT)
            ev |= LC__EV_READ;
        if (re & ~POLLIN)
            ev |= LC__EV_WRITE;
        lc__io_event(loop, p->pfd[i].fd, ev);
    }
    return 0;
}

const struct lc_backend_ops lc__backend_poll = {
    .name = "poll",
    .features = LC_FEAT_ANY_FD | LC_FEAT_NS_TIMEOUT,
    .granularity = poll_granularity,
    .probe = poll_probe,
    .init = poll_init,
    .destroy = poll_destroy,
    .check_fd = poll_check_fd,
    .watch = poll_watch,
    .poll = poll_poll,
    .after_fork = NULL,
};
