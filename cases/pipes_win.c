/* pipes on Windows: the case ids of pipes.c over Windows pipes.
 *
 * asyncio-platforms ("Windows"): SelectorEventLoop does not support pipes
 * (connect_read_pipe, connect_write_pipe), and Winsock select waits on
 * sockets only; ProactorEventLoop supports pipes opened for overlapped I/O
 * (asyncio's windows_utils.pipe makes named pipes so).  Each case makes a
 * named pipe whose loop end is overlapped and whose other end is an
 * ordinary synchronous handle the case reads or writes itself, both as
 * CRT fds.  On winselect the case also asks for a reader on the pipe:
 * select itself refuses the pipe there (WSAENOTSOCK),
 * and the row's evidence says so.  Windows has no FIFOs (mkfifo): pipes/fifo is SKIP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_transport.h"

/* A named pipe: fds[0] the read end, fds[1] the write end; the end the
 * loop gets (loop_reads: the read end) is opened for overlapped I/O.
 * 0, or -1 with the case failed. */
static int win_pipe(lc_case_ctx *ctx, int loop_reads, int fds[2])
{
    static volatile LONG serial;
    char name[96];
    snprintf(name, sizeof name, "\\\\.\\pipe\\loopcompat-case-%lu-%ld",
             (unsigned long)GetCurrentProcessId(), (long)InterlockedIncrement(&serial));
    DWORD access = (loop_reads ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_OUTBOUND) |
                   FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE;
    HANDLE srv = CreateNamedPipeA(name, access, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1,
                                  65536, 65536, 0, NULL);
    if (srv == INVALID_HANDLE_VALUE) {
        lc_case_fail(ctx, "CreateNamedPipe: error %lu", (unsigned long)GetLastError());
        return -1;
    }
    HANDLE cli = CreateFileA(name, loop_reads ? GENERIC_WRITE : GENERIC_READ, 0, NULL, OPEN_EXISTING,
                             0, NULL);
    if (cli == INVALID_HANDLE_VALUE) {
        lc_case_fail(ctx, "CreateFile on the pipe: error %lu", (unsigned long)GetLastError());
        CloseHandle(srv);
        return -1;
    }
    int sfd = _open_osfhandle((intptr_t)srv, _O_BINARY | (loop_reads ? _O_RDONLY : _O_WRONLY));
    int cfd = _open_osfhandle((intptr_t)cli, _O_BINARY | (loop_reads ? _O_WRONLY : _O_RDONLY));
    if (sfd < 0 || cfd < 0) {
        lc_case_fail(ctx, "_open_osfhandle failed");
        if (sfd < 0)
            CloseHandle(srv);
        else
            _close(sfd);
        if (cfd < 0)
            CloseHandle(cli);
        else
            _close(cfd);
        return -1;
    }
    fds[0] = loop_reads ? sfd : cfd;
    fds[1] = loop_reads ? cfd : sfd;
    return 0;
}

/* winselect: a reader on the pipe is refused before anything is
 * registered; recorded as evidence of the row. */
static void pipe_readable(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    (void)fd;
    (void)arg;
}

static void select_on_pipe(lc_case_ctx *ctx, lc_loop *loop, int fd)
{
    int rc = lc_add_reader(loop, fd, pipe_readable, NULL);
    if (rc == 0)
        lc_remove_reader(loop, fd);
    lc_refusal rf = {0};
    if (rc == LC_ENOTSUP)
        lc_loop_last_refusal(loop, &rf);
    char what[160];
    snprintf(what, sizeof what, "%s%s%s%s%s", lc_errname(rc), rf.call ? " by " : "",
             rf.call ? rf.call : "", rf.call && rf.sys_errno ? ": " : "",
             rf.call && rf.sys_errno ? lc_errname(-rf.sys_errno) : "");
    lc_case_evidence(ctx, "add_reader_on_pipe", what);
    if (rf.ref)
        lc_case_ref(ctx, rf.ref);
}

/* Open the loop's transport; on winselect also show select's refusal. */
static int open_end(lc_case_ctx *ctx, lc_loop *loop, int for_write, int fds[2], lc__rec *r,
                    lc_transport **t, const char *what)
{
    int lfd = for_write ? fds[1] : fds[0], ofd = for_write ? fds[0] : fds[1];
    if (strcmp(lc_case_backend(ctx), "winselect") == 0)
        select_on_pipe(ctx, loop, lfd);
    return lc__case_pipe_open(ctx, loop, for_write, lfd, ofd, r, t, what);
}

/* Read what the loop wrote, from the synchronous end, running the loop
 * between reads; until want bytes, EOF or limit_ms. */
static size_t drain(lc_loop *loop, int fd, unsigned char *buf, size_t want, int limit_ms)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    size_t got = 0;
    int64_t end = lc_time_ns() + LC__MS(limit_ms);
    while (got < want && lc_time_ns() < end) {
        lc_loop_run_once(loop, 0);
        DWORD avail = 0;
        if (!PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL))
            break;
        if (avail == 0) {
            Sleep(1);
            continue;
        }
        DWORD n = 0, ask = (DWORD)(want - got < avail ? want - got : avail);
        if (!ReadFile(h, buf + got, ask, &n, NULL))
            break;
        got += n;
    }
    return got;
}

