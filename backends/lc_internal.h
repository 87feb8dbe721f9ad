/* Internal interfaces of the loop library: the loop structure, the backend
 * ops table and the hooks the core offers to backends and subsystems.
 * Nothing here is installed. */
#ifndef LC_INTERNAL_H
#define LC_INTERNAL_H

#include "loopcompat/loop.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/* Readiness bits, as backends report them to lc__io_event(). */
#define LC__EV_READ 1u
#define LC__EV_WRITE 2u

/* Feature bits of a backend. */
enum {
    LC_FEAT_ANY_FD = 1u << 0,       /* regular files, directories accepted (select, poll) */
    LC_FEAT_NS_TIMEOUT = 1u << 1,   /* nanosecond wait available */
    LC_FEAT_SHARED_KERNEL_STATE = 1u << 2, /* kernel object shared with a forked child (epoll, io_uring) */
    LC_FEAT_COMPLETION = 1u << 3,   /* can perform I/O itself (proactor) */
    LC_FEAT_WATCH_EBADF = 1u << 4,  /* watch() fails with -EBADF on a closed fd (epoll_ctl) */
    LC_FEAT_ANY_SOCKET = 1u << 5    /* watch() refuses no socket that check_fd passed (epoll) */
};

struct lc_probe;
struct lc_transport;

/* One backend = one file implementing this table, registered by one line in
 * backends/registry.c.  Shaped after Redis' ae_*.c, libevent's struct
 * eventop and libuv's uv__io_check_fd. */
struct lc_backend_ops {
    const char *name;
    unsigned features;
    /* Granularity in ns of the wait call used with these loop flags (e.g.
     * 1 ms for epoll_wait, 1 ns for epoll_pwait2). */
    int64_t (*granularity)(unsigned loop_flags);
    /* Optional.  1 and *out filled when the finest wait these flags allow
     * is coarser than the backend's best because the OS refused the finer
     * call (epoll_pwait2: ENOSYS) or only takes milliseconds; else 0. */
    int (*timeout_refusal)(unsigned loop_flags, struct lc_refusal *out);
    /* Optional.  The kernel features the backend uses, probed now: fills
     * up to cap entries, returns how many there are. */
    size_t (*kernel_features)(struct lc_backend_feature *out, size_t cap);
    int (*probe)(struct lc_probe *why);
    int (*init)(lc_loop *loop);
    void (*destroy)(lc_loop *loop);
    /* Refuse an fd the backend cannot watch, before any kernel state
     * changes: return 0, LC_ENOTSUP or -errno, and fill loop->refusal. */
    int (*check_fd)(lc_loop *loop, int fd);
    /* Change the interest set of fd from old_ev to new_ev (LC__EV_* bits;
     * new_ev 0 = unregister).  NULL for completion-only backends. */
    int (*watch)(lc_loop *loop, int fd, unsigned old_ev, unsigned new_ev);
    /* Wait up to timeout_ns (<0: forever, 0: don't block) and report every
     * ready fd with lc__io_event().  Returns >= 0 or -errno; EINTR is not an
     * error (return 0). */
    int (*poll)(lc_loop *loop, int64_t timeout_ns);
    /* In a forked child: make the loop usable without disturbing the
     * parent's kernel objects.  NULL if nothing is needed. */
    int (*after_fork)(lc_loop *loop);
    /* Wake a blocked poll from another thread, for a backend that does not
     * watch the core's wakeup fd (a completion port posts a packet).  NULL:
     * the core writes to its wakeup fd. */
    void (*wakeup)(lc_loop *loop);

    /* Completion mode (LC_LOOP_COMPLETION) for stream transports: the
     * backend performs the receives and sends itself and reports their
     * completions through complete().  All NULL in a readiness-only
     * backend; a backend that sets them has LC_FEAT_COMPLETION.
     * stream_start: give transport t its completion state (t->cs).
     * stream_recv: on != 0, keep a receive into t->rbuf in flight (or hand
     *   back the one that arrived while reading was paused); on == 0, stop
     *   asking for more (one already in flight completes and is kept).
     * stream_send: send t's write queue, gathered, unless a send is in
     *   flight (its completion sends the rest).
     * stream_cancel: cancel the ops in flight and wait until the kernel let
     *   go of t's buffers (a transport may free them right after); release
     *   != 0 also frees t->cs.  Results not yet delivered are dropped.
     * complete: deliver the completions reaped by the last poll, after the
     *   ready queue and the readiness callbacks of the iteration.
     * wbuf_borrow: if [data, data + len) lies in the buffer complete() is
     *   delivering, keep that buffer for the write queue and return its id
     *   (>= 0), else -1 (the caller copies); NULL: never.
     * wbuf_release: the write queue is done with a borrowed buffer.
     * Submissions are queued and go to the kernel with the next poll. */
    int (*stream_start)(lc_loop *loop, struct lc_transport *t);
    void (*stream_recv)(lc_loop *loop, struct lc_transport *t, int on);
    void (*stream_send)(lc_loop *loop, struct lc_transport *t);
    void (*stream_cancel)(lc_loop *loop, struct lc_transport *t, int release);
    void (*complete)(lc_loop *loop);
    int (*wbuf_borrow)(lc_loop *loop, const void *data, size_t len);
    void (*wbuf_release)(lc_loop *loop, int id);
};

