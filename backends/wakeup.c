/* Cross-thread wakeup for call_soon_threadsafe and stop: an eventfd(2) on
 * Linux (one fd, a counter that coalesces writes), a non-blocking pipe
 * elsewhere.  Registered with the backend like any reader, so every
 * readiness backend can be woken; asyncio does the same with a self-pipe
 * socketpair (BaseSelectorEventLoop._make_self_pipe). */
#include "lc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

static void on_wakeup(lc_loop *loop, int fd, void *arg)
{
    (void)fd;
    (void)arg;
    lc__wakeup_drain(loop);
}

int lc__wakeup_open(lc_loop *loop)
{
#ifdef __linux__
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        return -errno;
    loop->wake_rfd = loop->wake_wfd = fd;
#else
    int p[2];
    if (pipe(p) < 0)
        return -errno;
    lc__set_nonblock(p[0], 1);
    lc__set_nonblock(p[1], 1);
    lc__set_cloexec(p[0], 1);
    lc__set_cloexec(p[1], 1);
    loop->wake_rfd = p[0];
    loop->wake_wfd = p[1];
#endif
    if (loop->ops->watch == NULL)
        return 0; /* a completion backend wakes itself (e.g. a posted completion) */
    int rc = lc__io_start(loop, loop->wake_rfd, LC__EV_READ, on_wakeup, NULL);
    if (rc < 0) {
        lc__wakeup_close(loop);
        return rc;
    }
    lc__fd_set_owner(loop, loop->wake_rfd, 1);
    return 0;
}

void lc__wakeup_close(lc_loop *loop)
{
    if (loop->wake_rfd >= 0) {
        lc__io_stop(loop, loop->wake_rfd, LC__EV_READ);
        lc__fd_set_owner(loop, loop->wake_rfd, 0);
        close(loop->wake_rfd);
    }
    if (loop->wake_wfd >= 0 && loop->wake_wfd != loop->wake_rfd)
        close(loop->wake_wfd);
    loop->wake_rfd = loop->wake_wfd = -1;
}

void lc__wakeup_signal(lc_loop *loop)
{
    if (loop->ops->wakeup) {
        loop->ops->wakeup(loop);
        return;
    }
    if (loop->wake_wfd < 0)
        return;
#ifdef __linux__
    uint64_t one = 1;
    ssize_t n;
    do
        n = write(loop->wake_wfd, &one, sizeof one);
    while (n < 0 && errno == EINTR);
#else
    char c = 0;
    ssize_t n;
    do
        n = write(loop->wake_wfd, &c, 1);
    while (n < 0 && errno == EINTR);
#endif
    (void)n; /* EAGAIN: a wakeup is already pending, which is all we need */
}

void lc__wakeup_drain(lc_loop *loop)
{
    char buf[64];
    while (read(loop->wake_rfd, buf, sizeof buf) > 0) {
#ifdef __linux__
        break; /* an eventfd read returns and resets the whole counter */
#endif
    }
}
