/* Stream and pipe transport I/O: reading into the transport's reusable
 * buffer, writing through the queue, half-close.
 *
 * Reading follows asyncio's _SelectorSocketTransport._read_ready: one read
 * per readiness event, an empty read is EOF, EAGAIN and EINTR are retried on
 * the next event, any other error closes the transport with -errno.
 * Writing follows _write_ready: write directly while nothing is queued,
 * queue the rest (copied) and write it when the fd is writable. */
#include "lc_transport.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include "compat_win.h"
#else
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#endif

void lc__stream_eof(lc_transport *t)
{
    t->flags |= LC__T_EOF_READ;
    lc__transport_want_read(t, 0);
    if (t->kind == LC_TRANSPORT_READ_PIPE) {
        /* A read pipe always ends at EOF (asyncio _UnixReadPipeTransport:
         * eof_received, then connection_lost(None)). */
        t->flags |= LC__T_CLOSING;
        if (t->proto && t->proto->eof_received)
            (void)t->proto->eof_received(t);
        lc__transport_lost_soon(t, 0);
        return;
    }
    int keep_open = 0;
    if (t->proto && t->proto->eof_received)
        keep_open = t->proto->eof_received(t);
    if (!keep_open)
        lc_transport_close(t);
}

void lc__stream_on_readable(lc_loop *loop, int fd, void *arg)
{
    lc_transport *t = arg;
    if (t->kind == LC_TRANSPORT_WRITE_PIPE) {
        /* The write side of a pipe, FIFO or socket became readable: the
         * reader went away (asyncio _UnixWritePipeTransport._read_ready).
         * Data still queued could never be delivered: that is EPIPE. */
        lc__transport_fatal(t, t->wsize ? -EPIPE : 0);
        return;
    }
    /* The reader is registered when the transport is created, but asyncio
     * adds it with a call_soon after connection_made: readiness from a poll
     * that came before connection_made ran (or an event of an earlier fd
     * with this number) waits for the next poll, which reports it again
     * (level-triggered). */
    if (!(t->flags & LC__T_MADE) || t->made_iter == loop->iterations)
        return;
    /* The loop's buffer (lc__transport_new allocated it), unless the
     * transport has its own. */
    unsigned char *buf = t->rbuf ? t->rbuf : loop->rbuf;
#ifdef _WIN32
    /* winselect: stream transports are sockets only (pipes need iocp). */
    ssize_t n = recv((SOCKET)(uintptr_t)(unsigned)fd, (char *)buf, LC__READ_CHUNK, 0);
    if (n < 0)
        errno = lc__sock_errno();
#else
    ssize_t n = read(fd, buf, LC__READ_CHUNK);
#endif
    if (n > 0) {
        if (t->proto && t->proto->data_received)
            t->proto->data_received(t, buf, (size_t)n);
        return;
    }
    if (n == 0) {
        lc__stream_eof(t);
        return;
    }
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
        return;
    /* pty(7): once the slave side is closed, reading the master fails with
     * EIO.  That is the terminal's end of data: EOF. */
    if (err == EIO && t->kind == LC_TRANSPORT_READ_PIPE) {
        lc__stream_eof(t);
        return;
    }
    lc__transport_fatal(t, -err);
}

#ifdef _WIN32
/* Winsock has no SIGPIPE to avoid: a gathered WSASend, non-overlapped (the
 * socket is non-blocking: WSAEWOULDBLOCK maps to -EAGAIN). */
ssize_t lc__write_nosigpipe(lc_transport *t, const struct iovec *iov, int iovcnt)
{
    WSABUF b[LC__WRITEV_MAX];
    DWORD cnt = iovcnt < LC__WRITEV_MAX ? (DWORD)iovcnt : LC__WRITEV_MAX, sent = 0;
    for (DWORD i = 0; i < cnt; i++) {
        b[i].buf = iov[i].iov_base;
        b[i].len = iov[i].iov_len > (1u << 30) ? (1u << 30) : (ULONG)iov[i].iov_len;
    }
    if (WSASend((SOCKET)(uintptr_t)(unsigned)t->fd, b, cnt, &sent, 0, NULL, NULL) != 0)
        return -lc__sock_errno();
    return (ssize_t)sent;
}
#else
/* Write to a pipe or character device without letting a vanished reader
 * raise SIGPIPE in the process: block SIGPIPE in this thread for the call
 * and consume the one the write generated (it is thread-directed), unless
 * one was already pending.  Sockets use MSG_NOSIGNAL instead (send(2)). */
static ssize_t writev_nosigpipe(int fd, const struct iovec *iov, int iovcnt)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    ssize_t n = writev(fd, iov, iovcnt);
    int err = errno;
    if (n < 0 && err == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return n;
}

