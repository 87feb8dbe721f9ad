/* The workloads, stated once, and the adapters that run them on each loop.
 *
 * Every implementation (ours on each backend, libuv, libev, libevent, a raw
 * syscall floor) is an adapter with the same signature; the shared part of
 * each workload (what a callback does) lives here so that the loops differ
 * only in how they deliver the callback.  A peer's adapters are compiled
 * only when its development package was found (LCB_HAVE_UV, LCB_HAVE_EV,
 * LCB_HAVE_EVENT). */
#ifndef LCB_WORKLOADS_H
#define LCB_WORKLOADS_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

/* ---- pipes chain (libevent test/bench.c) -------------------------------
 * n socketpairs; a reader on every fds[i][0].  `a` bytes are written to
 * evenly spaced pairs; each reader reads one byte and, while writes remain,
 * writes one byte to the next pair.  Done when count == fired. */
struct lcb_chain {
    int n, a, w;
    int (*fds)[2];
    long count, fired, writes;
};

static inline void lcb_chain_readable(struct lcb_chain *c, int idx)
{
    char ch;
    ssize_t r = read(c->fds[idx][0], &ch, 1);
    if (r > 0)
        c->count += r;
    if (c->writes) {
        int widx = idx + 1;
        if (widx >= c->n)
            widx -= c->n;
        if (write(c->fds[widx][1], "e", 1) == 1) {
            c->writes--;
            c->fired++;
        }
    }
}

struct lcb_chain_impl {
    const char *name;
    /* A fresh loop with a persistent reader on every fds[i][0]; NULL and a
     * reason in `why` when this implementation cannot take the workload. */
    void *(*start)(struct lcb_chain *c, char *why, size_t len);
    void (*once)(void *st); /* one iteration with a zero timeout */
    void (*stop)(void *st); /* unregister everything and free the loop */
};

/* ---- stream chain -------------------------------------------------------
 * The pipes chain through each library's stream API: n socketpairs; the
 * library reads fds[i][0] and its data callback writes what arrived to
 * fds[i+1][1] (wrapping) with the library's write call, until w * size
 * bytes were forwarded; `a` messages of `size` bytes start at evenly
 * spaced pairs.  Done when every byte written was read (count == fired). */
struct lcb_schain {
    int n, a, w;
    size_t size;
    int (*fds)[2];
    long long count, fired, budget;
};

/* len bytes arrived at a pair: how many of them to forward to the next. */
static inline size_t lcb_schain_received(struct lcb_schain *c, size_t len)
{
    c->count += (long long)len;
    size_t fwd = (long long)len < c->budget ? len : (size_t)c->budget;
    c->budget -= (long long)fwd;
    c->fired += (long long)fwd;
    return fwd;
}

struct lcb_schain_impl {
    const char *name;
    /* A fresh loop with a stream on every fd (reading the fds[i][0]);
     * NULL and a reason in `why` when it cannot take the workload. */
    void *(*start)(struct lcb_schain *c, char *why, size_t len);
    void (*once)(void *st); /* one iteration with a zero timeout */
    void (*stop)(void *st); /* close every stream and its fd, free the loop */
};

/* ---- a million timers (libuv million_timers, shuffled) -----------------
 * Arm n one-shot timers with delay_ns[i], cancel every odd i, run until the
 * rest fired. */
struct lcb_timers_result {
    double arm_ms, cancel_ms;       /* wall: CPU-bound */
    double dispatch_cpu_ms;         /* getrusage(2) user+sys while dispatching */
    double dispatch_wall_ms;
    double total_cpu_ms;            /* arm + cancel + dispatch, getrusage(2) */
    long fired;
};
typedef int (*lcb_timers_fn)(int n, const int64_t *delay_ns, struct lcb_timers_result *out, char *why,
                             size_t len);

/* The result from the clocks each implementation reads around the phases:
 * c0/t0 (CPU, wall) before arming, t1 after arming, t2/c2 after
 * cancelling, t3/c3 after dispatching. */
static inline void lcb_timers_result_set(struct lcb_timers_result *o, int64_t c0, int64_t t0,
                                         int64_t t1, int64_t t2, int64_t c2, int64_t t3,
                                         int64_t c3, long fired)
{
    o->arm_ms = (double)(t1 - t0) / 1e6;
    o->cancel_ms = (double)(t2 - t1) / 1e6;
    o->dispatch_cpu_ms = (double)(c3 - c2) / 1e6;
    o->dispatch_wall_ms = (double)(t3 - t2) / 1e6;
    o->total_cpu_ms = (double)(c3 - c0) / 1e6;
    o->fired = fired;
}

