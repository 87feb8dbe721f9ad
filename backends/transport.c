/* The transport object: lifecycle, the write queue, flow control and the
 * operations every kind shares.
 *
 * Lifecycle (asyncio's _SelectorTransport): connection_made is scheduled
 * with call_soon when the transport is created and reading starts after it;
 * connection_lost is scheduled with call_soon too, and is always the last
 * call the loop queues for a transport, so the ready queue's FIFO order
 * guarantees nothing refers to the transport once it ran — it is freed
 * right after. */
#include "lc_transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <io.h>
#else
#include <sys/stat.h>
#include <unistd.h>
#endif

static void deliver_lost(lc_loop *loop, void *arg);

static void call_lost(lc_transport *t, int err)
{
    if (t->kind == LC_TRANSPORT_DATAGRAM) {
        if (t->dproto && t->dproto->connection_lost)
            t->dproto->connection_lost(t, err);
    } else if (t->proto && t->proto->connection_lost) {
        t->proto->connection_lost(t, err);
    }
}

static void stop_io(lc_transport *t)
{
    if (t->fd < 0)
        return;
    if (t->cs) {
        /* Completion mode: nothing is watched; an op still in flight is
         * cancelled when the transport is freed (or on a fatal error). */
        t->loop->ops->stream_recv(t->loop, t, 0);
        t->flags &= ~(LC__T_READING | LC__T_WRITING | LC__T_PEER_WATCH);
        return;
    }
    lc__io_stop(t->loop, t->fd, LC__EV_READ);
    lc__io_stop(t->loop, t->fd, LC__EV_WRITE);
    t->flags &= ~(LC__T_READING | LC__T_WRITING | LC__T_PEER_WATCH);
}

static void destroy(lc_transport *t)
{
    stop_io(t);
    /* The kernel must be done with the buffers (and the file) first. */
    if (t->cs)
        t->loop->ops->stream_cancel(t->loop, t, 1);
    if (t->fd >= 0) {
        lc__fd_set_owner(t->loop, t->fd, 0);
#ifdef _WIN32
        /* A SOCKET, or the CRT fd of a pipe (iocp pipe transports). */
        if (t->flags & LC__T_IS_SOCKET)
            lc__sock_close(t->fd);
        else
            _close(t->fd);
#else
        close(t->fd);
#endif
        t->fd = -1;
    }
    if (t->unlink_path) {
#ifndef _WIN32
        unlink(t->unlink_path);
#endif
        free(t->unlink_path);
    }
    lc__wqueue_clear(t);
    free(t->rbuf);
    free(t);
}

/* lc_loop_close() with the transport still alive. */
static void closer(lc_loop *loop, void *arg)
{
    (void)loop;
    lc_transport *t = arg;
    stop_io(t);
    if (t->flags & LC__T_MADE) {
        int err = (t->flags & LC__T_LOST_QUEUED) ? t->lost_err : LC_ECLOSED;
        t->flags |= LC__T_CLOSING | LC__T_LOST_QUEUED;
        call_lost(t, err);
    }
    destroy(t);
}

int lc__transport_new(lc_loop *loop, int kind, int fd, lc_transport **out)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    /* A completion-only backend without transport ops has nothing to build
     * on; one with them (iocp) performs every transport's I/O. */
    if (loop->ops->watch == NULL && loop->ops->stream_start == NULL)
        return LC_ENOTSUP;
    lc_transport *t = calloc(1, sizeof *t);
    if (t == NULL)
        return LC_ENOMEM;
    t->loop = loop;
    t->kind = kind;
    t->fd = fd;
    t->high = LC_WRITE_BUFFER_HIGH_DEFAULT;
    t->low = t->high / 4;
    /* A kernel-performed receive (iocp) needs a buffer of its own while in
     * flight, and datagrams keep theirs; a readiness read happens inside the
     * read callback, so those share the loop's.  io_uring's completion mode
     * receives into its ring of provided buffers and allocates a stream's
     * own buffer only when it needs one (io_uring_stream.c). */
    if (kind == LC_TRANSPORT_DATAGRAM || loop->ops->watch == NULL) {
        t->rbuf = malloc(LC__READ_CHUNK);
        if (t->rbuf == NULL) {
            free(t);
            return LC_ENOMEM;
        }
    } else if (kind != LC_TRANSPORT_WRITE_PIPE && loop->rbuf == NULL &&
               (loop->rbuf = malloc(LC__READ_CHUNK)) == NULL) {
        free(t);
        return LC_ENOMEM;
    }
    lc__add_closer(loop, &t->closer, closer, t);
    lc__fd_set_owner(loop, fd, LC__OWNER_TRANSPORT);
    *out = t;
    return 0;
}

