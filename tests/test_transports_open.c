/* Stream transports around their creation: the reader registered when the
 * transport is opened must behave as asyncio's, which is added by a
 * call_soon after connection_made — no data before connection_made, no
 * data in the iteration that ran it (a callback connection_made scheduled
 * comes first), and a transport that is not reading does not make the
 * loop spin. */
#include "test_transports.h"

/* The order of the callbacks, as letters: M connection_made, S the
 * callback connection_made scheduled, D data_received, E eof_received. */
struct order {
    char seq[32];
    int n;
    uint64_t made_iter, data_iter;
    int pause_in_made;
    lc_loop *loop;
};

static void note(struct order *o, char c)
{
    if (o->n < (int)sizeof o->seq - 1)
        o->seq[o->n++] = c;
}

static void o_soon(lc_loop *loop, void *arg)
{
    (void)loop;
    note(arg, 'S');
}

static void o_made(lc_transport *t)
{
    struct order *o = lc_transport_userdata(t);
    note(o, 'M');
    o->made_iter = lc_loop_iterations(lc_transport_loop(t));
    ck_assert_int_eq(lc_call_soon(lc_transport_loop(t), o_soon, o), 0);
    if (o->pause_in_made)
        ck_assert_int_eq(lc_transport_pause_reading(t), 0);
}

static void o_data(lc_transport *t, const void *d, size_t n)
{
    (void)d;
    (void)n;
    struct order *o = lc_transport_userdata(t);
    if (o->data_iter == 0)
        o->data_iter = lc_loop_iterations(lc_transport_loop(t));
    note(o, 'D');
}

static int o_eof(lc_transport *t)
{
    note(lc_transport_userdata(t), 'E');
    return 0;
}

static const lc_protocol order_proto = {.connection_made = o_made, .data_received = o_data,
                                        .eof_received = o_eof};

/* Data already waiting when the stream is opened: asyncio delivers
 * connection_made, then what it scheduled, then the data, on a later
 * iteration. */
START_TEST(data_waiting_at_open)
{
    lc_loop *loop = new_loop();
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], "abc", 3), 3);
    struct order o = {0};
    lc_transport *t;
    ck_assert_int_eq(lc_stream_open(loop, sv[0], &order_proto, &o, &t), 0);
    for (int i = 0; i < 20 && o.n < 3; i++)
        ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
    ck_assert_str_eq(o.seq, "MSD");
    ck_assert_uint_gt(o.data_iter, o.made_iter);
    lc_transport_close(t);
    close(sv[1]);
    lc_loop_free(loop);
}
END_TEST

static void stop_cb(lc_loop *loop, void *arg)
{
    (void)arg;
    lc_loop_stop(loop);
}

/* Run for 50 ms and return how many iterations that took: a loop that
 * polls an fd it does not read spins through thousands. */
static uint64_t iterations_in_50ms(lc_loop *loop)
{
    lc_timer tm = {0};
    uint64_t before = lc_loop_iterations(loop);
    ck_assert_int_eq(lc_call_later(loop, &tm, 50000000, stop_cb, NULL), 0);
    ck_assert_int_eq(lc_loop_run(loop), 0);
    return lc_loop_iterations(loop) - before;
}

/* Readable data and the peer's EOF on a stream that is paused before its
 * first iteration, or in connection_made: no data, no spinning; resumed, it
 * gets both. */
static void paused_peer_closed(int pause_in_made)
{
    lc_loop *loop = new_loop();
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], "abc", 3), 3);
    close(sv[1]);
    struct order o = {0};
    o.pause_in_made = pause_in_made;
    lc_transport *t;
    ck_assert_int_eq(lc_stream_open(loop, sv[0], &order_proto, &o, &t), 0);
    if (!pause_in_made)
        ck_assert_int_eq(lc_transport_pause_reading(t), 0);
    uint64_t iters = iterations_in_50ms(loop);
    ck_assert_msg(iters < 20, "%llu iterations in 50 ms while paused", (unsigned long long)iters);
    ck_assert_str_eq(o.seq, "MS");
    ck_assert_int_eq(lc_transport_resume_reading(t), 0);
    for (int i = 0; i < 20 && o.n < 4; i++)
        ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
    ck_assert_str_eq(o.seq, "MSDE");
    lc_loop_free(loop);
}

