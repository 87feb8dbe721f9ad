/* Stream transports: what depends on the loop's I/O mode (readiness, or
 * completion with LC_LOOP_COMPLETION), and the paths completion mode adds
 * — a receive in flight while reading is paused, cancelled on abort and on
 * loop close.  The same tests run in both modes. */
#include "test_transports.h"

#include <pthread.h>
#include <sys/utsname.h>

/* Readiness: a write with nothing queued goes to the socket at once.
 * Completion: it is buffered and sent with the next poll (transport.h,
 * "Completion mode"); the buffer size says which happened. */
START_TEST(write_goes_out_by_mode)
{
    lc_loop *loop = new_loop();
    int sv[2];
    struct rec r = {0};
    lc_transport *t = stream_pair(loop, SOCK_NONBLOCK, sv, &r);
    spin(loop, 2);
    ck_assert_int_eq(lc_transport_write(t, "hello", 5), 0);
    char buf[16];
    if (loop_flags() & LC_LOOP_COMPLETION) {
        ck_assert_uint_eq(lc_transport_get_write_buffer_size(t), 5);
        ck_assert_int_eq(read(sv[1], buf, sizeof buf), -1); /* nothing sent yet */
        ck_assert_int_eq(errno, EAGAIN);
        ck_assert_int_eq(lc_transport_write(t, " world", 6), 0);
        ck_assert_uint_eq(lc_transport_get_write_buffer_size(t), 11);
        spin(loop, 3);
    } else {
        ck_assert_uint_eq(lc_transport_get_write_buffer_size(t), 0);
        ck_assert_int_eq(lc_transport_write(t, " world", 6), 0);
    }
    ck_assert_uint_eq(lc_transport_get_write_buffer_size(t), 0);
    ck_assert_int_eq(read(sv[1], buf, sizeof buf), 11);
    ck_assert(memcmp(buf, "hello world", 11) == 0);
    lc_transport_abort(t);
    spin(loop, 2);
    ck_assert_int_eq(r.lost, 1);
    close(sv[1]);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

/* Reading paused after the loop started reading (in completion mode a
 * receive is then in flight): nothing is delivered while paused, and what
 * arrived is delivered after resume, once and in order. */
START_TEST(pause_with_read_in_flight)
{
    lc_loop *loop = new_loop();
    int sv[2];
    struct rec r = {0};
    lc_transport *t = stream_pair(loop, 0, sv, &r);
    spin(loop, 3);
    ck_assert_int_eq(r.made, 1);
    ck_assert_int_eq(lc_transport_pause_reading(t), 0);
    ck_assert_int_eq(lc_transport_is_reading(t), 0);
    ck_assert_int_eq(write(sv[1], "abc", 3), 3);
    spin(loop, 5);
    ck_assert_uint_eq(r.len, 0);
    ck_assert_int_eq(lc_transport_resume_reading(t), 0);
    ck_assert_uint_eq(r.len, 0); /* never from inside resume_reading */
    ck_assert_int_eq(write(sv[1], "def", 3), 3);
    r.stop_at = 6;
    run(loop);
    ck_assert_uint_eq(r.len, 6);
    ck_assert(memcmp(r.data, "abcdef", 6) == 0);
    /* Pause again and close the peer: EOF waits for resume too. */
    ck_assert_int_eq(lc_transport_pause_reading(t), 0);
    close(sv[1]);
    spin(loop, 5);
    ck_assert_int_eq(r.eof, 0);
    ck_assert_int_eq(lc_transport_resume_reading(t), 0);
    r.stop_on_lost = 1;
    run(loop);
    ck_assert_int_eq(r.eof, 1);
    ck_assert_int_eq(r.lost, 1);
    ck_assert_int_eq(r.lost_err, 0);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

/* abort() with a large write partly sent and a receive in flight: the
 * buffer is dropped, connection_lost(0) comes, and the socket is really
 * closed when it does (the peer drains what was sent, then reads EOF). */
START_TEST(abort_with_ops_in_flight)
{
    lc_loop *loop = new_loop();
    int sv[2];
    struct rec r = {0};
    r.stop_on_lost = 1;
    lc_transport *t = stream_pair(loop, 0, sv, &r);
    spin(loop, 2);
    size_t n = 8u << 20;
    unsigned char *big = malloc(n);
    fill_pattern(big, n, 0);
    ck_assert_int_eq(lc_transport_write(t, big, n), 0);
    spin(loop, 2);
    size_t left = lc_transport_get_write_buffer_size(t);
    ck_assert_uint_gt(left, 0);
    ck_assert_uint_lt(left, n + 1);
    ck_assert_int_eq(lc_transport_abort(t), 0);
    ck_assert_uint_eq(lc_transport_get_write_buffer_size(t), 0);
    run(loop);
    ck_assert_int_eq(r.lost, 1);
    ck_assert_int_eq(r.lost_err, 0);
    size_t got = 0;
    ssize_t k;
    while ((k = read(sv[1], big, n)) > 0)
        got += (size_t)k;
    ck_assert_int_eq(k, 0); /* EOF, not a hang */
    ck_assert_uint_eq(got, n - left);
    close(sv[1]);
    free(big);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

/* A peer that resets the connection while a write is buffered: the error
 * reaches connection_lost (in completion mode the send reports it). */
START_TEST(peer_reset_reaches_lost)
{
    lc_loop *loop = new_loop();
    int sv[2];
    struct rec r = {0};
    r.stop_on_lost = 1;
    lc_transport *t = stream_pair(loop, 0, sv, &r);
    ck_assert_int_eq(lc_transport_pause_reading(t), 0);
    spin(loop, 2);
    close(sv[1]);
    int rc = lc_transport_write(t, "x", 1);
    /* Readiness writes at once and returns the error as well. */
    ck_assert(rc == 0 || rc == -EPIPE);
    run(loop);
    ck_assert_int_eq(r.lost, 1);
    ck_assert_int_eq(r.lost_err, -EPIPE);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

/* Two transports whose data callbacks pause each other: the first one
 * delivered pauses the second while its data may already be in hand (in
 * completion mode, reaped in the same batch: it is then kept). */
struct xp {
    struct xp *other;
    lc_transport *t;
    char data[64];
    size_t len;
    int eof, lost, lost_err;
};

static void xp_data(lc_transport *t, const void *d, size_t n)
{
    struct xp *x = lc_transport_userdata(t);
    ck_assert_uint_le(x->len + n, sizeof x->data);
    ck_assert_int_eq(x->eof, 0);
    memcpy(x->data + x->len, d, n);
    x->len += n;
    if (x->other->t && lc_transport_is_reading(x->other->t))
        ck_assert_int_eq(lc_transport_pause_reading(x->other->t), 0);
}

static int xp_eof(lc_transport *t)
{
    struct xp *x = lc_transport_userdata(t);
    x->eof++;
    return 0;
}

static void xp_made(lc_transport *t) { ((struct xp *)lc_transport_userdata(t))->t = t; }

static void xp_lost(lc_transport *t, int err)
{
    struct xp *x = lc_transport_userdata(t);
    x->lost++;
    x->lost_err = err;
    x->t = NULL;
}

static const lc_protocol xp_proto = {
    .connection_made = xp_made, .data_received = xp_data, .eof_received = xp_eof, .connection_lost = xp_lost};

/* Paused by another transport's data callback in the same iteration: the
 * paused one's data (and EOF) comes after resume_reading, once, in order,
 * and never while paused. */
START_TEST(pause_from_another_callback)
{
    lc_loop *loop = new_loop();
    int sv[2][2];
    struct xp x[2];
    memset(x, 0, sizeof x);
    x[0].other = &x[1];
    x[1].other = &x[0];
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
        lc_transport *t;
        ck_assert_int_eq(lc_stream_open(loop, sv[i][0], &xp_proto, &x[i], &t), 0);
    }
    spin(loop, 3);
    ck_assert_ptr_nonnull(x[0].t);
    ck_assert_ptr_nonnull(x[1].t);
    ck_assert_int_eq(write(sv[0][1], "first", 5), 5);
    ck_assert_int_eq(write(sv[1][1], "second", 6), 6);
    shutdown(sv[1][1], SHUT_WR); /* and EOF after it */
    spin(loop, 5);
    /* Whichever came first paused the other, which got nothing. */
    int p = x[0].len ? 1 : 0;
    ck_assert_uint_gt(x[1 - p].len, 0);
    ck_assert_uint_eq(x[p].len, 0);
    ck_assert_int_eq(x[p].eof, 0);
    ck_assert_ptr_nonnull(x[p].t);
    ck_assert_int_eq(lc_transport_is_reading(x[p].t), 0);
    ck_assert_int_eq(lc_transport_resume_reading(x[p].t), 0);
    ck_assert_uint_eq(x[p].len, 0); /* never from inside resume_reading */
    if (p == 0)
        ck_assert_int_eq(write(sv[0][1], "+more", 5), 5);
    for (int i = 0; i < 200 && !(x[1].eof && x[0].len == (p == 0 ? 10u : 5u)); i++)
        spin(loop, 1);
    ck_assert_uint_eq(x[0].len, p == 0 ? 10 : 5);
    ck_assert(memcmp(x[0].data, p == 0 ? "first+more" : "first", x[0].len) == 0);
    ck_assert_uint_eq(x[1].len, 6);
    ck_assert(memcmp(x[1].data, "second", 6) == 0);
    ck_assert_int_eq(x[1].eof, 1);
    ck_assert_int_eq(x[0].eof, 0);
    for (int i = 0; i < 2; i++)
        close(sv[i][1]);
    lc_loop_free(loop);
}
END_TEST

/* A protocol that writes back what it received, 600 messages of 4 KiB one
 * after the other: in completion mode each write sends from the receive
 * buffer it was handed (transport.c, lc__wqueue_push), which must go back
 * to the kernel once sent, or the 128 receive buffers run out long before
 * the last message.  Every byte must come back in order. */
START_TEST(echo_from_receive_buffer)
{
    lc_loop *loop = new_loop();
    int sv[2];
    struct rec r = {0};
    r.echo = 1;
    stream_pair(loop, SOCK_NONBLOCK, sv, &r);
    spin(loop, 3);
    unsigned char out[4096], in[4096];
    for (int m = 0; m < 600; m++) {
        fill_pattern(out, sizeof out, (size_t)m * sizeof out);
        ck_assert_int_eq(write(sv[1], out, sizeof out), (ssize_t)sizeof out);
        size_t got = 0;
        for (int i = 0; i < 2000 && got < sizeof in; i++) {
            spin(loop, 1);
            ssize_t k = read(sv[1], in + got, sizeof in - got);
            if (k > 0)
                got += (size_t)k;
        }
        ck_assert_msg(got == sizeof in, "message %d: %zu of %zu bytes came back", m, got, sizeof in);
        ck_assert_msg(memcmp(in, out, sizeof in) == 0, "message %d came back changed", m);
    }
    ck_assert_uint_eq(r.len, 600 * sizeof out);
    ck_assert_uint_eq(lc_transport_get_write_buffer_size(r.t), 0);
    close(sv[1]);
    rec_free(&r);
    lc_loop_free(loop);
}
END_TEST

static void *run_once_in_thread(void *arg)
{
    lc_loop *loop = arg;
    return (void *)(intptr_t)lc_loop_run_once(loop, 0);
}

static int kernel_at_least(int major, int minor)
{
    struct utsname u;
    int a = 0, b = 0;
    if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &a, &b) != 2)
        return 0;
    return a > major || (a == major && b >= minor);
}

/* A loop made in one thread runs in another, and later in a third: a
 * reader registered before keeps firing.  On io_uring (Linux 6.1+) the
 * running thread owns the loop's ring; a readiness loop moves to a new ring
 * when another thread runs it, while a completion-mode loop whose
 * transports have receives in flight stays with its thread: another
 * thread's run fails with LC_EBUSY and changes nothing (transport.h,
 * "Completion mode"). */
static void count_cb(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    char c;
    if (read(fd, &c, 1) == 1)
        ++*(int *)arg;
}

START_TEST(loop_thread_binding)
{
    lc_loop *loop = new_loop();
    int ev[2], fired = 0;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, ev), 0);
    ck_assert_int_eq(lc_add_reader(loop, ev[0], count_cb, &fired), 0);
    int sv[2];
    struct rec r = {0};
    if (loop_flags() & LC_LOOP_COMPLETION)
        stream_pair(loop, 0, sv, &r); /* its receive stays in flight */
    pthread_t th;
    void *res;
    ck_assert_int_eq(write(ev[1], "x", 1), 1);
    ck_assert_int_eq(pthread_create(&th, NULL, run_once_in_thread, loop), 0);
    ck_assert_int_eq(pthread_join(th, &res), 0);
    ck_assert_int_eq((int)(intptr_t)res, 0);
    ck_assert_int_eq(fired, 1);
    ck_assert_int_eq(write(ev[1], "y", 1), 1);
    int bound = (loop_flags() & LC_LOOP_COMPLETION) && kernel_at_least(6, 1);
    ck_assert_int_eq(lc_loop_run_once(loop, 0), bound ? LC_EBUSY : 0);
    ck_assert_int_eq(lc_loop_is_running(loop), 0);
    ck_assert_int_eq(fired, bound ? 1 : 2);
    if (!bound) {
        /* And back to a thread of its own. */
        ck_assert_int_eq(write(ev[1], "z", 1), 1);
        ck_assert_int_eq(pthread_create(&th, NULL, run_once_in_thread, loop), 0);
        ck_assert_int_eq(pthread_join(th, &res), 0);
        ck_assert_int_eq((int)(intptr_t)res, 0);
        ck_assert_int_eq(fired, 3);
    }
    /* Freed by a thread that does not own it: a transport's receive in
     * flight is left to the kernel, not freed under it. */
    lc_loop_free(loop);
    if (loop_flags() & LC_LOOP_COMPLETION) {
        close(sv[1]);
        rec_free(&r);
    }
    close(ev[0]);
    close(ev[1]);
}
END_TEST