static void deliver_made(lc_loop *loop, void *arg)
{
    lc_transport *t = arg;
    t->flags |= LC__T_MADE;
    t->made_iter = loop->iterations;
    if (t->kind == LC_TRANSPORT_DATAGRAM) {
        if (t->dproto && t->dproto->connection_made)
            t->dproto->connection_made(t);
    } else if (t->proto && t->proto->connection_made) {
        t->proto->connection_made(t);
    }
    if (!(t->flags & LC__T_CLOSING)) {
        if (t->kind == LC_TRANSPORT_WRITE_PIPE) {
            if (t->flags & LC__T_PEER_WATCH) {
                t->flags &= ~LC__T_PEER_WATCH;
                if (lc__io_start(t->loop, t->fd, LC__EV_READ, lc__stream_on_readable, t) == 0)
                    t->flags |= LC__T_PEER_WATCH;
            }
        } else if (!(t->flags & LC__T_READ_PAUSED)) {
            int rc = lc__transport_want_read(t, 1);
            if (rc < 0)
                lc__transport_fatal(t, rc);
        }
    }
    if (t->after_made) {
        lc_connect_cb cb = t->after_made;
        t->after_made = NULL;
        cb(t->loop, t, 0, t->after_made_ud);
    }
}

int lc__transport_start(lc_transport *t)
{
    if (t->loop->ops->watch == NULL) {
        /* A proactor (iocp): the backend takes every kind of transport it
         * can perform the I/O of, and refuses the others itself. */
        int rc = t->loop->ops->stream_start(t->loop, t);
        if (rc < 0)
            return rc;
        return lc_call_soon(t->loop, deliver_made, t);
    }
    /* Completion mode takes connected stream sockets; pipes, PTYs and
     * datagrams stay on readiness (loop.h, LC_LOOP_COMPLETION). */
    int completion = t->kind == LC_TRANSPORT_STREAM &&
                     (t->loop->opts.flags & LC_LOOP_COMPLETION) && t->loop->ops->stream_start;
    int ev = t->kind == LC_TRANSPORT_WRITE_PIPE ? LC__EV_WRITE : LC__EV_READ;
    int rc, keep = 0;
    if (t->kind == LC_TRANSPORT_STREAM && !completion &&
        (t->loop->ops->features & LC_FEAT_ANY_SOCKET)) {
        /* A stream transport is a socket (lc_stream_open checks SO_TYPE;
         * accept and connect make sockets), which this backend always
         * takes: only its own limits could refuse, and check_fd says so
         * without a system call.  The reader is registered by
         * connection_made's iteration, as asyncio's _add_reader, queued
         * with call_soon after it — never, for a stream paused there. */
        lc__set_refusal(t->loop, NULL, 0, NULL);
        if ((rc = t->loop->ops->check_fd(t->loop, t->fd)) < 0)
            return rc;
    } else {
        /* Check the fd with the backend now, so that a refusal (epoll and
         * a character device it cannot poll) is an error of the
         * constructor and not a surprise later.  A stream or read pipe on
         * readiness keeps that registration as the reader connection_made
         * would add (one call instead of register, unregister, register
         * again); readiness polled before connection_made ran is not
         * delivered (lc__stream_on_readable). */
        keep = !completion &&
               (t->kind == LC_TRANSPORT_STREAM || t->kind == LC_TRANSPORT_READ_PIPE);
        rc = lc__io_start(t->loop, t->fd, (unsigned)ev,
                          t->kind == LC_TRANSPORT_DATAGRAM ? lc__dgram_on_readable
                          : ev == LC__EV_READ ? lc__stream_on_readable
                                              : lc__stream_on_writable,
                          t);
        if (rc < 0)
            return rc;
        if (keep)
            t->flags |= LC__T_READING;
        else
            lc__io_stop(t->loop, t->fd, (unsigned)ev);
    }
    /* From here on a failure unregisters the kept reader: the caller
     * discards t without stopping its I/O. */
    if ((rc = lc__set_nonblock(t->fd, 1)) < 0 ||
        (completion && (rc = t->loop->ops->stream_start(t->loop, t)) < 0) ||
        (rc = lc_call_soon(t->loop, deliver_made, t)) < 0) {
        if (keep) {
            lc__io_stop(t->loop, t->fd, LC__EV_READ);
            t->flags &= ~LC__T_READING;
        }
        return rc;
    }
    return 0;
}

void lc__transport_discard(lc_transport *t)
{
    lc__remove_closer(&t->closer);
    lc__fd_set_owner(t->loop, t->fd, 0);
    t->fd = -1;
    destroy(t);
}

