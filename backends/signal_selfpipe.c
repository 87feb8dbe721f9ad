/* Signals through a self-pipe: the sigaction(2) handler writes the signal
 * number as one byte to a non-blocking pipe the loop watches.  This is
 * asyncio's scheme (signal.set_wakeup_fd on the loop's self-pipe) and
 * libuv's.  write(2) is async-signal-safe (signal-safety(7)); errno is saved
 * because the handler may interrupt code that is about to read it.
 *
 * Every delivery the process receives is one byte, so N signals delivered
 * one after another run the handler N times; the kernel still merges
 * deliveries of a standard signal made while it was pending (signal(7)).
 * If the pipe is full (64 KiB of undispatched signals) further bytes are
 * lost, but the pipe is readable, so the handler still runs. */
#include "lc_signals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>

/* Write end of the pipe of the loop that owns each signal, plus one (0: no
 * loop).  Read by the handler, so lock-free. */
static atomic_int route[NSIG];

static void on_signal(int signo)
{
    int saved = errno;
    int fd = signo > 0 && signo < NSIG ? atomic_load(&route[signo]) - 1 : -1;
    if (fd >= 0) {
        unsigned char b = (unsigned char)signo;
        ssize_t n;
        do
            n = write(fd, &b, 1);
        while (n < 0 && errno == EINTR);
    }
    errno = saved;
}

static int sp_open(struct lc__sigstate *s)
{
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
        return -errno;
    s->rfd = p[0];
    s->wfd = p[1];
    for (int signo = 1; signo < NSIG; signo++)
        if (sigismember(&s->mask, signo) == 1)
            atomic_store(&route[signo], s->wfd + 1);
    return 0;
}

static void sp_close(struct lc__sigstate *s)
{
    for (int signo = 1; signo < NSIG; signo++)
        if (atomic_load(&route[signo]) == s->wfd + 1)
            atomic_store(&route[signo], 0);
    if (s->rfd >= 0)
        close(s->rfd);
    if (s->wfd >= 0)
        close(s->wfd);
    s->rfd = s->wfd = -1;
}

static int sp_enable(struct lc__sigstate *s, int signo)
{
    atomic_store(&route[signo], s->wfd + 1);
    return 0;
}

static void sp_disable(struct lc__sigstate *s, int signo)
{
    (void)s;
    /* Bytes already in the pipe for signo are skipped at dispatch: the
     * slot has no handler any more. */
    atomic_store(&route[signo], 0);
}

static void sp_drain(struct lc__sigstate *s)
{
    unsigned char buf[256];
    ssize_t n;
    do
        n = read(s->rfd, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    for (ssize_t i = 0; i < n && s->rfd >= 0; i++)
        lc__signal_deliver(s, buf[i]);
}

const struct lc__sigimpl lc__sigimpl_selfpipe = {
    .name = "selfpipe",
    .handler = on_signal,
    .open = sp_open,
    .close = sp_close,
    .enable = sp_enable,
    .disable = sp_disable,
    .drain = sp_drain,
};
