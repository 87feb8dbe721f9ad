/* Timers: a 4-ary min-heap of caller-owned lc_timer records, ordered by
 * (deadline, sequence) so equal deadlines fire in the order they were armed.
 * Each record knows its heap slot, so cancel is O(log n) with no lazy
 * deletion (asyncio keeps cancelled handles and compacts; libuv and libev
 * remove eagerly, which keeps the head always live).
 *
 * Each slot carries the key (deadline, sequence) next to the pointer, so
 * comparisons read only the heap array, never the timers (many timers armed
 * for the same instant would otherwise cost a cache miss per tie), and the
 * tree is half as deep as a binary one (libev's 4-heap with
 * EV_HEAP_CACHE_AT makes the same two choices). */
#include "lc_internal.h"

#include <stdlib.h>

static inline int before(const struct lc__heap_entry *a, const struct lc__heap_entry *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static inline void place(struct lc__heap_entry *h, size_t i, struct lc__heap_entry e)
{
    h[i] = e;
    e.t->heap_index = i + 1;
}

static void sift_up(lc_loop *loop, size_t i, struct lc__heap_entry e)
{
    struct lc__heap_entry *h = loop->heap;
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!before(&e, &h[p]))
            break;
        place(h, i, h[p]);
        i = p;
    }
    place(h, i, e);
}

static void sift_down(lc_loop *loop, size_t i, struct lc__heap_entry e)
{
    struct lc__heap_entry *h = loop->heap;
    size_t n = loop->heap_len;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t m = c, end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (before(&h[k], &h[m]))
                m = k;
        if (!before(&h[m], &e))
            break;
        place(h, i, h[m]);
        i = m;
    }
    place(h, i, e);
}

int lc__heap_push(lc_loop *loop, lc_timer *t)
{
    if (loop->heap_len == loop->heap_cap) {
        size_t ncap = loop->heap_cap ? loop->heap_cap * 2 : 64;
        struct lc__heap_entry *nh = realloc(loop->heap, ncap * sizeof *nh);
        if (nh == NULL)
            return LC_ENOMEM;
        loop->heap = nh;
        loop->heap_cap = ncap;
    }
    struct lc__heap_entry e = {t->when, t->seq, t};
    sift_up(loop, loop->heap_len++, e);
    return 0;
}

void lc__heap_remove(lc_loop *loop, lc_timer *t)
{
    size_t i = t->heap_index - 1;
    t->heap_index = 0;
    struct lc__heap_entry last = loop->heap[--loop->heap_len];
    if (i == loop->heap_len)
        return;
    if (i > 0 && before(&last, &loop->heap[(i - 1) / 4]))
        sift_up(loop, i, last);
    else
        sift_down(loop, i, last);
}

lc_timer *lc__heap_top(const lc_loop *loop)
{
    return loop->heap_len ? loop->heap[0].t : NULL;
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
    /* lc_call_at checks the loop; the clock is read for every call, never
     * cached: a deadline computed from a time cached at the start of the
     * iteration fires early after a long callback (libev, libuv #4773). */
    if (loop == NULL)
        return LC_EINVAL;
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
