/* Transports over an fd the caller already has: read and write pipes
 * (asyncio connect_read_pipe / connect_write_pipe) and connected stream
 * sockets (connect_accepted_socket).
 *
 * asyncio's unix_events.py accepts only FIFOs (pipes included), sockets and
 * character devices for pipe transports, and refuses the rest with
 * "Pipe transport is only for pipes, sockets and character devices": a
 * regular file is always "ready" (POSIX select) and epoll refuses it
 * (epoll_ctl(2) EPERM), so a transport over one could never work. */
#include "lc_transport.h"

#include <errno.h>
#ifdef _WIN32
#include "compat_win.h"
#include <io.h>
#else
#include <sys/socket.h>
#endif

static int check_args(lc_loop *loop, int fd, lc_transport **out)
{
    if (out)
        *out = NULL;
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (out == NULL || fd < 0)
        return LC_EINVAL;
    return 0;
}

#ifdef _WIN32
#define LC__PLATFORMS_REF "https://docs.python.org/3/library/asyncio-platforms.html#windows"

/* A CRT fd of a pipe: 1, 0 for anything else; LC_EBADF if fd is not open. */
static int win_pipe_like(int fd, int *is_socket, int *is_fifo)
{
    *is_socket = 0;
    *is_fifo = 0;
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE)
        return LC_EBADF;
    *is_fifo = GetFileType(h) == FILE_TYPE_PIPE;
    return *is_fifo;
}

/* 1 if the handle was opened for overlapped I/O.  A handle opened without
 * FILE_FLAG_OVERLAPPED has FILE_SYNCHRONOUS_IO_(NON)ALERT in its mode
 * (NtQueryInformationFile, FileModeInformation): ReadFile on it would
 * block the loop until data came, whatever OVERLAPPED it is given. */
static int win_overlapped(int fd)
{
    typedef LONG(NTAPI * query_fn)(HANDLE, void *, void *, ULONG, int);
    struct {
        union {
            LONG status;
            void *pointer;
        } u;
        ULONG_PTR information;
    } iosb;
    ULONG mode = 0;
    enum { FILE_MODE_INFORMATION = 16, SYNC_ALERT = 0x10, SYNC_NONALERT = 0x20 };
    HMODULE nt = GetModuleHandleA("ntdll.dll");
    query_fn q = nt ? (query_fn)(void (*)(void))GetProcAddress(nt, "NtQueryInformationFile") : NULL;
    if (q == NULL || q((HANDLE)_get_osfhandle(fd), &iosb, &mode, sizeof mode, FILE_MODE_INFORMATION) < 0)
        return 0;
    return !(mode & (SYNC_ALERT | SYNC_NONALERT));
}
#endif

static int open_pipe(lc_loop *loop, int fd, int kind, const lc_protocol *proto, void *ud,
                     lc_transport **out)
{
    int rc = check_args(loop, fd, out);
    if (rc < 0)
        return rc;
    int is_socket = 0, is_fifo = 0;
#ifdef _WIN32
    /* asyncio-platforms, Windows: SelectorEventLoop "does not support"
     * pipes (Winsock select takes sockets only); ProactorEventLoop does,
     * over pipe handles opened for overlapped I/O (iocp_stream.c). */
    if (loop->ops->watch != NULL) {
        lc__set_refusal(loop, NULL, 0, LC__PLATFORMS_REF);
        (void)loop->ops->check_fd(loop, fd); /* select's own answer, if it refuses */
        return LC_ENOTSUP;
    }
    rc = win_pipe_like(fd, &is_socket, &is_fifo);
    if (rc > 0 && !win_overlapped(fd)) {
        lc__set_refusal(loop, "NtQueryInformationFile", 0,
                        "https://learn.microsoft.com/en-us/windows/win32/api/namedpipeapi/nf-namedpipeapi-createnamedpipea");
        return LC_ENOTSUP;
    }
#else
    rc = lc__fd_is_pipe_like(fd, &is_socket, &is_fifo);
#endif
    if (rc < 0)
        return rc;
    if (rc == 0)
        return LC_ENOTSUP;
    if (fd < loop->nfds && loop->fds[fd].owner)
        return LC_EBUSY;
    lc_transport *t;
    if ((rc = lc__transport_new(loop, kind, fd, &t)) < 0)
        return rc;
    t->proto = proto;
    t->ud = ud;
    if (is_socket)
        t->flags |= LC__T_IS_SOCKET;
    /* A write pipe on a socket or FIFO watches for readability to learn
     * that the reader went away; a character device has no such signal
     * (asyncio _UnixWritePipeTransport.__init__). */
    if (kind == LC_TRANSPORT_WRITE_PIPE && (is_socket || is_fifo) && loop->ops->watch)
        t->flags |= LC__T_PEER_WATCH;
    if ((rc = lc__transport_start(t)) < 0) {
        lc__transport_discard(t);
        return rc;
    }
    *out = t;
    return 0;
}

int lc_connect_read_pipe(lc_loop *loop, int fd, const lc_protocol *proto, void *ud,
                         lc_transport **out)
{
    return open_pipe(loop, fd, LC_TRANSPORT_READ_PIPE, proto, ud, out);
}

int lc_connect_write_pipe(lc_loop *loop, int fd, const lc_protocol *proto, void *ud,
                          lc_transport **out)
{
    return open_pipe(loop, fd, LC_TRANSPORT_WRITE_PIPE, proto, ud, out);
}

int lc_stream_open(lc_loop *loop, int fd, const lc_protocol *proto, void *ud,
                   lc_transport **out)
{
    int rc = check_args(loop, fd, out);
    if (rc < 0)
        return rc;
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, (void *)&type, &len) < 0)
        return lc__sock_errno() == ENOTSOCK ? LC_ENOTSUP : -lc__sock_errno();
    if (type != SOCK_STREAM)
        return LC_ENOTSUP;
    if (fd < loop->nfds && loop->fds[fd].owner)
        return LC_EBUSY;
    lc_transport *t;
    if ((rc = lc__transport_new(loop, LC_TRANSPORT_STREAM, fd, &t)) < 0)
        return rc;
    t->proto = proto;
    t->ud = ud;
    t->flags |= LC__T_IS_SOCKET;
    if ((rc = lc__transport_start(t)) < 0) {
        lc__transport_discard(t);
        return rc;
    }
    *out = t;
    return 0;
}
