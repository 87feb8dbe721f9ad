/** @file
 * Transports and protocols: asyncio's shape (asyncio-protocol.html) in C.
 *
 * A *protocol* is a table of callbacks the user supplies; a *transport* is
 * the loop's object that moves bytes for it.  The loop allocates every
 * transport and frees it itself once connection_lost has been delivered:
 * the user must not touch a transport after its connection_lost returns.
 *
 * Order of callbacks, as asyncio documents ("Connection callbacks"):
 *   connection_made  (exactly once, on a loop iteration after creation)
 *   data_received*   (or datagram_received* / error_received*)
 *   eof_received?    (streams; at most once)
 *   connection_lost  (exactly once; err 0 for a clean close)
 * connection_lost is never called from inside a transport call such as
 * lc_transport_close(): it is scheduled with call_soon, so user code is not
 * re-entered.
 *
 * Errors: functions return 0 or a negative code (loop.h).  LC_ECLOSED when
 * the transport is closing (or its write side was shut by write_eof),
 * LC_EINVAL when the call does not apply to this kind of transport (write on
 * a read pipe, sendto on a stream), LC_ENOTSUP when the loop's backend
 * cannot watch the fd (a completion-only backend, or epoll refusing the fd).
 * Failures of the connection itself reach connection_lost as -errno.
 *
 * Closing the loop with transports still open: each open transport is torn
 * down inside lc_loop_close(); if its connection_made had been delivered it
 * gets connection_lost(LC_ECLOSED) there (or the error it was already
 * closing with), then its fd is closed and it is freed.  A pending connect
 * gets its callback with LC_ECLOSED.  A transport whose connection_made was
 * never delivered is freed without any callback.
 *
 * Completion mode (a loop made with LC_LOOP_COMPLETION, io_uring only):
 * the backend performs the receives and sends of stream transports
 * (lc_stream_open, TCP and Unix connections) — asyncio's proactor
 * transports (proactor_events.py) — and everything above holds, with three
 * differences a program can see:
 *   - a write never writes by itself: the data is buffered and the backend
 *     sends it with the loop's next poll, all the writes of an iteration in
 *     one submission.  get_write_buffer_size counts bytes until their send
 *     completed, so pause_writing can come where a readiness loop's direct
 *     write would have emptied the buffer at once.  A send error reaches
 *     connection_lost(-errno); the write call itself returns 0.
 *   - a receive is in flight while the transport reads.  pause_reading
 *     does not cancel it: what it brings is kept and delivered (after
 *     resume_reading) before anything else, as is an EOF it sees.
 *   - close() and abort() cancel what is in flight and wait until the
 *     kernel released the transport's buffers and socket, so the socket is
 *     closed when connection_lost is delivered, as in readiness mode.
 * Pipes, PTYs and datagram endpoints stay on readiness in that mode.
 * On Linux 6.1 and later the io_uring ring belongs to the first thread
 * that runs the loop (IORING_SETUP_SINGLE_ISSUER and DEFER_TASKRUN:
 * io_uring_setup(2)).  A loop without completion-mode transports moves to
 * a new ring when another thread runs it; one with such transports cannot
 * (the old ring holds their buffers): running it from another thread fails
 * with LC_EBUSY, and a transport closed from another thread while an op is
 * in flight leaves its buffers to the kernel (they are not freed) instead
 * of waiting for it.  Made in one thread and run in another is fine. */
#ifndef LOOPCOMPAT_TRANSPORT_H
#define LOOPCOMPAT_TRANSPORT_H

#include <stddef.h>
#include <sys/types.h>
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h> /* struct sockaddr, socklen_t */
/* No <sys/uio.h> on Windows: the POSIX shape (readv(2)), for
 * lc_transport_writev.  Define LC_HAVE_STRUCT_IOVEC if another header of
 * the program already defines it the same way. */
