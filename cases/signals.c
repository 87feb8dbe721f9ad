/* signals: handlers run by the loop (asyncio-eventloop "Unix signals";
 * CPython test_events.py test_add_signal_handler,
 * test_signal_handling_while_selecting; test_unix_events.py
 * test_remove_signal_handler, test_close).  Each case runs once per signal
 * implementation (variants "signalfd" and "selfpipe"). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "case_subprocess.h"

static const char *const signal_variants[] = {"signalfd", "selfpipe", NULL};

struct sig_hits {
    int n;
    int signo;
    int stop;
};

static void sig_count(lc_loop *loop, int signo, void *arg)
{
    struct sig_hits *h = arg;
    h->n++;
    h->signo = signo;
    if (h->stop)
        lc_loop_stop(loop);
}

static void sig_evidence_impl(lc_case_ctx *ctx, lc_loop *loop)
{
    const char *impl = lc_loop_signal_impl_name(loop);
    lc_case_evidence(ctx, "signal_impl", impl ? impl : "none");
}

/* Add a handler; a refusal ends the case (LC_ENOTSUP: UNSUPPORTED). */
static int sig_add(lc_case_ctx *ctx, lc_loop *loop, int signo, struct sig_hits *h)
{
    int rc = lc_add_signal_handler(loop, signo, sig_count, h);
    if (rc == LC_ENOTSUP)
        lc_case_unsupported(ctx, loop, rc, "add_signal_handler(%d) refused: %s", signo,
                            lc_errname(rc));
    else if (rc < 0)
        lc_case_fail(ctx, "add_signal_handler(%d): %s (%s)", signo, lc_strerror(rc),
                     lc_errname(rc));
    return rc;
}

/* ---- signals/handler-runs ------------------------------------------------ */

static void signals_handler_runs(lc_case_ctx *ctx, lc_loop *loop)
{
    sig_evidence_impl(ctx, loop);
    struct sig_hits h = {0, 0, 1};
    if (sig_add(ctx, loop, SIGUSR1, &h) < 0)
        return;
    kill(getpid(), SIGUSR1);
    int guard = 0;
    int rc = lc__case_run_guarded(loop, LC__MS(2000), &guard);
    lc_remove_signal_handler(loop, SIGUSR1);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, h.n >= 1, "SIGUSR1 sent to the process; the handler did not run within 2 s");
    LC_REQUIRE(ctx, h.signo == SIGUSR1, "handler got signal %d, not SIGUSR1", h.signo);
    lc_case_pass(ctx, "SIGUSR1 handler ran from the loop (%d call%s)", h.n, h.n == 1 ? "" : "s");
}

/* ---- signals/wakes-poll -------------------------------------------------- */

static void signals_wakes_poll(lc_case_ctx *ctx, lc_loop *loop)
{
    sig_evidence_impl(ctx, loop);
    struct sig_hits h = {0, 0, 1};
    if (sig_add(ctx, loop, SIGALRM, &h) < 0)
        return;
    /* A 20 ms one-shot timer, as CPython's test; nothing else is pending,
     * so the loop is blocked in its poll when it fires. */
    struct itimerval it = {{0, 0}, {0, 20000}};
    int64_t t0 = lc_time_ns();
    if (setitimer(ITIMER_REAL, &it, NULL) < 0) {
        lc_remove_signal_handler(loop, SIGALRM);
        lc_case_skip(ctx, "setitimer(ITIMER_REAL) failed: cannot send SIGALRM");
        return;
    }
    int guard = 0;
    int rc = lc__case_run_guarded(loop, LC__MS(3000), &guard);
    int64_t woke = lc_time_ns() - t0;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    lc_remove_signal_handler(loop, SIGALRM);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, !guard && h.n >= 1,
               "SIGALRM arrived while the loop was blocked; it did not wake within 3 s");
    lc_case_measure_value(ctx, "wake_after_alarm", (double)(woke - LC__MS(20)) / 1e6, "ms");
    LC_REQUIRE(ctx, h.n == 1, "the handler ran %d times for one SIGALRM", h.n);
    lc_case_pass(ctx, "SIGALRM woke the blocked loop after %.2f ms; handler ran once",
                 (double)woke / 1e6);
}

/* ---- signals/remove-restores ------------------------------------------- */

static volatile sig_atomic_t sig_sentinel_hits;
static void sig_sentinel(int signo)
{
    (void)signo;
    sig_sentinel_hits++;
}

static int sig_blocked(int signo)
{
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    return sigismember(&m, signo) == 1;
}

