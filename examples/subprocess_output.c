/* A subprocess with its output read: run a command, print each chunk of its
 * stdout as the loop receives it, and its exit status.
 *
 *   subprocess_output [PROGRAM [ARG...]]     (default: uname -sr) */
#include <stdio.h>

#include <loopcompat/loopcompat.h>

struct run {
    lc_loop *loop;
    size_t bytes;
    int exited, returncode, stdout_closed;
};

static void maybe_stop(struct run *r)
{
    /* Exit and EOF arrive in either order (asyncio: process_exited may come
     * before the pipes are closed); stop once both are in. */
    if (r->exited && r->stdout_closed)
        lc_loop_stop(r->loop);
}

static void on_data(lc_process *p, int fd, const void *data, size_t len, void *ud)
{
    struct run *r = ud;
    (void)p, (void)fd;
    r->bytes += len;
    printf("child says: %.*s", (int)len, (const char *)data);
}

static void on_pipe_lost(lc_process *p, int fd, int err, void *ud)
{
    struct run *r = ud;
    (void)p;
    if (err)
        fprintf(stderr, "pipe %d: %s\n", fd, lc_strerror(err));
    if (fd == 1) {
        r->stdout_closed = 1;
        maybe_stop(r);
    }
}

static void on_exit_status(lc_process *p, int returncode, void *ud)
{
    struct run *r = ud;
    (void)p;
    r->exited = 1;
    r->returncode = returncode;
    maybe_stop(r);
}

static const lc_process_callbacks cbs = {
    .pipe_data_received = on_data,
    .pipe_connection_lost = on_pipe_lost,
    .process_exited = on_exit_status,
};

int main(int argc, char **argv)
{
    static const char *const uname_argv[] = {"uname", "-sr", NULL};
    lc_spawn_options o = {
        .file = argc > 1 ? argv[1] : "uname",
        .argv = argc > 1 ? (const char *const *)argv + 1 : uname_argv,
        .stdio = {LC_STDIO_DEVNULL, LC_STDIO_PIPE, LC_STDIO_INHERIT},
    };
    lc_loop *loop;
    lc_process *p;
    struct run r = {0};
    int rc = lc_loop_new(&loop, NULL);
    r.loop = loop;
    if (rc < 0 || (rc = lc_spawn(loop, &o, &cbs, &r, &p)) < 0) {
        fprintf(stderr, "subprocess_output: %s\n", lc_strerror(rc));
        return 1;
    }
    lc_loop_run(loop);
    printf("%zu bytes; exit status %d\n", r.bytes, r.returncode);
    lc_process_close(p);
    lc_loop_free(loop);
    return r.returncode == 0 ? 0 : 1;
}
