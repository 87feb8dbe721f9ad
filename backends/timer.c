/* Timers: caller-owned lc_timer records ordered by (deadline, sequence), so
 * equal deadlines fire in the order they were armed.  A scheduled record is
 * in one of three places:
 *
 *  - pending: the timers armed since the loop last started an iteration, a
 *    doubly linked list through the records themselves, in arming order:
 *    arming appends and cancelling unlinks, both O(1), and neither touches
 *    memory but the record and its neighbours (arming a million timers
 *    grows no array).  Sequence numbers are given when the list is taken
 *    in, in its order.
 *  - the heap: a 4-ary min-heap whose slots carry the key beside the pointer,
 *    so comparisons read only the heap array (libev's 4-heap with
 *    EV_HEAP_CACHE_AT makes the same two choices).
 *  - the run: an array sorted by (deadline, sequence), consumed from its head.
 *
 * When an iteration starts, before its poll timeout is computed, the pending
 * batch moves out: a small one is pushed into the heap; a large one is
 * radix-sorted on the deadline (stable, so ties keep sequence order) into the
 * run, merged with what is left of an earlier run.  A batch of n timers then
 * costs O(n) to order instead of n sift-ups, and every due timer leaves the
 * run in O(1), reading the run front to back.  The first timer is the smaller
 * of the heap's top and the run's head.  Timers armed during an iteration
 * are all still pending while its due timers run, which is what makes them
 * wait for the next iteration.
 *
 * `where` says where a record is (two tag bits) and where in it: after
 * which pending record, or at which slot of the heap or the run, so cancel
 * is O(1) in pending and in the run and O(log n) in the heap.  While
 * pending, the record's sequence field links to the next one.  The loop
 * keeps no pointer to a cancelled record (it is caller memory and may be
 * freed at once), so a cancelled slot of the run is a hole: its pointer is
 * cleared and holes are compacted away once they outnumber the live slots
 * (asyncio's rule for the cancelled handles in its heap). */
#include "lc_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The low two bits of `where` (records are pointer-aligned, which leaves
 * them free in a pointer): pending, with the previous pending record (or
 * none) above them; or in the heap or the run, with the slot + 1 above
 * them.  0: not scheduled. */
#define TAG_MASK ((uintptr_t)3)
#define IN_PEND ((uintptr_t)1)
#define IN_HEAP ((uintptr_t)2)
#define IN_RUN ((uintptr_t)3)
#define AT(tag, i) ((((uintptr_t)(i) + 1) << 2) | (tag))
#define SLOT(where) ((size_t)((where) >> 2) - 1)

/* A batch at least this large is sorted into the run... */
#define RUN_MIN 256
/* ...when what is left of the earlier run is at most this many times its
 * size (a merge rewrites the whole run), else it goes to the heap. */
#define MERGE_RATIO 4
/* How far ahead the record of a run slot is fetched: writing `where` into
 * records in deadline order is a cache miss per record otherwise. */
#define AHEAD 16

#if defined(__GNUC__)
#define PREFETCH_W(p) __builtin_prefetch((p), 1)
#else
#define PREFETCH_W(p) ((void)(p))
#endif

/* ---- the heap ---- */

static inline int before(const struct lc__heap_entry *a, const struct lc__heap_entry *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static inline void place(struct lc__heap_entry *h, size_t i, struct lc__heap_entry e)
{
    h[i] = e;
    e.t->where = AT(IN_HEAP, i);
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

static void heap_remove(lc_loop *loop, size_t i)
{
    struct lc__heap_entry last = loop->heap[--loop->heap_len];
    if (i == loop->heap_len)
        return;
    if (i > 0 && before(&last, &loop->heap[(i - 1) / 4]))
        sift_up(loop, i, last);
    else
        sift_down(loop, i, last);
}

/* ---- pending ---- */

static void pend_append(lc_loop *loop, lc_timer *t)
{
    lc_timer *tail = loop->pend_tail;
    t->order.next_armed = NULL;
    t->where = (uintptr_t)tail | IN_PEND;
    if (tail)
        tail->order.next_armed = t;
    else
        loop->pend_head = t;
    loop->pend_tail = t;
    loop->pend_len++;
}

static void pend_unlink(lc_loop *loop, lc_timer *t)
{
    lc_timer *prev = (lc_timer *)(t->where & ~TAG_MASK), *next = t->order.next_armed;
    if (prev)
        prev->order.next_armed = next;
    else
        loop->pend_head = next;
    if (next)
        next->where = (uintptr_t)prev | IN_PEND;
    else
        loop->pend_tail = prev;
    loop->pend_len--;
}

static void pend_clear(lc_loop *loop)
{
    loop->pend_head = loop->pend_tail = NULL;
    loop->pend_len = 0;
}

/* ---- the run ---- */

static void run_free(lc_loop *loop)
{
    free(loop->run);
    loop->run = NULL;
    loop->run_head = loop->run_len = loop->run_live = 0;
}

static void run_index(struct lc__timer_slot *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n)
            PREFETCH_W(r[i + AHEAD].t);
        r[i].t->where = AT(IN_RUN, i);
    }
}

