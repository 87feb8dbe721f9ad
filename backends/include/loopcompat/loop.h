/** @file
 * loopcompat — an event loop with the semantics Python's asyncio documents.
 *
 * The loop core: lifecycle, callbacks, timers, fd readiness, policies.
 * Transports, subprocesses and signals have their own headers; include
 * <loopcompat/loopcompat.h> for everything.
 *
 * Conventions: functions that can fail return 0 (or a non-negative value)
 * on success and a negative code on failure; see lc_strerror().  LC_ENOTSUP
 * (the backend cannot do this), LC_ECLOSED (the loop is closed) and
 * LC_EINVAL (the call was wrong) are always kept apart: asyncio's own tests
 * blur them (NotImplementedError is a RuntimeError), this library does not.
 */
#ifndef LOOPCOMPAT_LOOP_H
#define LOOPCOMPAT_LOOP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(_WIN32)
/* The library is built with -fvisibility=hidden: what the public headers
 * declare is exactly what it exports (the lc__ internals stay hidden). */
#pragma GCC visibility push(default)
#endif

#define LC_VERSION_MAJOR 0
#define LC_VERSION_MINOR 1
#define LC_VERSION_PATCH 0
#define LC_VERSION_STRING "0.1.0"
/* The version as one number, (major << 16) | (minor << 8) | patch, so that
 * versions compare with < and >. */
#define LC_VERSION_HEX ((LC_VERSION_MAJOR << 16) | (LC_VERSION_MINOR << 8) | LC_VERSION_PATCH)

/** The version of the library linked at run time, which may differ from the
 * header's LC_VERSION_* a program was compiled with (a shared library
 * upgraded under it): LC_VERSION_HEX's form, and "MAJOR.MINOR.PATCH". */
unsigned lc_version(void);
const char *lc_version_string(void);

/* ---- errors ------------------------------------------------------------
 * Codes in (-4096, 0) are -errno passed through from the OS; the library's
 * own codes sit below -10000 so the two never collide. */
enum {
    LC_ENOTSUP = -10001,  /**< this backend/platform cannot do it (documented refusal) */
    LC_ECLOSED = -10002,  /**< the loop (or transport) is closed */
    LC_EINVAL = -10003,   /**< invalid argument */
    LC_EBADF = -10004,    /**< not an open file descriptor */
    LC_ERUNNING = -10005, /**< the loop is already running (or another loop runs in this thread) */
    LC_ENOLOOP = -10006,  /**< no current event loop in this thread */
    LC_ENOBACKEND = -10007, /**< unknown backend name */
    LC_EUNAVAIL = -10008, /**< backend known but unavailable on this host (see lc_backend_probe) */
    LC_ENOMEM = -10009,   /**< out of memory */
    LC_EBUSY = -10010,    /**< the fd is owned by a transport, or the slot is taken */
    LC_ETHREAD = -10011,  /**< wrong thread (e.g. signal handlers outside the main thread) */
    LC_ENAMETOOLONG = -10012, /**< a path does not fit (e.g. sun_path) */
    LC_ECANCELED = -10013 /**< the operation was cancelled */
};

/** A readable message for any code this library returns, including -errno. */
const char *lc_strerror(int err);
/** A stable symbolic name ("LC_ENOTSUP", "EPERM", …) for reports. */
const char *lc_errname(int err);

/* ---- the loop ----------------------------------------------------------- */

typedef struct lc_loop lc_loop;

typedef void (*lc_cb)(lc_loop *loop, void *arg);
typedef void (*lc_io_cb)(lc_loop *loop, int fd, void *arg);

/** How a loop waits for children: pidfd_open(2) (Linux >= 5.3) or SIGCHLD +
 * waitpid(2).  DEFAULT picks pidfd where the kernel has it. */
enum lc_child_watcher { LC_CHILD_WATCHER_DEFAULT = 0, LC_CHILD_WATCHER_PIDFD, LC_CHILD_WATCHER_SIGCHLD };
/** How a loop receives signals: signalfd(2), or a handler writing to a
 * self-pipe.  DEFAULT picks signalfd on Linux. */
enum lc_signal_impl { LC_SIGNAL_DEFAULT = 0, LC_SIGNAL_SIGNALFD, LC_SIGNAL_SELFPIPE };

