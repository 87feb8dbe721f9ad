/* Signal handlers run by the loop: the handler table, asyncio's rules
 * (asyncio-eventloop "Unix signals"), the process-wide owner of each signal
 * and the teardown that restores what was there before.  How a delivery
 * reaches the loop is signal_signalfd.c or signal_selfpipe.c. */
#include "lc_signals.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One loop per signal in the process: a disposition (and, for signalfd, a
 * pending signal) can only go one way.  Add and remove run in the main
 * thread only; close may run elsewhere, hence the lock. */
static pthread_mutex_t owner_lock = PTHREAD_MUTEX_INITIALIZER;
static lc_loop *owner[NSIG];

static const struct lc__sigimpl *impl_for(const lc_loop *loop)
{
    switch (loop->opts.signal_impl) {
    case LC_SIGNAL_SELFPIPE:
        return &lc__sigimpl_selfpipe;
    case LC_SIGNAL_SIGNALFD:
    case LC_SIGNAL_DEFAULT:
#ifdef __linux__
        return &lc__sigimpl_signalfd;
#else
        return loop->opts.signal_impl == LC_SIGNAL_DEFAULT ? &lc__sigimpl_selfpipe : NULL;
#endif
    default:
        return NULL;
    }
}

const char *lc_loop_signal_impl_name(const lc_loop *loop)
{
    const struct lc__sigimpl *impl = loop ? impl_for(loop) : NULL;
    return impl ? impl->name : NULL;
}

static int valid_signo(int signo) { return signo >= 1 && signo < NSIG; }

static void on_readable(lc_loop *loop, int fd, void *arg);

static int channel_open(struct lc__sigstate *s)
{
    int rc = s->impl->open(s);
    if (rc < 0)
        return rc;
    rc = lc__io_start(s->loop, s->rfd, LC__EV_READ, on_readable, s);
    if (rc < 0) {
        s->impl->close(s);
        return rc;
    }
    lc__fd_set_owner(s->loop, s->rfd, 1);
    return 0;
}

static void channel_close(struct lc__sigstate *s)
{
    if (s->rfd < 0)
        return;
    lc__io_stop(s->loop, s->rfd, LC__EV_READ);
    lc__fd_set_owner(s->loop, s->rfd, 0);
    s->impl->close(s);
    s->rfd = s->wfd = -1;
}

static void signals_close(lc_loop *loop, void *arg);

static int state_get(lc_loop *loop, struct lc__sigstate **out)
{
    struct lc__sigstate *s = loop->signals;
    if (s == NULL) {
        const struct lc__sigimpl *impl = impl_for(loop);
        if (impl == NULL)
            return LC_ENOTSUP;
        s = calloc(1, sizeof *s);
        if (s == NULL)
            return LC_ENOMEM;
        s->loop = loop;
        s->impl = impl;
        s->rfd = s->wfd = -1;
        sigemptyset(&s->mask);
        lc__add_closer(loop, &s->closer, signals_close, s);
        loop->signals = s;
    }
    *out = s;
    return 0;
}

/* Install the OS side of signo for this loop. */
static int activate(struct lc__sigstate *s, int signo)
{
    struct lc__sigslot *sl = &s->slot[signo];
    if (sl->active)
        return 0;
    pthread_mutex_lock(&owner_lock);
    if (owner[signo] != NULL && owner[signo] != s->loop) {
        pthread_mutex_unlock(&owner_lock);
        return LC_EBUSY;
    }
    owner[signo] = s->loop;
    pthread_mutex_unlock(&owner_lock);

    int rc = 0;
    if (s->rfd < 0 && (rc = channel_open(s)) < 0)
        goto fail;
    if ((rc = s->impl->enable(s, signo)) < 0)
        goto fail;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s->impl->handler;
    sigfillset(&sa.sa_mask);
    /* Restart interrupted slow calls elsewhere in the program; the loop's
     * own wait is never restarted (signal(7)), which is what wakes it. */
    sa.sa_flags = SA_RESTART;
    if (sigaction(signo, &sa, &sl->old) < 0) {
        rc = errno == EINVAL ? LC_EINVAL : -errno;
        s->impl->disable(s, signo);
        goto fail;
    }
    sl->active = true;
    sigaddset(&s->mask, signo);
    s->nactive++;
    return 0;
fail:
    pthread_mutex_lock(&owner_lock);
    owner[signo] = NULL;
    pthread_mutex_unlock(&owner_lock);
    if (s->nactive == 0 && !s->dispatching)
        channel_close(s);
    return rc;
}

