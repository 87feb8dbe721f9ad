/* subprocess: where a child's standard streams go and what happens when
 * one side of a pipe goes away (asyncio-subprocess.html, "Constants":
 * PIPE, STDOUT, DEVNULL; asyncio-eventloop "Running Subprocesses":
 * start_new_session; pipe(7) for the broken pipes).  Each case names the
 * CPython test it follows (test_asyncio/test_events.py
 * SubprocessTestsMixin, test_asyncio/test_subprocess.py SubprocessMixin).
 * POSIX only: the children are /bin/sh and POSIX tools, and /proc tells
 * where a child's fds point.  Each case runs once per child watcher. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "case_subprocess.h"

static const char *const watcher_variants[] = {"pidfd", "sigchld", NULL};

/* The children's environment: the C locale (error texts as strerror's),
 * the system's tools. */
static const char *const sp_env[] = {"LC_ALL=C", "PATH=/usr/bin:/bin", NULL};

/* Spawn "/bin/sh -c cmd" with the given streams, recording into r; NULL
 * when the case already recorded why not. */
static lc_process *sh_start(lc_case_ctx *ctx, lc_loop *loop, struct lc__sp_run *r,
                            const char *cmd, int in, int out, int err)
{
    lc_spawn_options so = {.shell = cmd, .env = sp_env, .stdio = {in, out, err}};
    r->loop = loop;
    return lc__sp_spawn(ctx, loop, &so, &lc__sp_cbs, r);
}

/* ---- subprocess/stderr-to-stdout ----------------------------------------- */

/* test_events.py test_subprocess_stderr_redirect_to_stdout: stderr=STDOUT
 * sends both streams down the one stdout pipe, in the order written. */
static void stderr_to_stdout(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    struct lc__sp_run r = {.need_lost = 1};
    lc_process *p = sh_start(ctx, loop, &r, "echo out; echo err >&2; exit 0", LC_STDIO_INHERIT,
                             LC_STDIO_PIPE, LC_STDIO_STDOUT);
    if (!p)
        return;
    int has_err_pipe = lc_process_pipe(p, 2) != NULL;
    int w = lc__sp_wait(ctx, loop, &r, "sh -c with stderr=STDOUT");
    lc_process_close(p);
    if (w < 0)
        return;
    LC_REQUIRE(ctx, !has_err_pipe, "stderr=STDOUT still made a stderr pipe transport");
    LC_REQUIRE(ctx, strcmp(r.out[0], "out\nerr\n") == 0, "stdout pipe got \"%s\", want \"out\\nerr\\n\"",
               r.out[0]);
    LC_REQUIRE(ctx, r.total[1] == 0, "%zu bytes arrived as fd 2", r.total[1]);
    LC_REQUIRE(ctx, r.rc == 0 && r.lost_err[1] == 0, "returncode %d, stdout lost with %s", r.rc,
               lc_errname(r.lost_err[1]));
    lc_case_pass(ctx, "stdout and stderr both arrived on the stdout pipe, in order");
}

/* ---- subprocess/devnull --------------------------------------------------- */

/* test_subprocess.py test_devnull_input, test_devnull_output,
 * test_devnull_error: DEVNULL on one stream; the child's fd points at
 * /dev/null (proc(5): /proc/PID/fd/N is a symbolic link to the file; the
 * shell's own, $$; a redirection, which dash applies in the shell itself
 * around a command, goes in a pipeline's child), reported
 * on another stream that is a pipe. */
