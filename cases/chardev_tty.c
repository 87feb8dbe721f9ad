/* chardev/dev-tty: the controlling terminal, /dev/tty, through the loop's
 * pipe transports.
 *
 * tty(4): /dev/tty is the controlling terminal of the process; opening it
 * without one fails with ENXIO, which is how a case process under the
 * harness (no terminal, its own process group) starts.  So the case gives
 * itself one.  credentials(7): a process that is not a process group
 * leader can call setsid(2) and lead a new session, which has no
 * controlling terminal; tty_ioctl(4) TIOCSCTTY then makes a terminal the
 * session leader's controlling terminal.  The case process leads its own
 * process group (the harness kills that group on a timeout), so setsid
 * would fail there with EPERM: a forked child does it, with the slave of a
 * new PTY (pty(7)) as the terminal, opens /dev/tty, and measures it on a
 * loop of its own with the case's backend and options.  It sends its
 * verdict back over a pipe, one line per item:
 *     S <P|F|U>   status           M <text>    message
 *     E <k> <v>   evidence         V <name> <value>   a value in ms
 * The data crossing between the master and /dev/tty shows that /dev/tty
 * is that PTY; tcgetsid(3) that it is the child's controlling terminal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "case_transport.h"

/* ---- the child: a session with the PTY slave as its terminal ------------ */

struct tty_out {
    int fd;
};

static void say(struct tty_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct tty_out *o, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(o->fd, line, (size_t)n);
    (void)w;
}

/* Read up to want bytes from the PTY master within 2 s. */
static size_t master_read(int m, char *buf, size_t want)
{
    size_t got = 0;
    int64_t end = lc_time_ns() + LC__MS(2000);
    while (got < want) {
        int64_t left = end - lc_time_ns();
        struct pollfd p = {m, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)(left / 1000000) + 1) <= 0)
            break;
        ssize_t n = read(m, buf + got, want - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* Both directions through /dev/tty: the master writes, a read transport on
 * /dev/tty gets it; a write transport on /dev/tty writes, the master reads. */
static void tty_measure(struct tty_out *o, lc_loop *loop, int m, int rfd, int wfd)
{
    lc__rec rr, wr;
    lc__rec_init(&rr);
    lc__rec_init(&wr);
    lc_transport *rt = NULL, *wt = NULL;
    int rc = lc_connect_read_pipe(loop, rfd, &lc__rec_protocol, &rr, &rt);
    if (rc == 0)
        rc = lc_connect_write_pipe(loop, wfd, &lc__rec_protocol, &wr, &wt);
    if (rc < 0) {
        lc_refusal why;
        memset(&why, 0, sizeof why);
        lc_loop_last_refusal(loop, &why);
        say(o, "S %c", rc == LC_ENOTSUP ? 'U' : 'F');
        if (why.call)
            say(o, "E call %s", why.call);
        if (why.sys_errno)
            say(o, "E errno %s", lc_errname(-why.sys_errno));
        say(o, "M connect_%s_pipe on /dev/tty: %s", rt ? "write" : "read", lc_errname(rc));
        return;
    }
    rr.stop_at = 5;
    int64_t t0 = lc_time_ns();
    int ok = write(m, "hello", 5) == 5 && lc__case_wait(loop, LC__MS(2000));
    int64_t t1 = lc_time_ns();
    char back[8] = {0};
    int w = lc_transport_write(wt, "world", 5);
    size_t got = 0;
    if (w == 0) {
        lc__case_wait(loop, LC__MS(20)); /* let the loop flush what it buffered */
        got = master_read(m, back, 5);
    }
    if (!ok || rr.len != 5 || memcmp(rr.data, "hello", 5) != 0) {
        say(o, "S F");
        say(o, "M read transport on /dev/tty got %zu of the 5 bytes the master wrote", rr.len);
    } else if (w < 0 || got != 5 || memcmp(back, "world", 5) != 0) {
        say(o, "S F");
        say(o, "M write transport on /dev/tty: write %s, the master read %zu of 5 bytes", lc_errname(w),
            got);
    } else {
        say(o, "V read_latency %.3f", (double)(t1 - t0) / 1e6);
        say(o, "S P");
        say(o, "M /dev/tty (the session's PTY slave) read 5 bytes from the master and wrote 5 back");
    }
    lc__rec_finish(loop, &rr, 1);
    lc__rec_finish(loop, &wr, 1);
    lc__rec_free(&rr);
    lc__rec_free(&wr);
}

static void tty_child(lc_case_ctx *ctx, int m, int s, struct tty_out *o)
{
    if (setsid() < 0) {
        say(o, "S F");
        say(o, "M setsid: %s", strerror(errno));
        return;
    }
    if (ioctl(s, TIOCSCTTY, 0) < 0) {
        say(o, "S F");
        say(o, "M ioctl(TIOCSCTTY): %s", strerror(errno));
        return;
    }
    int rfd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    int wfd = rfd < 0 ? -1 : open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (rfd < 0 || wfd < 0) {
        say(o, "S F");
        say(o, "M open /dev/tty with a controlling terminal: %s", lc_errname(-errno));
        return;
    }
    /* tty_ioctl(4) TIOCGSID (tcgetsid): the session of a terminal that is
     * our controlling terminal; ENOTTY otherwise. */
    pid_t tsid = tcgetsid(rfd);
    if (tsid != getsid(0)) {
        say(o, "S F");
        say(o, "M tcgetsid(/dev/tty) = %d, our session %d: not our controlling terminal", (int)tsid,
            (int)getsid(0));
        return;
    }
    say(o, "E controlling_terminal %s", ttyname(s) ? ttyname(s) : "?");
    close(s);
    lc_loop *loop = NULL;
    int rc = lc_loop_new(&loop, lc_case_loop_options(ctx));
    if (rc < 0) {
        say(o, "S F");
        say(o, "M lc_loop_new in the session leader: %s", lc_errname(rc));
        return;
    }
    tty_measure(o, loop, m, rfd, wfd);
    lc_loop_free(loop);
}

/* ---- the case process: start the child, record its verdict -------------- */

static void tty_record(lc_case_ctx *ctx, char *text)
{
    char status = 0, *msg = "no verdict from the session leader";
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == 'S' && line[1] == ' ')
            status = line[2];
        else if (line[0] == 'M' && line[1] == ' ')
            msg = line + 2;
        else if (line[0] == 'E' && line[1] == ' ') {
            char *v = strchr(line + 2, ' ');
            if (v) {
                *v++ = 0;
                lc_case_evidence(ctx, line + 2, v);
            }
        } else if (line[0] == 'V' && line[1] == ' ') {
            char *v = strchr(line + 2, ' ');
            if (v) {
                *v++ = 0;
                lc_case_measure_value(ctx, line + 2, strtod(v, NULL), "ms");
            }
        }
    }
    if (status == 'P')
        lc_case_pass(ctx, "%s", msg);
    else if (status == 'U')
        lc_case_unsupported(ctx, NULL, LC_ENOTSUP, "%s", msg);
    else
        lc_case_fail(ctx, "%s", msg);
}