/* A registered fd. */
struct lc__fd {
    lc_io_cb rcb;
    void *rarg;
    lc_io_cb wcb;
    void *warg;
    unsigned events;  /* interest set registered with the backend */
    unsigned owner;   /* nonzero: used by a transport or internally */
};

/* A timer's heap slot: the key (deadline, sequence) beside the pointer, so
 * sifting compares within the heap array. */
struct lc__heap_entry {
    int64_t when;
    int64_t late; /* the latest it may fire: when + its allowance */
    uint64_t seq;
    lc_timer *t;
};

/* A slot of the sorted run: the deadline beside the record; t NULL is a
 * cancelled slot (a hole).  Slot order is sequence order among timers of
 * equal deadline. */
struct lc__timer_slot {
    int64_t when;
    int64_t late; /* as in the heap */
    lc_timer *t;
};

struct lc__ready {
    lc_cb cb;
    void *arg;
    lc_handle *h;
};

struct lc__ring {
    struct lc__ready *v;
    size_t head, count, cap; /* cap is a power of two */
};

struct lc__event {
    int fd;
    unsigned ev;
};

/* Work to do when the loop closes (signal handlers, child watchers,
 * transports), most recent first.  The node lives in its owner (no
 * allocation, so registering cannot fail) and unlinks in O(1): a loop with
 * n transports closes one without walking the other n - 1. */
struct lc__wchunk;
#define LC__WPOOL_CLASSES 9 /* 64 B .. 16 KiB */

struct lc__closer {
    void (*fn)(lc_loop *loop, void *arg);
    void *arg;
    struct lc__closer *next;
    struct lc__closer **pprev; /* NULL when not linked */
};

struct lc_loop {
    const struct lc_backend_ops *ops;
    void *backend;          /* the backend's own state */
    lc_loop_options opts;
    int64_t granularity_ns;

    bool running, closed, freed_by_close;
    atomic_bool stopping;
    pthread_t thread;       /* valid while running */
    int64_t slack_ns;       /* the running thread's timer slack, -1: not read yet */
    bool wake_ok;           /* wake_at holds lc__timers_wake's last answer */
    int64_t wake_at;
    uint64_t iterations;

    struct lc__ring ready;

    /* call_soon_threadsafe: a locked ring swapped in before each poll. */
    pthread_mutex_t ts_lock;
    struct lc__ring ts_ready;
    atomic_bool ts_wake_pending;
    bool ts_closed;         /* under ts_lock: close has begun */
    atomic_bool polling;    /* in the backend's poll: a wakeup is needed */
    int wake_rfd, wake_wfd; /* eventfd: both the same fd */

    /* timer.c: a 4-ary min-heap, the timers armed since the last flush (a
     * list through the records, in arming order) and a sorted run read
     * from run_head. */
    struct lc__heap_entry *heap;
    size_t heap_len, heap_cap;
    lc_timer *pend_head, *pend_tail;
    size_t pend_len;
    struct lc__timer_slot *run;
    size_t run_head, run_len, run_live;
    uint64_t timer_seq;

    struct lc__fd *fds;
    int nfds;               /* size of fds[] */
    int nwatched;           /* fds with a nonzero interest set */

    struct lc__event *events;
    size_t nevents, events_cap;

    /* stream.c: the buffer readiness-mode stream and read-pipe transports
     * read into (LC__READ_CHUNK bytes, allocated with the first of them).
     * One per loop: a read happens only in an I/O callback of the loop's own
     * iteration, and iterations do not nest; a per-transport buffer would
     * cost a first-touch page fault for every connection's first read. */
    unsigned char *rbuf;

    /* transport.c: emptied write-queue pieces of 64 << k bytes, kept for
     * the next write of any of the loop's transports. */
    struct lc__wchunk *wpool[LC__WPOOL_CLASSES];
    unsigned short wpool_n[LC__WPOOL_CLASSES];