static void run_compact(lc_loop *loop)
{
    struct lc__timer_slot *r = loop->run;
    size_t j = 0;
    for (size_t i = loop->run_head; i < loop->run_len; i++)
        if (r[i].t != NULL)
            r[j++] = r[i];
    loop->run_head = 0;
    loop->run_len = j;
    run_index(r, j);
}

/* The run's first live slot, or NULL (the emptied run is released). */
static struct lc__timer_slot *run_first(lc_loop *loop)
{
    if (loop->run_live == 0) {
        if (loop->run != NULL)
            run_free(loop);
        return NULL;
    }
    while (loop->run[loop->run_head].t == NULL)
        loop->run_head++;
    return &loop->run[loop->run_head];
}

/* The latest a timer taken in at `now` may fire: its deadline plus the
 * allowance for the time left to it (lc__allowance), saturating. */
static inline int64_t late_by(const lc_loop *loop, int64_t when, int64_t now)
{
    int64_t a = lc__allowance(loop, when > now ? when - now : 0);
    return when > INT64_MAX - a ? INT64_MAX : when + a;
}

static inline uint64_t radix_key(int64_t when)
{
    return (uint64_t)when ^ ((uint64_t)1 << 63); /* signed order as unsigned */
}

/* LSD radix sort of n slots on the deadline, one byte per pass, skipping the
 * bytes every key shares; stable, so equal deadlines keep sequence order.
 * hist holds the per-byte counts; a and b are the two buffers.  Returns the
 * buffer holding the result. */
static struct lc__timer_slot *radix_sort(struct lc__timer_slot *a, struct lc__timer_slot *b, size_t n,
                                         size_t hist[8][256])
{
    for (unsigned d = 0; d < 8; d++) {
        unsigned sh = 8 * d;
        size_t *c = hist[d];
        if (c[(radix_key(a[0].when) >> sh) & 255] == n)
            continue;
        size_t sum = 0;
        for (unsigned v = 0; v < 256; v++) {
            size_t x = c[v];
            c[v] = sum;
            sum += x;
        }
        for (size_t i = 0; i < n; i++)
            b[c[(radix_key(a[i].when) >> sh) & 255]++] = a[i];
        struct lc__timer_slot *tmp = a;
        a = b;
        b = tmp;
    }
    return a;
}

/* Sort the `live` pending timers into the run.  Nothing changes if the
 * memory cannot be had. */
static int pend_to_run(lc_loop *loop, size_t live, int64_t now)
{
    typedef struct lc__timer_slot slot;
    size_t old = loop->run_live;
    slot *a = malloc(live * sizeof *a);
    slot *b = malloc(live * sizeof *b);
    slot *m = old ? malloc((old + live) * sizeof *m) : NULL;
    if (a == NULL || b == NULL || (old && m == NULL)) {
        free(a);
        free(b);
        free(m);
        return LC_ENOMEM;
    }
    size_t h[8][256]; /* byte counts of the keys, every byte in one pass */
    memset(h, 0, sizeof h);
    size_t j = 0;
    for (lc_timer *t = loop->pend_head, *next; t != NULL; t = next) {
        next = t->order.next_armed; /* the same field as seq */
        t->order.seq = loop->timer_seq++;
        uint64_t k = radix_key(t->when);
        for (unsigned d = 0; d < 8; d++)
            h[d][(k >> (8 * d)) & 255]++;
        a[j].when = t->when;
        a[j].late = late_by(loop, t->when, now);
        a[j].t = t;
        j++;
    }
    pend_clear(loop);
    slot *sorted = radix_sort(a, b, live, h);
    slot *other = sorted == a ? b : a;

    if (old) {
        /* Every run timer was armed before every batch timer: on equal
         * deadlines the run's goes first. */
        slot *r = loop->run;
        size_t x = loop->run_head, xe = loop->run_len, y = 0, k = 0;
        while (x < xe && y < live) {
            if (r[x].t == NULL)
                x++;
            else if (sorted[y].when < r[x].when)
                m[k++] = sorted[y++];
            else
                m[k++] = r[x++];
        }
        for (; x < xe; x++)
            if (r[x].t != NULL)
                m[k++] = r[x];
        while (y < live)
            m[k++] = sorted[y++];
        free(r);
        free(sorted);
        loop->run = m;
    } else {
        free(loop->run);
        loop->run = sorted;
    }
    free(other);
    loop->run_head = 0;
    loop->run_len = loop->run_live = old + live;
    run_index(loop->run, loop->run_len);
    return 0;
}

