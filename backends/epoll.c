/* epoll backend.
 *
 * Waits with epoll_pwait2(2) (nanosecond timespec; Linux 5.11, glibc 2.35)
 * when the kernel has it, else epoll_wait(2), whose timeout is in whole
 * milliseconds and is rounded up here so the loop never wakes before a
 * timer is due (epoll_wait(2): "the timeout interval will be rounded up to
 * the system clock granularity" — but a value rounded *down* by the caller
 * makes the loop spin).
 *
 * epoll_ctl(2) ERRORS: "EPERM The target file fd does not support epoll.
 * This error can occur if fd refers to, for example, a regular file or a
 * directory."  /dev/null and /dev/zero are refused the same way.  The
 * refusal happens on EPOLL_CTL_ADD and changes nothing, so it is reported
 * as LC_ENOTSUP with the call and errno.  Every socket supports poll, so a
 * socket is never refused (LC_FEAT_ANY_SOCKET); ENOMEM and ENOSPC
 * ("max_user_watches") are resource errors, not refusals.
 *
 * epoll(7): the interest list belongs to the epoll instance, which a forked
 * child shares with its parent; after_fork makes a new instance. */
#include "lc_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

struct lc__epoll {
    int epfd;
    struct epoll_event *evs;
    int nevs;
};

/* 1: epoll_pwait2 works here, -1: it doesn't (ENOSYS), 0: not yet known. */
static atomic_int have_pwait2;
static atomic_int pwait2_errno; /* why not (ENOSYS before 5.11; EPERM from seccomp) */

static int pwait2(int epfd, struct epoll_event *evs, int n, const struct timespec *ts)
{
#ifdef SYS_epoll_pwait2
    /* The raw syscall: glibc only wraps it from 2.35 on. */
    return (int)syscall(SYS_epoll_pwait2, epfd, evs, n, ts, NULL, (size_t)0);
#else
    (void)epfd; (void)evs; (void)n; (void)ts;
    errno = ENOSYS;
    return -1;
#endif
}

static int detect_pwait2(void)
{
    int v = atomic_load(&have_pwait2);
    if (v)
        return v > 0;
    int fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev;
    struct timespec zero = {0, 0};
    v = (fd >= 0 && pwait2(fd, &ev, 1, &zero) >= 0) ? 1 : -1;
    if (v < 0)
        atomic_store(&pwait2_errno, fd >= 0 ? errno : ENOSYS);
    if (fd >= 0)
        close(fd);
    atomic_store(&have_pwait2, v);
    return v > 0;
}

static int64_t ep_granularity(unsigned flags)
{
    if (!(flags & LC_LOOP_COARSE_TIMEOUT) && detect_pwait2())
        return 1;
    return 1000000;
}

/* epoll_wait(2) VERSIONS: epoll_pwait2() was added in Linux 5.11; before,
 * the loop's wait takes whole milliseconds. */
static int ep_timeout_refusal(unsigned flags, lc_refusal *out)
{
    if ((flags & LC_LOOP_COARSE_TIMEOUT) || detect_pwait2())
        return 0;
    out->call = "epoll_pwait2";
    out->sys_errno = atomic_load(&pwait2_errno);
    out->ref = "man:epoll_wait(2)";
    return 1;
}

static size_t ep_kernel_features(lc_backend_feature *out, size_t cap)
{
    if (cap > 0)
        out[0] = (lc_backend_feature){"epoll_pwait2", "5.11", "epoll_pwait2(zero timeout)",
                                      detect_pwait2(), detect_pwait2() ? 0 : atomic_load(&pwait2_errno)};
    return 1;
}

static int ep_probe(lc_probe *why)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) {
        why->available = 0;
        why->sys_errno = errno;
        why->reason = errno == ENOSYS ? LC_REASON_NOT_APPLICABLE : LC_REASON_PROBE_FAILED;
        snprintf(why->message, sizeof why->message, "epoll_create1: %s", strerror(errno));
        return 0;
    }
    close(fd);
    why->available = 1;
    return 0;
}

static int ep_init(lc_loop *loop)
{
    struct lc__epoll *e = calloc(1, sizeof *e);
    if (e == NULL)
        return LC_ENOMEM;
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (e->epfd < 0) {
        int err = errno;
        free(e);
        return -err;
    }
    e->nevs = 256;
    e->evs = malloc((size_t)e->nevs * sizeof *e->evs);
    if (e->evs == NULL) {
        close(e->epfd);
        free(e);
        return LC_ENOMEM;
    }
    loop->backend = e;
    return 0;
}

