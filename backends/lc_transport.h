/* Internal shape of a transport, shared by transport.c (lifecycle),
 * stream.c (stream and pipe I/O), udp.c (datagram I/O) and the
 * constructors (pipe.c, tcp.c, unix.c, server.c, connect.c). */
#ifndef LC_TRANSPORT_H
#define LC_TRANSPORT_H

#include "lc_internal.h"
#include "loopcompat/transport.h"

#ifdef _WIN32
/* send(2)'s flag: Winsock never raises SIGPIPE (there are no signals). */
#define MSG_NOSIGNAL 0
#define SHUT_WR SD_SEND
#ifndef IOV_MAX
#define IOV_MAX 1024
#endif
#endif

/* Sockets on both platforms: a POSIX fd, or a Winsock SOCKET held in an
 * int (compat_win.h).  Socket calls report errors in errno on POSIX and
 * through WSAGetLastError() on Windows (mapped to errno values there). */
/* A new socket, non-blocking and not inherited by children: fd or -errno. */
int lc__socket(int af, int type);
void lc__sock_close(int fd);
/* The errno value of the last failed socket call of this thread. */
int lc__sock_errno(void);

/* Owner tag for lc__fd_set_owner: the fd belongs to a transport. */
#define LC__OWNER_TRANSPORT 1u

/* Bytes read per readiness event into the transport's own buffer. */
#define LC__READ_CHUNK (64 * 1024)

/* Piece of the write queue a backed-up queue grows by (a write that does
 * not fit the tail piece gets a new one at least this large), and the
 * largest size the loop's pool keeps (64 << (LC__WPOOL_CLASSES - 1)). */
#define LC__WCHUNK_MIN (16 * 1024)

/* One piece of the write queue.  Stream data is appended to the tail piece
 * while it has room; a datagram always gets a piece of its own with its
 * destination.  A piece may instead point at a buffer the backend lent
 * (ext, the backend's id in ext_id; ops->wbuf_borrow): its bytes are
 * ext[start..end), it takes no appends, and the buffer goes back to the
 * backend when the piece does. */
struct lc__wchunk {
    struct lc__wchunk *next;
    size_t cap, start, end;
    unsigned char *ext;
    int ext_id;
    socklen_t alen;
    struct sockaddr_storage addr;
    unsigned char data[];
};

/* The piece's bytes (start..end index them). */
static inline unsigned char *lc__wchunk_bytes(struct lc__wchunk *c) { return c->ext ? c->ext : c->data; }

/* Lent buffers are worth it from this size: below it a copy costs less
 * than holding a whole receive buffer until the send completes. */
#define LC__WBORROW_MIN 512

enum {
    LC__T_MADE = 1u << 0,        /* connection_made delivered */
    LC__T_CLOSING = 1u << 1,     /* close/abort/fatal started */
    LC__T_LOST_QUEUED = 1u << 2, /* connection_lost scheduled */
    LC__T_EOF_PENDING = 1u << 3, /* write_eof asked, buffer not yet flushed */
    LC__T_EOF_SENT = 1u << 4,    /* write side shut */
    LC__T_READ_PAUSED = 1u << 5, /* pause_reading */
    LC__T_READING = 1u << 6,     /* reader registered */
    LC__T_WRITING = 1u << 7,     /* writer registered */
    LC__T_PEER_WATCH = 1u << 8,  /* write pipe: reader registered to see the peer close */
    LC__T_PROTO_PAUSED = 1u << 9,/* pause_writing delivered */
    LC__T_IS_SOCKET = 1u << 10,  /* send(MSG_NOSIGNAL) works */
    LC__T_CONNECTED = 1u << 11,  /* datagram: connected to a peer */
    LC__T_EOF_READ = 1u << 12    /* the peer's EOF was seen */
};

struct lc_transport {
    lc_loop *loop;
    struct lc__closer closer;
    int kind; /* enum lc_transport_kind */
    int fd;
    unsigned flags;
    const lc_protocol *proto;
    const lc_datagram_protocol *dproto;
    void *ud;
    int lost_err;

    /* LC__READ_CHUNK bytes, reused for every read: datagram transports
     * and those whose reads the backend performs (completion mode, iocp);
     * NULL for the others, which read into the loop's rbuf. */
    unsigned char *rbuf;

    struct lc__wchunk *whead, *wtail;
    size_t wsize, high, low;

    /* Completion mode (LC_LOOP_COMPLETION): the backend's state for this
     * transport, NULL when the transport runs on readiness. */
    void *cs;

    /* lc_loop_iterations() when connection_made ran: readiness polled
     * before it is not delivered (lc__stream_on_readable). */
    uint64_t made_iter;

    /* Run right after connection_made (a connect's completion callback). */
    lc_connect_cb after_made;
    void *after_made_ud;

    /* A Unix datagram socket file to unlink on close ("" if none). */
    char *unlink_path;
};

/* transport.c */
int lc__transport_new(lc_loop *loop, int kind, int fd, lc_transport **out);
/* Check the fd with the backend, then schedule connection_made (then
 * reading, then after_made). */
