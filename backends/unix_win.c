/* AF_UNIX transports on Windows: refused on both Windows loops.
 *
 * asyncio-platforms, "Windows": "loop.create_unix_connection() and
 * loop.create_unix_server() are not supported", and Unix datagram
 * endpoints neither (socket.AF_UNIX is absent from Python on Windows).
 * Each call checks its loop first (LC_ECLOSED), then refuses with
 * LC_ENOTSUP and the reference in the loop's refusal record. */
#include "compat_win.h"

#include "lc_transport.h"

#define LC__UNIX_REF "https://docs.python.org/3/library/asyncio-platforms.html#windows"

static int refuse(lc_loop *loop, const char *call)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    lc__set_refusal(loop, call, 0, LC__UNIX_REF);
    return LC_ENOTSUP;
}

int lc_unix_connect(lc_loop *loop, const char *path, const lc_protocol *proto, void *ud,
                    lc_connect_cb cb)
{
    (void)path;
    (void)proto;
    (void)ud;
    (void)cb;
    return refuse(loop, "create_unix_connection");
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
    return refuse(loop, "create_unix_server");
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
    return refuse(loop, "create_datagram_endpoint");
}
