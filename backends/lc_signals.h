/* Internal interface between signals.c (handler table, rules, teardown)
 * and the two ways a signal reaches the loop: signal_signalfd.c and
 * signal_selfpipe.c.  Also the hooks process.c and fork.c use. */
#ifndef LC_SIGNALS_H
#define LC_SIGNALS_H

#include "lc_internal.h"
#include "loopcompat/signals.h"

#include <signal.h>

struct lc__sigslot {
    lc_signal_cb cb;        /* the user's handler */
    void *arg;
    lc_signal_cb icb;       /* an internal watcher (the SIGCHLD child watcher) */
    void *iarg;
    bool active;            /* the OS side is installed */
    bool was_blocked;       /* signalfd: blocked in this thread before we blocked it */
    struct sigaction old;   /* disposition to restore */
};

struct lc__sigstate;

struct lc__sigimpl {
    const char *name;
    /* The sigaction(2) handler installed while a signal is active. */
    void (*handler)(int signo);
    /* Create the channel (s->rfd, s->wfd) the loop reads deliveries from,
     * routing every signal already in s->mask into it (after a fork). */
    int (*open)(struct lc__sigstate *s);
    void (*close)(struct lc__sigstate *s);
    /* Route signo into the channel; called before the handler is installed. */
    int (*enable)(struct lc__sigstate *s, int signo);
    /* Stop routing signo; called after the old disposition is back. */
    void (*disable)(struct lc__sigstate *s, int signo);
    /* Read what the channel holds (one batch) and call lc__signal_deliver
     * once per delivery. */
    void (*drain)(struct lc__sigstate *s);
};

struct lc__sigstate {
    lc_loop *loop;
    const struct lc__sigimpl *impl;
    int rfd, wfd;           /* channel; -1 when closed */
    sigset_t mask;          /* active signals */
    int nactive;
    int dispatching;
    struct lc__sigslot slot[NSIG];
    struct lc__closer closer;
};

extern const struct lc__sigimpl lc__sigimpl_signalfd;
extern const struct lc__sigimpl lc__sigimpl_selfpipe;

/* Run the handlers of one delivery (internal watcher first). */
void lc__signal_deliver(struct lc__sigstate *s, int signo);

/* Internal watchers: same rules as lc_add_signal_handler (main thread, one
 * loop per signal), sharing the OS side with a user handler of signo. */
int lc__signal_watch(lc_loop *loop, int signo, lc_signal_cb cb, void *arg);
void lc__signal_unwatch(lc_loop *loop, int signo);

/* In a forked child: give the loop a channel of its own so deliveries to
 * the child never reach the parent's loop (and the other way round). */
int lc__signals_after_fork(lc_loop *loop);

#endif
