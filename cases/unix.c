/* unix: Unix-domain stream servers and connections (asyncio
 * create_unix_server / create_unix_connection).
 *
 * unix(7): a pathname address is a null-terminated path in sun_path, 108
 * bytes on Linux; an abstract address (Linux) starts with a null byte and
 * lives outside the filesystem.  A path that does not fit must be refused:
 * truncating it would bind or reach another name.  This library spells the
 * leading null byte '@'. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "case_transport.h"

static void echo_at(lc_case_ctx *ctx, lc_loop *loop, const char *path)
{
    lc__srv sv = {0};
    sv.echo = 1;
    lc_server *s = NULL;
    int rc = lc_unix_server(loop, path, 0, lc__srv_factory, &sv, &s);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "unix_server");
        return;
    }
    lc__conn c = {0};
    lc__rec_init(&c.rec);
    rc = lc_unix_connect(loop, path, &lc__rec_protocol, &c, lc__conn_cb);
    int connected = rc == 0 && lc__case_wait(loop, LC__MS(2000)) && c.err == 0 && c.t;
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "unix_connect");
    } else if (!connected) {
        lc_case_fail(ctx, "connect: %s", c.called ? lc_errname(c.err) : "no callback within 2 s");
    } else {
        c.rec.stop_at = 3;
        rc = lc_transport_write(c.t, "abc", 3);
        int in_time = rc == 0 && lc__case_wait(loop, LC__MS(2000));
        if (!in_time || c.rec.len != 3 || memcmp(c.rec.data, "abc", 3) != 0)
            lc_case_fail(ctx, "%zu of 3 bytes echoed (write %s)", c.rec.len, lc_errname(rc));
        else
            lc_case_pass(ctx, "3 bytes echoed over %s", path[0] == '@' ? "an abstract address"
                                                                       : "a socket file");
    }
    lc__rec_finish(loop, &c.rec, 1);
    for (int i = 0; i < sv.n; i++)
        lc__rec_finish(loop, &sv.conns[i], 1);
    lc_server_close(s);
    lc__rec_free(&c.rec);
    lc__srv_free(&sv);
}

static void unix_stream_echo(lc_case_ctx *ctx, lc_loop *loop)
{
    char path[512];
    int n = snprintf(path, sizeof path, "%s/s.sock", lc_case_tmpdir(ctx));
    if (n >= (int)sizeof(((struct sockaddr_un *)0)->sun_path)) {
        lc_case_skip(ctx, "the scratch directory's path does not fit sun_path");
        return;
    }
    echo_at(ctx, loop, path);
    struct stat st;
    if (stat(path, &st) == 0)
        lc_case_fail(ctx, "the socket file is still there after the server closed");
}

static void unix_abstract_namespace(lc_case_ctx *ctx, lc_loop *loop)
{
#ifdef __linux__
    char name[64];
    snprintf(name, sizeof name, "@loopcompat-%d-%lld", (int)getpid(), (long long)lc_time_ns());
    echo_at(ctx, loop, name);
#else
    /* A loop without AF_UNIX at all refuses any address: that is the
     * answer there; elsewhere the abstract namespace alone is missing. */
    char path[512];
    snprintf(path, sizeof path, "%s/probe.sock", lc_case_tmpdir(ctx));
    lc__srv sv = {0};
    lc_server *s = NULL;
    int rc = lc_unix_server(loop, path, 0, lc__srv_factory, &sv, &s);
    if (rc == LC_ENOTSUP) {
        lc__case_transport_error(ctx, loop, rc, "unix_server");
        return;
    }
    if (rc == 0)
        lc_server_close(s);
    lc_case_skip(ctx, "the abstract namespace is Linux only (unix(7))");
#endif
}

static void unix_path_too_long(lc_case_ctx *ctx, lc_loop *loop)
{
    struct sockaddr_un sun;
    char path[sizeof sun.sun_path + 32];
    /* Exactly sizeof sun_path characters: no room for the terminator. */
    int n = snprintf(path, sizeof path, "%s/", lc_case_tmpdir(ctx));
    while ((size_t)n < sizeof sun.sun_path)
        path[n++] = 'x';
    path[n] = '\0';
    lc__srv sv = {0};
    lc_server *s = NULL;
    int rc = lc_unix_server(loop, path, 0, lc__srv_factory, &sv, &s);
    lc__conn c = {0};
    lc__rec_init(&c.rec);
    if (rc == LC_ENOTSUP) {
        /* No AF_UNIX on this loop at all: nothing to measure a path on. */
        lc__case_transport_error(ctx, loop, rc, "unix_server");
        return;
    }
    int rc2 = lc_unix_connect(loop, path, &lc__rec_protocol, &c, lc__conn_cb);
    lc_case_evidence(ctx, "server_result", lc_errname(rc));
    lc_case_evidence(ctx, "connect_result", lc_errname(rc2));
    lc_case_evidence_int(ctx, "path_length", n);
    lc_case_evidence_int(ctx, "sun_path_size", (long long)sizeof sun.sun_path);
    /* A truncated path would have been bound: look for it. */
    char cut[sizeof sun.sun_path];
    memcpy(cut, path, sizeof cut - 1);
    cut[sizeof cut - 1] = '\0';
    struct stat st;
    int truncated = stat(cut, &st) == 0;
    if (truncated)
        unlink(cut);
    if (rc == 0) {
        lc_server_close(s);
        lc_case_fail(ctx, "a %d-byte path was accepted by unix_server%s", n,
                     truncated ? " (bound truncated)" : "");
    } else if (rc2 == 0) {
        lc__case_wait(loop, LC__MS(1000));
        if (c.t)
            lc__rec_finish(loop, &c.rec, 1);
        lc_case_fail(ctx, "a %d-byte path was accepted by unix_connect", n);
    } else if (rc != LC_ENAMETOOLONG || rc2 != LC_ENAMETOOLONG) {
        lc_case_fail(ctx, "unix_server %s, unix_connect %s: expected LC_ENAMETOOLONG",
                     lc_errname(rc), lc_errname(rc2));
    } else {
        lc_case_pass(ctx, "%d-byte path refused (sun_path is %zu bytes): LC_ENAMETOOLONG", n,
                     sizeof sun.sun_path);
    }
    lc__rec_free(&c.rec);
}