static void signals_remove_restores(lc_case_ctx *ctx, lc_loop *loop)
{
    sig_evidence_impl(ctx, loop);
    struct sigaction sa, before, now;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sig_sentinel;
    LC_REQUIRE(ctx, sigaction(SIGUSR2, &sa, &before) == 0, "sigaction(SIGUSR2) failed");
    struct sig_hits h = {0};
    if (sig_add(ctx, loop, SIGUSR2, &h) < 0) {
        sigaction(SIGUSR2, &before, NULL);
        return;
    }
    sigaction(SIGUSR2, NULL, &now);
    int replaced = now.sa_handler != sig_sentinel;
    int blocked_while = sig_blocked(SIGUSR2);
    lc_case_evidence_int(ctx, "blocked_while_handled", blocked_while);
    int r1 = lc_remove_signal_handler(loop, SIGUSR2);
    int r2 = lc_remove_signal_handler(loop, SIGUSR2);
    sigaction(SIGUSR2, NULL, &now);
    int restored = now.sa_handler == sig_sentinel;
    int blocked_after = sig_blocked(SIGUSR2);
    sig_sentinel_hits = 0;
    kill(getpid(), SIGUSR2);
    int sentinel_ran = sig_sentinel_hits;
    int guard = 0;
    lc__case_run_guarded(loop, LC__MS(50), &guard);
    sigaction(SIGUSR2, &before, NULL);

    LC_REQUIRE(ctx, replaced, "add_signal_handler left the previous disposition in place");
    LC_REQUIRE(ctx, r1 == 1 && r2 == 0, "remove returned %d then %d (want 1 then 0)", r1, r2);
    LC_REQUIRE(ctx, restored, "the previous sigaction handler was not restored");
    LC_REQUIRE(ctx, !blocked_after, "SIGUSR2 still blocked after removal");
    LC_REQUIRE(ctx, sentinel_ran == 1 && h.n == 0,
               "after removal SIGUSR2 ran the old handler %d times and the loop's %d times",
               sentinel_ran, h.n);
    lc_case_pass(ctx, "removal returned 1 then 0 and restored the old handler and mask");
}

/* ---- signals/close-restores ---------------------------------------------- */

static void restore_two(const struct sigaction *usr1, const struct sigaction *hup)
{
    sigaction(SIGUSR1, usr1, NULL);
    sigaction(SIGHUP, hup, NULL);
}

static void signals_close_restores(lc_case_ctx *ctx, lc_loop *unused)
{
    (void)unused;
    lc_loop *loop = NULL;
    /* Both starting dispositions are set here, not inherited: a run under
     * nohup(1) starts with SIGHUP ignored. */
    struct sigaction ign, dfl, before, hup_before, now;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    LC_REQUIRE(ctx, sigaction(SIGUSR1, &ign, &before) == 0, "sigaction(SIGUSR1) failed");
    if (sigaction(SIGHUP, &dfl, &hup_before) < 0) {
        sigaction(SIGUSR1, &before, NULL);
        lc_case_fail(ctx, "sigaction(SIGHUP) failed");
        return;
    }
    int fds0 = lc__case_count_fds();
    int rc = lc_loop_new(&loop, lc_case_loop_options(ctx));
    if (rc < 0) {
        restore_two(&before, &hup_before);
        lc_case_fail(ctx, "lc_loop_new: %s", lc_strerror(rc));
        return;
    }
    sig_evidence_impl(ctx, loop);
    struct sig_hits h = {0};
    if (sig_add(ctx, loop, SIGUSR1, &h) < 0 || sig_add(ctx, loop, SIGHUP, &h) < 0) {
        lc_loop_free(loop);
        restore_two(&before, &hup_before);
        return;
    }
    rc = lc_loop_close(loop);
    sigaction(SIGUSR1, NULL, &now);
    int usr1_ign = now.sa_handler == SIG_IGN;
    sigaction(SIGHUP, NULL, &now);
    int hup_dfl = now.sa_handler == SIG_DFL;
    int blocked = sig_blocked(SIGUSR1) || sig_blocked(SIGHUP);
    int fds1 = lc__case_count_fds();
    int after = lc_add_signal_handler(loop, SIGUSR1, sig_count, &h);
    lc_loop_free(loop);
    restore_two(&before, &hup_before);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, usr1_ign && hup_dfl, "close did not restore SIG_IGN/SIG_DFL (%d, %d)",
               usr1_ign, hup_dfl);
    LC_REQUIRE(ctx, !blocked, "a handled signal stayed blocked after close");
    LC_REQUIRE(ctx, fds0 < 0 || fds1 == fds0, "close left %d fds open", fds1 - fds0);
    LC_REQUIRE(ctx, after == LC_ECLOSED, "add_signal_handler after close: %s, want LC_ECLOSED",
               lc_errname(after));
    lc_case_pass(ctx, "close restored both dispositions, the mask and the fds");
}

