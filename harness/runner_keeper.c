/* The keeper: one small process between the harness and each case process,
 * which owns everything the case starts.
 *
 * Why a process of its own.  A case may double-fork a daemon (setsid(2)),
 * move a child into another process group, or outlive a harness killed with
 * SIGKILL.  A process group misses the first two; PR_SET_PDEATHSIG reaches
 * the case process but not its descendants (prctl(2): the setting is
 * cleared in the child of a fork).  The keeper is a child subreaper
 * (prctl(2) PR_SET_CHILD_SUBREAPER, Linux >= 3.4): every orphan among the
 * case's descendants is reparented to it instead of to init, so the whole
 * tree stays findable from one process that runs no case code.  It
 * outlives the case process, kills what the case left (reporting each as a
 * leak) and, when the harness dies, kills the whole tree.  A cgroup's
 * cgroup.kill would find the tree too, but needs a writable, delegated
 * cgroup v2 hierarchy (not there in an unprivileged container) and still a
 * live process to write to it once the harness is gone; the keeper needs
 * neither.
 *
 * Protocol with the harness, over the status pipe (the keeper's fd 4, not
 * the case's): after the case process is reaped and the tree killed,
 *     case WSTATUS REAPED_NS
 *     leak PID COMMAND          (each process the case left, up to a cap)
 *     more N                    (how many past the cap)
 *     end
 * REAPED_NS is CLOCK_MONOTONIC (system-wide) at the case process's reap. */
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How many leaked processes the keeper names; the rest are counted. */
#define LEAKS_NAMED 16
/* How often the keeper checks that the harness is still its parent, in
 * case the parent-death signal went with a thread rather than the process
 * (prctl(2): PR_SET_PDEATHSIG fires when the *thread* that forked exits). */
#define PARENT_CHECK_S 1

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void lc__runner_close_from(int lowfd)
{
#ifdef SYS_close_range
    /* close_range(2), Linux >= 5.9.  The flag argument 0: after fork(2) the
     * table is already this process's own. */
    if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0U) == 0)
        return;
#endif
    /* Older kernels: the fds listed in /proc/self/fd (proc(5)), else every
     * number up to the soft RLIMIT_NOFILE (capped). */
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        int self = dirfd(d), *fds = NULL, complete = 1;
        size_t n = 0, cap = 0;
        struct dirent *e;
        while (complete && (e = readdir(d)) != NULL) {
            int fd = atoi(e->d_name);
            if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd < lowfd || fd == self)
                continue;
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 64;
                int *v = realloc(fds, nc * sizeof *v);
                if (!v) {
                    complete = 0;
                    break;
                }
                fds = v;
                cap = nc;
            }
            fds[n++] = fd;
        }
        closedir(d);
        for (size_t i = 0; i < n; i++)
            close(fds[i]);
        free(fds);
        if (complete)
            return;
    }
    struct rlimit rl;
    long max = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < max)
        max = (long)rl.rlim_cur;
    for (long fd = lowfd; fd < max; fd++)
        close((int)fd);
}

/* This process's children, live or zombie, from each thread's
 * /proc/self/task/TID/children (proc(5), Linux >= 3.5); without it, every
 * /proc/PID/stat whose fourth field (ppid) is this process.  Returns how
 * many were stored in out (at most cap). */
size_t lc__runner_children(pid_t *out, size_t cap)
{
    size_t n = 0;
    int found_file = 0;
    DIR *tasks = opendir("/proc/self/task");
    if (tasks) {
        struct dirent *e;
        while ((e = readdir(tasks)) != NULL) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9')
                continue;
            char path[300];
            snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
            FILE *f = fopen(path, "re");
            if (!f)
                continue;
            found_file = 1;
            long pid;
            while (fscanf(f, "%ld", &pid) == 1)
                if (n < cap)
                    out[n++] = (pid_t)pid;
            fclose(f);
        }
        closedir(tasks);
    }
    if (found_file)
        return n;
    DIR *proc = opendir("/proc");
    if (!proc)
        return n;
    pid_t self = getpid();
    struct dirent *e;
    while ((e = readdir(proc)) != NULL && n < cap) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        /* The command (field 2) may hold spaces and parentheses: the ppid
         * is after the last ')'. */
        char buf[512];
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *rp = strrchr(buf, ')');
        long ppid = 0;
        char state;
        if (rp && sscanf(rp + 1, " %c %ld", &state, &ppid) == 2 && ppid == (long)self)
            out[n++] = (pid_t)atol(e->d_name);
    }
    closedir(proc);
    return n;
}

/* What a process runs, for the leak report: its command line (NULs as
 * spaces), else its comm; anything unprintable as '?'. */
void lc__runner_describe(pid_t pid, char *out, size_t outlen)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
    size_t n = 0;
    FILE *f = fopen(path, "re");
    if (f) {
        n = fread(out, 1, outlen - 1, f);
        fclose(f);
    }
    if (n == 0) {
        snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
        f = fopen(path, "re");
        if (f) {
            n = fread(out, 1, outlen - 1, f);
            fclose(f);
        }
    }
    while (n > 0 && (out[n - 1] == '\0' || out[n - 1] == '\n' || out[n - 1] == ' '))
        n--;
    out[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (out[i] == '\0')
            out[i] = ' ';
        else if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
            out[i] = '?';
    if (n == 0)
        snprintf(out, outlen, "?");
}

