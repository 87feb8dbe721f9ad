/* chardev PTY cases on Windows: the case ids of chardev_pty.c.  Windows
 * has no POSIX pseudo-terminals (openpty, /dev/ptmx; its pseudoconsole,
 * ConPTY, is another interface), so the PTY cases are SKIP.  The
 * controlling terminal's counterpart is the console (CONIN$): a read
 * transport on it is asked for, and the loop's answer reported (neither
 * Windows loop takes a console handle: winselect waits on sockets only,
 * iocp on handles opened for overlapped I/O). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "case_transport.h"

static void no_pty(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    lc_case_skip(ctx, "Windows has no POSIX pseudo-terminals (openpty, /dev/ptmx)");
}

static void dev_tty(lc_case_ctx *ctx, lc_loop *loop)
{
    int fd = _open("CONIN$", _O_RDONLY | _O_BINARY | _O_NOINHERIT);
    if (fd < 0) {
        lc_case_skip(ctx, "open CONIN$: %s (no console)", lc_errname(-errno));
        return;
    }
    lc__rec r;
    lc__rec_init(&r);
    r.stop_on_made = 1;
    lc_transport *t;
    if (lc__case_pipe_open(ctx, loop, 0, fd, -1, &r, &t, "connect_read_pipe on the console (CONIN$)") < 0)
        return;
    /* Reading the console would take the user's input: only check that
     * the transport is set up, then pause it. */
    lc_transport_pause_reading(t);
    int in_time = lc__case_wait(loop, LC__MS(1000));
    if (!in_time || r.made != 1)
        lc_case_fail(ctx, "no connection_made on CONIN$ within 1 s");
    else
        lc_case_pass(ctx, "read transport on the console set up");
    lc__rec_finish(loop, &r, 1);
    lc__rec_free(&r);
}

const lc_case lc_cases_chardev_pty[] = {
    {"chardev/pty-read-master", "read pipe on a PTY master gets what the slave writes", no_pty, 0,
     NULL, 0},
    {"chardev/pty-write-slave", "write pipe on a PTY slave: the master reads the bytes", no_pty, 0,
     NULL, 0},
    {"chardev/pty-bidirectional", "read and write transports on one raw PTY slave, both directions",
     no_pty, 0, NULL, 0},
    {"chardev/pty-hangup", "PTY master read transport: slave close (EIO) is EOF, connection_lost(0)",
     no_pty, 0, NULL, 0},
    {"chardev/dev-tty", "read pipe on /dev/tty (SKIP without a controlling terminal)", dev_tty, 0,
     NULL, 0},
    {0},
};
