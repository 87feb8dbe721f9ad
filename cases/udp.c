/* udp: datagram endpoints (asyncio create_datagram_endpoint), as CPython's
 * test_create_datagram_endpoint(_ipv6) and
 * test_datagram_send_to_non_listening_address do.
 *
 * udp(7): on a connected socket, an ICMP error for an earlier datagram
 * (port unreachable) is reported as ECONNREFUSED by a later call — here
 * the receive, which reaches error_received; the endpoint keeps working.
 * A datagram larger than the protocol allows (65507 bytes of IPv4 UDP
 * payload) is refused by sendto(2) with EMSGSIZE; this library returns
 * that from lc_transport_sendto at once. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case_transport.h"

struct drec {
    int made, lost, lost_err, n, errors, last_error;
    size_t last_len;
    char last[64];
    int echo, stop_after, stop_on_error;
};

static void d_made(lc_transport *t) { ((struct drec *)lc_transport_userdata(t))->made++; }

static void d_recv(lc_transport *t, const void *d, size_t n, const struct sockaddr *a,
                   socklen_t al)
{
    struct drec *r = lc_transport_userdata(t);
    r->n++;
    r->last_len = n;
    memcpy(r->last, d, n < sizeof r->last ? n : sizeof r->last);
    if (r->echo) {
        char buf[96];
        int l = snprintf(buf, sizeof buf, "resp:%.*s", (int)(n < 32 ? n : 32), (const char *)d);
        lc_transport_sendto(t, buf, (size_t)l, a, al);
    }
    if (r->stop_after && r->n >= r->stop_after)
        lc_loop_stop(lc_transport_loop(t));
}

static void d_error(lc_transport *t, int err)
{
    struct drec *r = lc_transport_userdata(t);
    r->errors++;
    r->last_error = err;
    if (r->stop_on_error)
        lc_loop_stop(lc_transport_loop(t));
}

static void d_lost(lc_transport *t, int err)
{
    struct drec *r = lc_transport_userdata(t);
    r->lost++;
    r->lost_err = err;
}

static const lc_datagram_protocol d_proto = {d_made, d_recv, d_error, d_lost, NULL, NULL};

static int sock_port(lc_transport *t)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (lc_transport_get_extra(t, LC_EXTRA_SOCKNAME, &ss, &sl) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void close_all(lc_loop *loop, lc_transport *a, lc_transport *b)
{
    if (a)
        lc_transport_close(a);
    if (b)
        lc_transport_close(b);
    for (int i = 0; i < 3; i++)
        lc_loop_run_once(loop, 0);
}

/* 3 bytes to the server, "resp:xxx" back (CPython's echo shape). */
static void echo(lc_case_ctx *ctx, lc_loop *loop, const char *host, int family)
{
    struct drec sr = {0}, cr = {0};
    sr.echo = 1;
    cr.stop_after = 1;
    lc_transport *st = NULL, *ct = NULL;
    int rc = lc_udp_endpoint(loop, host, 0, NULL, 0, family, &d_proto, &sr, &st);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "server endpoint");
        return;
    }
    rc = lc_udp_endpoint(loop, NULL, 0, host, sock_port(st), family, &d_proto, &cr, &ct);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "client endpoint");
        close_all(loop, st, NULL);
        return;
    }
    rc = lc_transport_sendto(ct, "xxx", 3, NULL, 0);
    int in_time = rc == 0 && lc__case_wait(loop, LC__MS(2000));
    if (rc < 0)
        lc_case_fail(ctx, "sendto: %s", lc_errname(rc));
    else if (!in_time || sr.n != 1 || cr.n != 1)
        lc_case_fail(ctx, "server got %d, client got %d datagram(s) within 2 s", sr.n, cr.n);
    else if (cr.last_len != 8 || memcmp(cr.last, "resp:xxx", 8) != 0)
        lc_case_fail(ctx, "the reply is %zu bytes, not \"resp:xxx\"", cr.last_len);
    else if (sr.made != 1 || cr.made != 1)
        lc_case_fail(ctx, "connection_made: server %d, client %d", sr.made, cr.made);
    else
        lc_case_pass(ctx, "%s: 3 bytes there, 8 back", host);
    close_all(loop, st, ct);
    if (sr.lost != 1 || cr.lost != 1)
        lc_case_fail(ctx, "connection_lost after close: server %d, client %d", sr.lost, cr.lost);
}

static void udp_echo_ipv4(lc_case_ctx *ctx, lc_loop *loop) { echo(ctx, loop, "127.0.0.1", LC_AF_INET); }

static void udp_echo_ipv6(lc_case_ctx *ctx, lc_loop *loop)
{
    if (!lc__have_ipv6_loopback()) {
        lc_case_skip(ctx, "IPv6 not supported or enabled: cannot bind ::1");
        return;
    }
    echo(ctx, loop, "::1", LC_AF_INET6);
}