/* ---- timer lateness ------------------------------------------------------
 * One timer at a time: arm with delay_ns; in the callback record
 * now - (armed_at + delay_ns) (ns, negative = early), spin work_ns, then
 * re-arm; `count` times.  armed_at is read right before the arming call. */
struct lcb_late {
    int64_t delay_ns, work_ns;
    int count, done;
    int64_t armed_at;
    double *lateness_ns;
};

static inline int lcb_late_fired(struct lcb_late *l, int64_t now)
{
    l->lateness_ns[l->done++] = (double)(now - (l->armed_at + l->delay_ns));
    return l->done < l->count;
}

typedef int (*lcb_late_fn)(struct lcb_late *l, char *why, size_t len);

/* ---- callbacks -----------------------------------------------------------
 * `inflight` callbacks, each rescheduling itself, until `total` ran. */
typedef int (*lcb_soon_fn)(long total, int inflight, double *elapsed_ns, char *why, size_t len);

/* Threadsafe round trips: each of nthreads threads, per_thread times,
 * wakes the loop through the implementation's cross-thread call and waits
 * until the loop's callback acknowledged it. */
struct lcb_wake {
    int nthreads;
    long per_thread;
    void (*send)(void *impl, int tid);
    void *impl;
    sem_t ack[8];
    pthread_t th[8];
    long received; /* loop side */
};

/* Start the threads (they begin sending at once). */
int lcb_wake_start(struct lcb_wake *w);
/* Loop side: acknowledge thread tid; returns 1 when every round trip is done. */
int lcb_wake_ack(struct lcb_wake *w, int tid);
void lcb_wake_join(struct lcb_wake *w);
typedef int (*lcb_wake_fn)(int nthreads, long per_thread, double *elapsed_ns, char *why, size_t len);

/* ---- TCP ping-pong --------------------------------------------------------
 * Both ends of one loopback TCP connection (TCP_NODELAY) in one loop: the
 * client writes "PING\n", the server echoes what it reads, the client
 * counts a round trip per 5 bytes back and writes again until `seconds`
 * passed.  The adapter owns both fds (closes them). */
#define LCB_PING "PING\n"
#define LCB_PING_LEN 5
typedef int (*lcb_pingpong_fn)(int cfd, int sfd, double seconds, long *round_trips, double *elapsed_ns,
                               char *why, size_t len);

/* ---- peer adapters ------------------------------------------------------ */

/* Versions as the loaded library reports them; NULL if the wrong library
 * answered (Debian's libev.so also exports libevent's names). */
const char *lcb_uv_version(void);
const char *lcb_ev_version(void);
const char *lcb_event_version(void);

extern const struct lcb_chain_impl lcb_uv_chain, lcb_ev_chain, lcb_event_chain;
extern const struct lcb_schain_impl lcb_uv_schain, lcb_event_schain;
extern const struct lcb_schain_impl lcb_uring_schain; /* floor_uring.c */
int lcb_uv_timers(int n, const int64_t *d, struct lcb_timers_result *o, char *why, size_t len);
int lcb_ev_timers(int n, const int64_t *d, struct lcb_timers_result *o, char *why, size_t len);
int lcb_event_timers(int n, const int64_t *d, struct lcb_timers_result *o, char *why, size_t len);
int lcb_uv_late(struct lcb_late *l, char *why, size_t len);
int lcb_ev_late(struct lcb_late *l, char *why, size_t len);
int lcb_event_late(struct lcb_late *l, char *why, size_t len);
int lcb_event_late_precise(struct lcb_late *l, char *why, size_t len);
int lcb_uv_soon(long total, int inflight, double *elapsed_ns, char *why, size_t len);
int lcb_ev_soon(long total, int inflight, double *elapsed_ns, char *why, size_t len);
int lcb_event_soon(long total, int inflight, double *elapsed_ns, char *why, size_t len);
int lcb_uv_pingpong(int cfd, int sfd, double seconds, long *rts, double *elapsed_ns, char *why, size_t len);
int lcb_event_pingpong(int cfd, int sfd, double seconds, long *rts, double *elapsed_ns, char *why, size_t len);
int lcb_uv_wake(int nthreads, long per_thread, double *elapsed_ns, char *why, size_t len);
int lcb_ev_wake(int nthreads, long per_thread, double *elapsed_ns, char *why, size_t len);
int lcb_event_wake(int nthreads, long per_thread, double *elapsed_ns, char *why, size_t len);

#endif
