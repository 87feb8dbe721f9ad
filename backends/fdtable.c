/* The fd table: one registration per fd for both directions (asyncio's
 * selector key holds reader and writer together; the interest mask is the
 * union).  Indexed by fd number, grown on demand. */
#include "lc_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include "compat_win.h" /* lc__win_fd_open; lc__set_nonblock/cloexec live there */
#else
#include <fcntl.h>
#endif

static int ensure_fd(lc_loop *loop, int fd)
{
    if (fd < loop->nfds)
        return 0;
    int n = loop->nfds ? loop->nfds : 64;
    while (n <= fd)
        n *= 2;
    struct lc__fd *nf = realloc(loop->fds, (size_t)n * sizeof *nf);
    if (nf == NULL)
        return LC_ENOMEM;
    memset(nf + loop->nfds, 0, (size_t)(n - loop->nfds) * sizeof *nf);
    loop->fds = nf;
    loop->nfds = n;
    return 0;
}

void lc__set_refusal(lc_loop *loop, const char *call, int sys_errno, const char *ref)
{
    loop->refusal.call = call;
    loop->refusal.sys_errno = sys_errno;
    loop->refusal.ref = ref;
    /* An errno is the OS's answer; without one the library chose. */
    loop->refusal.decided_by = call || ref ? (sys_errno ? "os" : "library") : NULL;
}

void lc_loop_last_refusal(const lc_loop *loop, lc_refusal *out)
{
    if (out == NULL)
        return;
    if (loop == NULL) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = loop->refusal;
}

int lc__io_start(lc_loop *loop, int fd, unsigned ev, lc_io_cb cb, void *arg)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (fd < 0 || cb == NULL || (ev != LC__EV_READ && ev != LC__EV_WRITE))
        return LC_EINVAL;
    if (loop->ops->watch == NULL) {
        /* A proactor has no readiness by design; its check_fd says why. */
        lc__set_refusal(loop, NULL, 0, NULL);
        return loop->ops->check_fd ? loop->ops->check_fd(loop, fd) : LC_ENOTSUP;
    }
    unsigned old = fd < loop->nfds ? loop->fds[fd].events : 0, nev = old | ev;
    /* A closed fd: select and poll would only say so at the wait, so it is
     * checked here — unless the backend's own call reports it (epoll_ctl's
     * EBADF), which spares a system call per registration. */
    if (!(nev != old && (loop->ops->features & LC_FEAT_WATCH_EBADF))) {
#ifdef _WIN32
        if (!lc__win_fd_open(fd))
#else
        if (fcntl(fd, F_GETFD) < 0)
#endif
            return LC_EBADF;
    }
    if (old == 0) {
        /* Refuse before any kernel state changes (libuv uv__io_check_fd). */
        lc__set_refusal(loop, NULL, 0, NULL);
        if ((rc = loop->ops->check_fd(loop, fd)) < 0)
            return rc;
    }
    if (nev != old && (rc = loop->ops->watch(loop, fd, old, nev)) < 0)
        return rc == -EBADF ? LC_EBADF : rc;
    /* The table grows only for an fd the kernel took (or fcntl vouched
     * for): an absurd fd number is refused before it costs memory. */
    if ((rc = ensure_fd(loop, fd)) < 0) {
        if (nev != old)
            (void)loop->ops->watch(loop, fd, nev, old);
        return rc;
    }
    struct lc__fd *f = &loop->fds[fd];
    if (nev != old) {
        if (old == 0)
            loop->nwatched++;
        f->events = nev;
    }
    if (ev == LC__EV_READ) {
        f->rcb = cb;
        f->rarg = arg;
    } else {
        f->wcb = cb;
        f->warg = arg;
    }
    return 0;
}

int lc__io_stop(lc_loop *loop, int fd, unsigned ev)
{
    if (loop == NULL || loop->closed || fd < 0 || fd >= loop->nfds)
        return 0;
    struct lc__fd *f = &loop->fds[fd];
    if (!(f->events & ev))
        return 0;
    unsigned nev = f->events & ~ev;
    /* The fd may already be closed (asyncio allows unregistering a closed
     * fd): the backend's error is not the caller's problem then. */
    (void)loop->ops->watch(loop, fd, f->events, nev);
    f->events = nev;
    if (nev == 0)
        loop->nwatched--;
    if (ev == LC__EV_READ) {
        f->rcb = NULL;
        f->rarg = NULL;
    } else {
        f->wcb = NULL;
        f->warg = NULL;
    }
    return 1;
}

void lc__fd_set_owner(lc_loop *loop, int fd, unsigned owner)
{
    if (fd >= 0 && ensure_fd(loop, fd) == 0)
        loop->fds[fd].owner = owner;
}

static int owned(lc_loop *loop, int fd)
{
    return fd >= 0 && fd < loop->nfds && loop->fds[fd].owner;
}

int lc_add_reader(lc_loop *loop, int fd, lc_io_cb cb, void *arg)
{
    if (loop && !loop->closed && owned(loop, fd))
        return LC_EBUSY;
    return lc__io_start(loop, fd, LC__EV_READ, cb, arg);
}

int lc_add_writer(lc_loop *loop, int fd, lc_io_cb cb, void *arg)
{
    if (loop && !loop->closed && owned(loop, fd))
        return LC_EBUSY;
    return lc__io_start(loop, fd, LC__EV_WRITE, cb, arg);
}

int lc_remove_reader(lc_loop *loop, int fd)
{
    if (loop && !loop->closed && owned(loop, fd))
        return LC_EBUSY;
    return lc__io_stop(loop, fd, LC__EV_READ);
}

int lc_remove_writer(lc_loop *loop, int fd)
{
    if (loop && !loop->closed && owned(loop, fd))
        return LC_EBUSY;
    return lc__io_stop(loop, fd, LC__EV_WRITE);
}

void lc__io_event(lc_loop *loop, int fd, unsigned ev)
{
    if (fd < 0 || fd >= loop->nfds)
        return;
    ev &= loop->fds[fd].events;
    if (ev == 0)
        return;
    if (loop->nevents == loop->events_cap) {
        size_t ncap = loop->events_cap ? loop->events_cap * 2 : 64;
        struct lc__event *ne = realloc(loop->events, ncap * sizeof *ne);
        if (ne == NULL)
            return; /* level-triggered: the event is reported again next poll */
        loop->events = ne;
        loop->events_cap = ncap;
    }
    loop->events[loop->nevents].fd = fd;
    loop->events[loop->nevents].ev = ev;
    loop->nevents++;
}

int lc__timeout_ms_ceil(int64_t timeout_ns)
{
    if (timeout_ns < 0)
        return -1;
    int64_t ms = (timeout_ns + 999999) / 1000000;
    return ms > 86400000 ? 86400000 : (int)ms; /* asyncio caps a poll at 24 h */
}

#ifndef _WIN32
int lc__set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    int nfl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    /* Already so (a socket made with SOCK_NONBLOCK, socket(2)): the
     * F_SETFL would change nothing. */
    if (nfl == fl)
        return 0;
    return fcntl(fd, F_SETFL, nfl) < 0 ? -errno : 0;
}

int lc__set_cloexec(int fd, int on)
{
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0)
        return -errno;
    fl = on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC;
    return fcntl(fd, F_SETFD, fl) < 0 ? -errno : 0;
}
#endif