#ifndef LC_HAVE_STRUCT_IOVEC
#define LC_HAVE_STRUCT_IOVEC 1
struct iovec {
    void *iov_base;
    size_t iov_len;
};
#endif
#else
#include <sys/socket.h>
#include <sys/uio.h>
#endif

#include "loopcompat/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(default) /* see loop.h */
#endif

typedef struct lc_transport lc_transport;
typedef struct lc_server lc_server;

/* ---- protocols ------------------------------------------------------------
 * The protocol table is not copied: it must outlive the transports using it
 * (a static const table is the usual shape).  Any callback may be NULL.
 * Per-connection state goes in the user pointer (lc_transport_userdata). */
typedef struct lc_protocol {
    void (*connection_made)(lc_transport *t);
    /** `data` is the loop's (a read buffer shared by the loop's transports,
     * or a kernel-filled buffer in completion mode) and is valid only until
     * the callback returns: keep a copy of what must outlive it.  Writing
     * it to a transport is fine (writes copy what they do not send). */
    void (*data_received)(lc_transport *t, const void *data, size_t len);
    /** The peer shut its write side.  Return nonzero to keep the transport
     * open (half-close: the user may still write, then close); return 0 and
     * the transport closes itself (flushing first).  Read pipes always close
     * after EOF, whatever this returns (asyncio's _UnixReadPipeTransport). */
    int (*eof_received)(lc_transport *t);
    /** err: 0 after close(), abort(), or an EOF that closed; -errno when the
     * connection failed (-ECONNRESET, -EPIPE, ...); LC_ECLOSED when the loop
     * was closed under it. */
    void (*connection_lost)(lc_transport *t, int err);
    /** The write buffer went above the high water mark / back to the low one. */
    void (*pause_writing)(lc_transport *t);
    void (*resume_writing)(lc_transport *t);
} lc_protocol;

typedef struct lc_datagram_protocol {
    void (*connection_made)(lc_transport *t);
    /** One call per datagram; len may be 0.  addr is the sender (NULL with
     * addrlen 0 when the socket family has no address, e.g. an unbound
     * AF_UNIX peer). */
    void (*datagram_received)(lc_transport *t, const void *data, size_t len,
                              const struct sockaddr *addr, socklen_t addrlen);
    /** A send or receive failed (-errno, e.g. -ECONNREFUSED after an ICMP
     * port unreachable on a connected socket, udp(7)).  Not fatal: the
     * endpoint keeps working. */
    void (*error_received)(lc_transport *t, int err);
    void (*connection_lost)(lc_transport *t, int err);
    void (*pause_writing)(lc_transport *t);
    void (*resume_writing)(lc_transport *t);
} lc_datagram_protocol;

/* ---- transports: common operations -----------------------------------------
 * They all accept any kind of transport and say LC_EINVAL when the
 * operation does not belong to it. */

enum lc_transport_kind {
    LC_TRANSPORT_STREAM = 1,  /**< connected stream socket: TCP, AF_UNIX */
    LC_TRANSPORT_READ_PIPE,   /**< read side of a pipe, FIFO, socket or char device */
    LC_TRANSPORT_WRITE_PIPE,  /**< write side of the same */
    LC_TRANSPORT_DATAGRAM     /**< UDP or AF_UNIX SOCK_DGRAM */
};

int lc_transport_kind(const lc_transport *t);
lc_loop *lc_transport_loop(const lc_transport *t);
void *lc_transport_userdata(const lc_transport *t);
void lc_transport_set_userdata(lc_transport *t, void *ud);
/** The fd (owned by the transport: do not close it, do not add readers to it
 * — lc_add_reader on it returns LC_EBUSY).  -1 once closed. */
int lc_transport_fileno(const lc_transport *t);
int lc_transport_is_closing(const lc_transport *t);