/* ---- signals/coalescing ------------------------------------------------- */

static void signals_coalescing(lc_case_ctx *ctx, lc_loop *loop)
{
    sig_evidence_impl(ctx, loop);
    struct sig_hits h = {0};
    if (sig_add(ctx, loop, SIGUSR1, &h) < 0)
        return;
    enum { N = 10 };
    for (int i = 0; i < N; i++)
        kill(getpid(), SIGUSR1);
    int guard = 0;
    int rc = lc__case_run_guarded(loop, LC__MS(200), &guard);
    lc_remove_signal_handler(loop, SIGUSR1);
    LC_REQUIRE_OK(ctx, rc);
    lc_case_measure_counter(ctx, "signals_sent", N, "signal");
    lc_case_measure_counter(ctx, "handler_calls", h.n, "callback");
    LC_REQUIRE(ctx, h.n >= 1, "%d SIGUSR1 sent before dispatch; the handler never ran", N);
    lc_case_pass(ctx, "%d SIGUSR1 sent before dispatch ran the handler %d time%s", N, h.n,
                 h.n == 1 ? "" : "s");
}

/* ---- signals/invalid-signal ---------------------------------------------- */

static void signals_invalid_signal(lc_case_ctx *ctx, lc_loop *loop)
{
    sig_evidence_impl(ctx, loop);
    struct sig_hits h = {0};
    struct {
        const char *what;
        int signo;
    } bad[] = {{"SIGKILL", SIGKILL}, {"SIGSTOP", SIGSTOP}, {"0", 0}, {"-1", -1}, {"NSIG", NSIG}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = lc_add_signal_handler(loop, bad[i].signo, sig_count, &h);
        if (rc == 0)
            lc_remove_signal_handler(loop, bad[i].signo);
        LC_REQUIRE(ctx, rc == LC_EINVAL, "add_signal_handler(%s): %s, want LC_EINVAL",
                   bad[i].what, lc_errname(rc));
    }
    int r = lc_remove_signal_handler(loop, SIGKILL);
    LC_REQUIRE(ctx, r == 0, "remove_signal_handler(SIGKILL) returned %d, want 0", r);
    r = lc_remove_signal_handler(loop, NSIG);
    LC_REQUIRE(ctx, r == LC_EINVAL, "remove_signal_handler(NSIG): %s, want LC_EINVAL",
               lc_errname(r));
    lc_case_pass(ctx, "SIGKILL, SIGSTOP, 0, -1 and NSIG refused with LC_EINVAL");
}

/* ---- signals/main-thread-only -------------------------------------------- */

struct sig_thread_arg {
    lc_loop *loop;
    int add_rc, remove_rc;
};

static void *sig_from_thread(void *p)
{
    struct sig_thread_arg *a = p;
    struct sig_hits h = {0};
    a->add_rc = lc_add_signal_handler(a->loop, SIGUSR1, sig_count, &h);
    if (a->add_rc == 0)
        lc_remove_signal_handler(a->loop, SIGUSR1);
    a->remove_rc = lc_remove_signal_handler(a->loop, SIGUSR1);
    return NULL;
}

static void signals_main_thread_only(lc_case_ctx *ctx, lc_loop *loop)
{
    sig_evidence_impl(ctx, loop);
    LC_REQUIRE(ctx, lc_is_main_thread(), "the case does not run in the main thread");
    struct sig_thread_arg a = {loop, 0, 0};
    pthread_t th;
    LC_REQUIRE(ctx, pthread_create(&th, NULL, sig_from_thread, &a) == 0, "pthread_create failed");
    pthread_join(th, NULL);
    LC_REQUIRE(ctx, a.add_rc == LC_ETHREAD, "add_signal_handler from another thread: %s",
               lc_errname(a.add_rc));
    LC_REQUIRE(ctx, a.remove_rc == LC_ETHREAD, "remove_signal_handler from another thread: %s",
               lc_errname(a.remove_rc));
    lc_case_pass(ctx, "add and remove from another thread refused with LC_ETHREAD");
}

/* ---- signals/several-pending ---------------------------------------------- */

/* Several distinct signals pending before the loop dispatches: each runs
 * its handler.  signal(7): a standard signal has one instance pending at
 * a time, so each sent once runs once; "Multiple instances of real-time
 * signals can be queued", so each one queued with sigqueue(3) runs its
 * handler once more.  With signalfd they all wait blocked and one read(2)
 * returns several signalfd_siginfo records (signalfd(2)); with the self
 * pipe each delivery writes its own byte. */
