/* Stream transports in completion mode on io_uring (LC_LOOP_COMPLETION).
 *
 * The backend performs the transport's I/O instead of reporting readiness:
 * while the transport reads, one IORING_OP_RECV into its read buffer is in
 * flight; its write queue goes out with one IORING_OP_SEND (one piece) or
 * IORING_OP_SENDMSG (the pieces gathered) at a time, with MSG_NOSIGNAL
 * (send(2): no SIGPIPE for a peer that went away).  For a socket without
 * data (or without room) the kernel arms its own poll and completes the
 * request when the socket is ready (io_uring_enter(2), IORING_OP_RECV).
 *
 * Nothing enters the kernel by itself: a wanted op puts its transport on a
 * list, and the SQEs are prepared right before the poll's io_uring_enter(2)
 * — an iteration that forwards data on a thousand connections makes one
 * system call for all the sends, the new receives and the wait.  A recv
 * submitted after a read that did not fill the buffer carries
 * IORING_RECVSEND_POLL_FIRST (Linux 5.19): the socket is most likely empty,
 * so the kernel arms the poll without trying the read first.
 *
 * With the provided buffers below, a transport's receive is multishot
 * (IORING_RECV_MULTISHOT, Linux 6.0; io_uring_prep_recv_multishot(3)):
 * armed once, it posts a CQE for every arrival (IORING_CQE_F_MORE while it
 * stays armed) instead of a receive submitted, armed and torn down per
 * read.  Its results queue per transport until complete() delivers them.
 * Pausing cancels it (IORING_OP_ASYNC_CANCEL), and what arrives before the
 * cancel lands is kept; a kernel that refuses the flag (EINVAL) gets one
 * receive per read.
 *
 * The receives pick their buffer from a ring of provided buffers shared by
 * every transport of the loop (IOSQE_BUFFER_SELECT with a ring registered
 * by io_uring_register_buf_ring(3), Linux 5.19): a buffer is taken only
 * when data arrives and given back once data_received returned, so a few
 * buffers, warm in the cache, serve a thousand connections where each
 * transport's own buffer would be touched for the first time.  The CQE
 * names the buffer (IORING_CQE_F_BUFFER, the id above
 * IORING_CQE_BUFFER_SHIFT: io_uring_enter(2)); a recv that finds the ring
 * empty fails with ENOBUFS and is submitted again with the next poll, when
 * complete() has given the buffers back.  A kernel that refuses the
 * registration (EINVAL before 5.19), a forked child (its new ring has no
 * buffers) and LOOPCOMPAT_IO_URING_NO_BUF_RING=1 read into each
 * transport's own buffer.
 *
 * Completions are recorded when reaped and delivered by complete(), which
 * the core calls after the ready queue and the readiness callbacks of the
 * iteration — where a readiness backend's read would have run.
 *
 * Semantics (transport.h, "Completion mode"), as asyncio's proactor
 * transports (Lib/asyncio/proactor_events.py): a write is buffered and sent
 * with the next poll, and a send error reaches connection_lost.
 * pause_reading does not cancel the recv in flight: data it brings is kept
 * and delivered after resume_reading (proactor_events.py keeps it in
 * _pending_data).
 *
 * Lifetime: an op in flight holds the transport's buffer and a reference to
 * its file.  Before the write queue is dropped (abort, a fatal error) or
 * the transport is freed, stream_cancel submits IORING_OP_ASYNC_CANCEL for
 * each op in flight and reaps until their CQEs came back; then the kernel
 * holds nothing of the transport's, and close(2) really closes the socket
 * (the peer reads EOF at once).  CQEs of other requests reaped while
 * waiting are recorded as usual. */
#include "lc_transport.h"

#ifdef LC_HAVE_LIBURING

#include "io_uring_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Provided buffers: a power of two (io_uring_register_buf_ring(3)), enough
 * for every receive completing in one iteration of a busy loop and the
 * buffers its sends borrowed; each holds a whole read (LC__READ_CHUNK), as
 * the transport's own buffer does. */
#define BR_ENTRIES 128u
#define BR_GROUP 0
#define BR_BYTES ((size_t)BR_ENTRIES * LC__READ_CHUNK)

/* The buffers of a freed loop, kept for the next one: their pages are
 * already faulted in, as a freed transport buffer is for the next malloc. */
static _Atomic(void *) br_spare;

