/* subprocess: children started by the loop, their pipes and their exit
 * (asyncio-subprocess.html; asyncio-eventloop "Running Subprocesses";
 * CPython test_events.py SubprocessTestsMixin, test_subprocess.py).  Each
 * case runs once per child watcher (variants "pidfd" and "sigchld").
 *
 * On Windows the same case ids run with Windows child programs (cmd.exe
 * and its built-ins, ping.exe), since the POSIX ones (echo, cat, sleep,
 * /bin/sh) are not there.  asyncio-platforms ("Subprocess Support on
 * Windows"): ProactorEventLoop supports subprocesses, SelectorEventLoop
 * does not, so winselect answers LC_ENOTSUP (UNSUPPORTED).  The pidfd and
 * sigchld child watchers are Linux ones: on Windows each case runs once,
 * with the loop's own watcher (a wait on the process handle).  Windows has
 * no signals to kill with: kill, terminate and send_signal(SIGTERM) are
 * TerminateProcess(..., 1) as Popen.terminate() does, so the returncode is
 * 1 (subprocess docs, "Popen.terminate ... On Windows TerminateProcess()
 * is called"). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include "case_subprocess.h"

#ifdef _WIN32
#define SP_VARIANTS NULL
#else
static const char *const watcher_variants[] = {"pidfd", "sigchld", NULL};
#define SP_VARIANTS watcher_variants
#endif

/* The child programs: POSIX ones, or on Windows cmd.exe and its
 * built-ins.  cmd's echo ends its line with CRLF; more copies stdin to
 * stdout until EOF (cmd /c more: a built-in under wine, more.com on
 * Windows, which ends the last line with CRLF). */
#ifdef _WIN32
#define SP_ECHO_ARGV "cmd.exe", "/c", "echo", "hello", "world"
#define SP_ECHO_WHAT "cmd.exe /c echo hello world"
#define SP_ECHO_OUT "hello world\r\n"
#define SP_ECHO_OUT_C "hello world\\r\\n"
#define SP_CAT_ARGV "cmd.exe", "/c", "more"
#define SP_CAT_WHAT "cmd /c more"
#define SP_CAT_NAME "more"
#else
#define SP_ECHO_ARGV "echo", "hello", "world"
#define SP_ECHO_WHAT "echo hello world"
#define SP_ECHO_OUT "hello world\n"
#define SP_ECHO_OUT_C "hello world\\n"
#define SP_CAT_ARGV "cat"
#define SP_CAT_WHAT "cat"
#define SP_CAT_NAME "cat"
#endif

/* ---- subprocess/exec-stdout ---------------------------------------------- */

static void subprocess_exec_stdout(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    struct lc__sp_run r = {.need_lost = 1};
    const char *argv[] = {SP_ECHO_ARGV, NULL};
    lc_spawn_options so = {.file = argv[0], .argv = argv};
    so.stdio[1] = LC_STDIO_PIPE;
    lc_process *p = lc__sp_spawn(ctx, loop, &so, &lc__sp_cbs, &r);
    if (!p)
        return;
    int w = lc__sp_wait(ctx, loop, &r, SP_ECHO_WHAT);
    lc_process_close(p);
    if (w < 0)
        return;
    LC_REQUIRE(ctx, r.exited == 1 && r.rc == 0, "exited %d time(s), returncode %d", r.exited, r.rc);
    LC_REQUIRE(ctx, r.len[0] == strlen(SP_ECHO_OUT) && memcmp(r.out[0], SP_ECHO_OUT, r.len[0]) == 0,
               "stdout was \"%.*s\" (%zu bytes)", (int)r.len[0], r.out[0], r.len[0]);
    LC_REQUIRE(ctx, r.lost_err[1] == 0, "stdout pipe lost with %s", lc_errname(r.lost_err[1]));
    lc_case_pass(ctx, "stdout \"" SP_ECHO_OUT_C "\" through a pipe, returncode 0");
}

