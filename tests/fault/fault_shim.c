/* Fault injection by LD_PRELOAD: makes the system calls the loop uses fail
 * the way kernels really make them fail, so tests can check that the loop
 * keeps running, reports errors to protocols and loses no byte.
 *
 *   LC_FAULT=<mode>       eintr | eagain | short | econnreset | emfile | enomem
 *   LC_FAULT_EVERY=<n>    inject on one eligible call in n on average (default 2),
 *                         chosen by a seeded PRNG: a fixed period would lock
 *                         onto the loop's own poll/read rhythm and starve one
 *                         call forever, which no kernel does
 *   LC_FAULT_SEED=<n>     PRNG seed (default 1): runs are reproducible
 *   LC_FAULT_AFTER=<n>    econnreset: after n bytes read on a socket (default 65536)
 *   LC_FAULT_LIMIT=<n>    emfile/enomem: stop after n injections (default 50)
 *   LC_FAULT_STATS=<path> write "injected=<n> calls=<n> accept_calls=<n>" at exit
 *
 * Modes, and the man pages that document the error:
 *   eintr      read/write/recv/send/waits fail with EINTR (signal(7): "If a
 *              blocked call ... is interrupted by a signal handler ... the
 *              call fails with the error EINTR"; epoll_wait(2), poll(2))
 *   eagain     read/recv fail with EAGAIN although the fd was reported ready
 *              (select(2) BUGS: spurious readiness notifications)
 *   short      write/send/writev move 1..7 bytes at a time (write(2):
 *              "the number of bytes written may be less than count")
 *   econnreset a socket read fails with ECONNRESET once `after` bytes came in
 *              (tcp(7), recv(2))
 *   emfile     accept/accept4 fail with EMFILE (accept(2))
 *   enomem     accept/accept4 fail with ENOMEM (accept(2): "Not enough free
 *              memory"); epoll_ctl ADD fails with ENOMEM when
 *              LC_FAULT_CTL=1 (epoll_ctl(2))
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

enum mode { M_NONE, M_EINTR, M_EAGAIN, M_SHORT, M_ECONNRESET, M_EMFILE, M_ENOMEM };

static enum mode mode;
static long every = 2, after = 65536, limit = 50;
static atomic_ulong prng = 1;
static atomic_long calls, injected, accept_calls, bytes_read;
static atomic_int reset_done;
static const char *stats_path;

__attribute__((constructor)) static void fault_init(void)
{
    const char *m = getenv("LC_FAULT");
    if (m == NULL)
        return;
    static const struct {
        const char *name;
        enum mode m;
    } modes[] = {{"eintr", M_EINTR},         {"eagain", M_EAGAIN}, {"short", M_SHORT},
                 {"econnreset", M_ECONNRESET}, {"emfile", M_EMFILE}, {"enomem", M_ENOMEM}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(m, modes[i].name) == 0)
            mode = modes[i].m;
    if (mode == M_NONE) {
        fprintf(stderr, "fault_shim: unknown LC_FAULT mode '%s'\n", m);
        _exit(2);
    }
    if (getenv("LC_FAULT_EVERY"))
        every = atol(getenv("LC_FAULT_EVERY"));
    if (getenv("LC_FAULT_AFTER"))
        after = atol(getenv("LC_FAULT_AFTER"));
    if (getenv("LC_FAULT_LIMIT"))
        limit = atol(getenv("LC_FAULT_LIMIT"));
    if (every < 1)
        every = 1;
    if (getenv("LC_FAULT_SEED"))
        atomic_store(&prng, strtoul(getenv("LC_FAULT_SEED"), NULL, 10) | 1);
    stats_path = getenv("LC_FAULT_STATS");
}

__attribute__((destructor)) static void fault_fini(void)
{
    if (stats_path == NULL)
        return;
    FILE *f = fopen(stats_path, "w");
    if (f) {
        fprintf(f, "injected=%ld calls=%ld accept_calls=%ld\n", (long)injected, (long)calls,
                (long)accept_calls);
        fclose(f);
    }
}

#define REAL(name) \
    static __typeof__(name) *real_##name; \
    if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

/* Only sockets and pipes: the test's own stdio and files stay untouched. */
static int eligible_fd(int fd)
{
    struct stat st;
    if (fd <= 2 || fstat(fd, &st) < 0)
        return 0;
    return S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode);
}

static int is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int tick(void)
{
    atomic_fetch_add(&calls, 1);
    /* xorshift64: one step per eligible call. */
    unsigned long x = atomic_load(&prng), nx;
    do {
        nx = x;
        nx ^= nx << 13;
        nx ^= nx >> 7;
        nx ^= nx << 17;
    } while (!atomic_compare_exchange_weak(&prng, &x, nx));
    return (nx >> 11) % (unsigned long)every == 0;
}

static int inject(int err)
{
    atomic_fetch_add(&injected, 1);
    errno = err;
    return -1;
}

/* Reads: EINTR, spurious EAGAIN, or ECONNRESET once enough has arrived. */
static int read_fault(int fd)
{
    if (!eligible_fd(fd))
        return 0;
    if (mode == M_EINTR && tick())
        return EINTR;
    if (mode == M_EAGAIN && tick())
        return EAGAIN;
    if (mode == M_ECONNRESET && is_socket(fd) && atomic_load(&bytes_read) >= after &&
        !atomic_exchange(&reset_done, 1))
        return ECONNRESET;
    return 0;
}