static void deactivate(struct lc__sigstate *s, int signo)
{
    struct lc__sigslot *sl = &s->slot[signo];
    if (!sl->active)
        return;
    /* The old disposition first, then stop routing: a delivery in between
     * is dropped by disable (asyncio ignores a signal with no handler). */
    sigaction(signo, &sl->old, NULL);
    s->impl->disable(s, signo);
    sl->active = false;
    sigdelset(&s->mask, signo);
    s->nactive--;
    pthread_mutex_lock(&owner_lock);
    if (owner[signo] == s->loop)
        owner[signo] = NULL;
    pthread_mutex_unlock(&owner_lock);
    if (s->nactive == 0 && !s->dispatching)
        channel_close(s);
}

static void signals_close(lc_loop *loop, void *arg)
{
    struct lc__sigstate *s = arg;
    for (int signo = 1; signo < NSIG; signo++)
        deactivate(s, signo);
    channel_close(s);
    loop->signals = NULL;
    free(s);
}

static void on_readable(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    (void)fd;
    struct lc__sigstate *s = arg;
    s->dispatching++;
    s->impl->drain(s);
    s->dispatching--;
    if (s->nactive == 0 && !s->dispatching)
        channel_close(s);
}

void lc__signal_deliver(struct lc__sigstate *s, int signo)
{
    if (!valid_signo(signo))
        return;
    /* Look the slot up for each call: a handler may remove itself or the
     * other one. */
    struct lc__sigslot *sl = &s->slot[signo];
    if (sl->icb)
        sl->icb(s->loop, signo, sl->iarg);
    if (sl->cb)
        sl->cb(s->loop, signo, sl->arg);
}

static int check_add(lc_loop *loop, int signo, lc_signal_cb cb)
{
    if (loop == NULL || cb == NULL || !valid_signo(signo))
        return LC_EINVAL;
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (!lc_is_main_thread())
        return LC_ETHREAD;
    /* sigaction(2): "EINVAL ... an attempt is made to change the action for
     * SIGKILL or SIGSTOP, which cannot be caught or ignored." */
    if (signo == SIGKILL || signo == SIGSTOP)
        return LC_EINVAL;
    return 0;
}

/* Deliver signo (activating it if needed) to cb: the user's handler, or
 * the internal watcher's when `internal`. */
static int slot_set(lc_loop *loop, int signo, int internal, lc_signal_cb cb, void *arg)
{
    int rc = check_add(loop, signo, cb);
    struct lc__sigstate *s;
    if (rc < 0 || (rc = state_get(loop, &s)) < 0)
        return rc;
    if ((rc = activate(s, signo)) < 0)
        return rc;
    struct lc__sigslot *sl = &s->slot[signo];
    *(internal ? &sl->icb : &sl->cb) = cb;
    *(internal ? &sl->iarg : &sl->arg) = arg;
    return 0;
}

int lc_add_signal_handler(lc_loop *loop, int signo, lc_signal_cb cb, void *arg)
{
    return slot_set(loop, signo, 0, cb, arg);
}

int lc_remove_signal_handler(lc_loop *loop, int signo)
{
    if (loop == NULL || !valid_signo(signo))
        return LC_EINVAL;
    if (loop->closed)
        return 0;
    if (!lc_is_main_thread())
        return LC_ETHREAD;
    struct lc__sigstate *s = loop->signals;
    if (s == NULL || s->slot[signo].cb == NULL)
        return 0;
    s->slot[signo].cb = NULL;
    s->slot[signo].arg = NULL;
    if (s->slot[signo].icb == NULL)
        deactivate(s, signo);
    return 1;
}

int lc__signal_watch(lc_loop *loop, int signo, lc_signal_cb cb, void *arg)
{
    return slot_set(loop, signo, 1, cb, arg);
}

void lc__signal_unwatch(lc_loop *loop, int signo)
{
    struct lc__sigstate *s = loop ? loop->signals : NULL;
    if (s == NULL || !valid_signo(signo) || s->slot[signo].icb == NULL)
        return;
    s->slot[signo].icb = NULL;
    s->slot[signo].iarg = NULL;
    if (s->slot[signo].cb == NULL)
        deactivate(s, signo);
}

int lc__signals_after_fork(lc_loop *loop)
{
    struct lc__sigstate *s = loop->signals;
    if (s == NULL || s->rfd < 0)
        return 0;
    /* The inherited channel is the parent's: a self-pipe write in the child
     * would run the parent's handler.  Drop our copy of it, make a new one
     * and route every active signal there. */
    channel_close(s);
    return channel_open(s);
}