static void deliver_lost(lc_loop *loop, void *arg)
{
    lc_transport *t = arg;
    lc__remove_closer(&t->closer);
    stop_io(t);
    call_lost(t, t->lost_err);
    destroy(t);
}

void lc__transport_lost_soon(lc_transport *t, int err)
{
    if (t->flags & LC__T_LOST_QUEUED)
        return;
    t->flags |= LC__T_CLOSING | LC__T_LOST_QUEUED;
    t->lost_err = err;
    stop_io(t);
    /* If even the queue entry cannot be allocated, the loop-close hook
     * still delivers connection_lost and frees the transport. */
    (void)lc_call_soon(t->loop, deliver_lost, t);
}

void lc__transport_fatal(lc_transport *t, int err)
{
    /* A send in flight reads the queue's pieces: cancel it before they go. */
    if (t->cs)
        t->loop->ops->stream_cancel(t->loop, t, 0);
    lc__wqueue_clear(t);
    lc__transport_lost_soon(t, err);
}

int lc__transport_want_read(lc_transport *t, int on)
{
    if (t->cs) {
        if (on)
            t->flags |= LC__T_READING;
        else
            t->flags &= ~LC__T_READING;
        t->loop->ops->stream_recv(t->loop, t, on);
        return 0;
    }
    if (on && !(t->flags & LC__T_READING)) {
        int rc = lc__io_start(t->loop, t->fd, LC__EV_READ,
                              t->kind == LC_TRANSPORT_DATAGRAM ? lc__dgram_on_readable
                                                               : lc__stream_on_readable,
                              t);
        if (rc < 0)
            return rc;
        t->flags |= LC__T_READING;
    } else if (!on && (t->flags & LC__T_READING)) {
        lc__io_stop(t->loop, t->fd, LC__EV_READ);
        t->flags &= ~LC__T_READING;
    }
    return 0;
}

int lc__transport_want_write(lc_transport *t, int on)
{
    if (t->cs) {
        if (on) {
            t->flags |= LC__T_WRITING;
            t->loop->ops->stream_send(t->loop, t);
        } else {
            t->flags &= ~LC__T_WRITING;
        }
        return 0;
    }
    if (on && !(t->flags & LC__T_WRITING)) {
        int rc = lc__io_start(t->loop, t->fd, LC__EV_WRITE,
                              t->kind == LC_TRANSPORT_DATAGRAM ? lc__dgram_on_writable
                                                               : lc__stream_on_writable,
                              t);
        if (rc < 0)
            return rc;
        t->flags |= LC__T_WRITING;
    } else if (!on && (t->flags & LC__T_WRITING)) {
        lc__io_stop(t->loop, t->fd, LC__EV_WRITE);
        t->flags &= ~LC__T_WRITING;
    }
    return 0;
}

void lc__transport_maybe_pause(lc_transport *t)
{
    if ((t->flags & (LC__T_PROTO_PAUSED | LC__T_CLOSING)) || t->wsize <= t->high)
        return;
    t->flags |= LC__T_PROTO_PAUSED;
    void (*fn)(lc_transport *) = t->kind == LC_TRANSPORT_DATAGRAM
                                     ? (t->dproto ? t->dproto->pause_writing : NULL)
                                     : (t->proto ? t->proto->pause_writing : NULL);
    if (fn)
        fn(t);
}

void lc__transport_maybe_resume(lc_transport *t)
{
    if (!(t->flags & LC__T_PROTO_PAUSED) || t->wsize > t->low)
        return;
    t->flags &= ~LC__T_PROTO_PAUSED;
    if (t->flags & LC__T_CLOSING)
        return;
    void (*fn)(lc_transport *) = t->kind == LC_TRANSPORT_DATAGRAM
                                     ? (t->dproto ? t->dproto->resume_writing : NULL)
                                     : (t->proto ? t->proto->resume_writing : NULL);
    if (fn)
        fn(t);
}

/* ---- the write queue ---- */

/* Write-queue pieces up to LC__WCHUNK_MIN come in sizes of 64 << k bytes
 * and go back to a per-loop pool when emptied: a loop whose writes are
 * queued (every write in completion mode, a backlog on readiness) then
 * allocates nothing per write once warm, and a piece one transport emptied
 * serves the next one's write while its memory is still mapped and cached.
 * Each size keeps at most max(2, 32 KiB / size) pieces. */
#define WPOOL_BASE 64
#define WPOOL_BYTES (32 * 1024)

