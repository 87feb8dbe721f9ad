/* Subprocesses and pipe transports on the Windows backends: lc_spawn on
 * iocp (pipes, env, cwd, the shell, termination, errors), refused on
 * winselect; the child behaviours this program runs as its own child. */
#include "test_wintransports.h"

#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const lc_protocol nothing_proto = {0};

struct piperd {
    char buf[64];
    size_t len;
    int eof, lost, lost_err;
};

static void pr_data(lc_transport *t, const void *data, size_t len)
{
    struct piperd *r = lc_transport_userdata(t);
    if (r->len + len <= sizeof r->buf) {
        memcpy(r->buf + r->len, data, len);
        r->len += len;
    }
}

static int pr_eof(lc_transport *t)
{
    ((struct piperd *)lc_transport_userdata(t))->eof++;
    return 0;
}

static void pr_lost(lc_transport *t, int err)
{
    struct piperd *r = lc_transport_userdata(t);
    r->lost++;
    r->lost_err = err;
}

static const lc_protocol piperd_proto = {NULL, pr_data, pr_eof, pr_lost, NULL, NULL};

START_TEST(t_pipe_transport_by_backend)
{
    lc_loop *loop = wt_new_loop();
    int p[2];
    ck_assert_int_eq(_pipe(p, 4096, _O_BINARY), 0);
    lc_transport *t = NULL;
    /* winselect: asyncio-platforms, SelectorEventLoop has no pipe support.
     * iocp: a CRT pipe is synchronous (no FILE_FLAG_OVERLAPPED); reading it
     * would block the loop, so it is refused too. */
    ck_assert_int_eq(lc_connect_read_pipe(loop, p[0], &nothing_proto, NULL, &t), LC_ENOTSUP);
    ck_assert_ptr_null(t);
    lc_refusal why;
    lc_loop_last_refusal(loop, &why);
    ck_assert_ptr_nonnull(why.ref);
    _close(p[0]);
    _close(p[1]);
    if (!wt_is_iocp()) {
        lc_loop_free(loop);
        return;
    }
    /* An overlapped named pipe: read through the transport until the
     * writer's close (ERROR_BROKEN_PIPE) ends it as EOF. */
    char name[96];
    snprintf(name, sizeof name, "\\\\.\\pipe\\lc-wt-%lu", GetCurrentProcessId());
    HANDLE srv = CreateNamedPipeA(name, PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED,
                                  PIPE_TYPE_BYTE | PIPE_WAIT, 1, 4096, 4096, 0, NULL);
    ck_assert(srv != INVALID_HANDLE_VALUE);
    HANDLE cli = CreateFileA(name, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    ck_assert(cli != INVALID_HANDLE_VALUE);
    int fd = _open_osfhandle((intptr_t)srv, _O_RDONLY);
    ck_assert_int_ge(fd, 0);
    struct piperd r;
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(lc_connect_read_pipe(loop, fd, &piperd_proto, &r, &t), 0);
    ck_assert_int_eq(lc_transport_kind(t), LC_TRANSPORT_READ_PIPE);
    ck_assert_int_eq(lc_transport_write(t, "x", 1), LC_EINVAL);
    DWORD wrote = 0;
    ck_assert(WriteFile(cli, "through the pipe", 16, &wrote, NULL));
    CloseHandle(cli);
    wt_run_until(loop, &r.lost);
    ck_assert_int_eq(r.eof, 1);
    ck_assert_int_eq(r.lost_err, 0);
    ck_assert_int_eq((int)r.len, 16);
    ck_assert_int_eq(memcmp(r.buf, "through the pipe", 16), 0);
    lc_loop_free(loop);
}
END_TEST

/* ---- subprocesses ---- */

struct proc {
    char out[512];
    size_t outlen;
    int exited, rc, pipes_lost;
};

static void p_data(lc_process *p, int fd, const void *data, size_t len, void *ud)
{
    (void)p;
    struct proc *r = ud;
    ck_assert(fd == 1 || fd == 2);
    if (r->outlen + len < sizeof r->out) {
        memcpy(r->out + r->outlen, data, len);
        r->outlen += len;
        r->out[r->outlen] = '\0';
    }
}

static void p_lost(lc_process *p, int fd, int err, void *ud)
{
    (void)p;
    (void)fd;
    ck_assert_int_eq(err, 0);
    ((struct proc *)ud)->pipes_lost++;
}

static void p_exit(lc_process *p, int rc, void *ud)
{
    (void)p;
    struct proc *r = ud;
    r->exited++;
    r->rc = rc;
}

static const lc_process_callbacks proc_cbs = {p_data, p_lost, p_exit};

static int all_done(const struct proc *r, int npipes) { return r->exited && r->pipes_lost >= npipes; }

static void run_proc(lc_loop *loop, struct proc *r, int npipes)
{
    int done = 0;
    int64_t end = lc_time_ns() + 20 * 1000000000LL;
    lc_timer tick;
    memset(&tick, 0, sizeof tick);
    while (!(done = all_done(r, npipes)) && lc_time_ns() < end) {
        if (!lc_timer_pending(&tick))
            lc_call_later(loop, &tick, 50 * 1000000LL, wt_noop, NULL);
        ck_assert_int_eq(lc_loop_run_once(loop, 1), 0);
    }
    lc_timer_cancel(&tick);
    ck_assert_msg(done, "child did not finish (exited %d, pipes lost %d)", r->exited, r->pipes_lost);
}

START_TEST(t_spawn_by_backend)
{
    lc_loop *loop = wt_new_loop();
    const char *argv[] = {wt_self_exe, "child", "cat", NULL};
    lc_spawn_options o;
    memset(&o, 0, sizeof o);
    o.file = wt_self_exe;
    o.argv = argv;
    o.stdio[0] = o.stdio[1] = LC_STDIO_PIPE;
    o.stdio[2] = LC_STDIO_STDOUT;
    struct proc r;
    memset(&r, 0, sizeof r);
    lc_process *p = NULL;
    int rc = lc_spawn(loop, &o, &proc_cbs, &r, &p);
    if (!wt_is_iocp()) {
        ck_assert_int_eq(rc, LC_ENOTSUP);
        ck_assert_ptr_null(p);
        lc_refusal why;
        lc_loop_last_refusal(loop, &why);
        ck_assert_ptr_nonnull(strstr(why.ref, "subprocess"));
        lc_loop_free(loop);
        return;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_gt(lc_process_pid(p), 0);
    ck_assert_ptr_null(lc_process_pipe(p, 2));
    lc_transport *in = lc_process_pipe(p, 0);
    ck_assert_ptr_nonnull(in);
    ck_assert_int_eq(lc_transport_write(in, "hello child", 11), 0);
    ck_assert_int_eq(lc_transport_close(in), 0); /* EOF for the child */
    run_proc(loop, &r, 2);
    ck_assert_int_eq(r.rc, 7);
    ck_assert_str_eq(r.out, "hello child<err>");
    int code = -1;
    ck_assert_int_eq(lc_process_returncode(p, &code), 1);
    ck_assert_int_eq(code, 7);
    ck_assert_int_eq(lc_process_kill(p), -ESRCH);
    lc_process_close(p);
    lc_loop_free(loop);
}
END_TEST

START_TEST(t_spawn_shell_env_cwd)
{
    if (!wt_is_iocp())
        return;
    lc_loop *loop = wt_new_loop();
    char cwd[MAX_PATH];
    ck_assert_int_ne(GetTempPathA(sizeof cwd, cwd), 0);
    /* Keep SystemRoot: Winsock and cmd.exe need it. */
    char sysroot[MAX_PATH + 16] = "SystemRoot=";
    GetEnvironmentVariableA("SystemRoot", sysroot + 11, MAX_PATH);
    const char *env[] = {"LC_WT_VALUE=forty two", sysroot, NULL};
    const char *argv[] = {wt_self_exe, "child", "env", NULL};
    lc_spawn_options o;
    memset(&o, 0, sizeof o);
    o.file = wt_self_exe;
    o.argv = argv;
    o.env = env;
    o.cwd = cwd;
    o.stdio[0] = LC_STDIO_DEVNULL;
    o.stdio[1] = LC_STDIO_PIPE;
    o.stdio[2] = LC_STDIO_DEVNULL;
    struct proc r;
    memset(&r, 0, sizeof r);
    lc_process *p = NULL;
    ck_assert_int_eq(lc_spawn(loop, &o, &proc_cbs, &r, &p), 0);
    ck_assert_ptr_null(lc_process_pipe(p, 0));
    run_proc(loop, &r, 1);
    ck_assert_int_eq(r.rc, 0);
    char want[MAX_PATH + 64];
    char full[MAX_PATH];
    ck_assert_int_ne(GetFullPathNameA(cwd, sizeof full, full, NULL), 0);
    size_t fl = strlen(full);
    if (fl > 3 && (full[fl - 1] == '\\' || full[fl - 1] == '/'))
        full[fl - 1] = '\0';
    snprintf(want, sizeof want, "forty two|%s", full);
    ck_assert_msg(_stricmp(r.out, want) == 0, "got '%s' want '%s'", r.out, want);
    lc_process_close(p);

    /* shell: cmd.exe /c, its exit status. */
    memset(&o, 0, sizeof o);
    o.shell = "echo shell says hi& exit 3";
    o.stdio[0] = LC_STDIO_DEVNULL;
    o.stdio[1] = LC_STDIO_PIPE;
    o.stdio[2] = LC_STDIO_DEVNULL;
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(lc_spawn(loop, &o, &proc_cbs, &r, &p), 0);
    run_proc(loop, &r, 1);
    ck_assert_int_eq(r.rc, 3);
    ck_assert_ptr_nonnull(strstr(r.out, "shell says hi"));
    lc_process_close(p);
    lc_loop_free(loop);
}
END_TEST

START_TEST(t_spawn_errors_and_kill)
{
    if (!wt_is_iocp())
        return;
    lc_loop *loop = wt_new_loop();
    lc_spawn_options o;
    memset(&o, 0, sizeof o);
    struct proc r;
    memset(&r, 0, sizeof r);
    lc_process *p = NULL;
    o.file = "lc-no-such-program-here";
    ck_assert_int_eq(lc_spawn(loop, &o, &proc_cbs, &r, &p), -ENOENT);
    ck_assert_ptr_null(p);
    o.shell = "exit 0";
    ck_assert_int_eq(lc_spawn(loop, &o, &proc_cbs, &r, &p), LC_EINVAL); /* both */
    o.shell = NULL;
    o.file = wt_self_exe;
    o.stdio[1] = LC_STDIO_STDOUT;
    ck_assert_int_eq(lc_spawn(loop, &o, &proc_cbs, &r, &p), LC_EINVAL);

    const char *argv[] = {wt_self_exe, "child", "sleep", NULL};
    memset(&o, 0, sizeof o);
    o.file = wt_self_exe;
    o.argv = argv;
    o.stdio[0] = o.stdio[1] = o.stdio[2] = LC_STDIO_DEVNULL;
    ck_assert_int_eq(lc_spawn(loop, &o, &proc_cbs, &r, &p), 0);
    ck_assert_int_eq(lc_process_returncode(p, NULL), 0);
    ck_assert_int_eq(lc_process_send_signal(p, SIGINT), LC_EINVAL);
    ck_assert_int_eq(lc_process_terminate(p), 0);
    run_proc(loop, &r, 0);
    /* TerminateProcess(handle, 1), as subprocess.Popen.terminate. */
    ck_assert_int_eq(r.rc, 1);
    ck_assert_int_eq(lc_process_terminate(p), -ESRCH);
    lc_process_close(p);

    /* Closing the process kills a child still running; closing the loop
     * afterwards reaps it without callbacks. */
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(lc_spawn(loop, &o, &proc_cbs, &r, &p), 0);
    lc_process_close(p);
    ck_assert_int_eq(lc_loop_close(loop), 0);
    ck_assert_int_eq(r.exited, 0);
    lc_loop_free(loop);
}
END_TEST

int wt_child_main(const char *mode)
{
    if (strcmp(mode, "cat") == 0) {
        char buf[256];
        size_t n;
        _setmode(0, _O_BINARY);
        _setmode(1, _O_BINARY);
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
            fwrite(buf, 1, n, stdout);
        fflush(stdout);
        fputs("<err>", stderr);
        fflush(stderr);
        return 7;
    }
    if (strcmp(mode, "env") == 0) {
        char cwd[MAX_PATH];
        const char *v = getenv("LC_WT_VALUE");
        if (_getcwd(cwd, sizeof cwd) == NULL)
            return 2;
        printf("%s|%s", v ? v : "(unset)", cwd);
        fflush(stdout);
        return 0;
    }
    if (strcmp(mode, "sleep") == 0) {
        Sleep(30000);
        return 0;
    }
    return 2;
}

void wt_add_process_tests(TCase *tc)
{
    tcase_add_test(tc, t_pipe_transport_by_backend);
    tcase_add_test(tc, t_spawn_by_backend);
    tcase_add_test(tc, t_spawn_shell_env_cwd);
    tcase_add_test(tc, t_spawn_errors_and_kill);
}
