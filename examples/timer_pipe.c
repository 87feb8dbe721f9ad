/* A timer and a pipe reader: a timer writes a line into a pipe three times,
 * 10 ms apart, then closes the write end; a read-pipe transport prints what
 * arrives and, at EOF, stops the loop.
 *
 *   timer_pipe [BACKEND]     (select, poll, epoll, io_uring; default: the platform's) */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <loopcompat/loopcompat.h>

struct app {
    int wfd;        /* the pipe's write end, written by the timer */
    int ticks;
    lc_timer timer;
};

static void tick(lc_loop *loop, void *arg)
{
    struct app *a = arg;
    char line[32];
    int n = snprintf(line, sizeof line, "tick %d\n", ++a->ticks);
    if (write(a->wfd, line, (size_t)n) != n)
        perror("write");
    if (a->ticks < 3) {
        lc_call_later(loop, &a->timer, 10 * 1000000LL, tick, a);
    } else {
        close(a->wfd); /* the reader sees EOF */
        a->wfd = -1;
    }
}

static void data_received(lc_transport *t, const void *data, size_t len)
{
    (void)t;
    fwrite(data, 1, len, stdout);
}

static void connection_lost(lc_transport *t, int err)
{
    if (err)
        fprintf(stderr, "pipe: %s\n", lc_strerror(err));
    lc_loop_stop(lc_transport_loop(t));
}

static const lc_protocol reader = {
    .data_received = data_received,
    .connection_lost = connection_lost,
};

int main(int argc, char **argv)
{
    lc_loop_options opts = {.backend = argc > 1 ? argv[1] : NULL};
    lc_loop *loop;
    int rc = lc_loop_new(&loop, &opts);
    if (rc < 0) {
        fprintf(stderr, "lc_loop_new: %s\n", lc_strerror(rc));
        return 1;
    }
    int fds[2];
    if (pipe(fds) < 0) {
        perror("pipe");
        return 1;
    }
    struct app a = {.wfd = fds[1]};
    lc_transport *t;
    /* The transport owns fds[0] from here on. */
    if ((rc = lc_connect_read_pipe(loop, fds[0], &reader, &a, &t)) < 0 ||
        (rc = lc_call_later(loop, &a.timer, 10 * 1000000LL, tick, &a)) < 0) {
        fprintf(stderr, "setup: %s\n", lc_strerror(rc));
        return 1;
    }
    lc_loop_run(loop);
    printf("read everything with %s\n", lc_loop_backend_name(loop));
    lc_loop_free(loop);
    return 0;
}