enum {
    /** Use the backend's millisecond wait call (epoll_wait, poll, select)
     * instead of its nanosecond one (epoll_pwait2, ppoll, pselect); io_uring
     * rounds its timespec up to whole milliseconds.  lc_loop_new() also sets
     * this flag when the environment has LOOPCOMPAT_COARSE_TIMEOUT=1. */
    LC_LOOP_COARSE_TIMEOUT = 1u << 0,
    /** Completion mode: the backend performs the I/O of stream transports
     * (TCP and Unix stream connections, lc_stream_open) itself — it keeps
     * a receive in flight and sends the write buffer, gathered — instead
     * of reporting readiness for the loop to read and write; asyncio's
     * proactor model.  Only io_uring has it: lc_loop_new() returns
     * LC_ENOTSUP for this flag on any other backend.  Pipes, PTYs,
     * datagrams, listening sockets and connects stay on readiness, and
     * add_reader/add_writer keep working.  What changes for the user is
     * documented in transport.h ("Completion mode"). */
    LC_LOOP_COMPLETION = 1u << 1
};

typedef struct lc_loop_options {
    const char *backend;   /**< NULL: lc_backend_default() */
    unsigned flags;        /**< LC_LOOP_* */
    int child_watcher;     /**< enum lc_child_watcher */
    int signal_impl;       /**< enum lc_signal_impl */
} lc_loop_options;

/** Create a loop.  opts may be NULL.  On failure *out is NULL and the code is
 * LC_ENOBACKEND, LC_EUNAVAIL, LC_ENOMEM, -errno, or LC_ENOTSUP for a flag
 * the backend cannot honour (LC_LOOP_COMPLETION). */
int lc_loop_new(lc_loop **out, const lc_loop_options *opts);

/** Run until lc_loop_stop().  A stop requested before run makes run do exactly
 * one iteration with a zero timeout (asyncio run_forever semantics).
 * LC_ECLOSED on a closed loop, LC_ERUNNING if this loop or another loop is
 * already running in this thread. */
int lc_loop_run(lc_loop *loop);
/** One iteration: poll (blocking until the next timer or event if `block`,
 * else with a zero timeout), then run what is ready.  Same errors as run. */
int lc_loop_run_once(lc_loop *loop, int block);
/** Ask a running loop to return after the current iteration.  Thread-safe. */
void lc_loop_stop(lc_loop *loop);

/** Release the loop's OS resources.  Idempotent: closing a closed loop
 * returns 0.  LC_ERUNNING from inside the running loop.  Pending callbacks
 * and timers are dropped without being called; after close every other call
 * returns LC_ECLOSED (remove_* return 0: nothing to remove). */
int lc_loop_close(lc_loop *loop);
/** Free the loop's memory (closing it first if needed).  NULL is a no-op. */
void lc_loop_free(lc_loop *loop);

/** In a child made by fork(2), before using a loop inherited from the
 * parent: give it kernel objects of its own so that nothing the child does
 * reaches the parent's loop, and the other way round.  The backend's poller
 * is re-created where it is shared with the parent (an epoll instance
 * (epoll(7) Q&A) or an io_uring ring), the cross-thread wakeup and the
 * signal channel are re-created (handlers are kept), and the parent's
 * children are forgotten: they are not the child's to wait for
 * (waitpid(2)) and are never signalled.  Fds registered with the loop stay
 * registered.  Without this call an inherited epoll or io_uring loop shares
 * its interest list with the parent's.  LC_ECLOSED on a closed loop. */
int lc_loop_after_fork(lc_loop *loop);

int lc_loop_is_running(const lc_loop *loop);
int lc_loop_is_closed(const lc_loop *loop);
const char *lc_loop_backend_name(const lc_loop *loop);
/** Granularity of the wait call this loop actually uses, in ns. */
int64_t lc_loop_timeout_granularity_ns(const lc_loop *loop);
/** Iterations completed so far (for tests and the timeout-rounding case). */
uint64_t lc_loop_iterations(const lc_loop *loop);

/** CLOCK_MONOTONIC in ns: the loop's notion of time (asyncio: loop.time()). */
int64_t lc_loop_time(const lc_loop *loop);
int64_t lc_time_ns(void);

/* ---- callbacks ----------------------------------------------------------
 * call_soon is FIFO; a callback scheduled while an iteration runs its ready
 * queue runs in the next iteration.  No allocation per call (ring buffer). */
