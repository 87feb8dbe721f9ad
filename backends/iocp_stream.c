/* Transports on iocp: the backend performs every transport's I/O with
 * overlapped operations on the loop's completion port, as asyncio's
 * ProactorEventLoop does (Lib/asyncio/proactor_events.py over
 * windows_events.IocpProactor).
 *
 *  - stream sockets: one WSARecv into the transport's read buffer in
 *    flight while it reads; the write queue goes out gathered with one
 *    WSASend at a time.
 *  - datagram sockets: one WSARecvFrom in flight; the queued datagrams go
 *    out one WSASendTo at a time, each to its own address.  A receive error
 *    (WSAECONNRESET after an ICMP port unreachable: Windows reports it on
 *    the next receive — recvfrom, "Winsock error
 *    codes") goes to error_received and the endpoint goes on.
 *  - pipes (the CRT fd of a pipe handle opened with FILE_FLAG_OVERLAPPED):
 *    ReadFile / WriteFile.  ERROR_BROKEN_PIPE on a read is the writer's
 *    EOF; on a write it is EPIPE.
 *
 * Semantics are those of the io_uring completion mode (transport.h,
 * "Completion mode"): writes are buffered and sent by the backend, a send
 * error reaches connection_lost; pause_reading leaves the receive in
 * flight and keeps what it brings until resume_reading.  Completions run as
 * ready callbacks in the iteration after the wait that took them (iocp.c).
 *
 * Lifetime: the kernel owns an op's OVERLAPPED and buffers until its packet
 * is dequeued.  The read buffer therefore belongs to the state, not to the
 * transport, and a send in flight when the write queue is dropped takes
 * the queue's pieces with it.  When the transport is freed its ops are
 * cancelled (CancelIoEx) and the state lives on, detached, until their
 * packets came back; the socket itself is closed with the transport, which
 * aborts anything the cancel had not reached yet. */
#include "compat_win.h"

#include "lc_transport.h"

#include <errno.h>
#include <io.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct iocp_cs {
    struct lc__iocp_node node; /* first */
    lc_loop *loop;
    lc_transport *t; /* NULL once detached */
    HANDLE h;
    bool sock, dgram, rbusy, sbusy, kept;
    struct lc__iocp_op rop, sop;
    DWORD kept_bytes;
    int kept_err;
    unsigned char *rbuf;
    struct sockaddr_storage from;
    INT fromlen;
    DWORD rflags;
    WSABUF wb[LC__WRITEV_MAX];
    struct lc__wchunk *given; /* queue pieces a send in flight still reads */
};

/* ---- the loop's list of nodes ---- */

void lc__iocp_node_link(lc_loop *loop, struct lc__iocp_node *n)
{
    struct lc__iocp_node **head = (struct lc__iocp_node **)lc__iocp_cs_head(loop);
    n->prev = NULL;
    n->next = *head;
    if (*head)
        (*head)->prev = n;
    *head = n;
}

void lc__iocp_node_unlink(lc_loop *loop, struct lc__iocp_node *n)
{
    struct lc__iocp_node **head = (struct lc__iocp_node **)lc__iocp_cs_head(loop);
    if (n->prev)
        n->prev->next = n->next;
    else if (*head == n)
        *head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    n->prev = n->next = NULL;
}

static bool node_in_kernel(const struct lc__iocp_node *n)
{
    return (n->ops[0] && n->ops[0]->in_kernel) || (n->ops[1] && n->ops[1]->in_kernel);
}

void lc__iocp_streams_destroy(lc_loop *loop)
{
    struct lc__iocp_node **head = (struct lc__iocp_node **)lc__iocp_cs_head(loop);
    /* Their handles are closed, so the cancelled ops complete promptly;
     * give the kernel up to two seconds to hand them back. */
    for (int round = 0; round < 100; round++) {
        bool any = false;
        for (struct lc__iocp_node *n = *head; n && !any; n = n->next)
            any = node_in_kernel(n);
        if (!any)
            break;
        lc__iocp_drain(loop, 20);
    }
    while (*head) {
        struct lc__iocp_node *n = *head;
        lc__iocp_node_unlink(loop, n);
        /* One the kernel never gave back keeps its memory: freeing it could
         * let the kernel write into reused memory. */
        if (!node_in_kernel(n))
            n->release(n);
    }
}

