/* fork: a forked child and the loop (fork(2); epoll(7) Q&A 6 on an epoll
 * instance shared across fork; io_uring_setup(2) on rings shared through
 * mmap; CPython test_unix_events.py TestFork).
 *
 * The child gets copies of the parent's descriptors, which point to the
 * same open file descriptions: the same epoll interest list, the same
 * eventfd counter.  What an inherited loop does to the parent is measured
 * here per backend, with and without lc_loop_after_fork(). */
#ifdef _WIN32
#include "case_util.h"

/* Windows has no fork(2): CreateProcess starts a new program image and a
 * child inherits handles, never a copy of the parent's memory or loop. */
static void fork_unavailable(lc_case_ctx *ctx, lc_loop *unused)
{
    (void)unused;
    lc_case_skip(ctx, "Windows has no fork(2): a process cannot be copied with its loop");
}
#define fork_child_new_loop fork_unavailable
#define fork_after_fork_isolates fork_unavailable
#else
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "case_util.h"

static void fork_mark(lc_loop *loop, int fd, void *arg)
{
    char buf[64];
    (void)!read(fd, buf, sizeof buf);
    (*(int *)arg)++;
    lc_loop_stop(loop);
}

static void fork_noop(lc_loop *loop, void *arg) { (void)loop; (void)arg; }

/* A reader on a fresh pipe fires on this loop within 1 s. */
static int reader_fires(lc_loop *loop)
{
    int p[2];
    if (pipe(p) < 0)
        return 0;
    int fired = 0;
    if (lc_add_reader(loop, p[0], fork_mark, &fired) == 0) {
        (void)!write(p[1], "x", 1);
        int guard = 0;
        lc__case_run_guarded(loop, LC__MS(1000), &guard);
        lc_remove_reader(loop, p[0]);
    }
    close(p[0]);
    close(p[1]);
    return fired > 0;
}

/* The child's exit status; 3 if it hung (an inherited loop may block on
 * kernel state it shares with us) and had to be killed after 3 s. */
static int child_status(pid_t pid)
{
    int st;
    int64_t deadline = lc_time_ns() + LC__MS(3000);
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0)
            return 4;
        if (lc_time_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return 3;
        }
        lc__case_sleep_ns(LC__MS(5));
    }
}

/* ---- fork/child-new-loop -------------------------------------------------
 * PASS: the child creates and runs a loop of its own.  Measured on the side
 * (never part of the verdict): whether the inherited loop, used without
 * lc_loop_after_fork, disturbs the parent's. */

struct fork_effects {
    int add_rc;             /* add_reader on the parent's pipe */
    int parent_hung;        /* the parent's loop never came back (killed after 6 s) */
    int child_hung;         /* the child never finished (killed after 3 s) */
    int inherited_works;    /* a reader added in the child fired there */
    int parent_reader_kept; /* the parent's reader still fires after the child removed it */
    int parent_woken;       /* the child's call_soon_threadsafe woke the parent */
};

static int fork_measure(lc_loop *loop, int after_fork, struct fork_effects *e)
{
    int a[2];
    if (pipe(a) < 0)
        return -1;
    int parent_fired = 0;
    int rc = lc_add_reader(loop, a[0], fork_mark, &parent_fired);
    if (rc < 0) {
        close(a[0]);
        close(a[1]);
        e->add_rc = rc;
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        lc_remove_reader(loop, a[0]);
        close(a[0]);
        close(a[1]);
        return -1;
    }
    if (pid == 0) {
        int ok = 1;
        if (after_fork)
            ok = lc_loop_after_fork(loop) == 0;
        lc_remove_reader(loop, a[0]);
        int works = ok && reader_fires(loop);
        lc_call_soon_threadsafe(loop, fork_noop, NULL);
        _exit(works ? 0 : 1);
    }
    int st = child_status(pid);
    e->child_hung = st == 3;
    e->inherited_works = st == 0;
    /* Did the child's wakeup reach us?  Nothing else is pending: a return
     * well before the 300 ms timer means our poll saw the eventfd. */
    lc_timer t = {0};
    int fired = 0;
    lc_call_later(loop, &t, LC__MS(300), fork_noop, NULL);
    int64_t t0 = lc_time_ns();
    lc_loop_run_once(loop, 1);
    e->parent_woken = lc_time_ns() - t0 < LC__MS(150);
    lc_timer_cancel(&t);
    (void)fired;
    (void)!write(a[1], "x", 1);
    int guard = 0;
    lc__case_run_guarded(loop, LC__MS(300), &guard);
    e->parent_reader_kept = parent_fired > 0;
    lc_remove_reader(loop, a[0]);
    close(a[0]);
    close(a[1]);
    return 0;
}

/* Run fork_measure in a helper process with a loop of its own: an
 * inherited loop may leave the parent's loop blocked for good (shared
 * kernel state), which must not take the case down with it.  The helper
 * has its own process group, so a hung helper and its child go together. */