static void dev_tty(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop; /* measured on the session leader's own loop */
    lc_case_ref(ctx, "man:tty(4)");
    lc_case_ref(ctx, "man:tty_ioctl(4)");
    lc_case_ref(ctx, "man:credentials(7)");
    int m, s, res[2];
    if (openpty(&m, &s, NULL, NULL, NULL) < 0) {
        lc_case_skip(ctx, "openpty: %s", strerror(errno));
        return;
    }
    struct termios tio;
    if (tcgetattr(s, &tio) == 0) {
        cfmakeraw(&tio); /* no echo: what the master writes is only read */
        tcsetattr(s, TCSANOW, &tio);
    }
    fcntl(m, F_SETFD, FD_CLOEXEC);
    fcntl(s, F_SETFD, FD_CLOEXEC);
    if (pipe2(res, O_CLOEXEC) < 0) {
        lc_case_fail(ctx, "pipe2: %s", strerror(errno));
        close(m);
        close(s);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(res[0]);
        struct tty_out o = {res[1]};
        tty_child(ctx, m, s, &o);
        _exit(0);
    }
    close(res[1]);
    close(m);
    close(s);
    if (pid < 0) {
        close(res[0]);
        lc_case_fail(ctx, "fork: %s", strerror(errno));
        return;
    }
    char text[2048];
    size_t len = 0;
    int64_t end = lc_time_ns() + LC__MS(6000);
    for (;;) {
        int64_t left = end - lc_time_ns();
        struct pollfd p = {res[0], POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)(left / 1000000) + 1) <= 0)
            break;
        ssize_t n = read(res[0], text + len, sizeof text - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    text[len] = 0;
    close(res[0]);
    int timed_out = lc_time_ns() >= end;
    if (timed_out)
        kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (timed_out) {
        lc_case_fail(ctx, "the session leader gave no verdict within 6 s");
        return;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        lc_case_fail(ctx, "the session leader ended with status 0x%x: %s", st, text);
        return;
    }
    tty_record(ctx, text);
}

const lc_case lc_cases_chardev_tty[] = {
    {"chardev/dev-tty",
     "read and write pipes on /dev/tty, in a new session whose controlling terminal is a PTY slave",
     dev_tty, 0, NULL, 0},
    {0},
};