/** Send data.  What cannot be written now is copied into the transport's
 * buffer and written when the fd is writable: data is never lost on a
 * partial write or EAGAIN.  0 on success (sent or buffered); LC_ECLOSED if
 * the transport is closing or write_eof was called; LC_EINVAL on a read pipe
 * or datagram transport; LC_ENOMEM.  A fatal write error (EPIPE,
 * ECONNRESET) returns -errno and also closes the transport: connection_lost
 * follows with the same code. */
int lc_transport_write(lc_transport *t, const void *data, size_t len);
int lc_transport_writev(lc_transport *t, const struct iovec *iov, int iovcnt);
/** Shut the write side after the buffer is flushed: shutdown(SHUT_WR) on a
 * stream socket (the read side stays open); a write pipe closes (asyncio).
 * 0, or LC_EINVAL where can_write_eof is false.  Repeating it is a no-op. */
int lc_transport_write_eof(lc_transport *t);
int lc_transport_can_write_eof(const lc_transport *t);
/** Close: stop reading, flush the buffer, then connection_lost(0).  A second
 * close is a no-op returning 0. */
int lc_transport_close(lc_transport *t);
/** Close now: the buffer is dropped.  connection_lost(0), as asyncio's
 * abort() (_force_close(None)) does; the caller knows it aborted. */
int lc_transport_abort(lc_transport *t);

/** Flow control of the read side (asyncio pause_reading/resume_reading):
 * no data_received while paused.  No-ops (returning 0) on a closing
 * transport or when already in that state; LC_EINVAL on a write pipe. */
int lc_transport_pause_reading(lc_transport *t);
int lc_transport_resume_reading(lc_transport *t);
int lc_transport_is_reading(const lc_transport *t);

/* Write buffer water marks (asyncio set_write_buffer_limits): pause_writing
 * when the buffer grows above `high`, resume_writing when it drains to `low`
 * or below.  Negative means "default": high 64 KiB (or 4 * low when only low
 * is given), low = high / 4.  LC_EINVAL unless high >= low >= 0. */
#define LC_WRITE_BUFFER_HIGH_DEFAULT (64 * 1024)
int lc_transport_set_write_buffer_limits(lc_transport *t, long high, long low);
void lc_transport_get_write_buffer_limits(const lc_transport *t, size_t *high, size_t *low);
size_t lc_transport_get_write_buffer_size(const lc_transport *t);

/** get_extra_info("peername"/"sockname"): copies the address into *addr and
 * sets *len.  -errno from getpeername(2)/getsockname(2) (ENOTSOCK on a pipe,
 * ENOTCONN on an unconnected datagram socket). */
enum lc_extra { LC_EXTRA_PEERNAME = 1, LC_EXTRA_SOCKNAME };
int lc_transport_get_extra(const lc_transport *t, int what, struct sockaddr_storage *addr,
                           socklen_t *len);

/* ---- pipes (asyncio connect_read_pipe / connect_write_pipe) ----------------
 * Over an existing fd: a pipe, a FIFO, a socket or a character device (PTYs
 * included).  Anything else — a regular file, a directory — is refused with
 * LC_ENOTSUP before anything changes ("Pipe transport is only for pipes,
 * sockets and character devices", asyncio's unix_events.py).  On success
 * the transport owns fd: it is made non-blocking and closed after
 * connection_lost.  On failure the caller still owns it.
 *
 * Read pipe: EOF — and EIO, which a PTY master reports once the slave side
 * is closed (pty(7)) — delivers eof_received, then connection_lost(0).
 * (asyncio hands the EIO to connection_lost; it is EOF here, as the
 * terminal's hangup is the end of its data.)
 * Write pipe: a write to a pipe whose reader is gone gives
 * connection_lost(-EPIPE) and never raises SIGPIPE in the process.  On a
 * pipe, FIFO or socket the transport also watches for the peer closing and
 * then closes (connection_lost(0), or -EPIPE if data was still buffered),
 * as asyncio does; a character device has no such watch. */
int lc_connect_read_pipe(lc_loop *loop, int fd, const lc_protocol *proto, void *ud,
                         lc_transport **out);
