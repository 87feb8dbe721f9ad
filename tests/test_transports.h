/* Shared by the transport Check suite's files. */
#ifndef TEST_TRANSPORTS_H
#define TEST_TRANSPORTS_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "loopcompat/loopcompat.h"

/* A recording stream protocol (rec_proto); the transport's user pointer
 * is a struct rec. */
struct rec {
    unsigned char *data;
    size_t len, cap;
    int made, eof, lost, lost_err;
    int keep_open;         /* eof_received's answer */
    int echo;              /* write back what arrives */
    int close_on_eof;      /* on EOF: write reply, then close */
    const char *reply;
    int paused, resumed;
    size_t size_at_pause, size_at_resume;
    int stop_on_lost;
    size_t stop_at;        /* stop the loop once this many bytes arrived */
    lc_transport *t;
};

extern const lc_protocol rec_proto;
void rec_free(struct rec *r);

const char *backend(void);
/* $LC_TEST_LOOP_FLAGS as loop flags: LC_LOOP_COMPLETION or 0. */
unsigned loop_flags(void);
lc_loop *new_loop(void);
/* Run until stopped; fail after 5 s. */
void run(lc_loop *loop);
/* n non-blocking iterations. */
void spin(lc_loop *loop, int n);
void fill_pattern(unsigned char *p, size_t n, size_t off);
int check_pattern(const unsigned char *p, size_t n);
int have_ipv6(void);

/* A socketpair (SOCK_STREAM | sock_flags) with sv[0] opened as a stream
 * transport recording into r. */
static inline lc_transport *stream_pair(lc_loop *loop, int sock_flags, int sv[2], struct rec *r)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | sock_flags, 0, sv), 0);
    lc_transport *t;
    ck_assert_int_eq(lc_stream_open(loop, sv[0], &rec_proto, r, &t), 0);
    return t;
}

/* A socket of `type` bound to a free port on 127.0.0.1; returns the fd
 * and sets *port. */
static inline int bound_loopback(int type, int *port)
{
    int fd = socket(AF_INET, type, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A server's connections (factory records into conns, in order). */
struct srv {
    struct rec conns[8];
    int n;
    int echo, keep_open, close_on_eof, pause_on_made;
    const char *reply;
};

int factory(lc_server *s, void *ud, const lc_protocol **proto, void **conn_ud);

/* A client (on_connect's ud; the recorder first, it is also the protocol's). */
struct cli {
    struct rec rec;
    lc_transport *t;
    int called, err;
    const void *send;
    size_t send_len;
    int write_eof;
    int stop;
};

void on_connect(lc_loop *loop, lc_transport *t, int err, void *ud);

/* test_transports_net.c: servers and endpoints over existing sockets,
 * local addresses, several hosts, reuse_port, server close. */
void lc_tt_add_net_tcases(Suite *s);
/* test_transports_io.c: datagram, pipe and PTY test cases. */
void lc_tt_add_io_tcases(Suite *s);
/* test_transports_mode.c: what depends on readiness vs completion mode. */
void lc_tt_add_mode_tcases(Suite *s);
/* test_transports_open.c: the reader registered at creation. */
void lc_tt_add_open_tcases(Suite *s);

#endif