int lc__transport_start(lc_transport *t);
/* Undo lc__transport_new when the constructor fails before start
 * succeeded: the caller keeps its fd. */
void lc__transport_discard(lc_transport *t);
/* Close now with err (0 for abort): drop the buffer, stop I/O, schedule
 * connection_lost.  Idempotent. */
void lc__transport_fatal(lc_transport *t, int err);
/* Schedule connection_lost(err) once the buffer is empty (close()). */
void lc__transport_lost_soon(lc_transport *t, int err);
/* Start/stop the reader, writer according to the flags. */
int lc__transport_want_read(lc_transport *t, int on);
int lc__transport_want_write(lc_transport *t, int on);
/* Flow control after the buffer size changed. */
void lc__transport_maybe_pause(lc_transport *t);
void lc__transport_maybe_resume(lc_transport *t);
/* Append len bytes to the write queue (a new piece for a datagram). */
int lc__wqueue_push(lc_transport *t, const void *data, size_t len, const struct sockaddr *addr,
                    socklen_t alen, int own_chunk);
void lc__wqueue_clear(lc_transport *t);
/* An emptied piece goes back to the loop's pool (or is freed). */
void lc__wchunk_put(lc_loop *loop, struct lc__wchunk *c);
/* S_ISFIFO/S_ISSOCK/S_ISCHR? 1, 0 for anything else, -errno if fstat fails. */
int lc__fd_is_pipe_like(int fd, int *is_socket, int *is_fifo);

/* stream.c: I/O callbacks of stream and pipe transports. */
void lc__stream_on_readable(lc_loop *loop, int fd, void *arg);
void lc__stream_on_writable(lc_loop *loop, int fd, void *arg);
/* The peer's EOF (a read of 0 bytes): eof_received, then close or not. */
void lc__stream_eof(lc_transport *t);
/* n bytes of the write queue were sent: drop them, resume the protocol at
 * the low water mark, and once the queue is empty finish a pending close
 * or write_eof. */
void lc__stream_sent(lc_transport *t, size_t n);
/* Fill iov with the queued pieces (at most max); returns the count. */
int lc__wqueue_iov(const lc_transport *t, struct iovec *iov, int max);
#define LC__WRITEV_MAX 64
/* write(2)/send(2) without SIGPIPE: -errno on failure. */
ssize_t lc__write_nosigpipe(lc_transport *t, const struct iovec *iov, int iovcnt);
int lc__stream_write_eof_now(lc_transport *t);

/* udp.c: I/O callbacks of datagram transports. */
void lc__dgram_on_readable(lc_loop *loop, int fd, void *arg);
void lc__dgram_on_writable(lc_loop *loop, int fd, void *arg);

struct lc__addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* Before a server or endpoint adopts an existing socket: the loop's
 * lc__check_open error, LC_EINVAL unless fd is a socket of `type`,
 * LC_EBUSY if the loop already watches or owns fd; else 0. */
int lc__adopt_check(lc_loop *loop, int fd, int type);

/* server.c / connect.c: shared by tcp.c and unix.c. */
int lc__server_new(lc_loop *loop, int unix_family, lc_protocol_factory factory, void *ud,
                   lc_server **out);
/* Hand a bound socket to the server, listen on it, and accept from it. */
int lc__server_add_listener(lc_server *srv, int fd, int backlog);
/* Remember the socket file at path (bound by this server) to unlink it on
 * close if it is still the same file. */
void lc__server_set_unlink(lc_server *srv, const char *path);
#ifdef _WIN32
/* iocp: AcceptEx gave cfd (already non-blocking, not inheritable): hand it
 * to the factory.  Returns 0 if the server closed meanwhile (it may be
 * freed then), 1 if it still listens. */
int lc__server_accepted(lc_server *srv, int cfd);
#endif
/* Undo lc__server_new: close the listeners added so far, free. */
void lc__server_discard(lc_server *srv);
/* Start a non-blocking SOCK_STREAM connect over the address list, tried
 * in order; each attempt first binds to the local address of its family
 * when locals are given (nlocal > 0).  addrs and locals are copied. */
int lc__connect_start(lc_loop *loop, const struct lc__addr *addrs, size_t n,
                      const struct lc__addr *locals, size_t nlocal, int nodelay,
                      const lc_protocol *proto, void *ud, lc_connect_cb cb);

/* sockaddr.c: fill a sockaddr_un from a path ('@' = abstract):
 * LC_ENAMETOOLONG if it does not fit. */
struct sockaddr_un;
int lc__unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len);
void lc__unix_remove_stale(const char *path);
/* Bind fd to the first of locals whose family is af: 0, -errno from
 * bind(2), or LC_EINVAL when none has that family. */
int lc__bind_local(int fd, int af, const struct lc__addr *locals, size_t nlocal);
/* LC_AF_* hint to AF_*, -1 if unknown. */
int lc__inet_family(int hint);
/* Resolve host/port (numeric first, then the blocking resolver) into at
 * most max addresses.  host NULL with passive: the wildcard addresses. */
int lc__inet_resolve(const char *host, int port, int family_hint, int socktype, int passive,
                     struct lc__addr *out, size_t max, size_t *n);

#endif
