/* Child watcher on SIGCHLD: the loop's signal machinery (signals.c) runs
 * on_sigchld for each SIGCHLD it reads, and the loop polls each of its own
 * children with waitpid(pid, WNOHANG).
 *
 * Never waitpid(-1): it would reap children that other code in the process
 * started and waits for (asyncio's SafeChildWatcher avoided it for the same
 * reason; FastChildWatcher did not).  SIGCHLD is a standard signal, so
 * several exits may arrive as one (signal(7)): every known child is checked
 * on each one, O(children) per signal.  The watch is installed before the
 * first child is spawned, so no exit can come before it. */
#include "lc_process.h"
#include "lc_signals.h"

#include <signal.h>

static int sc_available(void) { return 1; }

static void on_sigchld(lc_loop *loop, int signo, void *arg)
{
    (void)loop;
    (void)signo;
    struct lc__children *c = arg;
    lc_process *p = c->head;
    while (p) {
        /* try_reap may free p and unlink it; children spawned by a
         * process_exited callback go to the head and get their own SIGCHLD. */
        lc_process *next = p->next;
        lc__process_try_reap(p);
        p = next;
    }
}

static int sc_init(struct lc__children *c)
{
    return lc__signal_watch(c->loop, SIGCHLD, on_sigchld, c);
}

static void sc_fini(struct lc__children *c) { lc__signal_unwatch(c->loop, SIGCHLD); }

static int sc_add(struct lc__children *c, lc_process *p)
{
    (void)c;
    (void)p;
    return 0;
}

static void sc_remove(struct lc__children *c, lc_process *p)
{
    (void)c;
    (void)p;
}

const struct lc__watcher_ops lc__watcher_sigchld = {
    .name = "sigchld",
    .available = sc_available,
    .init = sc_init,
    .fini = sc_fini,
    .add = sc_add,
    .remove = sc_remove,
};