int lc_connect_write_pipe(lc_loop *loop, int fd, const lc_protocol *proto, void *ud,
                          lc_transport **out);

/* ---- stream sockets -------------------------------------------------------
 * Wrap an already connected stream socket (asyncio
 * connect_accepted_socket).  Same ownership rule as the pipes; LC_ENOTSUP
 * if fd is not a SOCK_STREAM socket. */
int lc_stream_open(lc_loop *loop, int fd, const lc_protocol *proto, void *ud,
                   lc_transport **out);

/** Connect callback: t is the new transport (its connection_made has just
 * run) and err 0; or t NULL and err < 0 (-ECONNREFUSED, -ETIMEDOUT, -ENOENT
 * for a missing Unix socket path, LC_ECLOSED when the loop closed first).
 * Called on a loop iteration, never from inside the connect call. */
typedef void (*lc_connect_cb)(lc_loop *loop, lc_transport *t, int err, void *ud);

/** Address family hints for lc_tcp_connect / lc_udp_endpoint. */
enum { LC_AF_UNSPEC = 0, LC_AF_INET = 4, LC_AF_INET6 = 6 };

/** TCP connection (asyncio create_connection).  host is resolved with
 * getaddrinfo(3): numeric addresses are parsed without any lookup
 * (AI_NUMERICHOST | AI_NUMERICSERV); a host name falls back to a plain
 * getaddrinfo call, which blocks the loop while it resolves.  Every address
 * is tried in turn with a non-blocking connect(2); the callback gets the
 * first success or the last error.  Returns 0 once the attempt started,
 * or an immediate error: LC_EINVAL, -EAI_* mapped to LC_EINVAL for a host
 * that does not resolve, LC_ECLOSED, LC_ENOMEM.  TCP_NODELAY is set, as
 * asyncio does. */
int lc_tcp_connect(lc_loop *loop, const char *host, int port, int family,
                   const lc_protocol *proto, void *ud, lc_connect_cb cb);

/** Options of lc_tcp_connect_ex.  Zero-initialise, then set what is needed. */
typedef struct lc_tcp_connect_options {
    /** Bind the socket to this address before connecting (asyncio
     * create_connection's local_addr): a numeric address or a host name,
     * resolved as the remote host is.  NULL with local_port 0: no bind, the
     * kernel picks the source address and port at connect(2).  NULL with a
     * local_port: the wildcard address of each attempt's family. */
    const char *local_host;
    /** The local port (0: any free port, ip(7) "ephemeral"). */
    int local_port;
} lc_tcp_connect_options;

/** lc_tcp_connect with options (NULL opts: as lc_tcp_connect).
 *
 * With a local address, every attempt binds its socket to the first local
 * address of the same family before connect(2), as asyncio does; SO_REUSEADDR
 * is not set.  A bind that fails ends that attempt with bind(2)'s error —
 * -EADDRINUSE when another socket holds the address (a listening server's
 * own address, say), -EADDRNOTAVAIL for an address that is not local —
 * and the next address is tried; the callback gets the last error.  An
 * attempt with no local address of its family fails with LC_EINVAL (asyncio:
 * "no matching local address with family=..."). */
int lc_tcp_connect_ex(lc_loop *loop, const char *host, int port, int family,
                      const lc_tcp_connect_options *opts, const lc_protocol *proto, void *ud,
                      lc_connect_cb cb);

/** Unix stream connection (asyncio create_unix_connection).  A path starting
 * with '@' names the Linux abstract namespace (unix(7): sun_path[0] is a
 * null byte; the rest of the name, without the '@', is the address);
 * elsewhere it is LC_ENOTSUP.  A path that does not fit sun_path (108 bytes
 * on Linux, including the terminating null byte of a filesystem path) is
 * LC_ENAMETOOLONG: it is never truncated. */
