/* Shared by io_uring.c (the ring, readiness through POLL_ADD) and
 * io_uring_stream.c (stream transports in completion mode). */
#ifndef LC_IO_URING_INTERNAL_H
#define LC_IO_URING_INTERNAL_H

#include "lc_internal.h"

#include <liburing.h>

/* An intrusive doubly linked list: a list is a sentinel node pointing at
 * itself; a node on no list has next == NULL. */
struct lc__ur_link {
    struct lc__ur_link *prev, *next;
};

struct ur_fd;

struct lc__uring {
    struct io_uring ring;
    bool ring_ok;
    /* A completion-mode ring is made with IORING_SETUP_SINGLE_ISSUER |
     * IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED (Linux 6.1) and
     * enabled by the first thread that enters it, which alone may enter it
     * from then on (io_uring_setup(2)). */
    bool bound;        /* made so (the kernel took the flags) */
    bool enabled;      /* enabled by `owner` */
    bool no_bind;      /* the kernel refused those flags: not tried again */
    pthread_t owner;
    int multishot;     /* 1 yes, 0 no, -1 not yet confirmed by a CQE */
    uint32_t next_gen;
    struct ur_fd *fds;
    int nfds;
    int *pending, npending, cap_pending;
    int *touched, ntouched, cap_touched;
    bool stale;        /* removals of stale requests queued while reaping */
    uint32_t submits;  /* bumped before every submission: an SQE taken since
                          the last one has not reached the kernel yet */

    /* io_uring_stream.c */
    struct lc__ur_link streams; /* every transport's completion state */
    struct lc__ur_link submit;  /* states with an op waiting for an SQE */
    struct lc__ur_link done;    /* states with a completion to deliver */
    bool no_poll_first;         /* the kernel refused IORING_RECVSEND_POLL_FIRST */
    /* Provided buffers the receives pick from (io_uring_register_buf_ring(3),
     * Linux 5.19): br_state 0 not set up yet, 1 registered, -1 unavailable
     * (the receives then read into each transport's own buffer). */
    int br_state;
    struct io_uring_buf_ring *br;
    unsigned char *bufs;
    /* Results of multishot receives not delivered yet, by buffer id: each
     * stream chains its own in arrival order. */
    struct lc__ur_bq {
        int next; /* the stream's next buffer id, -1 at the end */
        int res;  /* bytes in the buffer */
        int refs; /* while delivered or lent: holders; 0 gives it back */
    } *bq;
    /* The provided buffer data_received is looking at, -1: none; a write
     * of bytes inside it may borrow it (wbuf_borrow). */
    int cur_bid;
    bool no_ms_recv; /* the kernel refused IORING_RECV_MULTISHOT (before 6.0) */
};

/* user_data of the completion-mode ops: this bit, the state's address and
 * the op kind in the low bits.  Poll requests never set it: their
 * generations stay below 2^31. */
#define LC__UR_OP_BIT (UINT64_C(1) << 63)

/* io_uring.c */
/* 0 if this thread may enter the ring (enabling a bound ring for it the
 * first time), LC_EBUSY if a bound ring belongs to another thread. */
int lc__ur_may_enter(struct lc__uring *u);
/* An SQE, submitting what is queued first if the ring is full. */
struct io_uring_sqe *lc__ur_get_sqe(struct lc__uring *u, int *err);
/* Handle every CQE in the ring now (recorded; readiness is reported with
 * the next poll, completions by complete()). */
void lc__ur_reap(struct lc__uring *u);

/* io_uring_features.c: the kernel features the backend uses, probed. */
size_t lc__ur_kernel_features(lc_backend_feature *out, size_t cap);
/* 0 if the ring's kernel has every opcode completion mode submits, else
 * LC_ENOTSUP. */
int lc__ur_completion_ops(struct io_uring *ring);

/* io_uring_stream.c */
void lc__ur_streams_init(struct lc__uring *u);
/* Turn the waiting ops into SQEs (before the poll's io_uring_enter). */
int lc__ur_streams_flush(struct lc__uring *u);
void lc__ur_stream_cqe(struct lc__uring *u, const struct io_uring_cqe *cqe);
/* Completions are waiting for complete(): the poll must not block. */
bool lc__ur_streams_ready(const struct lc__uring *u);
/* On a new ring in a forked child: submit again what was in flight. */
void lc__ur_streams_after_fork(struct lc__uring *u);
void lc__ur_streams_destroy(struct lc__uring *u);
/* Any completion-mode transport on the loop. */
bool lc__ur_streams_any(const struct lc__uring *u);
/* The ring is being replaced while no transport uses it: its provided
 * buffers are registered again, with the next transport. */
void lc__ur_streams_moved(struct lc__uring *u);

int lc__ur_stream_start(lc_loop *loop, struct lc_transport *t);
void lc__ur_stream_recv(lc_loop *loop, struct lc_transport *t, int on);
void lc__ur_stream_send(lc_loop *loop, struct lc_transport *t);
void lc__ur_stream_cancel(lc_loop *loop, struct lc_transport *t, int release);
void lc__ur_complete(lc_loop *loop);
int lc__ur_wbuf_borrow(lc_loop *loop, const void *data, size_t len);
void lc__ur_wbuf_release(lc_loop *loop, int id);

#endif
