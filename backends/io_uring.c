/* io_uring backend (liburing): readiness through IORING_OP_POLL_ADD.
 *
 * io_uring_enter(2), IORING_OP_POLL_ADD: "This command works like an async
 * poll(2) and the completion event result is the returned mask of events."
 * So it accepts what poll(2) accepts: a file without a poll method (regular
 * file, directory, /dev/null) completes at once with the default mask,
 * readable and writable — the same answer poll(2) and select(2) give.
 *
 * Multishot polls (IORING_POLL_ADD_MULTI, Linux 5.13) stay armed and post a
 * CQE with IORING_CQE_F_MORE each time "the requested event becomes true":
 * the first completion reflects the state at arming time, later ones follow
 * wakeups (liburing issues 829, 1014).  The loop's readers are level-
 * triggered, as asyncio's selectors are, so an fd reported in one poll is
 * re-polled in the next with IORING_POLL_UPDATE_EVENTS, which re-arms the
 * request and completes it again if the fd is still ready.  A kernel that
 * rejects the multishot flag (EINVAL before 5.13) gets one-shot polls,
 * re-added after each completion, and so does a kernel before 6.1, whose
 * updates can silence a poll (poll_update_trusted());
 * LOOPCOMPAT_IO_URING_ONESHOT=1 forces that path (and one receive per read in completion mode, io_uring_stream.c).
 *
 * watch() only queues SQEs (add, update, remove); they go to the kernel with
 * the wait, in one io_uring_enter(2) with a nanosecond __kernel_timespec
 * (io_uring_submit_and_wait_timeout(3)).  Removals are submitted at once: a
 * pending poll holds a reference to the file, and a socket closed right
 * after remove_reader() must really close.
 *
 * user_data = generation << 32 | fd.  Every new poll request of an fd gets a
 * fresh generation, so completions of a removed request (ECANCELED) or of an
 * earlier registration of the same fd number are recognised and dropped.
 * Generation 0 marks update/remove requests, whose completions carry
 * nothing the loop needs: a failed update means the poll already ended, and
 * that poll's own last CQE (without IORING_CQE_F_MORE) says so.
 *
 * Completion mode (LC_LOOP_COMPLETION): stream transports have their recv
 * and send performed by the ring itself (io_uring_stream.c); their ops
 * carry LC__UR_OP_BIT in user_data and their CQEs go there.
 *
 * io_uring_setup(2) refusals are reported by the probe: EPERM from
 * kernel.io_uring_disabled (Documentation/admin-guide/sysctl/kernel.rst) or
 * from a seccomp filter (Docker's default profile, liburing issue 1078),
 * ENOSYS from a kernel built without io_uring. */
#include "lc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifdef LC_HAVE_LIBURING

#include "io_uring_internal.h"

#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#define UR_ENTRIES 256u
/* Completions can outnumber submissions (a multishot poll, a recv on every
 * connection): a larger CQ ring keeps them out of the kernel's overflow
 * list (io_uring_setup(2), IORING_SETUP_CQSIZE). */
#define UR_CQ_ENTRIES 4096u
/* capabilities(7): CAP_SYS_ADMIN is capability 21. */
#define CAP_SYS_ADMIN_BIT 21

struct ur_fd {
    unsigned events;   /* LC__EV_* interest the kernel knows (or will know) */
    uint32_t gen;      /* generation of the live poll request, 0 if none */
    unsigned acc;      /* LC__EV_* bits collected in this poll */
    bool armed;        /* a poll request is (as far as we know) in the kernel */
    bool pending;      /* on the pending list: re-poll or re-add next time */
    bool touched;      /* on the touched list of this poll */
    /* The POLL_ADD SQE of the live request and the submission count when
     * it was taken: while they match, the kernel has not seen it. */
    struct io_uring_sqe *add_sqe;
    uint32_t add_submits;
};