enum { SIG_KINDS = 5 };

struct sig_several {
    int signo[SIG_KINDS], want[SIG_KINDS], got[SIG_KINDS];
    char order[128];
    size_t olen;
};

static void sig_several_cb(lc_loop *loop, int signo, void *arg)
{
    struct sig_several *s = arg;
    int done = 1;
    for (int i = 0; i < SIG_KINDS; i++) {
        if (s->signo[i] == signo) {
            s->got[i]++;
            int n = snprintf(s->order + s->olen, sizeof s->order - s->olen, "%s%d",
                             s->olen ? "," : "", signo);
            if (n > 0 && (size_t)n < sizeof s->order - s->olen)
                s->olen += (size_t)n;
        }
        done &= s->got[i] >= s->want[i];
    }
    if (done)
        lc_loop_stop(loop);
}

static void signals_several_pending(lc_case_ctx *ctx, lc_loop *loop)
{
    sig_evidence_impl(ctx, loop);
    lc_case_ref(ctx, "man:signal(7)");
    lc_case_ref(ctx, "man:sigqueue(3)");
    struct sig_several s = {{SIGUSR1, SIGUSR2, SIGWINCH, SIGRTMIN, SIGRTMIN + 1}, {1, 1, 1, 3, 2}, {0}, "", 0};
    int added = 0, rc = 0;
    for (; added < SIG_KINDS; added++) {
        if ((rc = lc_add_signal_handler(loop, s.signo[added], sig_several_cb, &s)) < 0)
            break;
    }
    int sent = 0;
    if (rc == 0) {
        for (int i = 0; i < SIG_KINDS; i++) {
            for (int k = 0; k < s.want[i]; k++) {
                union sigval v = {.sival_int = k};
                sent += (i < 3 ? kill(getpid(), s.signo[i]) : sigqueue(getpid(), s.signo[i], v)) == 0;
            }
        }
    }
    int guard = 0, run = 0;
    if (rc == 0) {
        run = lc__case_run_guarded(loop, LC__MS(2000), &guard);
        /* Anything dispatched twice would come now. */
        int g2 = 0;
        if (run == 0)
            run = lc__case_run_guarded(loop, LC__MS(50), &g2);
    }
    for (int i = 0; i < added; i++)
        lc_remove_signal_handler(loop, s.signo[i]);
    if (rc == LC_ENOTSUP) {
        lc_case_unsupported(ctx, loop, rc, "add_signal_handler(%d) refused", s.signo[added]);
        return;
    }
    LC_REQUIRE(ctx, rc == 0, "add_signal_handler(%d): %s", s.signo[added], lc_errname(rc));
    LC_REQUIRE_OK(ctx, run);
    lc_case_evidence(ctx, "dispatch_order", s.order);
    lc_case_measure_counter(ctx, "signals_sent", sent, "signal");
    lc_case_measure_counter(ctx, "handler_calls", s.got[0] + s.got[1] + s.got[2] + s.got[3] + s.got[4],
                            "callback");
    LC_REQUIRE(ctx, sent == 8, "only %d of 8 kill/sigqueue calls succeeded", sent);
    for (int i = 0; i < SIG_KINDS; i++)
        LC_REQUIRE(ctx, s.got[i] == s.want[i], "signal %d: sent %d, handler ran %d times (order %s)",
                   s.signo[i], s.want[i], s.got[i], s.order);
    lc_case_pass(ctx, "USR1, USR2, WINCH once each and RTMIN x3, RTMIN+1 x2 queued before dispatch: "
                      "every one dispatched (order %s)", s.order);
}

/* ---- signals/child-clean-mask ---------------------------------------------- */

/* A child of a loop that blocks its signals (signalfd) starts with an
 * empty mask and default dispositions.  signalfd(2) NOTES: the blocked
 * mask is inherited by a fork child and kept across execve(2), and so are
 * ignored dispositions (signal(7)); the child's /proc/self/status shows
 * SigBlk and SigIgn (proc(5)).  The signals between 31 and SIGRTMIN are
 * the C library's own (signal(7), "Real-time signals": NPTL uses them and
 * moves SIGRTMIN up); no program may use them, and glibc's posix_spawn
 * leaves them ignored in the child (measured with glibc 2.36), so SigIgn is
 * checked without them and recorded whole. */
static unsigned long long status_mask(const char *status, const char *key)
{
    const char *p = strstr(status, key);
    return p ? strtoull(p + strlen(key), NULL, 16) : ~0ULL;
}

