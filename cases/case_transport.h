/* Helpers for the transport case areas (pipes, chardev PTYs, tcp, udp,
 * unix): a protocol that records what the loop delivered, and waits with a
 * deadline.  Internal to cases/. */
#ifndef LC_CASE_TRANSPORT_H
#define LC_CASE_TRANSPORT_H

#include <stddef.h>

#include "case_util.h"

/* What a stream protocol saw, in order. */
typedef struct lc__rec {
    unsigned char *data;
    size_t len, cap;
    int made, eof, lost, lost_err;
    int order_ok;          /* 0 once a callback came out of asyncio's order */
    int keep_open;         /* eof_received's answer */
    int echo;              /* write back what arrives */
    const char *eof_reply; /* on EOF: write this, then close */
    int paused, resumed;
    size_t size_at_pause, size_at_resume;
    size_t stop_at;        /* stop the loop once this many bytes arrived */
    int stop_on_eof, stop_on_lost, stop_on_made;
    /* pause_writing stops a running loop.  Off by default: in completion
     * mode the buffer counts bytes until their send completes, so an echo
     * that forwards faster than sends complete pauses its writer too, as
     * asyncio's proactor transports do. */
    int stop_on_pause;
    lc_transport *t;
} lc__rec;

extern const lc_protocol lc__rec_protocol;

void lc__rec_init(lc__rec *r);
void lc__rec_free(lc__rec *r);

/* Run the loop until a callback stops it or limit_ns passes; returns 1 if
 * it was stopped in time, 0 on the deadline (or if the run failed). */
int lc__case_wait(lc_loop *loop, int64_t limit_ns);

/* Close (or abort) r's transport if it is still open and run the loop
 * until connection_lost arrived (at most 1 s). */
void lc__rec_finish(lc_loop *loop, lc__rec *r, int abort);

/* A constructor's error: UNSUPPORTED (with the loop's refusal evidence) for
 * LC_ENOTSUP, FAIL otherwise. */
void lc__case_transport_error(lc_case_ctx *ctx, lc_loop *loop, int rc, const char *what);

/* lc_stream_open on sv[0] (one end of a connected socketpair), recording
 * into r, which it initialises.  On failure both ends are closed, r freed,
 * the error reported as by lc__case_transport_error, and the code
 * returned. */
int lc__case_stream_on_pair(lc_case_ctx *ctx, lc_loop *loop, const int sv[2], lc__rec *r,
                            lc_transport **t);

/* connect_write_pipe on fd if for_write, else connect_read_pipe, recording
 * into r (initialised by the caller).  On failure fd and other_fd (unless
 * -1) are closed, the error reported as by lc__case_transport_error, and
 * the constructor's result returned. */
int lc__case_pipe_open(lc_case_ctx *ctx, lc_loop *loop, int for_write, int fd, int other_fd, lc__rec *r,
                       lc_transport **t, const char *what);

/* A socket of `type` (SOCK_STREAM, SOCK_DGRAM) bound to a free port on
 * 127.0.0.1: returns the fd and sets *port, or fails the case with
 * "<what>: <errno>" and returns -1. */
int lc__case_loopback_socket(lc_case_ctx *ctx, int type, int *port, const char *what);

/* A deterministic byte pattern, to check order and integrity. */
void lc__pattern_fill(unsigned char *p, size_t n, size_t offset);
/* Index of the first byte that differs from the pattern, or n. */
size_t lc__pattern_check(const unsigned char *p, size_t n);

/* A write pipe whose reader goes away: closes reader_fd, writes a byte
 * to t and waits (2 s) for connection_lost, which b (stop_on_lost) records.
 * 1 if it came with EPIPE; else 0 with the case failed. */
int lc__case_write_no_reader(lc_case_ctx *ctx, lc_loop *loop, lc_transport *t, const lc__rec *b,
                             int reader_fd);

/* Write pattern bytes to t, chunk at a time from out, until pause_writing
 * (r->paused), cap bytes or a failed write; *sent counts them.  0 once
 * paused (buffer_at_pause recorded), else -1 with the case failed (also
 * when out is NULL: a buffer could not be allocated). */
int lc__case_write_until_paused(lc_case_ctx *ctx, lc_transport *t, const lc__rec *r,
                                unsigned char *out, size_t chunk, size_t cap, size_t *sent);

/* The verdict of a write-pipe backpressure case: sent pattern bytes were
 * written until pause_writing, got of them read back into in (in_time: the
 * reading ended before its deadline); records bytes_sent/bytes_received,
 * then FAIL unless every byte arrived in order, pause_writing came above
 * the high water mark and resume_writing once at or below the low one. */
void lc__case_backpressure_verdict(lc_case_ctx *ctx, const lc__rec *r, int in_time, size_t sent,
                                   const unsigned char *in, size_t got, size_t high, size_t low);

/* 1 if an IPv6 loopback socket can be bound here. */
int lc__have_ipv6_loopback(void);

/* A client: the connect callback and the protocol share one user pointer
 * (lc_tcp_connect's ud), so the recorder comes first. */
typedef struct lc__conn {
    lc__rec rec;
    int called, err;
    lc_transport *t;
} lc__conn;
/* Connect callback recording the result in an lc__conn; stops the loop. */
void lc__conn_cb(lc_loop *loop, lc_transport *t, int err, void *ud);

/* Server factory handing out the recorders of an lc__srv (echo or not). */
typedef struct lc__srv {
    lc__rec conns[4];
    int n, refused;
    int echo, keep_open, pause_reading;
    const char *eof_reply;
} lc__srv;
int lc__srv_factory(lc_server *s, void *ud, const lc_protocol **proto, void **conn_ud);
void lc__srv_free(lc__srv *s);

/* lc_tcp_connect_ex to host:port (opts may be NULL), recording into c,
 * and run until the connect callback (limit_ms).  1 when the callback
 * came (c->err is its result, c->t the transport on success); 0 with the
 * case failed (or UNSUPPORTED) when the call itself failed or no
 * callback came in time. */
int lc__case_tcp_dial(lc_case_ctx *ctx, lc_loop *loop, const char *host, int port, int family,
                      const lc_tcp_connect_options *opts, lc__conn *c, int limit_ms);

/* Abort the client's and the server's connections (waiting for their
 * connection_lost), close the server (if any), free the records. */
void lc__case_net_finish(lc_loop *loop, lc__conn *c, lc_server *s, lc__srv *sv);

/* Run the loop until sv has n connections (limit_ms); 1 if it has. */
int lc__case_wait_accepted(lc_loop *loop, const lc__srv *sv, int n, int limit_ms);

/* The port of a socket address (host byte order), -1 if not IP. */
int lc__sockaddr_port(const struct sockaddr_storage *ss);

#endif
