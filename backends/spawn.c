/* lc_spawn: start a child with posix_spawn(3) and wire its standard
 * streams to pipe transports.
 *
 * posix_spawn rather than fork+exec: glibc (>= 2.24) creates the child with
 * clone(CLONE_VM | CLONE_VFORK) and reports an exec failure (ENOENT, EACCES)
 * or a failed file action (a bad cwd) as its return value, so the error
 * reaches the caller of lc_spawn and no child is left behind — the job a
 * close-on-exec error pipe does after a plain fork. */
#include "lc_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Keep the child's end of a pipe off 0, 1 and 2, so that dup2 onto those
 * numbers never overwrites another end before it is used. */
static int move_high(int fd)
{
    if (fd >= 3)
        return fd;
    int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int err = errno;
    close(fd);
    return n < 0 ? -err : n;
}

static void close_all(int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

static int make_pipes(const lc_spawn_options *o, int parent[3], int child[3])
{
    for (int i = 0; i < 3; i++) {
        if (o->stdio[i] != LC_STDIO_PIPE)
            continue;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
            return -errno;
        int cend = i == 0 ? p[0] : p[1];
        parent[i] = i == 0 ? p[1] : p[0];
        if ((child[i] = move_high(cend)) < 0)
            return child[i];
    }
    return 0;
}

static int file_actions(posix_spawn_file_actions_t *fa, const lc_spawn_options *o,
                        const int child[3])
{
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++) {
        switch (o->stdio[i]) {
        case LC_STDIO_PIPE:
            rc = posix_spawn_file_actions_adddup2(fa, child[i], i);
            break;
        case LC_STDIO_DEVNULL:
            rc = posix_spawn_file_actions_addopen(fa, i, "/dev/null",
                                                  i == 0 ? O_RDONLY : O_WRONLY, 0);
            break;
        case LC_STDIO_STDOUT:
            rc = posix_spawn_file_actions_adddup2(fa, 1, 2);
            break;
        default:
            break;
        }
    }
    if (rc == 0 && o->cwd) {
#ifdef LC_HAVE_SPAWN_ADDCHDIR /* glibc 2.29, musl 1.1.24: backends/CMakeLists.txt */
        rc = posix_spawn_file_actions_addchdir_np(fa, o->cwd);
#else
        return LC_ENOTSUP;
#endif
    }
    return rc ? -rc : 0;
}

static int spawn_attrs(posix_spawnattr_t *at, unsigned flags)
{
    /* An empty mask and default dispositions: the loop's blocked signals
     * (signalfd) and its handlers are not the child's business. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    short f = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
#ifdef POSIX_SPAWN_SETSID
    if (flags & LC_SPAWN_NEW_SESSION)
        f |= POSIX_SPAWN_SETSID;
#else
    if (flags & LC_SPAWN_NEW_SESSION)
        return LC_ENOTSUP;
#endif
    int rc = posix_spawnattr_setsigmask(at, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(at, &all);
    if (rc == 0)
        rc = posix_spawnattr_setflags(at, f);
    return rc ? -rc : 0;
}

static int do_spawn(const lc_spawn_options *o, const int child[3], pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc)
        return -rc;
    if ((rc = posix_spawnattr_init(&at)) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -rc;
    }
    rc = file_actions(&fa, o, child);
    if (rc == 0)
        rc = spawn_attrs(&at, o->flags);
    if (rc == 0) {
        char *const *envp = o->env ? (char *const *)o->env : environ;
        if (o->shell) {
            const char *argv[] = {"/bin/sh", "-c", o->shell, NULL};
            rc = -posix_spawn(pid, "/bin/sh", &fa, &at, (char *const *)argv, envp);
        } else {
            const char *dflt[] = {o->file, NULL};
            char *const *argv = (char *const *)(o->argv ? o->argv : dflt);
            rc = strchr(o->file, '/') ? -posix_spawn(pid, o->file, &fa, &at, argv, envp)
                                      : -posix_spawnp(pid, o->file, &fa, &at, argv, envp);
        }
    }
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* Undo a spawn that failed after the child started: no callbacks, the
 * child killed and reaped, nothing left open. */
static void abandon(lc_process *p, int parent[3])
{
    for (int i = 0; i < 3; i++) {
        if (p->pipes[i]) {
            lc_transport_set_userdata(p->pipes[i], NULL);
            lc_transport_abort(p->pipes[i]);
            p->pipes[i] = NULL;
        }
    }
    close_all(parent, 3);
    kill(p->pid, SIGKILL);
    if (p->children) {
        p->children->ops->remove(p->children, p);
        lc__process_unlink(p);
    }
    lc__process_reap_now(p);
    free(p);
}

int lc_spawn(lc_loop *loop, const lc_spawn_options *o, const lc_process_callbacks *cbs,
             void *ud, lc_process **out)
{
    if (out)
        *out = NULL;
    if (loop == NULL || o == NULL || out == NULL)
        return LC_EINVAL;
    int rc = lc__check_open(loop);
    if (rc < 0 || (rc = lc__spawn_check_options(o)) < 0)
        return rc;
    struct lc__children *c;
    if ((rc = lc__children_get(loop, &c)) < 0)
        return rc;
    if (c->ops == &lc__watcher_sigchld && !lc_is_main_thread())
        return LC_ETHREAD;

    int parent[3] = {-1, -1, -1}, child[3] = {-1, -1, -1};
    pid_t pid = -1;
    if ((rc = make_pipes(o, parent, child)) == 0)
        rc = do_spawn(o, child, &pid);
    close_all(child, 3);
    if (rc < 0) {
        close_all(parent, 3);
        return rc;
    }

    lc_process *p = calloc(1, sizeof *p);
    if (p == NULL) {
        lc_process tmp = {.pid = pid};
        kill(pid, SIGKILL);
        lc__process_reap_now(&tmp);
        close_all(parent, 3);
        return LC_ENOMEM;
    }
    p->loop = loop;
    p->pid = pid;
    p->pidfd = -1;
    p->cbs = cbs;
    p->ud = ud;
    lc__process_link(c, p);
    if ((rc = c->ops->add(c, p)) < 0) {
        abandon(p, parent);
        return rc;
    }
    for (int i = 0; i < 3; i++) {
        if (parent[i] < 0)
            continue;
        lc_transport *t = NULL;
        rc = i == 0 ? lc_connect_write_pipe(loop, parent[i], &lc__process_pipe_protocol, p, &t)
                    : lc_connect_read_pipe(loop, parent[i], &lc__process_pipe_protocol, p, &t);
        if (rc < 0) {
            abandon(p, parent);
            return rc;
        }
        parent[i] = -1; /* the transport owns it now */
        p->pipes[i] = t;
        p->npipes++;
    }
    lc__add_closer(loop, &p->closer, lc__process_loop_closed, p);
    p->has_closer = true;
    *out = p;
    return 0;
}