enum {
    OP_IDLE = 0,
    OP_WANTED, /* on the submit list */
    OP_FLIGHT, /* submitted, CQE not reaped */
    OP_DONE,   /* CQE reaped, on the done list */
    OP_KEPT    /* recv result held while reading is paused */
};

enum { KIND_RECV = 0, KIND_SEND = 1, KIND_CANCEL = 2 };

struct ur_stream {
    struct lc__ur_link all, sub, done;
    lc_transport *t;
    unsigned char rst, sst;
    bool poll_first; /* the last read left the buffer part empty */
    bool rpf;        /* the recv in flight was sent with POLL_FIRST */
    int rres, sres;
    int rbid;        /* provided buffer holding the recv result, -1: t->rbuf */
    /* A multishot recv (ms): its data results queue as buffer ids chained
     * through u->bq (qhead..qtail, -1: none); the CQE that ends it puts
     * its result in rres and the op in OP_DONE.  What it brings while
     * reading is paused is kept (kept[0..klen)), and so is the end it
     * reports then (kend: rres is kept too). */
    bool ms, ms_cancel, kend;
    int qhead, qtail;
    unsigned char *kept;
    size_t klen, kcap;
    struct msghdr msg;
    struct iovec iov[LC__WRITEV_MAX];
};

#define FROM_LINK(p, field) ((struct ur_stream *)(void *)((char *)(p) - offsetof(struct ur_stream, field)))

static void list_init(struct lc__ur_link *l) { l->prev = l->next = l; }
static bool list_empty(const struct lc__ur_link *l) { return l->next == l; }

static void link_push(struct lc__ur_link *head, struct lc__ur_link *n)
{
    if (n->next)
        return;
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
}

static void link_del(struct lc__ur_link *n)
{
    if (!n->next)
        return;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = NULL;
}

static uint64_t ud_of(struct ur_stream *s, unsigned kind)
{
    return LC__UR_OP_BIT | (uint64_t)(uintptr_t)s | kind;
}

static int queue_cancel(struct lc__uring *u, struct ur_stream *s, unsigned kind);

void lc__ur_streams_init(struct lc__uring *u)
{
    list_init(&u->streams);
    list_init(&u->submit);
    list_init(&u->done);
}

static unsigned char *br_buf(struct lc__uring *u, int bid)
{
    return u->bufs + (size_t)bid * LC__READ_CHUNK;
}

/* Give buffer bid back to the kernel (-1: none).  A ring no longer
 * registered (a forked child) takes nothing back. */
static void br_put(struct lc__uring *u, int bid)
{
    if (bid < 0 || u->br_state != 1)
        return;
    io_uring_buf_ring_add(u->br, br_buf(u, bid), LC__READ_CHUNK, (unsigned short)bid,
                          io_uring_buf_ring_mask(BR_ENTRIES), 0);
    io_uring_buf_ring_advance(u->br, 1);
}

/* Deliver len bytes of provided buffer bid to t's protocol.  A write of
 * them from inside the callback may borrow the buffer (wbuf_borrow): it
 * goes back to the kernel when the last holder lets go. */
static void deliver_bid(struct lc__uring *u, lc_transport *t, int bid, size_t len)
{
    u->bq[bid].refs = 1;
    u->cur_bid = bid;
    if (t->proto && t->proto->data_received)
        t->proto->data_received(t, br_buf(u, bid), len);
    u->cur_bid = -1;
    if (--u->bq[bid].refs == 0)
        br_put(u, bid);
}

int lc__ur_wbuf_borrow(lc_loop *loop, const void *data, size_t len)
{
    struct lc__uring *u = loop->backend;
    int bid = u->cur_bid;
    if (bid < 0 || u->br_state != 1)
        return -1;
    const unsigned char *p = data, *b = br_buf(u, bid);
    if (p < b || p + len > b + (size_t)u->bq[bid].res)
        return -1;
    u->bq[bid].refs++;
    return bid;
}

void lc__ur_wbuf_release(lc_loop *loop, int id)
{
    struct lc__uring *u = loop->backend;
    if (--u->bq[id].refs == 0)
        br_put(u, id);
}

static void br_unmap(struct lc__uring *u)
{
    if (u->br)
        munmap(u->br, BR_ENTRIES * sizeof(struct io_uring_buf));
    void *none = NULL;
    if (u->bufs && !atomic_compare_exchange_strong(&br_spare, &none, (void *)u->bufs))
        munmap(u->bufs, BR_BYTES);
    u->br = NULL;
    u->bufs = NULL;
}

