/* A multishot IORING_OP_POLL_ADD updated with IORING_POLL_UPDATE_EVENTS
 * while its file is readable must go on completing: Linux 6.12.63 and
 * earlier 6.12 builds lose it when the file polls on two wait queues (a PTY
 * master, a FIFO opened read-write), the io_uring backend's re-poll path.
 *
 * The sequence, on a fresh ring for each file:
 *   1. POLL_ADD(POLLIN, IORING_POLL_ADD_MULTI), user_data 1;
 *   2. make the file readable (one byte written to its peer, never read);
 *   3. wait for the poll's CQE (POLLIN, IORING_CQE_F_MORE);
 *   4. POLL_REMOVE with IORING_POLL_UPDATE_EVENTS and the same POLLIN mask
 *      (io_uring_prep_poll_update(3)), user_data 2, as the backend does to
 *      ask "still ready?" of a level-triggered reader;
 *   5. wait up to 1 s for CQEs: the update's (res 0) and one more of the
 *      poll (the file is still readable).
 *
 * Why it fails there: a file whose poll method calls poll_wait() on two wait
 * queues (n_tty_poll: tty->read_wait and tty->write_wait; pipe_poll on a
 * FIFO open for both reading and writing: rd_wait and wr_wait) gives the
 * POLL_ADD a second wait entry, kept in req->async_data.  The update
 * re-arms the request through io_poll_add(); the second queue now meets the
 * old entry and __io_queue_proc() fails with -EINVAL, so
 * __io_arm_poll_handler() completes the poll inline with the ready mask and
 * io_poll_add() returns IOU_OK.  io_poll_remove() took that 0 for "armed
 * again" ("if (!ret2 || ret2 == -EIOCBQUEUED) goto out"): the request is
 * neither armed nor completed, and no CQE ever comes, for this readiness or
 * any later one (data, hangup).  Fixed by 84230ad2d2af ("io_uring/poll:
 * correctly handle io_poll_add() return value on update", mainline December
 * 2025; stable 6.12.64 and 6.1.160): the completion is posted, with the
 * mask, without IORING_CQE_F_MORE (the poll ended; the caller adds it
 * again).  A plain pipe (one wait queue) re-arms normally: the control.
 *
 * Exit status: 0 every file behaved, 1 a completion was lost (or another
 * wrong answer), 77 skipped (no io_uring, no pseudo-terminal).  -v prints
 * every CQE. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2(2) */
#endif
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

enum { UD_POLL = 1, UD_UPDATE = 2 };

static int verbose;

struct seen {
    int update, update_res;
    int poll, poll_res;
    unsigned poll_flags;
};

/* CQEs until `ms` has passed or `done` says enough. */
static int collect(struct io_uring *ring, int ms, struct seen *s, int (*done)(const struct seen *))
{
    struct __kernel_timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    while (!done(s)) {
        struct io_uring_cqe *cqe;
        int rc = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
        if (rc == -ETIME)
            return 0;
        if (rc < 0) {
            fprintf(stderr, "io_uring_wait_cqe_timeout: %s\n", strerror(-rc));
            return -1;
        }
        if (verbose)
            printf("    cqe user_data %llu res %d (0x%x) flags %s\n",
                   (unsigned long long)cqe->user_data, cqe->res, (unsigned)cqe->res,
                   (cqe->flags & IORING_CQE_F_MORE) ? "MORE" : "-");
        if (cqe->user_data == UD_UPDATE) {
            s->update++;
            s->update_res = cqe->res;
        } else if (cqe->user_data == UD_POLL) {
            s->poll++;
            s->poll_res = cqe->res;
            s->poll_flags = cqe->flags;
        }
        io_uring_cqe_seen(ring, cqe);
    }
    return 0;
}

static int first_done(const struct seen *s) { return s->poll > 0; }
static int update_done(const struct seen *s) { return s->update > 0 && s->poll > 0; }

static struct io_uring_sqe *sqe_of(struct io_uring *ring)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (sqe == NULL) { /* a ring of 8 entries with at most one queued */
        fprintf(stderr, "io_uring_get_sqe: the submission ring is full\n");
        exit(1);
    }
    return sqe;
}

/* 0 the poll completed again after the update, 1 it did not, 77 the kernel
 * has no multishot poll, -1 setup failed. */