/* LC_LOOP_COMPLETION: refused with LC_ENOTSUP by a backend without the
 * mode (loop.h), accepted by one that lists it; unknown flags: LC_EINVAL. */
START_TEST(completion_flag_by_backend)
{
    lc_loop *loop = NULL;
    lc_loop_options o = {0};
    o.backend = backend();
    o.flags = LC_LOOP_COMPLETION;
    int rc = lc_loop_new(&loop, &o);
    int has = (lc_backend_loop_flags(backend()) & LC_LOOP_COMPLETION) != 0;
    ck_assert_int_eq(has, strcmp(backend(), "io_uring") == 0);
    ck_assert_int_eq(rc, has ? 0 : LC_ENOTSUP);
    ck_assert(has ? loop != NULL : loop == NULL);
    lc_loop_free(loop);
    o.flags = 1u << 20;
    ck_assert_int_eq(lc_loop_new(&loop, &o), LC_EINVAL);
    ck_assert_ptr_null(loop);
    ck_assert_uint_eq(lc_backend_loop_flags("no-such-backend"), 0);
}
END_TEST

void lc_tt_add_mode_tcases(Suite *s)
{
    TCase *tc = tcase_create("mode");
    tcase_add_test(tc, completion_flag_by_backend);
    tcase_add_test(tc, write_goes_out_by_mode);
    tcase_add_test(tc, pause_with_read_in_flight);
    tcase_add_test(tc, abort_with_ops_in_flight);
    tcase_add_test(tc, peer_reset_reaches_lost);
    tcase_add_test(tc, loop_thread_binding);
    tcase_add_test(tc, pause_from_another_callback);
    tcase_add_test(tc, echo_from_receive_buffer);
    suite_add_tcase(s, tc);
}
