/* Runs under the fault shim (LD_PRELOAD, LC_FAULT=<mode>): moves data
 * through the loop's transports while system calls fail, and checks that
 * the loop keeps running, that errors reach the protocol callbacks, and that
 * no byte is lost or duplicated (FNV-1a hashes and counts on both ends).
 *
 *   fault_echo <mode> <backend>      exit 0 on success, 1 with a reason
 *
 * stream modes (eintr, eagain, short): 1 MiB through an echo peer over a
 *   socketpair and 256 KiB through a pipe; both hashes must match.
 * econnreset: the reading side gets ECONNRESET mid-stream; its protocol must
 *   see connection_lost(-ECONNRESET) and the loop must keep running.
 * emfile, enomem: a TCP server whose accept fails; the loop must not spin
 *   (few iterations while accept keeps failing) and the client is served
 *   once accept works again. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopcompat/loopcompat.h"

#define TOTAL (1024 * 1024)
#define PIPE_TOTAL (256 * 1024)

static const char *mode;
static const char *backend_name;

static int failf(const char *fmt, const char *a, long b)
{
    fprintf(stderr, "fault_echo %s/%s: ", mode, backend_name);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 1;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 10)); }

/* ---- echo over a stream ---- */

struct side {
    uint64_t hash;
    size_t bytes;
    int lost, lost_err, eof;
};

static struct side echo_side, client_side;

static void echo_data(lc_transport *t, const void *d, size_t n)
{
    echo_side.bytes += n;
    echo_side.hash = fnv(echo_side.hash, d, n);
    lc_transport_write(t, d, n);
}

static int echo_eof(lc_transport *t)
{
    echo_side.eof = 1;
    lc_transport_write_eof(t);
    return 1;
}

static void echo_lost(lc_transport *t, int err)
{
    (void)t;
    echo_side.lost = 1;
    echo_side.lost_err = err;
}

static const lc_protocol echo_proto = {
    .data_received = echo_data,
    .eof_received = echo_eof,
    .connection_lost = echo_lost,
};

static void client_data(lc_transport *t, const void *d, size_t n)
{
    (void)t;
    client_side.bytes += n;
    client_side.hash = fnv(client_side.hash, d, n);
}

static int client_eof(lc_transport *t)
{
    (void)t;
    client_side.eof = 1;
    return 0;
}

static void client_lost(lc_transport *t, int err)
{
    lc_loop_stop(lc_transport_loop(t));
    client_side.lost = 1;
    client_side.lost_err = err;
}

static const lc_protocol client_proto = {
    .data_received = client_data,
    .eof_received = client_eof,
    .connection_lost = client_lost,
};

static void guard_cb(lc_loop *loop, void *arg)
{
    *(int *)arg = 1;
    lc_loop_stop(loop);
}