static void devnull(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    static const struct {
        int fd;
        const char *cmd;
        int report; /* the pipe the answer comes back on: 1 or 2 */
    } runs[] = {
        {0, "readlink /proc/$$/fd/0; cat; echo \"cat=$?\"", 1},
        {1, "readlink /proc/$$/fd/1 | cat >&2; echo lost", 2},
        {2, "readlink /proc/$$/fd/2; echo lost >&2", 1},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        int st[3] = {LC_STDIO_INHERIT, LC_STDIO_INHERIT, LC_STDIO_INHERIT};
        st[runs[i].fd] = LC_STDIO_DEVNULL;
        st[runs[i].report] = LC_STDIO_PIPE;
        struct lc__sp_run r = {.need_lost = 1};
        lc_process *p = sh_start(ctx, loop, &r, runs[i].cmd, st[0], st[1], st[2]);
        if (!p)
            return;
        int has_pipe = lc_process_pipe(p, runs[i].fd) != NULL;
        int w = lc__sp_wait(ctx, loop, &r, runs[i].cmd);
        lc_process_close(p);
        if (w < 0)
            return;
        const char *got = r.out[runs[i].report - 1];
        const char *want = runs[i].fd == 0 ? "/dev/null\ncat=0\n" : "/dev/null\n";
        LC_REQUIRE(ctx, !has_pipe, "fd %d is DEVNULL but has a pipe transport", runs[i].fd);
        LC_REQUIRE(ctx, strcmp(got, want) == 0, "DEVNULL on fd %d: the child reported \"%s\"",
                   runs[i].fd, got);
        LC_REQUIRE(ctx, r.rc == 0, "DEVNULL on fd %d: returncode %d", runs[i].fd, r.rc);
    }
    lc_case_pass(ctx, "DEVNULL on stdin (EOF at once), stdout and stderr: each fd is /dev/null");
}

/* ---- subprocess/stdout-closed-epipe -------------------------------------- */

/* Close our read end of the child's stdout, wait until it is closed, then
 * let the child write.  Returns 0, or -1 when the case failed. */
static int close_stdout_then_go(lc_case_ctx *ctx, lc_loop *loop, lc_process *p,
                                struct lc__sp_run *r)
{
    lc_transport *out = lc_process_pipe(p, 1), *in = lc_process_pipe(p, 0);
    if (!out || !in) {
        lc_case_fail(ctx, "no stdin or stdout pipe transport");
        return -1;
    }
    r->stop_on_lost_fd = 2;
    lc_transport_close(out);
    if (lc__sp_wait(ctx, loop, r, "stdout close") < 0)
        return -1;
    r->stop_on_lost_fd = 0;
    int w = lc_transport_write(in, "go\n", 3);
    int c = lc_transport_close(in);
    if (w < 0 || c < 0) {
        lc_case_fail(ctx, "stdin: write %s, close %s", lc_errname(w), lc_errname(c));
        return -1;
    }
    return 0;
}

/* test_events.py test_subprocess_close_client_stream: after the parent
 * closed the read end of stdout, the child's write fails.  pipe(7): "If
 * all file descriptors referring to the read end of a pipe have been
 * closed, then a write(2) will cause a SIGPIPE signal to be generated for
 * the calling process.  If the calling process is ignoring this signal,
 * then write(2) fails with the error EPIPE."  Both: a child with SIGPIPE
 * at its default (lc_spawn resets dispositions) dies of it; a child that
 * ignores it (CPython's child is Python, which does) gets EPIPE. */