static int pend_to_heap(lc_loop *loop, int64_t now)
{
    size_t need = loop->heap_len + loop->pend_len;
    if (need > loop->heap_cap) {
        size_t ncap = loop->heap_cap ? loop->heap_cap * 2 : 64;
        if (ncap < need)
            ncap = need;
        struct lc__heap_entry *nh = realloc(loop->heap, ncap * sizeof *nh);
        if (nh == NULL)
            return LC_ENOMEM;
        loop->heap = nh;
        loop->heap_cap = ncap;
    }
    for (lc_timer *t = loop->pend_head, *next; t != NULL; t = next) {
        next = t->order.next_armed;
        t->order.seq = loop->timer_seq++;
        struct lc__heap_entry e = {t->when, late_by(loop, t->when, now), t->order.seq, t};
        sift_up(loop, loop->heap_len++, e);
    }
    pend_clear(loop);
    return 0;
}

int lc__timers_flush(lc_loop *loop)
{
    size_t live = loop->pend_len;
    if (live == 0)
        return 0;
    lc__timer_slack_ns(loop); /* for late_by() */
    loop->wake_ok = false;
    int64_t now = lc_time_ns(); /* the intake's time, for every allowance */
    if (live >= RUN_MIN && loop->run_live <= MERGE_RATIO * live && pend_to_run(loop, live, now) == 0)
        return 0;
    return pend_to_heap(loop, now);
}

/* ---- where a record is ---- */

static void unlink_timer(lc_loop *loop, lc_timer *t)
{
    uintptr_t tag = t->where & TAG_MASK;
    if (tag == IN_PEND) {
        pend_unlink(loop, t);
        t->where = 0;
        return;
    }
    size_t i = SLOT(t->where);
    t->where = 0;
    if (tag == IN_HEAP) {
        heap_remove(loop, i);
    } else {
        loop->run[i].t = NULL;
        loop->run_live--;
        size_t span = loop->run_len - loop->run_head;
        if (i != loop->run_head && span >= RUN_MIN && loop->run_live * 2 < span)
            run_compact(loop);
    }
}

lc_timer *lc__timer_first(lc_loop *loop)
{
    struct lc__timer_slot *r = run_first(loop);
    if (loop->heap_len == 0)
        return r ? r->t : NULL;
    const struct lc__heap_entry *h = &loop->heap[0];
    if (r && (r->when < h->when || (r->when == h->when && r->t->order.seq < h->seq)))
        return r->t;
    return h->t;
}

/* How many slots of the run and entries of the heap lc__timers_wake looks
 * at.  The timers it looks at all fire on the wakeup it computes, and the
 * answer is kept until a timer is taken in or fires (a cancel can only make
 * it earlier than need be), so the look costs O(1) per timer fired. */
#define WAKE_LOOK_RUN 1024
#define WAKE_LOOK_HEAP 64