static int wpool_class(size_t cap)
{
    int k = 0;
    while (k < LC__WPOOL_CLASSES - 1 && ((size_t)WPOOL_BASE << k) < cap)
        k++;
    return k;
}

static unsigned wpool_limit(int k)
{
    size_t n = WPOOL_BYTES / ((size_t)WPOOL_BASE << k);
    return n < 2 ? 2 : (unsigned)n;
}

/* A piece with room for *cap bytes; *cap becomes its real capacity. */
static struct lc__wchunk *wchunk_get(lc_loop *loop, size_t *cap)
{
    if (*cap > LC__WCHUNK_MIN)
        return malloc(sizeof(struct lc__wchunk) + *cap);
    int k = wpool_class(*cap);
    *cap = (size_t)WPOOL_BASE << k;
    struct lc__wchunk *c = loop->wpool[k];
    if (c) {
        loop->wpool[k] = c->next;
        loop->wpool_n[k]--;
        return c;
    }
    return malloc(sizeof *c + *cap);
}

void lc__wchunk_put(lc_loop *loop, struct lc__wchunk *c)
{
    if (c->ext) {
        loop->ops->wbuf_release(loop, c->ext_id);
        c->ext = NULL;
    }
    if (c->cap <= LC__WCHUNK_MIN && !loop->closed) {
        int k = wpool_class(c->cap);
        if (((size_t)WPOOL_BASE << k) == c->cap && loop->wpool_n[k] < wpool_limit(k)) {
            c->next = loop->wpool[k];
            loop->wpool[k] = c;
            loop->wpool_n[k]++;
            return;
        }
    }
    free(c);
}

void lc__wpool_drop(lc_loop *loop)
{
    for (int k = 0; k < LC__WPOOL_CLASSES; k++) {
        while (loop->wpool[k]) {
            struct lc__wchunk *c = loop->wpool[k];
            loop->wpool[k] = c->next;
            free(c);
        }
        loop->wpool_n[k] = 0;
    }
}

int lc__wqueue_push(lc_transport *t, const void *data, size_t len, const struct sockaddr *addr,
                    socklen_t alen, int own_chunk)
{
    struct lc__wchunk *c = t->wtail;
    if (!own_chunk && c && c->alen == 0 && c->ext == NULL && c->cap - c->end >= len) {
        memcpy(c->data + c->end, data, len);
        c->end += len;
        t->wsize += len;
        return 0;
    }
    /* In completion mode data still in the receive buffer being delivered
     * (a protocol forwarding what it got) is sent from that buffer, which
     * the backend keeps until the send is done, instead of copied. */
    int lent = -1;
    if (t->cs && !own_chunk && !addr && len >= LC__WBORROW_MIN && t->loop->ops->wbuf_borrow)
        lent = t->loop->ops->wbuf_borrow(t->loop, data, len);
    /* Into an empty queue the piece is cut to the data (completion mode
     * queues every write, and LC__WCHUNK_MIN per write would touch pages
     * the data never needed); a queue that is backing up gets room for the
     * small writes that follow. */
    size_t cap = lent >= 0 ? 0 : len;
    if (lent < 0 && !own_chunk && len < LC__WCHUNK_MIN && t->wsize != 0)
        cap = LC__WCHUNK_MIN;
    if ((c = wchunk_get(t->loop, &cap)) == NULL) {
        if (lent >= 0)
            t->loop->ops->wbuf_release(t->loop, lent);
        return LC_ENOMEM;
    }
    c->next = NULL;
    c->cap = cap;
    c->start = 0;
    c->end = len;
    c->ext = NULL;
    c->alen = 0;
    if (lent >= 0) {
        c->ext = (unsigned char *)(uintptr_t)data;
        c->ext_id = lent;
    } else if (len) {
        memcpy(c->data, data, len);
    }
    if (addr && alen > 0 && alen <= (socklen_t)sizeof c->addr) {
        memcpy(&c->addr, addr, alen);
        c->alen = alen;
    }
    if (t->wtail)
        t->wtail->next = c;
    else
        t->whead = c;
    t->wtail = c;
    t->wsize += len;
    return 0;
}

void lc__wqueue_clear(lc_transport *t)
{
    struct lc__wchunk *c = t->whead;
    while (c) {
        struct lc__wchunk *n = c->next;
        lc__wchunk_put(t->loop, c);
        c = n;
    }
    t->whead = t->wtail = NULL;
    t->wsize = 0;
}

#ifndef _WIN32
int lc__fd_is_pipe_like(int fd, int *is_socket, int *is_fifo)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return errno == EBADF ? LC_EBADF : -errno;
    if (is_socket)
        *is_socket = S_ISSOCK(st.st_mode);
    if (is_fifo)
        *is_fifo = S_ISFIFO(st.st_mode);
    return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode);
}
#endif