static void count_read(ssize_t n)
{
    if (n > 0)
        atomic_fetch_add(&bytes_read, n);
}

/* Writes: EINTR, or a short count. */
static size_t write_cap(int fd, size_t len, int *err)
{
    *err = 0;
    if (!eligible_fd(fd))
        return len;
    if (mode == M_EINTR && tick()) {
        *err = EINTR;
        return 0;
    }
    if (mode == M_SHORT && len > 1) {
        atomic_fetch_add(&injected, 1);
        size_t cap = 1 + (size_t)(atomic_fetch_add(&calls, 1) % 7);
        return len < cap ? len : cap;
    }
    return len;
}

ssize_t read(int fd, void *buf, size_t len)
{
    REAL(read);
    int e = read_fault(fd);
    if (e)
        return inject(e);
    ssize_t n = real_read(fd, buf, len);
    count_read(n);
    return n;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    REAL(recv);
    int e = read_fault(fd);
    if (e)
        return inject(e);
    ssize_t n = real_recv(fd, buf, len, flags);
    count_read(n);
    return n;
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *a, socklen_t *al)
{
    REAL(recvfrom);
    int e = read_fault(fd);
    if (e)
        return inject(e);
    ssize_t n = real_recvfrom(fd, buf, len, flags, a, al);
    count_read(n);
    return n;
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    REAL(readv);
    int e = read_fault(fd);
    if (e)
        return inject(e);
    ssize_t n = real_readv(fd, iov, cnt);
    count_read(n);
    return n;
}

ssize_t write(int fd, const void *buf, size_t len)
{
    REAL(write);
    int e;
    size_t cap = write_cap(fd, len, &e);
    if (e)
        return inject(e);
    return real_write(fd, buf, cap);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    REAL(send);
    int e;
    size_t cap = write_cap(fd, len, &e);
    if (e)
        return inject(e);
    return real_send(fd, buf, cap, flags);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    REAL(writev);
    size_t total = 0;
    for (int i = 0; i < cnt; i++)
        total += iov[i].iov_len;
    int e;
    size_t cap = write_cap(fd, total, &e);
    if (e)
        return inject(e);
    if (cap >= total)
        return real_writev(fd, iov, cnt);
    /* A short writev writes a prefix of the first buffer. */
    REAL(write);
    for (int i = 0; i < cnt; i++)
        if (iov[i].iov_len)
            return real_write(fd, iov[i].iov_base, cap < iov[i].iov_len ? cap : iov[i].iov_len);
    return 0;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    REAL(sendmsg);
    if (mode == M_EINTR && eligible_fd(fd) && tick())
        return inject(EINTR);
    return real_sendmsg(fd, msg, flags);
}

static int accept_fault(void)
{
    atomic_fetch_add(&accept_calls, 1);
    if ((mode == M_EMFILE || mode == M_ENOMEM) && atomic_load(&injected) < limit)
        return mode == M_EMFILE ? EMFILE : ENOMEM;
    return 0;
}

int accept(int fd, struct sockaddr *a, socklen_t *al)
{
    REAL(accept);
    int e = accept_fault();
    if (e)
        return inject(e);
    return real_accept(fd, a, al);
}

int accept4(int fd, struct sockaddr *a, socklen_t *al, int flags)
{
    REAL(accept4);
    int e = accept_fault();
    if (e)
        return inject(e);
    return real_accept4(fd, a, al, flags);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    REAL(epoll_ctl);
    if (mode == M_ENOMEM && getenv("LC_FAULT_CTL") && op == EPOLL_CTL_ADD && eligible_fd(fd) &&
        atomic_load(&injected) < limit && tick())
        return inject(ENOMEM);
    return real_epoll_ctl(epfd, op, fd, ev);
}

/* Waits: EINTR before blocking, as a signal arriving first would cause. */
static int wait_fault(void) { return mode == M_EINTR && tick(); }

int epoll_wait(int epfd, struct epoll_event *ev, int n, int timeout)
{
    REAL(epoll_wait);
    if (wait_fault())
        return inject(EINTR);
    return real_epoll_wait(epfd, ev, n, timeout);
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    REAL(poll);
    if (wait_fault())
        return inject(EINTR);
    return real_poll(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    REAL(ppoll);
    if (wait_fault())
        return inject(EINTR);
    return real_ppoll(fds, n, ts, mask);
}

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
    REAL(select);
    if (wait_fault())
        return inject(EINTR);
    return real_select(n, r, w, e, tv);
}

int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
            const sigset_t *mask)
{
    REAL(pselect);
    if (wait_fault())
        return inject(EINTR);
    return real_pselect(n, r, w, e, ts, mask);
}

/* epoll_pwait2 is reached through syscall(2) where glibc has no wrapper. */
long syscall(long nr, ...)
{
    REAL(syscall);
    va_list ap;
    va_start(ap, nr);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
#ifdef SYS_epoll_pwait2
    if (nr == SYS_epoll_pwait2 && wait_fault())
        return inject(EINTR);
#endif
    return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* For the test program: how many faults were injected so far (a run that
 * injected none tested nothing). */
long lc_fault_injected_count(void) { return atomic_load(&injected); }
