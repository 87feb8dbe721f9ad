/* Event loop policies (asyncio-policy.rst).
 *
 * The default policy keeps one current loop per thread.  get_event_loop()
 * creates and sets a loop only in the main thread and only while
 * set_event_loop() has never been called in that thread (asyncio 3.6-3.13,
 * the `_set_called` flag); elsewhere it fails with LC_ENOLOOP.  Inside a
 * running loop, lc_get_event_loop() returns that loop whatever the policy
 * says (asyncio.get_event_loop checks _get_running_loop first). */
#include "lc_internal.h"

#include <stdatomic.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

struct lc__thread_state {
    lc_loop *loop;
    bool set_called;
    bool created; /* the policy made `loop` implicitly and owns it */
};

static _Thread_local struct lc__thread_state tls;

#ifndef __linux__
/* Without gettid(), the thread that runs constructors is taken as main. */
static pthread_t main_thread;
__attribute__((constructor)) static void record_main_thread(void) { main_thread = pthread_self(); }
#endif

static lc_loop *default_get(void *self, int *err)
{
    (void)self;
    if (tls.loop == NULL && !tls.set_called && lc_is_main_thread()) {
        lc_loop *loop = NULL;
        int rc = lc_loop_new(&loop, NULL);
        if (rc < 0) {
            if (err)
                *err = rc;
            return NULL;
        }
        tls.loop = loop;
        tls.set_called = true;
        tls.created = true;
    }
    if (tls.loop == NULL) {
        if (err)
            *err = LC_ENOLOOP;
        return NULL;
    }
    if (err)
        *err = 0;
    return tls.loop;
}

static int default_set(void *self, lc_loop *loop)
{
    (void)self;
    if (tls.created && tls.loop && tls.loop != loop) {
        lc_loop_free(tls.loop); /* nobody else holds the implicit loop's owner role */
    }
    tls.created = false;
    tls.set_called = true;
    tls.loop = loop;
    return 0;
}

static int default_new(void *self, lc_loop **out)
{
    (void)self;
    return lc_loop_new(out, NULL);
}

static const lc_policy default_policy = {NULL, default_get, default_set, default_new};
static _Atomic(const lc_policy *) current_policy = NULL;

static const lc_policy *policy(void)
{
    const lc_policy *p = atomic_load(&current_policy);
    return p ? p : &default_policy;
}

int lc_set_event_loop_policy(const lc_policy *p)
{
    if (p && (p->get_event_loop == NULL || p->set_event_loop == NULL || p->new_event_loop == NULL))
        return LC_EINVAL;
    atomic_store(&current_policy, p);
    return 0;
}

const lc_policy *lc_get_event_loop_policy(void) { return policy(); }

lc_loop *lc_get_running_loop(int *err)
{
    lc_loop *loop = lc__running_loop();
    if (err)
        *err = loop ? 0 : LC_ENOLOOP;
    return loop;
}

lc_loop *lc_get_event_loop(int *err)
{
    lc_loop *loop = lc__running_loop();
    if (loop) {
        if (err)
            *err = 0;
        return loop;
    }
    const lc_policy *p = policy();
    int e = 0;
    loop = p->get_event_loop(p->self, &e);
    if (loop == NULL && e == 0)
        e = LC_ENOLOOP;
    if (err)
        *err = loop ? 0 : e;
    return loop;
}

int lc_set_event_loop(lc_loop *loop)
{
    if (loop && loop->closed)
        return LC_ECLOSED;
    const lc_policy *p = policy();
    return p->set_event_loop(p->self, loop);
}

int lc_new_event_loop(lc_loop **out)
{
    if (out == NULL)
        return LC_EINVAL;
    const lc_policy *p = policy();
    return p->new_event_loop(p->self, out);
}

void lc_policy_reset_thread(void)
{
    if (tls.created && tls.loop)
        lc_loop_free(tls.loop);
    tls.loop = NULL;
    tls.set_called = false;
    tls.created = false;
}

int lc_is_main_thread(void)
{
#ifdef __linux__
    return (pid_t)syscall(SYS_gettid) == getpid();
#else
    return pthread_equal(pthread_self(), main_thread);
#endif
}