static int fork_observe(lc_case_ctx *ctx, int after_fork, struct fork_effects *e)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t helper = fork();
    if (helper < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (helper == 0) {
        setpgid(0, 0);
        close(p[0]);
        struct fork_effects r = {0};
        lc_loop *loop = NULL;
        if ((r.add_rc = lc_loop_new(&loop, lc_case_loop_options(ctx))) == 0) {
            fork_measure(loop, after_fork, &r);
            lc_loop_free(loop);
        }
        (void)!write(p[1], &r, sizeof r);
        _exit(0);
    }
    setpgid(helper, helper);
    close(p[1]);
    struct pollfd pfd = {p[0], POLLIN, 0};
    int ready = poll(&pfd, 1, 6000);
    ssize_t n = ready > 0 ? read(p[0], e, sizeof *e) : -1;
    close(p[0]);
    if (n != (ssize_t)sizeof *e) {
        memset(e, 0, sizeof *e);
        e->parent_hung = 1;
        kill(-helper, SIGKILL);
        kill(helper, SIGKILL);
    }
    int st;
    waitpid(helper, &st, 0);
    return 0;
}

static void fork_record(lc_case_ctx *ctx, const char *prefix, const struct fork_effects *e)
{
    char key[96];
    snprintf(key, sizeof key, "%s.parent_hung", prefix);
    lc_case_evidence_int(ctx, key, e->parent_hung);
    snprintf(key, sizeof key, "%s.child_hung", prefix);
    lc_case_evidence_int(ctx, key, e->child_hung);
    snprintf(key, sizeof key, "%s.inherited_loop_works_in_child", prefix);
    lc_case_evidence_int(ctx, key, e->inherited_works);
    snprintf(key, sizeof key, "%s.parent_reader_kept", prefix);
    lc_case_evidence_int(ctx, key, e->parent_reader_kept);
    snprintf(key, sizeof key, "%s.child_wakeup_reached_parent", prefix);
    lc_case_evidence_int(ctx, key, e->parent_woken);
}

static void fork_child_new_loop(lc_case_ctx *ctx, lc_loop *unused)
{
    (void)unused;
    pid_t pid = fork();
    LC_REQUIRE(ctx, pid >= 0, "fork failed");
    if (pid == 0) {
        lc_loop *fresh = NULL;
        if (lc_loop_new(&fresh, lc_case_loop_options(ctx)) < 0)
            _exit(2);
        int ok = reader_fires(fresh);
        lc_timer t = {0};
        lc_call_later(fresh, &t, LC__MS(10), fork_noop, NULL);
        int guard = 0;
        lc__case_run_guarded(fresh, LC__MS(50), &guard);
        ok = ok && guard && !lc_timer_pending(&t);
        lc_loop_free(fresh);
        _exit(ok ? 0 : 1);
    }
    int st = child_status(pid);

    struct fork_effects e = {0};
    if (fork_observe(ctx, 0, &e) == 0 && e.add_rc == 0)
        fork_record(ctx, "without_after_fork", &e);
    LC_REQUIRE(ctx, st == 0, "the child's fresh loop %s (child status %d)",
               st == 2 ? "could not be created" : "did not run its reader and timer", st);
    if (e.parent_hung)
        lc_case_pass(ctx, "a child created and ran a fresh loop; inherited loop without "
                          "after_fork: the parent's loop hung once the child used it");
    else
        lc_case_pass(ctx, "a child created and ran a fresh loop; inherited loop without "
                          "after_fork: reader in child %s, parent's reader %s, child's wakeup %s "
                          "the parent",
                     e.inherited_works ? "fired" : "did not fire",
                     e.parent_reader_kept ? "kept" : "lost",
                     e.parent_woken ? "woke" : "did not wake");
}

/* ---- fork/after-fork-isolates ------------------------------------------
 * After lc_loop_after_fork() in the child, the inherited loop works there
 * and nothing the child does reaches the parent's loop. */

static void fork_after_fork_isolates(lc_case_ctx *ctx, lc_loop *unused)
{
    (void)unused;
    struct fork_effects e = {0};
    LC_REQUIRE(ctx, fork_observe(ctx, 1, &e) == 0, "pipe or fork failed");
    if (e.add_rc < 0) {
        lc__case_report_add_failure(ctx, NULL, e.add_rc, "pipe");
        return;
    }
    fork_record(ctx, "with_after_fork", &e);
    LC_REQUIRE(ctx, !e.parent_hung, "the parent's loop hung after the child used its inherited loop");
    LC_REQUIRE(ctx, e.inherited_works, "after lc_loop_after_fork the loop did not run a reader in the child");
    LC_REQUIRE(ctx, e.parent_reader_kept, "the child's remove_reader removed the parent's reader");
    LC_REQUIRE(ctx, !e.parent_woken, "the child's call_soon_threadsafe woke the parent's loop");
    lc_case_pass(ctx, "inherited loop usable in the child after lc_loop_after_fork; parent undisturbed");
}

#endif /* _WIN32 */

const lc_case lc_cases_fork[] = {
    {"fork/child-new-loop", "a forked child creates and runs a fresh loop (inherited-loop effects measured)",
     fork_child_new_loop, LC_CASE_OWN_LOOP, NULL, 0},
    {"fork/after-fork-isolates", "after lc_loop_after_fork the child's loop works and leaves the parent's alone",
     fork_after_fork_isolates, LC_CASE_OWN_LOOP, NULL, 0},
    {0},
};
