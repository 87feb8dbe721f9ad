/* Windows glue shared by the Windows backends and the Windows wakeup.
 *
 * On Windows the loop's "fd" for readiness (winselect) is a Winsock SOCKET
 * stored in an int, as asyncio's socket.fileno() is on Windows: SOCKETs are
 * kernel handles, small multiples of 4 in practice ("Socket Data Type",
 * https://learn.microsoft.com/en-us/windows/win32/winsock/socket-data-type-2).
 * CRT file descriptors (_pipe, _open) are ints too and are accepted as
 * "open" so that backends can refuse them with LC_ENOTSUP rather than
 * LC_EBADF.
 *
 * Winsock and Win32 error codes are mapped onto errno values so that the
 * library's -errno convention holds: WSA codes (10000 and up) would
 * otherwise collide with the library's own codes below -10000. */
#ifndef LC_COMPAT_WIN_H
#define LC_COMPAT_WIN_H

#ifdef _WIN32

/* Winsock's default FD_SETSIZE is 64; asyncio's select module raises it to
 * 512 ("Windows: select handles sockets only, at most 512", asyncio-platforms).
 * It must be defined before winsock2.h in every file that builds an fd_set. */
#ifndef FD_SETSIZE
#define FD_SETSIZE 512
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include "lc_internal.h"
#include "loopcompat/transport.h"

/* WSAStartup once per user; 0 or -errno.  Balanced by lc__win_cleanup. */
int lc__win_startup(void);
void lc__win_cleanup(void);

/* -errno for a Winsock (WSAE*) or Win32 (ERROR_*) error code. */
int lc__win_err(DWORD code);
/* The symbolic errno name ("ENOTSOCK") for lc_errname: mingw's CRT has no
 * strerrorname_np. */
const char *lc__win_errno_name(int e);
/* strerror that also knows mingw's POSIX supplement (values from 100). */
const char *lc__win_strerror(int e);

/* 1 if fd is an open socket or CRT file descriptor. */
int lc__win_fd_open(int fd);
/* 1 if fd is a socket (getsockopt(SO_TYPE) works), else 0 with the WSA
 * error in *wsaerr. */
int lc__win_is_socket(int fd, int *wsaerr);

/* --- the iocp backend (iocp.c) for the wakeup and for completion users --- */

/* An overlapped operation.  `done` runs from the loop (as a ready callback,
 * like asyncio's proactor resolves futures with call_soon) with the byte
 * count and 0 or -errno. */
struct lc__iocp_op;
typedef void (*lc__iocp_done)(lc_loop *loop, struct lc__iocp_op *op, DWORD bytes, int err);
struct lc__iocp_op {
    OVERLAPPED ov; /* first: the OVERLAPPED* the port returns is the op */
    lc__iocp_done done;
    void *arg;
    HANDLE handle;
    DWORD bytes;
    int err;
    /* Set by the submitter, cleared when the port hands the completion
     * back: until then the kernel owns the OVERLAPPED and the buffers. */
    int in_kernel;
};

/* Associate a handle (socket, overlapped pipe) with the loop's port. */
int lc__iocp_associate(lc_loop *loop, HANDLE h);
/* Deliver a result to op->done on the next iteration as if the port had
 * returned it: an op that failed at submission (no packet will come), or
 * a result held back while reading was paused. */
int lc__iocp_done_soon(lc_loop *loop, struct lc__iocp_op *op, DWORD bytes, int err);

/* Whatever holds overlapped ops on the loop's port (a transport's state, a
 * connect, an accept) is a node of the loop's list, so that closing the
 * loop can wait for the kernel to give the ops back before freeing them. */
struct lc__iocp_node {
    struct lc__iocp_node *prev, *next;
    struct lc__iocp_op *ops[2]; /* NULL slots allowed */
    void (*release)(struct lc__iocp_node *n); /* free, at loop close */
};
void lc__iocp_node_link(lc_loop *loop, struct lc__iocp_node *n);
void lc__iocp_node_unlink(lc_loop *loop, struct lc__iocp_node *n);
/* Submit-time helper: 0 when the op is in the kernel (a packet will come),
 * else the failure was delivered with lc__iocp_done_soon. */
int lc__iocp_submitted(lc_loop *loop, struct lc__iocp_op *op, BOOL ok, DWORD err);
/* Take completions off the port for up to timeout_ms without running
 * their callbacks (only in_kernel is cleared): for tearing down ops whose
 * owners are gone.  Returns the number taken. */
int lc__iocp_drain(lc_loop *loop, DWORD timeout_ms);

/* --- completion-mode transports on iocp (iocp_stream.c, iocp_sock.c) --- */
struct lc_transport;
struct lc_server;
int lc__iocp_stream_start(lc_loop *loop, struct lc_transport *t);
void lc__iocp_stream_recv(lc_loop *loop, struct lc_transport *t, int on);
void lc__iocp_stream_send(lc_loop *loop, struct lc_transport *t);
void lc__iocp_stream_cancel(lc_loop *loop, struct lc_transport *t, int release);
/* Send the first queued datagram now: 0 (in flight) or -errno when the
 * send failed at once (the datagram is then dropped from the queue). */
int lc__iocp_dgram_send_first(struct lc_transport *t);
/* The loop closes: free the states of ops the kernel has given back. */
void lc__iocp_streams_destroy(lc_loop *loop);
/* Per-loop list head of the nodes (iocp.c owns the storage). */
void **lc__iocp_cs_head(lc_loop *loop);
/* ConnectEx over an address list (connect.c on iocp). */
struct lc__addr;
int lc__iocp_connect_start(lc_loop *loop, const struct lc__addr *addrs, size_t n,
                           const struct lc__addr *locals, size_t nlocal, int nodelay,
                           const lc_protocol *proto, void *ud, lc_connect_cb cb);
/* AcceptEx on a listening socket for srv; *slot receives the accept state
 * (lc__iocp_accept_stop lets go of it when the server closes). */
int lc__iocp_accept_start(lc_loop *loop, struct lc_server *srv, int fd, void **slot);
void lc__iocp_accept_stop(void *slot);

/* --- subprocesses (process_win_cmd.c) --- */
struct lc_spawn_options;
/* The program to run (into app, cap bytes) and the quoted command line
 * (*cmd, malloc'd) for exec or shell options. */
int lc__win_command_line(const struct lc_spawn_options *o, char *app, size_t cap, char **cmd);
/* A CreateProcess environment block from NULL-terminated "NAME=value"s. */
int lc__win_env_block(const char *const *env, char **out);

#endif /* _WIN32 */
#endif
