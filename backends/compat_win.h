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
};

/* Associate a handle (socket, overlapped pipe) with the loop's port. */
int lc__iocp_associate(lc_loop *loop, HANDLE h);

#endif /* _WIN32 */
#endif
