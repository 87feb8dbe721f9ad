/* The cases' POSIX calls on Windows (compat_cases_win.h) and the
 * Windows versions of case_util's fd helpers. */
#ifdef _WIN32
#include "case_util.h"

#include <errno.h>
#include <string.h>

#undef close
#undef read
#undef write
#undef socketpair
#undef socket

static int wsa_errno(int wsa)
{
    switch (wsa) {
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAEMFILE: return EMFILE;
    case WSAENOBUFS: return ENOBUFS;
    case WSAECONNRESET: return ECONNRESET;
    case WSAENOTSOCK: return ENOTSOCK;
    case WSAEINTR: return EINTR;
    default: return EIO;
    }
}

static int is_socket(int fd)
{
    int type, len = sizeof type;
    return getsockopt((SOCKET)(uintptr_t)fd, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

static int wsa_ready(void)
{
    static int done;
    WSADATA d;
    if (!done && WSAStartup(MAKEWORD(2, 2), &d) == 0)
        done = 1;
    return done;
}

int lc__case_win_socketpair(int domain, int type, int proto, int sv[2])
{
    (void)proto;
    if (domain != AF_UNIX || (type & 0xffff) != SOCK_STREAM) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    if (!wsa_ready()) {
        errno = ENETDOWN;
        return -1;
    }
    struct sockaddr_in a;
    int alen = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOCKET l = socket(AF_INET, SOCK_STREAM, 0), c = INVALID_SOCKET, s = INVALID_SOCKET;
    if (l == INVALID_SOCKET)
        goto fail;
    if (bind(l, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(l, (struct sockaddr *)&a, &alen) != 0 ||
        listen(l, 1) != 0)
        goto fail;
    c = socket(AF_INET, SOCK_STREAM, 0);
    if (c == INVALID_SOCKET || connect(c, (struct sockaddr *)&a, sizeof a) != 0)
        goto fail;
    s = accept(l, NULL, NULL);
    if (s == INVALID_SOCKET)
        goto fail;
    closesocket(l);
    /* Small writes go out at once, as on an AF_UNIX pair. */
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    if (type & SOCK_NONBLOCK) {
        u_long nb = 1;
        ioctlsocket(s, FIONBIO, &nb);
        ioctlsocket(c, FIONBIO, &nb);
    }
    sv[0] = (int)s;
    sv[1] = (int)c;
    return 0;
fail:
    errno = wsa_errno(WSAGetLastError());
    if (l != INVALID_SOCKET)
        closesocket(l);
    if (c != INVALID_SOCKET)
        closesocket(c);
    return -1;
}

int lc__case_win_socket(int domain, int type, int proto)
{
    if (!wsa_ready()) {
        errno = ENETDOWN;
        return -1;
    }
    SOCKET s = socket(domain, type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), proto);
    if (s == INVALID_SOCKET) {
        errno = wsa_errno(WSAGetLastError());
        return -1;
    }
    if (type & SOCK_NONBLOCK) {
        u_long nb = 1;
        ioctlsocket(s, FIONBIO, &nb);
    }
    return (int)s;
}

int lc__case_win_close(int fd)
{
    if (is_socket(fd))
        return closesocket((SOCKET)(uintptr_t)fd) == 0 ? 0 : -1;
    return _close(fd);
}

ssize_t lc__case_win_read(int fd, void *buf, size_t n)
{
    if (!is_socket(fd))
        return _read(fd, buf, (unsigned)n);
    int r = recv((SOCKET)(uintptr_t)fd, buf, (int)n, 0);
    if (r == SOCKET_ERROR) {
        int e = WSAGetLastError();
        /* A reset peer reads as EOF, as a closed AF_UNIX peer does. */
        if (e == WSAECONNRESET || e == WSAECONNABORTED)
            return 0;
        errno = wsa_errno(e);
        return -1;
    }
    return r;
}

ssize_t lc__case_win_write(int fd, const void *buf, size_t n)
{
    if (!is_socket(fd))
        return _write(fd, buf, (unsigned)n);
    int r = send((SOCKET)(uintptr_t)fd, buf, (int)n, 0);
    if (r == SOCKET_ERROR) {
        int e = WSAGetLastError();
        errno = e == WSAECONNRESET || e == WSAECONNABORTED || e == WSAESHUTDOWN ? EPIPE : wsa_errno(e);
        return -1;
    }
    return r;
}

int lc__case_count_fds(void)
{
    /* No fd table to count: the process's handles stand in for it. */
    DWORD n = 0;
    if (!GetProcessHandleCount(GetCurrentProcess(), &n))
        return -1;
    return (int)n;
}

void lc__case_sleep_ns(int64_t ns)
{
    /* Sleep takes milliseconds; round up so a sleep is never short. */
    Sleep((DWORD)((ns + 999999) / 1000000));
}
#endif /* _WIN32 */