/* ---- subprocess/exec-stdin-echo ------------------------------------------ */

/* What came back is what was written (more may end it with CRLF). */
static int sp_echoed(const struct lc__sp_run *r)
{
#ifdef _WIN32
    return strcmp(r->out[0], "one two") == 0 || strcmp(r->out[0], "one two\r\n") == 0;
#else
    return r->len[0] == 7 && memcmp(r->out[0], "one two", 7) == 0;
#endif
}

static void subprocess_exec_stdin_echo(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    struct lc__sp_run r = {.need_lost = 2};
    const char *argv[] = {SP_CAT_ARGV, NULL};
    lc_spawn_options so = {.file = argv[0], .argv = argv};
    so.stdio[0] = so.stdio[1] = LC_STDIO_PIPE;
    lc_process *p = lc__sp_spawn(ctx, loop, &so, &lc__sp_cbs, &r);
    if (!p)
        return;
    lc_transport *in = lc_process_pipe(p, 0);
    int w1 = in ? lc_transport_write(in, "one ", 4) : LC_EINVAL;
    int w2 = in ? lc_transport_write(in, "two", 3) : LC_EINVAL;
    int c = in ? lc_transport_close(in) : LC_EINVAL;
    if (w1 < 0 || w2 < 0 || c < 0) {
        lc_process_close(p);
        lc_case_fail(ctx, "stdin pipe: write %s, write %s, close %s", lc_errname(w1),
                     lc_errname(w2), lc_errname(c));
        return;
    }
    int w = lc__sp_wait(ctx, loop, &r, SP_CAT_WHAT);
    lc_process_close(p);
    if (w < 0)
        return;
    LC_REQUIRE(ctx, sp_echoed(&r), SP_CAT_NAME " echoed \"%.*s\"", (int)r.len[0], r.out[0]);
    LC_REQUIRE(ctx, r.rc == 0, SP_CAT_NAME " exited with %d after stdin closed", r.rc);
    lc_case_pass(ctx, "two writes to stdin echoed on stdout; EOF on stdin ended the child");
}

/* ---- subprocess/exit-status ---------------------------------------------- */

static void subprocess_exit_status(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    static const int codes[] = {0, 7, 255};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "exit %d", codes[i]);
        struct lc__sp_run r = {0};
        lc_spawn_options so = {.shell = cmd};
        lc_process *p = lc__sp_spawn(ctx, loop, &so, &lc__sp_cbs, &r);
        if (!p)
            return;
        int w = lc__sp_wait(ctx, loop, &r, cmd);
        int got = -1000, have = lc_process_returncode(p, &got);
        lc_process_close(p);
        if (w < 0)
            return;
        LC_REQUIRE(ctx, r.exited == 1 && r.rc == codes[i] && have && got == codes[i],
                   "%s: process_exited %d time(s) with %d, returncode() %d", cmd, r.exited, r.rc,
                   got);
    }
    lc_case_pass(ctx, "exit 0, 7 and 255 reported as returncode 0, 7, 255");
}

/* ---- subprocess/kill-signal ---------------------------------------------- */

/* Windows has no signals to end a child with: every way is
 * TerminateProcess(..., 1), and other signal numbers are refused. */
#ifdef _WIN32
static int sp_send_term(lc_process *p) { return lc_process_send_signal(p, SIGTERM); }