static void stdout_closed_epipe(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    lc_case_ref(ctx, "man:pipe(7)");
    static const char *const cmds[] = {
        "read x; echo data; echo survived >&2",
        /* ignored dispositions survive exec (execve(2)): head inherits it */
        "trap '' PIPE; read x; head -c 1 /dev/zero; echo survived >&2",
    };
    struct lc__sp_run r[2] = {{.need_lost = 3}, {.need_lost = 3}};
    for (int i = 0; i < 2; i++) {
        lc_process *p = sh_start(ctx, loop, &r[i], cmds[i], LC_STDIO_PIPE, LC_STDIO_PIPE,
                                 LC_STDIO_PIPE);
        if (!p)
            return;
        int ok = close_stdout_then_go(ctx, loop, p, &r[i]) == 0 &&
                 lc__sp_wait(ctx, loop, &r[i], cmds[i]) == 0;
        lc_process_close(p);
        if (!ok)
            return;
    }
    lc_case_evidence_int(ctx, "returncode_default", r[0].rc);
    lc_case_evidence(ctx, "stderr_ignoring", r[1].out[1]);
    LC_REQUIRE(ctx, r[0].rc == -SIGPIPE, "default SIGPIPE: returncode %d, want %d (-SIGPIPE); stderr \"%s\"",
               r[0].rc, -SIGPIPE, r[0].out[1]);
    LC_REQUIRE(ctx, r[0].total[0] == 0, "%zu bytes arrived on the closed stdout", r[0].total[0]);
    const char *epipe = strerror(EPIPE);
    LC_REQUIRE(ctx, strstr(r[1].out[1], epipe) && strstr(r[1].out[1], "survived"),
               "SIGPIPE ignored: stderr \"%s\", want the write error \"%s\" and \"survived\"",
               r[1].out[1], epipe);
    LC_REQUIRE(ctx, r[1].rc == 0, "SIGPIPE ignored: returncode %d, want 0", r[1].rc);
    lc_case_pass(ctx, "stdout closed: the child died of SIGPIPE (returncode %d); ignoring it, its write "
                      "failed with EPIPE (\"%s\")", r[0].rc, epipe);
}

/* ---- subprocess/stdin-broken-pipe ---------------------------------------- */

/* test_subprocess.py test_stdin_broken_pipe: the child exits without
 * reading its stdin while we still have data for it.  The write pipe
 * transport reports EPIPE to the protocol (connection_lost(-EPIPE),
 * transport.h) and the process is not killed by SIGPIPE (pipe(7)). */
static void stdin_broken_pipe(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    lc_case_ref(ctx, "man:pipe(7)");
    struct lc__sp_run r = {.need_lost = 1};
    /* head reads one byte and exits; 1 MiB is far more than a pipe holds
     * (pipe(7): 65536 bytes by default), so most stays in our buffer. */
    lc_process *p = sh_start(ctx, loop, &r, "exec head -c 1", LC_STDIO_PIPE, LC_STDIO_DEVNULL,
                             LC_STDIO_INHERIT);
    if (!p)
        return;
    enum { BIG = 1 << 20 };
    char *big = malloc(BIG);
    if (!big) {
        lc_process_close(p);
        lc_case_fail(ctx, "malloc(%d) failed", BIG);
        return;
    }
    memset(big, 'x', BIG);
    lc_transport *in = lc_process_pipe(p, 0);
    int wr = in ? lc_transport_write(in, big, BIG) : LC_EINVAL;
    free(big);
    int w = lc__sp_wait(ctx, loop, &r, "head -c 1 with 1 MiB for its stdin");
    lc_process_close(p);
    if (w < 0)
        return;
    lc_case_evidence(ctx, "write", lc_errname(wr));
    lc_case_evidence(ctx, "connection_lost", lc_errname(r.lost_err[0]));
    LC_REQUIRE(ctx, wr == 0 || wr == -EPIPE, "write of 1 MiB: %s", lc_errname(wr));
    LC_REQUIRE(ctx, r.lost[0] == 1 && r.lost_err[0] == -EPIPE,
               "stdin pipe_connection_lost %d time(s) with %s, want once with EPIPE", r.lost[0],
               lc_errname(r.lost_err[0]));
    LC_REQUIRE(ctx, r.rc == 0, "head returncode %d", r.rc);
    lc_case_pass(ctx, "the child left 1 MiB unread: stdin connection_lost(EPIPE), no SIGPIPE here");
}

/* ---- subprocess/new-session ----------------------------------------------- */

/* test_events.py test_subprocess_wait_no_same_group, test_subprocess.py
 * test_start_new_session: start_new_session=True runs setsid(2) in the
 * child, which becomes leader of a new session and process group (its
 * pid is both ids), and the loop still reaps it with its exit code. */