int lc_unix_connect(lc_loop *loop, const char *path, const lc_protocol *proto, void *ud,
                    lc_connect_cb cb);

/* ---- servers (asyncio create_server / create_unix_server) -----------------
 * For every accepted connection the factory picks the protocol and the
 * user pointer; returning a negative value refuses the connection (its
 * socket is closed).  The connection's connection_made follows on the next
 * iteration. */
typedef int (*lc_protocol_factory)(lc_server *srv, void *ud, const lc_protocol **proto,
                                   void **conn_ud);

/** TCP server.  host NULL (or "") listens on every address getaddrinfo gives
 * for AI_PASSIVE — IPv4 and IPv6, each IPv6 socket IPV6_V6ONLY — with the
 * same port on all of them (port 0: the port the first socket got).
 * SO_REUSEADDR is set.  backlog <= 0 means 100 (asyncio's default).
 *
 * Accepting: up to `backlog` connections per readiness event, with
 * accept4(2).  When accept fails for lack of resources (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM) the server stops listening for one second and tries
 * again then, instead of spinning on a ready socket it cannot serve: the
 * behaviour and the delay of asyncio's ACCEPT_RETRY_DELAY. */
int lc_tcp_server(lc_loop *loop, const char *host, int port, int backlog,
                  lc_protocol_factory factory, void *ud, lc_server **out);

/** Options of lc_tcp_server_ex.  Zero-initialise, then set what is needed. */
typedef struct lc_tcp_server_options {
    /** The hosts to listen on (asyncio create_server's sequence of hosts):
     * NULL-terminated; every address each one resolves to gets a listening
     * socket, and an address given twice is bound once.  NULL, or a list
     * whose only entry is NULL or "": every address, as lc_tcp_server with
     * host NULL. */
    const char *const *hosts;
    int port;     /**< 0: a free port, the same one on every socket */
    int backlog;  /**< <= 0: 100 */
    /** Set SO_REUSEPORT on every listening socket before bind(2) (asyncio
     * reuse_port): several sockets, of this process or another with the
     * same effective user id, may then listen on one address, and the
     * kernel spreads incoming connections over them (socket(7)).  Every
     * socket bound to the address must set it, or bind fails with
     * EADDRINUSE.  Where the platform has no SO_REUSEPORT (Windows) the
     * server is refused with LC_ENOTSUP before any socket is made, as
     * asyncio refuses ("reuse_port not supported by socket module"); the
     * refusal (lc_loop_last_refusal) names setsockopt with errno 0: the
     * library decided, the OS was not asked. */
    int reuse_port;
} lc_tcp_server_options;

/** TCP server with options (lc_tcp_server is this with one host).  Every
 * listening socket gets SO_REUSEADDR (Unix) and IPV6_V6ONLY (IPv6), as
 * lc_tcp_server documents.  Errors: those of lc_tcp_server; a bind(2)
 * failure is -errno (-EADDRINUSE when another socket without SO_REUSEPORT
 * on both sides holds the address), and no socket stays open. */
int lc_tcp_server_ex(lc_loop *loop, const lc_tcp_server_options *opts,
                     lc_protocol_factory factory, void *ud, lc_server **out);

/** A server over an existing socket (asyncio create_server(sock=...) and
 * create_unix_server(sock=...)): a bound SOCK_STREAM socket of any family
 * (AF_INET, AF_INET6, AF_UNIX), listening or not.  listen(2) is called
 * with backlog (<= 0: 100) and the socket is made non-blocking.  On success
 * the server owns fd and closes it in lc_server_close; on failure the
 * caller still owns it.  LC_EINVAL if fd is not a stream socket (asyncio's
 * "A Stream Socket was expected"), LC_EBUSY if the loop already watches or
 * owns fd, -errno from listen(2).  A Unix
 * socket's path is not unlinked on close: the caller made it. */
int lc_server_from_socket(lc_loop *loop, int fd, int backlog, lc_protocol_factory factory,
                          void *ud, lc_server **out);