static void subprocess_kill_signal(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    struct {
        const char *how;
        int (*send)(lc_process *);
    } ways[] = {{"kill", lc_process_kill},
                {"terminate", lc_process_terminate},
                {"send_signal(SIGTERM)", sp_send_term}};
    int after = 0, other = 0;
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
        struct lc__sp_run r = {0};
        /* Runs about 30 s: ping waits a second between echo requests. */
        const char *argv[] = {"ping.exe", "-n", "30", "127.0.0.1", NULL};
        lc_spawn_options so = {.file = "ping.exe", .argv = argv};
        so.stdio[1] = LC_STDIO_DEVNULL;
        lc_process *p = lc__sp_spawn(ctx, loop, &so, &lc__sp_cbs, &r);
        if (!p)
            return;
        if (i == 0)
            other = lc_process_send_signal(p, SIGINT);
        int s = ways[i].send(p);
        int w = s < 0 ? -1 : lc__sp_wait(ctx, loop, &r, ways[i].how);
        after = lc_process_kill(p);
        lc_process_close(p);
        LC_REQUIRE(ctx, s == 0, "%s: %s", ways[i].how, lc_errname(s));
        if (w < 0)
            return;
        LC_REQUIRE(ctx, r.rc == 1, "%s: returncode %d, want 1 (TerminateProcess(..., 1))",
                   ways[i].how, r.rc);
    }
    lc_case_evidence(ctx, "send_signal_sigint", lc_errname(other));
    lc_case_evidence(ctx, "kill_after_exit", lc_errname(after));
    LC_REQUIRE(ctx, other == LC_EINVAL, "send_signal(SIGINT): %s, want LC_EINVAL", lc_errname(other));
    LC_REQUIRE(ctx, after == -ESRCH, "kill after the child was reaped: %s, want ESRCH",
               lc_errname(after));
    lc_case_pass(ctx, "kill, terminate, send_signal(SIGTERM) -> returncode 1; SIGINT LC_EINVAL; "
                      "ESRCH after exit");
}

#else
static int sp_send_hup(lc_process *p) { return lc_process_send_signal(p, SIGHUP); }

static void subprocess_kill_signal(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    struct {
        const char *how;
        int (*send)(lc_process *);
        int signo;
    } ways[] = {{"kill", lc_process_kill, SIGKILL},
                {"terminate", lc_process_terminate, SIGTERM},
                {"send_signal(SIGHUP)", sp_send_hup, SIGHUP}};
    int after = 0;
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
        struct lc__sp_run r = {0};
        lc_spawn_options so = {.shell = "exec sleep 30"};
        lc_process *p = lc__sp_spawn(ctx, loop, &so, &lc__sp_cbs, &r);
        if (!p)
            return;
        int s = ways[i].send(p);
        int w = s < 0 ? -1 : lc__sp_wait(ctx, loop, &r, ways[i].how);
        after = lc_process_kill(p);
        lc_process_close(p);
        LC_REQUIRE(ctx, s == 0, "%s: %s", ways[i].how, lc_errname(s));
        if (w < 0)
            return;
        LC_REQUIRE(ctx, r.rc == -ways[i].signo, "%s: returncode %d, want %d", ways[i].how, r.rc,
                   -ways[i].signo);
    }
    lc_case_evidence(ctx, "kill_after_exit", lc_errname(after));
    LC_REQUIRE(ctx, after == -ESRCH, "kill after the child was reaped: %s, want ESRCH",
               lc_errname(after));
    lc_case_pass(ctx, "kill -> -SIGKILL, terminate -> -SIGTERM, SIGHUP -> -SIGHUP; ESRCH after exit");
}

#endif

/* ---- subprocess/shell ---------------------------------------------------- */

/* /bin/sh -c, or on Windows %ComSpec% /c (no space before '&': cmd's echo
 * prints everything up to it). */
#ifdef _WIN32
#define SP_SHELL_CMD "echo %LC_CASE_VALUE%&cd&echo err>&2&exit 3"
#define SP_SHELL_CWD "C:\\"
#define SP_SHELL_WHAT "cmd /c"
#define SP_SHELL_OUT "42\r\nC:\\\r\n"
#define SP_SHELL_ERR "err\r\n"
#define SP_SHELL_NAME "%%ComSpec%% /c"
#else
#define SP_SHELL_CMD "echo \"$LC_CASE_VALUE\"; pwd; echo err >&2; exit 3"
#define SP_SHELL_CWD "/"
#define SP_SHELL_WHAT "sh -c"
#define SP_SHELL_OUT "42\n/\n"
#define SP_SHELL_ERR "err\n"
#define SP_SHELL_NAME "/bin/sh -c"
#endif