/* ---- public operations shared by every kind ---- */

int lc_transport_kind(const lc_transport *t) { return t ? t->kind : 0; }
lc_loop *lc_transport_loop(const lc_transport *t) { return t ? t->loop : NULL; }
void *lc_transport_userdata(const lc_transport *t) { return t ? t->ud : NULL; }
void lc_transport_set_userdata(lc_transport *t, void *ud)
{
    if (t)
        t->ud = ud;
}
int lc_transport_fileno(const lc_transport *t) { return t ? t->fd : -1; }
int lc_transport_is_closing(const lc_transport *t) { return t && (t->flags & LC__T_CLOSING); }

int lc_transport_close(lc_transport *t)
{
    if (t == NULL)
        return LC_EINVAL;
    if (t->flags & LC__T_CLOSING)
        return 0;
    t->flags |= LC__T_CLOSING;
    lc__transport_want_read(t, 0);
    if (t->flags & LC__T_PEER_WATCH) {
        lc__io_stop(t->loop, t->fd, LC__EV_READ);
        t->flags &= ~LC__T_PEER_WATCH;
    }
    if (t->whead == NULL)
        lc__transport_lost_soon(t, 0);
    /* else: the writer flushes, then schedules connection_lost(0). */
    return 0;
}

int lc_transport_abort(lc_transport *t)
{
    if (t == NULL)
        return LC_EINVAL;
    lc__transport_fatal(t, 0);
    return 0;
}

int lc_transport_pause_reading(lc_transport *t)
{
    if (t == NULL || t->kind == LC_TRANSPORT_WRITE_PIPE)
        return LC_EINVAL;
    if (t->flags & (LC__T_CLOSING | LC__T_READ_PAUSED))
        return 0;
    t->flags |= LC__T_READ_PAUSED;
    return lc__transport_want_read(t, 0);
}

int lc_transport_resume_reading(lc_transport *t)
{
    if (t == NULL || t->kind == LC_TRANSPORT_WRITE_PIPE)
        return LC_EINVAL;
    if ((t->flags & LC__T_CLOSING) || !(t->flags & LC__T_READ_PAUSED))
        return 0;
    t->flags &= ~LC__T_READ_PAUSED;
    /* Before connection_made, or after the peer's EOF, there is nothing to
     * restart: deliver_made starts reading itself. */
    if (!(t->flags & LC__T_MADE) || (t->flags & LC__T_EOF_READ))
        return 0;
    return lc__transport_want_read(t, 1);
}

int lc_transport_is_reading(const lc_transport *t)
{
    return t && t->kind != LC_TRANSPORT_WRITE_PIPE &&
           !(t->flags & (LC__T_CLOSING | LC__T_READ_PAUSED | LC__T_EOF_READ));
}

int lc_transport_set_write_buffer_limits(lc_transport *t, long high, long low)
{
    if (t == NULL || t->kind == LC_TRANSPORT_READ_PIPE)
        return LC_EINVAL;
    if (high < 0)
        high = low < 0 ? LC_WRITE_BUFFER_HIGH_DEFAULT : 4 * low;
    if (low < 0)
        low = high / 4;
    if (!(high >= low && low >= 0))
        return LC_EINVAL;
    t->high = (size_t)high;
    t->low = (size_t)low;
    lc__transport_maybe_pause(t);
    lc__transport_maybe_resume(t);
    return 0;
}

void lc_transport_get_write_buffer_limits(const lc_transport *t, size_t *high, size_t *low)
{
    if (high)
        *high = t ? t->high : 0;
    if (low)
        *low = t ? t->low : 0;
}

size_t lc_transport_get_write_buffer_size(const lc_transport *t) { return t ? t->wsize : 0; }

int lc_transport_get_extra(const lc_transport *t, int what, struct sockaddr_storage *addr,
                           socklen_t *len)
{
    if (t == NULL || addr == NULL || len == NULL)
        return LC_EINVAL;
    if (t->fd < 0)
        return LC_ECLOSED;
    socklen_t l = sizeof *addr;
    int rc;
    if (what == LC_EXTRA_PEERNAME)
        rc = getpeername(t->fd, (struct sockaddr *)addr, &l);
    else if (what == LC_EXTRA_SOCKNAME)
        rc = getsockname(t->fd, (struct sockaddr *)addr, &l);
    else
        return LC_EINVAL;
    if (rc < 0)
        return -lc__sock_errno();
    *len = l;
    return 0;
}