int lc_call_soon(lc_loop *loop, lc_cb cb, void *arg);

/** A cancellable call_soon: the caller owns `h` until the callback ran or was
 * cancelled and the loop went through one more iteration. */
typedef struct lc_handle {
    lc_cb cb;
    void *arg;
    unsigned state; /**< internal */
} lc_handle;
int lc_call_soon_handle(lc_loop *loop, lc_handle *h, lc_cb cb, void *arg);
void lc_handle_cancel(lc_handle *h);
int lc_handle_cancelled(const lc_handle *h);

/** From any thread: queue cb and wake the loop if it is blocked in its poll.
 * LC_ECLOSED once the loop is closed. */
int lc_call_soon_threadsafe(lc_loop *loop, lc_cb cb, void *arg);

/* ---- timers -------------------------------------------------------------
 * Caller-owned timer records ordered by (deadline, sequence): equal
 * deadlines fire in scheduling order.  A timer never fires before its
 * deadline by the loop's clock.  The loop may let it fire later by up to
 * the rule Linux applies to a poll(2)/select(2)/epoll_wait(2) timeout of
 * the same length (fs/select.c, select_estimate_accuracy()): the thread's
 * timer slack (prctl(2) PR_SET_TIMERSLACK, 50 µs by default) or 0.1% of
 * the time left when the loop took the timer in, whichever is larger, at
 * most 100 ms; nothing for a thread without slack (a real-time one).
 * Timers a few µs apart then share wakeups (docs/timers.md).  A record is
 * zeroed before its first use (static storage, calloc, or
 * `lc_timer t = {0};`); from then on the loop keeps it, and it may be
 * freed whenever it is not scheduled. */
typedef struct lc_timer {
    int64_t when;     /**< absolute deadline, lc_loop_time() ns */
    union {           /**< internal: the arming order; before the loop */
        uint64_t seq; /**< took the timer in, the next timer armed */
        struct lc_timer *next_armed;
    } order;          /**< named, so the header is C99 as well as C11 */
    uintptr_t where;  /**< internal: where the loop keeps it, 0 when not scheduled */
    lc_cb cb;
    void *arg;
    lc_loop *loop;
} lc_timer;

/** Schedule `t` at an absolute time / after a delay (ns; negative delays are
 * allowed and fire on the next iteration).  Re-arming a scheduled timer
 * moves it.  Arming is O(1) and allocates nothing; errors: LC_EINVAL,
 * LC_ECLOSED, LC_EBUSY (t is scheduled on another open loop). */
int lc_call_at(lc_loop *loop, lc_timer *t, int64_t when_ns, lc_cb cb, void *arg);
int lc_call_later(lc_loop *loop, lc_timer *t, int64_t delay_ns, lc_cb cb, void *arg);
/** Unschedule; returns 1 if it was pending, 0 if not.  O(log n). */
int lc_timer_cancel(lc_timer *t);
int lc_timer_pending(const lc_timer *t);

/* ---- fd readiness --------------------------------------------------------
 * One registration per fd for both directions.  Adding a reader to an fd that
 * already has one replaces its callback.  The backend's check_fd refuses what
 * it cannot watch with LC_ENOTSUP (or -errno such as -EPERM) before touching
 * kernel state.  Backends without readiness (a proactor) return LC_ENOTSUP. */
int lc_add_reader(lc_loop *loop, int fd, lc_io_cb cb, void *arg);
int lc_add_writer(lc_loop *loop, int fd, lc_io_cb cb, void *arg);
/** 1 if a callback was removed, 0 if there was none (asyncio returns a bool). */
int lc_remove_reader(lc_loop *loop, int fd);
int lc_remove_writer(lc_loop *loop, int fd);

/** The detail behind the last refusal of add_reader/add_writer (or of
 * lc_tcp_server_ex's reuse_port) on this loop:
 * the system call and errno, for reports ("epoll_ctl", EPERM).  errno 0 when
 * the refusal came before any call (select and fd >= FD_SETSIZE), or when
 * the OS was asked and accepted but the library refuses by design.
 * decided_by says which: "os" (call failed with sys_errno) or "library"
 * (the loop's documented choice, ref); NULL when nothing was recorded. */
