/* chardev (PTYs): pipe transports over character devices, as
 * CPython's test_read_pty_output, test_write_pty and test_bidirectional_pty
 * do.
 *
 * pty(7): a pseudoterminal is a pair of character devices, master and
 * slave; what is written to one end can be read from the other.  Once the
 * slave side is closed, reading the master fails with EIO on Linux: the
 * transport reports that as EOF.  /dev/tty, the controlling terminal, is
 * chardev_tty.c. */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "case_transport.h"

static int open_pty(lc_case_ctx *ctx, int *m, int *s)
{
    if (openpty(m, s, NULL, NULL, NULL) < 0) {
        lc_case_skip(ctx, "openpty: %s", strerror(errno));
        return -1;
    }
    /* Raw mode: no echo, no line discipline between the two ends. */
    struct termios tio;
    if (tcgetattr(*s, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(*s, TCSANOW, &tio);
    }
    fcntl(*m, F_SETFD, FD_CLOEXEC);
    fcntl(*s, F_SETFD, FD_CLOEXEC);
    lc_case_ref(ctx, "man:pty(7)");
    return 0;
}

/* Collects what the master side reads (a plain reader, not a transport). */
struct sink {
    char buf[64];
    size_t len, want;
};

static void sink_read(lc_loop *loop, int fd, void *arg)
{
    struct sink *s = arg;
    ssize_t n = read(fd, s->buf + s->len, sizeof s->buf - s->len);
    if (n > 0)
        s->len += (size_t)n;
    if (n <= 0 && errno != EAGAIN && errno != EINTR)
        lc_remove_reader(loop, fd);
    if (n <= 0 || s->len >= s->want)
        lc_loop_stop(loop);
}

/* A PTY with a read transport on its master; the slave's fd in *s.  -1
 * when the case already recorded why not. */
static int open_master_reader(lc_case_ctx *ctx, lc_loop *loop, lc__rec *r, int *s)
{
    int m;
    if (open_pty(ctx, &m, s) < 0)
        return -1;
    lc__rec_init(r);
    lc_transport *t;
    return lc__case_pipe_open(ctx, loop, 0, m, *s, r, &t, "connect_read_pipe on a PTY master");
}

static void pty_read_master(lc_case_ctx *ctx, lc_loop *loop)
{
    int s;
    lc__rec r;
    if (open_master_reader(ctx, loop, &r, &s) < 0)
        return;
    r.stop_at = 5;
    int ok = write(s, "1", 1) == 1 && write(s, "2345", 4) == 4;
    int in_time = ok && lc__case_wait(loop, LC__MS(2000));
    if (!in_time || r.len != 5 || memcmp(r.data, "12345", 5) != 0 || !r.order_ok)
        lc_case_fail(ctx, "the master's read transport got %zu of 5 bytes", r.len);
    else
        lc_case_pass(ctx, "5 bytes written to the slave arrived on the master");
    close(s);
    lc__rec_finish(loop, &r, 0);
    lc__rec_free(&r);
}

/* Readiness after readiness: the slave writes a byte, the transport reads
 * it, the loop polls the drained master for 50 ms, and the slave writes
 * the next one, three times.  A backend that re-polls a reader after each
 * readiness must leave the poll of an fd that is no longer ready armed.
 * On Linux 5.10 an io_uring poll update on a not-ready tty silenced the
 * poll (docs/io_uring-pty-6.12.md, "Linux 5.10"); which byte is the first
 * to meet such an update depends on how the transport's first readiness
 * was reported, hence three. */
#define DRAIN_BYTES 3

struct drain_writer {
    int fd, err;
    char byte;
};

static void drain_write(lc_loop *loop, void *arg)
{
    (void)loop;
    struct drain_writer *w = arg;
    if (write(w->fd, &w->byte, 1) != 1)
        w->err = errno;
}

static void pty_read_after_drain(lc_case_ctx *ctx, lc_loop *loop)
{
    int s;
    lc__rec r;
    if (open_master_reader(ctx, loop, &r, &s) < 0)
        return;
    struct drain_writer w = {s, 0, '1'};
    lc_timer later = {0};
    size_t k = 0;
    for (; k < DRAIN_BYTES && w.err == 0; k++) {
        w.byte = (char)('1' + k);
        r.stop_at = k + 1;
        if (k == 0)
            drain_write(loop, &w);
        else if (lc_call_later(loop, &later, LC__MS(50), drain_write, &w) < 0)
            break;
        if (w.err != 0 || !lc__case_wait(loop, LC__MS(2000)) || r.len != k + 1)
            break;
    }
    lc_timer_cancel(&later);
    if (w.err != 0)
        lc_case_fail(ctx, "write to the slave: %s", strerror(w.err));
    else if (k < DRAIN_BYTES || memcmp(r.data, "123", DRAIN_BYTES) != 0 || !r.order_ok)
        lc_case_fail(ctx, "byte %zu of %d did not arrive within 2 s (%zu bytes; each byte after "
                          "the first is written 50 ms after the master was drained)",
                     k + 1, DRAIN_BYTES, r.len);
    else
        lc_case_pass(ctx, "%d bytes arrived, each written after the master had been drained",
                     DRAIN_BYTES);
    close(s);
    lc__rec_finish(loop, &r, 0);
    lc__rec_free(&r);
}

static void pty_write_slave(lc_case_ctx *ctx, lc_loop *loop)
{
    int m, s;
    if (open_pty(ctx, &m, &s) < 0)
        return;
    lc__rec r;
    lc__rec_init(&r);
    lc_transport *t;
    int rc = lc__case_pipe_open(ctx, loop, 1, s, m, &r, &t, "connect_write_pipe on a PTY slave");
    if (rc < 0)
        return;
    struct sink k = {{0}, 0, 6};
    rc = lc_add_reader(loop, m, sink_read, &k);
    if (rc < 0) {
        lc__case_report_add_failure(ctx, loop, rc, "add_reader on the PTY master");
    } else {
        lc_transport_write(t, "1", 1);
        lc_transport_write(t, "12345", 5);
        int in_time = lc__case_wait(loop, LC__MS(2000));
        lc_remove_reader(loop, m);
        if (!in_time || k.len != 6 || memcmp(k.buf, "112345", 6) != 0)
            lc_case_fail(ctx, "the master read %zu of 6 bytes", k.len);
        else
            lc_case_pass(ctx, "6 bytes written through the slave's transport read on the master");
    }
    lc__rec_finish(loop, &r, 0);
    close(m);
    lc__rec_free(&r);
}

/* One raw slave, duplicated: a read and a write transport on it at the
 * same time; the master writes to one and reads the other. */
static void pty_bidirectional(lc_case_ctx *ctx, lc_loop *loop)
{
    int m, s;
    if (open_pty(ctx, &m, &s) < 0)
        return;
    int s2 = fcntl(s, F_DUPFD_CLOEXEC, 0);
    if (s2 < 0) {
        lc_case_fail(ctx, "dup: %s", strerror(errno));
        close(m);
        close(s);
        return;
    }
    lc__rec rr, wr;
    lc__rec_init(&rr);
    lc__rec_init(&wr);
    rr.stop_at = 5;
    lc_transport *rt = NULL, *wt = NULL;
    int rc = lc__case_pipe_open(ctx, loop, 0, s, s2, &rr, &rt, "connect_read_pipe on a PTY slave");
    if (rc < 0) {
        close(m);
        return;
    }
    rc = lc__case_pipe_open(ctx, loop, 1, s2, -1, &wr, &wt, "connect_write_pipe on a duplicated PTY slave");
    if (rc < 0) {
        lc__rec_finish(loop, &rr, 1);
        close(m);
        return;
    }
    int ok = write(m, "1", 1) == 1 && write(m, "2345", 4) == 4;
    int in_a = ok && lc__case_wait(loop, LC__MS(2000));
    struct sink k = {{0}, 0, 5};
    int in_b = 0;
    if ((rc = lc_add_reader(loop, m, sink_read, &k)) == 0) {
        lc_transport_write(wt, "1", 1);
        lc_transport_write(wt, "2345", 4);
        in_b = lc__case_wait(loop, LC__MS(2000));
        lc_remove_reader(loop, m);
    }
    if (rc < 0)
        lc__case_report_add_failure(ctx, loop, rc, "add_reader on the PTY master");
    else if (!in_a || rr.len != 5 || memcmp(rr.data, "12345", 5) != 0)
        lc_case_fail(ctx, "master to slave: %zu of 5 bytes", rr.len);
    else if (!in_b || k.len != 5 || memcmp(k.buf, "12345", 5) != 0)
        lc_case_fail(ctx, "slave to master: %zu of 5 bytes", k.len);
    else
        lc_case_pass(ctx, "both directions over one slave: 5 bytes each way");
    lc__rec_finish(loop, &rr, 0);
    lc__rec_finish(loop, &wr, 0);
    close(m);
    lc__rec_free(&rr);
    lc__rec_free(&wr);
}

/* Hangup: the slave closes; the master's read transport ends with EOF
 * (Linux reports EIO, pty(7); asyncio's pty_eio_is_close). */
static void pty_hangup(lc_case_ctx *ctx, lc_loop *loop)
{
    int m, s;
    if (open_pty(ctx, &m, &s) < 0)
        return;
    lc__rec r;
    lc__rec_init(&r);
    r.stop_on_lost = 1;
    lc_transport *t;
    if (lc__case_pipe_open(ctx, loop, 0, m, s, &r, &t, "connect_read_pipe on a PTY master") < 0)
        return;
    int ok = write(s, "x", 1) == 1;
    close(s);
    int in_time = ok && lc__case_wait(loop, LC__MS(2000));
    lc_case_evidence(ctx, "connection_lost", r.lost ? lc_errname(r.lost_err) : "none");
    if (!in_time || r.lost != 1)
        lc_case_fail(ctx, "no connection_lost within 2 s of the slave closing (eof %d)", r.eof);
    else if (r.eof != 1 || r.lost_err != 0 || !r.order_ok)
        lc_case_fail(ctx, "eof_received %d, connection_lost(%s): EIO should read as EOF", r.eof,
                     lc_errname(r.lost_err));
    else
        lc_case_pass(ctx, "slave closed: %zu byte(s), eof_received, connection_lost(0)", r.len);
    lc__rec_finish(loop, &r, 1);
    lc__rec_free(&r);
}

const lc_case lc_cases_chardev_pty[] = {
    {"chardev/pty-read-master", "read pipe on a PTY master gets what the slave writes",
     pty_read_master, 0, NULL, 0},
    {"chardev/pty-read-after-drain",
     "read pipe on a PTY master sees a second readiness after draining the first",
     pty_read_after_drain, 0, NULL, 0},
    {"chardev/pty-write-slave", "write pipe on a PTY slave: the master reads the bytes",
     pty_write_slave, 0, NULL, 0},
    {"chardev/pty-bidirectional", "read and write transports on one raw PTY slave, both directions",
     pty_bidirectional, 0, NULL, 0},
    {"chardev/pty-hangup", "PTY master read transport: slave close (EIO) is EOF, connection_lost(0)",
     pty_hangup, 0, NULL, 0},
    {0},
};