ssize_t lc__write_nosigpipe(lc_transport *t, const struct iovec *iov, int iovcnt)
{
    ssize_t n;
    do {
        if ((t->flags & LC__T_IS_SOCKET) && iovcnt == 1) {
            /* One buffer: send(2), which takes MSG_NOSIGNAL like sendmsg
             * without a msghdr to build and the kernel to copy in. */
            n = send(t->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
        } else if (t->flags & LC__T_IS_SOCKET) {
            struct msghdr mh;
            memset(&mh, 0, sizeof mh);
            mh.msg_iov = (struct iovec *)iov;
            mh.msg_iovlen = (size_t)iovcnt;
            n = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
        } else {
            n = writev_nosigpipe(t->fd, iov, iovcnt);
        }
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}
#endif

int lc__stream_write_eof_now(lc_transport *t)
{
    t->flags &= ~LC__T_EOF_PENDING;
    t->flags |= LC__T_EOF_SENT;
    if (t->kind == LC_TRANSPORT_WRITE_PIPE) {
        lc__transport_lost_soon(t, 0);
        return 0;
    }
    /* ENOTCONN: the peer already reset the connection; the read side
     * reports that. */
    if (shutdown(t->fd, SHUT_WR) < 0 && lc__sock_errno() != ENOTCONN)
        return -lc__sock_errno();
    return 0;
}

int lc__wqueue_iov(const lc_transport *t, struct iovec *iov, int max)
{
    int cnt = 0;
    for (struct lc__wchunk *c = t->whead; c && cnt < max; c = c->next) {
        iov[cnt].iov_base = lc__wchunk_bytes(c) + c->start;
        iov[cnt].iov_len = c->end - c->start;
        cnt++;
    }
    return cnt;
}

void lc__stream_sent(lc_transport *t, size_t n)
{
    size_t left = n;
    t->wsize -= left;
    while (left && t->whead) {
        struct lc__wchunk *c = t->whead;
        size_t avail = c->end - c->start;
        if (left < avail) {
            c->start += left;
            break;
        }
        left -= avail;
        t->whead = c->next;
        if (t->whead == NULL)
            t->wtail = NULL;
        lc__wchunk_put(t->loop, c);
    }
    if (n)
        lc__transport_maybe_resume(t);
    if (t->wsize || (t->flags & LC__T_LOST_QUEUED))
        return;
    lc__transport_want_write(t, 0);
    if (t->flags & LC__T_CLOSING) {
        lc__transport_lost_soon(t, 0);
    } else if (t->flags & LC__T_EOF_PENDING) {
        int rc = lc__stream_write_eof_now(t);
        if (rc < 0)
            lc__transport_fatal(t, rc);
    }
}

void lc__stream_on_writable(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    (void)fd;
    lc_transport *t = arg;
    struct iovec iov[LC__WRITEV_MAX];
    int cnt = lc__wqueue_iov(t, iov, LC__WRITEV_MAX);
    size_t sent = 0;
    if (cnt > 0) {
        ssize_t n = lc__write_nosigpipe(t, iov, cnt);
        if (n == -EAGAIN || n == -EWOULDBLOCK)
            return;
        if (n < 0) {
            lc__transport_fatal(t, (int)n);
            return;
        }
        sent = (size_t)n;
    }
    lc__stream_sent(t, sent);
}

int lc_transport_writev(lc_transport *t, const struct iovec *iov, int iovcnt)
{
    if (t == NULL || iovcnt < 0 || (iovcnt > 0 && iov == NULL))
        return LC_EINVAL;
    if (t->kind != LC_TRANSPORT_STREAM && t->kind != LC_TRANSPORT_WRITE_PIPE)
        return LC_EINVAL;
    if (t->flags & (LC__T_CLOSING | LC__T_EOF_PENDING | LC__T_EOF_SENT))
        return LC_ECLOSED;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    if (total == 0)
        return 0;
    size_t sent = 0;
    /* Completion mode: everything goes through the queue, and the backend
     * sends it with the next poll (one submission for all the writes of an
     * iteration); a failure reaches connection_lost. */
    if (t->wsize == 0 && t->cs == NULL) {
        int cnt = iovcnt < IOV_MAX ? iovcnt : IOV_MAX;
        ssize_t n = lc__write_nosigpipe(t, iov, cnt);
        if (n == -EAGAIN || n == -EWOULDBLOCK) {
            n = 0;
        } else if (n < 0) {
            lc__transport_fatal(t, (int)n);
            return (int)n;
        }
        sent = (size_t)n;
    }
    if (sent == total)
        return 0;
    /* Copy what the kernel did not take, in order. */
    size_t skip = sent;
    for (int i = 0; i < iovcnt; i++) {
        size_t l = iov[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        int rc = lc__wqueue_push(t, (const unsigned char *)iov[i].iov_base + skip, l - skip,
                                 NULL, 0, 0);
        skip = 0;
        if (rc < 0) {
            lc__transport_fatal(t, rc);
            return rc;
        }
    }
    int rc = lc__transport_want_write(t, 1);
    if (rc < 0) {
        lc__transport_fatal(t, rc);
        return rc;
    }
    lc__transport_maybe_pause(t);
    return 0;
}

int lc_transport_write(lc_transport *t, const void *data, size_t len)
{
    if (len && data == NULL)
        return LC_EINVAL;
    struct iovec v = {(void *)data, len};
    return lc_transport_writev(t, &v, 1);
}

int lc_transport_write_eof(lc_transport *t)
{
    if (t == NULL)
        return LC_EINVAL;
    if (t->kind == LC_TRANSPORT_WRITE_PIPE)
        return lc_transport_close(t);
    if (t->kind != LC_TRANSPORT_STREAM)
        return LC_EINVAL;
    if (t->flags & (LC__T_CLOSING | LC__T_EOF_PENDING | LC__T_EOF_SENT))
        return 0;
    if (t->wsize) {
        t->flags |= LC__T_EOF_PENDING;
        return 0;
    }
    int rc = lc__stream_write_eof_now(t);
    if (rc < 0)
        lc__transport_fatal(t, rc);
    return rc;
}

int lc_transport_can_write_eof(const lc_transport *t)
{
    return t && (t->kind == LC_TRANSPORT_STREAM || t->kind == LC_TRANSPORT_WRITE_PIPE);
}
