/* The integration area: real clients driven by the loop.
 *
 * libcurl-multi-socket: libcurl's multi_socket API hands its sockets and
 * its single timeout to an external event loop (libcurl-multi(3),
 * curl_multi_socket_action(3), CURLMOPT_SOCKETFUNCTION(3),
 * CURLMOPT_TIMERFUNCTION(3); the shape of curl's docs/examples/
 * ephiperfifo.c).  The case runs an HTTP/1.1 server on the same loop with
 * the loop's own TCP server, starts concurrent transfers of deterministic
 * bodies and checks every byte.  It also checks the parts of libcurl's
 * contract that loops get wrong:
 *   - the socket callback may remove or re-add sockets while the loop is
 *     dispatching one of them (from inside curl_multi_socket_action);
 *   - timer -1 means "delete the timer" (CURLMOPT_TIMERFUNCTION(3));
 *   - timer 0 means "call socket_action as soon as possible", which must
 *     not happen from inside the timer callback itself (the man page: "you
 *     must not call curl_multi_socket_action from inside the callback").
 *
 * A build without libcurl (LC_STATIC: a static libcurl would need static
 * TLS, HTTP/2 and IDN libraries; see cmake/static.cmake) keeps the case id
 * and reports SKIP with that reason.
 */
#include "lc_case.h"

#ifdef LC_HAVE_CURL
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NXFER 24
#define MAX_BODY (256 * 1024)

/* Body byte i of transfer `id`: position- and id-dependent, so a byte
 * delivered to the wrong transfer or at the wrong offset is caught. */
static unsigned char body_byte(unsigned id, size_t i)
{
    return (unsigned char)((i * 131u + id * 7u + (i >> 8)) & 0xff);
}

static size_t body_size(unsigned id)
{
    return 1000 + (size_t)id * (MAX_BODY / NXFER);
}

/* ---- the HTTP server, on the loop's TCP server ---- */

struct conn {
    char req[4096];
    size_t len;
};

static void srv_data(lc_transport *t, const void *data, size_t n)
{
    struct conn *c = lc_transport_userdata(t);
    if (c->len + n >= sizeof c->req) {
        lc_transport_abort(t);
        return;
    }
    memcpy(c->req + c->len, data, n);
    c->len += n;
    c->req[c->len] = '\0';
    char *end;
    /* One request at a time per connection (no pipelining from libcurl). */
    while ((end = strstr(c->req, "\r\n\r\n")) != NULL) {
        unsigned id = 0;
        if (sscanf(c->req, "GET /body/%u ", &id) != 1 || id >= NXFER) {
            static const char bad[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
            lc_transport_write(t, bad, sizeof bad - 1);
        } else {
            size_t n_body = body_size(id);
            char head[128];
            int hl = snprintf(head, sizeof head,
                              "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                              "Content-Type: application/octet-stream\r\n\r\n",
                              n_body);
            lc_transport_write(t, head, (size_t)hl);
            unsigned char chunk[8192];
            for (size_t off = 0; off < n_body; off += sizeof chunk) {
                size_t k = n_body - off < sizeof chunk ? n_body - off : sizeof chunk;
                for (size_t i = 0; i < k; i++)
                    chunk[i] = body_byte(id, off + i);
                lc_transport_write(t, chunk, k);
            }
        }
        size_t used = (size_t)(end + 4 - c->req);
        memmove(c->req, end + 4, c->len - used + 1);
        c->len -= used;
    }
}

static void srv_lost(lc_transport *t, int err)
{
    (void)err;
    free(lc_transport_userdata(t));
}

static const lc_protocol srv_proto = {
    .data_received = srv_data,
    .connection_lost = srv_lost,
};

static int srv_factory(lc_server *srv, void *ud, const lc_protocol **proto, void **conn_ud)
{
    (void)srv;
    (void)ud;
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return LC_ENOMEM;
    *proto = &srv_proto;
    *conn_ud = c;
    return 0;
}

/* ---- the libcurl side ---- */

struct xfer {
    CURL *easy;
    unsigned id;
    size_t got;
    size_t bad_bytes;
    int done;
    CURLcode result;
    long status;
};

struct drive {
    lc_case_ctx *ctx;
    lc_loop *loop;
    CURLM *multi;
    lc_timer timer;
    struct xfer x[NXFER];
    int completed;
    int refused;          /* add_reader/add_writer refused by the backend */
    int refused_err;
    int in_action;        /* inside curl_multi_socket_action */
    long socket_calls, socket_calls_in_action, removes_in_action;
    long timer_calls, timer_cancels, timer_zero;
    long zero_fired_later; /* timer 0 fired on a later iteration */
    long zero_fired_same;  /* ... or on the iteration that scheduled it */
    uint64_t zero_iteration;
    int zero_pending;
    int zero_set_in_loop;  /* set from inside an iteration (else before run) */
    long cancel_violations; /* timer still pending after -1 */
    int action_in_timer_cb; /* socket_action called from inside TIMERFUNCTION */
    int in_timer_cb;
};

static void check_done(struct drive *d)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(d->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        x->done = 1;
        x->result = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &x->status);
        d->completed++;
        curl_multi_remove_handle(d->multi, m->easy_handle);
        curl_easy_cleanup(m->easy_handle);
        x->easy = NULL;
    }
    if (d->completed == NXFER)
        lc_loop_stop(d->loop);
}