/* Bit signo-1 for each signal the C library reserves (32 .. SIGRTMIN-1). */
static unsigned long long libc_reserved(void)
{
    unsigned long long m = 0;
    for (int sig = 32; sig < SIGRTMIN && sig <= 64; sig++)
        m |= 1ULL << (sig - 1);
    return m;
}

static void signals_child_clean_mask(lc_case_ctx *ctx, lc_loop *loop)
{
    sig_evidence_impl(ctx, loop);
    lc_case_ref(ctx, "man:signalfd(2)");
    lc_case_ref(ctx, "man:proc(5)");
    struct sig_hits h = {0};
    if (sig_add(ctx, loop, SIGUSR1, &h) < 0)
        return;
    if (sig_add(ctx, loop, SIGRTMIN, &h) < 0) {
        lc_remove_signal_handler(loop, SIGUSR1);
        return;
    }
    /* An ignored signal too: it must come back to its default. */
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGUSR2, &ign, &old);
    int blocked = sig_blocked(SIGUSR1);
    struct lc__sp_run r = {.need_lost = 1};
    const char *argv[] = {"cat", "/proc/self/status", NULL};
    lc_spawn_options so = {.file = "cat", .argv = argv, .stdio = {0, LC_STDIO_PIPE, 0}};
    lc_process *p = lc__sp_spawn(ctx, loop, &so, &lc__sp_cbs, &r);
    int w = p ? lc__sp_wait(ctx, loop, &r, "cat /proc/self/status") : -1;
    if (p)
        lc_process_close(p);
    sigaction(SIGUSR2, &old, NULL);
    lc_remove_signal_handler(loop, SIGUSR1);
    lc_remove_signal_handler(loop, SIGRTMIN);
    if (w < 0)
        return;
    unsigned long long blk = status_mask(r.out[0], "\nSigBlk:"), ign_m = status_mask(r.out[0], "\nSigIgn:");
    char buf[64];
    snprintf(buf, sizeof buf, "%016llx", blk);
    lc_case_evidence(ctx, "child_sigblk", buf);
    snprintf(buf, sizeof buf, "%016llx", ign_m);
    lc_case_evidence(ctx, "child_sigign", buf);
    lc_case_evidence_int(ctx, "parent_blocks_sigusr1", blocked);
    LC_REQUIRE(ctx, r.rc == 0 && blk != ~0ULL, "no SigBlk line from the child (returncode %d)", r.rc);
    LC_REQUIRE(ctx, blk == 0, "the child started with signals blocked: SigBlk %016llx (parent blocks "
               "SIGUSR1: %d)", blk, blocked);
    LC_REQUIRE(ctx, (ign_m & ~libc_reserved()) == 0,
               "the child started with signals ignored: SigIgn %016llx (C library's own: %016llx)",
               ign_m, libc_reserved());
    lc_case_pass(ctx, "child SigBlk 0 and no application signal ignored (SigIgn %016llx) while the "
                 "loop %s SIGUSR1 and SIGRTMIN", ign_m, blocked ? "blocks" : "catches");
}

const lc_case lc_cases_signals[] = {
    {"signals/handler-runs", "a signal sent to the process runs its handler from the loop",
     signals_handler_runs, 0, signal_variants, 0},
    {"signals/wakes-poll", "a signal arriving while the loop blocks wakes it (SIGALRM, 20 ms)",
     signals_wakes_poll, 0, signal_variants, 0},
    {"signals/remove-restores",
     "remove returns 1 then 0 and restores the previous disposition and mask",
     signals_remove_restores, 0, signal_variants, 0},
    {"signals/close-restores", "closing the loop restores dispositions and releases its fds",
     signals_close_restores, LC_CASE_OWN_LOOP, signal_variants, 0},
    {"signals/coalescing", "N deliveries before dispatch run the handler at least once",
     signals_coalescing, 0, signal_variants, 0},
    {"signals/invalid-signal", "SIGKILL, SIGSTOP and out-of-range numbers are refused",
     signals_invalid_signal, 0, signal_variants, 0},
    {"signals/several-pending",
     "distinct signals and queued real-time signals pending before dispatch: each dispatched",
     signals_several_pending, 0, signal_variants, 0},
    {"signals/child-clean-mask", "a child spawned by a loop handling signals starts with SigBlk and "
     "SigIgn empty", signals_child_clean_mask, 0, signal_variants, 0},
    {"signals/main-thread-only", "add/remove from a thread other than the main one are refused",
     signals_main_thread_only, 0, signal_variants, 0},
    {0},
};
