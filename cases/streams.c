/* streams: a stream transport whose sends the kernel cuts short delivers
 * every byte, in order, on every backend and in completion mode.
 *
 * send(2) on a non-blocking stream socket "may transfer fewer bytes than
 * requested" (a short count, send(2) RETURN VALUE; write(2) "the number of
 * bytes written may be less than count if ... insufficient space").  A
 * readiness loop writes what fits and keeps the rest; a completion loop
 * (io_uring's IORING_OP_SEND, like a proactor's WSASend) gets the short
 * count in its completion and must submit the remainder.  asyncio's
 * transports promise write() never loses data (asyncio-protocol
 * "WriteTransport.write": the data is buffered and sent asynchronously). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case_transport.h"

#define SS_TOTAL (2u * 1024 * 1024) /* written in SS_WRITES calls */
#define SS_WRITES 8
#define SS_READ_CHUNK 8192           /* read per tick of the slow reader */

struct ss_state {
    int rfd;
    unsigned char *in;
    size_t got;
    size_t bad_at;   /* first byte that broke the pattern, or SIZE_MAX */
    int read_err;
    int ticks;
    lc_timer tick;
};

/* The slow reader: a timer every 500 us reading at most SS_READ_CHUNK, so
 * the writer's socket buffer stays full and its sends come back short. */
static void ss_tick(lc_loop *loop, void *arg)
{
    struct ss_state *st = arg;
    st->ticks++;
    ssize_t n = recv(st->rfd, st->in, SS_READ_CHUNK, MSG_DONTWAIT);
    if (n > 0) {
        /* Against the pattern at this chunk's offset in the stream. */
        unsigned char want[SS_READ_CHUNK];
        lc__pattern_fill(want, (size_t)n, st->got);
        if (st->bad_at == (size_t)-1 && memcmp(want, st->in, (size_t)n) != 0) {
            size_t i = 0;
            while (want[i] == st->in[i])
                i++;
            st->bad_at = st->got + i;
        }
        st->got += (size_t)n;
    } else if (n == 0) {
        st->read_err = -1; /* EOF before everything arrived */
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        st->read_err = errno;
    }
    if (st->got >= SS_TOTAL || st->read_err) {
        lc_loop_stop(loop);
        return;
    }
    lc_call_later(loop, &st->tick, LC__US(500), ss_tick, st);
}

static void streams_short_sends_counted(lc_case_ctx *ctx, lc_loop *loop)
{
    int sv[2];
    LC_REQUIRE(ctx, socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
    /* The smallest buffers the kernel gives (it doubles the value and
     * clamps it to its minimum, socket(7) SO_SNDBUF/SO_RCVBUF). */
    int small = 1024;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    int sndbuf = 0;
    socklen_t sl = sizeof sndbuf;
    getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
    lc_case_measure_value(ctx, "sndbuf", sndbuf, "byte");

    lc__rec r;
    lc_transport *t;
    int rc = lc__case_stream_on_pair(ctx, loop, sv, &r, &t);
    if (rc < 0)
        return;
    struct ss_state st;
    memset(&st, 0, sizeof st);
    st.rfd = sv[1];
    st.bad_at = (size_t)-1;
    st.in = malloc(SS_READ_CHUNK);
    unsigned char *out = malloc(SS_TOTAL);
    if (!st.in || !out) {
        free(st.in);
        free(out);
        lc__rec_finish(loop, &r, 1);
        lc__rec_free(&r);
        close(sv[1]);
        lc_case_fail(ctx, "out of memory");
        return;
    }
    lc__pattern_fill(out, SS_TOTAL, 0);
    /* Each write is 256 KiB, 64 times the socket buffer: no single send
     * can take it whole. */
    size_t per = SS_TOTAL / SS_WRITES, written = 0;
    for (int i = 0; i < SS_WRITES && rc == 0; i++) {
        rc = lc_transport_write(t, out + written, per);
        if (rc == 0)
            written += per;
    }
    int stopped = 0;
    if (rc == 0) {
        rc = lc_call_later(loop, &st.tick, LC__US(500), ss_tick, &st);
        if (rc == 0)
            stopped = lc__case_wait(loop, LC__MS(8000));
    }
    lc_timer_cancel(&st.tick);
    size_t left = lc_transport_get_write_buffer_size(t);
    int lost = r.lost, lost_err = r.lost_err;
    lc__rec_finish(loop, &r, 1);
    lc__rec_free(&r);
    close(sv[1]);
    free(out);
    free(st.in);

    lc_case_measure_counter(ctx, "bytes_written", (long long)written, "byte");
    lc_case_measure_counter(ctx, "bytes_received", (long long)st.got, "byte");
    lc_case_measure_counter(ctx, "reader_wakeups", st.ticks, "wakeup");
    if (rc < 0)
        lc_case_fail(ctx, "write/arm failed: %s (%s)", lc_strerror(rc), lc_errname(rc));
    else if (lost)
        lc_case_fail(ctx, "connection_lost(%s) after %zu of %zu bytes arrived", lc_errname(lost_err), st.got,
                     written);
    else if (st.read_err)
        lc_case_fail(ctx, "the reader got %s after %zu of %zu bytes",
                     st.read_err < 0 ? "EOF" : strerror(st.read_err), st.got, written);
    else if (st.bad_at != (size_t)-1)
        lc_case_fail(ctx, "byte %zu of the stream is not what was written (reordered or duplicated sends)",
                     st.bad_at);
    else if (!stopped || st.got != written)
        lc_case_fail(ctx, "%zu of %zu bytes arrived in 8 s (%zu still counted as buffered): a short send was "
                     "taken for a whole one",
                     st.got, written, left);
    else
        lc_case_pass(ctx, "%zu bytes written in %d writes through a %d B socket buffer to a slow reader: "
                     "all %zu received, in order",
                     written, SS_WRITES, sndbuf, st.got);
}

const lc_case lc_cases_streams[] = {
    {"streams/short-sends-counted",
     "2 MiB written through a minimal SO_SNDBUF to a slow reader: every byte arrives, in order (short sends)",
     streams_short_sends_counted, 0, NULL, 0},
    {0},
};
