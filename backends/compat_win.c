/* Windows glue: Winsock start-up, error mapping, fd checks and the fd flags
 * (non-blocking, inheritable).  See compat_win.h. */
#include "compat_win.h"

#include <errno.h>
#include <io.h>
#include <stdatomic.h>
#include <string.h>

static atomic_int wsa_users;

int lc__win_startup(void)
{
    WSADATA wd;
    /* WSAStartup is reference counted by Winsock itself; counting here too
     * lets lc__win_cleanup pair with it exactly (WSAStartup, Remarks). */
    int rc = WSAStartup(MAKEWORD(2, 2), &wd);
    if (rc != 0)
        return lc__win_err((DWORD)rc);
    atomic_fetch_add(&wsa_users, 1);
    return 0;
}

void lc__win_cleanup(void)
{
    if (atomic_fetch_sub(&wsa_users, 1) > 0)
        WSACleanup();
}

static const struct {
    DWORD code;
    int err;
} win_errs[] = {
    /* Winsock error codes (WSAGetLastError, "Windows Sockets Error Codes"). */
    {WSAEINTR, EINTR},
    {WSAEBADF, EBADF},
    {WSAEACCES, EACCES},
    {WSAEFAULT, EFAULT},
    {WSAEINVAL, EINVAL},
    {WSAEMFILE, EMFILE},
    {WSAEWOULDBLOCK, EAGAIN},
    {WSAEINPROGRESS, EINPROGRESS},
    {WSAEALREADY, EALREADY},
    {WSAENOTSOCK, ENOTSOCK},
    {WSAEDESTADDRREQ, EDESTADDRREQ},
    {WSAEMSGSIZE, EMSGSIZE},
    {WSAEPROTOTYPE, EPROTOTYPE},
    {WSAENOPROTOOPT, ENOPROTOOPT},
    {WSAEPROTONOSUPPORT, EPROTONOSUPPORT},
    {WSAESOCKTNOSUPPORT, EPROTONOSUPPORT},
    {WSAEOPNOTSUPP, EOPNOTSUPP},
    {WSAEPFNOSUPPORT, EAFNOSUPPORT},
    {WSAEAFNOSUPPORT, EAFNOSUPPORT},
    {WSAEADDRINUSE, EADDRINUSE},
    {WSAEADDRNOTAVAIL, EADDRNOTAVAIL},
    {WSAENETDOWN, ENETDOWN},
    {WSAENETUNREACH, ENETUNREACH},
    {WSAENETRESET, ENETRESET},
    {WSAECONNABORTED, ECONNABORTED},
    {WSAECONNRESET, ECONNRESET},
    {WSAENOBUFS, ENOBUFS},
    {WSAEISCONN, EISCONN},
    {WSAENOTCONN, ENOTCONN},
    {WSAESHUTDOWN, EPIPE},
    {WSAETIMEDOUT, ETIMEDOUT},
    {WSAECONNREFUSED, ECONNREFUSED},
    {WSAELOOP, ELOOP},
    {WSAENAMETOOLONG, ENAMETOOLONG},
    {WSAEHOSTDOWN, EHOSTUNREACH},
    {WSAEHOSTUNREACH, EHOSTUNREACH},
    {WSANOTINITIALISED, EINVAL},
    {WSA_OPERATION_ABORTED, ECANCELED},
    {WSA_NOT_ENOUGH_MEMORY, ENOMEM},
    /* Win32 error codes (GetLastError, "System Error Codes"). */
    {ERROR_FILE_NOT_FOUND, ENOENT},
    {ERROR_PATH_NOT_FOUND, ENOENT},
    {ERROR_TOO_MANY_OPEN_FILES, EMFILE},
    {ERROR_ACCESS_DENIED, EACCES},
    {ERROR_INVALID_HANDLE, EBADF},
    {ERROR_NOT_ENOUGH_MEMORY, ENOMEM},
    {ERROR_OUTOFMEMORY, ENOMEM},
    {ERROR_INVALID_PARAMETER, EINVAL},
    {ERROR_BROKEN_PIPE, EPIPE},
    {ERROR_NO_DATA, EPIPE},
    {ERROR_PIPE_NOT_CONNECTED, EPIPE},
    {ERROR_NOT_SUPPORTED, ENOTSUP},
    {ERROR_CALL_NOT_IMPLEMENTED, ENOSYS},
    {ERROR_FILENAME_EXCED_RANGE, ENAMETOOLONG},
    {ERROR_ALREADY_EXISTS, EEXIST},
    {ERROR_FILE_EXISTS, EEXIST},
    {ERROR_SEM_TIMEOUT, ETIMEDOUT},
    {ERROR_NETNAME_DELETED, ECONNRESET},
    {ERROR_CONNECTION_REFUSED, ECONNREFUSED},
    {ERROR_CONNECTION_ABORTED, ECONNABORTED},
    {ERROR_OPERATION_ABORTED, ECANCELED},
    {ERROR_NETWORK_UNREACHABLE, ENETUNREACH},
    {ERROR_HOST_UNREACHABLE, EHOSTUNREACH},
    /* An ICMP port unreachable seen by an overlapped UDP receive; Winsock
     * reports the same event as WSAECONNRESET on a UDP socket (recvfrom,
     * "On a UDP-datagram socket this error indicates a previous send
     * operation resulted in an ICMP Port Unreachable message"). */
    {ERROR_PORT_UNREACHABLE, ECONNRESET},
    {ERROR_MORE_DATA, EMSGSIZE},
    {ERROR_INVALID_NETNAME, EADDRNOTAVAIL},
};

