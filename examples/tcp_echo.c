/* A TCP echo server: every connection gets back what it sends.
 *
 *   tcp_echo [PORT]     serve on 127.0.0.1:PORT until interrupted (default 7007)
 *   tcp_echo --once     serve on an ephemeral port, connect one client of its
 *                       own, check its line comes back, and exit (0 on success)
 *
 * The server's protocol is created per connection by the factory; the
 * client is the same loop's connect. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <loopcompat/loopcompat.h>

/* ---- the server: write back what arrives ---- */

static void echo_data(lc_transport *t, const void *data, size_t len)
{
    lc_transport_write(t, data, len); /* the transport copies what it cannot send now */
}

static const lc_protocol echo = {.data_received = echo_data};

static int echo_factory(lc_server *srv, void *ud, const lc_protocol **proto, void **conn_ud)
{
    (void)srv, (void)ud;
    *proto = &echo;
    *conn_ud = NULL;
    return 0;
}

/* ---- --once: one client that checks its echo ---- */

static const char hello[] = "hello, echo\n";

struct client {
    char got[64];
    size_t n;
    int ok;
};

static void client_made(lc_transport *t)
{
    lc_transport_write(t, hello, sizeof hello - 1);
}

static void client_data(lc_transport *t, const void *data, size_t len)
{
    struct client *c = lc_transport_userdata(t);
    if (len > sizeof c->got - 1 - c->n)
        len = sizeof c->got - 1 - c->n;
    memcpy(c->got + c->n, data, len);
    c->n += len;
    if (c->n >= sizeof hello - 1) {
        c->ok = memcmp(c->got, hello, sizeof hello - 1) == 0;
        lc_transport_close(t);
    }
}

static void client_lost(lc_transport *t, int err)
{
    if (err)
        fprintf(stderr, "client: %s\n", lc_strerror(err));
    lc_loop_stop(lc_transport_loop(t));
}

static const lc_protocol client = {
    .connection_made = client_made,
    .data_received = client_data,
    .connection_lost = client_lost,
};

static void connected(lc_loop *loop, lc_transport *t, int err, void *ud)
{
    (void)t, (void)ud;
    if (err) {
        fprintf(stderr, "connect: %s\n", lc_strerror(err));
        lc_loop_stop(loop);
    }
}

static void on_sigint(lc_loop *loop, int signo, void *arg)
{
    (void)signo, (void)arg;
    lc_loop_stop(loop);
}

int main(int argc, char **argv)
{
    int once = argc > 1 && strcmp(argv[1], "--once") == 0;
    int port = once ? 0 : argc > 1 ? atoi(argv[1]) : 7007;
    lc_loop *loop;
    lc_server *srv;
    int rc = lc_loop_new(&loop, NULL);
    if (rc < 0 || (rc = lc_tcp_server(loop, "127.0.0.1", port, 128, echo_factory, NULL, &srv)) < 0) {
        fprintf(stderr, "tcp_echo: %s\n", lc_strerror(rc));
        return 1;
    }
    printf("echo server on 127.0.0.1:%d (%s)\n", lc_server_port(srv), lc_loop_backend_name(loop));
    fflush(stdout);

    struct client c = {{0}, 0, 0};
    if (once) {
        rc = lc_tcp_connect(loop, "127.0.0.1", lc_server_port(srv), LC_AF_INET, &client, &c,
                            connected);
    } else {
        rc = lc_add_signal_handler(loop, SIGINT, on_sigint, NULL);
    }
    if (rc < 0) {
        fprintf(stderr, "tcp_echo: %s\n", lc_strerror(rc));
        return 1;
    }
    lc_loop_run(loop);
    lc_server_close(srv);
    lc_loop_free(loop);
    if (once)
        printf("echoed: %s", c.ok ? c.got : "(nothing)\n");
    return once && !c.ok;
}
