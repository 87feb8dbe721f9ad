/* The child side of the runner: create the loop, run the case, clean up,
 * look for leaks, send the record. */
#include "json_flags.h"
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#endif

#include "result.h"

#ifdef _WIN32
/* Windows has no fd table to list: the process's handle count
 * (GetProcessHandleCount) before and after the case stands in for it.
 * Processes the case left behind are the runner's to find, in the job
 * object (runner_win.c). */
typedef struct fdset {
    DWORD handles;
    int *v; /* unused: keeps free(before.v) below shared */
} fdset;

static fdset open_fds(void)
{
    fdset s = {0, NULL};
    GetProcessHandleCount(GetCurrentProcess(), &s.handles);
    return s;
}

static void check_fd_leaks(lc_case_ctx *ctx, const fdset *before)
{
    fdset after = open_fds();
    if (before->handles && after.handles > before->handles) {
        char what[96];
        snprintf(what, sizeof what, "%lu handle(s) more than before the case",
                 (unsigned long)(after.handles - before->handles));
        lc_ctx_note_leak(ctx, what);
    }
}

static void check_child_leaks(lc_case_ctx *ctx)
{
    (void)ctx;
}
#else
typedef struct fdset {
    int *v;
    size_t n;
} fdset;

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void fdset_add(fdset *s, size_t *cap, int fd)
{
    if (s->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        int *v = realloc(s->v, nc * sizeof *v);
        if (!v)
            return;
        s->v = v;
        *cap = nc;
    }
    s->v[s->n++] = fd;
}

/* The open fds of this process, sorted.  /proc/self/fd (proc(5)) or
 * /dev/fd where there is one; otherwise probe with fcntl(F_GETFD) up to the
 * soft RLIMIT_NOFILE (capped: probing a million fds would dominate a run). */
static fdset open_fds(void)
{
    fdset s = {0};
    size_t cap = 0;
    const char *dirs[] = {"/proc/self/fd", "/dev/fd"};
    for (size_t d = 0; d < 2; d++) {
        DIR *dir = opendir(dirs[d]);
        if (!dir)
            continue;
        int self = dirfd(dir);
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9')
                continue;
            int fd = atoi(e->d_name);
            if (fd != self)
                fdset_add(&s, &cap, fd);
        }
        closedir(dir);
        qsort(s.v, s.n, sizeof *s.v, cmp_int);
        return s;
    }
    struct rlimit rl;
    long max = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < max)
        max = (long)rl.rlim_cur;
    for (long fd = 0; fd < max; fd++)
        if (fcntl((int)fd, F_GETFD) != -1)
            fdset_add(&s, &cap, (int)fd);
    return s;
}

static int fdset_has(const fdset *s, int fd)
{
    return bsearch(&fd, s->v, s->n, sizeof *s->v, cmp_int) != NULL;
}

/* Each fd open now that was not open before the case. */
static void check_fd_leaks(lc_case_ctx *ctx, const fdset *before)
{
    fdset after = open_fds();
    for (size_t i = 0; i < after.n; i++) {
        int fd = after.v[i];
        if (fdset_has(before, fd))
            continue;
        char link[64], target[PATH_MAX] = "";
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        char what[PATH_MAX + 32];
        if (n > 0)
            snprintf(what, sizeof what, "fd %d (%s)", fd, target);
        else
            snprintf(what, sizeof what, "fd %d", fd);
        lc_ctx_note_leak(ctx, what);
    }
    free(after.v);
}

/* Children of this process that are still running, or exited and not
 * reaped.  Live ones from lc__runner_children() (/proc); zombies through
 * waitid(2) with WNOWAIT, which leaves them unreaped and works everywhere. */
static void check_child_leaks(lc_case_ctx *ctx)
{
    pid_t kids[64];
    size_t n = lc__runner_children(kids, sizeof kids / sizeof kids[0]);
    for (size_t i = 0; i < n; i++) {
        char what[64];
        if (lc__runner_is_zombie(kids[i]))
            snprintf(what, sizeof what, "unreaped child process %ld (a zombie)", (long)kids[i]);
        else
            snprintf(what, sizeof what, "child process %ld (still running)", (long)kids[i]);
        lc_ctx_note_leak(ctx, what);
    }
    if (n > 0)
        return;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0) {
        char what[64];
        snprintf(what, sizeof what, "unreaped child process %ld", (long)si.si_pid);
        lc_ctx_note_leak(ctx, what);
    }
}
#endif /* _WIN32 */