static int64_t ur_granularity(unsigned flags)
{
    /* IORING_ENTER_EXT_ARG (5.11) carries a __kernel_timespec; older kernels
     * get a linked IORING_OP_TIMEOUT from liburing, also in ns. */
    return (flags & LC_LOOP_COARSE_TIMEOUT) ? 1000000 : 1;
}

static int read_sysctl_int(const char *path, int *out)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int ok = fscanf(f, "%d", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

/* A hexadecimal or decimal field of /proc/self/status (proc(5)): "Seccomp"
 * (2 = a filter is installed), "CapEff" (the effective capabilities). */
static int status_field(const char *name, unsigned long long *out)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (f == NULL)
        return -1;
    char line[256];
    size_t len = strlen(name);
    int found = -1;
    while (found < 0 && fgets(line, sizeof line, f)) {
        if (strncmp(line, name, len) != 0 || line[len] != ':')
            continue;
        const char *fmt = strcmp(name, "CapEff") == 0 ? "%llx" : "%llu";
        found = sscanf(line + len + 1, fmt, out) == 1 ? 0 : -1;
        break;
    }
    fclose(f);
    return found;
}

static int seccomp_filtered(void)
{
    unsigned long long mode = 0;
    return status_field("Seccomp", &mode) == 0 && mode == 2;
}

static int has_cap_sys_admin(void)
{
    unsigned long long caps = 0;
    return status_field("CapEff", &caps) == 0 && (caps >> CAP_SYS_ADMIN_BIT & 1);
}

static void explain_eperm(lc_probe *why)
{
    int disabled = 0;
    int have_sysctl = read_sysctl_int("/proc/sys/kernel/io_uring_disabled", &disabled) == 0;
    why->reason = LC_REASON_DISABLED_BY_POLICY;
    if (have_sysctl && disabled == 2) {
        snprintf(why->message, sizeof why->message,
                 "io_uring_setup: EPERM (kernel.io_uring_disabled = 2: io_uring is disabled "
                 "for all processes)");
    } else if (have_sysctl && disabled == 1 && !has_cap_sys_admin()) {
        snprintf(why->message, sizeof why->message,
                 "io_uring_setup: EPERM (kernel.io_uring_disabled = 1: only CAP_SYS_ADMIN or "
                 "members of kernel.io_uring_group may create rings)");
    } else if (seccomp_filtered()) {
        snprintf(why->message, sizeof why->message,
                 "io_uring_setup: EPERM (kernel.io_uring_disabled = %d; a seccomp filter is "
                 "installed and refuses io_uring_setup)", disabled);
    } else {
        why->reason = LC_REASON_PROBE_FAILED;
        snprintf(why->message, sizeof why->message,
                 "io_uring_setup: EPERM (kernel.io_uring_disabled = %d, no seccomp filter: "
                 "refused by a security module?)", disabled);
    }
}

static int ur_probe(lc_probe *why)
{
    /* Not cached: a seccomp filter or the sysctl may change what a process
     * gets, and a ring of two entries costs little. */
    struct io_uring ring;
    int rc = io_uring_queue_init(2, &ring, 0);
    if (rc == 0) {
        io_uring_queue_exit(&ring);
        why->available = 1;
        return 0;
    }
    int err = -rc;
    why->available = 0;
    why->sys_errno = err;
    if (err == ENOSYS) {
        why->reason = LC_REASON_NOT_APPLICABLE;
        snprintf(why->message, sizeof why->message,
                 "io_uring_setup: ENOSYS (the kernel was built without io_uring)");
    } else if (err == EPERM) {
        explain_eperm(why);
    } else {
        why->reason = LC_REASON_PROBE_FAILED;
        snprintf(why->message, sizeof why->message, "io_uring_setup: %s", strerror(err));
    }
    return 0;
}