int lc__runner_is_zombie(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 1; /* gone already */
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    char *rp = strrchr(buf, ')');
    return rp && (rp[1] == ' ') && (rp[2] == 'Z' || rp[2] == 'X');
}

size_t lc__runner_kill_children(const pid_t *spare, size_t nspare, lc__runner_leak_fn on_leak, void *arg)
{
    size_t killed = 0;
    pid_t kids[256];
    /* Each round kills this process's present children; their own
     * children are reparented here (we are the subreaper) and go in the
     * next.  A killed process cannot fork, so the rounds end. */
    for (int round = 0; round < 10000; round++) {
        size_t n = lc__runner_children(kids, sizeof kids / sizeof kids[0]), live = 0;
        for (size_t i = 0; i < n; i++) {
            int keep = 0;
            for (size_t j = 0; j < nspare && !keep; j++)
                keep = kids[i] == spare[j];
            if (keep)
                continue;
            if (!lc__runner_is_zombie(kids[i])) {
                if (on_leak)
                    on_leak(kids[i], arg);
                kill(kids[i], SIGKILL);
                killed++;
            }
            kids[live++] = kids[i];
        }
        if (live == 0)
            break;
        for (size_t i = 0; i < live; i++)
            while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
                ;
    }
    return killed;
}

typedef struct leak_report {
    char text[LEAKS_NAMED][160];
    size_t n, more;
} leak_report;

static void note_leak(pid_t pid, void *arg)
{
    leak_report *r = arg;
    if (r->n == LEAKS_NAMED) {
        r->more++;
        return;
    }
    char cmd[128];
    lc__runner_describe(pid, cmd, sizeof cmd);
    snprintf(r->text[r->n++], sizeof r->text[0], "leak %ld %s\n", (long)pid, cmd);
}

static void write_status(int fd, const char *s)
{
    for (size_t len = strlen(s); len > 0;) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

/* The case process, between fork and the case: everything the harness set
 * that the case should not inherit goes. */
static void case_process(const lc_run_item *item, pid_t keeper)
{
    /* Die with the keeper (it kills the tree first whenever it can; this
     * covers a keeper killed outright). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != keeper)
        _exit(1);
    /* Own process group: the keeper kills it first on a timeout. */
    setpgid(0, 0);
    close(LC__RUNNER_FD_STATUS);
    /* The harness's signal handlers and mask are none of the case's
     * business: caught signals go back to their defaults, as execve(2)
     * does (ignored ones stay ignored). */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction old;
        if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
            signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    lc_runner_child_main(item, LC__RUNNER_FD_RECORD);
}

void lc__runner_keeper_main(const lc_run_item *item, pid_t harness)
{
    /* All signals are blocked (the harness forked with them blocked):
     * the keeper takes them with sigtimedwait(2) below. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != harness)
        _exit(1);
    setpgid(0, 0);
    /* Without it (a kernel before 3.4) a daemon the case double-forks
     * escapes to init; the case's own process group is still killed. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t self = getpid();

    pid_t pid = fork();
    if (pid < 0)
        _exit(4);
    if (pid == 0)
        case_process(item, self);
    /* The record and output pipes are the case's: closing them here lets
     * the harness see their EOF when the case's side goes. */
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd <= LC__RUNNER_FD_RECORD; fd++)
        if (devnull < 0 || dup2(devnull, fd) < 0)
            close(fd);
    if (devnull > LC__RUNNER_FD_STATUS)
        close(devnull);

    sigset_t set;
    sigfillset(&set);
    struct timespec tick = {PARENT_CHECK_S, 0};
    int wstatus = 0, ended = 0, orphaned = 0;
    int64_t reaped_ns = 0;
    while (!ended) {
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &tick);
        if (sig < 0 && errno == EAGAIN && getppid() != harness)
            sig = SIGTERM;
        if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT) {
            /* A timeout, an interrupted run or a dead harness: the case
             * goes now; what it started goes below. */
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            orphaned = getppid() != harness;
        }
        /* Reap whatever exited: the case process, and orphans of the tree
         * that finished while the case ran. */
        int st;
        pid_t p;
        while ((p = waitpid(-1, &st, WNOHANG)) > 0)
            if (p == pid) {
                wstatus = st;
                reaped_ns = mono_ns();
                ended = 1;
            }
        if (p < 0 && errno == ECHILD && !ended)
            _exit(4); /* cannot happen: the case process is our child */
    }
    leak_report leaks;
    memset(&leaks, 0, sizeof leaks);
    lc__runner_kill_children(NULL, 0, orphaned ? NULL : note_leak, &leaks);
    if (orphaned)
        _exit(0);
    char line[96];
    snprintf(line, sizeof line, "case %d %lld\n", wstatus, (long long)reaped_ns);
    write_status(LC__RUNNER_FD_STATUS, line);
    for (size_t i = 0; i < leaks.n; i++)
        write_status(LC__RUNNER_FD_STATUS, leaks.text[i]);
    if (leaks.more) {
        snprintf(line, sizeof line, "more %zu\n", leaks.more);
        write_status(LC__RUNNER_FD_STATUS, line);
    }
    write_status(LC__RUNNER_FD_STATUS, "end\n");
    _exit(0);
}
