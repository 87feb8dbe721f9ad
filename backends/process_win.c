/* Subprocesses on Windows (asyncio subprocess_exec / subprocess_shell).
 *
 * asyncio-platforms, "Subprocess Support on Windows": "On Windows, the
 * default event loop ProactorEventLoop supports subprocesses, whereas
 * SelectorEventLoop does not" — so lc_spawn works on iocp and is refused
 * with LC_ENOTSUP on winselect.
 *
 * The child is started with CreateProcess.  A standard stream that is a
 * pipe is a named pipe pair made the way asyncio's windows_utils.pipe()
 * makes it: the loop's end created with FILE_FLAG_OVERLAPPED (read and
 * written by the iocp pipe transports, iocp_stream.c), the child's end
 * opened synchronously and inheritable.  Only the three standard handles
 * are inherited (PROC_THREAD_ATTRIBUTE_HANDLE_LIST, as subprocess.Popen's
 * close_fds does on Windows).  exec: argv is quoted into one command line
 * by the rules the C runtime parses it back with (subprocess.list2cmdline);
 * a file without a path separator is searched with SearchPath (the
 * program's directory, the current one, the system directories, PATH).
 * shell: "%ComSpec% /c command", or cmd.exe (subprocess.Popen, shell=True).
 *
 * The exit is seen by a thread-pool wait (RegisterWaitForSingleObject on
 * the process handle), which queues the reaping on the loop with
 * lc_call_soon_threadsafe — a packet posted to the loop's port.
 * returncode is the exit code (GetExitCodeProcess).  There are no signals:
 * lc_process_terminate, lc_process_kill and send_signal(SIGTERM or
 * SIGKILL) call TerminateProcess with exit code 1, as subprocess.Popen's
 * terminate() and kill() do on Windows; any other signal number is
 * LC_EINVAL (Popen.send_signal: "Unsupported signal").
 * LC_SPAWN_NEW_SESSION starts the child in a new process group
 * (CREATE_NEW_PROCESS_GROUP), the nearest Windows notion of setsid. */
#include "compat_win.h"

#include "lc_process_win.h"
#include "lc_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LC__SUBPROCESS_REF \
    "https://docs.python.org/3/library/asyncio-platforms.html#subprocess-support-on-windows"

static void loop_closed(lc_loop *loop, void *arg);

static void unwatch(lc_process *p)
{
    if (p->wait) {
        /* INVALID_HANDLE_VALUE: return once a callback already running has
         * finished, so it cannot touch p afterwards. */
        UnregisterWaitEx(p->wait, INVALID_HANDLE_VALUE);
        p->wait = NULL;
    }
}

void lc__process_maybe_free(lc_process *p)
{
    if (p->busy || !p->user_closed || p->npipes > 0)
        return;
    if (!p->reaped && !p->detached)
        return; /* the exit is still to be seen by the loop */
    if (p->has_closer)
        lc__remove_closer(&p->closer);
    unwatch(p);
    CloseHandle(p->proc);
    free(p);
}

static void record_exit(lc_process *p)
{
    DWORD code = 1;
    if (!GetExitCodeProcess(p->proc, &code))
        code = 1;
    p->returncode = (int)code;
    p->reaped = true;
}

/* Blocking wait for a child that was just terminated (cleanup paths). */
static void reap_now(lc_process *p)
{
    WaitForSingleObject(p->proc, INFINITE);
    record_exit(p);
}

static void on_exit_loop(lc_loop *loop, void *arg)
{
    (void)loop;
    lc_process *p = arg;
    unwatch(p);
    if (p->reaped)
        return;
    record_exit(p);
    lc__process_exited(p);
}

static void CALLBACK on_exit_thread(PVOID arg, BOOLEAN timed_out)
{
    (void)timed_out;
    lc_process *p = arg;
    /* LC_ECLOSED: the loop is closing; its closer takes over. */
    (void)lc_call_soon_threadsafe(p->loop, on_exit_loop, p);
}

/* The loop closes: no callbacks from here on; the pipes are detached
 * before their transports are torn down (this closer is newer). */
static void loop_closed(lc_loop *loop, void *arg)
{
    (void)loop;
    lc_process *p = arg;
    p->has_closer = false;
    unwatch(p);
    lc__process_detach_pipes(p);
    p->detached = true;
    if (p->user_closed && !p->reaped)
        reap_now(p); /* terminated by lc_process_close */
    lc__process_maybe_free(p);
}

/* ---- building the child ---- */

static atomic_uint pipe_serial;

/* A pipe pair: *mine overlapped and not inheritable, *child inheritable.
 * child_reads: the child reads from it (stdin). */