/* The ring runs its task work only when the loop enters it
 * (IORING_SETUP_DEFER_TASKRUN, Linux 6.1; it requires
 * IORING_SETUP_SINGLE_ISSUER, 6.0): the polls, receives and sends that
 * complete during an iteration are finished in one batch inside the next
 * io_uring_enter(2), not one interruption of the loop's thread each
 * (io_uring_setup(2)).  The price is that one thread owns the ring;
 * R_DISABLED (5.10) leaves the choice of that thread to the first entry,
 * normally in lc_loop_run, so a loop may still be made in one thread and
 * run in another.  A loop run later by another thread moves to a new ring
 * (ur_poll) unless completion-mode transports hold buffers in the old one.
 * A kernel that refuses the flags (EINVAL) gets a plain ring. */
static int ring_open(struct lc__uring *u)
{
    struct io_uring_params p;
    int rc = -EINVAL;
    u->bound = u->enabled = false;
    if (!u->no_bind) {
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CLAMP | IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER |
                  IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_R_DISABLED;
        p.cq_entries = UR_CQ_ENTRIES;
        rc = io_uring_queue_init_params(UR_ENTRIES, &u->ring, &p);
        u->bound = rc == 0;
        if (rc == -EINVAL)
            u->no_bind = true;
    }
    if (rc == -EINVAL) {
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CLAMP | IORING_SETUP_CQSIZE;
        p.cq_entries = UR_CQ_ENTRIES;
        rc = io_uring_queue_init_params(UR_ENTRIES, &u->ring, &p);
    }
    /* IORING_SETUP_CQSIZE came with 5.5 and IORING_SETUP_CLAMP with 5.6
     * (io_uring_setup(2)): a 5.4 kernel takes the ring with its default
     * CQ size (twice the SQ), as the probe's ring was made. */
    if (rc == -EINVAL) {
        memset(&p, 0, sizeof p);
        rc = io_uring_queue_init_params(UR_ENTRIES, &u->ring, &p);
    }
    if (rc < 0)
        return rc;
    u->ring_ok = true;
    return 0;
}

