/* iocp backend: an I/O completion port, asyncio's ProactorEventLoop.
 *
 * A proactor performs I/O instead of reporting readiness, so the table has
 * no watch op: add_reader/add_writer return LC_ENOTSUP, as asyncio-platforms
 * documents for ProactorEventLoop ("add_reader() and add_writer() are not
 * supported").  Overlapped operations are submitted by their users with an
 * lc__iocp_op; poll waits in GetQueuedCompletionStatusEx
 * (https://learn.microsoft.com/en-us/windows/win32/fileio/getqueuedcompletionstatusex-func)
 * whose timeout is in milliseconds, rounded up here as asyncio's
 * IocpProactor does (math.ceil(timeout * 1e3), windows_events.py).  Each
 * completion's callback is queued with call_soon, so it runs in the next
 * iteration like a proactor future's done-callbacks.  Another thread wakes
 * the wait with PostQueuedCompletionStatus and no OVERLAPPED. */
#include "compat_win.h"

#include <stdio.h>
#include <stdlib.h>

/* Completions taken per wait (asyncio takes one at a time; a batch saves
 * system calls and keeps order within the batch). */
#define IOCP_BATCH 64

struct lc__iocp {
    HANDLE port;
    void *cs_head; /* iocp_stream.c: the transports' completion states */
};

static int64_t iocp_granularity(unsigned flags)
{
    (void)flags;
    return 1000000; /* dwMilliseconds */
}

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x00000002 /* synchapi.h, Windows 10 1803 */
#endif

/* GetQueuedCompletionStatusEx takes its timeout in dwMilliseconds.  A
 * finer wait would need a high-resolution waitable timer associated with
 * the port, which Windows 10 1803 and later can create
 * (CreateWaitableTimerExW, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION): the OS
 * is asked for one.  If it refuses, its error is the answer; if it grants
 * it, the whole milliseconds are this loop's choice, as asyncio's
 * IocpProactor waits in math.ceil(timeout * 1e3) ms (windows_events.py). */
static int iocp_timeout_refusal(unsigned flags, lc_refusal *out)
{
    (void)flags;
    HANDLE t = CreateWaitableTimerExW(NULL, NULL, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION,
                                      TIMER_ALL_ACCESS);
    if (t == NULL) {
        out->call = "CreateWaitableTimerExW";
        out->sys_errno = -lc__win_err(GetLastError());
        out->ref = "https://learn.microsoft.com/en-us/windows/win32/api/synchapi/nf-synchapi-createwaitabletimerexw";
        out->decided_by = "os";
        return 1;
    }
    CloseHandle(t);
    out->call = "GetQueuedCompletionStatusEx";
    out->sys_errno = 0;
    out->ref = "https://learn.microsoft.com/en-us/windows/win32/fileio/getqueuedcompletionstatusex-func";
    out->decided_by = "library";
    return 1;
}

static int iocp_probe(lc_probe *why)
{
    HANDLE p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (p == NULL) {
        int rc = lc__win_err(GetLastError());
        why->available = 0;
        why->reason = LC_REASON_PROBE_FAILED;
        why->sys_errno = -rc;
        snprintf(why->message, sizeof why->message, "CreateIoCompletionPort failed: %s",
                 lc_errname(rc));
        return 0;
    }
    CloseHandle(p);
    why->available = 1;
    return 0;
}

static int iocp_init(lc_loop *loop)
{
    int rc = lc__win_startup(); /* the sockets its users submit on */
    if (rc < 0)
        return rc;
    struct lc__iocp *b = calloc(1, sizeof *b);
    if (b == NULL) {
        lc__win_cleanup();
        return LC_ENOMEM;
    }
    /* One thread runs the loop: a concurrency of 1 (CreateIoCompletionPort,
     * NumberOfConcurrentThreads). */
    b->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (b->port == NULL) {
        rc = lc__win_err(GetLastError());
        free(b);
        lc__win_cleanup();
        return rc;
    }
    loop->backend = b;
    return 0;
}

static void iocp_destroy(lc_loop *loop)
{
    struct lc__iocp *b = loop->backend;
    if (b == NULL)
        return;
    /* The transports are gone (the loop's closers ran): what remains are
     * states of ops the kernel still had, which are freed once it gave
     * them back. */
    lc__iocp_streams_destroy(loop);
    loop->backend = NULL;
    CloseHandle(b->port);
    free(b);
    lc__win_cleanup();
}