typedef struct lc_refusal {
    const char *call;
    int sys_errno;
    const char *ref;  /**< documentation reference, e.g. "man:epoll_ctl(2)" */
    const char *decided_by;
} lc_refusal;
void lc_loop_last_refusal(const lc_loop *loop, lc_refusal *out);

/* ---- backends ------------------------------------------------------------ */

enum lc_reason_code {
    LC_REASON_NONE = 0,
    LC_REASON_NOT_APPLICABLE, /**< not this OS */
    LC_REASON_NOT_BUILT,      /**< compiled out (headers missing at build time) */
    LC_REASON_DISABLED_BY_POLICY, /**< sysctl, seccomp, container policy */
    LC_REASON_PROBE_FAILED    /**< the probe call failed with an errno */
};

typedef struct lc_probe {
    int available;
    int reason;           /**< enum lc_reason_code */
    int sys_errno;        /**< errno of the failed probe call, 0 if none */
    char message[256];
} lc_probe;

/** Every backend compiled into this library (also unavailable ones), in
 * preference order.  Returns the count; names[i] valid forever. */
size_t lc_backend_list(const char *const **names);
/** Probe a backend by name: LC_ENOBACKEND if unknown, 0 otherwise (see
 * why->available). */
int lc_backend_probe(const char *name, lc_probe *why);
/** The platform default: $LOOPCOMPAT_BACKEND if set, else the first available
 * backend in preference order. */
const char *lc_backend_default(void);
int64_t lc_backend_timeout_granularity_ns(const char *name, unsigned loop_flags);
/** Why a loop with these flags waits in whole milliseconds although the
 * flags ask for no less (the call that refused a finer timeout and its
 * errno, or the call that only takes milliseconds, with its documentation):
 * 1 and *out filled, 0 if it does not (or the name is unknown). */
int lc_backend_timeout_refusal(const char *name, unsigned loop_flags, lc_refusal *out);

/** A kernel feature a backend uses, probed on this host. */
typedef struct lc_backend_feature {
    const char *name;  /**< "multishot_poll" */
    const char *since; /**< the Linux version documented as adding it, "5.13" */
    const char *probe; /**< the call that answered: "io_uring_get_probe(IORING_OP_RECV)" */
    int available;
    int sys_errno;     /**< the refusal's errno, 0 if none or available */
} lc_backend_feature;
/** The backend's kernel features, probed now: fills up to cap entries and
 * returns how many there are (0 for a backend that lists none).  The
 * strings are static. */
size_t lc_backend_features(const char *name, lc_backend_feature *out, size_t cap);
/** The LC_LOOP_* flags a loop on this backend accepts (0 if the name is
 * unknown): LC_LOOP_COARSE_TIMEOUT everywhere, LC_LOOP_COMPLETION where the
 * backend can perform stream I/O itself. */
unsigned lc_backend_loop_flags(const char *name);
const char *lc_reason_name(int reason);

/* ---- policies (asyncio-policy) -------------------------------------------
 * The policy decides what the current loop of a thread is.  The default
 * policy keeps one current loop per thread; get_event_loop() in the main
 * thread creates (and sets) one if set_event_loop() was never called there;
 * in any other thread, or after set_event_loop(NULL), it fails with
 * LC_ENOLOOP. */
typedef struct lc_policy {
    void *self;
    lc_loop *(*get_event_loop)(void *self, int *err);
    int (*set_event_loop)(void *self, lc_loop *loop);
    int (*new_event_loop)(void *self, lc_loop **out);
} lc_policy;

/** The running loop of this thread if any, else policy->get_event_loop. */
lc_loop *lc_get_event_loop(int *err);
int lc_set_event_loop(lc_loop *loop);
/** A fresh loop from the policy; not made current. */
int lc_new_event_loop(lc_loop **out);
/** The loop running in this thread, or NULL (err: LC_ENOLOOP). */
lc_loop *lc_get_running_loop(int *err);
/** NULL restores the default policy.  The policy struct must outlive its use. */
int lc_set_event_loop_policy(const lc_policy *policy);
const lc_policy *lc_get_event_loop_policy(void);
/** Forget this thread's default-policy state (frees a loop the default policy
 * created implicitly).  For tests and thread exit. */
void lc_policy_reset_thread(void);
/** 1 if the caller is the process's main thread. */
int lc_is_main_thread(void);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