int lc__ur_may_enter(struct lc__uring *u)
{
    if (!u->bound)
        return 0;
    if (u->enabled)
        return pthread_equal(u->owner, pthread_self()) ? 0 : LC_EBUSY;
    /* io_uring_register(2) itself: Debian 12's liburing 2.3 declares
     * io_uring_enable_rings() but does not export it. */
    if (syscall(__NR_io_uring_register, u->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
        return -errno;
    u->enabled = true;
    u->owner = pthread_self();
    return 0;
}

/* Task work the kernel holds for a bound ring until it is entered
 * (IORING_SETUP_TASKRUN_FLAG sets IORING_SQ_TASKRUN then). */
static bool taskrun_pending(const struct lc__uring *u)
{
    return u->bound && (IO_URING_READ_ONCE(*u->ring.sq.kflags) & IORING_SQ_TASKRUN);
}

static bool poll_update_trusted(void);

static int ur_init(lc_loop *loop)
{
    struct lc__uring *u = calloc(1, sizeof *u);
    if (u == NULL)
        return LC_ENOMEM;
    int rc = ring_open(u);
    if (rc == 0 && (loop->opts.flags & LC_LOOP_COMPLETION))
        rc = lc__ur_completion_ops(&u->ring);
    if (rc < 0) {
        if (u->ring_ok)
            io_uring_queue_exit(&u->ring);
        free(u);
        return rc;
    }
    const char *env = getenv("LOOPCOMPAT_IO_URING_ONESHOT");
    u->multishot = (env && strcmp(env, "1") == 0) ? 0 : -1;
    u->no_ms_recv = u->multishot == 0; /* and one receive per read */
    if (!poll_update_trusted())
        u->multishot = 0;
    u->next_gen = 1;
    lc__ur_streams_init(u);
    u->cur_bid = -1;
    loop->backend = u;
    return 0;
}

static void ur_destroy(lc_loop *loop)
{
    struct lc__uring *u = loop->backend;
    if (u) {
        if (u->ring_ok)
            io_uring_queue_exit(&u->ring); /* cancels every poll request */
        lc__ur_streams_destroy(u);
        free(u->fds);
        free(u->pending);
        free(u->touched);
        free(u);
    }
    loop->backend = NULL;
}

static int ur_check_fd(lc_loop *loop, int fd)
{
    /* POLL_ADD takes any open file (see the top of this file). */
    (void)loop;
    (void)fd;
    return 0;
}

static int grow_list(int **v, int *cap, int need)
{
    if (need <= *cap)
        return 0;
    int n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    int *nv = realloc(*v, (size_t)n * sizeof *nv);
    if (nv == NULL)
        return LC_ENOMEM;
    *v = nv;
    *cap = n;
    return 0;
}

static int ensure_fd(struct lc__uring *u, int fd)
{
    if (fd < u->nfds)
        return 0;
    int n = u->nfds ? u->nfds : 64;
    while (n <= fd)
        n *= 2;
    struct ur_fd *nf = realloc(u->fds, (size_t)n * sizeof *nf);
    if (nf == NULL)
        return LC_ENOMEM;
    memset(nf + u->nfds, 0, (size_t)(n - u->nfds) * sizeof *nf);
    u->fds = nf;
    u->nfds = n;
    return 0;
}

static int mark_pending(struct lc__uring *u, int fd)
{
    if (u->fds[fd].pending)
        return 0;
    if (grow_list(&u->pending, &u->cap_pending, u->npending + 1) < 0)
        return LC_ENOMEM;
    u->pending[u->npending++] = fd;
    u->fds[fd].pending = true;
    return 0;
}

struct io_uring_sqe *lc__ur_get_sqe(struct lc__uring *u, int *err)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (sqe == NULL) {
        int rc = lc__ur_may_enter(u);
        if (rc < 0) {
            *err = rc;
            return NULL;
        }
        u->submits++;
        rc = io_uring_submit(&u->ring);
        if (rc < 0) {
            *err = rc;
            return NULL;
        }
        sqe = io_uring_get_sqe(&u->ring);
        if (sqe == NULL)
            *err = -EBUSY;
    }
    return sqe;
}

/* Generations of update and remove requests (never given to a poll).  Poll
 * generations stay below GEN_UPDATE < 2^31, so bit 63 of user_data is free
 * for the completion-mode ops (LC__UR_OP_BIT). */
#define GEN_REMOVE 0u
#define GEN_UPDATE 0x7fffffffu

static uint64_t ud_of(uint32_t gen, int fd) { return (uint64_t)gen << 32 | (uint32_t)fd; }

static unsigned to_poll_mask(unsigned ev)
{
    return ((ev & LC__EV_READ) ? POLLIN : 0u) | ((ev & LC__EV_WRITE) ? POLLOUT : 0u);
}

static int queue_add(struct lc__uring *u, int fd)
{
    struct ur_fd *f = &u->fds[fd];
    int err = 0;
    struct io_uring_sqe *sqe = lc__ur_get_sqe(u, &err);
    if (sqe == NULL)
        return err;
    if (++u->next_gen == GEN_UPDATE)
        u->next_gen = 1;
    f->gen = u->next_gen;
    if (u->multishot != 0)
        io_uring_prep_poll_multishot(sqe, fd, to_poll_mask(f->events));
    else
        io_uring_prep_poll_add(sqe, fd, to_poll_mask(f->events));
    io_uring_sqe_set_data64(sqe, ud_of(f->gen, fd));
    f->armed = true;
    f->add_sqe = sqe;
    f->add_submits = u->submits;
    return 0;
}

/* A poll added and removed before any submission (a transport's check of
 * its fd, add_reader then remove_reader in one callback) never reaches the
 * kernel: its SQE becomes an IORING_OP_NOP (io_uring_enter(2)) whose
 * completion is ignored, and no removal has to be submitted. */
static bool unqueue_add(struct lc__uring *u, int fd)
{
    struct ur_fd *f = &u->fds[fd];
    if (!f->armed || f->add_sqe == NULL || f->add_submits != u->submits)
        return false;
    io_uring_prep_nop(f->add_sqe);
    io_uring_sqe_set_data64(f->add_sqe, ud_of(GEN_REMOVE, fd));
    f->add_sqe = NULL;
    f->armed = false;
    f->gen = 0;
    return true;
}

static int queue_remove(struct lc__uring *u, int fd)
{
    struct ur_fd *f = &u->fds[fd];
    int err = 0;
    if (f->armed) {
        struct io_uring_sqe *sqe = lc__ur_get_sqe(u, &err);
        if (sqe == NULL)
            return err;
        io_uring_prep_poll_remove(sqe, ud_of(f->gen, fd));
        io_uring_sqe_set_data64(sqe, ud_of(GEN_REMOVE, fd));
    }
    f->armed = false;
    f->gen = 0;
    return 0;
}

/* Whether the running kernel's IORING_POLL_UPDATE_EVENTS may be used to
 * re-poll.  An update re-arms the request, and on a file that polls on two
 * wait queues (a tty: n_tty_poll's read_wait and write_wait; a FIFO open
 * read-write) that re-arm fails.  Linux 6.1 and later end the request then
 * (-ECANCELED when nothing is ready, handled in handle_cqe).  Debian's
 * 5.10.223, whose io_uring is a stable backport taking multishot polls,
 * posts the update's CQE (res 0) and nothing more: the old poll neither
 * completes nor ends, and a PTY reader stalls after its first drained
 * readiness (docs/io_uring-pty-6.12.md, "Linux 5.10").  Measured on
 * 5.10.223 (stalls) and 6.1.176 (does not), not bisected: every kernel
 * before 6.1 gets one-shot polls, re-added after each completion, which
 * never update a request. */
static bool poll_update_trusted(void)
{
    struct utsname un;
    unsigned major = 0, minor = 0;
    if (uname(&un) != 0 || sscanf(un.release, "%u.%u", &major, &minor) != 2)
        return true; /* unknown: the multishot path, as on a current kernel */
    return major > 6 || (major == 6 && minor >= 1);
}

/* Re-poll a live multishot request with the current interest: the kernel
 * re-arms it and completes it at once if the fd is ready. */
static int queue_update(struct lc__uring *u, int fd)
{
    struct ur_fd *f = &u->fds[fd];
    int err = 0;
    struct io_uring_sqe *sqe = lc__ur_get_sqe(u, &err);
    if (sqe == NULL)
        return err;
    io_uring_prep_poll_update(sqe, ud_of(f->gen, fd), 0, to_poll_mask(f->events),
                              IORING_POLL_UPDATE_EVENTS);
    io_uring_sqe_set_data64(sqe, ud_of(GEN_UPDATE, fd));
    return 0;
}

static int ur_watch(lc_loop *loop, int fd, unsigned old_ev, unsigned new_ev)
{
    struct lc__uring *u = loop->backend;
    (void)old_ev;
    int rc = ensure_fd(u, fd);
    if (rc < 0)
        return rc;
    struct ur_fd *f = &u->fds[fd];
    f->events = new_ev;
    if (new_ev == 0) {
        if (unqueue_add(u, fd))
            return 0;
        if ((rc = queue_remove(u, fd)) < 0)
            return rc;
        /* Drop the pending poll's file reference now (see the top); a
         * bound ring owned by another thread submits it with its next
         * poll. */
        if (lc__ur_may_enter(u) < 0)
            return 0;
        u->submits++;
        rc = io_uring_submit(&u->ring);
        return rc < 0 && rc != -EINTR ? rc : 0;
    }
    if (!f->armed)
        return f->pending ? 0 : queue_add(u, fd);
    if (u->multishot != 0)
        return queue_update(u, fd);
    /* One-shot polls cannot be updated before 5.13: replace the request. */
    if ((rc = queue_remove(u, fd)) < 0)
        return rc;
    return queue_add(u, fd);
}

/* Queue the re-polls of fds reported last time and the re-adds of polls
 * that ended. */
static int flush_pending(struct lc__uring *u)
{
    int rc = 0;
    int i = 0;
    for (; i < u->npending && rc == 0; i++) {
        int fd = u->pending[i];
        struct ur_fd *f = &u->fds[fd];
        f->pending = false;
        if (f->events == 0)
            continue;
        rc = (f->armed && u->multishot != 0) ? queue_update(u, fd) : queue_add(u, fd);
    }
    if (rc < 0) { /* keep the rest for the next poll */
        int keep = 0;
        for (int j = i - 1; j < u->npending; j++) {
            u->pending[keep++] = u->pending[j];
            u->fds[u->pending[j]].pending = true;
        }
        u->npending = keep;
        return rc;
    }
    u->npending = 0;
    return 0;
}

static unsigned from_poll_mask(unsigned re)
{
    /* As poll.c and Lib/selectors.py: anything but POLLOUT counts as
     * readable, anything but POLLIN as writable (HUP, ERR wake both). */
    unsigned ev = 0;
    if (re & ~(unsigned)POLLOUT)
        ev |= LC__EV_READ;
    if (re & ~(unsigned)POLLIN)
        ev |= LC__EV_WRITE;
    return ev;
}

static void touch(struct lc__uring *u, int fd, unsigned ev)
{
    struct ur_fd *f = &u->fds[fd];
    if (!f->touched) {
        if (grow_list(&u->touched, &u->cap_touched, u->ntouched + 1) < 0)
            return; /* the fd is pending: its re-poll reports it again */
        u->touched[u->ntouched++] = fd;
        f->touched = true;
        f->acc = 0;
    }
    f->acc |= ev;
}

/* Remove a poll request we no longer track.  A POLL_REMOVE that meets a
 * request while its completion is being posted fails (EALREADY) and the
 * multishot request lives on, holding its file: its next CQE brings it here. */
static void remove_stale(struct lc__uring *u, uint64_t ud)
{
    int err = 0;
    struct io_uring_sqe *sqe = lc__ur_get_sqe(u, &err);
    if (sqe == NULL)
        return;
    io_uring_prep_poll_remove(sqe, ud);
    io_uring_sqe_set_data64(sqe, ud_of(GEN_REMOVE, (int)(uint32_t)ud));
    u->stale = true;
}

static void handle_cqe(struct lc__uring *u, const struct io_uring_cqe *cqe)
{
    uint64_t ud = io_uring_cqe_get_data64(cqe);
    if (ud & LC__UR_OP_BIT) {
        lc__ur_stream_cqe(u, cqe);
        return;
    }
    uint32_t gen = (uint32_t)(ud >> 32);
    int fd = (int)(uint32_t)ud;
    if (fd < 0 || fd >= u->nfds || gen == GEN_REMOVE)
        return;
    struct ur_fd *f = &u->fds[fd];
    if (gen == GEN_UPDATE) {
        /* A failed update leaves the old mask armed: update again.  ENOENT:
         * the poll ended, and its last CQE re-adds it. */
        if (cqe->res < 0 && cqe->res != -ENOENT && f->events && f->armed)
            mark_pending(u, fd);
        return;
    }
    if (f->gen != gen || f->events == 0) {
        if (cqe->flags & IORING_CQE_F_MORE)
            remove_stale(u, ud);
        return; /* a removed or replaced request */
    }
    bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    if (!more)
        f->armed = false;
    if (cqe->res == -EINVAL && u->multishot < 0) {
        /* Before 5.13 the multishot flag is an invalid len. */
        u->multishot = 0;
        mark_pending(u, fd);
        return;
    }
    if (more && u->multishot < 0)
        u->multishot = 1;
    if (cqe->res == -ECANCELED) {
        /* The kernel ended the poll without an event: not readiness.  An
         * update cannot re-arm a poll whose file waits on two queues (a tty:
         * n_tty_poll's read_wait and write_wait; a FIFO open read-write):
         * the re-arm meets the poll's old second wait entry, and
         * io_poll_remove() ends the request with -ECANCELED when nothing is
         * ready (io_uring/poll.c, __io_queue_proc; docs/io_uring-pty-6.12.md).
         * Reporting it would wake the reader for an EAGAIN after each real
         * event; a new poll is added instead. */
        mark_pending(u, fd);
        return;
    }
    unsigned ev = cqe->res < 0 ? (LC__EV_READ | LC__EV_WRITE) : from_poll_mask((unsigned)cqe->res);
    ev &= f->events;
    if (ev) {
        touch(u, fd, ev);
        mark_pending(u, fd); /* level-triggered: look again next time */
    } else if (!f->armed) {
        mark_pending(u, fd);
    }
}

void lc__ur_reap(struct lc__uring *u)
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&u->ring, head, cqe) {
        handle_cqe(u, cqe);
        n++;
    }
    io_uring_cq_advance(&u->ring, n);
}

