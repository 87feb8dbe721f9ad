/* lc_loop_after_fork: make an inherited loop the child's own.
 *
 * fork(2) copies the loop's memory but not its kernel objects: the child
 * gets new descriptors for the same open file descriptions.  An epoll
 * instance's interest list belongs to that description (epoll(7) Q&A 6), so
 * a registration changed in the child changes the parent's; an eventfd
 * written in the child wakes the parent; a self-pipe write in the child's
 * signal handler runs the parent's handler.  Each is replaced here. */
#include "lc_internal.h"
#include "lc_process.h"
#include "lc_signals.h"

int lc_loop_after_fork(lc_loop *loop)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    /* Another thread of the parent may have held the lock at the fork; the
     * child has only the forking thread (fork(2)), so nobody will release
     * it. */
    pthread_mutex_init(&loop->ts_lock, NULL);
    if (loop->ops->after_fork && (rc = loop->ops->after_fork(loop)) < 0)
        return rc;
    lc__wakeup_close(loop);
    atomic_store(&loop->ts_wake_pending, false);
    if ((rc = lc__wakeup_open(loop)) < 0)
        return rc;
    /* Callbacks queued from other threads before the fork were copied
     * with the loop; the new wakeup fd knows nothing of them. */
    if (loop->ts_ready.count)
        lc__wakeup_signal(loop);
    if ((rc = lc__signals_after_fork(loop)) < 0)
        return rc;
    return lc__children_after_fork(loop);
}
