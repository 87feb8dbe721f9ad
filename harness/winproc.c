/* Windows child processes for the runner (see winproc.h). */
#ifdef _WIN32
#include "winproc.h"

#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A pipe drained by its own thread into a capped buffer: the child never
 * blocks on a full pipe, and the waits below need only the process handle. */
typedef struct drain {
    HANDLE rd;
    char *buf;
    size_t len, cap;
    int truncated;
} drain;

static DWORD WINAPI drain_main(LPVOID p)
{
    drain *d = p;
    char chunk[4096];
    DWORD n;
    while (ReadFile(d->rd, chunk, sizeof chunk, &n, NULL) && n > 0) {
        size_t keep = n;
        if (d->len + keep > d->cap) {
            keep = d->cap - d->len;
            d->truncated = 1; /* keep reading: a blocked writer would hang the case */
        }
        memcpy(d->buf + d->len, chunk, keep);
        d->len += keep;
    }
    return 0;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int fail(lc_winproc_result *r, const char *what)
{
    snprintf(r->error, sizeof r->error, "%s failed: Windows error %lu", what, GetLastError());
    return -1;
}

int lc_winproc_quote_arg(char *cmd, size_t cap, const char *arg)
{
    size_t len = strlen(cmd);
    char *o = cmd + len;
    char *end = cmd + cap - 1;
    if (len > 0) {
        if (o >= end)
            return -1;
        *o++ = ' ';
    }
    if (*arg && strpbrk(arg, " \t\n\v\"") == NULL) {
        size_t n = strlen(arg);
        if ((size_t)(end - o) < n)
            return -1;
        memcpy(o, arg, n);
        o[n] = '\0';
        return 0;
    }
    if (o >= end)
        return -1;
    *o++ = '"';
    for (const char *p = arg;; p++) {
        size_t bs = 0;
        while (*p == '\\') {
            bs++;
            p++;
        }
        /* Backslashes are literal unless they precede a quote (theirs or
         * the closing one): then each is doubled. */
        size_t nb = (*p == '\0') ? 2 * bs : (*p == '"') ? 2 * bs + 1 : bs;
        if ((size_t)(end - o) < nb + 2)
            return -1;
        memset(o, '\\', nb);
        o += nb;
        if (*p == '\0')
            break;
        *o++ = *p;
    }
    *o++ = '"';
    *o = '\0';
    return 0;
}

int lc_winproc_record_fd(const char *handle_arg)
{
    char *endp = NULL;
    unsigned long long v = handle_arg ? strtoull(handle_arg, &endp, 10) : 0;
    if (!handle_arg || endp == handle_arg || *endp != '\0' || v == 0)
        return -1;
    return _open_osfhandle((intptr_t)v, _O_WRONLY | _O_BINARY);
}

/* Processes of the job other than the child: what it left running.  The
 * process list rather than the active count, which wine still reports
 * including a child that has exited. */
static int others_in_job(HANDLE job, DWORD child_pid)
{
    struct {
        JOBOBJECT_BASIC_PROCESS_ID_LIST l;
        ULONG_PTR more[63];
    } ids;
    memset(&ids, 0, sizeof ids);
    if (!QueryInformationJobObject(job, JobObjectBasicProcessIdList, &ids, sizeof ids, NULL))
        return 0;
    int n = 0;
    for (DWORD i = 0; i < ids.l.NumberOfProcessIdsInList; i++)
        if (ids.l.ProcessIdList[i] != child_pid)
            n++;
    return n;
}

static LONG WINAPI die_with_exception(EXCEPTION_POINTERS *ep)
{
    TerminateProcess(GetCurrentProcess(), ep->ExceptionRecord->ExceptionCode);
    return EXCEPTION_EXECUTE_HANDLER;
}

void lc_winproc_child_init(void)
{
    SetErrorMode(GetErrorMode() | SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
    SetUnhandledExceptionFilter(die_with_exception);
}

static int make_pipe(HANDLE *rd, HANDLE *wr)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
    if (!CreatePipe(rd, wr, &sa, 0))
        return -1;
    /* Only the child's end is inherited, and only by this child (the
     * handle list below). */
    SetHandleInformation(*wr, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    return 0;
}

int lc_winproc_run(const char *exe, const char *const *args, double timeout_s, size_t record_cap,
                   size_t output_cap, lc_winproc_result *r)
{
    memset(r, 0, sizeof *r);
    HANDLE rec_rd = NULL, rec_wr = NULL, out_rd = NULL, out_wr = NULL, nul = INVALID_HANDLE_VALUE;
    HANDLE job = NULL, threads[2] = {NULL, NULL};
    LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
    PROCESS_INFORMATION pi = {0};
    drain rec = {0}, out = {0};
    int rc = -1;

    char *cmd = malloc(32768); /* CreateProcess's limit on a command line */
    rec.buf = malloc(record_cap + 1);
    out.buf = malloc(output_cap + 1);
    if (!cmd || !rec.buf || !out.buf) {
        snprintf(r->error, sizeof r->error, "out of memory");
        goto done;
    }
    rec.cap = record_cap;
    out.cap = output_cap;
    cmd[0] = '\0';
    if (make_pipe(&rec_rd, &rec_wr) < 0 || make_pipe(&out_rd, &out_wr) < 0) {
        fail(r, "CreatePipe");
        goto done;
    }
    SECURITY_ATTRIBUTES isa = {sizeof isa, NULL, TRUE};
    nul = CreateFileA("NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &isa, OPEN_EXISTING, 0, NULL);
    if (nul == INVALID_HANDLE_VALUE) {
        fail(r, "CreateFile(NUL)");
        goto done;
    }
    char hnum[32];
    snprintf(hnum, sizeof hnum, "%llu", (unsigned long long)(uintptr_t)rec_wr);
    if (lc_winproc_quote_arg(cmd, 32768, exe) < 0)
        goto toolong;
    for (size_t i = 0; args && args[i]; i++)
        if (lc_winproc_quote_arg(cmd, 32768, args[i]) < 0)
            goto toolong;
    if (lc_winproc_quote_arg(cmd, 32768, "--record-handle") < 0 || lc_winproc_quote_arg(cmd, 32768, hnum) < 0)
        goto toolong;

    /* A job holds the child and whatever it starts: terminating the job is
     * the process-group kill of the POSIX runner, and KILL_ON_JOB_CLOSE
     * makes the cases die with the harness. */
    job = CreateJobObjectA(NULL, NULL);
    if (!job) {
        fail(r, "CreateJobObject");
        goto done;
    }
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
    memset(&lim, 0, sizeof lim);
    lim.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    SetInformationJobObject(job, JobObjectExtendedLimitInformation, &lim, sizeof lim);

    SIZE_T asize = 0;
    InitializeProcThreadAttributeList(NULL, 1, 0, &asize);
    attrs = malloc(asize);
    HANDLE inherit[3] = {nul, out_wr, rec_wr};
    if (!attrs || !InitializeProcThreadAttributeList(attrs, 1, 0, &asize) ||
        !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit, sizeof inherit,
                                   NULL, NULL)) {
        fail(r, "UpdateProcThreadAttribute");
        goto done;
    }
    STARTUPINFOEXA si;
    memset(&si, 0, sizeof si);
    si.StartupInfo.cb = sizeof si;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = nul;
    si.StartupInfo.hStdOutput = out_wr;
    si.StartupInfo.hStdError = out_wr;
    si.lpAttributeList = attrs;

    /* No error dialog and no debugger for a crashing case: the exception
     * code becomes its exit code.  The child inherits the error mode. */
    SetErrorMode(GetErrorMode() | SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
    /* The child shares our console (no CREATE_NO_WINDOW): a console
     * program started without one gets a conhost.exe of its own, which
     * would sit in the job and look like a process the case left behind. */
    int64_t t0 = mono_ns();
    if (!CreateProcessA(NULL, cmd, NULL, NULL, TRUE,
                        CREATE_SUSPENDED | EXTENDED_STARTUPINFO_PRESENT, NULL, NULL,
                        &si.StartupInfo, &pi)) {
        fail(r, "CreateProcess");
        goto done;
    }
    r->started = 1;
    if (!AssignProcessToJobObject(job, pi.hProcess)) {
        TerminateProcess(pi.hProcess, 1);
        r->started = 0;
        fail(r, "AssignProcessToJobObject");
        goto done;
    }
    /* Our copies of the child's ends: closed, so the drains see EOF once
     * the job's processes are gone. */
    CloseHandle(rec_wr);
    CloseHandle(out_wr);
    rec_wr = out_wr = NULL;
    rec.rd = rec_rd;
    out.rd = out_rd;
    threads[0] = CreateThread(NULL, 0, drain_main, &rec, 0, NULL);
    threads[1] = CreateThread(NULL, 0, drain_main, &out, 0, NULL);
    ResumeThread(pi.hThread);

    DWORD ms = INFINITE;
    if (timeout_s > 0)
        ms = timeout_s * 1000.0 > 4e9 ? INFINITE - 1 : (DWORD)(timeout_s * 1000.0 + 0.999);
    if (WaitForSingleObject(pi.hProcess, ms) == WAIT_TIMEOUT) {
        r->timed_out = 1;
        TerminateJobObject(job, 1);
        WaitForSingleObject(pi.hProcess, INFINITE);
    }
    r->duration_ns = mono_ns() - t0;
    DWORD code = 0;
    GetExitCodeProcess(pi.hProcess, &code);
    r->exit_code = code;
    if (!r->timed_out)
        r->leftovers = others_in_job(job, pi.dwProcessId);
    /* Whatever the child left running goes too, or its inherited pipe
     * ends would keep the drains waiting. */
    TerminateJobObject(job, 1);
    WaitForMultipleObjects(2, threads, TRUE, INFINITE);
    rc = 0;
    goto done;
toolong:
    snprintf(r->error, sizeof r->error, "command line longer than 32767 characters");
done:
    for (int i = 0; i < 2; i++)
        if (threads[i])
            CloseHandle(threads[i]);
    if (pi.hThread)
        CloseHandle(pi.hThread);
    if (pi.hProcess)
        CloseHandle(pi.hProcess);
    if (attrs) {
        DeleteProcThreadAttributeList(attrs);
        free(attrs);
    }
    if (job)
        CloseHandle(job);
    if (nul != INVALID_HANDLE_VALUE)
        CloseHandle(nul);
    HANDLE hs[4] = {rec_rd, rec_wr, out_rd, out_wr};
    for (int i = 0; i < 4; i++)
        if (hs[i])
            CloseHandle(hs[i]);
    free(cmd);
    if (rc == 0) {
        rec.buf[rec.len] = '\0';
        out.buf[out.len] = '\0';
        r->record = rec.buf;
        r->record_len = rec.len;
        r->output = out.buf;
        r->output_len = out.len;
        r->output_truncated = out.truncated;
    } else {
        free(rec.buf);
        free(out.buf);
    }
    return rc;
}

void lc_winproc_result_free(lc_winproc_result *r)
{
    free(r->record);
    free(r->output);
    r->record = r->output = NULL;
}

const char *lc_winproc_exception_name(unsigned long code)
{
    /* ntstatus.h; an unhandled exception ends the process with its code. */
    static const struct {
        unsigned long code;
        const char *name;
    } names[] = {
        {0xC0000005UL, "STATUS_ACCESS_VIOLATION"},
        {0xC0000006UL, "STATUS_IN_PAGE_ERROR"},
        {0xC000001DUL, "STATUS_ILLEGAL_INSTRUCTION"},
        {0xC0000025UL, "STATUS_NONCONTINUABLE_EXCEPTION"},
        {0xC000008CUL, "STATUS_ARRAY_BOUNDS_EXCEEDED"},
        {0xC000008EUL, "STATUS_FLOAT_DIVIDE_BY_ZERO"},
        {0xC0000094UL, "STATUS_INTEGER_DIVIDE_BY_ZERO"},
        {0xC0000095UL, "STATUS_INTEGER_OVERFLOW"},
        {0xC0000096UL, "STATUS_PRIVILEGED_INSTRUCTION"},
        {0xC00000FDUL, "STATUS_STACK_OVERFLOW"},
        {0xC0000374UL, "STATUS_HEAP_CORRUPTION"},
        {0xC0000409UL, "STATUS_STACK_BUFFER_OVERRUN"},
        {0x80000003UL, "STATUS_BREAKPOINT"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return NULL;
}
#endif /* _WIN32 */