/* The error a connected UDP socket reports for an ICMP port unreachable.
 * udp(7): ECONNREFUSED.  Windows: recv/WSARecv fail with WSAECONNRESET,
 * "on a UDP-datagram socket this error indicates a previous send
 * operation resulted in an ICMP Port Unreachable message" (Windows
 * Sockets Error Codes). */
#ifdef _WIN32
#define ICMP_UNREACHABLE_ERR (-ECONNRESET)
#else
#define ICMP_UNREACHABLE_ERR (-ECONNREFUSED)
#endif

static void udp_connected_refused(lc_case_ctx *ctx, lc_loop *loop)
{
    /* A port that was just free: bind, read the port, close. */
    int port;
    int fd = lc__case_loopback_socket(ctx, SOCK_DGRAM, &port, "finding a free UDP port");
    if (fd < 0)
        return;
    close(fd);
    struct drec r = {0};
    r.stop_on_error = 1;
    lc_transport *t;
    int rc = lc_udp_endpoint(loop, NULL, 0, "127.0.0.1", port, LC_AF_INET, &d_proto, &r, &t);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "connected endpoint");
        return;
    }
    rc = lc_transport_sendto(t, "x", 1, NULL, 0);
    int in_time = rc == 0 && lc__case_wait(loop, LC__MS(2000));
    lc_case_evidence(ctx, "error_received", r.errors ? lc_errname(r.last_error) : "none");
    lc_case_evidence(ctx, "documented_error", lc_errname(ICMP_UNREACHABLE_ERR));
    int rc2 = lc_transport_sendto(t, "y", 1, NULL, 0);
    lc_case_evidence(ctx, "sendto_after", lc_errname(rc2));
    if (rc < 0)
        lc_case_fail(ctx, "first sendto: %s", lc_errname(rc));
    else if (!in_time || r.errors != 1)
        lc_case_fail(ctx, "no error_received within 2 s of sending to a closed port");
    else if (r.last_error != ICMP_UNREACHABLE_ERR)
        lc_case_fail(ctx, "error_received(%s), documented %s", lc_errname(r.last_error),
                     lc_errname(ICMP_UNREACHABLE_ERR));
    else if (lc_transport_is_closing(t) || r.lost)
        lc_case_fail(ctx, "the endpoint closed after the ICMP error");
    else if (rc2 < 0 && rc2 != ICMP_UNREACHABLE_ERR)
        lc_case_fail(ctx, "sendto after the error: %s", lc_errname(rc2));
    else
        lc_case_pass(ctx, "error_received(%s); the endpoint stayed open", lc_errname(r.last_error));
    close_all(loop, t, NULL);
}

static void udp_large_datagram(lc_case_ctx *ctx, lc_loop *loop)
{
    struct drec sr = {0}, cr = {0};
    sr.stop_after = 1;
    lc_transport *st = NULL, *ct = NULL;
    int rc = lc_udp_endpoint(loop, "127.0.0.1", 0, NULL, 0, LC_AF_INET, &d_proto, &sr, &st);
    if (rc == 0)
        rc = lc_udp_endpoint(loop, NULL, 0, "127.0.0.1", sock_port(st), LC_AF_INET, &d_proto, &cr,
                             &ct);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "endpoint");
        close_all(loop, st, NULL);
        return;
    }
    static char big[65536 + 4096];
    int big_rc = lc_transport_sendto(ct, big, sizeof big, NULL, 0);
    /* Give a queued failure the chance to reach error_received too. */
    for (int i = 0; i < 3; i++)
        lc_loop_run_once(loop, 0);
    lc_case_evidence(ctx, "sendto_result", lc_errname(big_rc));
    lc_case_evidence_int(ctx, "datagram_size", (long long)sizeof big);
    int emsgsize = big_rc == -EMSGSIZE || (big_rc == 0 && cr.last_error == -EMSGSIZE);
    rc = lc_transport_sendto(ct, "ok", 2, NULL, 0);
    int in_time = rc == 0 && lc__case_wait(loop, LC__MS(2000));
    if (!emsgsize)
        lc_case_fail(ctx, "a %zu-byte datagram: sendto %s, error_received %s", sizeof big,
                     lc_errname(big_rc), cr.errors ? lc_errname(cr.last_error) : "none");
    else if (!in_time || sr.n != 1 || sr.last_len != 2)
        lc_case_fail(ctx, "the endpoint did not keep working: %d datagram(s) after EMSGSIZE", sr.n);
    else
        lc_case_pass(ctx, "EMSGSIZE for %zu bytes; a small datagram still went through", sizeof big);
    close_all(loop, st, ct);
}