static int iocp_check_fd(lc_loop *loop, int fd)
{
    (void)fd;
    lc__set_refusal(loop, NULL, 0, "https://docs.python.org/3/library/asyncio-platforms.html#windows");
    return LC_ENOTSUP;
}

static void run_done(lc_loop *loop, void *arg)
{
    struct lc__iocp_op *op = arg;
    op->done(loop, op, op->bytes, op->err);
}

static int iocp_poll(lc_loop *loop, int64_t timeout_ns)
{
    struct lc__iocp *b = loop->backend;
    OVERLAPPED_ENTRY ents[IOCP_BATCH];
    ULONG n = 0;
    DWORD ms = timeout_ns < 0 ? INFINITE : (DWORD)lc__timeout_ms_ceil(timeout_ns);
    if (!GetQueuedCompletionStatusEx(b->port, ents, IOCP_BATCH, &n, ms, FALSE)) {
        DWORD err = GetLastError();
        return err == WAIT_TIMEOUT ? 0 : lc__win_err(err);
    }
    for (ULONG i = 0; i < n; i++) {
        if (ents[i].lpOverlapped == NULL)
            continue; /* a wakeup packet: the core drains its queue next */
        struct lc__iocp_op *op = (struct lc__iocp_op *)ents[i].lpOverlapped;
        op->in_kernel = 0;
        op->bytes = ents[i].dwNumberOfBytesTransferred;
        op->err = 0;
        /* The entry carries an NTSTATUS; GetOverlappedResult turns a failed
         * one into the Win32 error the operation ended with. */
        if (op->ov.Internal != 0) {
            DWORD bytes = 0;
            if (!GetOverlappedResult(op->handle, &op->ov, &bytes, FALSE))
                op->err = lc__win_err(GetLastError());
        }
        if (lc_call_soon(loop, run_done, op) < 0)
            run_done(loop, op); /* out of memory: deliver now rather than lose it */
    }
    return 0;
}

int lc__iocp_done_soon(lc_loop *loop, struct lc__iocp_op *op, DWORD bytes, int err)
{
    op->in_kernel = 0;
    op->bytes = bytes;
    op->err = err;
    return lc_call_soon(loop, run_done, op);
}

int lc__iocp_drain(lc_loop *loop, DWORD timeout_ms)
{
    struct lc__iocp *b = loop->backend;
    OVERLAPPED_ENTRY ents[IOCP_BATCH];
    ULONG n = 0;
    if (b == NULL || !GetQueuedCompletionStatusEx(b->port, ents, IOCP_BATCH, &n, timeout_ms, FALSE))
        return 0;
    for (ULONG i = 0; i < n; i++)
        if (ents[i].lpOverlapped)
            ((struct lc__iocp_op *)ents[i].lpOverlapped)->in_kernel = 0;
    return (int)n;
}

void **lc__iocp_cs_head(lc_loop *loop)
{
    struct lc__iocp *b = loop->backend;
    return &b->cs_head;
}

static void iocp_wakeup(lc_loop *loop)
{
    struct lc__iocp *b = loop->backend;
    if (b != NULL)
        PostQueuedCompletionStatus(b->port, 0, 0, NULL);
}

int lc__iocp_associate(lc_loop *loop, HANDLE h)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (loop->ops->poll != iocp_poll)
        return LC_ENOTSUP;
    struct lc__iocp *b = loop->backend;
    if (CreateIoCompletionPort(h, b->port, 0, 0) == NULL)
        return lc__win_err(GetLastError());
    return 0;
}

const struct lc_backend_ops lc__backend_iocp = {
    .name = "iocp",
    .features = LC_FEAT_COMPLETION,
    .granularity = iocp_granularity,
    .timeout_refusal = iocp_timeout_refusal,
    .probe = iocp_probe,
    .init = iocp_init,
    .destroy = iocp_destroy,
    .check_fd = iocp_check_fd,
    .watch = NULL,
    .poll = iocp_poll,
    .after_fork = NULL,
    .wakeup = iocp_wakeup,
    /* A proactor always performs the transports' I/O (iocp_stream.c):
     * there is no readiness to fall back on.  No complete op: each
     * completion runs as a ready callback (run_done). */
    .stream_start = lc__iocp_stream_start,
    .stream_recv = lc__iocp_stream_recv,
    .stream_send = lc__iocp_stream_send,
    .stream_cancel = lc__iocp_stream_cancel,
};