    lc_refusal refusal;
    struct lc__closer *closers;

    /* Subsystem state owned by signals.c, process.c (opaque to the core). */
    void *signals;
    void *children;
};

/* --- for backends --- */
/* Report readiness of fd (LC__EV_* bits).  Bits outside the interest set
 * are masked; HUP and ERR should be reported as READ|WRITE. */
void lc__io_event(lc_loop *loop, int fd, unsigned ev);
void lc__set_refusal(lc_loop *loop, const char *call, int sys_errno, const char *ref);
const struct lc_backend_ops *lc__backend_find(const char *name);
/* Round a ns timeout up to whole ms for millisecond wait calls (a rounded-
 * down timeout wakes early and spins: epoll_wait(2), poll(2)). */
int lc__timeout_ms_ceil(int64_t timeout_ns);

/* --- for subsystems (transports, signals, processes) --- */
lc_loop *lc__running_loop(void);
int lc__check_open(const lc_loop *loop);  /* 0 or LC_ECLOSED */
/* The timer slack of the thread running the loop (prctl(2)
 * PR_GET_TIMERSLACK; 0 where there is none), read once per run. */
int64_t lc__timer_slack_ns(lc_loop *loop);
/* How late the kernel may end a poll(2), select(2) or epoll_wait(2) of
 * `left` ns, Linux's rule (fs/select.c, select_estimate_accuracy()): 0.1%
 * of the wait, at most 100 ms, at least the thread's timer slack; nothing
 * for a real-time thread.  The loop gives each timer the same allowance
 * for its delay, so a timer is never later than one wait for it alone
 * could be.  A slack of 0 means none: Linux reports 0 for a SCHED_FIFO or
 * SCHED_RR thread (PR_GET_TIMERSLACK; seen on 6.18), and other systems
 * have no slack to read.  lc__timer_slack_ns must have run in this run. */
static inline int64_t lc__allowance(const lc_loop *loop, int64_t left)
{
    if (loop->slack_ns <= 0)
        return 0;
    int64_t cap = 100000000, a = cap;
    if (left < 1000 * cap)
        a = left <= 0 ? 0 : (left * 1048) >> 20; /* left * 1048 / 2^20 <= left / 1000 */
    return a > loop->slack_ns ? a : loop->slack_ns;
}
void lc__add_closer(lc_loop *loop, struct lc__closer *c, void (*fn)(lc_loop *, void *), void *arg);
/* No-op on a node that is not linked. */
void lc__remove_closer(struct lc__closer *c);
/* Free the pool of write-queue pieces (lc_loop_close, after the closers). */
void lc__wpool_drop(lc_loop *loop);
/* Mark an fd as used by a transport: the public add/remove calls on it then
 * return LC_EBUSY (asyncio: "File descriptor ... is used by transport"). */
void lc__fd_set_owner(lc_loop *loop, int fd, unsigned owner);
/* add/remove reader/writer bypassing the ownership check. */
int lc__io_start(lc_loop *loop, int fd, unsigned ev, lc_io_cb cb, void *arg);
int lc__io_stop(lc_loop *loop, int fd, unsigned ev);
int lc__set_nonblock(int fd, int on);
int lc__set_cloexec(int fd, int on);

/* wakeup.c */
int lc__wakeup_open(lc_loop *loop);
void lc__wakeup_close(lc_loop *loop);
void lc__wakeup_signal(lc_loop *loop);
void lc__wakeup_drain(lc_loop *loop);

/* timer.c */
/* Move the timers armed since the last call into the heap or the sorted run
 * (at the start of an iteration).  LC_ENOMEM: they stay pending, nothing
 * else changed. */
int lc__timers_flush(lc_loop *loop);
/* The first timer by (deadline, sequence) among the flushed ones, or NULL. */
lc_timer *lc__timer_first(lc_loop *loop);
/* The latest time the loop may wake without a flushed timer firing later
 * than its allowance: at most the smallest `late`, found by looking at the
 * timers whose deadlines come before it (a bounded number; where the look
 * stops, that timer's deadline bounds the result).  INT64_MAX: none. */
int64_t lc__timers_wake(lc_loop *loop);
/* Unschedule and return the first flushed timer if its deadline is <= now
 * and it was armed before sequence armed_before; else NULL. */
lc_timer *lc__timer_pop_due(lc_loop *loop, int64_t now, uint64_t armed_before);
/* Forget every timer (loop close): all become not pending. */
void lc__timers_drop(lc_loop *loop);

#endif
