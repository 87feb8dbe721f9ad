/* Unix-domain stream sockets (asyncio create_unix_connection /
 * create_unix_server).  Path rules (abstract namespace, sun_path length)
 * are in sockaddr.c. */
#include "lc_transport.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int lc_unix_connect(lc_loop *loop, const char *path, const lc_protocol *proto, void *ud,
                    lc_connect_cb cb)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (cb == NULL)
        return LC_EINVAL;
    struct lc__addr a;
    if ((rc = lc__unix_addr(path, (struct sockaddr_un *)&a.ss, &a.len)) < 0)
        return rc;
    return lc__connect_start(loop, &a, 1, NULL, 0, 0, proto, ud, cb);
}

int lc_unix_server(lc_loop *loop, const char *path, int backlog, lc_protocol_factory factory,
                   void *ud, lc_server **out)
{
    if (out)
        *out = NULL;
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    if (out == NULL || factory == NULL)
        return LC_EINVAL;
    struct sockaddr_un sun;
    socklen_t len;
    if ((rc = lc__unix_addr(path, &sun, &len)) < 0)
        return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    lc__unix_remove_stale(path);
    if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    lc_server *srv;
    if ((rc = lc__server_new(loop, 1, factory, ud, &srv)) < 0) {
        close(fd);
        if (path[0] != '@')
            unlink(path);
        return rc;
    }
    lc__server_set_unlink(srv, path);
    if ((rc = lc__server_add_listener(srv, fd, backlog)) < 0) {
        close(fd);
        lc__server_discard(srv);
        return rc;
    }
    *out = srv;
    return 0;
}
