/* The stream chain's io_uring floor: what a hand-written completion loop
 * needs per hop, with every io_uring feature that saves work on this path.
 *
 *  - One multishot receive per read end (IORING_RECV_MULTISHOT, Linux 6.0):
 *    armed once, it posts a CQE per arrival and never needs resubmitting
 *    (io_uring_prep_recv_multishot(3)).
 *  - Provided buffers from one registered ring (io_uring_register_buf_ring(3),
 *    5.19); the data is sent on straight from the buffer it landed in, and
 *    the buffer goes back to the ring when the send's CQE comes.
 *  - Sends with MSG_WAITALL, so the kernel finishes a short send itself
 *    (io_uring_enter(2), IORING_OP_SEND).
 *  - IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN (6.1): the
 *    completions' task work runs only inside this loop's io_uring_enter(2),
 *    batched (io_uring_setup(2)); a kernel that refuses them gets a plain
 *    ring.
 *  - One io_uring_enter(2) per iteration submits the sends of the last
 *    batch and collects the next.
 *
 * It has no queue, no protocol callbacks and no error recovery: a floor to
 * compare the library's completion mode with, not a transport. */
#include "bench_util.h"
#include "workloads.h"

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define FU_BUFS 256u     /* a power of two (io_uring_register_buf_ring(3)) */
/* A message is at most 4096 bytes and a pair holds at most one: more would
 * come in further CQEs of the same multishot receive. */
#define FU_BUF_SIZE 4096u
#define FU_GROUP 0
#define FU_SEND 1ull     /* user_data bit 0: a send (its buffer id above) */

struct fu_schain {
    struct io_uring ring;
    struct lcb_schain *c;
    struct io_uring_buf_ring *br;
    unsigned char *bufs;
    int failed;
};

static void fu_put(struct fu_schain *s, unsigned bid)
{
    io_uring_buf_ring_add(s->br, s->bufs + (size_t)bid * FU_BUF_SIZE, FU_BUF_SIZE, (unsigned short)bid,
                          io_uring_buf_ring_mask(FU_BUFS), 0);
    io_uring_buf_ring_advance(s->br, 1);
}

static int fu_arm(struct fu_schain *s, int idx)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    if (sqe == NULL) {
        io_uring_submit(&s->ring);
        if ((sqe = io_uring_get_sqe(&s->ring)) == NULL)
            return -EBUSY;
    }
    io_uring_prep_recv_multishot(sqe, s->c->fds[idx][0], NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = FU_GROUP;
    io_uring_sqe_set_data64(sqe, (uint64_t)idx << 1);
    return 0;
}

/* The ring and the buffers; the fds stay the caller's. */
static void fu_release(struct fu_schain *s)
{
    io_uring_queue_exit(&s->ring);
    if (s->br)
        munmap(s->br, FU_BUFS * sizeof(struct io_uring_buf));
    if (s->bufs)
        munmap(s->bufs, (size_t)FU_BUFS * FU_BUF_SIZE);
    free(s);
}

static void fu_stop(void *st)
{
    struct fu_schain *s = st;
    lcb_close_pairs(s->c->fds, s->c->n);
    fu_release(s);
}

static void *fu_start(struct lcb_schain *c, char *why, size_t len)
{
    struct fu_schain *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(why, len, "out of memory");
        return NULL;
    }
    s->c = c;
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 4096;
    int rc = io_uring_queue_init_params(1024, &s->ring, &p);
    if (rc == -EINVAL) { /* before 6.1 */
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CQSIZE;
        p.cq_entries = 4096;
        rc = io_uring_queue_init_params(1024, &s->ring, &p);
    }
    if (rc < 0) {
        snprintf(why, len, "io_uring_queue_init_params: %s", strerror(-rc));
        free(s);
        return NULL;
    }
    void *br = mmap(NULL, FU_BUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *bufs = mmap(NULL, (size_t)FU_BUFS * FU_BUF_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0); /* no fault in dispatch */
    s->br = br == MAP_FAILED ? NULL : br;
    s->bufs = bufs == MAP_FAILED ? NULL : bufs;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)s->br;
    reg.ring_entries = FU_BUFS;
    reg.bgid = FU_GROUP;
    if (s->br == NULL || s->bufs == NULL) {
        snprintf(why, len, "mmap: %s", strerror(errno));
        rc = -1;
    } else {
        io_uring_buf_ring_init(s->br);
        if ((rc = io_uring_register_buf_ring(&s->ring, &reg, 0)) < 0)
            snprintf(why, len, "io_uring_register_buf_ring: %s (Linux 5.19)", strerror(-rc));
    }
    for (unsigned i = 0; rc == 0 && i < FU_BUFS; i++)
        fu_put(s, i);
    for (int i = 0; rc == 0 && i < c->n; i++)
        if ((rc = fu_arm(s, i)) < 0)
            snprintf(why, len, "io_uring_get_sqe: the submission queue stayed full");
    if (rc < 0) {
        fu_release(s);
        return NULL;
    }
    io_uring_submit(&s->ring);
    return s;
}

static void fu_recv(struct fu_schain *s, int idx, const struct io_uring_cqe *cqe)
{
    struct lcb_schain *c = s->c;
    if (!(cqe->flags & IORING_CQE_F_MORE) && cqe->res != 0)
        fu_arm(s, idx); /* ENOBUFS or an error ended the multishot */
    if (cqe->res <= 0 || !(cqe->flags & IORING_CQE_F_BUFFER)) {
        if (cqe->res < 0 && cqe->res != -ENOBUFS)
            s->failed = 1;
        return;
    }
    unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    size_t fwd = lcb_schain_received(c, (size_t)cqe->res);
    if (fwd == 0) {
        fu_put(s, bid);
        return;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    if (sqe == NULL) {
        io_uring_submit(&s->ring);
        sqe = io_uring_get_sqe(&s->ring);
    }
    if (sqe == NULL) {
        s->failed = 1;
        fu_put(s, bid);
        return;
    }
    int next = idx + 1 < c->n ? idx + 1 : 0;
    io_uring_prep_send(sqe, c->fds[next][1], s->bufs + (size_t)bid * FU_BUF_SIZE, fwd,
                       MSG_NOSIGNAL | MSG_WAITALL);
    io_uring_sqe_set_data64(sqe, ((uint64_t)bid << 1) | FU_SEND);
}

static void fu_once(void *st)
{
    struct fu_schain *s = st;
    /* Submits the sends and, with DEFER_TASKRUN, runs the task work that
     * posts the completions (io_uring_submit_and_get_events(3)). */
    io_uring_submit_and_get_events(&s->ring);
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&s->ring, head, cqe) {
        uint64_t ud = io_uring_cqe_get_data64(cqe);
        seen++;
        if (ud & FU_SEND) {
            if (cqe->res < 0)
                s->failed = 1;
            fu_put(s, (unsigned)(ud >> 1));
        } else {
            fu_recv(s, (int)(ud >> 1), cqe);
        }
    }
    io_uring_cq_advance(&s->ring, seen);
}

const struct lcb_schain_impl lcb_uring_schain = {"raw-io_uring", fu_start, fu_once, fu_stop};
