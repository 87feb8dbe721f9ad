/* pipes: read and write pipe transports (asyncio connect_read_pipe /
 * connect_write_pipe) over pipe(2), a FIFO and a socketpair.
 *
 * pipe(7): "If all file descriptors referring to the write end of a pipe
 * have been closed, then an attempt to read(2) from the pipe will see
 * end-of-file"; "If all file descriptors referring to the read end of a
 * pipe have been closed, then a write(2) will cause a SIGPIPE signal to be
 * generated for the calling process ... the write(2) fails with the error
 * EPIPE"; the pipe capacity is 65536 bytes by default. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case_transport.h"

/* connect_read_pipe: connection_made, the bytes (1 then 4), eof_received,
 * connection_lost(0) once the writer closes (CPython test_read_pipe). */
static void read_eof_on(lc_case_ctx *ctx, lc_loop *loop, int rfd, int wfd, const char *what)
{
    lc__rec r;
    lc__rec_init(&r);
    r.stop_on_lost = 1;
    lc_transport *t;
    if (lc__case_pipe_open(ctx, loop, 0, rfd, wfd, &r, &t, what) < 0)
        return;
    if (write(wfd, "1", 1) != 1 || write(wfd, "2345", 4) != 4) {
        lc_case_fail(ctx, "write to the %s: %s", what, strerror(errno));
        close(wfd);
        lc__rec_finish(loop, &r, 1);
        return;
    }
    close(wfd);
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
        lc_case_pass(ctx, "%s: 5 bytes, eof_received, connection_lost(0)", what);
    lc__rec_finish(loop, &r, 1);
    lc__rec_free(&r);
}

static void pipes_read_eof(lc_case_ctx *ctx, lc_loop *loop)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        lc_case_fail(ctx, "pipe2: %s", strerror(errno));
        return;
    }
    read_eof_on(ctx, loop, p[0], p[1], "pipe");
}

static void pipes_fifo(lc_case_ctx *ctx, lc_loop *loop)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fifo", lc_case_tmpdir(ctx));
    if (mkfifo(path, 0600) < 0) {
        lc_case_skip(ctx, "mkfifo: %s", strerror(errno));
        return;
    }
    /* fifo(7): a non-blocking open for reading succeeds without a writer;
     * then the write side opens without blocking. */
    int rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int wfd = rfd < 0 ? -1 : open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    unlink(path);
    if (rfd < 0 || wfd < 0) {
        lc_case_fail(ctx, "open FIFO: %s", strerror(errno));
        if (rfd >= 0)
            close(rfd);
        return;
    }
    lc_case_ref(ctx, "man:fifo(7)");
    read_eof_on(ctx, loop, rfd, wfd, "FIFO");
}

/* Read what arrives on a plain fd into a buffer (the far end of a write
 * pipe), with add_reader. */
struct sink {
    unsigned char *buf;
    size_t len, want;
    int eof, err;
};

static void sink_read(lc_loop *loop, int fd, void *arg)
{
    struct sink *s = arg;
    ssize_t n = read(fd, s->buf + s->len, s->want + 1 - s->len);
    if (n > 0) {
        s->len += (size_t)n;
        if (s->len >= s->want)
            lc_loop_stop(loop);
    } else if (n == 0) {
        s->eof = 1;
        lc_remove_reader(loop, fd);
        lc_loop_stop(loop);
    } else if (errno != EAGAIN && errno != EINTR) {
        s->err = errno;
        lc_remove_reader(loop, fd);
        lc_loop_stop(loop);
    }
}

/* connect_write_pipe: the bytes arrive (1, then 12345), and close gives
 * connection_lost(0) (CPython test_write_pipe). */