static void subprocess_shell(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    struct lc__sp_run r = {.need_lost = 2};
#ifdef _WIN32
    char sysroot[260];
    DWORD n = GetEnvironmentVariableA("SystemRoot", sysroot, sizeof sysroot);
    char root_env[300];
    snprintf(root_env, sizeof root_env, "SystemRoot=%s", n && n < sizeof sysroot ? sysroot : "C:\\windows");
    const char *env[] = {"LC_CASE_VALUE=42", root_env, NULL};
#else
    const char *env[] = {"LC_CASE_VALUE=42", "PATH=/usr/bin:/bin", NULL};
#endif
    lc_spawn_options so = {.shell = SP_SHELL_CMD, .env = env, .cwd = SP_SHELL_CWD};
    so.stdio[1] = so.stdio[2] = LC_STDIO_PIPE;
    lc_process *p = lc__sp_spawn(ctx, loop, &so, &lc__sp_cbs, &r);
    if (!p)
        return;
    int w = lc__sp_wait(ctx, loop, &r, SP_SHELL_WHAT);
    lc_process_close(p);
    if (w < 0)
        return;
    LC_REQUIRE(ctx, strcmp(r.out[0], SP_SHELL_OUT) == 0, "stdout was \"%s\"", r.out[0]);
    LC_REQUIRE(ctx, strcmp(r.out[1], SP_SHELL_ERR) == 0, "stderr was \"%s\"", r.out[1]);
    LC_REQUIRE(ctx, r.rc == 3, "returncode %d, want 3", r.rc);
    lc_case_pass(ctx, SP_SHELL_NAME " with env and cwd: stdout, stderr and exit 3 as written");
}

/* ---- subprocess/exec-not-found ------------------------------------------- */

static void subprocess_exec_not_found(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
#ifdef _WIN32
    lc_spawn_options so = {.file = "C:\\nonexistent\\loopcompat-program.exe"};
#else
    lc_spawn_options so = {.file = "/nonexistent/loopcompat-program"};
#endif
    so.stdio[0] = so.stdio[1] = LC_STDIO_PIPE;
    lc_process *p = NULL;
    /* The first spawn sets the watcher up (the sigchld watcher opens the
     * loop's signal channel, kept until close; on Windows, what the loop
     * keeps up); count around the second. */
    lc_spawn(loop, &so, &lc__sp_cbs, NULL, &p);
    if (p)
        lc_process_close(p), p = NULL;
    int fds0 = lc__case_count_fds();
    int rc = lc_spawn(loop, &so, &lc__sp_cbs, NULL, &p);
    if (rc == LC_ENOTSUP) {
#ifdef _WIN32
        lc_case_unsupported(ctx, loop, rc, "lc_spawn refused: %s", lc_errname(rc));
#else
        lc_case_ref(ctx, "man:pidfd_open(2)");
        lc_case_unsupported(ctx, loop, rc, "lc_spawn refused: child watcher not available");
#endif
        return;
    }
    if (p)
        lc_process_close(p);
    int fds1 = lc__case_count_fds();
    lc_case_evidence(ctx, "error", lc_errname(rc));
    LC_REQUIRE(ctx, rc == -ENOENT, "spawning a missing program: %s, want ENOENT", lc_errname(rc));
#ifdef _WIN32
    LC_REQUIRE(ctx, fds0 < 0 || fds1 == fds0, "the failed spawn left %d handles open", fds1 - fds0);
    lc_case_pass(ctx, "a missing program is ENOENT from lc_spawn itself, no handle left open");
#else
    LC_REQUIRE(ctx, fds0 < 0 || fds1 == fds0, "the failed spawn left %d fds open", fds1 - fds0);
    lc_case_pass(ctx, "a missing program is ENOENT from lc_spawn itself, nothing left open");
#endif
}