static int make_pipe(int child_reads, HANDLE *mine, HANDLE *child)
{
    char name[96];
    snprintf(name, sizeof name, "\\\\.\\pipe\\loopcompat-%lu-%u-%llu", GetCurrentProcessId(),
             atomic_fetch_add(&pipe_serial, 1), (unsigned long long)GetTickCount64());
    DWORD mode = (child_reads ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND) | FILE_FLAG_OVERLAPPED |
                 FILE_FLAG_FIRST_PIPE_INSTANCE;
    *mine = CreateNamedPipeA(name, mode, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1,
                             64 * 1024, 64 * 1024, 0, NULL);
    if (*mine == INVALID_HANDLE_VALUE)
        return lc__win_err(GetLastError());
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    *child = CreateFileA(name, child_reads ? GENERIC_READ : GENERIC_WRITE, 0, &sa, OPEN_EXISTING,
                         0, NULL);
    if (*child == INVALID_HANDLE_VALUE) {
        int rc = lc__win_err(GetLastError());
        CloseHandle(*mine);
        *mine = INVALID_HANDLE_VALUE;
        return rc;
    }
    return 0;
}

struct stdio_set {
    HANDLE child[3], mine[3];
    bool own_child[3];
};

static void stdio_close(struct stdio_set *s)
{
    for (int i = 0; i < 3; i++) {
        if (s->own_child[i] && s->child[i] != INVALID_HANDLE_VALUE)
            CloseHandle(s->child[i]);
        if (s->mine[i] != INVALID_HANDLE_VALUE)
            CloseHandle(s->mine[i]);
        s->child[i] = s->mine[i] = INVALID_HANDLE_VALUE;
        s->own_child[i] = false;
    }
}

static int stdio_make(const int mode[3], struct stdio_set *s)
{
    static const DWORD std_ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
    for (int i = 0; i < 3; i++) {
        s->child[i] = s->mine[i] = INVALID_HANDLE_VALUE;
        s->own_child[i] = false;
    }
    for (int i = 0; i < 3; i++) {
        int rc = 0;
        if (mode[i] == LC_STDIO_PIPE) {
            rc = make_pipe(i == 0, &s->mine[i], &s->child[i]);
            s->own_child[i] = rc == 0;
        } else if (mode[i] == LC_STDIO_DEVNULL) {
            SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
            s->child[i] = CreateFileA("NUL", GENERIC_READ | GENERIC_WRITE,
                                      FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
            if (s->child[i] == INVALID_HANDLE_VALUE)
                rc = lc__win_err(GetLastError());
            s->own_child[i] = rc == 0;
        } else if (mode[i] == LC_STDIO_STDOUT) {
            s->child[i] = s->child[1];
        } else {
            /* The parent's own handle, duplicated inheritable (Popen's
             * _make_inheritable); none if the parent has none. */
            HANDLE h = GetStdHandle(std_ids[i]);
            if (h != NULL && h != INVALID_HANDLE_VALUE &&
                DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &s->child[i], 0, TRUE,
                                DUPLICATE_SAME_ACCESS))
                s->own_child[i] = true;
            else
                s->child[i] = INVALID_HANDLE_VALUE;
        }
        if (rc < 0) {
            stdio_close(s);
            return rc;
        }
    }
    return 0;
}

static int create(const lc_spawn_options *o, struct stdio_set *s, PROCESS_INFORMATION *pi)
{
    char app[MAX_PATH + 1];
    char *cmd = NULL, *env = NULL;
    int rc = lc__win_command_line(o, app, sizeof app, &cmd);
    if (rc == 0 && o->env)
        rc = lc__win_env_block(o->env, &env);
    if (rc < 0) {
        free(cmd);
        return rc;
    }
    STARTUPINFOEXA si;
    memset(&si, 0, sizeof si);
    si.StartupInfo.cb = sizeof si;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = s->child[0];
    si.StartupInfo.hStdOutput = s->child[1];
    si.StartupInfo.hStdError = s->child[2];
    /* Inherit these handles only (each once: the list refuses repeats). */
    HANDLE list[3];
    size_t nlist = 0;
    for (int i = 0; i < 3; i++) {
        bool dup = s->child[i] == INVALID_HANDLE_VALUE;
        for (size_t j = 0; j < nlist && !dup; j++)
            dup = list[j] == s->child[i];
        if (!dup)
            list[nlist++] = s->child[i];
    }
    DWORD flags = (o->flags & LC_SPAWN_NEW_SESSION) ? CREATE_NEW_PROCESS_GROUP : 0;
    SIZE_T asize = 0;
    InitializeProcThreadAttributeList(NULL, 1, 0, &asize);
    LPPROC_THREAD_ATTRIBUTE_LIST attrs = nlist ? malloc(asize) : NULL;
    if (attrs && InitializeProcThreadAttributeList(attrs, 1, 0, &asize)) {
        if (UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list,
                                      nlist * sizeof list[0], NULL, NULL)) {
            si.lpAttributeList = attrs;
            flags |= EXTENDED_STARTUPINFO_PRESENT;
        }
    }
    memset(pi, 0, sizeof *pi);
    BOOL ok = CreateProcessA(app, cmd, NULL, NULL, nlist > 0, flags, env, o->cwd,
                             &si.StartupInfo, pi);
    rc = ok ? 0 : GetLastError() == ERROR_DIRECTORY ? -ENOENT /* a bad cwd */
                                                     : lc__win_err(GetLastError());
    if (si.lpAttributeList)
        DeleteProcThreadAttributeList(attrs);
    free(attrs);
    free(env);
    free(cmd);
    return rc;
}