/* A path in the scratch directory; 0 with the case skipped if it does
 * not fit sun_path. */
static int scratch_path(lc_case_ctx *ctx, char *path, size_t size, const char *name)
{
    int n = snprintf(path, size, "%s/%s", lc_case_tmpdir(ctx), name);
    if (n < 0 || n >= (int)sizeof(((struct sockaddr_un *)0)->sun_path)) {
        lc_case_skip(ctx, "the scratch directory's path does not fit sun_path");
        return 0;
    }
    return 1;
}

/* CPython test_unix_events test_create_unix_server_existing_path_nonsock:
 * a file that is not a socket is left alone and the server refused
 * (bind(2): EADDRINUSE "The given address is already in use"). */
static void unix_server_path_not_socket(lc_case_ctx *ctx, lc_loop *loop)
{
    char path[512];
    if (!scratch_path(ctx, path, sizeof path, "regular"))
        return;
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs("keep", f) < 0 || fclose(f) != 0) {
        lc_case_fail(ctx, "writing %s: %s", "a regular file", strerror(errno));
        return;
    }
    lc__srv sv = {0};
    lc_server *s = NULL;
    int rc = lc_unix_server(loop, path, 0, lc__srv_factory, &sv, &s);
    struct stat st;
    int kept = stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4;
    if (rc == LC_ENOTSUP) {
        lc__case_transport_error(ctx, loop, rc, "unix_server");
    } else {
        lc_case_evidence(ctx, "call", "bind");
        lc_case_evidence(ctx, "errno", rc < 0 ? lc_errname(rc) : "none");
        if (rc != -EADDRINUSE)
            lc_case_fail(ctx, "unix_server on a regular file: %s", rc < 0 ? lc_errname(rc) : "it listens");
        else if (!kept)
            lc_case_fail(ctx, "the regular file was removed or changed");
        else
            lc_case_pass(ctx, "a regular file at the path: EADDRINUSE, the file left as it was");
    }
    if (s)
        lc_server_close(s);
    unlink(path);
}

/* CPython test_unix_events test_create_unix_server_existing_path_sock: a
 * socket file nobody listens on (its socket closed) is replaced. */
static void unix_server_stale_socket(lc_case_ctx *ctx, lc_loop *loop)
{
    char path[512];
    if (!scratch_path(ctx, path, sizeof path, "stale.sock"))
        return;
#ifndef _WIN32
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        lc_case_fail(ctx, "making the stale socket file: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    close(fd); /* the file stays: a stale socket */
#endif
    lc__srv sv = {0};
    lc__conn c = {0};
    lc__rec_init(&c.rec);
    lc_server *s = NULL;
    int rc = lc_unix_server(loop, path, 0, lc__srv_factory, &sv, &s);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "unix_server over a stale socket file");
    } else {
        rc = lc_unix_connect(loop, path, &lc__rec_protocol, &c, lc__conn_cb);
        int ok = rc == 0 && lc__case_wait(loop, LC__MS(2000)) && c.err == 0 && c.t &&
                 lc__case_wait_accepted(loop, &sv, 1, 2000);
        if (!ok)
            lc_case_fail(ctx, "connect to the replacing server: %s",
                         rc < 0 ? lc_errname(rc) : c.called ? lc_errname(c.err) : "no callback");
        else
            lc_case_pass(ctx, "the stale socket file was replaced; the new server accepts");
    }
    lc__case_net_finish(loop, &c, s, &sv);
    unlink(path);
}

const lc_case lc_cases_unix[] = {
    {"unix/stream-echo", "Unix stream server and connection on a socket file; file removed on close",
     unix_stream_echo, 0, NULL, 0},
    {"unix/abstract-namespace", "Unix stream server and connection on a Linux abstract address",
     unix_abstract_namespace, 0, NULL, 0},
    {"unix/server-path-not-socket", "create_unix_server where a regular file is: EADDRINUSE, the file kept",
     unix_server_path_not_socket, 0, NULL, 0},
    {"unix/server-stale-socket", "create_unix_server over a stale socket file: replaced, the server accepts",
     unix_server_stale_socket, 0, NULL, 0},
    {"unix/path-too-long", "a path longer than sun_path is refused (LC_ENAMETOOLONG), never truncated",
     unix_path_too_long, 0, NULL, 0},
    {0},
};