static int run(const char *what, int fd, int peer)
{
    struct io_uring ring;
    int rc = io_uring_queue_init(8, &ring, 0);
    if (rc < 0) {
        fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-rc));
        return -1;
    }
    printf("%s:\n", what);
    struct io_uring_sqe *sqe = sqe_of(&ring);
    io_uring_prep_poll_multishot(sqe, fd, POLLIN);
    io_uring_sqe_set_data64(sqe, UD_POLL);
    io_uring_submit(&ring);

    int result = -1;
    struct seen s = {0};
    if (write(peer, "x", 1) != 1) {
        perror("write");
        goto out;
    }
    if (collect(&ring, 2000, &s, first_done) < 0)
        goto out;
    if (s.poll == 1 && s.poll_res == -EINVAL) {
        /* Before 5.13 IORING_POLL_ADD_MULTI is an invalid len
         * (io_uring_prep_poll_multishot(3)): nothing to update. */
        printf("  skipped: POLL_ADD with IORING_POLL_ADD_MULTI: EINVAL (multishot poll is 5.13)\n");
        result = 77;
        goto out;
    }
    if (s.poll != 1 || !(s.poll_res & POLLIN) || !(s.poll_flags & IORING_CQE_F_MORE)) {
        printf("  FAIL: no multishot POLLIN completion within 2 s of the write\n");
        result = 1;
        goto out;
    }

    memset(&s, 0, sizeof s);
    sqe = sqe_of(&ring);
    io_uring_prep_poll_update(sqe, UD_POLL, 0, POLLIN, IORING_POLL_UPDATE_EVENTS);
    io_uring_sqe_set_data64(sqe, UD_UPDATE);
    io_uring_submit(&ring);
    if (collect(&ring, 1000, &s, update_done) < 0)
        goto out;
    if (s.update != 1 || s.update_res != 0) {
        printf("  FAIL: the update's own completion: %d CQE(s), res %d\n", s.update, s.update_res);
        result = 1;
    } else if (s.poll == 0) {
        printf("  FAIL: the update was accepted (res 0) and the still-readable poll never "
               "completed: its completion was lost\n");
        result = 1;
    } else if (s.poll_res < 0 || !(s.poll_res & POLLIN)) {
        printf("  FAIL: after the update the poll completed with res %d, not POLLIN\n", s.poll_res);
        result = 1;
    } else {
        printf("  ok: after the update the poll completed with POLLIN (%s)\n",
               (s.poll_flags & IORING_CQE_F_MORE) ? "still armed" : "ended, to be added again");
        result = 0;
    }
out:
    io_uring_queue_exit(&ring);
    return result;
}

int main(int argc, char **argv)
{
    verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    struct utsname u;
    if (uname(&u) == 0)
        printf("kernel %s\n", u.release);

    struct io_uring probe;
    int rc = io_uring_queue_init(2, &probe, 0);
    if (rc < 0) {
        printf("SKIP: io_uring_queue_init: %s\n", strerror(-rc));
        return 77;
    }
    io_uring_queue_exit(&probe);

    int failed = 0, ran = 0;

    /* The control: a pipe's read end polls on one wait queue. */
    int p[2];
    if (pipe2(p, O_CLOEXEC) == 0) {
        rc = run("pipe read end (one wait queue)", p[0], p[1]);
        failed |= rc != 0 && rc != 77;
        ran += rc != 77;
        close(p[0]);
        close(p[1]);
    }

    /* fifo(7): opened read-write, pipe_poll() waits on rd_wait and wr_wait. */
    const char *tmp = getenv("TMPDIR");
    char dir[512], path[530];
    snprintf(dir, sizeof dir, "%s/lc-repro-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int f = -1;
    if (mkdtemp(dir) != NULL) {
        snprintf(path, sizeof path, "%s/fifo", dir);
        f = mkfifo(path, 0600) == 0 ? open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) : -1;
        if (f < 0)
            printf("FIFO: skipped, mkfifo/open %s: %s\n", path, strerror(errno));
        unlink(path);
        rmdir(dir);
    } else {
        printf("FIFO: skipped, mkdtemp %s: %s\n", dir, strerror(errno));
    }
    if (f >= 0) {
        rc = run("FIFO opened O_RDWR (two wait queues)", f, f);
        failed |= rc != 0 && rc != 77;
        ran += rc != 77;
        close(f);
    }

    /* pty(7): n_tty_poll() waits on the tty's read_wait and write_wait. */
    int m, s;
    if (openpty(&m, &s, NULL, NULL, NULL) == 0) {
        rc = run("PTY master (two wait queues)", m, s);
        failed |= rc != 0 && rc != 77;
        ran += rc != 77;
        close(m);
        close(s);
    } else {
        printf("PTY master: skipped, openpty: %s\n", strerror(errno));
    }

    if (ran == 0) {
        printf("SKIP: no file could be set up and polled\n");
        return 77;
    }
    if (failed)
        printf("FAIL: a POLL_UPDATE lost a poll's completion; fixed by Linux commit "
               "84230ad2d2af (stable 6.12.64, 6.1.160)\n");
    else
        printf("PASS: %d file kinds, every updated poll completed\n", ran);
    return failed ? 1 : 0;
}