static void pipes_read_eof(lc_case_ctx *ctx, lc_loop *loop)
{
    int p[2];
    if (win_pipe(ctx, 1, p) < 0)
        return;
    lc__rec r;
    lc__rec_init(&r);
    r.stop_on_lost = 1;
    lc_transport *t;
    if (open_end(ctx, loop, 0, p, &r, &t, "connect_read_pipe") < 0)
        return;
    if (write(p[1], "1", 1) != 1 || write(p[1], "2345", 4) != 4) {
        lc_case_fail(ctx, "write to the pipe: %s", strerror(errno));
        close(p[1]);
        lc__rec_finish(loop, &r, 1);
        return;
    }
    close(p[1]);
    int in_time = lc__case_wait(loop, LC__MS(2000));
    lc_case_measure_counter(ctx, "bytes_received", (long long)r.len, "byte");
    if (!in_time)
        lc_case_fail(ctx, "no connection_lost within 2 s (made %d, %zu bytes, eof %d)", r.made,
                     r.len, r.eof);
    else if (!r.order_ok || r.made != 1 || r.len != 5 || memcmp(r.data, "12345", 5) != 0 ||
             r.eof != 1 || r.lost_err != 0)
        lc_case_fail(ctx, "made %d, %zu bytes, eof %d, connection_lost(%s), order %s", r.made,
                     r.len, r.eof, lc_errname(r.lost_err), r.order_ok ? "ok" : "wrong");
    else
        lc_case_pass(ctx, "named pipe: 5 bytes, eof_received, connection_lost(0)");
    lc__rec_finish(loop, &r, 1);
    lc__rec_free(&r);
}

/* A named pipe whose write end is the loop's (connect_write_pipe,
 * recording into r): 0, or -1 with the case failed. */
static int open_write_end(lc_case_ctx *ctx, lc_loop *loop, int p[2], lc__rec *r, lc_transport **t)
{
    if (win_pipe(ctx, 0, p) < 0)
        return -1;
    lc__rec_init(r);
    return open_end(ctx, loop, 1, p, r, t, "connect_write_pipe") < 0 ? -1 : 0;
}

static void pipes_write(lc_case_ctx *ctx, lc_loop *loop)
{
    int p[2];
    lc__rec r;
    lc_transport *t;
    if (open_write_end(ctx, loop, p, &r, &t) < 0)
        return;
    unsigned char buf[16];
    int rc;
    if ((rc = lc_transport_write(t, "1", 1)) < 0 || (rc = lc_transport_write(t, "12345", 5)) < 0) {
        lc_case_fail(ctx, "write: %s", lc_errname(rc));
    } else {
        size_t got = drain(loop, p[0], buf, 6, 2000);
        r.stop_on_lost = 1;
        lc_transport_close(t);
        int lost_in_time = lc__case_wait(loop, LC__MS(1000));
        if (got != 6 || memcmp(buf, "112345", 6) != 0)
            lc_case_fail(ctx, "the reader got %zu of 6 bytes", got);
        else if (!lost_in_time || !r.order_ok || r.lost_err != 0)
            lc_case_fail(ctx, "after close: connection_lost %d (%s)", r.lost, lc_errname(r.lost_err));
        else
            lc_case_pass(ctx, "6 bytes in order; close gave connection_lost(0)");
    }
    lc__rec_finish(loop, &r, 1);
    close(p[0]);
    lc__rec_free(&r);
}

/* The reader goes away: the write fails (ERROR_NO_DATA, EPIPE) and
 * reaches connection_lost; Windows has no SIGPIPE. */
static void pipes_write_peer_closed(lc_case_ctx *ctx, lc_loop *loop)
{
    int p[2];
    if (win_pipe(ctx, 0, p) < 0)
        return;
    lc__rec b;
    lc__rec_init(&b);
    b.stop_on_lost = 1;
    lc_transport *t;
    if (open_end(ctx, loop, 1, p, &b, &t, "connect_write_pipe") < 0)
        return;
    if (lc__case_write_no_reader(ctx, loop, t, &b, p[0]))
        lc_case_pass(ctx, "write to a pipe whose reader closed: connection_lost(EPIPE)");
    lc__rec_finish(loop, &b, 1);
    lc__rec_free(&b);
}

static void pipes_backpressure(lc_case_ctx *ctx, lc_loop *loop)
{
    int p[2];
    lc__rec r;
    lc_transport *t;
    if (open_write_end(ctx, loop, p, &r, &t) < 0)
        return;
    size_t chunk = 16384, sent = 0, cap = 8u << 20;
    unsigned char *out = malloc(chunk), *in = malloc(cap + 1);
    size_t high = 0, low = 0;
    lc_transport_get_write_buffer_limits(t, &high, &low);
    if (lc__case_write_until_paused(ctx, t, &r, in ? out : NULL, chunk, cap, &sent) < 0)
        goto out;
    size_t got = drain(loop, p[0], in, sent, 5000);
    /* drain reads until it has all or its deadline passed: got says which. */
    lc__case_backpressure_verdict(ctx, &r, 1, sent, in, got, high, low);
out:
    lc__rec_finish(loop, &r, 1);
    close(p[0]);
    free(out);
    free(in);
    lc__rec_free(&r);
}

static void pipes_fifo(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    lc_case_skip(ctx, "Windows has no FIFOs (no mkfifo); named pipes are the other pipes cases");
}

const lc_case lc_cases_pipes[] = {
    {"pipes/read-eof", "read pipe: data, then eof_received and connection_lost(0) when the writer closes",
     pipes_read_eof, 0, NULL, 0},
    {"pipes/write", "write pipe: bytes arrive in order; close gives connection_lost(0)", pipes_write,
     0, NULL, 0},
    {"pipes/write-peer-closed", "write pipe: peer close noticed on a socket; EPIPE reaches connection_lost, no SIGPIPE",
     pipes_write_peer_closed, 0, NULL, 0},
    {"pipes/backpressure", "write pipe: pause_writing/resume_writing at the water marks, all bytes in order",
     pipes_backpressure, 0, NULL, 0},
    {"pipes/fifo", "read pipe over a FIFO: data, EOF, connection_lost(0)", pipes_fifo, 0, NULL, 0},
    {0},
};