static void new_session(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    lc_case_ref(ctx, "man:setsid(2)");
    struct lc__sp_run r = {.need_lost = 1};
    lc_spawn_options so = {.shell = "cat /proc/$$/stat; exit 8", .env = sp_env,
                           .stdio = {LC_STDIO_INHERIT, LC_STDIO_PIPE, LC_STDIO_INHERIT},
                           .flags = LC_SPAWN_NEW_SESSION};
    lc_process *p = lc__sp_spawn(ctx, loop, &so, &lc__sp_cbs, &r);
    if (!p)
        return;
    int pid = lc_process_pid(p);
    int w = lc__sp_wait(ctx, loop, &r, "a start_new_session child");
    lc_process_close(p);
    if (w < 0)
        return;
    /* proc(5) /proc/pid/stat: pid (comm) state ppid pgrp session ... */
    const char *rp = strrchr(r.out[0], ')');
    int pgrp = -1, sid = -1;
    LC_REQUIRE(ctx, rp && sscanf(rp + 1, " %*c %*d %d %d", &pgrp, &sid) == 2,
               "could not parse the child's /proc/pid/stat: \"%s\"", r.out[0]);
    lc_case_evidence_int(ctx, "child_sid", sid);
    lc_case_evidence_int(ctx, "parent_sid", (long long)getsid(0));
    LC_REQUIRE(ctx, sid == pid && pgrp == pid, "child %d: session %d, group %d, want both %d", pid,
               sid, pgrp, pid);
    LC_REQUIRE(ctx, r.exited == 1 && r.rc == 8, "process_exited %d time(s), returncode %d, want 8",
               r.exited, r.rc);
    LC_REQUIRE(ctx, waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD,
               "the child is still waitable: the loop did not reap it");
    lc_case_pass(ctx, "setsid child led its own session and group; reaped with returncode 8");
}

/* ---- subprocess/read-after-exit ------------------------------------------- */

/* test_subprocess.py test_read_stdout_after_process_exit: output the child
 * wrote before exiting is still delivered whole once the exit is known.
 * The child writes 4096 bytes to stdout (one page: the least a Linux pipe
 * holds, pipe(7) "Pipe capacity") and 4 to stderr, and exits; waitid(2)
 * with WNOWAIT sees the exit without reaping, before the loop reads. */
static void read_after_exit(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    lc_case_ref(ctx, "man:waitid(2)");
    struct lc__sp_run r = {.need_lost = 2};
    lc_process *p = sh_start(ctx, loop, &r, "head -c 4096 /dev/zero; echo bye >&2; exit 1",
                             LC_STDIO_INHERIT, LC_STDIO_PIPE, LC_STDIO_PIPE);
    if (!p)
        return;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int rc;
    do
        rc = waitid(P_PID, (id_t)lc_process_pid(p), &si, WEXITED | WNOWAIT);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        lc_process_close(p);
        lc_case_fail(ctx, "waitid(WEXITED|WNOWAIT): %s", strerror(errno));
        return;
    }
    int w = lc__sp_wait(ctx, loop, &r, "reading after the child exited");
    lc_process_close(p);
    if (w < 0)
        return;
    lc_case_measure_counter(ctx, "stdout_bytes", (long long)r.total[0], "byte");
    lc_case_measure_counter(ctx, "bytes_after_process_exited", (long long)r.bytes_after_exit, "byte");
    LC_REQUIRE(ctx, r.total[0] == 4096 && r.total[1] == 4,
               "after the exit: %zu of 4096 stdout bytes, %zu of 4 stderr bytes", r.total[0],
               r.total[1]);
    LC_REQUIRE(ctx, r.lost_err[1] == 0 && r.lost_err[2] == 0, "pipes lost with %s, %s",
               lc_errname(r.lost_err[1]), lc_errname(r.lost_err[2]));
    LC_REQUIRE(ctx, r.exited == 1 && r.rc == 1, "process_exited %d time(s), returncode %d", r.exited,
               r.rc);
    lc_case_pass(ctx, "exit seen first, then all 4096 + 4 bytes delivered (%zu after process_exited)",
                 r.bytes_after_exit);
}

/* ---- subprocess/loop-close-running ----------------------------------------- */