static void ep_destroy(lc_loop *loop)
{
    struct lc__epoll *e = loop->backend;
    if (e) {
        close(e->epfd);
        free(e->evs);
        free(e);
    }
    loop->backend = NULL;
}

static int ep_check_fd(lc_loop *loop, int fd)
{
    /* The kernel decides (f_op->poll); EPOLL_CTL_ADD reports EPERM without
     * side effects, so the check is the ADD itself, in ep_watch. */
    (void)loop;
    (void)fd;
    return 0;
}

static uint32_t to_epoll(unsigned ev)
{
    return ((ev & LC__EV_READ) ? EPOLLIN : 0) | ((ev & LC__EV_WRITE) ? EPOLLOUT : 0);
}

static int ep_watch(lc_loop *loop, int fd, unsigned old_ev, unsigned new_ev)
{
    struct lc__epoll *e = loop->backend;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = to_epoll(new_ev);
    ev.data.fd = fd;
    int op = old_ev == 0 ? EPOLL_CTL_ADD : new_ev == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    if (epoll_ctl(e->epfd, op, fd, &ev) == 0)
        return 0;
    int err = errno;
    if (op == EPOLL_CTL_ADD && err == EPERM) {
        lc__set_refusal(loop, "epoll_ctl", EPERM, "man:epoll_ctl(2)");
        return LC_ENOTSUP;
    }
    if (op == EPOLL_CTL_DEL && (err == EBADF || err == ENOENT))
        return 0; /* closed fds leave the interest list by themselves (epoll(7) Q6) */
    /* epoll_ctl(2): "EBADF epfd or fd is not a valid file descriptor" — a
     * bad argument, not a refusal; the core needs no fcntl check first
     * (LC_FEAT_WATCH_EBADF). */
    if (op == EPOLL_CTL_ADD && err != EBADF)
        lc__set_refusal(loop, "epoll_ctl", err, "man:epoll_ctl(2)");
    return -err;
}

static int ep_poll(lc_loop *loop, int64_t timeout_ns)
{
    struct lc__epoll *e = loop->backend;
    int n;
    if (loop->granularity_ns == 1 && timeout_ns > 0) {
        /* Only a positive timeout needs epoll_pwait2's nanoseconds; a zero
         * or infinite one is the same wait through epoll_wait(2), without
         * copying in a timespec (epoll_wait(2): timeout 0 returns at once,
         * -1 blocks). */
        struct timespec ts;
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        n = pwait2(e->epfd, e->evs, e->nevs, &ts);
    } else {
        n = epoll_wait(e->epfd, e->evs, e->nevs, lc__timeout_ms_ceil(timeout_ns));
    }
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        uint32_t re = e->evs[i].events;
        unsigned ev = 0;
        if (re & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
            ev |= LC__EV_READ;
        if (re & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            ev |= LC__EV_WRITE;
        lc__io_event(loop, e->evs[i].data.fd, ev);
    }
    if (n == e->nevs && e->nevs < 65536) { /* a full batch: take more next time */
        struct epoll_event *ne = realloc(e->evs, (size_t)e->nevs * 2 * sizeof *ne);
        if (ne) {
            e->evs = ne;
            e->nevs *= 2;
        }
    }
    return n;
}

static int ep_after_fork(lc_loop *loop)
{
    struct lc__epoll *e = loop->backend;
    int nfd = epoll_create1(EPOLL_CLOEXEC);
    if (nfd < 0)
        return -errno;
    close(e->epfd); /* our reference only: the parent's instance lives on */
    e->epfd = nfd;
    for (int fd = 0; fd < loop->nfds; fd++) {
        if (loop->fds[fd].events == 0)
            continue;
        struct epoll_event ev;
        memset(&ev, 0, sizeof ev);
        ev.events = to_epoll(loop->fds[fd].events);
        ev.data.fd = fd;
        if (epoll_ctl(nfd, EPOLL_CTL_ADD, fd, &ev) < 0)
            return -errno;
    }
    return 0;
}

const struct lc_backend_ops lc__backend_epoll = {
    .name = "epoll",
    .features = LC_FEAT_NS_TIMEOUT | LC_FEAT_SHARED_KERNEL_STATE | LC_FEAT_WATCH_EBADF |
                LC_FEAT_ANY_SOCKET,
    .granularity = ep_granularity,
    .timeout_refusal = ep_timeout_refusal,
    .kernel_features = ep_kernel_features,
    .probe = ep_probe,
    .init = ep_init,
    .destroy = ep_destroy,
    .check_fd = ep_check_fd,
    .watch = ep_watch,
    .poll = ep_poll,
    .after_fork = ep_after_fork,
};
