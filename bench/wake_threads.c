/* The thread side of the threadsafe round-trip workload: a thread sends,
 * then waits on its own semaphore until the loop acknowledged. */
#include "workloads.h"

#include <errno.h>

struct wake_arg {
    struct lcb_wake *w;
    int tid;
};

static struct wake_arg args[8];

static void *sender(void *p)
{
    struct wake_arg *a = p;
    for (long i = 0; i < a->w->per_thread; i++) {
        a->w->send(a->w->impl, a->tid);
        while (sem_wait(&a->w->ack[a->tid]) < 0 && errno == EINTR)
            ;
    }
    return NULL;
}

int lcb_wake_start(struct lcb_wake *w)
{
    if (w->nthreads < 1 || w->nthreads > 8)
        return -EINVAL;
    w->received = 0;
    for (int i = 0; i < w->nthreads; i++)
        sem_init(&w->ack[i], 0, 0);
    for (int i = 0; i < w->nthreads; i++) {
        args[i].w = w;
        args[i].tid = i;
        int rc = pthread_create(&w->th[i], NULL, sender, &args[i]);
        if (rc != 0)
            return -rc;
    }
    return 0;
}

int lcb_wake_ack(struct lcb_wake *w, int tid)
{
    w->received++;
    sem_post(&w->ack[tid]);
    return w->received == (long)w->nthreads * w->per_thread;
}

void lcb_wake_join(struct lcb_wake *w)
{
    for (int i = 0; i < w->nthreads; i++)
        pthread_join(w->th[i], NULL);
    for (int i = 0; i < w->nthreads; i++)
        sem_destroy(&w->ack[i]);
}