static int stream_echo(lc_loop *loop, int expect_reset)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return failf("socketpair: %s", strerror(errno), 0);
    lc_transport *echo = NULL, *client = NULL;
    int rc = lc_stream_open(loop, sv[0], &echo_proto, NULL, &echo);
    if (rc == 0)
        rc = lc_stream_open(loop, sv[1], &client_proto, NULL, &client);
    if (rc < 0)
        return failf("lc_stream_open: %s", lc_strerror(rc), 0);

    uint64_t sent_hash = 0xcbf29ce484222325ULL;
    echo_side.hash = client_side.hash = 0xcbf29ce484222325ULL;
    unsigned char chunk[4096];
    for (size_t off = 0; off < TOTAL; off += sizeof chunk) {
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = pattern(off + i);
        sent_hash = fnv(sent_hash, chunk, sizeof chunk);
        rc = lc_transport_write(client, chunk, sizeof chunk);
        if (rc < 0)
            return failf("write: %s", lc_strerror(rc), 0);
    }
    lc_transport_write_eof(client);
    int timed_out = 0;
    lc_timer guard = {0};
    lc_call_later(loop, &guard, 20 * 1000000000LL, guard_cb, &timed_out);
    rc = lc_loop_run(loop);
    lc_timer_cancel(&guard);
    if (rc < 0)
        return failf("lc_loop_run: %s", lc_strerror(rc), 0);
    if (timed_out)
        return failf("no end after 20 s (client got %s%ld bytes)", "", (long)client_side.bytes);

    if (expect_reset) {
        /* Either side's read may be the one that failed. */
        int reset = (client_side.lost && client_side.lost_err == -ECONNRESET) ||
                    (echo_side.lost && echo_side.lost_err == -ECONNRESET);
        if (!reset)
            return failf("no connection_lost(-ECONNRESET): client err %s (%ld)",
                         lc_errname(client_side.lost_err), client_side.lost);
        /* The loop still works after the error. */
        int fired = 0;
        lc_timer after = {0};
        lc_call_later(loop, &after, 1000000, guard_cb, &fired);
        lc_loop_run(loop);
        if (!fired)
            return failf("loop stopped working after the reset%s%ld", "", 0);
        return 0;
    }
    /* Let the echo side finish closing. */
    for (int i = 0; i < 5 && !echo_side.lost; i++)
        lc_loop_run_once(loop, 0);
    if (echo_side.bytes != TOTAL || echo_side.hash != sent_hash)
        return failf("echo side got %s%ld bytes or a different hash", "", (long)echo_side.bytes);
    if (client_side.bytes != TOTAL || client_side.hash != sent_hash)
        return failf("client got %s%ld bytes back or a different hash", "", (long)client_side.bytes);
    if (!client_side.lost || client_side.lost_err != 0)
        return failf("client connection_lost: %s (%ld)", lc_errname(client_side.lost_err),
                     client_side.lost);
    return 0;
}

/* ---- a pipe ---- */

static struct side pipe_side;

static void pipe_data(lc_transport *t, const void *d, size_t n)
{
    (void)t;
    pipe_side.bytes += n;
    pipe_side.hash = fnv(pipe_side.hash, d, n);
}

static void pipe_lost(lc_transport *t, int err)
{
    pipe_side.lost = 1;
    pipe_side.lost_err = err;
    lc_loop_stop(lc_transport_loop(t));
}

static const lc_protocol pipe_reader = {.data_received = pipe_data, .connection_lost = pipe_lost};
static const lc_protocol pipe_writer = {0};

static int pipe_transfer(lc_loop *loop)
{
    int p[2];
    if (pipe(p) < 0)
        return failf("pipe: %s", strerror(errno), 0);
    lc_transport *r = NULL, *w = NULL;
    int rc = lc_connect_read_pipe(loop, p[0], &pipe_reader, NULL, &r);
    if (rc == 0)
        rc = lc_connect_write_pipe(loop, p[1], &pipe_writer, NULL, &w);
    if (rc < 0)
        return failf("pipe transports: %s", lc_strerror(rc), 0);
    uint64_t sent = 0xcbf29ce484222325ULL;
    pipe_side.hash = sent;
    unsigned char chunk[1000];
    for (size_t off = 0; off < PIPE_TOTAL; off += sizeof chunk) {
        size_t k = PIPE_TOTAL - off < sizeof chunk ? PIPE_TOTAL - off : sizeof chunk;
        for (size_t i = 0; i < k; i++)
            chunk[i] = pattern(off + i);
        sent = fnv(sent, chunk, k);
        if ((rc = lc_transport_write(w, chunk, k)) < 0)
            return failf("pipe write: %s", lc_strerror(rc), 0);
    }
    lc_transport_close(w);
    int timed_out = 0;
    lc_timer guard = {0};
    lc_call_later(loop, &guard, 20 * 1000000000LL, guard_cb, &timed_out);
    lc_loop_run(loop);
    lc_timer_cancel(&guard);
    if (timed_out || pipe_side.bytes != PIPE_TOTAL || pipe_side.hash != sent)
        return failf("pipe reader got %s%ld bytes or a different hash", "", (long)pipe_side.bytes);
    return 0;
}

