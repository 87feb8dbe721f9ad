/* signals on Windows: the same case ids as signals.c, whose bodies need
 * POSIX signals (kill, sigaction, setitimer).  asyncio-platforms
 * ("Windows", all loops): add_signal_handler() and
 * remove_signal_handler() are not supported, so every case here asks the
 * loop for a handler and reports what it answered: the library's refusal
 * (LC_ENOTSUP, UNSUPPORTED) or, if a handler were accepted, a failure.
 * The signalfd/selfpipe variants do not exist on Windows: one row per
 * case and loop. */
#include <signal.h>

#include "case_util.h"

static void sig_none(lc_loop *loop, int signo, void *arg)
{
    (void)loop;
    (void)signo;
    (void)arg;
}

static void signals_refused(lc_case_ctx *ctx, lc_loop *loop)
{
    const char *impl = lc_loop_signal_impl_name(loop);
    lc_case_evidence(ctx, "signal_impl", impl ? impl : "none");
    /* SIGINT is one of the few signals the Windows CRT defines. */
    int rc = lc_add_signal_handler(loop, SIGINT, sig_none, NULL);
    if (rc == LC_ENOTSUP) {
        lc_case_unsupported(ctx, loop, rc, "add_signal_handler(SIGINT) refused: %s", lc_errname(rc));
        return;
    }
    if (rc == 0)
        lc_remove_signal_handler(loop, SIGINT);
    lc_case_fail(ctx, "add_signal_handler(SIGINT) on Windows: %s, not LC_ENOTSUP", lc_errname(rc));
}

static void signals_close_restores(lc_case_ctx *ctx, lc_loop *unused)
{
    (void)unused;
    lc_loop *loop = NULL;
    int rc = lc_loop_new(&loop, lc_case_loop_options(ctx));
    if (rc < 0) {
        lc_case_fail(ctx, "lc_loop_new: %s", lc_errname(rc));
        return;
    }
    signals_refused(ctx, loop);
    lc_loop_free(loop);
}

const lc_case lc_cases_signals[] = {
    {"signals/handler-runs", "a signal sent to the process runs its handler from the loop",
     signals_refused, 0, NULL, 0},
    {"signals/wakes-poll", "a signal arriving while the loop blocks wakes it (SIGALRM, 20 ms)",
     signals_refused, 0, NULL, 0},
    {"signals/remove-restores",
     "remove returns 1 then 0 and restores the previous disposition and mask",
     signals_refused, 0, NULL, 0},
    {"signals/close-restores", "closing the loop restores dispositions and releases its fds",
     signals_close_restores, LC_CASE_OWN_LOOP, NULL, 0},
    {"signals/coalescing", "N deliveries before dispatch run the handler at least once",
     signals_refused, 0, NULL, 0},
    {"signals/invalid-signal", "SIGKILL, SIGSTOP and out-of-range numbers are refused",
     signals_refused, 0, NULL, 0},
    {"signals/several-pending",
     "distinct signals and queued real-time signals pending before dispatch: each dispatched",
     signals_refused, 0, NULL, 0},
    {"signals/child-clean-mask", "a child spawned by a loop handling signals starts with SigBlk and "
     "SigIgn empty", signals_refused, 0, NULL, 0},
    {"signals/main-thread-only", "add/remove from a thread other than the main one are refused",
     signals_refused, 0, NULL, 0},
    {0},
};
