/* Signals through signalfd(2) (Linux >= 2.6.22).
 *
 * signalfd(2): "the set of signals to be received via the file descriptor
 * should be blocked using sigprocmask(2), to prevent the signals being
 * handled according to their default dispositions."  The signal is blocked
 * in the calling (main) thread; the blocked mask is per thread, so a
 * process-directed signal may still be delivered to another thread that
 * does not block it.  The handler installed for that case forwards the
 * signal to the main thread with tgkill(2), where it stays pending until
 * the loop reads it.  The handler also keeps the signal from being
 * discarded at generation when the old disposition was SIG_IGN.
 *
 * Standard signals do not queue: while one is pending, more deliveries of
 * it are merged (signal(7)), so the loop may see one delivery for many. */
#include "lc_signals.h"

#ifdef __linux__

#include <errno.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void forward(int signo)
{
    int saved = errno;
    pid_t pid = getpid();
    /* In the main thread the signal is blocked and never reaches this
     * handler unless someone unblocked it; re-sending it there would loop. */
    if ((pid_t)syscall(SYS_gettid) != pid)
        syscall(SYS_tgkill, pid, pid, signo);
    errno = saved;
}

static int sfd_open(struct lc__sigstate *s)
{
    int fd = signalfd(-1, &s->mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    s->rfd = fd;
    s->wfd = -1;
    return 0;
}

static void sfd_close(struct lc__sigstate *s)
{
    if (s->rfd >= 0)
        close(s->rfd);
    s->rfd = -1;
}

static int sfd_enable(struct lc__sigstate *s, int signo)
{
    sigset_t one, old, want = s->mask;
    sigemptyset(&one);
    sigaddset(&one, signo);
    sigaddset(&want, signo);
    int rc = pthread_sigmask(SIG_BLOCK, &one, &old);
    if (rc != 0)
        return -rc;
    s->slot[signo].was_blocked = sigismember(&old, signo) == 1;
    if (signalfd(s->rfd, &want, 0) < 0) {
        int err = errno;
        if (!s->slot[signo].was_blocked)
            pthread_sigmask(SIG_UNBLOCK, &one, NULL);
        return -err;
    }
    return 0;
}

static void sfd_disable(struct lc__sigstate *s, int signo)
{
    sigset_t one, want = s->mask;
    sigemptyset(&one);
    sigaddset(&one, signo);
    sigdelset(&want, signo);
    if (s->rfd >= 0)
        signalfd(s->rfd, &want, 0);
    /* Drop a delivery still pending for the removed handler before the
     * signal is unblocked, or it would hit the restored disposition as if
     * it had arrived after the removal. */
    struct timespec zero = {0, 0};
    while (sigtimedwait(&one, NULL, &zero) == signo)
        ;
    if (!s->slot[signo].was_blocked)
        pthread_sigmask(SIG_UNBLOCK, &one, NULL);
}

static void sfd_drain(struct lc__sigstate *s)
{
    /* One batch per readiness: a handler that raises its own signal is run
     * again next iteration, not in a loop here. */
    struct signalfd_siginfo si[16];
    ssize_t n;
    do
        n = read(s->rfd, si, sizeof si);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return;
    size_t count = (size_t)n / sizeof si[0];
    for (size_t i = 0; i < count && s->rfd >= 0; i++)
        lc__signal_deliver(s, (int)si[i].ssi_signo);
}

const struct lc__sigimpl lc__sigimpl_signalfd = {
    .name = "signalfd",
    .handler = forward,
    .open = sfd_open,
    .close = sfd_close,
    .enable = sfd_enable,
    .disable = sfd_disable,
    .drain = sfd_drain,
};

#endif