int lc__win_err(DWORD code)
{
    for (size_t i = 0; i < sizeof win_errs / sizeof win_errs[0]; i++)
        if (win_errs[i].code == code)
            return -win_errs[i].err;
    return -EIO;
}

/* mingw-w64's errno.h values: the MSVC ones below 43, its POSIX
 * supplement from 100. */
static const struct {
    int err;
    const char *name, *text;
} errnos[] = {
    {EPERM, "EPERM", NULL}, {ENOENT, "ENOENT", NULL}, {ESRCH, "ESRCH", NULL},
    {EINTR, "EINTR", NULL}, {EIO, "EIO", NULL}, {ENXIO, "ENXIO", NULL},
    {ENOEXEC, "ENOEXEC", NULL}, {EBADF, "EBADF", NULL}, {ECHILD, "ECHILD", NULL},
    {EAGAIN, "EAGAIN", NULL}, {ENOMEM, "ENOMEM", NULL}, {EACCES, "EACCES", NULL},
    {EFAULT, "EFAULT", NULL}, {EBUSY, "EBUSY", NULL}, {EEXIST, "EEXIST", NULL},
    {EXDEV, "EXDEV", NULL}, {ENODEV, "ENODEV", NULL}, {ENOTDIR, "ENOTDIR", NULL},
    {EISDIR, "EISDIR", NULL}, {EINVAL, "EINVAL", NULL}, {ENFILE, "ENFILE", NULL},
    {EMFILE, "EMFILE", NULL}, {ENOTTY, "ENOTTY", NULL}, {EFBIG, "EFBIG", NULL},
    {ENOSPC, "ENOSPC", NULL}, {ESPIPE, "ESPIPE", NULL}, {EROFS, "EROFS", NULL},
    {EMLINK, "EMLINK", NULL}, {EPIPE, "EPIPE", NULL}, {EDOM, "EDOM", NULL},
    {ERANGE, "ERANGE", NULL}, {EDEADLK, "EDEADLK", NULL},
    {ENAMETOOLONG, "ENAMETOOLONG", NULL}, {ENOLCK, "ENOLCK", NULL},
    {ENOSYS, "ENOSYS", NULL}, {ENOTEMPTY, "ENOTEMPTY", NULL}, {EILSEQ, "EILSEQ", NULL},
    {EADDRINUSE, "EADDRINUSE", "Address already in use"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL", "Cannot assign requested address"},
    {EAFNOSUPPORT, "EAFNOSUPPORT", "Address family not supported by protocol"},
    {EALREADY, "EALREADY", "Operation already in progress"},
    {ECANCELED, "ECANCELED", "Operation canceled"},
    {ECONNABORTED, "ECONNABORTED", "Software caused connection abort"},
    {ECONNREFUSED, "ECONNREFUSED", "Connection refused"},
    {ECONNRESET, "ECONNRESET", "Connection reset by peer"},
    {EDESTADDRREQ, "EDESTADDRREQ", "Destination address required"},
    {EHOSTUNREACH, "EHOSTUNREACH", "No route to host"},
    {EINPROGRESS, "EINPROGRESS", "Operation now in progress"},
    {EISCONN, "EISCONN", "Transport endpoint is already connected"},
    {ELOOP, "ELOOP", "Too many levels of symbolic links"},
    {EMSGSIZE, "EMSGSIZE", "Message too long"},
    {ENETDOWN, "ENETDOWN", "Network is down"},
    {ENETRESET, "ENETRESET", "Network dropped connection on reset"},
    {ENETUNREACH, "ENETUNREACH", "Network is unreachable"},
    {ENOBUFS, "ENOBUFS", "No buffer space available"},
    {ENOPROTOOPT, "ENOPROTOOPT", "Protocol not available"},
    {ENOTCONN, "ENOTCONN", "Transport endpoint is not connected"},
    {ENOTSOCK, "ENOTSOCK", "Socket operation on non-socket"},
    {ENOTSUP, "ENOTSUP", "Operation not supported"},
    {EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported on socket"},
    {EPROTONOSUPPORT, "EPROTONOSUPPORT", "Protocol not supported"},
    {EPROTOTYPE, "EPROTOTYPE", "Protocol wrong type for socket"},
    {ETIMEDOUT, "ETIMEDOUT", "Connection timed out"},
    {EWOULDBLOCK, "EWOULDBLOCK", "Operation would block"},
};

const char *lc__win_errno_name(int e)
{
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (errnos[i].err == e)
            return errnos[i].name;
    return NULL;
}

const char *lc__win_strerror(int e)
{
    /* msvcrt's strerror knows only the values below 43. */
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (errnos[i].err == e && errnos[i].text)
            return errnos[i].text;
    return strerror(e);
}

int lc__win_is_socket(int fd, int *wsaerr)
{
    int type = 0, len = sizeof type;
    if (getsockopt((SOCKET)(uintptr_t)(unsigned)fd, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0) {
        if (wsaerr)
            *wsaerr = 0;
        return 1;
    }
    if (wsaerr)
        *wsaerr = WSAGetLastError();
    return 0;
}

int lc__win_fd_open(int fd)
{
    if (lc__win_is_socket(fd, NULL))
        return 1;
    return _get_osfhandle(fd) != (intptr_t)INVALID_HANDLE_VALUE;
}

int lc__set_nonblock(int fd, int on)
{
    u_long mode = on ? 1 : 0;
    /* Only sockets have a non-blocking mode; a CRT pipe or file has none
     * (overlapped I/O is chosen when a handle is opened). */
    if (ioctlsocket((SOCKET)(uintptr_t)(unsigned)fd, FIONBIO, &mode) == 0)
        return 0;
    return lc__win_err((DWORD)WSAGetLastError());
}

int lc__set_cloexec(int fd, int on)
{
    /* Windows' close-on-exec is the handle's inherit flag, inverted. */
    HANDLE h = lc__win_is_socket(fd, NULL) ? (HANDLE)(uintptr_t)(unsigned)fd
                                           : (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE)
        return -EBADF;
    if (!SetHandleInformation(h, HANDLE_FLAG_INHERIT, on ? 0 : HANDLE_FLAG_INHERIT))
        return lc__win_err(GetLastError());
    return 0;
}

/* ---- sockets for the transports (lc_transport.h) ---- */

int lc__sock_errno(void) { return -lc__win_err((DWORD)WSAGetLastError()); }

void lc__sock_close(int fd) { closesocket((SOCKET)(uintptr_t)(unsigned)fd); }

int lc__socket(int af, int type)
{
    /* WSA_FLAG_OVERLAPPED: the iocp backend submits overlapped operations
     * on it; WSA_FLAG_NO_HANDLE_INHERIT: children do not inherit it (the
     * close-on-exec of the POSIX build). */
    SOCKET s = WSASocketW(af, type, 0, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET)
        return lc__sock_errno() ? -lc__sock_errno() : -EIO;
    /* Where WSA_FLAG_NO_HANDLE_INHERIT is unknown (before Windows 7 SP1)
     * the flag is ignored: clear the inherit flag by hand as well. */
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    int fd = (int)s;
    int rc = lc__set_nonblock(fd, 1);
    if (rc < 0) {
        closesocket(s);
        return rc;
    }
    return fd;
}