/* The wait's timer has no slack: io_cqring_schedule_timeout() arms it with
 * hrtimer_set_expires_range_ns(..., 0) (Linux io_uring/wait.c), where
 * epoll_pwait2, ppoll and pselect let the kernel defer the wakeup by the
 * thread's timer slack (prctl(2), PR_SET_TIMERSLACK).  Without it a loop
 * whose timers are a few µs apart wakes once per deadline (1 000 000
 * shuffled timers: 29 000 waits and 3x libev's dispatch CPU); with it the
 * timers of one slack window fire on one wakeup, as on the other
 * backends.  A thread that wants the precise wakeup lowers its slack to
 * 1 ns, as it would for epoll. */
static int64_t with_slack(lc_loop *loop, int64_t timeout_ns)
{
    int64_t slack = lc__timer_slack_ns(loop);
    return timeout_ns > INT64_MAX - slack ? INT64_MAX : timeout_ns + slack;
}

static int ring_renew(lc_loop *loop);

static int ur_poll(lc_loop *loop, int64_t timeout_ns)
{
    struct lc__uring *u = loop->backend;
    int rc = lc__ur_may_enter(u);
    if (rc == LC_EBUSY && !lc__ur_streams_any(u)) {
        /* Run by a thread that does not own the ring.  Poll requests hold
         * no memory of the loop's, so the old ring may be closed from any
         * thread (the kernel cancels its requests): the loop moves to a
         * new one, as a forked child does.  Completion-mode transports
         * hold buffers in theirs: such a loop stays with its thread. */
        if ((rc = ring_renew(loop)) == 0) {
            lc__ur_streams_moved(u);
            rc = lc__ur_may_enter(u);
        }
    }
    if (rc < 0)
        return rc;
    if ((rc = flush_pending(u)) < 0)
        return rc;
    if ((rc = lc__ur_streams_flush(u)) < 0)
        return rc;
    if (lc__ur_streams_ready(u))
        timeout_ns = 0; /* completions reaped outside a poll wait for complete() */
    struct __kernel_timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        if (loop->opts.flags & LC_LOOP_COARSE_TIMEOUT)
            timeout_ns = (int64_t)lc__timeout_ms_ceil(timeout_ns) * 1000000;
        if (timeout_ns > 0)
            timeout_ns = with_slack(loop, timeout_ns);
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tsp = &ts;
    }
    struct io_uring_cqe *cqe = NULL;
    if (timeout_ns == 0 && !io_uring_cq_has_overflow(&u->ring)) {
        /* Nothing to wait for: submit what is queued, if anything, and reap.
         * Poll completions reach the CQ ring through task work the kernel
         * runs on any return to user space, so no io_uring_enter(2) with a
         * zero timeout is needed (it costs a timer setup) — except on a
         * bound ring, whose task work waits for an entry with GETEVENTS. */
        u->submits++;
        bool queued = io_uring_sq_ready(&u->ring) > 0;
        if (u->bound)
            rc = queued || taskrun_pending(u) ? io_uring_submit_and_get_events(&u->ring) : 0;
        else
            rc = queued ? io_uring_submit(&u->ring) : 0;
    } else {
        u->submits++;
        rc = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, tsp, NULL);
    }
    /* ETIME: the timeout passed; EINTR: a signal; EAGAIN/EBUSY: the kernel
     * wants the CQ ring reaped first.  None of them is a loop error. */
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
        return rc;

    lc__ur_reap(u);
    if (u->stale) { /* release their files now, not at the next poll */
        u->stale = false;
        u->submits++;
        rc = io_uring_submit(&u->ring);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
            return rc;
    }

    int nready = u->ntouched;
    for (int i = 0; i < u->ntouched; i++) {
        int fd = u->touched[i];
        u->fds[fd].touched = false;
        lc__io_event(loop, fd, u->fds[fd].acc);
    }
    u->ntouched = 0;
    return nready;
}