/* Register the provided buffers with the first stream transport, so a loop
 * without any pays nothing.  The ring's memory is page-aligned, as the
 * kernel requires (io_uring_register_buf_ring(3)); the buffers' pages are
 * only touched when data lands in them. */
static void br_setup(struct lc__uring *u)
{
    const char *env = getenv("LOOPCOMPAT_IO_URING_NO_BUF_RING");
    u->br_state = -1;
    if (env && strcmp(env, "1") == 0)
        return;
    void *ring = mmap(NULL, BR_ENTRIES * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *bufs = atomic_exchange(&br_spare, NULL);
    if (bufs == NULL)
        bufs = mmap(NULL, BR_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                    -1, 0);
    u->br = ring == MAP_FAILED ? NULL : ring;
    u->bufs = bufs == MAP_FAILED ? NULL : bufs;
    if (u->bq == NULL)
        u->bq = malloc(BR_ENTRIES * sizeof *u->bq);
    if (u->br == NULL || u->bufs == NULL || u->bq == NULL) {
        br_unmap(u);
        return;
    }
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)u->br;
    reg.ring_entries = BR_ENTRIES;
    reg.bgid = BR_GROUP;
    io_uring_buf_ring_init(u->br);
    if (io_uring_register_buf_ring(&u->ring, &reg, 0) < 0) {
        br_unmap(u);
        return;
    }
    u->br_state = 1;
    for (int i = 0; i < (int)BR_ENTRIES; i++)
        br_put(u, i);
}

int lc__ur_stream_start(lc_loop *loop, lc_transport *t)
{
    struct lc__uring *u = loop->backend;
    struct ur_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return LC_ENOMEM;
    s->t = t;
    s->rbid = -1;
    s->qhead = s->qtail = -1;
    if (u->br_state == 0)
        br_setup(u);
    if (u->br_state == 1) {
        /* The receives land in the shared buffers: the transport's own is
         * only needed for data held while reading is paused. */
        free(t->rbuf);
        t->rbuf = NULL;
    }
    link_push(&u->streams, &s->all);
    t->cs = s;
    return 0;
}

void lc__ur_stream_recv(lc_loop *loop, lc_transport *t, int on)
{
    struct lc__uring *u = loop->backend;
    struct ur_stream *s = t->cs;
    if (!on) {
        if (s->rst == OP_WANTED)
            s->rst = OP_IDLE; /* the flush skips it */
        else if (s->rst == OP_FLIGHT && s->ms && !s->ms_cancel && queue_cancel(u, s, KIND_RECV) == 0)
            s->ms_cancel = true; /* it would go on receiving while paused */
        return;
    }
    if (s->klen || s->kend) {
        /* Kept while paused: delivered by complete(), which re-arms. */
        link_push(&u->done, &s->done);
    } else if (s->rst == OP_IDLE) {
        s->rst = OP_WANTED;
        link_push(&u->submit, &s->sub);
    } else if (s->rst == OP_KEPT) {
        /* Delivered by complete(): never from inside resume_reading. */
        s->rst = OP_DONE;
        link_push(&u->done, &s->done);
    }
}

void lc__ur_stream_send(lc_loop *loop, lc_transport *t)
{
    struct lc__uring *u = loop->backend;
    struct ur_stream *s = t->cs;
    /* A send in flight or just completed: its completion sends the rest. */
    if (s->sst == OP_IDLE && t->wsize) {
        s->sst = OP_WANTED;
        link_push(&u->submit, &s->sub);
    }
}