int lc__iocp_submitted(lc_loop *loop, struct lc__iocp_op *op, BOOL ok, DWORD err)
{
    if (ok || err == ERROR_IO_PENDING || err == WSA_IO_PENDING)
        return 0; /* the port gets a packet even for an immediate success */
    if (lc__iocp_done_soon(loop, op, 0, lc__win_err(err)) < 0) {
        op->in_kernel = 0;
        return LC_ENOMEM;
    }
    return 0;
}

/* ---- states ---- */

static void cs_release(struct lc__iocp_node *n)
{
    struct iocp_cs *cs = (struct iocp_cs *)n;
    while (cs->given) {
        struct lc__wchunk *c = cs->given->next;
        free(cs->given);
        cs->given = c;
    }
    free(cs->rbuf);
    free(cs);
}

/* A detached state goes once neither op is outstanding. */
static bool cs_maybe_free(struct iocp_cs *cs)
{
    if (cs->t || cs->rbusy || cs->sbusy)
        return false;
    lc__iocp_node_unlink(cs->loop, &cs->node);
    cs_release(&cs->node);
    return true;
}

static void free_given(struct iocp_cs *cs)
{
    while (cs->given) {
        struct lc__wchunk *c = cs->given->next;
        free(cs->given);
        cs->given = c;
    }
}

static void on_recv(lc_loop *loop, struct lc__iocp_op *op, DWORD bytes, int err);
static void on_send(lc_loop *loop, struct lc__iocp_op *op, DWORD bytes, int err);

int lc__iocp_stream_start(lc_loop *loop, lc_transport *t)
{
    bool sock = (t->flags & LC__T_IS_SOCKET) != 0;
    HANDLE h = sock ? (HANDLE)(uintptr_t)(unsigned)t->fd : (HANDLE)_get_osfhandle(t->fd);
    if (h == INVALID_HANDLE_VALUE)
        return LC_EBADF;
    int rc = lc__iocp_associate(loop, h);
    /* ERROR_INVALID_PARAMETER: already associated (a ConnectEx socket is,
     * before its transport exists); a handle has one port for life. */
    if (rc < 0 && rc != -EINVAL)
        return rc;
    struct iocp_cs *cs = calloc(1, sizeof *cs);
    if (cs == NULL)
        return LC_ENOMEM;
    cs->loop = loop;
    cs->t = t;
    cs->h = h;
    cs->sock = sock;
    cs->dgram = t->kind == LC_TRANSPORT_DATAGRAM;
    cs->rop.done = on_recv;
    cs->rop.arg = cs;
    cs->rop.handle = h;
    cs->sop.done = on_send;
    cs->sop.arg = cs;
    cs->sop.handle = h;
    cs->node.ops[0] = &cs->rop;
    cs->node.ops[1] = &cs->sop;
    cs->node.release = cs_release;
    /* The kernel writes into the read buffer: it must outlive the
     * transport if a receive is still in flight then. */
    cs->rbuf = t->rbuf;
    t->rbuf = NULL;
    lc__iocp_node_link(loop, &cs->node);
    t->cs = cs;
    return 0;
}

static void submit_recv(struct iocp_cs *cs)
{
    memset(&cs->rop.ov, 0, sizeof cs->rop.ov);
    cs->rbusy = true;
    cs->rop.in_kernel = 1;
    BOOL ok;
    DWORD err = 0;
    if (cs->sock) {
        WSABUF b = {LC__READ_CHUNK, (char *)cs->rbuf};
        cs->rflags = 0;
        int r;
        if (cs->dgram) {
            cs->fromlen = sizeof cs->from;
            r = WSARecvFrom((SOCKET)cs->h, &b, 1, NULL, &cs->rflags, (struct sockaddr *)&cs->from,
                            &cs->fromlen, &cs->rop.ov, NULL);
        } else {
            r = WSARecv((SOCKET)cs->h, &b, 1, NULL, &cs->rflags, &cs->rop.ov, NULL);
        }
        ok = r == 0;
        if (!ok)
            err = (DWORD)WSAGetLastError();
    } else {
        ok = ReadFile(cs->h, cs->rbuf, LC__READ_CHUNK, NULL, &cs->rop.ov);
        if (!ok)
            err = GetLastError();
    }
    if (lc__iocp_submitted(cs->loop, &cs->rop, ok, err) < 0)
        cs->rbusy = false; /* out of memory: reading stalls rather than crash */
}

