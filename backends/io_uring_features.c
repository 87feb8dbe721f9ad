/* The io_uring features the backend uses, each probed on this kernel for
 * the report (lc_backend_features): opcodes by io_uring_get_probe(3), setup
 * flags by trying them (io_uring_setup(2): EINVAL for a flag the kernel
 * does not know), IORING_FEAT_* bits from the params the kernel fills in,
 * and request flags by submitting one request (EINVAL in its CQE).  The
 * backend itself falls back where one is missing (io_uring.c,
 * io_uring_stream.c); this file only says what was found. */
#include "lc_internal.h"

#include <errno.h>

#ifdef LC_HAVE_LIBURING

#include "io_uring_internal.h"

#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* Opcodes, with the Linux version io_uring_enter(2) gives for each. */
static const struct {
    const char *name, *since, *probe;
    int op;
} ur_ops[] = {
    {"op_poll_add", "5.1", "io_uring_get_probe(IORING_OP_POLL_ADD)", IORING_OP_POLL_ADD},
    {"op_poll_remove", "5.1", "io_uring_get_probe(IORING_OP_POLL_REMOVE)", IORING_OP_POLL_REMOVE},
    {"op_sendmsg", "5.3", "io_uring_get_probe(IORING_OP_SENDMSG)", IORING_OP_SENDMSG},
    {"op_timeout", "5.4", "io_uring_get_probe(IORING_OP_TIMEOUT)", IORING_OP_TIMEOUT},
    {"op_async_cancel", "5.5", "io_uring_get_probe(IORING_OP_ASYNC_CANCEL)", IORING_OP_ASYNC_CANCEL},
    {"op_send", "5.6", "io_uring_get_probe(IORING_OP_SEND)", IORING_OP_SEND},
    {"op_recv", "5.6", "io_uring_get_probe(IORING_OP_RECV)", IORING_OP_RECV},
};

#define NOPS (sizeof ur_ops / sizeof ur_ops[0])

static void put(lc_backend_feature *out, size_t cap, size_t *n, const char *name, const char *since,
                const char *probe, int rc)
{
    if (*n < cap)
        out[*n] = (lc_backend_feature){name, since, probe, rc == 0, rc < 0 ? -rc : 0};
    (*n)++;
}

/* 0 if the kernel takes these setup flags, else -errno. */
static int try_setup(unsigned flags, struct io_uring_params *p)
{
    struct io_uring ring;
    memset(p, 0, sizeof *p);
    p->flags = flags;
    int rc = io_uring_queue_init_params(2, &ring, p);
    if (rc == 0)
        io_uring_queue_exit(&ring);
    return rc;
}

/* Submit the one SQE prepared and wait for its CQE: its res. */
static int one_cqe(struct io_uring *ring, unsigned *flags)
{
    struct io_uring_cqe *cqe;
    int rc = io_uring_submit_and_wait(ring, 1);
    if (rc < 0)
        return rc;
    rc = io_uring_peek_cqe(ring, &cqe);
    if (rc < 0)
        return rc;
    rc = cqe->res;
    *flags = cqe->flags;
    io_uring_cqe_seen(ring, cqe);
    return rc;
}

/* IORING_POLL_ADD_MULTI (Linux 5.13, io_uring_prep_poll_multishot(3)) on
 * a readable pipe: a CQE with IORING_CQE_F_MORE, or EINVAL before 5.13. */
static int probe_multishot_poll(struct io_uring *ring)
{
    int p[2];
    if (pipe(p) < 0)
        return -errno;
    unsigned flags = 0;
    int rc = write(p[1], "x", 1) == 1 ? 0 : -errno;
    struct io_uring_sqe *sqe = rc == 0 ? io_uring_get_sqe(ring) : NULL;
    if (sqe) {
        io_uring_prep_poll_multishot(sqe, p[0], POLLIN);
        rc = one_cqe(ring, &flags);
        rc = rc < 0 ? rc : (flags & IORING_CQE_F_MORE) ? 0 : -EINVAL;
    }
    close(p[0]);
    close(p[1]);
    return rc;
}

struct recv_probe {
    int br, poll_first, ms_recv;
};

/* Provided-buffer rings (io_uring_register_buf_ring(3), Linux 5.19), then
 * on a socket pair holding two bytes: a receive with
 * IORING_RECVSEND_POLL_FIRST (5.19) and a multishot receive
 * (IORING_RECV_MULTISHOT, 6.0; io_uring_prep_recv_multishot(3)).  A kernel
 * without them answers EINVAL. */
