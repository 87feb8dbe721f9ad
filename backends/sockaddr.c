/* Socket addresses for the transports: Unix paths (with the Linux abstract
 * namespace) and host/port resolution with getaddrinfo(3). */
#include "lc_transport.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int lc__socket(int af, int type)
{
    int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

void lc__sock_close(int fd) { close(fd); }

int lc__sock_errno(void) { return errno; }
#endif

/* unix(7): a pathname address is a null-terminated path in sun_path (108
 * bytes on Linux, terminator included); an abstract address has sun_path[0]
 * = '\0' and the name in the remaining bytes, its length given by addrlen.
 * C strings cannot start with a null byte, so '@' stands for it (the
 * spelling ss(8) and systemd use).  Too long is an error, never a silent
 * truncation (which would bind a different name). */
#ifndef _WIN32 /* no AF_UNIX on Windows loops (unix_win.c) */
int lc__unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
    if (path == NULL || path[0] == '\0')
        return LC_EINVAL;
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (path[0] == '@') {
#ifdef __linux__
        if (n > sizeof sun->sun_path) /* '\0' + n-1 name bytes */
            return LC_ENAMETOOLONG;
        memcpy(sun->sun_path + 1, path + 1, n - 1);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        return 0;
#else
        return LC_ENOTSUP;
#endif
    }
    if (n >= sizeof sun->sun_path)
        return LC_ENAMETOOLONG;
    memcpy(sun->sun_path, path, n + 1);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

#endif

static int gai_to_lc(int e)
{
    switch (e) {
    case EAI_MEMORY:
        return LC_ENOMEM;
    case EAI_AGAIN:
        return -EAGAIN;
#ifdef EAI_SYSTEM
    case EAI_SYSTEM:
        return errno ? -errno : LC_EINVAL;
#endif
    default: /* EAI_NONAME, EAI_SERVICE, EAI_FAMILY, EAI_ADDRFAMILY, ... */
        return LC_EINVAL;
    }
}

int lc__inet_family(int hint)
{
    switch (hint) {
    case LC_AF_UNSPEC:
        return AF_UNSPEC;
    case LC_AF_INET:
        return AF_INET;
    case LC_AF_INET6:
        return AF_INET6;
    default:
        return -1;
    }
}

int lc__inet_resolve(const char *host, int port, int family_hint, int socktype, int passive,
                     struct lc__addr *out, size_t max, size_t *n)
{
    *n = 0;
    int family = lc__inet_family(family_hint);
    if (family < 0 || port < 0 || port > 65535)
        return LC_EINVAL;
    if (host && host[0] == '\0')
        host = NULL;
    if (host == NULL && !passive)
        return LC_EINVAL;
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST | (passive ? AI_PASSIVE : 0);
    int e = getaddrinfo(host, service, &hints, &res);
    if (e == EAI_NONAME && host) {
        /* Not a numeric address: the system resolver, which blocks. */
        hints.ai_flags &= ~AI_NUMERICHOST;
        e = getaddrinfo(host, service, &hints, &res);
    }
    if (e != 0)
        return gai_to_lc(e);
    for (struct addrinfo *ai = res; ai && *n < max; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof out[*n].ss)
            continue;
        memcpy(&out[*n].ss, ai->ai_addr, ai->ai_addrlen);
        out[*n].len = ai->ai_addrlen;
        (*n)++;
    }
    freeaddrinfo(res);
    return *n ? 0 : LC_EINVAL;
}

int lc__adopt_check(lc_loop *loop, int fd, int type)
{
    int rc = lc__check_open(loop);
    if (rc < 0)
        return rc;
    int got = 0;
    socklen_t len = sizeof got;
    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, (void *)&got, &len) < 0 || got != type)
        return LC_EINVAL;
    if (fd < loop->nfds && (loop->fds[fd].owner || loop->fds[fd].events))
        return LC_EBUSY;
    return 0;
}

/* asyncio's create_connection binds each attempt's socket to the first
 * local address of the same family (base_events.py, local_addr_infos) and
 * reports bind's error when that fails. */
int lc__bind_local(int fd, int af, const struct lc__addr *locals, size_t nlocal)
{
    for (size_t i = 0; i < nlocal; i++) {
        if (locals[i].ss.ss_family != af)
            continue;
        if (bind(fd, (const struct sockaddr *)&locals[i].ss, locals[i].len) < 0)
            return -lc__sock_errno();
        return 0;
    }
    return LC_EINVAL;
}

/* asyncio's create_unix_server and create_datagram_endpoint replace a stale
 * socket file left at the path by an earlier process; any other kind of
 * file there is left alone and bind(2) reports EADDRINUSE. */
#ifndef _WIN32
void lc__unix_remove_stale(const char *path)
{
    struct stat st;
    if (path && path[0] != '@' && stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
}
#endif