/** Unix stream server.  Path rules as lc_unix_connect.  A stale socket file
 * at the path is removed first (asyncio does); a file of another type there
 * is -EADDRINUSE.  Closing the server unlinks the socket file it created,
 * if it is still the same file. */
int lc_unix_server(lc_loop *loop, const char *path, int backlog, lc_protocol_factory factory,
                   void *ud, lc_server **out);

/** Stop listening and free the server (asyncio Server.close: "Stop serving:
 * close listening sockets ... The sockets that represent existing incoming
 * client connections are left open").  Every listening socket is closed
 * before this returns, so from then on a connection attempt to the
 * server's address is refused (ECONNREFUSED, tcp(7)) unless another socket
 * listens there; connections still in the listen backlog, never accepted,
 * are reset by the close.  Connections already accepted are not affected.
 * Safe from inside the factory. */
void lc_server_close(lc_server *srv);
/** The bound port of a TCP server (host byte order); -1 for a Unix server. */
int lc_server_port(const lc_server *srv);
size_t lc_server_nsockets(const lc_server *srv);
/** The listening socket i's address. */
int lc_server_sockname(const lc_server *srv, size_t i, struct sockaddr_storage *addr,
                       socklen_t *len);
lc_loop *lc_server_loop(const lc_server *srv);

/* ---- datagrams (asyncio create_datagram_endpoint) -------------------------
 * local_host/local_port: bind there (NULL host: do not bind unless a port
 * is given; then the wildcard address of the family).  remote_host: connect
 * the socket there, so that only that peer's datagrams arrive and its ICMP
 * errors are reported (error_received(-ECONNREFUSED), udp(7)).  At least
 * one of the two.  The endpoint is ready when this returns; its
 * connection_made comes on the next iteration. */
int lc_udp_endpoint(lc_loop *loop, const char *local_host, int local_port,
                    const char *remote_host, int remote_port, int family,
                    const lc_datagram_protocol *proto, void *ud, lc_transport **out);

/** A datagram endpoint over an existing socket (asyncio
 * create_datagram_endpoint(sock=...)): a SOCK_DGRAM socket of any family,
 * bound or not, connected or not.  A connected socket (getpeername(2)
 * succeeds) behaves as one made with a remote address: sendto takes no
 * other address.  The socket is made non-blocking.  On success the
 * transport owns fd; on failure the caller still owns it.  LC_EINVAL if fd
 * is not a datagram socket (asyncio's "A UDP Socket was expected"), LC_EBUSY
 * if the loop already watches or owns fd. */
int lc_datagram_open(lc_loop *loop, int fd, const lc_datagram_protocol *proto, void *ud,
                     lc_transport **out);

/** AF_UNIX SOCK_DGRAM endpoint; path rules as lc_unix_connect.  A stale
 * socket file at local_path is replaced, and unlinked again on close. */
int lc_unix_datagram_endpoint(lc_loop *loop, const char *local_path, const char *remote_path,
                              const lc_datagram_protocol *proto, void *ud, lc_transport **out);

/** Send one datagram.  addr NULL: to the connected peer; on a connected
 * endpoint addr must be NULL or the peer's address (else LC_EINVAL, as
 * asyncio's ValueError).
 *
 * When nothing is queued the datagram is sent at once and an error from the
 * kernel is returned here as -errno: -EMSGSIZE for a datagram too large for
 * the socket (udp(7), ip(7)), or an error the kernel reports for an earlier
 * datagram (udp(7): "You may get an error for an earlier packet").  The
 * datagram is dropped and the endpoint keeps working.  On EAGAIN the
 * datagram is copied and queued; errors met when the queue is flushed later
 * go to error_received.  0 when sent or queued. */
int lc_transport_sendto(lc_transport *t, const void *data, size_t len,
                        const struct sockaddr *addr, socklen_t addrlen);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
