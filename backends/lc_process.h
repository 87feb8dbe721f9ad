/* Internal interface between process.c (spawning, the process record and
 * its lifetime) and the child watchers: child_pidfd.c, child_sigchld.c. */
#ifndef LC_PROCESS_H
#define LC_PROCESS_H

#include "lc_process_common.h"

#include <sys/types.h>

struct lc__children;

struct lc_process {
    lc_loop *loop;
    bool has_closer;               /* process_loop_closed is registered */
    struct lc__closer closer;
    struct lc__children *children; /* NULL once detached (loop closed, or fork) */
    lc_process *prev, *next;       /* the watcher's list of unreaped children */
    pid_t pid;
    int pidfd;                     /* pidfd watcher: -1 otherwise */
    bool reaped, user_closed, foreign;
    int returncode;
    int busy;                      /* inside a user callback: don't free */
    lc_transport *pipes[3];
    int npipes;
    const lc_process_callbacks *cbs;
    void *ud;
};

struct lc__watcher_ops {
    const char *name;
    int (*available)(void);
    int (*init)(struct lc__children *c);
    void (*fini)(struct lc__children *c);
    /* Start watching p (already on the list). */
    int (*add)(struct lc__children *c, lc_process *p);
    /* Stop watching p (reaped, or the loop is closing). */
    void (*remove)(struct lc__children *c, lc_process *p);
};

struct lc__children {
    lc_loop *loop;
    const struct lc__watcher_ops *ops;
    lc_process *head;
    int nlive;
    struct lc__closer closer;
};

extern const struct lc__watcher_ops lc__watcher_pidfd;
/* The errno pidfd_open(2) failed with when the pidfd watcher is unavailable. */
int lc__pidfd_errno(void);
extern const struct lc__watcher_ops lc__watcher_sigchld;

/* waitpid(p->pid, WNOHANG); if the child is gone, record it, stop watching
 * it and deliver process_exited.  Returns 1 if reaped.  p may be freed on
 * return when it was reaped. */
int lc__process_try_reap(lc_process *p);

int lc__children_get(lc_loop *loop, struct lc__children **out);
void lc__process_link(struct lc__children *c, lc_process *p);
void lc__process_unlink(lc_process *p);
void lc__process_reap_now(lc_process *p);
/* The loop closes: let go of the pipes and the watcher, without callbacks. */
void lc__process_loop_closed(lc_loop *loop, void *arg);

/* In a forked child: the parent's children are not ours (waitpid(2) only
 * reaps one's own children); forget them without signalling them. */
int lc__children_after_fork(lc_loop *loop);

#endif