static int prep_recv(struct lc__uring *u, struct ur_stream *s)
{
    lc_transport *t = s->t;
    if (u->br_state != 1 && t->rbuf == NULL && (t->rbuf = malloc(LC__READ_CHUNK)) == NULL) {
        /* Without a buffer the recv fails as the kernel's would. */
        s->rres = LC_ENOMEM;
        s->rst = OP_DONE;
        link_push(&u->done, &s->done);
        return 0;
    }
    int err = 0;
    struct io_uring_sqe *sqe = lc__ur_get_sqe(u, &err);
    if (sqe == NULL)
        return err;
    s->ms = u->br_state == 1 && !u->no_ms_recv;
    s->ms_cancel = false;
    if (s->ms) {
        /* Length 0: each receive takes a whole provided buffer. */
        io_uring_prep_recv_multishot(sqe, t->fd, NULL, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = BR_GROUP;
    } else if (u->br_state == 1) {
        io_uring_prep_recv(sqe, t->fd, NULL, LC__READ_CHUNK, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = BR_GROUP;
    } else {
        io_uring_prep_recv(sqe, t->fd, t->rbuf, LC__READ_CHUNK, 0);
    }
    s->rpf = !s->ms && s->poll_first && !u->no_poll_first;
    if (s->rpf)
        sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
    io_uring_sqe_set_data64(sqe, ud_of(s, KIND_RECV));
    s->rst = OP_FLIGHT;
    return 0;
}

static int prep_send(struct lc__uring *u, struct ur_stream *s)
{
    lc_transport *t = s->t;
    int cnt = lc__wqueue_iov(t, s->iov, LC__WRITEV_MAX);
    if (cnt == 0) {
        s->sst = OP_IDLE;
        return 0;
    }
    int err = 0;
    struct io_uring_sqe *sqe = lc__ur_get_sqe(u, &err);
    if (sqe == NULL)
        return err;
    if (cnt == 1) {
        io_uring_prep_send(sqe, t->fd, s->iov[0].iov_base, s->iov[0].iov_len, MSG_NOSIGNAL);
    } else {
        /* The msghdr and its iovecs stay in place until the CQE. */
        memset(&s->msg, 0, sizeof s->msg);
        s->msg.msg_iov = s->iov;
        s->msg.msg_iovlen = (size_t)cnt;
        io_uring_prep_sendmsg(sqe, t->fd, &s->msg, MSG_NOSIGNAL);
    }
    io_uring_sqe_set_data64(sqe, ud_of(s, KIND_SEND));
    s->sst = OP_FLIGHT;
    return 0;
}

int lc__ur_streams_flush(struct lc__uring *u)
{
    while (!list_empty(&u->submit)) {
        struct ur_stream *s = FROM_LINK(u->submit.next, sub);
        int rc = 0;
        if (s->rst == OP_WANTED)
            rc = prep_recv(u, s);
        if (rc == 0 && s->sst == OP_WANTED)
            rc = prep_send(u, s);
        if (rc < 0)
            return rc; /* still on the list: tried again with the next poll */
        link_del(&s->sub);
    }
    return 0;
}

void lc__ur_stream_cqe(struct lc__uring *u, const struct io_uring_cqe *cqe)
{
    uint64_t ud = io_uring_cqe_get_data64(cqe) & ~LC__UR_OP_BIT;
    unsigned kind = (unsigned)(ud & 3u);
    struct ur_stream *s = (struct ur_stream *)(uintptr_t)(ud & ~(uint64_t)3u);
    if (s == NULL || kind == KIND_CANCEL)
        return; /* an ASYNC_CANCEL's own completion */
    int bid = (kind == KIND_RECV && (cqe->flags & IORING_CQE_F_BUFFER))
                  ? (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT)
                  : -1;
    bool more = (cqe->flags & IORING_CQE_F_MORE) != 0; /* a multishot recv stays armed */
    if (s->t == NULL) { /* given up by stream_cancel: nothing to deliver to */
        br_put(u, bid);
        if (kind == KIND_SEND)
            s->sst = OP_IDLE;
        else if (!more)
            s->rst = OP_IDLE;
        if (s->rst != OP_FLIGHT && s->sst != OP_FLIGHT) {
            link_del(&s->all);
            free(s);
        }
        return;
    }
    if (kind == KIND_RECV && s->rst == OP_FLIGHT && s->ms) {
        if (bid >= 0 && cqe->res > 0) {
            u->bq[bid].next = -1;
            u->bq[bid].res = cqe->res;
            if (s->qtail >= 0)
                u->bq[s->qtail].next = bid;
            else
                s->qhead = bid;
            s->qtail = bid;
        } else {
            br_put(u, bid);
        }
        if (!more) {
            /* Ended: by an error, EOF, the ring running out of buffers
             * (ENOBUFS), a cancel, or the kernel's own limit with data
             * (then submitted again, as after EAGAIN). */
            s->rres = cqe->res > 0 ? -EAGAIN : cqe->res;
            s->rst = OP_DONE;
        }
    } else if (kind == KIND_RECV && s->rst == OP_FLIGHT) {
        s->rres = cqe->res;
        s->rbid = bid;
        s->rst = OP_DONE;
    } else if (kind == KIND_SEND && s->sst == OP_FLIGHT) {
        s->sres = cqe->res;
        s->sst = OP_DONE;
    } else {
        br_put(u, bid);
        return;
    }
    link_push(&u->done, &s->done);
}

bool lc__ur_streams_ready(const struct lc__uring *u) { return !list_empty(&u->done); }

/* Errors after which the same op is simply submitted again. */
static bool transient(int res) { return res == -EINTR || res == -EAGAIN || res == -ENOBUFS; }

static void want_recv_again(struct lc__uring *u, struct ur_stream *s)
{
    unsigned f = s->t->flags;
    if (s->rst == OP_IDLE && (f & LC__T_READING) &&
        !(f & (LC__T_CLOSING | LC__T_READ_PAUSED | LC__T_EOF_READ))) {
        s->rst = OP_WANTED;
        link_push(&u->submit, &s->sub);
    }
}

/* Append to what is kept while reading is paused (multishot results). */
static int keep(struct ur_stream *s, const unsigned char *p, size_t n)
{
    if (s->kcap - s->klen < n) {
        size_t cap = s->kcap ? s->kcap : LC__READ_CHUNK;
        while (cap - s->klen < n)
            cap *= 2;
        unsigned char *k = realloc(s->kept, cap);
        if (k == NULL)
            return LC_ENOMEM;
        s->kept = k;
        s->kcap = cap;
    }
    memcpy(s->kept + s->klen, p, n);
    s->klen += n;
    return 0;
}

/* The end of a receive (EOF or an error; EAGAIN, ENOBUFS and EINTR submit
 * it again), after its data was delivered. */
static void recv_end(struct lc__uring *u, struct ur_stream *s, int res)
{
    if (res == 0) {
        lc__stream_eof(s->t);
    } else if (res == -EINVAL && s->rpf && !u->no_poll_first) {
        u->no_poll_first = true; /* before Linux 5.19 */
        want_recv_again(u, s);
    } else if (res == -EINVAL && s->ms && !u->no_ms_recv) {
        u->no_ms_recv = true; /* before Linux 6.0 */
        want_recv_again(u, s);
    } else if (transient(res) || res == -ECANCELED) {
        want_recv_again(u, s); /* ECANCELED: paused, or stopped reading */
    } else {
        lc__transport_fatal(s->t, res);
    }
}

/* The oldest queued result of a multishot recv (its buffer id), or -1. */
static int q_pop(struct lc__uring *u, struct ur_stream *s)
{
    int bid = s->qhead;
    if (bid >= 0 && (s->qhead = u->bq[bid].next) < 0)
        s->qtail = -1;
    return bid;
}

/* The queued results of a multishot recv, in order: to data_received,
 * kept while paused, dropped once the transport stopped reading. */
static void drain_queue(struct lc__uring *u, struct ur_stream *s)
{
    lc_transport *t = s->t;
    int bid;
    while (!t->loop->closed && (bid = q_pop(u, s)) >= 0) {
        size_t n = (size_t)u->bq[bid].res;
        unsigned f = t->flags;
        if (f & (LC__T_CLOSING | LC__T_LOST_QUEUED)) {
            br_put(u, bid);
        } else if (f & LC__T_READ_PAUSED) {
            int rc = keep(s, br_buf(u, bid), n);
            br_put(u, bid);
            if (rc < 0)
                lc__transport_fatal(t, rc);
        } else if (!(f & LC__T_READING)) {
            br_put(u, bid);
        } else {
            deliver_bid(u, t, bid, n);
        }
    }
}

/* A multishot recv ended (OP_DONE), its data delivered. */
static void ms_end(struct lc__uring *u, struct ur_stream *s)
{
    lc_transport *t = s->t;
    int res = s->rres;
    s->rst = OP_IDLE;
    if (t->flags & (LC__T_CLOSING | LC__T_LOST_QUEUED))
        return;
    if ((t->flags & LC__T_READ_PAUSED) && !transient(res) && res != -ECANCELED) {
        s->kend = true; /* EOF or an error: after the kept data, on resume */
        return;
    }
    if (!(t->flags & LC__T_READING) && !(t->flags & LC__T_READ_PAUSED))
        return;
    recv_end(u, s, res);
}

/* What was kept while paused, now that reading resumed. */
static void deliver_kept(struct lc__uring *u, struct ur_stream *s)
{
    lc_transport *t = s->t;
    if (t->flags & (LC__T_CLOSING | LC__T_LOST_QUEUED | LC__T_READ_PAUSED))
        return;
    if (s->klen) {
        size_t n = s->klen;
        s->klen = 0;
        if (t->proto && t->proto->data_received)
            t->proto->data_received(t, s->kept, n);
    }
    if (t->loop->closed || (t->flags & (LC__T_CLOSING | LC__T_LOST_QUEUED | LC__T_READ_PAUSED)))
        return;
    if (s->kend) {
        s->kend = false;
        recv_end(u, s, s->rres);
    } else {
        want_recv_again(u, s);
    }
}

static void deliver_recv(struct lc__uring *u, struct ur_stream *s)
{
    lc_transport *t = s->t;
    int res = s->rres;
    int bid = s->rbid;
    s->rbid = -1;
    s->rst = OP_IDLE;
    if (t->flags & (LC__T_CLOSING | LC__T_LOST_QUEUED)) {
        br_put(u, bid);
        return; /* close() stopped reading: what came is dropped */
    }
    if (t->flags & LC__T_READ_PAUSED) {
        /* Kept until resume_reading, in the transport's own buffer if it
         * can have one: the provided one goes back to the kernel. */
        if (bid >= 0 && res > 0 && (t->rbuf || (t->rbuf = malloc(LC__READ_CHUNK)))) {
            memcpy(t->rbuf, br_buf(u, bid), (size_t)res);
            br_put(u, bid);
            bid = -1;
        }
        s->rbid = bid;
        s->rst = OP_KEPT;
        return;
    }
    if (!(t->flags & LC__T_READING)) {
        br_put(u, bid);
        return;
    }
    if (res > 0) {
        s->poll_first = res < LC__READ_CHUNK;
        if (bid >= 0) {
            u->bq[bid].res = res;
            deliver_bid(u, t, bid, (size_t)res);
        } else if (t->proto && t->proto->data_received) {
            t->proto->data_received(t, t->rbuf, (size_t)res);
        }
        want_recv_again(u, s);
        return;
    }
    br_put(u, bid);
    recv_end(u, s, res);
}

static void deliver_send(struct lc__uring *u, struct ur_stream *s)
{
    lc_transport *t = s->t;
    int res = s->sres;
    s->sst = OP_IDLE;
    if (t->flags & LC__T_LOST_QUEUED)
        return;
    if (res < 0 && !transient(res)) {
        lc__transport_fatal(t, res);
        return;
    }
    if (res > 0)
        lc__stream_sent(t, (size_t)res);
    if (s->sst == OP_IDLE && t->wsize && !(t->flags & LC__T_LOST_QUEUED)) {
        s->sst = OP_WANTED;
        link_push(&u->submit, &s->sub);
    }
}

void lc__ur_complete(lc_loop *loop)
{
    struct lc__uring *u = loop->backend;
    if (list_empty(&u->done))
        return;
    /* This batch only: what the callbacks cause comes with the next poll. */
    struct lc__ur_link batch;
    batch.next = u->done.next;
    batch.prev = u->done.prev;
    batch.next->prev = &batch;
    batch.prev->next = &batch;
    list_init(&u->done);
    while (!list_empty(&batch) && !loop->closed) {
        struct ur_stream *s = FROM_LINK(batch.next, done);
        link_del(&s->done);
        /* A state is freed only when its transport is (never from inside
         * a protocol callback), so s stays valid across the deliveries. */
        if (s->klen || s->kend)
            deliver_kept(u, s);
        if (s->qhead >= 0 && !loop->closed)
            drain_queue(u, s);
        if (s->rst == OP_DONE && !loop->closed) {
            if (s->ms)
                ms_end(u, s);
            else
                deliver_recv(u, s);
        }
        if (s->sst == OP_DONE)
            deliver_send(u, s);
    }
    /* Left over only if the loop closed: the closers freed those states. */
    if (!list_empty(&batch)) {
        batch.next->prev = u->done.prev;
        u->done.prev->next = batch.next;
        batch.prev->next = &u->done;
        u->done.prev = batch.prev;
    }
}

static int queue_cancel(struct lc__uring *u, struct ur_stream *s, unsigned kind)
{
    int err = 0;
    struct io_uring_sqe *sqe = lc__ur_get_sqe(u, &err);
    if (sqe == NULL)
        return err;
    io_uring_prep_cancel64(sqe, ud_of(s, kind), 0);
    io_uring_sqe_set_data64(sqe, ud_of(NULL, KIND_CANCEL));
    return 0;
}

void lc__ur_stream_cancel(lc_loop *loop, lc_transport *t, int release)
{
    struct lc__uring *u = loop->backend;
    struct ur_stream *s = t->cs;
    if (s == NULL)
        return;
    link_del(&s->sub);
    if (s->rst == OP_WANTED)
        s->rst = OP_IDLE;
    if (s->sst == OP_WANTED)
        s->sst = OP_IDLE;
    /* A bound ring owned by another thread cannot be entered from here
     * (io_uring_setup(2), IORING_SETUP_SINGLE_ISSUER): what is in flight is
     * then given up to the kernel below, never freed under it. */
    bool inflight = s->rst == OP_FLIGHT || s->sst == OP_FLIGHT;
    bool ok = (!inflight || lc__ur_may_enter(u) == 0) &&
              (s->rst != OP_FLIGHT || queue_cancel(u, s, KIND_RECV) == 0) &&
              (s->sst != OP_FLIGHT || queue_cancel(u, s, KIND_SEND) == 0);
    /* A recv or send armed on a socket is cancelled at once
     * (IORING_OP_ASYNC_CANCEL finds it in the poll table); the loop only
     * waits for the CQEs to be posted. */
    while (ok && (s->rst == OP_FLIGHT || s->sst == OP_FLIGHT)) {
        u->submits++;
        int rc = io_uring_submit_and_wait(&u->ring, 1);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME)
            ok = false;
        lc__ur_reap(u);
    }
    if (!ok) {
        /* The kernel may still write into the read buffer and read the
         * queue's pieces: give them up to it rather than free them. */
        t->rbuf = NULL;
        t->whead = t->wtail = NULL;
        t->wsize = 0;
    }
    link_del(&s->done);
    if (s->rst == OP_DONE || s->rst == OP_KEPT)
        s->rst = OP_IDLE;
    br_put(u, s->rbid);
    s->rbid = -1;
    for (int bid; (bid = q_pop(u, s)) >= 0;)
        br_put(u, bid);
    s->klen = 0;
    s->kend = false;
    if (s->sst == OP_DONE)
        s->sst = OP_IDLE;
    if (release || !ok) {
        free(s->kept);
        s->kept = NULL;
        s->kcap = 0;
        if (ok) {
            link_del(&s->all);
            free(s);
        } else {
            s->t = NULL; /* stays on the list; freed with the ring */
        }
        t->cs = NULL;
    }
}

void lc__ur_streams_after_fork(struct lc__uring *u)
{
    /* The new ring has no provided buffers: the receives read into the
     * transports' own buffers from now on.  The pool stays mapped for the
     * results still held in it, and is unmapped with the loop. */
    if (u->br_state == 1)
        u->br_state = -1;
    /* What was in flight belongs to the parent's ring: submit it anew. */
    for (struct lc__ur_link *l = u->streams.next; l != &u->streams; l = l->next) {
        struct ur_stream *s = FROM_LINK(l, all);
        if (s->t == NULL)
            continue;
        if (s->rst == OP_FLIGHT)
            s->rst = OP_WANTED; /* its queued results stay, in the mapped pool */
        if (s->sst == OP_FLIGHT)
            s->sst = OP_WANTED;
        if (s->rst == OP_WANTED || s->sst == OP_WANTED)
            link_push(&u->submit, &s->sub);
    }
}

bool lc__ur_streams_any(const struct lc__uring *u) { return !list_empty(&u->streams); }

void lc__ur_streams_moved(struct lc__uring *u)
{
    br_unmap(u);
    u->br_state = 0;
}

void lc__ur_streams_destroy(struct lc__uring *u)
{
    /* After io_uring_queue_exit(): no request is left in the kernel. */
    while (!list_empty(&u->streams)) {
        struct ur_stream *s = FROM_LINK(u->streams.next, all);
        link_del(&s->all);
        if (s->t)
            s->t->cs = NULL;
        free(s->kept);
        free(s);
    }
    br_unmap(u);
    free(u->bq);
    u->bq = NULL;
}

#endif /* LC_HAVE_LIBURING */
