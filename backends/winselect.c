/* winselect backend: Winsock select() over SOCKETs, asyncio's
 * SelectorEventLoop on Windows.
 *
 * Winsock select (https://learn.microsoft.com/en-us/windows/win32/api/winsock2/nf-winsock2-select):
 *  - works on sockets only: "select ... determines the status of one or
 *    more sockets"; a pipe, file or console handle fails with WSAENOTSOCK.
 *    check_fd asks select itself (a zero-timeout call on that handle
 *    alone), so a non-socket is refused with LC_ENOTSUP and the error
 *    select gave before anything is registered (asyncio-platforms:
 *    "SelectorEventLoop ... only sockets are supported").
 *  - an fd_set is an array of FD_SETSIZE SOCKETs, 64 unless defined before
 *    winsock2.h ("the default value of FD_SETSIZE is 64, which can be
 *    modified by defining FD_SETSIZE to another value before including
 *    Winsock2.h").  compat_win.h raises it to 512 as CPython does for
 *    Windows ("at most 512 sockets", asyncio-platforms).  FD_SET on a full
 *    set silently drops the socket, so a reader or writer that would make
 *    its set the 513th entry is refused with LC_ENOTSUP instead.  The cap
 *    is the fd_set's size, not select's: at the refusal select is asked
 *    with the FD_SETSIZE + 1 sockets in a larger set of the same layout,
 *    and its answer is recorded (an error is the OS's refusal; a count is
 *    select accepting them, so the refusal is the library's).
 *  - the timeout is a timeval (µs); an empty set of all three is WSAEINVAL.
 *  - a failed non-blocking connect is reported in exceptfds, not writefds;
 *    like asyncio's SelectSelector the exceptional set is merged into the
 *    writable one so that the writer sees the failure (Lib/selectors.py). */
#include "compat_win.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINSELECT_REF "https://learn.microsoft.com/en-us/windows/win32/api/winsock2/nf-winsock2-select"
#define PLATFORMS_REF "https://docs.python.org/3/library/asyncio-platforms.html#windows"

struct lc__winselect {
    fd_set rset, wset; /* the interest sets, copied for each call */
};

static SOCKET sock(int fd) { return (SOCKET)(uintptr_t)(unsigned)fd; }

static int64_t ws_granularity(unsigned flags)
{
    (void)flags;
    return 1000; /* struct timeval: microseconds */
}

static int ws_probe(lc_probe *why)
{
    int rc = lc__win_startup();
    if (rc < 0) {
        why->available = 0;
        why->reason = LC_REASON_PROBE_FAILED;
        why->sys_errno = -rc;
        snprintf(why->message, sizeof why->message, "WSAStartup failed: %s", lc_errname(rc));
        return 0;
    }
    lc__win_cleanup();
    why->available = 1;
    return 0;
}

static int ws_init(lc_loop *loop)
{
    int rc = lc__win_startup();
    if (rc < 0)
        return rc;
    struct lc__winselect *s = calloc(1, sizeof *s);
    if (s == NULL) {
        lc__win_cleanup();
        return LC_ENOMEM;
    }
    FD_ZERO(&s->rset);
    FD_ZERO(&s->wset);
    loop->backend = s;
    return 0;
}

static void ws_destroy(lc_loop *loop)
{
    if (loop->backend == NULL)
        return;
    free(loop->backend);
    loop->backend = NULL;
    lc__win_cleanup();
}

/* select(0, set, NULL, NULL, {0, 0}) over count sockets in a set of the
 * fd_set layout (u_int fd_count, then the SOCKETs; Winsock reads fd_count
 * entries, whatever FD_SETSIZE the caller compiled with): SOCKET_ERROR's
 * WSA code as -errno, else the number of ready sockets. */
static int select_probe(const SOCKET *socks, u_int count, SOCKET extra)
{
    struct {
        u_int fd_count;
        SOCKET fd_array[FD_SETSIZE + 1];
    } set;
    if (count > FD_SETSIZE)
        return LC_EINVAL;
    if (count > 0)
        memcpy(set.fd_array, socks, count * sizeof *socks);
    set.fd_array[count] = extra;
    set.fd_count = count + 1;
    struct timeval zero = {0, 0};
    int n = select(0, (fd_set *)(void *)&set, NULL, NULL, &zero);
    return n == SOCKET_ERROR ? lc__win_err((DWORD)WSAGetLastError()) : n;
}

