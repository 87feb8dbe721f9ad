/* AF_UNIX transports on Windows: refused on both Windows loops.
 *
 * asyncio-platforms, "Windows": "loop.create_unix_connection() and
 * loop.create_unix_server() are not supported", and Unix datagram
 * endpoints neither (socket.AF_UNIX is absent from Python on Windows).
 * Windows 10 1803 and later do have AF_UNIX stream sockets ("AF_UNIX
 * comes to Windows", Windows Command Line blog, 2017; SOCK_DGRAM is not
 * among them), so the OS is asked first: socket(AF_UNIX, type, 0).  Its
 * error, when it gives one, is the refusal (decided_by os); when it hands
 * out a socket, the refusal is this library's, following asyncio (decided_by
 * library, the asyncio-platforms reference).  Each call checks its loop
 * first (LC_ECLOSED); the loop's Winsock is started by its backend. */
#include "compat_win.h"

#include "lc_transport.h"

#define LC__UNIX_REF "https://docs.python.org/3/library/asyncio-platforms.html#windows"
#define LC__AFUNIX_REF "https://learn.microsoft.com/en-us/windows/win32/api/winsock2/nf-winsock2-socket"

static int refuse(lc_loop *loop, int type)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    SOCKET s = socket(AF_UNIX, type, 0);
    if (s == INVALID_SOCKET) {
        lc__set_refusal(loop, "socket", -lc__win_err((DWORD)WSAGetLastError()), LC__AFUNIX_REF);
    } else {
        closesocket(s);
        lc__set_refusal(loop, "socket", 0, LC__UNIX_REF);
    }
    return LC_ENOTSUP;
}

int lc_unix_connect(lc_loop *loop, const char *path, const lc_protocol *proto, void *ud,
                    lc_connect_cb cb)
{
    (void)path;
    (void)proto;
    (void)ud;
    (void)cb;
    return refuse(loop, SOCK_STREAM);
}

int lc_unix_server(lc_loop *loop, const char *path, int backlog, lc_protocol_factory factory,
                   void *ud, lc_server **out)
{
    (void)path;
    (void)backlog;
    (void)factory;
    (void)ud;
    if (out)
        *out = NULL;
    return refuse(loop, SOCK_STREAM);
}

int lc_unix_datagram_endpoint(lc_loop *loop, const char *local_path, const char *remote_path,
                              const lc_datagram_protocol *proto, void *ud, lc_transport **out)
{
    (void)local_path;
    (void)remote_path;
    (void)proto;
    (void)ud;
    if (out)
        *out = NULL;
    return refuse(loop, SOCK_DGRAM);
}
