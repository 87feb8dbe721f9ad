/* Timers: a binary min-heap of caller-owned lc_timer records, ordered by
 * (deadline, sequence) so equal deadlines fire in the order they were armed.
 * Each record knows its heap slot, so cancel is O(log n) with no lazy
 * deletion (asyncio keeps cancelled handles and compacts; libuv and libev
 * remove eagerly, which keeps the head always live). */
#include "lc_internal.h"

#include <stdlib.h>

static int before(const lc_timer *a, const lc_timer *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void place(lc_loop *loop, size_t i, lc_timer *t)
{
    loop->heap[i] = t;
    t->heap_index = i + 1;
}

static void sift_up(lc_loop *loop, size_t i)
{
    lc_timer *t = loop->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(t, loop->heap[p]))
            break;
        place(loop, i, loop->heap[p]);
        i = p;
    }
    place(loop, i, t);
}

static void sift_down(lc_loop *loop, size_t i)
{
    lc_timer *t = loop->heap[i];
    size_t n = loop->heap_len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(loop->heap[c + 1], loop->heap[c]))
            c++;
        if (!before(loop->heap[c], t))
            break;
        place(loop, i, loop->heap[c]);
        i = c;
    }
    place(loop, i, t);
}

int lc__heap_push(lc_loop *loop, lc_timer *t)
{
    if (loop->heap_len == loop->heap_cap) {
        size_t ncap = loop->heap_cap ? loop->heap_cap * 2 : 64;
        lc_timer **nh = realloc(loop->heap, ncap * sizeof *nh);
        if (nh == NULL)
            return LC_ENOMEM;
        loop->heap = nh;
        loop->heap_cap = ncap;
    }
    loop->heap[loop->heap_len] = t;
    t->heap_index = ++loop->heap_len;
    sift_up(loop, loop->heap_len - 1);
    return 0;
}

void lc__heap_remove(lc_loop *loop, lc_timer *t)
{
    size_t i = t->heap_index - 1;
    t->heap_index = 0;
    lc_timer *last = loop->heap[--loop->heap_len];
    if (i == loop->heap_len)
        return;
    place(loop, i, last);
    if (i > 0 && before(last, loop->heap[(i - 1) / 2]))
        sift_up(loop, i);
    else
        sift_down(loop, i);
}

lc_timer *lc__heap_top(const lc_loop *loop)
{
    return loop->heap_len ? loop->heap[0] : NULL;
}

int lc_call_at(lc_loop *loop, lc_timer *t, int64_t when_ns, lc_cb cb, void *arg)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (t == NULL || cb == NULL)
        return LC_EINVAL;
    if (t->heap_index && t->loop == loop)
        lc__heap_remove(loop, t);
    else if (t->heap_index && t->loop && !t->loop->closed)
        return LC_EBUSY; /* scheduled on another loop */
    t->when = when_ns;
    t->seq = loop->timer_seq++;
    t->cb = cb;
    t->arg = arg;
    t->loop = loop;
    t->heap_index = 0;
    return lc__heap_push(loop, t);
}

int lc_call_later(lc_loop *loop, lc_timer *t, int64_t delay_ns, lc_cb cb, void *arg)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    return lc_call_at(loop, t, lc_time_ns() + delay_ns, cb, arg);
}

int lc_timer_cancel(lc_timer *t)
{
    if (t == NULL || t->heap_index == 0 || t->loop == NULL || t->loop->closed)
        return 0;
    lc__heap_remove(t->loop, t);
    return 1;
}

int lc_timer_pending(const lc_timer *t)
{
    return t && t->heap_index != 0 && t->loop && !t->loop->closed;
}
