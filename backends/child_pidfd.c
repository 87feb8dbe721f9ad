/* Child watcher on pidfds: pidfd_open(2) (Linux >= 5.3) gives an fd that
 * "becomes readable when the process terminates"; the loop watches it like
 * any reader and reaps that one child with waitpid(2).  Nothing
 * process-wide is touched: no signal handler, no waitpid(-1), and loops in
 * other threads can run their own children.  The pidfd is opened right
 * after posix_spawn; a child that already exited is still our unreaped
 * child then, and its pidfd is readable at once. */
#include "lc_process.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* 1: works, -errno: doesn't (ENOSYS on kernels before 5.3, or a seccomp
 * filter), 0: not probed yet. */
static atomic_int have_pidfd;

static int pidfd_available(void)
{
    int v = atomic_load(&have_pidfd);
    if (v == 0) {
        int fd = pidfd_open_(getpid());
        v = fd >= 0 ? 1 : -(errno ? errno : ENOSYS); /* the refusal's errno, kept */
        if (fd >= 0)
            close(fd);
        atomic_store(&have_pidfd, v);
    }
    return v > 0;
}

int lc__pidfd_errno(void)
{
    int v = atomic_load(&have_pidfd);
    return v < 0 ? -v : 0;
}

static int pf_init(struct lc__children *c)
{
    (void)c;
    return pidfd_available() ? 0 : LC_ENOTSUP;
}

static void pf_fini(struct lc__children *c) { (void)c; }

static void on_exit_ready(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    (void)fd;
    lc__process_try_reap(arg);
}

static int pf_add(struct lc__children *c, lc_process *p)
{
    int fd = pidfd_open_(p->pid);
    if (fd < 0)
        return -errno;
    if (lc__set_cloexec(fd, 1) < 0) {
        close(fd);
        return LC_EBADF;
    }
    int rc = lc__io_start(c->loop, fd, LC__EV_READ, on_exit_ready, p);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    lc__fd_set_owner(c->loop, fd, 1);
    p->pidfd = fd;
    return 0;
}

static void pf_remove(struct lc__children *c, lc_process *p)
{
    if (p->pidfd < 0)
        return;
    lc__io_stop(c->loop, p->pidfd, LC__EV_READ);
    lc__fd_set_owner(c->loop, p->pidfd, 0);
    close(p->pidfd);
    p->pidfd = -1;
}

const struct lc__watcher_ops lc__watcher_pidfd = {
    .name = "pidfd",
    .available = pidfd_available,
    .init = pf_init,
    .fini = pf_fini,
    .add = pf_add,
    .remove = pf_remove,
};
