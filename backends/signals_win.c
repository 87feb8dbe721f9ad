/* Signal handlers on Windows: refused on both Windows loops.
 *
 * asyncio-platforms, "Windows": "loop.add_signal_handler() and
 * loop.remove_signal_handler() are not supported" — Windows has no POSIX
 * signals to deliver to a loop (the CRT's signal() covers SIGINT, SIGBREAK
 * and a few synchronous ones, outside any wait the loop could be in).
 * Every refusal fills the loop's refusal record with that reference. */
#include "compat_win.h"

#include "loopcompat/signals.h"

#define LC__SIGNALS_REF "https://docs.python.org/3/library/asyncio-platforms.html#windows"

static int refuse(lc_loop *loop)
{
    lc__set_refusal(loop, "add_signal_handler", 0, LC__SIGNALS_REF);
    return LC_ENOTSUP;
}

int lc_add_signal_handler(lc_loop *loop, int signo, lc_signal_cb cb, void *arg)
{
    (void)signo;
    (void)arg;
    if (loop == NULL || cb == NULL)
        return LC_EINVAL;
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    return refuse(loop);
}

int lc_remove_signal_handler(lc_loop *loop, int signo)
{
    (void)signo;
    if (loop == NULL)
        return LC_EINVAL;
    if (lc__check_open(loop) < 0)
        return 0; /* signals.h: nothing to remove on a closed loop */
    lc__set_refusal(loop, "remove_signal_handler", 0, LC__SIGNALS_REF);
    return LC_ENOTSUP;
}

const char *lc_loop_signal_impl_name(const lc_loop *loop)
{
    (void)loop;
    return NULL; /* no implementation on this platform */
}