/* ---- subprocess/many-concurrent ------------------------------------------ */

enum { SP_MANY = 100 };

struct sp_many {
    int exited, wrong;
    lc_loop *loop;
};

struct sp_one {
    struct sp_many *m;
    int want;
};

static void sp_many_exited(lc_process *p, int rc, void *ud)
{
    (void)p;
    struct sp_one *o = ud;
    if (rc != o->want)
        o->m->wrong++;
    if (++o->m->exited == SP_MANY)
        lc_loop_stop(o->m->loop);
}

static void subprocess_many_concurrent(lc_case_ctx *ctx, lc_loop *loop)
{
    lc__sp_evidence(ctx, loop);
    static const lc_process_callbacks cbs = {NULL, NULL, sp_many_exited};
    struct sp_many m = {0, 0, loop};
    struct sp_one ones[SP_MANY];
    lc_process *ps[SP_MANY] = {0};
    int64_t t0 = lc_time_ns();
    int n = 0;
    for (; n < SP_MANY; n++) {
        char cmd[32];
        ones[n].m = &m;
        ones[n].want = n % 64;
        snprintf(cmd, sizeof cmd, "exit %d", ones[n].want);
        lc_spawn_options so = {.shell = cmd};
        if ((ps[n] = lc__sp_spawn(ctx, loop, &so, &cbs, &ones[n])) == NULL)
            break;
    }
    int guard = 0, rc = 0;
    if (n == SP_MANY)
        rc = lc__case_run_guarded(loop, LC__MS(20000), &guard);
    int64_t took = lc_time_ns() - t0;
    for (int i = 0; i < n; i++)
        lc_process_close(ps[i]);
    if (n < SP_MANY)
        return; /* sp_spawn recorded why */
    LC_REQUIRE_OK(ctx, rc);
    lc_case_measure_counter(ctx, "children", SP_MANY, "process");
    lc_case_measure_value(ctx, "all_reaped_after", (double)took / 1e6, "ms");
    LC_REQUIRE(ctx, m.exited == SP_MANY, "%d of %d children reported within 20 s", m.exited,
               SP_MANY);
    LC_REQUIRE(ctx, m.wrong == 0, "%d children reported the wrong returncode", m.wrong);
    lc_case_pass(ctx, "%d concurrent children all reaped with their own exit codes in %.0f ms",
                 SP_MANY, (double)took / 1e6);
}

const lc_case lc_cases_subprocess[] = {
    {"subprocess/exec-stdout", "exec a program; its stdout arrives through a pipe transport",
     subprocess_exec_stdout, 0, SP_VARIANTS, 0},
    {"subprocess/exec-stdin-echo", "writes to the stdin pipe come back on stdout; closing stdin is EOF",
     subprocess_exec_stdin_echo, 0, SP_VARIANTS, 0},
    {"subprocess/exit-status", "the exit status reaches process_exited as the returncode",
     subprocess_exit_status, 0, SP_VARIANTS, 0},
    {"subprocess/kill-signal", "kill/terminate/send_signal give returncode -signo; ESRCH after exit",
     subprocess_kill_signal, 0, SP_VARIANTS, 0},
    {"subprocess/shell", "/bin/sh -c with env and cwd; stdout and stderr on their own pipes",
     subprocess_shell, 0, SP_VARIANTS, 0},
    {"subprocess/exec-not-found", "a missing program is an error from the spawn call itself",
     subprocess_exec_not_found, 0, SP_VARIANTS, 0},
    {"subprocess/many-concurrent", "100 concurrent children are all reaped with their codes",
     subprocess_many_concurrent, 0, SP_VARIANTS, 30},
    {0},
};
