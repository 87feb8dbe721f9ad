/** @file
 * loopcompat — Unix signal handlers run by the loop (asyncio
 * loop.add_signal_handler / remove_signal_handler).
 *
 * The handler runs from the loop, as an ordinary callback, never in signal
 * context.  Two implementations, chosen per loop by
 * lc_loop_options.signal_impl:
 *
 *  - LC_SIGNAL_SIGNALFD (the default on Linux): the signal is blocked and
 *    read from a signalfd(2).  Standard signals that arrive while one is
 *    already pending are merged by the kernel (signal(7), "Queueing and
 *    delivery semantics for standard signals"), so N deliveries before the
 *    loop reads the fd run the handler once; real-time signals queue.
 *  - LC_SIGNAL_SELFPIPE: a sigaction(2) handler writes the signal number to
 *    a non-blocking pipe the loop watches (asyncio's set_wakeup_fd scheme).
 *    Each delivery of the signal to the process runs the handler once more;
 *    deliveries merged by the kernel while the signal was pending still
 *    count once.
 *
 * Either way several deliveries before dispatch run the handler at least
 * once, and a signal arriving while the loop blocks in its poll wakes it.
 *
 * Rules (asyncio-eventloop "Unix signals"):
 *  - add and remove work only in the main thread (LC_ETHREAD elsewhere),
 *    because the signal disposition and, for signalfd, the blocked mask are
 *    process and thread state.  Run the loop in the main thread to receive
 *    the signals.
 *  - SIGKILL, SIGSTOP and numbers outside 1..NSIG-1 are refused with
 *    LC_EINVAL (asyncio: RuntimeError "sig N cannot be caught", ValueError);
 *    so is any number sigaction(2) refuses (glibc reserves 32 and 33).
 *  - A signal belongs to one loop at a time in a process: adding it on a
 *    second loop returns LC_EBUSY.
 *  - Removing the last handler of a signal, and closing the loop, restore
 *    the disposition saved when the handler was added (sigaction(2)) and,
 *    for signalfd, the thread's previous blocked mask.  A delivery still
 *    pending at removal is discarded, like asyncio ignores a signal number
 *    it no longer has a handler for.
 *  - Children started with lc_spawn() get an empty signal mask and default
 *    dispositions, whatever the loop blocked (signalfd(2) NOTES). */
#ifndef LOOPCOMPAT_SIGNALS_H
#define LOOPCOMPAT_SIGNALS_H

#include "loopcompat/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(default) /* see loop.h */
#endif

typedef void (*lc_signal_cb)(lc_loop *loop, int signo, void *arg);

/** Install (or replace) the handler of signo on this loop.
 * LC_EINVAL: bad number, SIGKILL/SIGSTOP, or NULL cb; LC_ECLOSED: the loop
 * is closed; LC_ETHREAD: not the main thread; LC_EBUSY: another loop of this
 * process handles signo; LC_ENOTSUP: no signal support on this platform;
 * -errno from the system calls otherwise. */
int lc_add_signal_handler(lc_loop *loop, int signo, lc_signal_cb cb, void *arg);

/** Remove the handler: 1 if there was one, 0 if not (also for SIGKILL and
 * on a closed loop).  LC_EINVAL for a number outside 1..NSIG-1, LC_ETHREAD
 * outside the main thread. */
int lc_remove_signal_handler(lc_loop *loop, int signo);

/** The implementation this loop uses: "signalfd" or "selfpipe". */
const char *lc_loop_signal_impl_name(const lc_loop *loop);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