int lc_spawn(lc_loop *loop, const lc_spawn_options *opts, const lc_process_callbacks *cbs,
             void *ud, lc_process **out)
{
    if (out)
        *out = NULL;
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (opts == NULL || out == NULL || (rc = lc__spawn_check_options(opts)) < 0)
        return rc < 0 ? rc : LC_EINVAL;
    if (loop->ops->watch != NULL) { /* winselect */
        lc__set_refusal(loop, "subprocess_exec", 0, LC__SUBPROCESS_REF);
        return LC_ENOTSUP;
    }
    lc_process *p = calloc(1, sizeof *p);
    if (p == NULL)
        return LC_ENOMEM;
    struct stdio_set s;
    if ((rc = stdio_make(opts->stdio, &s)) < 0) {
        free(p);
        return rc;
    }
    PROCESS_INFORMATION pi;
    if ((rc = create(opts, &s, &pi)) < 0) {
        stdio_close(&s);
        free(p);
        return rc;
    }
    CloseHandle(pi.hThread);
    p->loop = loop;
    p->proc = pi.hProcess;
    p->pid = pi.dwProcessId;
    p->cbs = cbs;
    p->ud = ud;
    /* The child has its ends now; the loop keeps its own. */
    for (int i = 0; i < 3; i++) {
        if (s.own_child[i])
            CloseHandle(s.child[i]);
        s.own_child[i] = false;
        s.child[i] = INVALID_HANDLE_VALUE;
    }
    for (int i = 0; i < 3 && rc == 0; i++) {
        if (s.mine[i] == INVALID_HANDLE_VALUE)
            continue;
        int fd = _open_osfhandle((intptr_t)s.mine[i], i == 0 ? _O_WRONLY : _O_RDONLY);
        if (fd < 0) {
            rc = -EMFILE;
            break;
        }
        s.mine[i] = INVALID_HANDLE_VALUE; /* the fd owns it */
        rc = i == 0 ? lc_connect_write_pipe(loop, fd, &lc__process_pipe_protocol, p, &p->pipes[i])
                    : lc_connect_read_pipe(loop, fd, &lc__process_pipe_protocol, p, &p->pipes[i]);
        if (rc < 0)
            _close(fd);
        else
            p->npipes++;
    }
    if (rc == 0 && !RegisterWaitForSingleObject(&p->wait, p->proc, on_exit_thread, p, INFINITE,
                                                WT_EXECUTEONLYONCE))
        rc = lc__win_err(GetLastError());
    if (rc == 0) {
        lc__add_closer(loop, &p->closer, loop_closed, p);
        p->has_closer = true;
    }
    if (rc < 0) {
        /* No child left behind (process.h): kill it and let go. */
        unwatch(p);
        TerminateProcess(p->proc, 1);
        for (int i = 0; i < 3; i++) {
            if (p->pipes[i]) {
                lc_transport_set_userdata(p->pipes[i], NULL);
                lc_transport_abort(p->pipes[i]);
            }
        }
        stdio_close(&s);
        WaitForSingleObject(p->proc, INFINITE);
        CloseHandle(p->proc);
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int lc_process_send_signal(lc_process *p, int signo)
{
    if (p == NULL || (signo != SIGTERM && signo != SIGKILL))
        return LC_EINVAL;
    if (p->reaped)
        return -ESRCH;
    /* The handle stays open until the record is freed, so it cannot name
     * another process.  A child that already exited refuses with access
     * denied; that is ESRCH too (Popen.terminate ignores it). */
    if (!TerminateProcess(p->proc, 1)) {
        DWORD code = 0;
        if (GetExitCodeProcess(p->proc, &code) && code != STILL_ACTIVE)
            return -ESRCH;
        return lc__win_err(GetLastError());
    }
    return 0;
}

void lc__process_end_child(lc_process *p)
{
    if (!p->reaped) {
        TerminateProcess(p->proc, 1);
        if (p->detached)
            reap_now(p); /* the loop is gone: nobody else will */
    }
}

const char *lc_loop_child_watcher_name(const lc_loop *loop)
{
    /* A thread-pool wait on the process handle, on iocp only. */
    return loop && loop->ops->watch == NULL ? "waitobject" : NULL;
}