void lc__iocp_stream_recv(lc_loop *loop, lc_transport *t, int on)
{
    struct iocp_cs *cs = t->cs;
    if (!on || cs == NULL || t->kind == LC_TRANSPORT_WRITE_PIPE)
        return; /* a receive in flight completes and is kept */
    if (cs->kept) {
        /* Delivered on the next iteration, never from inside
         * resume_reading. */
        cs->kept = false;
        cs->rbusy = true;
        if (lc__iocp_done_soon(loop, &cs->rop, cs->kept_bytes, cs->kept_err) < 0) {
            cs->rbusy = false;
            cs->kept = true;
        }
        return;
    }
    if (!cs->rbusy)
        submit_recv(cs);
}

static bool reading(const lc_transport *t)
{
    return (t->flags & LC__T_READING) &&
           !(t->flags & (LC__T_CLOSING | LC__T_READ_PAUSED | LC__T_EOF_READ));
}

static void deliver_dgram(struct iocp_cs *cs, DWORD bytes, int err)
{
    lc_transport *t = cs->t;
    if (err == 0) {
        const struct sockaddr *a = cs->fromlen > 0 ? (const struct sockaddr *)&cs->from : NULL;
        if (t->dproto && t->dproto->datagram_received)
            t->dproto->datagram_received(t, cs->rbuf, bytes, a, a ? cs->fromlen : 0);
    } else if (t->dproto && t->dproto->error_received) {
        t->dproto->error_received(t, err);
    }
}

static void on_recv(lc_loop *loop, struct lc__iocp_op *op, DWORD bytes, int err)
{
    (void)loop;
    struct iocp_cs *cs = op->arg;
    cs->rbusy = false;
    lc_transport *t = cs->t;
    if (t == NULL) {
        cs_maybe_free(cs);
        return;
    }
    if (t->flags & (LC__T_CLOSING | LC__T_LOST_QUEUED))
        return; /* close() stopped reading: what came is dropped */
    if (t->flags & LC__T_READ_PAUSED) {
        cs->kept = true; /* until resume_reading */
        cs->kept_bytes = bytes;
        cs->kept_err = err;
        return;
    }
    if (!(t->flags & LC__T_READING))
        return;
    if (cs->dgram) {
        if (err == -ECANCELED)
            return; /* cancelled for a teardown */
        deliver_dgram(cs, bytes, err);
    } else if (err == 0 && bytes > 0) {
        if (t->proto && t->proto->data_received)
            t->proto->data_received(t, cs->rbuf, bytes);
    } else if ((err == 0 && cs->sock) || (err == -EPIPE && !cs->sock)) {
        /* A 0-byte WSARecv is the peer's FIN; ERROR_BROKEN_PIPE is a pipe
         * whose writer closed (ReadFile, "Remarks"). */
        lc__stream_eof(t);
        return;
    } else if (err < 0) {
        lc__transport_fatal(t, err);
        return;
    }
    /* A 0-byte read of a byte pipe (a 0-byte write) just reads again. */
    if (cs->t == t && !cs->rbusy && reading(t))
        submit_recv(cs);
}

/* ---- sending ---- */

static void submit_send(struct iocp_cs *cs)
{
    lc_transport *t = cs->t;
    if (t->whead == NULL)
        return;
    memset(&cs->sop.ov, 0, sizeof cs->sop.ov);
    cs->sbusy = true;
    cs->sop.in_kernel = 1;
    BOOL ok;
    DWORD err = 0;
    if (cs->sock) {
        DWORD cnt = 0;
        int r;
        if (cs->dgram) {
            struct lc__wchunk *c = t->whead;
            cs->wb[0].buf = (char *)c->data;
            cs->wb[0].len = (ULONG)c->end;
            r = WSASendTo((SOCKET)cs->h, cs->wb, 1, NULL, 0,
                          c->alen ? (const struct sockaddr *)&c->addr : NULL, c->alen,
                          &cs->sop.ov, NULL);
        } else {
            for (struct lc__wchunk *c = t->whead; c && cnt < LC__WRITEV_MAX; c = c->next) {
                size_t len = c->end - c->start;
                cs->wb[cnt].buf = (char *)c->data + c->start;
                cs->wb[cnt].len = len > (1u << 30) ? (1u << 30) : (ULONG)len;
                cnt++;
            }
            r = WSASend((SOCKET)cs->h, cs->wb, cnt, NULL, 0, &cs->sop.ov, NULL);
        }
        ok = r == 0;
        if (!ok)
            err = (DWORD)WSAGetLastError();
    } else {
        struct lc__wchunk *c = t->whead;
        size_t len = c->end - c->start;
        ok = WriteFile(cs->h, c->data + c->start, len > (1u << 30) ? (1u << 30) : (DWORD)len, NULL,
                       &cs->sop.ov);
        if (!ok)
            err = GetLastError();
    }
    if (lc__iocp_submitted(cs->loop, &cs->sop, ok, err) < 0) {
        cs->sbusy = false;
        lc__transport_fatal(t, LC_ENOMEM);
    }
}