static void action(struct drive *d, curl_socket_t s, int mask)
{
    int running = 0;
    if (d->in_timer_cb)
        d->action_in_timer_cb = 1;
    d->in_action++;
    curl_multi_socket_action(d->multi, s, mask, &running);
    d->in_action--;
    check_done(d);
}

static void on_readable(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    action(arg, fd, CURL_CSELECT_IN);
}

static void on_writable(lc_loop *loop, int fd, void *arg)
{
    (void)loop;
    action(arg, fd, CURL_CSELECT_OUT);
}

static int socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)e;
    (void)socketp;
    struct drive *d = userp;
    d->socket_calls++;
    if (d->in_action)
        d->socket_calls_in_action++;
    int rc = 0;
    if (what == CURL_POLL_REMOVE) {
        if (d->in_action)
            d->removes_in_action++;
        lc_remove_reader(d->loop, s);
        lc_remove_writer(d->loop, s);
        return 0;
    }
    if (what & CURL_POLL_IN)
        rc = lc_add_reader(d->loop, s, on_readable, d);
    else
        lc_remove_reader(d->loop, s);
    if (rc == 0 && (what & CURL_POLL_OUT))
        rc = lc_add_writer(d->loop, s, on_writable, d);
    else if (rc == 0)
        lc_remove_writer(d->loop, s);
    if (rc < 0 && !d->refused) {
        d->refused = 1;
        d->refused_err = rc;
        lc_loop_stop(d->loop);
    }
    return rc < 0 ? -1 : 0;
}

static void on_timer(lc_loop *loop, void *arg)
{
    struct drive *d = arg;
    if (d->zero_pending) {
        /* Set before the loop ran, the first iteration is the next one. */
        if (!d->zero_set_in_loop || lc_loop_iterations(loop) > d->zero_iteration)
            d->zero_fired_later++;
        else
            d->zero_fired_same++;
        d->zero_pending = 0;
    }
    action(d, CURL_SOCKET_TIMEOUT, 0);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct drive *d = userp;
    d->in_timer_cb = 1;
    d->timer_calls++;
    if (timeout_ms < 0) {
        d->timer_cancels++;
        lc_timer_cancel(&d->timer);
        d->zero_pending = 0;
        if (lc_timer_pending(&d->timer))
            d->cancel_violations++;
    } else {
        if (timeout_ms == 0) {
            d->timer_zero++;
            d->zero_pending = 1;
            d->zero_set_in_loop = lc_loop_is_running(d->loop);
            d->zero_iteration = lc_loop_iterations(d->loop);
        }
        lc_call_later(d->loop, &d->timer, (int64_t)timeout_ms * 1000000, on_timer, d);
    }
    d->in_timer_cb = 0;
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] != body_byte(x->id, x->got + i))
            x->bad_bytes++;
    x->got += len;
    return len;
}

static void stop_cb(lc_loop *loop, void *arg)
{
    (void)arg;
    lc_loop_stop(loop);
}