static void pipes_write(lc_case_ctx *ctx, lc_loop *loop)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        lc_case_fail(ctx, "pipe2: %s", strerror(errno));
        return;
    }
    lc__rec r;
    lc__rec_init(&r);
    lc_transport *t;
    int rc = lc__case_pipe_open(ctx, loop, 1, p[1], p[0], &r, &t, "connect_write_pipe");
    if (rc < 0)
        return;
    unsigned char buf[16];
    struct sink s = {buf, 0, 6, 0, 0};
    rc = lc_add_reader(loop, p[0], sink_read, &s);
    if (rc < 0) {
        lc__case_report_add_failure(ctx, loop, rc, "add_reader on the pipe's read end");
        lc__rec_finish(loop, &r, 1);
        close(p[0]);
        return;
    }
    if ((rc = lc_transport_write(t, "1", 1)) < 0 || (rc = lc_transport_write(t, "12345", 5)) < 0) {
        lc_case_fail(ctx, "write: %s", lc_errname(rc));
    } else {
        int in_time = lc__case_wait(loop, LC__MS(2000));
        r.stop_on_lost = 1;
        lc_transport_close(t);
        int lost_in_time = lc__case_wait(loop, LC__MS(1000));
        if (!in_time || s.len != 6 || memcmp(buf, "112345", 6) != 0)
            lc_case_fail(ctx, "the reader got %zu of 6 bytes", s.len);
        else if (!lost_in_time || !r.order_ok || r.lost_err != 0)
            lc_case_fail(ctx, "after close: connection_lost %d (%s)", r.lost,
                         lc_errname(r.lost_err));
        else
            lc_case_pass(ctx, "6 bytes in order; close gave connection_lost(0)");
    }
    lc_remove_reader(loop, p[0]);
    lc__rec_finish(loop, &r, 1);
    close(p[0]);
    lc__rec_free(&r);
}

/* The reader goes away.  A write pipe on a socket notices by itself and
 * calls connection_lost (CPython test_write_pipe_disconnect_on_close); a
 * write to a pipe without readers fails with EPIPE — reported through
 * connection_lost, without SIGPIPE killing the process (pipe(7)). */
static void pipes_write_peer_closed(lc_case_ctx *ctx, lc_loop *loop)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        lc_case_fail(ctx, "socketpair: %s", strerror(errno));
        return;
    }
    lc__rec a;
    lc__rec_init(&a);
    a.stop_on_lost = 1;
    lc_transport *t;
    if (lc__case_pipe_open(ctx, loop, 1, sv[0], sv[1], &a, &t, "connect_write_pipe on a socket") < 0)
        return;
    close(sv[1]);
    int noticed = lc__case_wait(loop, LC__MS(2000));
    lc_case_evidence(ctx, "socket_peer_close", noticed ? lc_errname(a.lost_err) : "not noticed");
    if (!noticed || a.lost != 1) {
        lc_case_fail(ctx, "a write pipe on a socket did not notice its peer closing within 2 s");
        lc__rec_finish(loop, &a, 1);
        return;
    }

    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        lc_case_fail(ctx, "pipe2: %s", strerror(errno));
        return;
    }
    lc__rec b;
    lc__rec_init(&b);
    b.stop_on_lost = 1;
    if (lc__case_pipe_open(ctx, loop, 1, p[1], p[0], &b, &t, "connect_write_pipe") < 0)
        return;
    if (lc__case_write_no_reader(ctx, loop, t, &b, p[0]))
        lc_case_pass(ctx, "socket peer close noticed (connection_lost %s); pipe write: "
                     "connection_lost(EPIPE), no SIGPIPE", lc_errname(a.lost_err));
    lc__rec_finish(loop, &b, 1);
}

/* Flow control: writing faster than the reader drains calls pause_writing
 * above the high water mark (64 KiB by default) and resume_writing at the
 * low one; every byte arrives in order. */
static void pipes_backpressure(lc_case_ctx *ctx, lc_loop *loop)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        lc_case_fail(ctx, "pipe2: %s", strerror(errno));
        return;
    }
    lc__rec r;
    lc__rec_init(&r);
    lc_transport *t;
    int rc = lc__case_pipe_open(ctx, loop, 1, p[1], p[0], &r, &t, "connect_write_pipe");
    if (rc < 0)
        return;
    size_t chunk = 16384, sent = 0, cap = 8u << 20;
    unsigned char *out = malloc(chunk), *in = malloc(cap + 1);
    size_t high = 0, low = 0;
    lc_transport_get_write_buffer_limits(t, &high, &low);
    if (lc__case_write_until_paused(ctx, t, &r, in ? out : NULL, chunk, cap, &sent) < 0)
        goto out;
    struct sink s = {in, 0, sent, 0, 0};
    if ((rc = lc_add_reader(loop, p[0], sink_read, &s)) < 0) {
        lc__case_report_add_failure(ctx, loop, rc, "add_reader on the pipe's read end");
        goto out;
    }
    int in_time = lc__case_wait(loop, LC__MS(5000));
    lc_remove_reader(loop, p[0]);
    lc__case_backpressure_verdict(ctx, &r, in_time, sent, in, s.len, high, low);
out:
    lc__rec_finish(loop, &r, 1);
    close(p[0]);
    free(out);
    free(in);
    lc__rec_free(&r);
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