/* ---- accept failures ---- */

static int accepted;

static void srv_made(lc_transport *t)
{
    accepted++;
    lc_transport_close(t);
}

static const lc_protocol srv_proto = {.connection_made = srv_made};
static const lc_protocol quiet_proto = {0};

static int factory(lc_server *s, void *ud, const lc_protocol **p, void **cud)
{
    (void)s;
    (void)ud;
    *p = &srv_proto;
    *cud = NULL;
    return 0;
}

static void connected(lc_loop *loop, lc_transport *t, int err, void *ud)
{
    (void)loop;
    *(int *)ud = err == 0 ? 1 : err;
    if (t)
        lc_transport_close(t);
}

static int accept_failures(lc_loop *loop)
{
    lc_server *srv = NULL;
    int rc = lc_tcp_server(loop, "127.0.0.1", 0, 16, factory, NULL, &srv);
    if (rc < 0)
        return failf("lc_tcp_server: %s", lc_strerror(rc), 0);
    int conn = 0;
    rc = lc_tcp_connect(loop, "127.0.0.1", lc_server_port(srv), LC_AF_INET, &quiet_proto, &conn,
                        connected);
    if (rc < 0)
        return failf("lc_tcp_connect: %s", lc_strerror(rc), 0);
    /* Accept fails LC_FAULT_LIMIT (2) times; asyncio's back-off retries
     * after 1 s each time.  Run 4 s and count iterations: a loop spinning
     * on the ready listening socket does millions. */
    int done = 0;
    lc_timer guard = {0};
    lc_call_later(loop, &guard, 4 * 1000000000LL, guard_cb, &done);
    uint64_t it0 = lc_loop_iterations(loop);
    lc_loop_run(loop);
    uint64_t iters = lc_loop_iterations(loop) - it0;
    lc_server_close(srv);
    for (int i = 0; i < 5; i++)
        lc_loop_run_once(loop, 0);
    if (iters > 10000)
        return failf("the loop spun: %s%ld iterations in 4 s", "", (long)iters);
    if (accepted < 1)
        return failf("the connection was never accepted once accept recovered%s%ld", "", 0);
    fprintf(stderr, "fault_echo %s/%s: %lu iterations in 4 s, %d accepted\n", mode, backend_name,
            (unsigned long)iters, accepted);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fault_echo MODE BACKEND\n");
        return 2;
    }
    mode = argv[1];
    backend_name = argv[2];
    lc_loop *loop = NULL;
    lc_loop_options o = {0};
    o.backend = backend_name;
    int rc = lc_loop_new(&loop, &o);
    if (rc < 0) {
        fprintf(stderr, "fault_echo: lc_loop_new(%s): %s\n", backend_name, lc_strerror(rc));
        return rc == LC_EUNAVAIL ? 77 : 1;
    }
    int bad;
    if (strcmp(mode, "emfile") == 0 || strcmp(mode, "enomem") == 0)
        bad = accept_failures(loop);
    else if (strcmp(mode, "econnreset") == 0)
        bad = stream_echo(loop, 1);
    else
        bad = stream_echo(loop, 0) || pipe_transfer(loop);
    lc_loop_free(loop);
    long (*injected)(void) = (long (*)(void))dlsym(RTLD_DEFAULT, "lc_fault_injected_count");
    if (!bad && injected == NULL)
        bad = failf("the fault shim is not preloaded%s%ld", "", 0);
    else if (!bad && injected() == 0)
        bad = failf("no fault was injected: the run tested nothing%s%ld", "", 0);
    if (!bad)
        printf("fault_echo %s/%s: ok, %ld faults injected\n", mode, backend_name, injected());
    return bad;
}