static void udp_unix_dgram(lc_case_ctx *ctx, lc_loop *loop)
{
    char spath[512], cpath[512];
    snprintf(spath, sizeof spath, "%s/s.dgram", lc_case_tmpdir(ctx));
    snprintf(cpath, sizeof cpath, "%s/c.dgram", lc_case_tmpdir(ctx));
    struct drec sr = {0}, cr = {0};
    sr.echo = 1;
    cr.stop_after = 1;
    lc_transport *st = NULL, *ct = NULL;
    int rc = lc_unix_datagram_endpoint(loop, spath, NULL, &d_proto, &sr, &st);
    if (rc == LC_ENAMETOOLONG) {
        lc_case_skip(ctx, "the scratch directory's path does not fit sun_path");
        return;
    }
    if (rc == 0)
        rc = lc_unix_datagram_endpoint(loop, cpath, spath, &d_proto, &cr, &ct);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "AF_UNIX datagram endpoint");
        close_all(loop, st, NULL);
        return;
    }
    rc = lc_transport_sendto(ct, "abc", 3, NULL, 0);
    int in_time = rc == 0 && lc__case_wait(loop, LC__MS(2000));
    if (!in_time || cr.n != 1 || memcmp(cr.last, "resp:abc", 8) != 0)
        lc_case_fail(ctx, "server got %d, client got %d datagram(s) (sendto %s)", sr.n, cr.n,
                     lc_errname(rc));
    else
        lc_case_pass(ctx, "AF_UNIX SOCK_DGRAM: 3 bytes there, 8 back");
    close_all(loop, st, ct);
}

/* CPython test_create_datagram_endpoint_sock: an endpoint over a socket
 * the program bound; it answers from that socket. */
static void udp_endpoint_from_socket(lc_case_ctx *ctx, lc_loop *loop)
{
    int port;
    int fd = lc__case_loopback_socket(ctx, SOCK_DGRAM, &port, "bound socket");
    if (fd < 0)
        return;
    struct drec sr = {0}, cr = {0};
    sr.echo = 1;
    cr.stop_after = 1;
    lc_transport *st = NULL, *ct = NULL;
    int rc = lc_datagram_open(loop, fd, &d_proto, &sr, &st);
    if (rc < 0) {
        close(fd);
        lc__case_transport_error(ctx, loop, rc, "endpoint over a bound socket");
        return;
    }
    rc = lc_udp_endpoint(loop, NULL, 0, "127.0.0.1", port, LC_AF_INET, &d_proto, &cr, &ct);
    if (rc < 0) {
        lc__case_transport_error(ctx, loop, rc, "client endpoint");
        close_all(loop, st, NULL);
        return;
    }
    rc = lc_transport_sendto(ct, "xxx", 3, NULL, 0);
    int in_time = rc == 0 && lc__case_wait(loop, LC__MS(2000));
    if (lc_transport_fileno(st) != fd || sock_port(st) != port)
        lc_case_fail(ctx, "the endpoint has fd %d port %d, not the socket given (fd %d port %d)",
                     lc_transport_fileno(st), sock_port(st), fd, port);
    else if (!in_time || sr.n != 1 || cr.n != 1 || cr.last_len != 8 ||
             memcmp(cr.last, "resp:xxx", 8) != 0)
        lc_case_fail(ctx, "over the adopted socket: got %d, answered %d datagram(s) (sendto %s)",
                     sr.n, cr.n, lc_errname(rc));
    else
        lc_case_pass(ctx, "the endpoint received and answered on the socket given (port %d)", port);
    close_all(loop, st, ct);
    if (sr.lost != 1)
        lc_case_fail(ctx, "connection_lost after close: %d", sr.lost);
}

const lc_case lc_cases_udp[] = {
    {"udp/echo-ipv4", "datagram endpoints on 127.0.0.1: request and reply", udp_echo_ipv4, 0, NULL, 0},
    {"udp/echo-ipv6", "datagram endpoints on ::1 (SKIP without IPv6)", udp_echo_ipv6, 0, NULL, 0},
    {"udp/connected-refused", "connected endpoint: ICMP port unreachable reaches error_received (ECONNREFUSED; ECONNRESET on Windows), endpoint stays",
     udp_connected_refused, 0, NULL, 0},
    {"udp/large-datagram", "a datagram above the UDP maximum: EMSGSIZE, endpoint keeps working",
     udp_large_datagram, 0, NULL, 0},
    {"udp/endpoint-from-socket", "create_datagram_endpoint over an existing bound socket: it receives and answers there",
     udp_endpoint_from_socket, 0, NULL, 0},
    {"udp/unix-dgram", "AF_UNIX SOCK_DGRAM endpoints: request and reply", udp_unix_dgram, 0, NULL, 0},
    {0},
};