static void write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

static void send_record(int fd, json_t *rec)
{
    char *text = rec ? json_dumps(rec, JSON_COMPACT | LC_JSON_REALS) : NULL;
    if (text)
        write_all(fd, text, strlen(text));
    free(text);
}

void lc_runner_child_main(const lc_run_item *item, int fd)
{
    const lc_case *c = item->c;
    lc_loop_options opts;
    memset(&opts, 0, sizeof opts);
    opts.backend = item->backend;
    lc_runner_variant_options(item->variant, &opts);

    lc_case_ctx *ctx = lc_ctx_new(item->backend, item->variant, &opts, item->tmpdir);
    if (!ctx)
        _exit(3);
    /* What fd is now: a case that closes it and opens something else in
     * its place must not get the record written there. */
    struct stat pipe_st;
    if (fstat(fd, &pipe_st) != 0)
        _exit(3);
    fdset before = open_fds();

    lc_loop *loop = NULL;
    int rc = 0;
    if (!(c->flags & LC_CASE_OWN_LOOP))
        rc = lc_loop_new(&loop, &opts);
    if (rc < 0) {
        /* The harness could not set up the case: ERROR, not the case's FAIL. */
        json_t *rec = json_pack("{s:s, s:o, s:{s:s, s:s}, s:[], s:{}}", "status", "ERROR",
                                "message", json_sprintf("lc_loop_new(%s): %s", item->backend,
                                                        lc_strerror(rc)),
                                "evidence", "call", "lc_loop_new", "error", lc_errname(rc),
                                "refs", "measurements");
        send_record(fd, rec);
        _exit(0);
    }

    int64_t t0 = lc_time_ns();
    c->fn(ctx, loop);
    int64_t case_ns = lc_time_ns() - t0;

    if (loop) {
        lc_loop_close(loop);
        lc_loop_free(loop);
    }
    /* A loop the default policy made implicitly is the harness's to free. */
    lc_set_event_loop_policy(NULL);
    lc_policy_reset_thread();
    fflush(NULL);

    check_fd_leaks(ctx, &before);
    check_child_leaks(ctx);
    free(before.v);

    struct stat now_st;
    if (fstat(fd, &now_st) != 0 || now_st.st_dev != pipe_st.st_dev ||
        now_st.st_ino != pipe_st.st_ino) {
        /* The parent sees the pipe's early EOF and names it. */
        fprintf(stderr, "loopcompat: the case closed its result pipe (fd %d); no record sent\n", fd);
        _exit(0);
    }
    json_t *rec = lc_ctx_record(ctx);
    /* The case's own time: the rest of the child's life is the harness's
     * overhead (fork, loop setup, leak checks, this record). */
    if (rec)
        json_object_set_new(rec, "case_us", json_integer(case_ns / 1000));
    send_record(fd, rec);
    json_decref(rec);
    lc_ctx_free(ctx);
    _exit(0);
}

void lc_runner_variant_options(const char *variant, lc_loop_options *opts)
{
    static const struct {
        const char *name;
        int child_watcher, signal_impl;
        unsigned flags;
    } table[] = {
        {"pidfd", LC_CHILD_WATCHER_PIDFD, 0, 0},
        {"sigchld", LC_CHILD_WATCHER_SIGCHLD, 0, 0},
        {"signalfd", 0, LC_SIGNAL_SIGNALFD, 0},
        {"selfpipe", 0, LC_SIGNAL_SELFPIPE, 0},
        {"coarse-timeout", 0, 0, LC_LOOP_COARSE_TIMEOUT},
        {"completion", 0, 0, LC_LOOP_COMPLETION},
    };
    if (!variant)
        return;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(variant, table[i].name) != 0)
            continue;
        if (table[i].child_watcher)
            opts->child_watcher = table[i].child_watcher;
        if (table[i].signal_impl)
            opts->signal_impl = table[i].signal_impl;
        opts->flags |= table[i].flags;
    }
}
