/* Listening servers shared by TCP and Unix stream sockets: the accept loop
 * of asyncio's BaseSelectorEventLoop._accept_connection.
 *
 * Up to `backlog` accepts per readiness event.  ECONNABORTED and EPROTO
 * concern one connection that is already gone (accept(2): "a connection
 * has been aborted", "Protocol error") and are skipped.  EMFILE, ENFILE,
 * ENOBUFS and ENOMEM would make the ready listening socket fire again at
 * once without anything being accepted, so the server stops listening and
 * re-arms after one second (asyncio's constants.ACCEPT_RETRY_DELAY). */
#include "lc_transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include "compat_win.h"
#else
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#define LC__MAX_LISTEN 16
#define LC__ACCEPT_RETRY_NS 1000000000LL

struct lc_server {
    lc_loop *loop;
    int is_unix;
    lc_protocol_factory factory;
    void *ud;
    int fds[LC__MAX_LISTEN];
    size_t n;
    int backlog;
    int paused;
    int in_accept;
    int closed;
    lc_timer retry;
    char *unlink_path;
    struct lc__closer closer;
#ifdef _WIN32
    void *acc[LC__MAX_LISTEN]; /* iocp: the AcceptEx state of each listener */
#else
    dev_t dev;
    ino_t ino;
#endif
};

static void srv_free(lc_server *s)
{
    free(s->unlink_path);
    free(s);
}

static void stop_listening(lc_server *s)
{
    for (size_t i = 0; i < s->n; i++)
        lc__io_stop(s->loop, s->fds[i], LC__EV_READ);
}

static void on_accept(lc_loop *loop, int fd, void *arg);

static void start_listening(lc_server *s)
{
    for (size_t i = 0; i < s->n; i++)
        (void)lc__io_start(s->loop, s->fds[i], LC__EV_READ, on_accept, s);
}

static void shut(lc_server *s)
{
    if (s->closed)
        return;
    s->closed = 1;
    lc_timer_cancel(&s->retry);
    stop_listening(s);
    for (size_t i = 0; i < s->n; i++) {
#ifdef _WIN32
        if (s->acc[i])
            lc__iocp_accept_stop(s->acc[i]);
        s->acc[i] = NULL;
#endif
        lc__fd_set_owner(s->loop, s->fds[i], 0);
#ifndef _WIN32
        /* close(2) frees the socket only with the last reference to its
         * file, and an io_uring poll request still in the ring holds one
         * until the backend's next submission cancels it: the socket would
         * go on completing handshakes after this call.  shutdown(2) on a
         * listening socket stops it listening at once, whoever else holds
         * the file (Linux inet_shutdown: a TCP_LISTEN socket shut for
         * reading is disconnected, its queued connections reset), so a
         * connection attempt is refused from here on, as asyncio's
         * Server.close promises by closing the sockets. */
        (void)shutdown(s->fds[i], SHUT_RDWR);
#endif
        lc__sock_close(s->fds[i]);
    }
    s->n = 0;
#ifndef _WIN32
    /* Remove the socket file only if it is still the one bound here
     * (asyncio's Unix server cleanup, 3.13). */
    struct stat st;
    if (s->unlink_path && stat(s->unlink_path, &st) == 0 && st.st_dev == s->dev &&
        st.st_ino == s->ino)
        unlink(s->unlink_path);
#endif
}

static void srv_closer(lc_loop *loop, void *arg)
{
    (void)loop;
    lc_server *s = arg;
    shut(s);
    srv_free(s);
}

static void on_retry(lc_loop *loop, void *arg)
{
    (void)loop;
    lc_server *s = arg;
    s->paused = 0;
    if (!s->closed)
        start_listening(s);
}

static void accept_one(lc_server *s, int cfd)
{
    const lc_protocol *proto = NULL;
    void *conn_ud = NULL;
    if (s->factory == NULL || s->factory(s, s->ud, &proto, &conn_ud) < 0) {
        lc__sock_close(cfd);
        return;
    }
    if (!s->is_unix) {
        int one = 1;
        (void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, (const void *)&one, sizeof one);
    }
    lc_transport *t;
    int rc = lc__transport_new(s->loop, LC_TRANSPORT_STREAM, cfd, &t);
    if (rc == 0) {
        t->proto = proto;
        t->ud = conn_ud;
        t->flags |= LC__T_IS_SOCKET;
        if ((rc = lc__transport_start(t)) < 0)
            lc__transport_discard(t);
    }
    if (rc < 0)
        lc__sock_close(cfd);
}

#ifdef _WIN32
/* Winsock has no accept4: accept, then make the socket non-blocking and
 * not inheritable.  Returns the fd or -1 with errno set. */
static int accept_nb(int fd)
{
    SOCKET c = accept((SOCKET)(uintptr_t)(unsigned)fd, NULL, NULL);
    if (c == INVALID_SOCKET) {
        errno = lc__sock_errno();
        return -1;
    }
    SetHandleInformation((HANDLE)c, HANDLE_FLAG_INHERIT, 0);
    int rc = lc__set_nonblock((int)c, 1);
    if (rc < 0) {
        closesocket(c);
        errno = -rc;
        return -1;
    }
    return (int)c;
}