void lc__iocp_stream_send(lc_loop *loop, lc_transport *t)
{
    (void)loop;
    struct iocp_cs *cs = t->cs;
    /* A send in flight: its completion sends the rest. */
    if (cs && !cs->sbusy && t->whead)
        submit_send(cs);
}

int lc__iocp_dgram_send_first(lc_transport *t)
{
    struct iocp_cs *cs = t->cs;
    if (cs->sbusy)
        return 0;
    struct lc__wchunk *c = t->whead;
    memset(&cs->sop.ov, 0, sizeof cs->sop.ov);
    cs->sop.in_kernel = 1;
    cs->wb[0].buf = (char *)c->data;
    cs->wb[0].len = (ULONG)c->end;
    int r = WSASendTo((SOCKET)cs->h, cs->wb, 1, NULL, 0,
                      c->alen ? (const struct sockaddr *)&c->addr : NULL, c->alen, &cs->sop.ov,
                      NULL);
    int e = r == 0 ? 0 : WSAGetLastError();
    if (r == 0 || e == WSA_IO_PENDING) {
        cs->sbusy = true;
        return 0;
    }
    /* Failed at once (WSAEMSGSIZE, an earlier datagram's ICMP error): no
     * packet comes; the datagram is dropped and the error returned. */
    cs->sop.in_kernel = 0;
    t->whead = c->next;
    if (t->whead == NULL)
        t->wtail = NULL;
    t->wsize -= c->end;
    free(c);
    return lc__win_err((DWORD)e);
}

static void dgram_sent(struct iocp_cs *cs, int err)
{
    lc_transport *t = cs->t;
    struct lc__wchunk *c = t->whead;
    if (c) {
        t->whead = c->next;
        if (t->whead == NULL)
            t->wtail = NULL;
        t->wsize -= c->end;
        free(c);
    }
    if (err < 0 && t->dproto && t->dproto->error_received)
        t->dproto->error_received(t, err);
    if (t->flags & LC__T_LOST_QUEUED)
        return;
    lc__transport_maybe_resume(t);
    if (t->whead) {
        if (!cs->sbusy && cs->t == t)
            submit_send(cs);
        return;
    }
    t->flags &= ~LC__T_WRITING;
    if (t->flags & LC__T_CLOSING)
        lc__transport_lost_soon(t, 0);
}

static void on_send(lc_loop *loop, struct lc__iocp_op *op, DWORD bytes, int err)
{
    (void)loop;
    struct iocp_cs *cs = op->arg;
    cs->sbusy = false;
    free_given(cs);
    lc_transport *t = cs->t;
    if (t == NULL) {
        cs_maybe_free(cs);
        return;
    }
    if (t->flags & LC__T_LOST_QUEUED)
        return;
    if (cs->dgram) {
        dgram_sent(cs, err);
        return;
    }
    if (err < 0) {
        lc__transport_fatal(t, err);
        return;
    }
    lc__stream_sent(t, bytes);
    if (cs->t == t && !cs->sbusy && t->whead && !(t->flags & LC__T_LOST_QUEUED))
        submit_send(cs);
}

void lc__iocp_stream_cancel(lc_loop *loop, lc_transport *t, int release)
{
    (void)loop;
    struct iocp_cs *cs = t->cs;
    if (cs == NULL)
        return;
    if (cs->rbusy && cs->rop.in_kernel)
        CancelIoEx(cs->h, &cs->rop.ov);
    if (cs->sbusy) {
        if (cs->sop.in_kernel)
            CancelIoEx(cs->h, &cs->sop.ov);
        /* The send reads the queue's pieces: they go with the state. */
        if (t->wtail) {
            t->wtail->next = cs->given;
            cs->given = t->whead;
        }
        t->whead = t->wtail = NULL;
        t->wsize = 0;
    }
    cs->kept = false;
    if (release) {
        t->cs = NULL;
        cs->t = NULL;
        cs_maybe_free(cs);
    }
}