static int ws_check_fd(lc_loop *loop, int fd)
{
    int rc = select_probe(NULL, 0, sock(fd));
    if (rc < 0) {
        lc__set_refusal(loop, "select", -rc, WINSELECT_REF);
        return LC_ENOTSUP;
    }
    return 0;
}

/* The set is full: ask select about its sockets plus so, then refuse.
 * select failing is the OS's refusal; select answering means FD_SETSIZE
 * (asyncio's 512) is what refuses, the library's documented choice. */
static int refuse_full(lc_loop *loop, const fd_set *set, SOCKET so)
{
    int rc = select_probe(set->fd_array, set->fd_count, so);
    if (rc < 0)
        lc__set_refusal(loop, "select", -rc, WINSELECT_REF);
    else
        lc__set_refusal(loop, "select", 0, PLATFORMS_REF);
    return LC_ENOTSUP;
}

static int set_has(const fd_set *set, SOCKET s)
{
    for (u_int i = 0; i < set->fd_count; i++)
        if (set->fd_array[i] == s)
            return 1;
    return 0;
}

static void set_del(fd_set *set, SOCKET s)
{
    for (u_int i = 0; i < set->fd_count; i++) {
        if (set->fd_array[i] == s) {
            set->fd_array[i] = set->fd_array[--set->fd_count];
            return;
        }
    }
}

static int ws_watch(lc_loop *loop, int fd, unsigned old_ev, unsigned new_ev)
{
    struct lc__winselect *s = loop->backend;
    SOCKET so = sock(fd);
    (void)old_ev;
    /* Refuse first, change after: a refusal leaves both sets as they were. */
    if ((new_ev & LC__EV_READ) && !set_has(&s->rset, so) && s->rset.fd_count >= FD_SETSIZE)
        return refuse_full(loop, &s->rset, so);
    if ((new_ev & LC__EV_WRITE) && !set_has(&s->wset, so) && s->wset.fd_count >= FD_SETSIZE)
        return refuse_full(loop, &s->wset, so);
    if (new_ev & LC__EV_READ) {
        if (!set_has(&s->rset, so))
            s->rset.fd_array[s->rset.fd_count++] = so;
    } else {
        set_del(&s->rset, so);
    }
    if (new_ev & LC__EV_WRITE) {
        if (!set_has(&s->wset, so))
            s->wset.fd_array[s->wset.fd_count++] = so;
    } else {
        set_del(&s->wset, so);
    }
    return 0;
}

static int ws_poll(lc_loop *loop, int64_t timeout_ns)
{
    struct lc__winselect *s = loop->backend;
    struct timeval tv, *tvp = NULL;
    if (timeout_ns >= 0) {
        int64_t us = (timeout_ns + 999) / 1000; /* round up: never wake early */
        if (us > 86400LL * 1000000)
            us = 86400LL * 1000000; /* asyncio caps a poll at 24 h */
        tv.tv_sec = (long)(us / 1000000);
        tv.tv_usec = (long)(us % 1000000);
        tvp = &tv;
    }
    if (s->rset.fd_count == 0 && s->wset.fd_count == 0) {
        /* Winsock refuses three empty sets (WSAEINVAL); the loop still has
         * to wait for its timers. */
        Sleep(timeout_ns < 0 ? INFINITE : (DWORD)lc__timeout_ms_ceil(timeout_ns));
        return 0;
    }
    fd_set r = s->rset, w = s->wset, e = s->wset;
    /* nfds is ignored by Winsock ("included only for compatibility"). */
    int n = select(0, &r, &w, &e, tvp);
    if (n == SOCKET_ERROR) {
        int err = WSAGetLastError();
        return err == WSAEINTR ? 0 : lc__win_err((DWORD)err);
    }
    /* The result sets hold only the ready sockets. */
    for (u_int i = 0; i < r.fd_count; i++)
        lc__io_event(loop, (int)r.fd_array[i], LC__EV_READ);
    for (u_int i = 0; i < w.fd_count; i++)
        lc__io_event(loop, (int)w.fd_array[i], LC__EV_WRITE);
    for (u_int i = 0; i < e.fd_count; i++)
        if (!set_has(&w, e.fd_array[i]))
            lc__io_event(loop, (int)e.fd_array[i], LC__EV_WRITE);
    return 0;
}

const struct lc_backend_ops lc__backend_winselect = {
    .name = "winselect",
    .features = 0,
    .granularity = ws_granularity,
    .probe = ws_probe,
    .init = ws_init,
    .destroy = ws_destroy,
    .check_fd = ws_check_fd,
    .watch = ws_watch,
    .poll = ws_poll,
    .after_fork = NULL,
    .wakeup = NULL,
};