int lc__server_accepted(lc_server *s, int cfd)
{
    s->in_accept++;
    if (!s->closed)
        accept_one(s, cfd);
    else
        lc__sock_close(cfd);
    s->in_accept--;
    int open = !s->closed;
    if (s->closed && s->in_accept == 0)
        srv_free(s);
    return open;
}
#else
static int accept_nb(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }
#endif

static void on_accept(lc_loop *loop, int fd, void *arg)
{
    lc_server *s = arg;
    s->in_accept++;
    for (int i = 0; i < s->backlog && !s->closed && !s->paused; i++) {
        int cfd = accept_nb(fd);
        if (cfd >= 0) {
            accept_one(s, cfd);
            continue;
        }
        int err = errno;
        if (err == EINTR || err == ECONNABORTED || err == EPROTO)
            continue;
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
            s->paused = 1;
            stop_listening(s);
            lc_call_later(loop, &s->retry, LC__ACCEPT_RETRY_NS, on_retry, s);
        }
        break; /* EAGAIN: nothing more to accept */
    }
    s->in_accept--;
    if (s->closed && s->in_accept == 0)
        srv_free(s);
}

int lc__server_new(lc_loop *loop, int unix_family, lc_protocol_factory factory, void *ud,
                   lc_server **out)
{
    lc_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return LC_ENOMEM;
    s->loop = loop;
    s->is_unix = unix_family;
    s->factory = factory;
    s->ud = ud;
    s->backlog = 100;
    lc__add_closer(loop, &s->closer, srv_closer, s);
    *out = s;
    return 0;
}

int lc__server_add_listener(lc_server *s, int fd, int backlog)
{
    if (s->n == LC__MAX_LISTEN)
        return LC_EINVAL;
    if (backlog <= 0)
        backlog = 100;
    s->backlog = backlog;
    if (listen(fd, backlog) < 0)
        return -lc__sock_errno();
    int rc = lc__set_nonblock(fd, 1);
    if (rc < 0)
        return rc;
#ifdef _WIN32
    if (s->loop->ops->watch == NULL) { /* iocp: AcceptEx (iocp_sock.c) */
        if ((rc = lc__iocp_accept_start(s->loop, s, fd, &s->acc[s->n])) < 0)
            return rc;
        lc__fd_set_owner(s->loop, fd, LC__OWNER_TRANSPORT);
        s->fds[s->n++] = fd;
        return 0;
    }
#endif
    if ((rc = lc__io_start(s->loop, fd, LC__EV_READ, on_accept, s)) < 0)
        return rc;
    lc__fd_set_owner(s->loop, fd, LC__OWNER_TRANSPORT);
    s->fds[s->n++] = fd;
    return 0;
}

#ifndef _WIN32
void lc__server_set_unlink(lc_server *s, const char *path)
{
    struct stat st;
    if (path == NULL || path[0] == '@' || stat(path, &st) < 0)
        return;
    s->unlink_path = strdup(path);
    s->dev = st.st_dev;
    s->ino = st.st_ino;
}
#endif

void lc_server_close(lc_server *s)
{
    if (s == NULL || s->closed)
        return;
    lc__remove_closer(&s->closer);
    shut(s);
    if (s->in_accept == 0)
        srv_free(s);
}

int lc_server_port(const lc_server *s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (s == NULL || s->is_unix || s->n == 0 ||
        getsockname(s->fds[0], (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

size_t lc_server_nsockets(const lc_server *s) { return s ? s->n : 0; }
lc_loop *lc_server_loop(const lc_server *s) { return s ? s->loop : NULL; }

int lc_server_sockname(const lc_server *s, size_t i, struct sockaddr_storage *addr,
                       socklen_t *len)
{
    if (s == NULL || addr == NULL || len == NULL || i >= s->n)
        return LC_EINVAL;
    socklen_t l = sizeof *addr;
    if (getsockname(s->fds[i], (struct sockaddr *)addr, &l) < 0)
        return -lc__sock_errno();
    *len = l;
    return 0;
}

int lc_server_from_socket(lc_loop *loop, int fd, int backlog, lc_protocol_factory factory,
                          void *ud, lc_server **out)
{
    if (out)
        *out = NULL;
    /* asyncio: ValueError("A Stream Socket was expected") */
    int rc = out && factory ? lc__adopt_check(loop, fd, SOCK_STREAM) : LC_EINVAL;
    if (rc < 0)
        return rc;
    struct sockaddr_storage ss;
    socklen_t slen = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &slen) < 0)
        return -lc__sock_errno();
    lc_server *s;
    if ((rc = lc__server_new(loop, ss.ss_family != AF_INET && ss.ss_family != AF_INET6, factory,
                             ud, &s)) < 0)
        return rc;
    if ((rc = lc__server_add_listener(s, fd, backlog)) < 0) {
        lc__server_discard(s); /* fd was not added: the caller keeps it */
        return rc;
    }
    *out = s;
    return 0;
}

/* For the constructors: give up on a server that could not be set up.
 * The fds added so far are closed. */
void lc__server_discard(lc_server *s)
{
    lc__remove_closer(&s->closer);
    shut(s);
    srv_free(s);
}