static void *probe_recv(struct io_uring *ring, struct recv_probe *r)
{
    r->br = r->poll_first = r->ms_recv = -ENOTSUP;
    size_t ring_bytes = 4 * sizeof(struct io_uring_buf);
    void *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        r->br = -errno;
        return NULL;
    }
    unsigned char *bufs = (unsigned char *)mem + ring_bytes;
    struct io_uring_buf_ring *br = mem;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (unsigned long)(uintptr_t)br;
    reg.ring_entries = 4;
    reg.bgid = 0;
    io_uring_buf_ring_init(br);
    r->br = io_uring_register_buf_ring(ring, &reg, 0);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        r->poll_first = r->ms_recv = -errno;
        return mem;
    }
    unsigned flags = 0;
    if (write(sv[1], "xy", 2) == 2) {
        unsigned char one;
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        io_uring_prep_recv(sqe, sv[0], &one, 1, 0);
        sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
        r->poll_first = one_cqe(ring, &flags);
        r->poll_first = r->poll_first > 0 ? 0 : r->poll_first < 0 ? r->poll_first : -EIO;
        if (r->br == 0) {
            for (unsigned i = 0; i < 4; i++)
                io_uring_buf_ring_add(br, bufs + i * 64, 64, (unsigned short)i,
                                      io_uring_buf_ring_mask(4), (int)i);
            io_uring_buf_ring_advance(br, 4);
            sqe = io_uring_get_sqe(ring);
            io_uring_prep_recv_multishot(sqe, sv[0], NULL, 0, 0);
            sqe->flags |= IOSQE_BUFFER_SELECT;
            sqe->buf_group = 0;
            r->ms_recv = one_cqe(ring, &flags);
            r->ms_recv = r->ms_recv > 0 ? 0 : r->ms_recv < 0 ? r->ms_recv : -EIO;
        }
    }
    close(sv[0]);
    close(sv[1]);
    return mem;
}

int lc__ur_completion_ops(struct io_uring *ring)
{
    /* io_uring_stream.c submits these; IORING_OP_RECV and IORING_OP_SEND
     * came last (5.6, with io_uring_get_probe itself). */
    static const int need[] = {IORING_OP_RECV, IORING_OP_SEND, IORING_OP_SENDMSG,
                               IORING_OP_ASYNC_CANCEL};
    struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
    int ok = probe != NULL;
    for (size_t i = 0; ok && i < sizeof need / sizeof need[0]; i++)
        ok = io_uring_opcode_supported(probe, need[i]);
    if (probe)
        io_uring_free_probe(probe);
    return ok ? 0 : LC_ENOTSUP;
}

size_t lc__ur_kernel_features(lc_backend_feature *out, size_t cap)
{
    size_t n = 0;
    struct io_uring_params p;
    struct io_uring ring;
    int base = io_uring_queue_init(8, &ring, 0);
    /* io_uring_get_probe(3): IORING_REGISTER_PROBE, Linux 5.6. */
    struct io_uring_probe *probe = base == 0 ? io_uring_get_probe_ring(&ring) : NULL;
    for (size_t i = 0; i < NOPS; i++)
        put(out, cap, &n, ur_ops[i].name, ur_ops[i].since, ur_ops[i].probe,
            base < 0 ? base
            : !probe ? -EINVAL
            : io_uring_opcode_supported(probe, ur_ops[i].op) ? 0 : -EOPNOTSUPP);
    if (probe)
        io_uring_free_probe(probe);

    /* The flags ring_open() asks for (io_uring_setup(2)). */
    put(out, cap, &n, "setup_r_disabled", "5.10", "io_uring_setup(IORING_SETUP_R_DISABLED)",
        try_setup(IORING_SETUP_R_DISABLED, &p));
    put(out, cap, &n, "setup_single_issuer", "6.0", "io_uring_setup(IORING_SETUP_SINGLE_ISSUER)",
        try_setup(IORING_SETUP_SINGLE_ISSUER, &p));
    put(out, cap, &n, "setup_defer_taskrun", "6.1",
        "io_uring_setup(IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN|IORING_SETUP_TASKRUN_FLAG)",
        try_setup(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG, &p));
    /* io_uring_enter(2) IORING_ENTER_EXT_ARG: the wait's timespec goes with
     * the enter itself (5.11); before, liburing submits an IORING_OP_TIMEOUT. */
    int ext = try_setup(0, &p);
    put(out, cap, &n, "feat_ext_arg", "5.11", "io_uring_setup: IORING_FEAT_EXT_ARG",
        ext < 0 ? ext : (p.features & IORING_FEAT_EXT_ARG) ? 0 : -EINVAL);

    int ms_poll = base < 0 ? base : probe_multishot_poll(&ring);
    put(out, cap, &n, "multishot_poll", "5.13", "IORING_OP_POLL_ADD(IORING_POLL_ADD_MULTI) on a pipe",
        ms_poll);
    struct recv_probe r = {base, base, base};
    if (base == 0) {
        void *mem = probe_recv(&ring, &r);
        /* The ring's exit cancels the multishot receive still armed: the
         * buffers stay mapped until then. */
        io_uring_queue_exit(&ring);
        if (mem)
            munmap(mem, 4096);
    }
    put(out, cap, &n, "buf_ring", "5.19", "io_uring_register_buf_ring", r.br);
    put(out, cap, &n, "recvsend_poll_first", "5.19",
        "IORING_OP_RECV(IORING_RECVSEND_POLL_FIRST) on a socketpair, not refused "
        "(kernels before 5.19 may ignore the flag)", r.poll_first);
    put(out, cap, &n, "multishot_recv", "6.0",
        "IORING_OP_RECV(IORING_RECV_MULTISHOT) on a socketpair", r.br < 0 ? r.br : r.ms_recv);
    return n;
}

#endif /* LC_HAVE_LIBURING */