START_TEST(paused_before_made_peer_closed) { paused_peer_closed(0); }
END_TEST

START_TEST(paused_in_made_peer_closed) { paused_peer_closed(1); }
END_TEST

/* An event polled for an fd number that, before its callback runs, another
 * callback of the same batch closed and gave to a new stream transport:
 * the new transport gets no data before its connection_made. */
struct reuse {
    int fd[2];   /* two raw fds, both readable, both with readers */
    int peer[2]; /* their peers */
    int fired;
    int newpeer;
    struct order o;
    lc_transport *t;
};

static void reuse_read(lc_loop *loop, int fd, void *arg)
{
    struct reuse *u = arg;
    char buf[8];
    (void)read(fd, buf, sizeof buf);
    if (u->fired++)
        return;
    int other = fd == u->fd[0] ? u->fd[1] : u->fd[0];
    ck_assert_int_eq(lc_remove_reader(loop, other), 1);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], "xyz", 3), 3);
    ck_assert_int_eq(dup2(sv[0], other), other); /* closes the old socket */
    close(sv[0]);
    u->newpeer = sv[1];
    ck_assert_int_eq(lc_stream_open(loop, other, &order_proto, &u->o, &u->t), 0);
}

START_TEST(reused_fd_number_no_early_data)
{
    lc_loop *loop = new_loop();
    struct reuse u = {0};
    for (int i = 0; i < 2; i++) {
        int sv[2];
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
        u.fd[i] = sv[0];
        u.peer[i] = sv[1];
        ck_assert_int_eq(lc_add_reader(loop, sv[0], reuse_read, &u), 0);
    }
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(write(u.peer[i], "a", 1), 1);
    for (int i = 0; i < 20 && u.o.n < 3; i++)
        ck_assert_int_eq(lc_loop_run_once(loop, 0), 0);
    ck_assert_int_eq(u.fired, 1);
    ck_assert_str_eq(u.o.seq, "MSD");
    int kept = u.fd[0] == lc_transport_fileno(u.t) ? 1 : 0;
    lc_remove_reader(loop, u.fd[kept]);
    lc_loop_free(loop); /* closes the new transport's fd */
    close(u.fd[kept]);
    close(u.peer[0]);
    close(u.peer[1]);
    close(u.newpeer);
}
END_TEST

/* A closed fd is bad input (LC_EBADF), not a refusal of the backend: no
 * refusal is recorded for it, whichever call found it (fcntl, or on epoll
 * epoll_ctl's EBADF, man:epoll_ctl(2)). */
static void on_read_none(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    (void)fd;
    (void)arg;
}

START_TEST(closed_fd_is_ebadf_not_refusal)
{
    lc_loop *loop = new_loop();
    int fd = dup(0);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(lc_add_reader(loop, fd, on_read_none, NULL), LC_EBADF);
    lc_refusal why;
    lc_loop_last_refusal(loop, &why);
    ck_assert_ptr_null(why.call);
    ck_assert_int_eq(lc_add_writer(loop, fd, on_read_none, NULL), LC_EBADF);
    /* Nothing was registered: the loop does not wait on it. */
    ck_assert_int_eq(lc_remove_reader(loop, fd), 0);
    lc_loop_free(loop);
}
END_TEST

void lc_tt_add_open_tcases(Suite *s)
{
    TCase *tc = tcase_create("open");
    tcase_add_test(tc, data_waiting_at_open);
    tcase_add_test(tc, paused_before_made_peer_closed);
    tcase_add_test(tc, paused_in_made_peer_closed);
    tcase_add_test(tc, reused_fd_number_no_early_data);
    tcase_add_test(tc, closed_fd_is_ebadf_not_refusal);
    suite_add_tcase(s, tc);
}
