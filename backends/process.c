/* Subprocesses: the process record, its pipes and its lifetime.  Spawning
 * is spawn.c; waiting for the exit is the loop's child watcher
 * (child_pidfd.c or child_sigchld.c). */
#include "lc_process.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

/* ---- lifetime ----
 * The record lives until the user closed it, the child was reaped (or the
 * loop let go of it) and every pipe transport delivered connection_lost. */
void lc__process_maybe_free(lc_process *p)
{
    if (p->busy || !p->user_closed || p->npipes > 0)
        return;
    if (!p->reaped && p->children != NULL)
        return;
    if (p->has_closer)
        lc__remove_closer(&p->closer);
    free(p);
}

void lc__process_unlink(lc_process *p)
{
    struct lc__children *c = p->children;
    if (p->prev)
        p->prev->next = p->next;
    else if (c && c->head == p)
        c->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
    if (c)
        c->nlive--;
}

void lc__process_link(struct lc__children *c, lc_process *p)
{
    p->children = c;
    p->prev = NULL;
    p->next = c->head;
    if (c->head)
        c->head->prev = p;
    c->head = p;
    c->nlive++;
}

static int decode_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return -WTERMSIG(status);
    return status;
}

/* Blocking reap of a child we just killed (cleanup paths only). */
void lc__process_reap_now(lc_process *p)
{
    int status;
    pid_t r;
    do
        r = waitpid(p->pid, &status, 0);
    while (r < 0 && errno == EINTR);
    p->returncode = r == p->pid ? decode_status(status) : 255;
    p->reaped = true;
}

int lc__process_try_reap(lc_process *p)
{
    int status = 0;
    pid_t r;
    do
        r = waitpid(p->pid, &status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return 0;
    /* ECHILD: something else in the process reaped our child (a
     * waitpid(-1) elsewhere).  asyncio's watchers report 255 then ("Unknown
     * child process pid %d, will report returncode 255"). */
    p->returncode = r == p->pid ? decode_status(status) : 255;
    p->reaped = true;
    struct lc__children *c = p->children;
    if (c) {
        c->ops->remove(c, p);
        lc__process_unlink(p);
    }
    lc__process_exited(p);
    return 1;
}

/* ---- the loop's children ---- */

static const struct lc__watcher_ops *watcher_for(const lc_loop *loop)
{
    switch (loop->opts.child_watcher) {
    case LC_CHILD_WATCHER_DEFAULT:
        return lc__watcher_pidfd.available() ? &lc__watcher_pidfd : &lc__watcher_sigchld;
    case LC_CHILD_WATCHER_PIDFD:
        return lc__watcher_pidfd.available() ? &lc__watcher_pidfd : NULL;
    case LC_CHILD_WATCHER_SIGCHLD:
        return &lc__watcher_sigchld;
    default:
        return NULL;
    }
}

const char *lc_loop_child_watcher_name(const lc_loop *loop)
{
    const struct lc__watcher_ops *ops = loop ? watcher_for(loop) : NULL;
    return ops ? ops->name : NULL;
}

/* Registered per process after its pipes exist, so it runs before the
 * transports are torn down (closers run newest first): the pipes are
 * detached here and their teardown never reaches the process.  No
 * callbacks from here on.  A child the user already closed was sent
 * SIGKILL: wait for it so it does not stay a zombie.  A child still running
 * is left to the user (lc_process_close kills and reaps it). */
void lc__process_loop_closed(lc_loop *loop, void *arg)
{
    lc_process *p = arg;
    if (p->has_closer) {
        p->has_closer = false;
        lc__remove_closer(&p->closer);
    }
    lc__process_detach_pipes(p);
    struct lc__children *c = p->children;
    if (c && !p->reaped) {
        c->ops->remove(c, p);
        lc__process_unlink(p);
        if (p->user_closed)
            lc__process_reap_now(p);
    }
    p->children = NULL;
    lc__process_maybe_free(p);
}

static void children_close(lc_loop *loop, void *arg)
{
    struct lc__children *c = arg;
    while (c->head)
        lc__process_loop_closed(loop, c->head);
    c->ops->fini(c);
    loop->children = NULL;
    free(c);
}

int lc__children_get(lc_loop *loop, struct lc__children **out)
{
    struct lc__children *c = loop->children;
    if (c == NULL) {
        const struct lc__watcher_ops *ops = watcher_for(loop);
        if (ops == NULL) {
            lc__set_refusal(loop, "pidfd_open", lc__pidfd_errno(), "man:pidfd_open(2)");
            return LC_ENOTSUP;
        }
        c = calloc(1, sizeof *c);
        if (c == NULL)
            return LC_ENOMEM;
        c->loop = loop;
        c->ops = ops;
        int rc = ops->init(c);
        if (rc < 0) {
            free(c);
            return rc;
        }
        lc__add_closer(loop, &c->closer, children_close, c);
        loop->children = c;
    }
    *out = c;
    return 0;
}

int lc__children_after_fork(lc_loop *loop)
{
    struct lc__children *c = loop->children;
    if (c == NULL)
        return 0;
    while (c->head) {
        lc_process *p = c->head;
        c->ops->remove(c, p);
        lc__process_unlink(p);
        p->children = NULL;
        p->foreign = true;
    }
    c->ops->fini(c);
    lc__remove_closer(&c->closer);
    loop->children = NULL;
    free(c);
    return 0;
}

/* ---- public calls on a process ---- */

int lc_process_send_signal(lc_process *p, int signo)
{
    if (p == NULL || signo < 0 || signo >= NSIG)
        return LC_EINVAL;
    if (p->reaped || p->foreign)
        return -ESRCH;
    /* Not reaped: the pid is still ours (a zombie keeps it), so kill(2)
     * cannot hit another process. */
    return kill(p->pid, signo) < 0 ? -errno : 0;
}

void lc__process_end_child(lc_process *p)
{
    if (!p->reaped && !p->foreign) {
        kill(p->pid, SIGKILL);
        if (p->children == NULL)
            lc__process_reap_now(p); /* the loop is gone: nobody else will */
    }
}