static void libcurl_multi_socket(lc_case_ctx *ctx, lc_loop *loop)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        lc_case_fail(ctx, "curl_global_init failed");
        return;
    }
    lc_server *srv = NULL;
    int rc = lc_tcp_server(loop, "127.0.0.1", 0, 128, srv_factory, NULL, &srv);
    if (rc < 0) {
        curl_global_cleanup();
        if (rc == LC_ENOTSUP)
            lc_case_unsupported(ctx, loop, rc, "lc_tcp_server: %s", lc_strerror(rc));
        else
            lc_case_fail(ctx, "lc_tcp_server: %s", lc_strerror(rc));
        return;
    }
    int port = lc_server_port(srv);

    struct drive *d = calloc(1, sizeof *d);
    d->ctx = ctx;
    d->loop = loop;
    d->multi = curl_multi_init();
    curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d);
    curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d);
    /* Several transfers per connection too: keep-alive reuse is part of what
     * moves sockets in and out of the loop. */
    curl_multi_setopt(d->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);

    for (unsigned i = 0; i < NXFER; i++) {
        d->x[i].id = i;
        CURL *e = curl_easy_init();
        char url[96];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/body/%u", port, i);
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &d->x[i]);
        curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)&d->x[i]);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 20000L);
        d->x[i].easy = e;
        curl_multi_add_handle(d->multi, e);
    }

    lc_timer guard = {0};
    lc_call_later(loop, &guard, 25 * 1000000000LL, stop_cb, NULL);
    int64_t t0 = lc_time_ns();
    rc = lc_loop_run(loop);
    int64_t elapsed = lc_time_ns() - t0;
    lc_timer_cancel(&guard);
    lc_timer_cancel(&d->timer);

    size_t total = 0, bad = 0;
    int ok = 0;
    char first_err[160] = "";
    for (unsigned i = 0; i < NXFER; i++) {
        struct xfer *x = &d->x[i];
        total += x->got;
        bad += x->bad_bytes;
        if (x->done && x->result == CURLE_OK && x->status == 200 && x->got == body_size(i) &&
            x->bad_bytes == 0)
            ok++;
        else if (!first_err[0])
            snprintf(first_err, sizeof first_err, "transfer %u: done=%d %s status=%ld got=%zu/%zu bad=%zu",
                     i, x->done, curl_easy_strerror(x->result), x->status, x->got, body_size(i),
                     x->bad_bytes);
    }

    lc_case_measure_counter(ctx, "transfers", NXFER, "transfer");
    lc_case_measure_counter(ctx, "bytes_verified", (long long)(total - bad), "byte");
    lc_case_measure_value(ctx, "elapsed", (double)elapsed / 1e6, "ms");
    lc_case_measure_counter(ctx, "socket_callbacks", d->socket_calls, "callback");
    lc_case_measure_counter(ctx, "socket_changes_during_dispatch", d->socket_calls_in_action, "callback");
    lc_case_measure_counter(ctx, "socket_removes_during_dispatch", d->removes_in_action, "callback");
    lc_case_measure_counter(ctx, "timer_callbacks", d->timer_calls, "callback");
    lc_case_measure_counter(ctx, "timer_cancels", d->timer_cancels, "callback");
    lc_case_measure_counter(ctx, "timer_zero", d->timer_zero, "callback");

    /* Tear down: libcurl closes its sockets through CURL_POLL_REMOVE. */
    for (unsigned i = 0; i < NXFER; i++) {
        if (d->x[i].easy) {
            curl_multi_remove_handle(d->multi, d->x[i].easy);
            curl_easy_cleanup(d->x[i].easy);
        }
    }
    curl_multi_cleanup(d->multi);
    lc_server_close(srv);
    /* Let closing server connections deliver connection_lost. */
    for (int i = 0; i < 3; i++)
        lc_loop_run_once(loop, 0);
    curl_global_cleanup();

    if (d->refused) {
        lc_case_unsupported(ctx, loop, d->refused_err, "the loop refused libcurl's socket: %s",
                            lc_strerror(d->refused_err));
    } else if (rc < 0) {
        lc_case_fail(ctx, "lc_loop_run: %s", lc_strerror(rc));
    } else if (ok != NXFER) {
        lc_case_fail(ctx, "%d/%d transfers complete and byte-exact; first problem: %s", ok, NXFER,
                     first_err);
    } else if (d->socket_calls_in_action == 0 || d->timer_zero == 0) {
        /* Without these the case would pass without testing the contract. */
        lc_case_fail(ctx, "the contract was not exercised: %ld socket changes during dispatch, "
                          "%ld zero timers", d->socket_calls_in_action, d->timer_zero);
    } else if (d->action_in_timer_cb) {
        lc_case_fail(ctx, "socket_action was called from inside CURLMOPT_TIMERFUNCTION");
    } else if (d->zero_fired_same) {
        lc_case_fail(ctx, "%ld zero-timeout timers fired on the iteration that set them",
                     d->zero_fired_same);
    } else if (d->cancel_violations) {
        lc_case_fail(ctx, "%ld timers still pending after timeout -1", d->cancel_violations);
    } else {
        lc_case_pass(ctx, "%d transfers, %zu bytes verified in %.1f ms; %ld socket changes "
                          "during dispatch, %ld timer cancels, %ld zero timers",
                     NXFER, total, (double)elapsed / 1e6, d->socket_calls_in_action,
                     d->timer_cancels, d->timer_zero);
    }
    free(d);
}

#else /* !LC_HAVE_CURL */
static void libcurl_multi_socket(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    lc_case_skip(ctx, "built without libcurl (static build: a static libcurl needs static TLS, "
                      "HTTP/2 and IDN libraries; docs/static-and-musl.md)");
}
#endif

const lc_case lc_cases_integration[] = {
    {"integration/libcurl-multi-socket",
     "libcurl's multi_socket API driven by the loop: 24 concurrent transfers from the loop's "
     "own HTTP/1.1 server, every body byte verified, libcurl's socket and timer contract held",
     libcurl_multi_socket, 0, NULL, 30},
    {0},
};