int64_t lc__timers_wake(lc_loop *loop)
{
    if (loop->wake_ok)
        return loop->wake_at;
    int64_t w = INT64_MAX;
    unsigned look = WAKE_LOOK_RUN;
    /* The run is in deadline order: the look ends at the first deadline
     * not before w.  A slot not looked at bounds w by its deadline, which
     * no later slot's precedes.  Holes keep their deadline. */
    if (run_first(loop) != NULL) {
        for (size_t i = loop->run_head; i < loop->run_len; i++) {
            const struct lc__timer_slot *s = &loop->run[i];
            if (s->when >= w)
                break;
            if (look-- == 0) {
                w = s->when;
                break;
            }
            if (s->t != NULL && s->late < w)
                w = s->late;
        }
    }
    /* The heap: a depth-first walk through the entries whose deadlines
     * come before w; below an entry the deadlines are no earlier, so one
     * not looked at bounds w by its own. */
    const struct lc__heap_entry *h = loop->heap;
    size_t n = loop->heap_len, stack[4 * WAKE_LOOK_HEAP + 1], sp = 0;
    look = WAKE_LOOK_HEAP;
    if (n > 0)
        stack[sp++] = 0;
    while (sp > 0) {
        size_t i = stack[--sp];
        if (h[i].when >= w)
            continue;
        if (look == 0) {
            w = h[i].when;
            continue;
        }
        look--;
        if (h[i].late < w)
            w = h[i].late;
        for (size_t c = 4 * i + 1; c < n && c <= 4 * i + 4; c++)
            if (h[c].when < w)
                stack[sp++] = c;
    }
    loop->wake_at = w;
    loop->wake_ok = true;
    return w;
}

lc_timer *lc__timer_pop_due(lc_loop *loop, int64_t now, uint64_t armed_before)
{
    lc_timer *t = lc__timer_first(loop);
    if (t == NULL || t->when > now || t->order.seq >= armed_before)
        return NULL;
    loop->wake_ok = false;
    if ((t->where & TAG_MASK) == IN_RUN) {
        size_t i = loop->run_head;
        if (i + AHEAD < loop->run_len)
            PREFETCH_W(loop->run[i + AHEAD].t);
        loop->run[i].t = NULL;
        loop->run_head = i + 1;
        loop->run_live--;
        t->where = 0;
    } else {
        unlink_timer(loop, t);
    }
    return t;
}

void lc__timers_drop(lc_loop *loop)
{
    for (size_t i = 0; i < loop->heap_len; i++)
        loop->heap[i].t->where = 0;
    for (lc_timer *t = loop->pend_head, *next; t != NULL; t = next) {
        next = t->order.next_armed;
        t->where = 0;
    }
    for (size_t i = loop->run_head; i < loop->run_len; i++)
        if (loop->run[i].t != NULL)
            loop->run[i].t->where = 0;
    free(loop->heap);
    loop->heap = NULL;
    loop->heap_len = loop->heap_cap = 0;
    pend_clear(loop);
    run_free(loop);
    loop->wake_ok = false;
}

/* ---- the API ---- */

int lc_call_at(lc_loop *loop, lc_timer *t, int64_t when_ns, lc_cb cb, void *arg)
{
    if (loop == NULL)
        return LC_EINVAL;
    if (loop->closed)
        return LC_ECLOSED;
    if (t == NULL || cb == NULL)
        return LC_EINVAL;
    int mine = t->where && t->loop == loop;
    if (t->where && !mine && t->loop && !t->loop->closed)
        return LC_EBUSY; /* scheduled on another loop */
    if (mine)
        unlink_timer(loop, t);
    t->when = when_ns;
    t->cb = cb;
    t->arg = arg;
    t->loop = loop;
    pend_append(loop, t); /* its sequence number comes with the next flush */
    return 0;
}

int lc_call_later(lc_loop *loop, lc_timer *t, int64_t delay_ns, lc_cb cb, void *arg)
{
    /* lc_call_at checks the loop; the clock is read for every call, never
     * cached: a deadline computed from a time cached at the start of the
     * iteration fires early after a long callback (libev, libuv #4773).
     * A delay past the end of the clock saturates instead of wrapping into
     * the past. */
    if (loop == NULL)
        return LC_EINVAL;
    int64_t now = lc_time_ns();
    int64_t when = delay_ns > INT64_MAX - now ? INT64_MAX : now + delay_ns;
    return lc_call_at(loop, t, when, cb, arg);
}

int lc_timer_cancel(lc_timer *t)
{
    if (t == NULL || t->where == 0 || t->loop == NULL || t->loop->closed)
        return 0;
    unlink_timer(t->loop, t);
    return 1;
}

int lc_timer_pending(const lc_timer *t)
{
    return t && t->where != 0 && t->loop && !t->loop->closed;
}