/* A new ring for the loop, every watched fd polled again on it. */
static int ring_renew(lc_loop *loop)
{
    struct lc__uring *u = loop->backend;
    if (u->ring_ok)
        io_uring_queue_exit(&u->ring);
    u->ring_ok = false;
    int rc = ring_open(u);
    if (rc < 0)
        return rc;
    u->npending = 0;
    u->ntouched = 0;
    for (int fd = 0; fd < u->nfds; fd++) {
        struct ur_fd *f = &u->fds[fd];
        f->armed = f->pending = f->touched = false;
        f->gen = 0;
        f->add_sqe = NULL;
        if (f->events && (rc = mark_pending(u, fd)) < 0)
            return rc;
    }
    return 0;
}

static int ur_after_fork(lc_loop *loop)
{
    /* The child shares the parent's ring (io_uring_setup(2): the rings are
     * shared memory); unmapping and closing our copy leaves the parent's
     * requests alone. */
    int rc = ring_renew(loop);
    if (rc == 0)
        lc__ur_streams_after_fork(loop->backend);
    return rc;
}

const struct lc_backend_ops lc__backend_io_uring = {
    .name = "io_uring",
    .features = LC_FEAT_ANY_FD | LC_FEAT_NS_TIMEOUT | LC_FEAT_SHARED_KERNEL_STATE |
                LC_FEAT_COMPLETION,
    .granularity = ur_granularity,
    .kernel_features = lc__ur_kernel_features,
    .probe = ur_probe,
    .init = ur_init,
    .destroy = ur_destroy,
    .check_fd = ur_check_fd,
    .watch = ur_watch,
    .poll = ur_poll,
    .after_fork = ur_after_fork,
    .stream_start = lc__ur_stream_start,
    .stream_recv = lc__ur_stream_recv,
    .stream_send = lc__ur_stream_send,
    .stream_cancel = lc__ur_stream_cancel,
    .complete = lc__ur_complete,
    .wbuf_borrow = lc__ur_wbuf_borrow,
    .wbuf_release = lc__ur_wbuf_release,
};

#else /* !LC_HAVE_LIBURING */

/* Built without liburing: the backend is listed, and its probe says why it
 * cannot be used.  lc_loop_new() probes before init, so the table needs
 * nothing else. */
static int64_t ur_granularity(unsigned flags)
{
    (void)flags;
    return 0;
}

static int ur_probe(lc_probe *why)
{
    why->available = 0;
    why->reason = LC_REASON_NOT_BUILT;
    why->sys_errno = 0;
    snprintf(why->message, sizeof why->message,
             "built without liburing (pkg-config found no liburing at configure time)");
    return 0;
}

const struct lc_backend_ops lc__backend_io_uring = {
    .name = "io_uring",
    .features = 0,
    .granularity = ur_granularity,
    .probe = ur_probe,
};

#endif