/* Closing the loop while a child runs.  asyncio: loop.close() does not
 * close transports (asyncio-eventloop "loop.close": it clears the queues
 * and shuts down the executor), so the child keeps running and its
 * transport warns when collected unclosed; closing the transport then
 * kills a running child (test_subprocess.py test_close_kill_running).
 * process.h says the same: at loop close no callbacks, the child is not
 * signalled; lc_process_close afterwards kills and reaps it. */
static int proc_state(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' ? rp[2] : '?';
}

static void loop_close_running(lc_case_ctx *ctx, lc_loop *unused)
{
    (void)unused;
    lc_loop *loop = NULL;
    int fds0 = lc__case_count_fds();
    int rc = lc_loop_new(&loop, lc_case_loop_options(ctx));
    LC_REQUIRE(ctx, rc == 0, "lc_loop_new: %s", lc_strerror(rc));
    lc__sp_evidence(ctx, loop);
    struct lc__sp_run r = {.need_lost = 1};
    lc_process *p = sh_start(ctx, loop, &r, "exec sleep 30", LC_STDIO_INHERIT, LC_STDIO_PIPE,
                             LC_STDIO_INHERIT);
    if (!p) {
        lc_loop_free(loop);
        return;
    }
    int pid = lc_process_pid(p);
    int cl = lc_loop_close(loop);
    int alive = kill(pid, 0) == 0, state = proc_state(pid), code = -1;
    int have = lc_process_returncode(p, &code);
    lc_process_close(p);
    int gone = kill(pid, 0) < 0 && errno == ESRCH;
    int reaped = waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD;
    lc_loop_free(loop);
    int fds1 = lc__case_count_fds();
    char st[2] = {(char)state, 0};
    lc_case_evidence(ctx, "child_state_after_loop_close", st);
    LC_REQUIRE(ctx, cl == 0, "lc_loop_close: %s", lc_errname(cl));
    LC_REQUIRE(ctx, alive && state != 'Z' && state != 0, "after loop close the child was not running "
               "(state '%s')", st);
    LC_REQUIRE(ctx, have == 0, "returncode known (%d) for a child still running", code);
    LC_REQUIRE(ctx, r.exited == 0 && r.lost[1] == 0, "callbacks after loop close: exited %d, lost %d",
               r.exited, r.lost[1]);
    LC_REQUIRE(ctx, gone && reaped, "process close after loop close: child %s, %s",
               gone ? "gone" : "still there", reaped ? "reaped" : "not reaped");
    LC_REQUIRE(ctx, fds0 < 0 || fds1 == fds0, "%d fds left open", fds1 - fds0);
    lc_case_pass(ctx, "loop close left the child running, no callbacks; process close killed and "
                      "reaped it");
}

const lc_case lc_cases_subprocess_streams[] = {
    {"subprocess/stderr-to-stdout", "stderr=STDOUT: both streams arrive on the stdout pipe",
     stderr_to_stdout, 0, watcher_variants, 0},
    {"subprocess/devnull", "DEVNULL on stdin, stdout, stderr: the child's fd is /dev/null",
     devnull, 0, watcher_variants, 0},
    {"subprocess/stdout-closed-epipe",
     "stdout closed by the parent: the child dies of SIGPIPE, or gets EPIPE if it ignores it",
     stdout_closed_epipe, 0, watcher_variants, 0},
    {"subprocess/stdin-broken-pipe",
     "the child exits with stdin data unread: connection_lost(EPIPE), no SIGPIPE in the loop",
     stdin_broken_pipe, 0, watcher_variants, 0},
    {"subprocess/new-session", "start_new_session: the child leads a new session, still reaped",
     new_session, 0, watcher_variants, 0},
    {"subprocess/read-after-exit", "output written before exit is delivered whole after the exit",
     read_after_exit, 0, watcher_variants, 0},
    {"subprocess/loop-close-running",
     "loop close with a running child: no callbacks, child runs on; process close kills it",
     loop_close_running, LC_CASE_OWN_LOOP, watcher_variants, 0},
    {0},
};
